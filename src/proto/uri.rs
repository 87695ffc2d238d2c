//! URI splitting as libcoap's coap_split_uri / coap_split_proxy_uri do, path
//! and query splitting into option values, and URI building.
//! Components borrow from the input so the C layer can point into it.

use super::option::{OptNum, URI_HOST, URI_PATH, URI_PORT, URI_QUERY};

/// URI scheme; discriminants are libcoap's `coap_uri_scheme_t` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Coap = 0,
    Coaps = 1,
    CoapTcp = 2,
    CoapsTcp = 3,
    Http = 4,
    Https = 5,
    CoapWs = 6,
    CoapsWs = 7,
}

/// Every scheme with its name, for prefix matching (longest names first).
const SCHEMES: [(Scheme, &str); 8] = [
    (Scheme::CoapsTcp, "coaps+tcp"),
    (Scheme::CoapTcp, "coap+tcp"),
    (Scheme::CoapsWs, "coaps+ws"),
    (Scheme::CoapWs, "coap+ws"),
    (Scheme::Coaps, "coaps"),
    (Scheme::Coap, "coap"),
    (Scheme::Https, "https"),
    (Scheme::Http, "http"),
];

impl Scheme {
    /// The scheme's name without "://".
    pub fn name(self) -> &'static str {
        SCHEMES.iter().find(|(s, _)| *s == self).map_or("coap", |(_, n)| n)
    }
    /// Port used when the URI gives none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Coap | Scheme::CoapTcp => 5683,
            Scheme::Coaps | Scheme::CoapsTcp => 5684,
            Scheme::Http | Scheme::CoapWs => 80,
            Scheme::Https | Scheme::CoapsWs => 443,
        }
    }
    /// True for schemes that need (D)TLS.
    pub fn is_secure(self) -> bool {
        matches!(self, Scheme::Coaps | Scheme::CoapsTcp | Scheme::Https | Scheme::CoapsWs)
    }
    /// True for the http schemes (proxy URIs only).
    pub fn is_http(self) -> bool {
        matches!(self, Scheme::Http | Scheme::Https)
    }
    /// The scheme for a libcoap enum value.
    pub fn from_u8(v: u8) -> Option<Scheme> {
        SCHEMES.iter().map(|(s, _)| *s).find(|s| *s as u8 == v)
    }
}

/// Why a URI could not be split; [`UriError::code`] gives libcoap's return value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriError {
    /// Empty input or unknown scheme.
    BadScheme,
    /// Scheme not followed by "://".
    NoAuthority,
    /// Empty host, unterminated or empty `[IPv6]`.
    BadHost,
    /// Host longer than [`MAX_HOST`] bytes.
    HostTooLong,
    /// Port or text after the host that is not digits, '/' or '?'.
    BadPort,
    /// Port above 65535.
    PortRange,
    /// A `%` escape that is truncated or not hex.
    BadEscape,
}

impl UriError {
    /// libcoap's negative return value for this error.
    pub fn code(self) -> i32 {
        match self {
            UriError::BadScheme | UriError::BadPort | UriError::BadEscape => -1,
            UriError::NoAuthority => -2,
            UriError::BadHost | UriError::HostTooLong => -3,
            UriError::PortRange => -4,
        }
    }
}

/// Longest host accepted (DNS names are at most 255 bytes).
pub const MAX_HOST: usize = 255;

/// A split URI; `host` has no brackets, `path` has no leading '/'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    pub scheme: Scheme,
    pub host: &'a [u8],
    pub port: u16,
    /// `None` when the URI has no path (or only "/").
    pub path: Option<&'a [u8]>,
    /// `None` without '?'; `Some(b"")` for a bare '?'.
    pub query: Option<&'a [u8]>,
}

fn split_scheme(s: &[u8], allow_http: bool) -> Result<(Scheme, &[u8]), UriError> {
    for (scheme, name) in SCHEMES {
        if scheme.is_http() && !allow_http {
            continue;
        }
        let n = name.len();
        let Some(head) = s.get(..n) else { continue };
        if !head.eq_ignore_ascii_case(name.as_bytes()) {
            continue;
        }
        let rest = s.get(n..).unwrap_or_default();
        // "coap" must not match the start of "coap+xyz://".
        if rest.first() == Some(&b'+') {
            continue;
        }
        return match rest.strip_prefix(b"://") {
            Some(r) => Ok((scheme, r)),
            None => Err(UriError::NoAuthority),
        };
    }
    Err(UriError::BadScheme)
}

fn split(s: &[u8], allow_http: bool) -> Result<Uri<'_>, UriError> {
    if s.is_empty() {
        return Err(UriError::BadScheme);
    }
    if !allow_http && s.first() == Some(&b'/') {
        // A path alone, as libcoap takes it: coap, no host, default port.
        return Ok(path_and_query(Scheme::Coap, b"", Scheme::Coap.default_port(), s));
    }
    let (scheme, rest) = split_scheme(s, allow_http)?;
    let (host, rest) = if let Some(r) = rest.strip_prefix(b"[") {
        let end = r.iter().position(|&c| c == b']').ok_or(UriError::BadHost)?;
        let host = r.get(..end).unwrap_or_default();
        let after = r.get(end + 1..).unwrap_or_default();
        if !matches!(after.first(), None | Some(b':' | b'/' | b'?')) {
            return Err(UriError::BadPort);
        }
        (host, after)
    } else {
        let end = rest.iter().position(|&c| matches!(c, b':' | b'/' | b'?')).unwrap_or(rest.len());
        rest.split_at(end)
    };
    if host.is_empty() {
        return Err(UriError::BadHost);
    }
    if host.len() > MAX_HOST {
        return Err(UriError::HostTooLong);
    }
    let mut port = scheme.default_port();
    let mut rest = rest;
    if let Some(r) = rest.strip_prefix(b":") {
        let end = r.iter().position(|&c| matches!(c, b'/' | b'?')).unwrap_or(r.len());
        let (digits, after) = r.split_at(end);
        if !digits.is_empty() {
            port = parse_port(digits)?;
        }
        rest = after;
    }
    Ok(path_and_query(scheme, host, port, rest))
}

