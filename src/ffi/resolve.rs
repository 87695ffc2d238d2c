//! coap_address(3), the resolving part: coap_resolve_address_info,
//! coap_free_address_info and coap_get_available_scheme_hint_bits.
//!
//! A scheme yields addresses only when this build supports its protocol
//! (asked through the same coap_*_is_supported() the application sees), so
//! schemes start resolving as transports are built. Debian's 4.3.1 has none
//! of these functions; the behaviour follows the 4.3.3 man page.
use crate::engine::address::{host_is_unix_domain, Address, UnixPath};
use crate::ffi::boundary::guard;
use crate::ffi::types::*;
use std::collections::HashSet;
use std::ffi::{c_int, CStr, CString};
use std::sync::{Mutex, PoisonError};

/// libcoap resolves host names of up to 255 bytes.
const MAX_HOST: usize = 255;

fn supported(f: extern "C" fn() -> c_int) -> bool {
    f() != 0
}

/// The protocol a scheme runs over, if this build supports it.
fn scheme_proto(scheme: u32) -> Option<Proto> {
    use crate::ffi::tls_library::{coap_dtls_is_supported, coap_tcp_is_supported, coap_tls_is_supported};
    use crate::ffi::websockets::{coap_ws_is_supported, coap_wss_is_supported};
    let (proto, ok) = match scheme {
        0 => (coap_proto_t::COAP_PROTO_UDP, true),
        1 => (coap_proto_t::COAP_PROTO_DTLS, supported(coap_dtls_is_supported)),
        2 => (coap_proto_t::COAP_PROTO_TCP, supported(coap_tcp_is_supported)),
        3 => (coap_proto_t::COAP_PROTO_TLS, supported(coap_tls_is_supported)),
        4 => (coap_proto_t::COAP_PROTO_NONE, supported(coap_tcp_is_supported)),
        5 => (coap_proto_t::COAP_PROTO_NONE, supported(coap_tls_is_supported)),
        6 => (coap_proto_t::COAP_PROTO_WS, supported(coap_ws_is_supported)),
        7 => (coap_proto_t::COAP_PROTO_WSS, supported(coap_wss_is_supported)),
        _ => return None,
    };
    ok.then_some(proto as Proto)
}

/// Which of the four ports a scheme takes, and its default.
fn scheme_port(scheme: u32, ports: [u16; 4]) -> (u16, u16) {
    let [plain, secure, ws, ws_secure] = ports;
    match scheme {
        0 | 2 => (plain, COAP_DEFAULT_PORT),
        1 | 3 => (secure, COAPS_DEFAULT_PORT),
        4 => (plain, 80),
        5 => (secure, 443),
        6 => (ws, 80),
        _ => (ws_secure, 443),
    }
}

const SCHEMES: u32 = coap_uri_scheme_t::COAP_URI_SCHEME_LAST as u32;

#[no_mangle]
pub extern "C" fn coap_get_available_scheme_hint_bits(have_pki_psk: c_int, ws_check: c_int, use_unix_proto: Proto) -> u32 {
    guard("coap_get_available_scheme_hint_bits", || {
        let secure_ok = have_pki_psk != 0;
        let wanted = |scheme: u32| match scheme {
            1 | 3 => secure_ok,
            4 | 5 => false, // HTTP(S) is for proxies, never served
            6 => ws_check != 0,
            7 => ws_check != 0 && secure_ok,
            _ => true,
        };
        let unix_scheme = match use_unix_proto {
            p if p == coap_proto_t::COAP_PROTO_UDP as Proto => Some(0),
            p if p == coap_proto_t::COAP_PROTO_DTLS as Proto => Some(1),
            p if p == coap_proto_t::COAP_PROTO_TCP as Proto => Some(2),
            p if p == coap_proto_t::COAP_PROTO_TLS as Proto => Some(3),
            p if p == coap_proto_t::COAP_PROTO_WS as Proto => Some(6),
            p if p == coap_proto_t::COAP_PROTO_WSS as Proto => Some(7),
            _ => None,
        };
        match unix_scheme {
            // One AF_UNIX endpoint: that protocol alone, if it is built
            // (libcoap answers its bit even when it is not).
            Some(s) => scheme_proto(s).map_or(0, |_| 1 << s),
            None => (0..SCHEMES).filter(|&s| wanted(s) && scheme_proto(s).is_some()).fold(0, |bits, s| bits | 1 << s),
        }
    })
}

/// Every node this library handed out and has not freed, so a double free
/// or a foreign list is refused instead of corrupting the heap.
static NODES: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn zero_addr() -> coap_address_t {
    // SAFETY: all-zero is a valid coap_address_t (AF_UNSPEC).
    unsafe { std::mem::zeroed() }
}

/// Links `infos` into a C list (in order) and records the nodes.
fn into_list(infos: Vec<(u32, Proto, coap_address_t)>) -> *mut coap_addr_info_t {
    let mut head: *mut coap_addr_info_t = std::ptr::null_mut();
    let mut nodes = NODES.lock().unwrap_or_else(PoisonError::into_inner);
    let live = nodes.get_or_insert_with(HashSet::new);
    for (scheme, proto, addr) in infos.into_iter().rev() {
        let node = Box::into_raw(Box::new(coap_addr_info_t { next: head, scheme, proto, addr }));
        live.insert(node as usize);
        head = node;
    }
    head
}

