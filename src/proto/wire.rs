//! Wire format: headers for UDP (RFC 7252 §3), TCP/TLS (RFC 8323 §3.2) and
//! WebSockets (RFC 8323 §4), with RFC 8974 extended token lengths.

use super::msg::{Framing, MsgType, MAX_HEADER, VERSION};
use super::option::{self, OptCheck, OptError, OptNum, PAYLOAD_MARKER};
use super::pdu::{token_prefix_len, Pdu, PduError};

/// Why received bytes are not a valid CoAP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Fewer bytes than the header needs.
    Truncated,
    /// UDP version field is not 1.
    BadVersion,
    /// TKL 9..12 or 15 (reserved).
    BadTokenLength,
    /// Token longer than the receiver's limit.
    TokenTooLong,
    /// Token runs past the end of the message.
    TokenOverrun,
    /// Code 0.00 with token, options or payload (RFC 7252 §4.1).
    EmptyNotEmpty,
    /// Malformed option area.
    Option(OptError),
    /// A known option with a length outside its range.
    BadOptionLength(OptNum),
    /// 0xFF with no payload after it.
    MarkerWithoutPayload,
    /// The frame's Len field disagrees with the bytes given.
    LengthMismatch,
}

/// Header size `framing` needs for `pdu` as it is now.
pub fn header_len(pdu: &Pdu, framing: Framing) -> usize {
    match framing {
        Framing::Udp => 4,
        Framing::Ws => 2,
        Framing::Tcp => 2 + len_ext(body_len(pdu)).1,
    }
}

/// Bytes covered by the RFC 8323 Len field: options, marker and payload.
fn body_len(pdu: &Pdu) -> usize {
    pdu.used_size() - pdu.e_token_len()
}

/// Len nibble and extension size for a reliable-frame length.
fn len_ext(len: usize) -> (u8, usize) {
    match len {
        0..=12 => (len as u8, 0),
        13..=268 => (13, 1),
        269..=65804 => (14, 2),
        _ => (15, 4),
    }
}

fn tkl_nibble(token_len: usize) -> u8 {
    match token_prefix_len(token_len) {
        0 => token_len as u8,
        1 => 13,
        _ => 14,
    }
}

/// The header `framing` needs for `pdu`, in a fixed buffer, and its length.
pub fn header(pdu: &Pdu, framing: Framing) -> Result<([u8; MAX_HEADER], usize), PduError> {
    let (typ, code, mid) = (pdu.typ as u8, pdu.code, pdu.mid);
    let tkl = tkl_nibble(pdu.token_len());
    let blen = body_len(pdu);
    let mut hdr = [0u8; MAX_HEADER];
    let n = match framing {
        Framing::Udp => {
            let [m0, m1] = mid.to_be_bytes();
            hdr[..4].copy_from_slice(&[(VERSION << 6) | (typ << 4) | tkl, code, m0, m1]);
            4
        }
        Framing::Ws => {
            hdr[..2].copy_from_slice(&[tkl, code]);
            2
        }
        Framing::Tcp => {
            let (nib, ext) = len_ext(blen);
            hdr[0] = (nib << 4) | tkl;
            let extv: u64 = match nib {
                13 => blen as u64 - 13,
                14 => blen as u64 - 269,
                15 => u64::try_from(blen).map_err(|_| PduError::TooLarge)? - 65805,
                _ => 0,
            };
            if ext == 4 && extv > u64::from(u32::MAX) {
                return Err(PduError::TooLarge);
            }
            let bytes = extv.to_be_bytes();
            hdr[1..1 + ext].copy_from_slice(&bytes[8 - ext..]);
            hdr[1 + ext] = code;
            2 + ext
        }
    };
    Ok((hdr, n))
}

/// Writes the header in place in front of the token and returns the whole
/// message as it goes on the wire.
pub fn serialize(pdu: &mut Pdu, framing: Framing) -> Result<&[u8], PduError> {
    let (hdr, n) = header(pdu, framing)?;
    let start = MAX_HEADER - n;
    let buf = pdu.buf_mut();
    buf.get_mut(start..MAX_HEADER).ok_or(PduError::TooLarge)?.copy_from_slice(hdr.get(..n).unwrap_or_default());
    Ok(buf.get(start..).unwrap_or_default())
}

