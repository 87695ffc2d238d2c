//! coap_resource(3) and coap_attribute(3): resources, their handlers'
//! storage, user data and attributes. A resource lives in its cell until
//! coap_add_resource() moves it into a context.
use crate::engine::resource::{Attr, Kind, Resource};
use crate::engine::slab::Id;
use crate::ffi::boundary::guard;
use crate::ffi::context::ContextObj;
use crate::ffi::handle::{get, Handle, Pool};
use crate::ffi::types::*;
use std::ffi::{c_char, c_int, c_void};

enum Place {
    /// Not in a context yet.
    Alone(Box<Resource>),
    InContext { ctx: *mut coap_context_t, id: Id },
    None,
}

pub struct ResourceCell {
    place: Place,
    /// Our copy of the path, returned by coap_resource_get_uri_path().
    uri: *mut coap_str_const_t,
    /// The application's path string, freed on delete (RELEASE_URI).
    owned_uri: *mut coap_str_const_t,
    attrs: Vec<(Vec<u8>, *mut coap_attr_t)>,
}

pub struct AttrCell {
    /// Our copy of the value (NULL: none), for coap_attr_get_value().
    value: *mut coap_str_const_t,
    /// Application strings freed with the attribute (COAP_ATTR_FLAGS_RELEASE_*).
    owned: Vec<*mut coap_str_const_t>,
}

static RESOURCES: Pool<ResourceCell> = Pool::new();
static ATTRS: Pool<AttrCell> = Pool::new();

impl Handle for ResourceCell {
    type C = coap_resource_t;
    const NAME: &'static str = "coap_resource_t";
    const TAG: u64 = 0x7265_735f_6c69_7665; // "res_live"
    fn pool() -> &'static Pool<Self> {
        &RESOURCES
    }
    fn recycle(&mut self) {
        self.place = Place::None;
        free_str(std::mem::replace(&mut self.uri, std::ptr::null_mut()));
        free_str(std::mem::replace(&mut self.owned_uri, std::ptr::null_mut()));
        for (_, a) in self.attrs.drain(..) {
            // SAFETY: attribute handles of this resource, made by ATTRS.
            unsafe { ATTRS.release(a) };
        }
    }
}

impl Handle for AttrCell {
    type C = coap_attr_t;
    const NAME: &'static str = "coap_attr_t";
    const TAG: u64 = 0x6174_7472_6c69_7665; // "attrlive"
    fn pool() -> &'static Pool<Self> {
        &ATTRS
    }
    fn recycle(&mut self) {
        free_str(std::mem::replace(&mut self.value, std::ptr::null_mut()));
        for s in self.owned.drain(..) {
            free_str(s);
        }
    }
}

/// A coap_str_const_t and its bytes (plus NUL) in one malloc block, as
/// coap_new_str_const makes them.
pub(crate) fn new_str(bytes: &[u8]) -> *mut coap_str_const_t {
    let size = std::mem::size_of::<coap_str_const_t>() + bytes.len() + 1;
    // SAFETY: plain allocation, checked for NULL.
    let p = unsafe { libc::malloc(size) }.cast::<coap_str_const_t>();
    if p.is_null() {
        return p;
    }
    // SAFETY: the block has room for the struct, the bytes and a NUL.
    unsafe {
        let data = p.add(1).cast::<u8>();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
        *data.add(bytes.len()) = 0;
        p.write(coap_str_const_t { length: bytes.len(), s: data });
    }
    p
}

fn free_str(p: *mut coap_str_const_t) {
    if !p.is_null() {
        // SAFETY: strings given to us to free were made by malloc (ours, or
        // coap_new_str_const, which allocates the same way).
        unsafe { libc::free(p.cast()) };
    }
}

/// The query of a request as a coap_string_t ("a=1&b"), NULL when none;
/// freed with libc free (coap_delete_string does the same).
pub(crate) fn query_string(req: &crate::proto::pdu::Pdu) -> *mut coap_string_t {
    let mut q = Vec::new();
    for o in req.options().map_while(Result::ok).filter(|o| o.number == crate::proto::option::URI_QUERY) {
        if !q.is_empty() {
            q.push(b'&');
        }
        q.extend_from_slice(o.value);
    }
    if q.is_empty() {
        return std::ptr::null_mut();
    }
    new_str(&q).cast()
}

pub(crate) fn free_query(q: *mut coap_string_t) {
    free_str(q.cast());
}

