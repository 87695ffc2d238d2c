//! coap_address(3), plus coap_print_addr / coap_print_ip_addr from
//! coap_logging(3): conversions between `coap_address_t` and the engine's
//! [`Address`].
use crate::engine::address::{self as engine, Address, UnixPath, UNIX_PATH_MAX};
use crate::ffi::boundary::guard;
use crate::ffi::types::{coap_address_t, coap_address_t_addr, coap_sockaddr_un, coap_str_const_t};
use std::ffi::{c_char, c_int, c_uchar};
use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const AF_INET: libc::sa_family_t = libc::AF_INET as libc::sa_family_t;
const AF_INET6: libc::sa_family_t = libc::AF_INET6 as libc::sa_family_t;
const AF_UNIX: libc::sa_family_t = libc::AF_UNIX as libc::sa_family_t;

/// `size` of an initialised address: the whole union, as libcoap sets it.
const UNION_SIZE: libc::socklen_t = size_of::<coap_address_t_addr>() as libc::socklen_t;

fn family(a: &coap_address_t) -> libc::sa_family_t {
    // SAFETY: every variant starts with the family field, and an address
    // passed in has at least that set (coap_address_init zeroes it all).
    unsafe { a.addr.sa.sa_family }
}

/// The engine's view of a C address; `None` for a family other than
/// AF_INET, AF_INET6 and AF_UNIX. Reads only the fields of the family.
pub fn from_c(a: &coap_address_t) -> Option<Address> {
    match family(a) {
        AF_INET => {
            // SAFETY: the family says the application filled in `sin`;
            // only its address and port are read.
            let (addr, port) = unsafe { (a.addr.sin.sin_addr.s_addr, a.addr.sin.sin_port) };
            Some(Address::V4(SocketAddrV4::new(Ipv4Addr::from(u32::from_be(addr)), u16::from_be(port))))
        }
        AF_INET6 => {
            // SAFETY: the family says `sin6` is filled in (all its fields
            // are plain integers).
            let s = unsafe { &a.addr.sin6 };
            Some(Address::V6(SocketAddrV6::new(
                Ipv6Addr::from(s.sin6_addr.s6_addr),
                u16::from_be(s.sin6_port),
                u32::from_be(s.sin6_flowinfo),
                s.sin6_scope_id,
            )))
        }
        AF_UNIX => {
            // SAFETY: the family says `cun` is filled in; the path is read
            // only up to its NUL below.
            let raw = unsafe { &a.addr.cun.sun_path };
            let mut path = [0u8; UNIX_PATH_MAX];
            for (dst, &src) in path.iter_mut().zip(raw.iter()) {
                *dst = src as u8;
                if src == 0 {
                    break;
                }
            }
            Some(Address::Unix(UnixPath::from_sun_path(&path)))
        }
        _ => None,
    }
}

fn zeroed_union() -> coap_address_t_addr {
    // sockaddr_in6 spans the whole union, so this zeroes every byte.
    coap_address_t_addr {
        sin6: libc::sockaddr_in6 {
            sin6_family: 0,
            sin6_port: 0,
            sin6_flowinfo: 0,
            sin6_addr: libc::in6_addr { s6_addr: [0; 16] },
            sin6_scope_id: 0,
        },
    }
}

/// A C address for `a`, zero outside the fields set. `size` is that of the
/// socket address (the whole union for AF_UNIX, as libcoap does).
pub fn to_c(a: &Address) -> coap_address_t {
    let mut addr = zeroed_union();
    let size = match a {
        Address::V4(s) => {
            addr.sin = libc::sockaddr_in {
                sin_family: AF_INET,
                sin_port: s.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from(*s.ip()).to_be() },
                sin_zero: [0; 8],
            };
            size_of::<libc::sockaddr_in>()
        }
        Address::V6(s) => {
            addr.sin6 = libc::sockaddr_in6 {
                sin6_family: AF_INET6,
                sin6_port: s.port().to_be(),
                sin6_flowinfo: s.flowinfo().to_be(),
                sin6_addr: libc::in6_addr { s6_addr: s.ip().octets() },
                sin6_scope_id: s.scope_id(),
            };
            size_of::<libc::sockaddr_in6>()
        }
        Address::Unix(p) => {
            addr.cun = coap_sockaddr_un { sun_family: AF_UNIX, sun_path: p.sun_path().map(|b| b as c_char) };
            size_of::<coap_address_t_addr>()
        }
    };
    coap_address_t { size: size as libc::socklen_t, addr }
}

/// Zeroes `addr` and sets its size to that of the union (AF_UNSPEC).
#[no_mangle]
pub unsafe extern "C" fn coap_address_init(addr: *mut coap_address_t) {
    guard("coap_address_init", || {
        let a = arg_mut!("coap_address_init", addr);
        *a = coap_address_t { size: UNION_SIZE, addr: zeroed_union() };
    })
}

