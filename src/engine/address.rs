//! Socket addresses as the engine sees them: IPv4, IPv6 or a Unix domain
//! path no longer than libcoap's `coap_sockaddr_un` holds. `Address` is
//! `Copy` and hashable so sessions can be found by peer address; the C
//! `coap_address_t` converts to and from it in `ffi::address`.
//!
//! The text forms are libcoap's: `192.0.2.1:5683`, `[2001:db8::1]:5683`,
//! and a Unix path in single quotes; IPv6 text follows glibc's inet_ntop(3)
//! (RFC 5952 zero compression, embedded IPv4 for `::a.b.c.d` and
//! `::ffff:a.b.c.d`).
use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

/// Bytes of `sun_path` in libcoap's `coap_sockaddr_un`, NUL included.
pub const UNIX_PATH_MAX: usize = 26;

/// A Unix domain socket path of at most [`UNIX_PATH_MAX`] bytes. Paths made
/// by [`UnixPath::new`] leave room for the NUL; paths read from a socket
/// address may use all bytes, and may be empty (an unbound peer).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnixPath {
    len: u8,
    bytes: [u8; UNIX_PATH_MAX],
}

/// Why a path cannot be a Unix domain address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnixPathError {
    Empty,
    /// The path's length (after %2F decoding); at most UNIX_PATH_MAX - 1 fit.
    TooLong(usize),
    /// A NUL byte inside the path.
    Nul,
}

impl fmt::Display for UnixPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty Unix domain path"),
            Self::TooLong(n) => {
                write!(f, "Unix domain path of {n} bytes too long (at most {})", UNIX_PATH_MAX - 1)
            }
            Self::Nul => f.write_str("NUL byte in Unix domain path"),
        }
    }
}

impl UnixPath {
    /// A path given by the application: 1 to UNIX_PATH_MAX - 1 bytes (the
    /// NUL must fit), no NUL inside.
    pub fn new(path: &[u8]) -> Result<Self, UnixPathError> {
        if path.is_empty() {
            return Err(UnixPathError::Empty);
        }
        if path.contains(&0) {
            return Err(UnixPathError::Nul);
        }
        if path.len() >= UNIX_PATH_MAX {
            return Err(UnixPathError::TooLong(path.len()));
        }
        Ok(Self::raw(path))
    }

    /// A path from a URI host, where `%2F` (or `%2f`) stands for `/`.
    pub fn from_uri_host(host: &[u8]) -> Result<Self, UnixPathError> {
        let mut out = Vec::with_capacity(host.len());
        let mut i = 0;
        while i < host.len() {
            if is_encoded_slash(&host[i..]) {
                out.push(b'/');
                i += 3;
            } else {
                out.push(host[i]);
                i += 1;
            }
        }
        Self::new(&out)
    }

    /// A path as found in a socket address: the bytes up to the first NUL,
    /// at most UNIX_PATH_MAX of them.
    pub fn from_sun_path(sun_path: &[u8]) -> Self {
        let n = sun_path.iter().position(|&b| b == 0).unwrap_or(sun_path.len()).min(UNIX_PATH_MAX);
        Self::raw(&sun_path[..n])
    }

    fn raw(path: &[u8]) -> Self {
        let mut bytes = [0u8; UNIX_PATH_MAX];
        bytes[..path.len()].copy_from_slice(path);
        Self { len: path.len() as u8, bytes }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The path zero-padded to `sun_path`'s size.
    pub fn sun_path(&self) -> [u8; UNIX_PATH_MAX] {
        self.bytes
    }
}

impl fmt::Debug for UnixPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

fn is_encoded_slash(s: &[u8]) -> bool {
    s.len() >= 3 && s[0] == b'%' && s[1] == b'2' && (s[2] == b'F' || s[2] == b'f')
}

/// Whether a URI host names a Unix domain socket: it starts with `%2F`
/// (either case) or `/`.
pub fn host_is_unix_domain(host: &[u8]) -> bool {
    is_encoded_slash(host) || host.first() == Some(&b'/')
}

/// An endpoint address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Address {
    V4(SocketAddrV4),
    V6(SocketAddrV6),
    Unix(UnixPath),
}

impl Address {
    /// The port of an IP address; `None` for a Unix path.
    pub fn port(&self) -> Option<u16> {
        match self {
            Self::V4(a) => Some(a.port()),
            Self::V6(a) => Some(a.port()),
            Self::Unix(_) => None,
        }
    }