fn path_of(uri: *mut coap_str_const_t) -> Vec<u8> {
    // SAFETY: NULL or a caller-owned string (C contract).
    let Some(s) = (unsafe { uri.as_ref() }) else { return Vec::new() };
    if s.s.is_null() {
        return Vec::new();
    }
    // SAFETY: `s` points at `length` bytes.
    let bytes = unsafe { std::slice::from_raw_parts(s.s, s.length) };
    bytes.strip_prefix(b"/").unwrap_or(bytes).to_vec()
}

fn new_resource(kind: Kind, path: Vec<u8>, flags: c_int, owned_uri: *mut coap_str_const_t) -> *mut coap_resource_t {
    // The names libcoap gives these two in coap_resource_get_uri_path().
    let shown: &[u8] = match kind {
        Kind::Unknown => b"- Unknown -",
        Kind::Proxy => b"- Proxy URI -",
        _ => &path,
    };
    let uri = new_str(shown);
    let r = Box::new(Resource::new(kind, path, flags as u32));
    let mut init = Some((r, uri));
    let h = RESOURCES.alloc(
        || {
            let (r, uri) = init.take().unwrap_or_else(|| (Box::new(Resource::new(kind, Vec::new(), 0)), std::ptr::null_mut()));
            ResourceCell { place: Place::Alone(r), uri, owned_uri, attrs: Vec::new() }
        },
        |_| {},
    );
    if let Some((r, uri)) = init {
        // SAFETY: `h` was just allocated and is not in use elsewhere.
        if let Some(c) = unsafe { get::<ResourceCell>(h) } {
            c.place = Place::Alone(r);
            c.uri = uri;
            c.owned_uri = owned_uri;
        }
    }
    let me = h as usize;
    with_resource(h, |r| r.handle = me);
    h
}

/// Runs `f` on the resource behind a live handle, wherever it lives.
pub(crate) fn with_resource<R>(h: *mut coap_resource_t, f: impl FnOnce(&mut Resource) -> R) -> Option<R> {
    // SAFETY: handles come through the API; get() checks the tag.
    let cell = unsafe { get::<ResourceCell>(h) }?;
    match &mut cell.place {
        Place::Alone(r) => Some(f(r)),
        Place::InContext { ctx, id } => {
            let (ctx, id) = (*ctx, *id);
            // SAFETY: as above, for the context handle.
            let obj = unsafe { get::<ContextObj>(ctx) }?;
            obj.engine.as_mut()?.resources.get_mut(id).map(f)
        }
        Place::None => None,
    }
}

/// The context engine a resource is in, if any.
pub(crate) fn engine_of<'a>(h: *mut coap_resource_t) -> Option<&'a mut crate::engine::context::Context> {
    // SAFETY: handles come through the API; get() checks the tags.
    let cell = unsafe { get::<ResourceCell>(h) }?;
    let Place::InContext { ctx, .. } = cell.place else { return None };
    // SAFETY: as above, for the context handle.
    unsafe { get::<ContextObj>(ctx) }?.engine.as_mut()
}