/// Copies `src` into `dst` byte for byte.
#[no_mangle]
pub unsafe extern "C" fn coap_address_copy(dst: *mut coap_address_t, src: *const coap_address_t) {
    guard("coap_address_copy", || {
        let s = arg_ref!("coap_address_copy", src);
        let d = arg_mut!("coap_address_copy", dst);
        *d = *s;
    })
}

/// 1 when both have the same size and family and the same IP address and
/// port (IPv6 flow label and scope id are not compared) or the same Unix
/// path; 0 otherwise, always for AF_UNSPEC and unknown families.
#[no_mangle]
pub unsafe extern "C" fn coap_address_equals(a: *const coap_address_t, b: *const coap_address_t) -> c_int {
    guard("coap_address_equals", || {
        let a = arg_ref!("coap_address_equals", a);
        let b = arg_ref!("coap_address_equals", b);
        if a.size != b.size || family(a) != family(b) {
            return 0;
        }
        match (from_c(a), from_c(b)) {
            (Some(x), Some(y)) => c_int::from(x.same_endpoint(&y)),
            _ => 0,
        }
    })
}

/// The port of an AF_INET / AF_INET6 address in host byte order (libcoap
/// returns it so, whatever its man page says); 0 for other families.
#[no_mangle]
pub unsafe extern "C" fn coap_address_get_port(addr: *const coap_address_t) -> u16 {
    guard("coap_address_get_port", || {
        let a = arg_ref!("coap_address_get_port", addr);
        match from_c(a) {
            Some(x) => x.port().unwrap_or(0),
            None => {
                log::warn!("coap_address_get_port: address family {} has no port", family(a));
                0
            }
        }
    })
}

/// Sets the port (given in host byte order) of an AF_INET / AF_INET6
/// address; other families are left alone.
#[no_mangle]
pub unsafe extern "C" fn coap_address_set_port(addr: *mut coap_address_t, port: u16) {
    guard("coap_address_set_port", || {
        let a = arg_mut!("coap_address_set_port", addr);
        match family(a) {
            // Writing a port field of the union: plain integers, no reads.
            AF_INET => a.addr.sin.sin_port = port.to_be(),
            AF_INET6 => a.addr.sin6.sin6_port = port.to_be(),
            AF_UNIX => log::debug!("coap_address_set_port: a Unix domain address has no port"),
            f => log::warn!("coap_address_set_port: address family {f} has no port"),
        }
    })
}

/// Makes `addr` the AF_UNIX address named by a URI host (`%2F` decoded to
/// `/`). 0, `addr` unchanged, when the decoded path is empty, holds a NUL
/// or does not fit sun_path with its NUL (25 bytes at most).
#[no_mangle]
pub unsafe extern "C" fn coap_address_set_unix_domain(addr: *mut coap_address_t, host: *const u8, host_len: usize) -> c_int {
    guard("coap_address_set_unix_domain", || {
        let a = arg_mut!("coap_address_set_unix_domain", addr);
        let host = arg_bytes!("coap_address_set_unix_domain", host, host_len);
        match UnixPath::from_uri_host(host) {
            Ok(path) => {
                *a = to_c(&Address::Unix(path));
                1
            }
            Err(e) => {
                log::warn!("coap_address_set_unix_domain: {e}");
                0
            }
        }
    })
}

/// 1 when the URI host starts with `%2F` (either case) or `/`.
#[no_mangle]
pub unsafe extern "C" fn coap_host_is_unix_domain(host: *const coap_str_const_t) -> c_int {
    guard("coap_host_is_unix_domain", || {
        let h = arg_ref!("coap_host_is_unix_domain", host);
        let bytes = arg_bytes!("coap_host_is_unix_domain", h.s, h.length);
        c_int::from(engine::host_is_unix_domain(bytes))
    })
}

/// 1 for an IPv4 (224.0.0.0/4), IPv6 (ff00::/8) or IPv4-mapped multicast
/// address.
#[no_mangle]
pub unsafe extern "C" fn coap_is_mcast(addr: *const coap_address_t) -> c_int {
    guard("coap_is_mcast", || {
        let a = arg_ref!("coap_is_mcast", addr);
        c_int::from(from_c(a).is_some_and(|x| x.is_multicast()))
    })
}

/// 1 for 255.255.255.255 or the directed broadcast address of one of this
/// host's interfaces (looked up at most every 30 s), as IPv4 or
/// IPv4-mapped IPv6.
#[no_mangle]
pub unsafe extern "C" fn coap_is_bcast(addr: *const coap_address_t) -> c_int {
    guard("coap_is_bcast", || {
        let a = arg_ref!("coap_is_bcast", addr);
        let Some(x) = from_c(a) else { return 0 };
        if x.is_broadcast(&[]) {
            return 1;
        }
        if matches!(x, Address::Unix(_)) {
            return 0;
        }
        c_int::from(x.is_broadcast(&local_broadcasts()))
    })
}