/// The rest of a URI after its port: an optional '/', path, '?' query.
fn path_and_query<'a>(scheme: Scheme, host: &'a [u8], port: u16, rest: &'a [u8]) -> Uri<'a> {
    let rest = rest.strip_prefix(b"/").unwrap_or(rest);
    let (path, query) = match rest.iter().position(|&c| c == b'?') {
        Some(q) => (rest.get(..q).unwrap_or_default(), rest.get(q + 1..)),
        None => (rest, None),
    };
    let path = (!path.is_empty()).then_some(path);
    Uri { scheme, host, port, path, query }
}

fn parse_port(digits: &[u8]) -> Result<u16, UriError> {
    let mut v: u32 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(UriError::BadPort);
        }
        v = v * 10 + u32::from(c - b'0');
        if v > 65535 {
            return Err(UriError::PortRange);
        }
    }
    u16::try_from(v).map_err(|_| UriError::PortRange)
}

/// Splits a CoAP URI (coap, coaps, coap+tcp, coaps+tcp, coap+ws, coaps+ws).
pub fn split_uri(s: &[u8]) -> Result<Uri<'_>, UriError> {
    split(s, false)
}

/// Splits a proxy URI: the CoAP schemes plus http and https.
pub fn split_proxy_uri(s: &[u8]) -> Result<Uri<'_>, UriError> {
    split(s, true)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `s`; fails on a truncated or non-hex escape.
pub fn percent_decode(s: &[u8]) -> Result<Vec<u8>, UriError> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.iter();
    while let Some(&c) = it.next() {
        if c == b'%' {
            let hi = it.next().copied().and_then(hex).ok_or(UriError::BadEscape)?;
            let lo = it.next().copied().and_then(hex).ok_or(UriError::BadEscape)?;
            out.push(hi << 4 | lo);
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// True if `host` names an AF_UNIX socket (starts with an encoded '/').
pub fn is_unix_host(host: &[u8]) -> bool {
    host.get(..3).is_some_and(|h| h.eq_ignore_ascii_case(b"%2F"))
}

/// Splits a path into Uri-Path values as libcoap 4.3.1 does: stops at '?' or
/// '#', drops segments that are exactly "." or "..", decodes escapes and
/// drops a segment whose escapes are broken.
pub fn split_path(path: &[u8]) -> Vec<Vec<u8>> {
    let end = path.iter().position(|&c| c == b'?' || c == b'#').unwrap_or(path.len());
    path.get(..end)
        .unwrap_or_default()
        .split(|&c| c == b'/')
        .filter(|seg| *seg != b"." && *seg != b"..")
        .filter_map(|seg| percent_decode(seg).ok())
        .collect()
}

/// Splits a query into Uri-Query values at '&', decoding escapes and
/// dropping an argument whose escapes are broken (as libcoap 4.3.1 does).
pub fn split_query(query: &[u8]) -> Vec<Vec<u8>> {
    let end = query.iter().position(|&c| c == b'#').unwrap_or(query.len());
    query
        .get(..end)
        .unwrap_or_default()
        .split(|&c| c == b'&')
        .filter_map(|seg| percent_decode(seg).ok())
        .collect()
}

/// The options a request for `uri` carries, in number order: Uri-Host if
/// `with_host`, Uri-Port if `with_port` and not the default, Uri-Path, Uri-Query.
pub fn uri_options(uri: &Uri<'_>, with_host: bool, with_port: bool) -> Vec<(OptNum, Vec<u8>)> {
    let mut out = Vec::new();
    if with_host {
        out.push((URI_HOST, uri.host.to_vec()));
    }
    if with_port && uri.port != uri.scheme.default_port() {
        let v = uri.port.to_be_bytes();
        let skip = v.iter().take_while(|&&b| b == 0).count();
        out.push((URI_PORT, v.get(skip..).unwrap_or_default().to_vec()));
    }
    out.extend(uri.path.map(split_path).unwrap_or_default().into_iter().map(|s| (URI_PATH, s)));
    out.extend(uri.query.map(split_query).unwrap_or_default().into_iter().map(|s| (URI_QUERY, s)));
    out
}

/// Writes `uri` back as text; IPv6 literals get brackets, default ports are left out.
pub fn to_string(uri: &Uri<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + uri.host.len());
    out.extend_from_slice(uri.scheme.name().as_bytes());
    out.extend_from_slice(b"://");
    // Brackets keep any host that holds a delimiter in one piece (IPv6 and
    // whatever else libcoap accepts between brackets).
    let bracket = uri.host.first() == Some(&b'[') || uri.host.iter().any(|c| matches!(c, b':' | b'/' | b'?'));
    if bracket {
        out.push(b'[');
    }
    out.extend_from_slice(uri.host);
    if bracket {
        out.push(b']');
    }
    if uri.port != uri.scheme.default_port() {
        out.extend_from_slice(format!(":{}", uri.port).as_bytes());
    }
    if let Some(p) = uri.path {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if let Some(q) = uri.query {
        out.push(b'?');
        out.extend_from_slice(q);
    }
    out
}

#[cfg(test)]
#[path = "uri_tests.rs"]
mod tests;
