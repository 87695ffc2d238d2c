//! coap_uri(3) and the URI helpers of coap_pdu_setup(3) / coap_pdu_access(3):
//! splitting URIs, paths and queries, turning a URI into options, and
//! reading a request's path and query back as strings.
//!
//! coap_new_uri and coap_clone_uri return one malloc() block holding the
//! coap_uri_t and the text it points into, so coap_delete_uri (or
//! coap_free) is one free(), as with libcoap.
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::types::*;
use crate::proto::option;
use crate::proto::show;
use crate::proto::uri::{self, Scheme, Uri, UriError};
use std::ffi::{c_char, c_int, c_uint, CStr};
use std::mem::size_of;

fn log_uri_error(func: &str, e: UriError) {
    let why = match e {
        UriError::BadScheme => "unknown scheme",
        UriError::NoAuthority => "scheme not followed by \"://\"",
        UriError::BadHost => "missing or malformed host",
        UriError::HostTooLong => "host longer than 255 bytes",
        UriError::BadPort => "malformed port or text after the host",
        UriError::PortRange => "port above 65535",
        UriError::BadEscape => "malformed %-escape",
    };
    log::warn!("{func}: invalid URI: {why}");
}

fn str_const(s: Option<&[u8]>) -> coap_str_const_t {
    match s {
        Some(s) => coap_str_const_t { length: s.len(), s: s.as_ptr() },
        None => coap_str_const_t { length: 0, s: std::ptr::null() },
    }
}

/// A split URI as C sees it; the components point into the split text.
fn to_c(u: &Uri<'_>) -> coap_uri_t {
    coap_uri_t {
        host: str_const(Some(u.host)),
        port: u.port,
        path: str_const(u.path),
        query: str_const(u.query),
        scheme: u.scheme as UriScheme,
    }
}

/// Splits `text` with the checks this build adds to the protocol core's:
/// WebSocket schemes are refused while WebSockets are not supported, and
/// errors carry libcoap's return value (a "coap" prefix followed by
/// anything but "://" is -2, as in libcoap).
fn split_checked<'a>(func: &str, text: &'a [u8], proxy: bool) -> Result<Uri<'a>, c_int> {
    let parsed = if proxy { uri::split_proxy_uri(text) } else { uri::split_uri(text) };
    match parsed {
        Ok(u) if matches!(u.scheme, Scheme::CoapWs | Scheme::CoapsWs) && crate::ffi::websockets::coap_ws_is_supported() == 0 => {
            log::warn!("{func}: invalid URI: {}:// needs WebSockets, not supported by this build", u.scheme.name());
            Err(-2)
        }
        Ok(u) => Ok(u),
        Err(e) => {
            log_uri_error(func, e);
            let coap_prefix = text.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"coap"));
            Err(if e == UriError::BadScheme && coap_prefix { -2 } else { e.code() })
        }
    }
}