/// The handle of a resource in a context (for the request handler).
pub(crate) fn handle_of(ctx: *mut coap_context_t, id: Id) -> *mut coap_resource_t {
    // SAFETY: as in with_resource().
    let obj = unsafe { get::<ContextObj>(ctx) };
    obj.and_then(|o| o.engine.as_mut()).and_then(|e| e.resources.get(id)).map_or(std::ptr::null_mut(), |r| r.handle as *mut coap_resource_t)
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_init(uri_path: *mut coap_str_const_t, flags: c_int) -> *mut coap_resource_t {
    guard("coap_resource_init", || {
        let owned = if flags as u32 & COAP_RESOURCE_FLAGS_RELEASE_URI != 0 { uri_path } else { std::ptr::null_mut() };
        new_resource(Kind::Path, path_of(uri_path), flags, owned)
    })
}

fn with_handler(kind: Kind, handler: coap_method_handler_t, methods: &[u8], flags: c_int) -> *mut coap_resource_t {
    let h = new_resource(kind, Vec::new(), flags, std::ptr::null_mut());
    if let Some(f) = handler {
        with_resource(h, |r| {
            for &m in methods {
                if let Some(slot) = r.handlers.get_mut(usize::from(m) - 1) {
                    *slot = f as usize;
                }
            }
        });
    }
    h
}

#[no_mangle]
pub extern "C" fn coap_resource_unknown_init(put_handler: coap_method_handler_t) -> *mut coap_resource_t {
    guard("coap_resource_unknown_init", || with_handler(Kind::Unknown, put_handler, &[3], 0))
}

#[no_mangle]
pub extern "C" fn coap_resource_unknown_init2(put_handler: coap_method_handler_t, flags: c_int) -> *mut coap_resource_t {
    guard("coap_resource_unknown_init2", || with_handler(Kind::Unknown, put_handler, &[3], flags))
}

unsafe fn proxy_init(func: &str, handler: coap_method_handler_t, count: usize, names: *mut *const c_char, flags: c_int) -> *mut coap_resource_t {
    let h = with_handler(Kind::Proxy, handler, &[1, 2, 3, 4, 5, 6, 7], flags);
    let mut list = Vec::new();
    for i in 0..count {
        // SAFETY: `names` has `count` entries (C contract).
        let p = unsafe { *names.add(i) };
        if p.is_null() {
            log::warn!("{func}: host name {i} is NULL");
            continue;
        }
        // SAFETY: NUL-terminated (C contract).
        list.push(unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec());
    }
    with_resource(h, |r| r.proxy_names = list);
    h
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_proxy_uri_init(handler: coap_method_handler_t, count: usize, names: *mut *const c_char) -> *mut coap_resource_t {
    guard("coap_resource_proxy_uri_init", || {
        if names.is_null() && count > 0 {
            crate::ffi::boundary::null_arg("coap_resource_proxy_uri_init", "host_name_list");
            return std::ptr::null_mut();
        }
        // SAFETY: forwarding the caller's list.
        unsafe { proxy_init("coap_resource_proxy_uri_init", handler, count, names, 0) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_proxy_uri_init2(handler: coap_method_handler_t, count: usize, names: *mut *const c_char, flags: c_int) -> *mut coap_resource_t {
    guard("coap_resource_proxy_uri_init2", || {
        if names.is_null() && count > 0 {
            crate::ffi::boundary::null_arg("coap_resource_proxy_uri_init2", "host_name_list");
            return std::ptr::null_mut();
        }
        // SAFETY: forwarding the caller's list.
        unsafe { proxy_init("coap_resource_proxy_uri_init2", handler, count, names, flags) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_resource(context: *mut coap_context_t, resource: *mut coap_resource_t) {
    guard("coap_add_resource", || {
        let cell = handle!("coap_add_resource", resource, ResourceCell);
        let r = match std::mem::replace(&mut cell.place, Place::None) {
            Place::Alone(r) => r,
            other => {
                cell.place = other;
                log::warn!("coap_add_resource: resource is already in a context");
                return;
            }
        };
        let engine = engine!("coap_add_resource", context, else {
            // Keep it usable: put it back.
            // SAFETY: the handle was checked live above; that borrow ended.
            if let Some(c) = unsafe { get::<ResourceCell>(resource) } {
                c.place = Place::Alone(r);
            }
        });
        let (id, replaced) = engine.resources.add(*r);
        if let Some(old) = &replaced {
            engine.persist_resource_replaced(old);
        }
        // SAFETY: as above.
        if let Some(c) = unsafe { get::<ResourceCell>(resource) } {
            c.place = Place::InContext { ctx: context, id };
        }
        if let Some(old) = replaced {
            release(context, old.handle as *mut coap_resource_t, old.user_data);
        }
        crate::ffi::persist::resource_added(context, resource);
    })
}

/// Frees a resource's cell and tells the application to free its data.
fn release(ctx: *mut coap_context_t, h: *mut coap_resource_t, user_data: usize) {
    // SAFETY: as in with_resource().
    let release_cb = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.handlers.release_userdata);
    if let (Some(cb), true) = (release_cb, user_data != 0) {
        // SAFETY: the application's release callback with its own pointer.
        unsafe { cb(user_data as *mut c_void) };
    }
    // SAFETY: a resource handle of ours; release() checks the tag.
    unsafe { RESOURCES.release(h) };
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_resource(context: *mut coap_context_t, resource: *mut coap_resource_t) -> c_int {
    guard("coap_delete_resource", || {
        let cell = handle!("coap_delete_resource", resource, ResourceCell);
        match std::mem::replace(&mut cell.place, Place::None) {
            Place::Alone(r) => {
                // Never added: free it all the same.
                release(context, resource, r.user_data);
                1
            }
            Place::InContext { ctx, id } => {
                let engine = engine!("coap_delete_resource", ctx);
                engine.persist_resource_deleting(id);
                let removed = engine.delete_resource(id);
                match removed {
                    Some(r) => {
                        release(ctx, resource, r.user_data);
                        crate::ffi::persist::flush(ctx);
                        1
                    }
                    None => 0,
                }
            }
            Place::None => 0,
        }
    })
}

/// Deletes every resource of a context (coap_free_context).
pub(crate) fn delete_all(ctx: *mut coap_context_t) {
    // SAFETY: as in with_resource().
    let handles: Vec<*mut coap_resource_t> = match unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()) {
        Some(e) => {
            e.closing = true;
            e.resources.ids().into_iter().filter_map(|id| e.resources.get(id).map(|r| r.handle as *mut coap_resource_t)).collect()
        }
        None => return,
    };
    for h in handles {
        // SAFETY: handles of this context's resources.
        unsafe { coap_delete_resource(ctx, h) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_get_resource_from_uri_path(context: *mut coap_context_t, uri_path: *mut coap_str_const_t) -> *mut coap_resource_t {
    guard("coap_get_resource_from_uri_path", || {
        let path = path_of(uri_path);
        let engine = engine!("coap_get_resource_from_uri_path", context);
        match engine.resources.find(&path) {
            crate::engine::resource::Found::Resource(id) => {
                engine.resources.get(id).map_or(std::ptr::null_mut(), |r| r.handle as *mut coap_resource_t)
            }
            _ => std::ptr::null_mut(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_get_uri_path(resource: *mut coap_resource_t) -> *mut coap_str_const_t {
    guard("coap_resource_get_uri_path", || handle!("coap_resource_get_uri_path", resource, ResourceCell).uri)
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_set_userdata(resource: *mut coap_resource_t, data: *mut c_void) {
    guard("coap_resource_set_userdata", || {
        if with_resource(resource, |r| r.user_data = data as usize).is_none() {
            crate::ffi::handle::refuse("coap_resource_set_userdata", "resource", "coap_resource_t", resource.is_null());
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_get_userdata(resource: *mut coap_resource_t) -> *mut c_void {
    guard("coap_resource_get_userdata", || {
        with_resource(resource, |r| r.user_data as *mut c_void).unwrap_or_else(|| {
            crate::ffi::handle::refuse("coap_resource_get_userdata", "resource", "coap_resource_t", resource.is_null());
            std::ptr::null_mut()
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_set_mode(resource: *mut coap_resource_t, mode: c_int) {
    guard("coap_resource_set_mode", || {
        const NOTIFY: u32 = COAP_RESOURCE_FLAGS_NOTIFY_CON | COAP_RESOURCE_FLAGS_NOTIFY_NON_ALWAYS;
        if with_resource(resource, |r| r.flags = (r.flags & !NOTIFY) | (mode as u32 & NOTIFY)).is_none() {
            crate::ffi::handle::refuse("coap_resource_set_mode", "resource", "coap_resource_t", resource.is_null());
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_resource_release_userdata_handler(context: *mut coap_context_t, callback: coap_resource_release_userdata_handler_t) {
    guard("coap_resource_release_userdata_handler", || {
        handle!("coap_resource_release_userdata_handler", context, ContextObj).handlers.release_userdata = callback
    })
}

/// Stores a method handler (coap_handler(3)); NULL removes it.
pub(crate) fn register(func: &str, resource: *mut coap_resource_t, method: RequestMethod, handler: coap_method_handler_t) {
    if !(1..=7).contains(&method) {
        log::warn!("{func}: unknown method {method}");
        return;
    }
    let token = handler.map_or(0, |f| f as usize);
    if with_resource(resource, |r| {
        if let Some(slot) = r.handlers.get_mut(method as usize - 1) {
            *slot = token;
        }
    })
    .is_none()
    {
        crate::ffi::handle::refuse(func, "resource", "coap_resource_t", resource.is_null());
    }
}

// ------------------------------------------------------------- attributes

fn str_bytes(s: *mut coap_str_const_t) -> Option<Vec<u8>> {
    // SAFETY: NULL or a caller-owned string (C contract).
    let s = unsafe { s.as_ref() }?;
    if s.s.is_null() {
        return Some(Vec::new());
    }
    // SAFETY: `s` points at `length` bytes.
    Some(unsafe { std::slice::from_raw_parts(s.s, s.length) }.to_vec())
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_attr(resource: *mut coap_resource_t, name: *mut coap_str_const_t, value: *mut coap_str_const_t, flags: c_int) -> *mut coap_attr_t {
    guard("coap_add_attr", || {
        handle!("coap_add_attr", resource, ResourceCell);
        let Some(name_bytes) = str_bytes(name).filter(|n| !n.is_empty()) else {
            log::warn!("coap_add_attr: attribute name is NULL or empty");
            return std::ptr::null_mut();
        };
        let value_bytes = str_bytes(value);
        let mut owned = Vec::new();
        if flags as u32 & COAP_ATTR_FLAGS_RELEASE_NAME != 0 {
            owned.push(name);
        }
        if flags as u32 & COAP_ATTR_FLAGS_RELEASE_VALUE != 0 && !value.is_null() {
            owned.push(value);
        }
        let copy = value_bytes.as_deref().map_or(std::ptr::null_mut(), new_str);
        let mut init = Some((copy, owned));
        let a = ATTRS.alloc(
            || {
                let (value, owned) = init.take().unwrap_or((std::ptr::null_mut(), Vec::new()));
                AttrCell { value, owned }
            },
            |_| {},
        );
        if let Some((value, owned)) = init {
            // SAFETY: `a` was just allocated and is not in use elsewhere.
            if let Some(c) = unsafe { get::<AttrCell>(a) } {
                c.value = value;
                c.owned = owned;
            }
        }
        with_resource(resource, |r| r.attrs.push(Attr { name: name_bytes.clone(), value: value_bytes, flags: flags as u32 }));
        // SAFETY: the handle was checked live at the top; no borrow remains.
        if let Some(cell) = unsafe { get::<ResourceCell>(resource) } {
            cell.attrs.push((name_bytes, a));
        }
        a
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_find_attr(resource: *mut coap_resource_t, name: *mut coap_str_const_t) -> *mut coap_attr_t {
    guard("coap_find_attr", || {
        let cell = handle!("coap_find_attr", resource, ResourceCell);
        let Some(want) = str_bytes(name) else {
            crate::ffi::boundary::null_arg("coap_find_attr", "name");
            return std::ptr::null_mut();
        };
        // The newest first, as libcoap keeps them (and lists them).
        cell.attrs.iter().rev().find(|(n, _)| *n == want).map_or(std::ptr::null_mut(), |(_, a)| *a)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_attr_get_value(attribute: *mut coap_attr_t) -> *mut coap_str_const_t {
    guard("coap_attr_get_value", || handle!("coap_attr_get_value", attribute, AttrCell).value)
}

/// The resource's link-format description, from `*offset` on, into `buf`
/// (`*len` bytes). As libcoap: `*len` is set to the whole link's length,
/// `*offset` is consumed (left past the link when it starts beyond it), and
/// the status carries the bytes written plus COAP_PRINT_STATUS_TRUNC when
/// the rest did not fit.
#[no_mangle]
pub unsafe extern "C" fn coap_print_link(resource: *const coap_resource_t, buf: *mut u8, len: *mut usize, offset: *mut usize) -> coap_print_status_t {
    guard("coap_print_link", || {
        let error = COAP_PRINT_STATUS_ERROR_VALUE;
        let Some(link) = with_resource(resource.cast_mut(), |r| r.link()) else {
            crate::ffi::handle::refuse("coap_print_link", "resource", "coap_resource_t", resource.is_null());
            return error;
        };
        let room = arg_mut!("coap_print_link", len, else error);
        let skip = arg_mut!("coap_print_link", offset, else error);
        let cap = *room;
        *room = link.len();
        if *skip >= link.len() {
            *skip -= link.len();
            return 0;
        }
        let rest = &link[*skip..];
        *skip = 0;
        let n = rest.len().min(cap);
        if n > 0 {
            if buf.is_null() {
                crate::ffi::boundary::null_arg("coap_print_link", "buf");
                return error;
            }
            // SAFETY: the caller provides `cap` >= n writable bytes at `buf`.
            unsafe { std::ptr::copy_nonoverlapping(rest.as_ptr(), buf, n) };
        }
        let trunc = if n < rest.len() { COAP_PRINT_STATUS_TRUNC_VALUE } else { 0 };
        n as coap_print_status_t | trunc
    })
}

const COAP_PRINT_STATUS_ERROR_VALUE: coap_print_status_t = 0x8000_0000;
const COAP_PRINT_STATUS_TRUNC_VALUE: coap_print_status_t = 0x4000_0000;
