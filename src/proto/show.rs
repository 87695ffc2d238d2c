//! Text renderings of protocol data for logs and for the C API: the lines
//! coap_show_pdu(3) prints, the response phrases, and the percent-encoded
//! path and query strings of coap_get_uri_path / coap_get_query.
//!
//! The PDU rendering reproduces libcoap's output byte for byte, including how
//! it cuts long lines: every line is built in a buffer of [`LINE_BUF`] bytes
//! (NUL included) and each option value in one of [`OPT_BUF`] bytes.

use super::msg;
use super::option::{self, OptNum};
use super::pdu::Pdu;
use std::ffi::CStr;
use std::fmt::Write as _;

/// Size of the buffer one output line is built in, NUL included.
pub const LINE_BUF: usize = 2056;
/// Size of the buffer one option value is rendered into, NUL included.
pub const OPT_BUF: usize = 1035;

/// A line under construction: appends are cut where the buffer is full, as
/// `snprintf` into a fixed buffer cuts them.
struct Line(Vec<u8>);

impl Line {
    fn new() -> Line {
        Line(Vec::with_capacity(128))
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push(&mut self, s: &[u8]) {
        let room = (LINE_BUF - 1).saturating_sub(self.0.len());
        self.0.extend_from_slice(s.get(..room.min(s.len())).unwrap_or_default());
    }
    fn push_str(&mut self, s: &str) {
        self.push(s.as_bytes());
    }
    /// Ends the line with '\n', giving up the last character if the
    /// buffer is full.
    fn finish(mut self) -> Vec<u8> {
        if self.0.len() >= LINE_BUF - 1 {
            self.0.truncate(LINE_BUF - 2);
        }
        self.0.push(b'\n');
        self.0
    }
}

fn is_printable(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

/// Printable bytes as they are, others (all of them if `encode_all`) as
/// `\xHH`; stops before an item that would not fit in a buffer of `buflen`
/// bytes with its NUL.
pub fn readable(data: &[u8], buflen: usize, encode_all: bool) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(data.len().min(buflen));
    for &b in data {
        if !encode_all && is_printable(b) {
            if out.len() + 1 >= buflen {
                break;
            }
            out.push(b);
        } else {
            if out.len() + 4 >= buflen {
                break;
            }
            out.extend_from_slice(&[b'\\', b'x', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
        }
    }
    out
}

/// An option value as an unsigned integer the way libcoap decodes it: a
/// 32-bit accumulator, so longer values keep their last four bytes.
fn uint_value(v: &[u8]) -> u32 {
    v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b))
}

/// `0x` and lowercase hex, cut to fit the option buffer.
fn hex_value(v: &[u8]) -> Vec<u8> {
    let mut s = String::with_capacity(2 + 2 * v.len());
    s.push_str("0x");
    for b in v {
        let _ = write!(s, "{b:02x}");
    }
    s.truncate(OPT_BUF - 1);
    s.into_bytes()
}

/// Content-Format names libcoap knows.
pub fn content_format_name(cf: u32) -> Option<&'static str> {
    Some(match cf {
        0 => "text/plain",
        16 => "application/cose; cose-type=\"cose-encrypt0\"",
        17 => "application/cose; cose-type=\"cose-mac0\"",
        18 => "application/cose; cose-type=\"cose-sign1\"",
        40 => "application/link-format",
        41 => "application/xml",
        42 => "application/octet-stream",
        43 => "application/rdf+xml",
        47 => "application/exi",
        50 => "application/json",
        60 => "application/cbor",
        61 => "application/cwt",
        75 => "application/dcaf+cbor",
        96 => "application/cose; cose-type=\"cose-encrypt\"",
        97 => "application/cose; cose-type=\"cose-mac\"",
        98 => "application/cose; cose-type=\"cose-sign\"",
        101 => "application/cose-key",
        102 => "application/cose-key-set",
        110 => "application/senml+json",
        111 => "application/sensml+json",
        112 => "application/senml+cbor",
        113 => "application/sensml+cbor",
        114 => "application/senml-exi",
        115 => "application/sensml-exi",
        256 => "application/coap-group+json",
        271 => "application/dots+cbor",
        310 => "application/senml+xml",
        311 => "application/sensml+xml",
        _ => return None,
    })
}