/// Shared body of coap_split_uri and coap_split_proxy_uri.
unsafe fn split_export(func: &'static str, s: *const u8, len: usize, out: *mut coap_uri_t, proxy: bool) -> c_int {
    let text = arg_bytes!(func, s, len, else -1);
    let out = arg_mut!(func, out, else -1);
    match split_checked(func, text, proxy) {
        Ok(u) => {
            *out = to_c(&u);
            0
        }
        Err(code) => {
            // As libcoap, which clears the struct before it parses.
            *out = coap_uri_t {
                host: str_const(None),
                port: crate::ffi::types::consts::COAP_DEFAULT_PORT,
                path: str_const(None),
                query: str_const(None),
                scheme: Scheme::Coap as UriScheme,
            };
            code
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_split_uri(str_var: *const u8, len: usize, uri: *mut coap_uri_t) -> c_int {
    // SAFETY: forwarding the caller's pointers with the same contract.
    guard("coap_split_uri", || unsafe { split_export("coap_split_uri", str_var, len, uri, false) })
}

#[no_mangle]
pub unsafe extern "C" fn coap_split_proxy_uri(str_var: *const u8, len: usize, uri: *mut coap_uri_t) -> c_int {
    // SAFETY: forwarding the caller's pointers with the same contract.
    guard("coap_split_proxy_uri", || unsafe { split_export("coap_split_proxy_uri", str_var, len, uri, true) })
}

/// A malloc'ed block: a coap_uri_t followed by `text` (and a NUL), with
/// the struct's components pointing into the copy. `fill` splits the copy.
fn uri_block(func: &str, text: &[u8], fill: impl FnOnce(&[u8]) -> Option<coap_uri_t>) -> *mut coap_uri_t {
    let Some(total) = size_of::<coap_uri_t>().checked_add(text.len()).and_then(|n| n.checked_add(1)) else {
        log::warn!("{func}: URI too long");
        return std::ptr::null_mut();
    };
    // SAFETY: malloc has no preconditions; checked for NULL below.
    let block = unsafe { libc::malloc(total) }.cast::<coap_uri_t>();
    if block.is_null() {
        log::error!(target: "coap::crit", "{func}: out of memory");
        return block;
    }
    // SAFETY: the block has room for the struct followed by text.len() + 1
    // bytes; the copy cannot overlap the fresh block.
    let copy = unsafe {
        let data = block.add(1).cast::<u8>();
        std::ptr::copy_nonoverlapping(text.as_ptr(), data, text.len());
        *data.add(text.len()) = 0;
        std::slice::from_raw_parts(data, text.len())
    };
    match fill(copy) {
        Some(u) => {
            // SAFETY: the block is aligned for coap_uri_t (malloc) and ours.
            unsafe { block.write(u) };
            block
        }
        None => {
            // SAFETY: allocated above and not handed out.
            unsafe { libc::free(block.cast()) };
            std::ptr::null_mut()
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_uri(uri_def: *const u8, length: c_uint) -> *mut coap_uri_t {
    guard("coap_new_uri", || {
        let text = arg_bytes!("coap_new_uri", uri_def, length as usize);
        uri_block("coap_new_uri", text, |copy| split_checked("coap_new_uri", copy, false).ok().map(|u| to_c(&u)))
    })
}

/// The bytes of a C string component; None (logged) if it is NULL with a
/// length.
///
/// # Safety
/// A non-NULL `s.s` points to `s.length` readable bytes.
unsafe fn component<'a>(func: &str, what: &str, s: &coap_str_const_t) -> Option<&'a [u8]> {
    if s.s.is_null() {
        if s.length != 0 {
            log::warn!("{func}: uri {what} is NULL with length {}", s.length);
            return None;
        }
        return Some(&[]);
    }
    // SAFETY: per the contract.
    Some(unsafe { std::slice::from_raw_parts(s.s, s.length) })
}

#[no_mangle]
pub unsafe extern "C" fn coap_clone_uri(uri: *const coap_uri_t) -> *mut coap_uri_t {
    guard("coap_clone_uri", || {
        let u = arg_ref!("coap_clone_uri", uri);
        // SAFETY: the components of a coap_uri_t point to their bytes (C contract).
        let parts = unsafe {
            (
                component("coap_clone_uri", "host", &u.host),
                component("coap_clone_uri", "path", &u.path),
                component("coap_clone_uri", "query", &u.query),
            )
        };
        let (Some(host), Some(path), Some(query)) = parts else { return std::ptr::null_mut() };
        // host NUL path NUL query NUL, the last NUL added by uri_block.
        let mut text = Vec::with_capacity(host.len() + path.len() + query.len() + 2);
        for (i, p) in [host, path, query].iter().enumerate() {
            if i > 0 {
                text.push(0);
            }
            text.extend_from_slice(p);
        }
        let (port, scheme) = (u.port, u.scheme);
        uri_block("coap_clone_uri", &text, |copy| {
            let (h, rest) = copy.split_at(host.len());
            let rest = rest.get(1..).unwrap_or_default();
            let (p, rest) = rest.split_at(path.len().min(rest.len()));
            let q = rest.get(1..).unwrap_or_default();
            // Empty components are {0, NULL}, as libcoap clones them.
            let part = |s: &[u8]| str_const((!s.is_empty()).then_some(s));
            Some(coap_uri_t { host: part(h), port, path: part(p), query: part(q), scheme })
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_uri(uri: *mut coap_uri_t) {
    // SAFETY: NULL or a block from coap_new_uri / coap_clone_uri.
    guard("coap_delete_uri", || unsafe { libc::free(uri.cast()) })
}

/// Writes `segs` into `buf` as options with delta 0, skipping a segment that
/// does not fit; returns the count written and sets `*buflen` to the bytes
/// used.
unsafe fn write_segments(func: &str, segs: &[Vec<u8>], buf: *mut u8, buflen: *mut usize) -> c_int {
    // SAFETY: NULL or the caller's writable size (C contract).
    let Some(cap) = (unsafe { buflen.as_mut() }) else {
        crate::ffi::boundary::null_arg(func, "buflen");
        return -1;
    };
    if buf.is_null() && *cap != 0 {
        crate::ffi::boundary::null_arg(func, "buffer");
        return -1;
    }
    let out: &mut [u8] = if buf.is_null() {
        &mut []
    } else {
        // SAFETY: the caller provides *buflen writable bytes at `buf`.
        unsafe { std::slice::from_raw_parts_mut(buf, *cap) }
    };
    let (mut used, mut count, mut skipped) = (0usize, 0, 0);
    for seg in segs {
        let Some(room) = out.get_mut(used..) else { break };
        if option::encoded_size(0, seg.len()) > room.len() {
            skipped += 1;
            continue;
        }
        match option::encode(room, 0, seg) {
            Ok(n) => {
                used += n;
                count += 1;
            }
            Err(_) => skipped += 1,
        }
    }
    if skipped > 0 {
        log::warn!("{func}: buffer of {} bytes too small: {skipped} component(s) left out", *cap);
    }
    *cap = used;
    count
}

/// Shared body of coap_split_path and coap_split_query.
unsafe fn split_parts(func: &'static str, s: *const u8, length: usize, buf: *mut u8, buflen: *mut usize, query: bool) -> c_int {
    let text = arg_bytes!(func, s, length, else -1);
    // A part with a broken %-escape is left out (as libcoap does); say so.
    let end = text
        .iter()
        .position(|&c| c == b'#' || (!query && c == b'?'))
        .unwrap_or(text.len());
    if uri::percent_decode(text.get(..end).unwrap_or_default()).is_err() {
        log::warn!("{func}: component with a malformed %-escape left out");
    }
    let segs = if query { uri::split_query(text) } else { uri::split_path(text) };
    // SAFETY: forwarding the caller's pointers with the same contract.
    unsafe { write_segments(func, &segs, buf, buflen) }
}

#[no_mangle]
pub unsafe extern "C" fn coap_split_path(s: *const u8, length: usize, buf: *mut u8, buflen: *mut usize) -> c_int {
    // SAFETY: forwarding the caller's pointers with the same contract.
    guard("coap_split_path", || unsafe { split_parts("coap_split_path", s, length, buf, buflen, false) })
}

#[no_mangle]
pub unsafe extern "C" fn coap_split_query(s: *const u8, length: usize, buf: *mut u8, buflen: *mut usize) -> c_int {
    // SAFETY: forwarding the caller's pointers with the same contract.
    guard("coap_split_query", || unsafe { split_parts("coap_split_query", s, length, buf, buflen, true) })
}

/// True if `host` (without any `%interface` suffix) is how `dst` prints.
unsafe fn host_is_address(host: &[u8], dst: *const coap_address_t) -> bool {
    let host = host.split(|&c| c == b'%').next().unwrap_or_default();
    let mut text = [0 as c_char; 64];
    // SAFETY: `dst` is a caller's address (C contract); the buffer is ours.
    let p = unsafe { crate::ffi::address::coap_print_ip_addr(dst, text.as_mut_ptr(), text.len()) };
    if p.is_null() {
        return false;
    }
    // SAFETY: coap_print_ip_addr NUL-terminates inside `text`.
    unsafe { CStr::from_ptr(text.as_ptr()) }.to_bytes() == host
}

#[no_mangle]
pub unsafe extern "C" fn coap_uri_into_options(
    uri: *const coap_uri_t,
    dst: *const coap_address_t,
    optlist_chain: *mut *mut coap_optlist_t,
    create_port_host_opt: c_int,
    buf: *mut u8,
    buflen: usize,
) -> c_int {
    const F: &str = "coap_uri_into_options";
    guard(F, || {
        let u = arg_ref!(F, uri, else -1);
        let chain = arg_mut!(F, optlist_chain, else -1);
        // SAFETY: the components of a coap_uri_t point to their bytes (C contract).
        let parts = unsafe { (component(F, "host", &u.host), component(F, "path", &u.path), component(F, "query", &u.query)) };
        let (Some(host), Some(path), Some(query)) = parts else { return -1 };
        let Some(scheme) = u8::try_from(u.scheme).ok().and_then(Scheme::from_u8) else {
            log::warn!("{F}: unknown scheme {}", u.scheme);
            return -1;
        };
        let need = path.len().max(query.len());
        if need > 0 && (buf.is_null() || buflen < need) {
            log::warn!("{F}: scratch buffer of {buflen} bytes is smaller than the {need} bytes of path or query");
            return -1;
        }
        if uri::percent_decode(path).is_err() || uri::percent_decode(query).is_err() {
            // Left out, as coap_split_path() and coap_split_query() leave
            // them out, and as libcoap does here.
            log::warn!("{F}: a path segment or query argument with a malformed %-escape is left out");
        }
        let split = Uri {
            scheme,
            host,
            port: u.port,
            path: (!path.is_empty()).then_some(path),
            query: (!query.is_empty()).then_some(query),
        };
        let ports = create_port_host_opt != 0 && !uri::is_unix_host(host);
        // SAFETY: `dst` is NULL or a caller's address (C contract).
        let with_host = ports && !dst.is_null() && !host.is_empty() && !unsafe { host_is_address(host, dst) };
        let opts = uri::uri_options(&split, with_host, ports);
        let mut nodes = Vec::with_capacity(opts.len());
        for (number, value) in &opts {
            // SAFETY: `value` is a live slice of value.len() bytes.
            let node = unsafe { crate::ffi::optlist::coap_new_optlist(*number, value.len(), value.as_ptr()) };
            if node.is_null() {
                for n in nodes {
                    // SAFETY: nodes made just above, not yet in any chain.
                    unsafe { crate::ffi::optlist::coap_delete_optlist(n) };
                }
                return -1;
            }
            nodes.push(node);
        }
        for n in nodes {
            // SAFETY: `chain` is the caller's chain; `n` is a fresh node.
            unsafe { crate::ffi::optlist::coap_insert_optlist(chain, n) };
        }
        0
    })
}

/// A coap_string_t allocated as coap_new_string does, holding `text`.
fn new_string(text: &[u8]) -> *mut coap_string_t {
    let s = crate::ffi::string::coap_new_string(text.len());
    if !s.is_null() {
        // SAFETY: coap_new_string made room for text.len() bytes at `s`.
        unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), (*s).s, text.len()) };
    }
    s
}

#[no_mangle]
pub unsafe extern "C" fn coap_get_uri_path(request: *const coap_pdu_t) -> *mut coap_string_t {
    guard("coap_get_uri_path", || {
        let obj = handle!("coap_get_uri_path", request, PduObj);
        let segs = obj.pdu.options().map_while(Result::ok).filter(|o| o.number == option::URI_PATH).map(|o| o.value);
        new_string(&show::uri_path_string(segs))
    })
}

/// The query, or NULL when the request has none (or only an empty one), as
/// libcoap answers.
#[no_mangle]
pub unsafe extern "C" fn coap_get_query(request: *const coap_pdu_t) -> *mut coap_string_t {
    guard("coap_get_query", || {
        let obj = handle!("coap_get_query", request, PduObj);
        let args = obj.pdu.options().map_while(Result::ok).filter(|o| o.number == option::URI_QUERY).map(|o| o.value);
        let text = show::uri_query_string(args);
        if text.is_empty() {
            return std::ptr::null_mut();
        }
        new_string(&text)
    })
}
