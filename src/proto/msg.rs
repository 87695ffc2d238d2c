//! Message-level vocabulary: types, codes, framings and size limits.

/// Message type (RFC 7252 §3). Reliable transports always use `Con`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MsgType {
    #[default]
    Con = 0,
    Non = 1,
    Ack = 2,
    Rst = 3,
}

impl MsgType {
    /// The type for a 2-bit header value; `None` above 3.
    pub fn from_u8(v: u8) -> Option<MsgType> {
        match v {
            0 => Some(MsgType::Con),
            1 => Some(MsgType::Non),
            2 => Some(MsgType::Ack),
            3 => Some(MsgType::Rst),
            _ => None,
        }
    }
}

/// How a message travels: UDP/DTLS datagrams, TCP/TLS streams (RFC 8323 §3)
/// or WebSocket messages (RFC 8323 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    Udp,
    Tcp,
    Ws,
}

impl Framing {
    /// True for stream and WebSocket framings (no type, no message id).
    pub fn is_reliable(self) -> bool {
        self != Framing::Udp
    }
}

/// Header room kept in front of every PDU: 4 bytes for UDP, up to 6 for TCP
/// (1 Len/TKL + 4 extended length + 1 code).
pub const MAX_HEADER: usize = 6;
/// Longest token RFC 8974 can express (TKL 14: 269 + 0xFFFF).
pub const TOKEN_EXT_MAX: usize = 65804;
/// Longest token without RFC 8974.
pub const TOKEN_DEFAULT_MAX: usize = 8;
/// Protocol version carried in every UDP header.
pub const VERSION: u8 = 1;

/// Builds a code from class and detail (`code(2, 5)` is 2.05 = 69).
pub const fn code(class: u8, detail: u8) -> u8 {
    (class << 5) | (detail & 0x1F)
}
/// Class part of a code (the `c` of c.dd).
pub const fn code_class(code: u8) -> u8 {
    code >> 5
}
/// Detail part of a code (the `dd` of c.dd).
pub const fn code_detail(code: u8) -> u8 {
    code & 0x1F
}

pub const EMPTY: u8 = 0;
pub const GET: u8 = code(0, 1);
pub const POST: u8 = code(0, 2);
pub const PUT: u8 = code(0, 3);
pub const DELETE: u8 = code(0, 4);
pub const FETCH: u8 = code(0, 5);
pub const PATCH: u8 = code(0, 6);
pub const IPATCH: u8 = code(0, 7);
pub const DELETED: u8 = code(2, 2);
pub const CONTENT: u8 = code(2, 5);
pub const CONTINUE: u8 = code(2, 31);
pub const BAD_REQUEST: u8 = code(4, 0);
pub const BAD_OPTION: u8 = code(4, 2);
pub const NOT_FOUND: u8 = code(4, 4);
pub const REQUEST_ENTITY_INCOMPLETE: u8 = code(4, 8);
pub const REQUEST_TOO_LARGE: u8 = code(4, 13);
pub const INTERNAL_ERROR: u8 = code(5, 0);
pub const PROXYING_NOT_SUPPORTED: u8 = code(5, 5);
pub const HOP_LIMIT_REACHED: u8 = code(5, 8);
pub const CSM: u8 = code(7, 1);
pub const PING: u8 = code(7, 2);
pub const PONG: u8 = code(7, 3);
pub const RELEASE: u8 = code(7, 4);
pub const ABORT: u8 = code(7, 5);

/// What a code means (RFC 7252 §12.1, RFC 8323 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Empty,
    Request,
    Response,
    /// Class 7: only meaningful on reliable transports.
    Signaling,
    /// Classes 1, 3 and 6: reserved or unassigned.
    Reserved,
}

/// Classifies a code.
pub fn code_kind(code: u8) -> CodeKind {
    match code_class(code) {
        0 if code == 0 => CodeKind::Empty,
        0 => CodeKind::Request,
        2 | 4 | 5 => CodeKind::Response,
        7 => CodeKind::Signaling,
        _ => CodeKind::Reserved,
    }
}

/// True if a received message with this code may be processed on `framing`:
/// signalling codes need a reliable transport, reserved classes never pass.
/// The codec accepts all codes (as libcoap's parser does); the engine decides.
pub fn code_allowed(code: u8, framing: Framing) -> bool {
    match code_kind(code) {
        CodeKind::Signaling => framing.is_reliable(),
        CodeKind::Reserved => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(GET, 1);
        assert_eq!(CONTENT, 69);
        assert_eq!(CONTINUE, 95);
        assert_eq!(BAD_OPTION, 130);
        assert_eq!(REQUEST_TOO_LARGE, 141);
        assert_eq!(CSM, 225);
        assert_eq!(ABORT, 229);
        assert_eq!((code_class(CONTENT), code_detail(CONTENT)), (2, 5));
        assert_eq!(code(1, 0x3F), code(1, 31));
    }

    #[test]
    fn kinds() {
        assert_eq!(code_kind(0), CodeKind::Empty);
        assert_eq!(code_kind(GET), CodeKind::Request);
        assert_eq!(code_kind(code(0, 31)), CodeKind::Request);
        assert_eq!(code_kind(code(1, 0)), CodeKind::Reserved);
        assert_eq!(code_kind(code(3, 0)), CodeKind::Reserved);
        assert_eq!(code_kind(code(6, 0)), CodeKind::Reserved);
        assert_eq!(code_kind(code(5, 31)), CodeKind::Response);
        assert_eq!(code_kind(PING), CodeKind::Signaling);
        assert!(!code_allowed(PING, Framing::Udp));
        assert!(code_allowed(PING, Framing::Tcp) && code_allowed(PING, Framing::Ws));
        assert!(!code_allowed(code(1, 1), Framing::Tcp));
        assert!(code_allowed(EMPTY, Framing::Udp));
    }

    #[test]
    fn types() {
        for v in 0..4 {
            assert_eq!(MsgType::from_u8(v).map(|t| t as u8), Some(v));
        }
        assert_eq!(MsgType::from_u8(4), None);
        assert!(!Framing::Udp.is_reliable() && Framing::Tcp.is_reliable());
    }
}