/// Content formats whose payload is shown as text.
fn is_text_format(cf: u32) -> bool {
    matches!(cf, 0 | 40 | 41 | 50)
}

/// How an option value is rendered.
#[derive(Clone, Copy)]
enum Kind {
    /// Printable bytes as they are, others escaped.
    Text,
    /// Every byte escaped.
    Encoded,
    Hex,
    Uint,
    ContentFormat,
    Block,
    /// Name only, no value.
    Nothing,
}

/// The signalling codes libcoap names (7.01 to 7.05); their options have
/// their own numbering.
fn is_signal(code: u8) -> bool {
    (msg::CSM..=msg::ABORT).contains(&code)
}

/// Name and rendering of an option in a PDU with `code`.
fn option_kind(code: u8, number: OptNum) -> (Option<&'static str>, Kind) {
    if is_signal(code) {
        return match (code, number) {
            (msg::CSM, 2) => (Some("Max-Message-Size"), Kind::Uint),
            (msg::CSM, 4) => (Some("Block-Wise-Transfer"), Kind::Nothing),
            (msg::PING | msg::PONG, 2) => (Some("Custody"), Kind::Nothing),
            (msg::RELEASE, 2) => (Some("Alternative-Address"), Kind::Text),
            (msg::RELEASE, 4) => (Some("Hold-Off"), Kind::Uint),
            (msg::ABORT, 2) => (Some("Bad-CSM-Option"), Kind::Uint),
            _ => (None, Kind::Nothing),
        };
    }
    match number {
        option::IF_MATCH => (Some("If-Match"), Kind::Hex),
        option::URI_HOST => (Some("Uri-Host"), Kind::Text),
        option::ETAG => (Some("ETag"), Kind::Hex),
        option::IF_NONE_MATCH => (Some("If-None-Match"), Kind::Encoded),
        option::OBSERVE => (Some("Observe"), Kind::Uint),
        option::URI_PORT => (Some("Uri-Port"), Kind::Uint),
        option::LOCATION_PATH => (Some("Location-Path"), Kind::Text),
        option::URI_PATH => (Some("Uri-Path"), Kind::Text),
        option::CONTENT_FORMAT => (Some("Content-Format"), Kind::ContentFormat),
        option::MAX_AGE => (Some("Max-Age"), Kind::Uint),
        option::URI_QUERY => (Some("Uri-Query"), Kind::Text),
        option::HOP_LIMIT => (Some("Hop-Limit"), Kind::Uint),
        option::ACCEPT => (Some("Accept"), Kind::ContentFormat),
        option::LOCATION_QUERY => (Some("Location-Query"), Kind::Text),
        option::BLOCK2 => (Some("Block2"), Kind::Block),
        option::BLOCK1 => (Some("Block1"), Kind::Block),
        option::SIZE2 => (Some("Size2"), Kind::Uint),
        option::PROXY_URI => (Some("Proxy-Uri"), Kind::Text),
        option::PROXY_SCHEME => (Some("Proxy-Scheme"), Kind::Text),
        option::SIZE1 => (Some("Size1"), Kind::Uint),
        option::ECHO => (Some("Echo"), Kind::Hex),
        option::NO_RESPONSE => (Some("No-Response"), Kind::Hex),
        option::REQUEST_TAG => (Some("Request-Tag"), Kind::Hex),
        option::Q_BLOCK1 => (Some("Q-Block1"), Kind::Block),
        option::Q_BLOCK2 => (Some("Q-Block2"), Kind::Block),
        // OSCORE is shown as an unknown number, as by a libcoap built
        // without it.
        _ => (None, Kind::Encoded),
    }
}