/// 1 for an AF_UNIX address.
#[no_mangle]
pub unsafe extern "C" fn coap_is_af_unix(addr: *const coap_address_t) -> c_int {
    guard("coap_is_af_unix", || {
        let a = arg_ref!("coap_is_af_unix", addr);
        c_int::from(family(a) == AF_UNIX)
    })
}

const BROADCAST_REFRESH: Duration = Duration::from_secs(30);
static BROADCASTS: Mutex<Option<(Instant, Vec<Ipv4Addr>)>> = Mutex::new(None);

/// The directed broadcast addresses of the host's IPv4 interfaces, cached
/// for [`BROADCAST_REFRESH`].
fn local_broadcasts() -> Vec<Ipv4Addr> {
    let mut cache = BROADCASTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((at, list)) = cache.as_ref() {
        if at.elapsed() < BROADCAST_REFRESH {
            return list.clone();
        }
    }
    let list = read_interface_broadcasts();
    *cache = Some((Instant::now(), list.clone()));
    list
}

fn read_interface_broadcasts() -> Vec<Ipv4Addr> {
    let mut list = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head that freeifaddrs releases below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        log::warn!("coap_is_bcast: cannot list the interfaces: {}", std::io::Error::last_os_error());
        return list;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the live list from getifaddrs; for an
        // AF_INET entry ifa_addr and (if set) ifa_netmask are sockaddr_in.
        unsafe {
            let ifa = &*cur;
            let is_v4 = !ifa.ifa_addr.is_null() && (*ifa.ifa_addr).sa_family == AF_INET;
            if is_v4 && ifa.ifa_flags & libc::IFF_BROADCAST as u32 != 0 && !ifa.ifa_netmask.is_null() {
                let ip = (*ifa.ifa_addr.cast::<libc::sockaddr_in>()).sin_addr.s_addr;
                let mask = (*ifa.ifa_netmask.cast::<libc::sockaddr_in>()).sin_addr.s_addr;
                let ip = Ipv4Addr::from(u32::from_be(ip));
                let mask = Ipv4Addr::from(u32::from_be(mask));
                list.extend(engine::directed_broadcast(ip, mask));
            }
            cur = ifa.ifa_next;
        }
    }
    // SAFETY: `head` came from getifaddrs and is released once.
    unsafe { libc::freeifaddrs(head) };
    list
}

/// Writes the address and port as text into `buf` of `len` bytes (always
/// NUL-terminated when `len` > 0) and returns libcoap 4.3.1's result: see
/// [`engine::print_addr`]. Bad arguments give 0.
#[no_mangle]
pub unsafe extern "C" fn coap_print_addr(addr: *const coap_address_t, buf: *mut c_uchar, len: usize) -> usize {
    guard("coap_print_addr", || {
        // SAFETY: the caller's contract for `buf` of `len` bytes.
        let Some(out) = (unsafe { out_buf("coap_print_addr", buf, len) }) else { return 0 };
        let a = arg_ref!("coap_print_addr", addr, else {
            out[0] = 0;
            0
        });
        engine::print_addr(from_c(a).as_ref(), out)
    })
}

/// Writes the address without port into `buf` of `len` bytes and returns
/// `buf` (empty text when the buffer is too small for an IP address). NULL
/// for bad arguments.
#[no_mangle]
pub unsafe extern "C" fn coap_print_ip_addr(addr: *const coap_address_t, buf: *mut c_char, len: usize) -> *const c_char {
    guard("coap_print_ip_addr", || {
        // SAFETY: as in coap_print_addr.
        let Some(out) = (unsafe { out_buf("coap_print_ip_addr", buf.cast(), len) }) else {
            return std::ptr::null();
        };
        let a = arg_ref!("coap_print_ip_addr", addr, else {
            out[0] = 0;
            std::ptr::null()
        });
        engine::print_ip_addr(from_c(a).as_ref(), out);
        buf.cast_const()
    })
}

/// The output buffer of the print functions; `None`, logged, for NULL or
/// 0 bytes.
///
/// # Safety
/// A non-NULL `buf` points to `len` writable bytes.
unsafe fn out_buf<'a>(func: &str, buf: *mut u8, len: usize) -> Option<&'a mut [u8]> {
    if buf.is_null() {
        crate::ffi::boundary::null_arg(func, "buf");
        return None;
    }
    if len == 0 {
        log::warn!("{func}: buffer length 0");
        return None;
    }
    // SAFETY: non-NULL, `len` bytes long by the caller's contract.
    Some(unsafe { std::slice::from_raw_parts_mut(buf, len) })
}
