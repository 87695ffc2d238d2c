//! RFC 6690 link format for /.well-known/core: writing `<path>;attr=value`
//! entries and filtering them by a query (§4.1).

use super::uri::percent_decode;

/// A link attribute: name and optional value, written as given (the value
/// carries its own quotes, as libcoap's coap_add_attr expects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    pub name: &'a [u8],
    pub value: Option<&'a [u8]>,
}

/// A resource as it appears in a link-format document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link<'a> {
    /// Resource path, with or without a leading '/'.
    pub path: &'a [u8],
    pub attrs: &'a [Attr<'a>],
}

/// Quotes `value` as an RFC 6690 quoted-string, escaping '"' and '\'.
pub fn quote(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    out.push(b'"');
    for &c in value {
        if c == b'"' || c == b'\\' {
            out.push(b'\\');
        }
        out.push(c);
    }
    out.push(b'"');
    out
}

/// Removes quotes and escapes from a quoted-string; other values unchanged.
pub fn unquote(value: &[u8]) -> Vec<u8> {
    let inner = match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => return value.to_vec(),
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut esc = false;
    for &c in inner {
        if c == b'\\' && !esc {
            esc = true;
            continue;
        }
        esc = false;
        out.push(c);
    }
    out
}

/// Appends one link: `</path>;name=value;name`.
pub fn write_link(out: &mut Vec<u8>, link: &Link<'_>) {
    out.extend_from_slice(b"</");
    out.extend_from_slice(link.path.strip_prefix(b"/").unwrap_or(link.path));
    out.push(b'>');
    for a in link.attrs {
        out.push(b';');
        out.extend_from_slice(a.name);
        if let Some(v) = a.value {
            out.push(b'=');
            out.extend_from_slice(v);
        }
    }
}

/// Writes the links that pass `filter`, separated by commas.
pub fn write_links(links: &[Link<'_>], filter: Option<&Filter>) -> Vec<u8> {
    let mut out = Vec::new();
    for l in links.iter().filter(|l| filter.map_or(true, |f| f.matches(l))) {
        if !out.is_empty() {
            out.push(b',');
        }
        write_link(&mut out, l);
    }
    out
}

/// A `?name=value` filter; a trailing '*' in the value makes it a prefix match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
    pub prefix: bool,
}

/// Attributes whose values are space-separated lists (RFC 6690 §3).
const LIST_ATTRS: [&[u8]; 3] = [b"rt", b"if", b"rel"];

impl Filter {
    /// Parses one query argument; `None` if it is empty or badly escaped.
    pub fn parse(query: &[u8]) -> Option<Filter> {
        let arg = percent_decode(query).ok()?;
        if arg.is_empty() {
            return None;
        }
        let (name, mut value) = match arg.iter().position(|&c| c == b'=') {
            Some(i) => (arg.get(..i)?.to_vec(), arg.get(i + 1..)?.to_vec()),
            None => (arg, Vec::new()),
        };
        let prefix = value.last() == Some(&b'*');
        if prefix {
            value.pop();
        }
        Some(Filter { name, value, prefix })
    }

    fn value_matches(&self, v: &[u8]) -> bool {
        if self.prefix {
            v.starts_with(&self.value)
        } else {
            v == self.value.as_slice()
        }
    }

    /// True if `link` passes this filter.
    pub fn matches(&self, link: &Link<'_>) -> bool {
        if self.name == b"href" {
            let want = self.value.strip_prefix(b"/").unwrap_or(&self.value);
            let path = link.path.strip_prefix(b"/").unwrap_or(link.path);
            return if self.prefix { path.starts_with(want) } else { path == want };
        }
        let list = LIST_ATTRS.contains(&self.name.as_slice());
        link.attrs.iter().filter(|a| a.name == self.name.as_slice()).any(|a| {
            let v = unquote(a.value.unwrap_or_default());
            self.value_matches(&v) || (list && v.split(|&c| c == b' ').any(|w| self.value_matches(w)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a<'a>(name: &'a str, value: Option<&'a str>) -> Attr<'a> {
        Attr { name: name.as_bytes(), value: value.map(str::as_bytes) }
    }

    #[test]
    fn rfc6690_example_document() {
        // RFC 6690 §5 example: sensors with rt/if/ct attributes.
        let t = [a("rt", Some("\"temperature-c\"")), a("if", Some("\"sensor\""))];
        let l = [a("rt", Some("\"light-lux\"")), a("if", Some("\"sensor\""))];
        let links = [Link { path: b"/sensors/temp", attrs: &t }, Link { path: b"sensors/light", attrs: &l }];
        let doc = write_links(&links, None);
        assert_eq!(
            String::from_utf8(doc).unwrap(),
            "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",</sensors/light>;rt=\"light-lux\";if=\"sensor\""
        );
        let f = Filter::parse(b"rt=light-lux").unwrap();
        assert_eq!(write_links(&links, Some(&f)), b"</sensors/light>;rt=\"light-lux\";if=\"sensor\"");
        let f = Filter::parse(b"if=sensor").unwrap();
        assert_eq!(write_links(&links, Some(&f)), write_links(&links, None));
        let f = Filter::parse(b"rt=temp*").unwrap();
        assert_eq!(write_links(&links, Some(&f)), b"</sensors/temp>;rt=\"temperature-c\";if=\"sensor\"");
        let f = Filter::parse(b"href=/sensors/l*").unwrap();
        assert_eq!(write_links(&links, Some(&f)), b"</sensors/light>;rt=\"light-lux\";if=\"sensor\"");
        let f = Filter::parse(b"href=/sensors/temp").unwrap();
        assert!(f.matches(&links[0]) && !f.matches(&links[1]));
        let f = Filter::parse(b"href=sensors*").unwrap();
        assert!(f.matches(&links[0]) && f.matches(&links[1]));
        let f = Filter::parse(b"ct=40").unwrap();
        assert_eq!(write_links(&links, Some(&f)), b"");
    }

    #[test]
    fn valueless_attrs_and_lists() {
        let attrs = [a("obs", None), a("rt", Some("\"core.rd core.rd-lookup\"")), a("ct", Some("40"))];
        let link = Link { path: b"rd", attrs: &attrs };
        let mut out = Vec::new();
        write_link(&mut out, &link);
        assert_eq!(out, b"</rd>;obs;rt=\"core.rd core.rd-lookup\";ct=40");
        assert!(Filter::parse(b"rt=core.rd").unwrap().matches(&link));
        assert!(Filter::parse(b"rt=core.rd-lookup").unwrap().matches(&link));
        assert!(!Filter::parse(b"rt=core").unwrap().matches(&link));
        assert!(Filter::parse(b"rt=core*").unwrap().matches(&link));
        assert!(Filter::parse(b"ct=40").unwrap().matches(&link));
        assert!(!Filter::parse(b"ct=4").unwrap().matches(&link));
        assert!(Filter::parse(b"obs").unwrap().matches(&link));
        assert!(Filter::parse(b"title=*").is_some_and(|f| !f.matches(&link)));
        assert!(Filter::parse(b"ct=%34%30").unwrap().matches(&link));
        assert_eq!(Filter::parse(b""), None);
        assert_eq!(Filter::parse(b"rt=%4"), None);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"a\"b\\c"), b"\"a\\\"b\\\\c\"");
        assert_eq!(unquote(&quote(b"a\"b\\c")), b"a\"b\\c");
        assert_eq!(unquote(b"plain"), b"plain");
        assert_eq!(unquote(b"\""), b"\"");
        assert_eq!(unquote(b"\"\""), b"");
        assert_eq!(quote(b""), b"\"\"");
    }
}