/// Serialises into a fresh vector.
pub fn to_vec(pdu: &Pdu, framing: Framing) -> Result<Vec<u8>, PduError> {
    let (hdr, n) = header(pdu, framing)?;
    let mut out = Vec::with_capacity(n + pdu.used_size());
    out.extend_from_slice(hdr.get(..n).unwrap_or_default());
    out.extend_from_slice(pdu.body_bytes());
    Ok(out)
}

/// Token length from a TKL nibble and the bytes that follow the fixed
/// header; returns (token length, prefix size).
fn token_len(tkl: u8, rest: &[u8]) -> Result<(usize, usize), ParseError> {
    match tkl {
        0..=8 => Ok((usize::from(tkl), 0)),
        13 => Ok((usize::from(*rest.first().ok_or(ParseError::TokenOverrun)?) + 13, 1)),
        14 => {
            let b = rest.get(..2).ok_or(ParseError::TokenOverrun)?;
            Ok((usize::from(u16::from_be_bytes([b[0], b[1]])) + 269, 2))
        }
        _ => Err(ParseError::BadTokenLength),
    }
}

/// A validated message: header fields and where things are in `body`
/// (everything after the fixed header).
struct Parsed<'a> {
    typ: MsgType,
    code: u8,
    mid: u16,
    body: &'a [u8],
    e_token_len: usize,
    max_opt: OptNum,
    data_off: Option<usize>,
}

impl Parsed<'_> {
    fn into_pdu(self) -> Pdu {
        Pdu::from_parts(self.typ, self.code, self.mid, self.body, self.e_token_len, self.max_opt, self.data_off)
    }

    fn fill(self, pdu: &mut Pdu) {
        pdu.refill(self.typ, self.code, self.mid, self.body, self.e_token_len, self.max_opt, self.data_off)
    }
}

/// Validates token, options and payload in `rest` (everything after the
/// fixed header).
// Inlined into each framing's parser: its result is a large struct that
// would otherwise go through memory on every received message.
#[inline(always)]
fn parse_body(typ: MsgType, code: u8, mid: u16, tkl: u8, rest: &[u8], max_token: usize) -> Result<Parsed<'_>, ParseError> {
    let (tlen, prefix) = token_len(tkl, rest)?;
    if tlen > max_token {
        return Err(ParseError::TokenTooLong);
    }
    let e_token_len = prefix + tlen;
    if e_token_len > rest.len() {
        return Err(ParseError::TokenOverrun);
    }
    if code == 0 && !rest.is_empty() {
        return Err(ParseError::EmptyNotEmpty);
    }
    let (max_opt, data_off) = if e_token_len == rest.len() { (0, None) } else { scan_options(rest, e_token_len)? };
    Ok(Parsed { typ, code, mid, body: rest, e_token_len, max_opt, data_off })
}

/// Walks the options of `rest` from `pos` in place: every header,
/// extension, number and known option's length checked, nothing copied.
/// Returns the highest option number and where the payload starts. Out of
/// line so the loop keeps its registers whatever the caller inlines.
#[inline(never)]
fn scan_options(rest: &[u8], mut pos: usize) -> Result<(OptNum, Option<usize>), ParseError> {
    let mut number: u32 = 0;
    let mut max_opt = 0;
    let data_off = loop {
        match rest.get(pos) {
            None => break None,
            Some(&PAYLOAD_MARKER) if pos + 1 < rest.len() => break Some(pos + 1),
            Some(&PAYLOAD_MARKER) => return Err(ParseError::MarkerWithoutPayload),
            Some(_) => {}
        }
        let (delta, start, end) = option::locate(rest, pos).map_err(ParseError::Option)?;
        number += delta;
        let num = OptNum::try_from(number).map_err(|_| ParseError::Option(OptError::NumberOverflow))?;
        if option::check(num, end - start) == OptCheck::BadLength {
            return Err(ParseError::BadOptionLength(num));
        }
        max_opt = num;
        pos = end;
    };
    Ok((max_opt, data_off))
}

/// Parses a UDP/DTLS datagram; `max_token` is 8 unless RFC 8974 is in use.
pub fn parse_udp(data: &[u8], max_token: usize) -> Result<Pdu, ParseError> {
    parse_udp_parts(data, max_token).map(Parsed::into_pdu)
}

