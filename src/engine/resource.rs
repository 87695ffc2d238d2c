//! Resources of coap_resource(3) and their attributes (coap_attribute(3)):
//! what a server offers, found by Uri-Path, listed in /.well-known/core.
//! Request handlers are application callbacks, kept here as opaque tokens
//! that only the FFI layer turns back into functions.
use super::slab::{Id, Slab};
use crate::proto::link;
use foldhash::HashMap;

/// coap_request_t codes 1..=7 (GET .. iPATCH).
pub const METHODS: usize = 7;

#[derive(Clone, Debug, Default)]
pub struct Attr {
    pub name: Vec<u8>,
    pub value: Option<Vec<u8>>,
    pub flags: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Matched by its Uri-Path (a trailing `*` matches any suffix).
    Path,
    /// Handles requests for paths no resource has.
    Unknown,
    /// Handles requests carrying Proxy-Uri / Proxy-Scheme.
    Proxy,
}

#[derive(Debug)]
pub struct Resource {
    pub kind: Kind,
    /// Without leading '/': "" is the root resource.
    pub path: Vec<u8>,
    pub flags: u32,
    pub attrs: Vec<Attr>,
    /// Opaque handler tokens, index = method code - 1.
    pub handlers: [usize; METHODS],
    pub user_data: usize,
    pub observable: bool,
    /// Names the proxy is known by (proxy resources only).
    pub proxy_names: Vec<Vec<u8>>,
    /// The C handle's address (opaque token for the FFI layer).
    pub handle: usize,
    pub observers: Vec<super::observe::Observer>,
    /// coap_resource_notify_observers() was called since the last pass.
    pub dirty: bool,
    /// The last Observe sequence number sent.
    pub obs_seq: u32,
}

impl Resource {
    pub fn new(kind: Kind, path: Vec<u8>, flags: u32) -> Resource {
        Resource {
            kind,
            path,
            flags,
            attrs: Vec::new(),
            handlers: [0; METHODS],
            user_data: 0,
            observable: false,
            proxy_names: Vec::new(),
            handle: 0,
            observers: Vec::new(),
            dirty: false,
            obs_seq: 0,
        }
    }

    /// The handler for a request code, if the resource has one.
    pub fn handler(&self, code: u8) -> Option<usize> {
        let i = usize::from(code).checked_sub(1)?;
        self.handlers.get(i).copied().filter(|&h| h != 0)
    }

    pub fn attr(&self, name: &[u8]) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    fn is_wildcard(&self) -> bool {
        self.path.last() == Some(&b'*')
    }
}

/// What a request's path resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Resource(Id),
    /// `/.well-known/core`, answered by the library.
    WellKnown,
    NotFound,
}

pub const WELL_KNOWN: &[u8] = b".well-known/core";

#[derive(Default)]
pub struct Resources {
    all: Slab<Resource>,
    by_path: HashMap<Vec<u8>, Id>,
    /// Path resources in the order they were added: /.well-known/core
    /// lists them so, as libcoap does.
    order: Vec<Id>,
    /// Wildcard resources, longest prefix first.
    wildcards: Vec<(Vec<u8>, Id)>,
    pub unknown: Option<Id>,
    pub proxy: Option<Id>,
}

impl Resources {
    /// Adds a resource, removing (and returning) one with the same path.
    pub fn add(&mut self, r: Resource) -> (Id, Option<Resource>) {
        let replaced = match r.kind {
            Kind::Path => self.by_path.get(&r.path).copied(),
            Kind::Unknown => self.unknown,
            Kind::Proxy => self.proxy,
        }
        .and_then(|old| self.remove(old));
        let (kind, path, wild) = (r.kind, r.path.clone(), r.is_wildcard());
        let id = self.all.insert(r);
        match kind {
            Kind::Path if wild => {
                self.order.push(id);
                let prefix = path[..path.len() - 1].to_vec();
                self.wildcards.push((prefix, id));
                self.wildcards.sort_by_key(|w| std::cmp::Reverse(w.0.len()));
                self.by_path.insert(path, id);
            }
            Kind::Path => {
                self.order.push(id);
                self.by_path.insert(path, id);
            }
            Kind::Unknown => self.unknown = Some(id),
            Kind::Proxy => self.proxy = Some(id),
        }
        (id, replaced)
    }

    pub fn remove(&mut self, id: Id) -> Option<Resource> {
        let r = self.all.remove(id)?;
        match r.kind {
            Kind::Path => {
                self.order.retain(|&o| o != id);
                self.by_path.remove(&r.path);
                self.wildcards.retain(|(_, w)| *w != id);
            }
            Kind::Unknown => self.unknown = None,
            Kind::Proxy => self.proxy = None,
        }
        Some(r)
    }