    /// Sets the port of an IP address; false (unchanged) for a Unix path.
    pub fn set_port(&mut self, port: u16) -> bool {
        match self {
            Self::V4(a) => a.set_port(port),
            Self::V6(a) => a.set_port(port),
            Self::Unix(_) => return false,
        }
        true
    }

    pub fn is_unix(&self) -> bool {
        matches!(self, Self::Unix(_))
    }

    /// The IPv4 address of an IPv4 or IPv4-mapped IPv6 address.
    fn ipv4_view(&self) -> Option<Ipv4Addr> {
        match self {
            Self::V4(a) => Some(*a.ip()),
            Self::V6(a) => a.ip().to_ipv4_mapped(),
            Self::Unix(_) => None,
        }
    }

    /// IPv4 224.0.0.0/4, IPv6 ff00::/8, or an IPv4-mapped IPv4 multicast
    /// address. Broadcast addresses do not count (as in libcoap 4.3.1).
    pub fn is_multicast(&self) -> bool {
        match self {
            Self::V4(a) => a.ip().is_multicast(),
            Self::V6(a) => a.ip().is_multicast() || self.ipv4_view().is_some_and(|v4| v4.is_multicast()),
            Self::Unix(_) => false,
        }
    }

    /// 255.255.255.255 or one of `local_broadcasts` (the directed broadcast
    /// addresses of the host's interfaces), as IPv4 or IPv4-mapped IPv6.
    pub fn is_broadcast(&self, local_broadcasts: &[Ipv4Addr]) -> bool {
        self.ipv4_view().is_some_and(|v4| v4.is_broadcast() || local_broadcasts.contains(&v4))
    }

    /// libcoap's address equality: same family, IP address and port (IPv6
    /// flow label and scope are not compared), or the same Unix path.
    pub fn same_endpoint(&self, other: &Address) -> bool {
        match (self, other) {
            (Self::V4(a), Self::V4(b)) => a == b,
            (Self::V6(a), Self::V6(b)) => a.ip() == b.ip() && a.port() == b.port(),
            (Self::Unix(a), Self::Unix(b)) => a == b,
            _ => false,
        }
    }

    /// The address without port: `192.0.2.1`, `::1`, `'/tmp/sock'`.
    pub fn host_text(&self) -> Text {
        let mut t = Text::new();
        match self {
            Self::V4(a) => {
                let _ = write!(t, "{}", a.ip());
            }
            Self::V6(a) => write_ipv6(&mut t, a.ip()),
            Self::Unix(p) => quote_path(&mut t, p),
        }
        t
    }

    /// libcoap's full form: `192.0.2.1:5683`, `[::1]:5683`, `'/tmp/sock'`.
    pub fn text(&self) -> Text {
        let mut t = Text::new();
        match self {
            Self::V4(a) => {
                let _ = write!(t, "{}:{}", a.ip(), a.port());
            }
            Self::V6(a) => {
                t.push(b"[");
                write_ipv6(&mut t, a.ip());
                let _ = write!(t, "]:{}", a.port());
            }
            Self::Unix(p) => quote_path(&mut t, p),
        }
        t
    }
}

fn quote_path(t: &mut Text, p: &UnixPath) {
    t.push(b"'");
    t.push(p.as_bytes());
    t.push(b"'");
}