#[inline(always)]
fn parse_udp_parts(data: &[u8], max_token: usize) -> Result<Parsed<'_>, ParseError> {
    let hdr = data.get(..4).ok_or(ParseError::Truncated)?;
    if hdr[0] >> 6 != VERSION {
        return Err(ParseError::BadVersion);
    }
    let typ = MsgType::from_u8((hdr[0] >> 4) & 3).unwrap_or_default();
    let mid = u16::from_be_bytes([hdr[2], hdr[3]]);
    parse_body(typ, hdr[1], mid, hdr[0] & 0x0F, data.get(4..).unwrap_or_default(), max_token)
}

/// Fixed-header facts of a reliable frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Bytes before the token area (Len/TKL byte, extended length, code).
    pub header_len: usize,
    /// Value of the Len field (options + marker + payload); 0 for WebSockets.
    pub body_len: usize,
    /// TKL nibble.
    pub tkl: u8,
    pub code: u8,
}

/// Reads a TCP or WebSocket frame header; `Ok(None)` if more bytes are needed.
pub fn frame_header(data: &[u8], framing: Framing) -> Result<Option<FrameHeader>, ParseError> {
    let Some(&first) = data.first() else { return Ok(None) };
    let (nib, tkl) = (first >> 4, first & 0x0F);
    let ext = match (framing, nib) {
        (Framing::Ws, 0) => 0,
        (Framing::Ws, _) => return Err(ParseError::LengthMismatch),
        (_, 0..=12) => 0,
        (_, 13) => 1,
        (_, 14) => 2,
        _ => 4,
    };
    let Some(code) = data.get(1 + ext) else { return Ok(None) };
    let ext_bytes = data.get(1..1 + ext).unwrap_or_default();
    let v = ext_bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
    let body_len = match nib {
        13 => v + 13,
        14 => v + 269,
        15 => v.checked_add(65805).ok_or(ParseError::LengthMismatch)?,
        n => usize::from(n),
    };
    Ok(Some(FrameHeader { header_len: 2 + ext, body_len, tkl, code: *code }))
}

/// Total size of the TCP frame at the start of a stream; `Ok(None)` if more
/// bytes are needed to know.
pub fn tcp_frame_size(data: &[u8]) -> Result<Option<usize>, ParseError> {
    let Some(h) = frame_header(data, Framing::Tcp)? else { return Ok(None) };
    let rest = data.get(h.header_len..).unwrap_or_default();
    let (tlen, prefix) = match token_len(h.tkl, rest) {
        Ok(x) => x,
        Err(ParseError::TokenOverrun) => return Ok(None),
        Err(e) => return Err(e),
    };
    h.header_len
        .checked_add(prefix + tlen)
        .and_then(|n| n.checked_add(h.body_len))
        .map(Some)
        .ok_or(ParseError::LengthMismatch)
}

/// Parses one complete TCP/TLS frame or WebSocket message.
pub fn parse_reliable(data: &[u8], framing: Framing, max_token: usize) -> Result<Pdu, ParseError> {
    parse_reliable_parts(data, framing, max_token).map(Parsed::into_pdu)
}

fn parse_reliable_parts(data: &[u8], framing: Framing, max_token: usize) -> Result<Parsed<'_>, ParseError> {
    let f = if framing == Framing::Udp { Framing::Tcp } else { framing };
    let h = frame_header(data, f)?.ok_or(ParseError::Truncated)?;
    let rest = data.get(h.header_len..).unwrap_or_default();
    if f == Framing::Tcp {
        let (tlen, prefix) = token_len(h.tkl, rest)?;
        let after_token = rest.len().checked_sub(prefix + tlen).ok_or(ParseError::TokenOverrun)?;
        if after_token != h.body_len {
            return Err(ParseError::LengthMismatch);
        }
    }
    parse_body(MsgType::Con, h.code, 0, h.tkl, rest, max_token)
}

/// Parses `data` with the parser for `framing`.
pub fn parse(data: &[u8], framing: Framing, max_token: usize) -> Result<Pdu, ParseError> {
    match framing {
        Framing::Udp => parse_udp(data, max_token),
        _ => parse_reliable(data, framing, max_token),
    }
}

/// Parses into an existing PDU, reusing its buffer (no allocation once it
/// is large enough). On error the PDU is unchanged.
pub fn parse_into(pdu: &mut Pdu, data: &[u8], framing: Framing, max_token: usize) -> Result<(), ParseError> {
    let parsed = match framing {
        Framing::Udp => parse_udp_parts(data, max_token)?,
        _ => parse_reliable_parts(data, framing, max_token)?,
    };
    parsed.fill(pdu);
    Ok(())
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