#[no_mangle]
pub unsafe extern "C" fn coap_free_address_info(info_list: *mut coap_addr_info_t) {
    guard("coap_free_address_info", || {
        let mut nodes = NODES.lock().unwrap_or_else(PoisonError::into_inner);
        let mut p = info_list;
        while !p.is_null() {
            if !nodes.as_mut().is_some_and(|s| s.remove(&(p as usize))) {
                log::error!("coap_free_address_info: {p:p} is not a live coap_addr_info_t (freed twice?)");
                return;
            }
            // SAFETY: `p` was in the live set: a Box we made, now removed
            // from the set, so freed exactly once.
            let node = unsafe { Box::from_raw(p) };
            p = node.next;
        }
    })
}

/// The AF_UNIX entry for a `%2F`-encoded host: one entry, for the first
/// scheme in the hints (none if this build lacks its protocol).
fn resolve_unix(host: &[u8], hints: u32) -> Option<Vec<(u32, Proto, coap_address_t)>> {
    if host.len() >= COAP_UNIX_PATH_MAX {
        log::error!("coap_resolve_address_info: Unix domain host of {} bytes is too long", host.len());
        return None;
    }
    let scheme = (0..SCHEMES).find(|s| hints & (1 << s) != 0)?;
    let proto = scheme_proto(scheme)?;
    match UnixPath::from_uri_host(host) {
        Ok(path) => Some(vec![(scheme, proto, crate::ffi::address::to_c(&Address::Unix(path)))]),
        Err(e) => {
            log::warn!("coap_resolve_address_info: {e}");
            None
        }
    }
}

/// The addresses getaddrinfo() gives for `host`, in its order (IPv4 and
/// IPv6 only, each as coap_address_t).
fn lookup(host: &CStr, flags: c_int) -> Option<Vec<coap_address_t>> {
    // SAFETY: all-zero is a valid addrinfo hints value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_flags = flags;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: a NUL-terminated host, valid hints, and an out pointer.
    let rc = unsafe { libc::getaddrinfo(host.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if rc != 0 {
        // SAFETY: gai_strerror returns a static string for any code.
        let why = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) };
        log::warn!("getaddrinfo: {}: {}", host.to_string_lossy(), why.to_string_lossy());
        return None;
    }
    let mut out = Vec::new();
    let mut p = res;
    // SAFETY: walking the list getaddrinfo returned, before freeing it.
    while let Some(ai) = unsafe { p.as_ref() } {
        p = ai.ai_next;
        let len = ai.ai_addrlen as usize;
        let family_ok = ai.ai_family == libc::AF_INET || ai.ai_family == libc::AF_INET6;
        if !family_ok || ai.ai_addr.is_null() || len > std::mem::size_of::<coap_address_t_addr>() {
            continue;
        }
        let mut a = zero_addr();
        // SAFETY: ai_addr holds ai_addrlen bytes, which fit the union.
        unsafe { std::ptr::copy_nonoverlapping(ai.ai_addr.cast::<u8>(), std::ptr::addr_of_mut!(a.addr).cast::<u8>(), len) };
        a.size = ai.ai_addrlen;
        out.push(a);
    }
    // SAFETY: `res` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Some(out)
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn coap_resolve_address_info(
    address: *const coap_str_const_t,
    port: u16,
    secure_port: u16,
    ws_port: u16,
    ws_secure_port: u16,
    ai_hints_flags: c_int,
    scheme_hint_bits: c_int,
    typ: ResolveType,
) -> *mut coap_addr_info_t {
    guard("coap_resolve_address_info", || {
        let func = "coap_resolve_address_info";
        // SAFETY: NULL or a caller-owned string (C contract).
        let host = match unsafe { address.as_ref() } {
            Some(a) => arg_bytes!(func, a.s, a.length),
            None => &[][..],
        };
        let hints = scheme_hint_bits as u32;
        if host_is_unix_domain(host) {
            return resolve_unix(host, hints).map_or(std::ptr::null_mut(), into_list);
        }
        let host = if host.is_empty() { &b"localhost"[..] } else { host };
        if host.len() > MAX_HOST {
            log::warn!("{func}: host name of {} bytes is longer than {MAX_HOST}", host.len());
            return std::ptr::null_mut();
        }
        let Ok(host) = CString::new(host) else {
            log::warn!("{func}: host name holds a NUL byte");
            return std::ptr::null_mut();
        };
        let Some(addrs) = lookup(&host, ai_hints_flags) else { return std::ptr::null_mut() };
        // Servers (local side) listen on the default port when given 0.
        let default_for_zero = typ == coap_resolve_type_t::COAP_RESOLVE_TYPE_LOCAL as ResolveType;
        let ports = [port, secure_port, ws_port, ws_secure_port];
        let mut infos: Vec<(u32, Proto, coap_address_t)> = Vec::new();
        for a in &addrs {
            for scheme in (0..SCHEMES).filter(|s| hints & (1 << s) != 0) {
                let Some(proto) = scheme_proto(scheme) else { continue };
                let (p, default) = scheme_port(scheme, ports);
                let mut addr = *a;
                let port = if p == 0 && default_for_zero { default } else { p };
                // SAFETY: `addr` is a local copy of an AF_INET/AF_INET6 address.
                unsafe { crate::ffi::address::coap_address_set_port(&mut addr, port) };
                let dup = infos.iter().any(|(s, pr, x)| {
                    // SAFETY: both are addresses built above.
                    *s == scheme && *pr == proto && unsafe { crate::ffi::address::coap_address_equals(x, &addr) } != 0
                });
                if !dup {
                    infos.push((scheme, proto, addr));
                }
            }
        }
        if infos.is_empty() {
            log::debug!("{func}: no address for the schemes 0x{hints:x} this build supports");
            return std::ptr::null_mut();
        }
        into_list(infos)
    })
}