fn render_value(kind: Kind, v: &[u8]) -> Vec<u8> {
    match kind {
        Kind::Text => readable(v, OPT_BUF, false),
        Kind::Encoded => readable(v, OPT_BUF, true),
        Kind::Hex => hex_value(v),
        Kind::Uint => uint_value(v).to_string().into_bytes(),
        Kind::ContentFormat => {
            let cf = uint_value(v);
            match content_format_name(cf) {
                Some(n) => n.as_bytes().to_vec(),
                // libcoap prints the number as a signed int.
                None => (cf as i32).to_string().into_bytes(),
            }
        }
        Kind::Block => {
            let wide = v.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
            let num = (wide >> 4) as u32;
            let last = v.last().copied().unwrap_or(0);
            let more = if last & 0x08 != 0 { "M" } else { "_" };
            let szx = last & 0x07;
            let size = if szx == 7 { "BERT".to_string() } else { (16u32 << szx).to_string() };
            format!("{num}/{more}/{size}").into_bytes()
        }
        Kind::Nothing => Vec::new(),
    }
}

fn type_name(t: msg::MsgType) -> &'static str {
    match t {
        msg::MsgType::Con => "CON",
        msg::MsgType::Non => "NON",
        msg::MsgType::Ack => "ACK",
        msg::MsgType::Rst => "RST",
    }
}

/// A code as libcoap names it: method or signal names, else `c.dd`.
pub fn code_name(code: u8) -> String {
    let name = match code {
        msg::GET => "GET",
        msg::POST => "POST",
        msg::PUT => "PUT",
        msg::DELETE => "DELETE",
        msg::FETCH => "FETCH",
        msg::PATCH => "PATCH",
        msg::IPATCH => "iPATCH",
        msg::CSM => "CSM",
        msg::PING => "Ping",
        msg::PONG => "Pong",
        msg::RELEASE => "Release",
        msg::ABORT => "Abort",
        _ => return format!("{}.{:02}", msg::code_class(code), msg::code_detail(code)),
    };
    name.to_string()
}

/// The lines coap_show_pdu(3) prints for `pdu`, each as passed to the log
/// (normally ending in '\n'; a line cut at the buffer size may not).
pub fn pdu_lines(pdu: &Pdu) -> Vec<Vec<u8>> {
    let mut line = Line::new();
    let mut head = format!("v:{} t:{} c:{} i:{:04x} {{", msg::VERSION, type_name(pdu.typ), code_name(pdu.code), pdu.mid);
    for b in pdu.token() {
        let _ = write!(head, "{b:02x}");
    }
    head.push_str("} [");
    line.push_str(&head);
    let mut content_format = None;
    for (i, opt) in pdu.options().map_while(Result::ok).enumerate() {
        let (name, kind) = option_kind(pdu.code, opt.number);
        // libcoap judges the payload by the last Content-Format or Accept.
        if (opt.number == option::CONTENT_FORMAT || opt.number == option::ACCEPT) && !is_signal(pdu.code) {
            content_format = Some(uint_value(opt.value));
        }
        line.push_str(if i == 0 { " " } else { ", " });
        match name {
            Some(n) => line.push_str(n),
            None => line.push_str(&opt.number.to_string()),
        }
        line.push(b":");
        line.push(&render_value(kind, opt.value));
        if matches!(kind, Kind::Block) && opt.value.last().is_some_and(|b| b & 7 == 7) {
            // BERT: libcoap adds the payload's length.
            if let Some(d) = pdu.payload().filter(|d| !d.is_empty()) {
                line.push_str(&format!("({})", d.len()));
            }
        }
    }
    line.push_str(" ]");

    let data = pdu.payload().unwrap_or_default();
    if data.is_empty() {
        return vec![line.finish()];
    }
    let binary = content_format.is_some_and(|cf| !is_text_format(cf)) || data.first().is_some_and(|&b| !is_printable(b));
    if !binary {
        line.push_str(" :: ");
        let mut room = LINE_BUF - line.len();
        if room > 1 {
            line.push(b"'");
            room -= 1;
        }
        if room > 1 {
            line.push(&readable(data, room, false));
        }
        if line.len() < LINE_BUF - 4 - 1 {
            line.push(b"'");
        }
        return vec![line.finish()];
    }
    line.push_str(&format!(" :: binary data length {}\n", data.len()));
    let mut hex = Line::new();
    hex.push(b"<<");
    let mut digits = String::with_capacity(2 * data.len().min(LINE_BUF));
    for b in data.iter().take(LINE_BUF / 2) {
        let _ = write!(digits, "{b:02x}");
    }
    hex.push_str(&digits);
    hex.push(b">>\n");
    let mut chars = Line::new();
    chars.push(b"<<");
    let shown: Vec<u8> =
        data.iter().take(LINE_BUF / 2).flat_map(|&b| [if is_printable(b) { b } else { b'.' }, b' ']).collect();
    chars.push(&shown);
    chars.push(b">>");
    vec![line.0, hex.0, chars.finish()]
}