    pub fn get(&self, id: Id) -> Option<&Resource> {
        self.all.get(id)
    }

    pub fn get_mut(&mut self, id: Id) -> Option<&mut Resource> {
        self.all.get_mut(id)
    }

    pub fn ids(&self) -> Vec<Id> {
        self.all.ids()
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Id, &mut Resource)> {
        self.all.iter_mut()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Resolves a request path (Uri-Path segments joined by '/').
    pub fn find(&self, path: &[u8]) -> Found {
        if let Some(&id) = self.by_path.get(path) {
            return Found::Resource(id);
        }
        if path == WELL_KNOWN {
            return Found::WellKnown;
        }
        match self.wildcards.iter().find(|(prefix, _)| path.starts_with(prefix)) {
            Some(&(_, id)) => Found::Resource(id),
            None => Found::NotFound,
        }
    }

    /// The /.well-known/core document, filtered by the request's query.
    pub fn well_known(&self, query: &[u8]) -> Vec<u8> {
        let filter = if query.is_empty() { None } else { link::Filter::parse(query) };
        let mut out = Vec::new();
        for r in self.order.iter().filter_map(|&id| self.all.get(id)) {
            r.with_link(|l| {
                if filter.as_ref().map_or(true, |f| f.matches(l)) {
                    if !out.is_empty() {
                        out.push(b',');
                    }
                    link::write_link(&mut out, l);
                }
            });
        }
        out
    }
}

impl Resource {
    /// Runs `f` on this resource's RFC 6690 link as libcoap writes it:
    /// attributes newest first, then `obs` if observable.
    pub fn with_link<R>(&self, f: impl FnOnce(&link::Link<'_>) -> R) -> R {
        let mut href = Vec::with_capacity(self.path.len() + 1);
        href.push(b'/');
        href.extend_from_slice(&self.path);
        let mut attrs: Vec<link::Attr<'_>> =
            self.attrs.iter().rev().map(|a| link::Attr { name: &a.name, value: a.value.as_deref() }).collect();
        if self.observable {
            attrs.push(link::Attr { name: b"obs", value: None });
        }
        f(&link::Link { path: &href, attrs: &attrs })
    }

    /// This resource's link alone (coap_print_link).
    pub fn link(&self) -> Vec<u8> {
        self.with_link(|l| {
            let mut out = Vec::new();
            link::write_link(&mut out, l);
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> Resource {
        Resource::new(Kind::Path, path.as_bytes().to_vec(), 0)
    }

    #[test]
    fn exact_then_wildcard_then_well_known() {
        let mut t = Resources::default();
        let (time, _) = t.add(res("time"));
        let (any, _) = t.add(res("a/*"));
        let (deep, _) = t.add(res("a/b/*"));
        assert_eq!(t.find(b"time"), Found::Resource(time));
        assert_eq!(t.find(b"a/x"), Found::Resource(any));
        assert_eq!(t.find(b"a/b/c"), Found::Resource(deep));
        assert_eq!(t.find(b".well-known/core"), Found::WellKnown);
        assert_eq!(t.find(b"nope"), Found::NotFound);
    }

    #[test]
    fn links_list_attributes_newest_first_then_obs() {
        let mut r = res("time");
        r.attrs.push(Attr { name: b"rt".to_vec(), value: Some(b"\"ticks\"".to_vec()), flags: 0 });
        r.attrs.push(Attr { name: b"ct".to_vec(), value: Some(b"0".to_vec()), flags: 0 });
        r.observable = true;
        assert_eq!(r.link(), b"</time>;ct=0;rt=\"ticks\";obs".to_vec());
        let mut t = Resources::default();
        t.add(r);
        t.add(res(""));
        // In the order added, as libcoap lists them; replaced paths move last.
        assert_eq!(t.well_known(b""), b"</time>;ct=0;rt=\"ticks\";obs,</>".to_vec());
        assert_eq!(t.well_known(b"rt=ticks"), b"</time>;ct=0;rt=\"ticks\";obs".to_vec());
        t.add(res("time"));
        assert_eq!(t.well_known(b""), b"</>,</time>".to_vec());
    }

    #[test]
    fn same_path_replaces() {
        let mut t = Resources::default();
        let (a, _) = t.add(res("x"));
        let (b, old) = t.add(res("x"));
        assert!(old.is_some());
        assert_eq!(t.find(b"x"), Found::Resource(b));
        assert!(t.get(a).is_none());
        assert_eq!(t.len(), 1);
    }
}