/// IPv6 text exactly as glibc's inet_ntop(3) writes it.
fn write_ipv6(t: &mut Text, ip: &Ipv6Addr) {
    let w = ip.segments();
    // The longest run of at least two zero groups, the first of equals.
    let (mut best_at, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if w[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < 8 && w[i] == 0 {
            i += 1;
        }
        if i - start > best_len && i - start >= 2 {
            (best_at, best_len) = (start, i - start);
        }
    }
    let mut i = 0;
    while i < 8 {
        if i == best_at {
            t.push(b":");
            i += best_len;
            if i == 8 {
                t.push(b":");
            }
            continue;
        }
        if i != 0 {
            t.push(b":");
        }
        if i == 6 && best_at == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            let o = ip.octets();
            let _ = write!(t, "{}", Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            return;
        }
        let _ = write!(t, "{:x}", w[i]);
        i += 1;
    }
}

/// A short text on the stack (the longest address text is 53 bytes).
#[derive(Clone, Copy)]
pub struct Text {
    buf: [u8; 64],
    len: usize,
}

impl Text {
    fn new() -> Self {
        Self { buf: [0; 64], len: 0 }
    }

    /// Appends what fits.
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// What libcoap prints for an address family it does not know.
pub const UNKNOWN_TYPE_TEXT: &[u8] = b"(unknown address type)";

/// Copies as much of `text` as fits with a NUL into `out` (which must not
/// be empty); the number of text bytes copied.
fn copy_truncated(text: &[u8], out: &mut [u8]) -> usize {
    let Some(room) = out.len().checked_sub(1) else {
        return 0;
    };
    let n = text.len().min(room);
    out[..n].copy_from_slice(&text[..n]);
    out[n] = 0;
    n
}

/// The unknown-family text, cut to fit; libcoap also clears the buffer's
/// last byte.
fn unknown_family(out: &mut [u8]) {
    copy_truncated(UNKNOWN_TYPE_TEXT, out);
    if let Some(last) = out.last_mut() {
        *last = 0;
    }
}

/// coap_print_addr(): writes the text form of `addr` (`None`: an unknown
/// family) into `out` with a NUL, and returns what libcoap 4.3.1 returns:
/// - IPv4 needs more than 16 bytes of buffer, IPv6 more than 48, else the
///   result is "" and 0; with enough room the port may still be cut short,
///   and the length of what was written is returned;
/// - a Unix path is `'path'`, cut to fit, its written length returned;
/// - an unknown family gives "(unknown address type)" cut to fit, and the
///   smaller of 22 and the buffer size (one more than written when cut);
///   the buffer's last byte is set to NUL too.
///
/// An empty `out` is left alone and gives 0.
pub fn print_addr(addr: Option<&Address>, out: &mut [u8]) -> usize {
    if out.is_empty() {
        return 0;
    }
    let need_more_than = match addr {
        Some(Address::V4(_)) => 16,
        Some(Address::V6(_)) => 48,
        Some(Address::Unix(_)) => 0,
        None => {
            unknown_family(out);
            return UNKNOWN_TYPE_TEXT.len().min(out.len());
        }
    };
    match addr {
        Some(a) if out.len() > need_more_than => copy_truncated(a.text().as_bytes(), out),
        _ => copy_truncated(b"", out),
    }
}

/// coap_print_ip_addr(): the address without port into `out` with a NUL.
/// IPv4 needs a 16-byte buffer and IPv6 a 46-byte one (INET_ADDRSTRLEN,
/// INET6_ADDRSTRLEN), else the result is ""; a Unix path (`'path'`) or the
/// unknown-family text is cut to fit. An empty `out` is left alone.
pub fn print_ip_addr(addr: Option<&Address>, out: &mut [u8]) {
    let text = match addr {
        Some(Address::V4(_)) if out.len() < 16 => Text::new(),
        Some(Address::V6(_)) if out.len() < 46 => Text::new(),
        Some(a) => a.host_text(),
        None => {
            unknown_family(out);
            return;
        }
    };
    copy_truncated(text.as_bytes(), out);
}

/// The directed broadcast address of an interface address with `netmask`;
/// none for a host route (/32).
pub fn directed_broadcast(addr: Ipv4Addr, netmask: Ipv4Addr) -> Option<Ipv4Addr> {
    let mask = u32::from(netmask);
    (mask != u32::MAX).then(|| Ipv4Addr::from(u32::from(addr) | !mask))
}

impl fmt::Display for Address {
    /// libcoap's text form (see [`Address::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.text().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn v4(s: &str, port: u16) -> Address {
        Address::V4(SocketAddrV4::new(s.parse().expect("v4"), port))
    }
    fn v6(s: &str, port: u16) -> Address {
        Address::V6(SocketAddrV6::new(s.parse().expect("v6"), port, 0, 0))
    }
    fn unix(p: &str) -> Address {
        Address::Unix(UnixPath::new(p.as_bytes()).expect("path"))
    }
    fn printed(a: Option<&Address>, cap: usize) -> (String, usize) {
        let mut out = vec![b'#'; cap];
        let r = print_addr(a, &mut out);
        let end = out.iter().position(|&b| b == 0).expect("NUL");
        (String::from_utf8(out[..end].to_vec()).expect("utf8"), r)
    }
    fn ip_printed(a: Option<&Address>, cap: usize) -> String {
        let mut out = vec![b'#'; cap];
        print_ip_addr(a, &mut out);
        let end = out.iter().position(|&b| b == 0).expect("NUL");
        String::from_utf8(out[..end].to_vec()).expect("utf8")
    }

    #[test]
    fn ipv6_text_matches_inet_ntop() {
        for (ip, text) in [
            ("::", "::"),
            ("::1", "::1"),
            ("::2", "::2"),
            ("1::", "1::"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:0:0:1:1:0:0:1", "2001::1:1:0:0:1"),
            ("2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::ffff:0:1.2.3.4", "::ffff:0:102:304"),
            ("fe80::1", "fe80::1"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("2001:db8:1234:5678:9abc:def0:1234:5678", "2001:db8:1234:5678:9abc:def0:1234:5678"),
        ] {
            let mut t = Text::new();
            write_ipv6(&mut t, &ip.parse().expect("ip"));
            assert_eq!(String::from_utf8_lossy(t.as_bytes()), text, "{ip}");
        }
    }

    #[test]
    fn text_forms() {
        assert_eq!(v4("192.168.1.20", 5683).text().as_bytes(), b"192.168.1.20:5683");
        assert_eq!(v6("::1", 5684).text().as_bytes(), b"[::1]:5684");
        assert_eq!(unix("/tmp/sock").text().as_bytes(), b"'/tmp/sock'");
        assert_eq!(v6("::1", 5684).host_text().as_bytes(), b"::1");
        assert_eq!(v4("0.0.0.0", 0).host_text().as_bytes(), b"0.0.0.0");
    }

    #[test]
    fn print_addr_as_libcoap_4_3_1() {
        let a = v4("255.255.255.255", 65535);
        assert_eq!(printed(Some(&a), 16), (String::new(), 0));
        assert_eq!(printed(Some(&a), 17), ("255.255.255.255:".into(), 16));
        assert_eq!(printed(Some(&a), 19), ("255.255.255.255:65".into(), 18));
        assert_eq!(printed(Some(&a), 22), ("255.255.255.255:65535".into(), 21));
        assert_eq!(printed(Some(&a), 100), ("255.255.255.255:65535".into(), 21));
        let b = v6("::1", 1);
        assert_eq!(printed(Some(&b), 48), (String::new(), 0));
        assert_eq!(printed(Some(&b), 49), ("[::1]:1".into(), 7));
        assert_eq!(printed(None, 1), (String::new(), 1));
        assert_eq!(printed(None, 5), ("(unk".into(), 5));
        assert_eq!(printed(None, 22), ("(unknown address type".into(), 22));
        assert_eq!(printed(None, 23), ("(unknown address type)".into(), 22));
        assert_eq!(printed(None, 64), ("(unknown address type)".into(), 22));
        let mut out = [b'#'; 30];
        print_addr(None, &mut out);
        assert_eq!((out[22], out[23], out[29]), (0, b'#', 0));
        let u = unix("/tmp/sock");
        assert_eq!(printed(Some(&u), 1), (String::new(), 0));
        assert_eq!(printed(Some(&u), 5), ("'/tm".into(), 4));
        assert_eq!(printed(Some(&u), 12), ("'/tmp/sock'".into(), 11));
        assert_eq!(print_addr(Some(&a), &mut []), 0);
    }

    #[test]
    fn print_ip_addr_rules() {
        let a = v4("10.0.0.1", 1);
        assert_eq!(ip_printed(Some(&a), 15), "");
        assert_eq!(ip_printed(Some(&a), 16), "10.0.0.1");
        let b = v6("2001:db8::1", 1);
        assert_eq!(ip_printed(Some(&b), 45), "");
        assert_eq!(ip_printed(Some(&b), 46), "2001:db8::1");
        assert_eq!(ip_printed(Some(&unix("/a")), 3), "'/");
        assert_eq!(ip_printed(None, 8), "(unknow");
        print_ip_addr(Some(&a), &mut []);
    }

    #[test]
    fn unix_paths() {
        assert_eq!(UnixPath::from_uri_host(b"%2Ftmp%2fsock").expect("ok").as_bytes(), b"/tmp/sock");
        assert_eq!(UnixPath::from_uri_host(b"/x%2").expect("ok").as_bytes(), b"/x%2");
        assert_eq!(UnixPath::from_uri_host(b"%2G").expect("ok").as_bytes(), b"%2G");
        let max = [b'a'; UNIX_PATH_MAX - 1];
        assert!(UnixPath::new(&max).is_ok());
        assert_eq!(UnixPath::new(&[b'a'; UNIX_PATH_MAX]), Err(UnixPathError::TooLong(26)));
        // 25 bytes after decoding fit even if the URI form is longer.
        let host = format!("%2F{}", "b".repeat(24));
        assert_eq!(UnixPath::from_uri_host(host.as_bytes()).expect("ok").as_bytes().len(), 25);
        let host = format!("%2F{}", "b".repeat(25));
        assert_eq!(UnixPath::from_uri_host(host.as_bytes()), Err(UnixPathError::TooLong(26)));
        assert_eq!(UnixPath::new(b""), Err(UnixPathError::Empty));
        assert_eq!(UnixPath::new(b"a\0b"), Err(UnixPathError::Nul));
        assert_eq!(UnixPath::from_sun_path(b"abc\0def").as_bytes(), b"abc");
        assert_eq!(UnixPath::from_sun_path(&[b'z'; 30]).as_bytes().len(), UNIX_PATH_MAX);
        assert!(UnixPath::from_sun_path(&[0; 26]).as_bytes().is_empty());
    }

    #[test]
    fn unix_host_detection() {
        assert!(host_is_unix_domain(b"%2Ftmp"));
        assert!(host_is_unix_domain(b"%2ftmp"));
        assert!(host_is_unix_domain(b"/tmp"));
        assert!(!host_is_unix_domain(b"%2"));
        assert!(!host_is_unix_domain(b""));
        assert!(!host_is_unix_domain(b"localhost"));
        assert!(!host_is_unix_domain(b"%3Ftmp"));
    }

    #[test]
    fn multicast_and_broadcast() {
        assert!(v4("224.0.1.187", 0).is_multicast());
        assert!(v4("239.255.255.255", 0).is_multicast());
        assert!(!v4("240.0.0.0", 0).is_multicast());
        assert!(!v4("223.255.255.255", 0).is_multicast());
        assert!(!v4("255.255.255.255", 0).is_multicast());
        assert!(v6("ff02::fd", 0).is_multicast());
        assert!(!v6("fe02::1", 0).is_multicast());
        assert!(v6("::ffff:224.0.1.187", 0).is_multicast());
        assert!(!v6("::ffff:192.0.1.187", 0).is_multicast());
        assert!(!unix("/m").is_multicast());
        let locals = [Ipv4Addr::new(192, 168, 1, 255)];
        assert!(v4("255.255.255.255", 0).is_broadcast(&[]));
        assert!(v4("192.168.1.255", 0).is_broadcast(&locals));
        assert!(!v4("192.168.1.255", 0).is_broadcast(&[]));
        assert!(v6("::ffff:255.255.255.255", 0).is_broadcast(&[]));
        assert!(!v6("ff02::1", 0).is_broadcast(&[]));
        assert!(!unix("/b").is_broadcast(&locals));
        assert_eq!(
            directed_broadcast(Ipv4Addr::new(192, 168, 1, 20), Ipv4Addr::new(255, 255, 255, 0)),
            Some(Ipv4Addr::new(192, 168, 1, 255))
        );
        assert_eq!(directed_broadcast(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::BROADCAST), None);
    }

    #[test]
    fn ports_and_equality() {
        let mut a = v4("1.2.3.4", 5);
        assert_eq!(a.port(), Some(5));
        assert!(a.set_port(7));
        assert_eq!(a.port(), Some(7));
        let mut u = unix("/p");
        assert_eq!(u.port(), None);
        assert!(!u.set_port(1));
        let x = Address::V6(SocketAddrV6::new("fe80::1".parse().expect("ip"), 1, 0, 2));
        let y = Address::V6(SocketAddrV6::new("fe80::1".parse().expect("ip"), 1, 9, 3));
        assert!(x.same_endpoint(&y));
        assert_ne!(x, y);
        assert!(!x.same_endpoint(&v6("fe80::1", 2)));
        assert!(unix("/p").same_endpoint(&unix("/p")));
        assert!(!unix("/p").same_endpoint(&unix("/q")));
        assert!(!v4("0.0.0.1", 1).same_endpoint(&v6("::1", 1)));
        let set: HashSet<Address> = [v4("1.2.3.4", 1), v4("1.2.3.4", 1), unix("/p")].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert!(std::mem::size_of::<Address>() <= 32);
    }
}