/// The reason phrase of a response code, for the codes libcoap names.
pub fn response_phrase(code: u8) -> Option<&'static CStr> {
    Some(match (msg::code_class(code), msg::code_detail(code)) {
        (2, 1) => c"Created",
        (2, 2) => c"Deleted",
        (2, 3) => c"Valid",
        (2, 4) => c"Changed",
        (2, 5) => c"Content",
        (2, 31) => c"Continue",
        (4, 0) => c"Bad Request",
        (4, 1) => c"Unauthorized",
        (4, 2) => c"Bad Option",
        (4, 3) => c"Forbidden",
        (4, 4) => c"Not Found",
        (4, 5) => c"Method Not Allowed",
        (4, 6) => c"Not Acceptable",
        (4, 8) => c"Request Entity Incomplete",
        (4, 9) => c"Conflict",
        (4, 12) => c"Precondition Failed",
        (4, 13) => c"Request Entity Too Large",
        (4, 15) => c"Unsupported Content-Format",
        (4, 22) => c"Unprocessable",
        (4, 29) => c"Too Many Requests",
        (5, 0) => c"Internal Server Error",
        (5, 1) => c"Not Implemented",
        (5, 2) => c"Bad Gateway",
        (5, 3) => c"Service Unavailable",
        (5, 4) => c"Gateway Timeout",
        (5, 5) => c"Proxying Not Supported",
        (5, 8) => c"Hop Limit Reached",
        _ => return None,
    })
}

/// Appends `seg` percent-encoded as RFC 3986 allows in a path segment
/// (`extra` lists further characters kept as they are, "/?" for queries).
fn encode_into(out: &mut Vec<u8>, seg: &[u8], extra: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in seg {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) || extra.contains(&b);
        if keep {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
        }
    }
}

/// Uri-Path values joined by '/', each percent-encoded (coap_get_uri_path).
pub fn uri_path_string<'a>(segments: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, seg) in segments.into_iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        encode_into(&mut out, seg, b"");
    }
    out
}

/// Uri-Query values joined by '&', each percent-encoded (coap_get_query).
pub fn uri_query_string<'a>(args: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, arg) in args.into_iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        encode_into(&mut out, arg, b"/?");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::msg::MsgType;

    fn lines(p: &Pdu) -> Vec<String> {
        pdu_lines(p).into_iter().map(|l| String::from_utf8(l).unwrap()).collect()
    }

    #[test]
    fn header_options_and_text() {
        let mut p = Pdu::new(MsgType::Con, msg::GET, 0x04d2, 0);
        p.add_token(&[1, 2, 0xab, 0xff]).unwrap();
        p.add_option(option::URI_HOST, b"localhost").unwrap();
        p.add_option(option::URI_PATH, b"x y\x01z").unwrap();
        p.add_option(option::CONTENT_FORMAT, &[50]).unwrap();
        p.add_option(option::BLOCK2, &[0x1e]).unwrap();
        p.add_payload(b"hello").unwrap();
        assert_eq!(
            lines(&p),
            ["v:1 t:CON c:GET i:04d2 {0102abff} [ Uri-Host:localhost, Uri-Path:x y\\x01z, \
              Content-Format:application/json, Block2:1/M/1024 ] :: 'hello'\n"]
        );
        let p = Pdu::new(MsgType::Rst, 0, 7, 0);
        assert_eq!(lines(&p), ["v:1 t:RST c:0.00 i:0007 {} [ ]\n"]);
    }

    #[test]
    fn binary_payload_dump() {
        let mut p = Pdu::new(MsgType::Non, msg::CONTENT, 0x1234, 0);
        p.add_payload(&[0, 1, b'a']).unwrap();
        assert_eq!(
            lines(&p),
            ["v:1 t:NON c:2.05 i:1234 {} [ ] :: binary data length 3\n", "<<000161>>\n", "<<. . a >>\n"]
        );
    }

    #[test]
    fn binary_or_text_as_libcoap_judges_it() {
        let show = |opts: &[(u16, &[u8])], data: &[u8]| {
            let mut p = Pdu::new(MsgType::Con, msg::CONTENT, 1, 0);
            for (n, v) in opts {
                p.add_option(*n, v).unwrap();
            }
            p.add_payload(data).unwrap();
            lines(&p)[0].clone()
        };
        // Text format, but the first byte is not printable: a dump.
        assert!(show(&[(option::CONTENT_FORMAT, &[])], b"\0a").ends_with(":: binary data length 2\n"));
        // Accept counts as Content-Format does, and the later one wins.
        assert!(show(&[(option::ACCEPT, &[42])], b"abc").contains("binary data length 3"));
        assert!(show(&[(option::CONTENT_FORMAT, &[42]), (option::ACCEPT, &[])], b"abc").ends_with(":: 'abc'\n"));
        assert!(show(&[(option::BLOCK2, &[0x07])], b"data").contains("Block2:0/_/BERT(4) ]"));
        let mut p = Pdu::new(MsgType::Con, msg::GET, 1, 0);
        p.add_option(option::BLOCK2, &[0x07]).unwrap();
        assert!(lines(&p)[0].contains("Block2:0/_/BERT ]"));
    }

    #[test]
    fn option_values() {
        let v = |k, b: &[u8]| String::from_utf8(render_value(k, b)).unwrap();
        assert_eq!(v(Kind::Uint, &[1, 2, 3, 4, 5]), "33752069");
        assert_eq!(v(Kind::ContentFormat, &[0xff; 6]), "-1");
        assert_eq!(v(Kind::Block, &[1, 2, 3, 4, 5]), "270544960/_/512");
        assert_eq!(v(Kind::Block, &[0x0f]), "0/M/BERT");
        assert_eq!(v(Kind::Block, &[]), "0/_/16");
        assert_eq!(v(Kind::Hex, &[]), "0x");
        assert_eq!(v(Kind::Encoded, b"ab"), "\\x61\\x62");
    }

    #[test]
    fn long_lines_are_cut_like_libcoap() {
        let mut p = Pdu::new(MsgType::Con, msg::CONTENT, 1, 0);
        p.add_payload(&[b'A'; 3000]).unwrap();
        let l = pdu_lines(&p);
        assert_eq!(l[0].len(), LINE_BUF - 1);
        assert!(l[0].ends_with(b"AA\n"));
        let mut p = Pdu::new(MsgType::Con, msg::CONTENT, 1, 0);
        let mut data = vec![b'A'; 1100];
        data[0] = 1;
        p.add_payload(&data).unwrap();
        let l = pdu_lines(&p);
        assert_eq!(l[1].len(), LINE_BUF - 1);
        assert!(!l[1].ends_with(b"\n"));
        assert_eq!(l[2].len(), LINE_BUF - 1);
        assert!(l[2].ends_with(b"A \n"));
    }

    #[test]
    fn phrases_and_uri_strings() {
        assert_eq!(response_phrase(msg::CONTENT), Some(c"Content"));
        assert_eq!(response_phrase(msg::GET), None);
        assert_eq!(uri_path_string([&b"a"[..], b"b/c", b"", b"x y%"]), b"a/b%2Fc//x%20y%25");
        assert_eq!(uri_query_string([&b"a=1"[..], b"b&c=/", b"", b"?#"]), b"a=1&b&c=/&&?%23");
    }
}
