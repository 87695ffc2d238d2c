//! The PDU: one buffer laid out as
//! `[header room][ext-TKL bytes][token][options][0xFF payload]`, so the C API
//! can hand out pointers to encoded options and the payload, and the header
//! can be written in place in front of the token on send.

use super::msg::{MsgType, MAX_HEADER, TOKEN_EXT_MAX};
use super::option::{self, Opt, OptError, OptIter, OptNum, PAYLOAD_MARKER};

/// Why a PDU could not be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduError {
    /// The change would exceed the PDU's max size.
    TooLarge,
    /// Token longer than [`TOKEN_EXT_MAX`].
    TokenTooLong,
    /// `add_token` after the token, options or payload.
    TokenNotFirst,
    /// Option or payload added after the payload.
    HasPayload,
    /// Option value longer than an option can encode.
    Option(OptError),
    /// The option area is malformed (only for parsed PDUs).
    BadOptions,
}

impl From<OptError> for PduError {
    fn from(e: OptError) -> Self {
        PduError::Option(e)
    }
}

/// A CoAP message. Fields match libcoap's `coap_pdu_t` bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    pub typ: MsgType,
    pub code: u8,
    pub mid: u16,
    /// Header room, token (with its RFC 8974 length prefix), options, payload.
    buf: Vec<u8>,
    /// Bytes of the token area: RFC 8974 length prefix plus token.
    e_token_len: usize,
    /// Highest option number present.
    max_opt: OptNum,
    /// Offset of the payload in `buf` (after the 0xFF marker), if any.
    data_off: Option<usize>,
    /// Limit on token + options + payload bytes; 0 = unlimited.
    max_size: usize,
}

/// Size of the RFC 8974 length prefix for a token of `len` bytes.
pub fn token_prefix_len(len: usize) -> usize {
    match len {
        0..=12 => 0,
        13..=268 => 1,
        _ => 2,
    }
}

/// Copies `src` (at most 12 bytes) to the start of `dst` (at least 12
/// bytes) with fixed-size moves only: two overlapping 8- or 4-byte copies,
/// or up to three single bytes. For the few bytes of a token or option
/// value this beats a call to memcpy.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 12 || dst.len() < 12 {
        // Not for this helper; callers only pass short values.
        if let Some(d) = dst.get_mut(..n) {
            d.copy_from_slice(src);
        }
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

impl Pdu {
    /// Appends `head` (if any) and `bytes` (at most 12). With room in the
    /// buffer, 16 zero bytes are appended (one constant-size store), the
    /// bytes written over them in place and the rest cut off: stores only,
    /// never a load of bytes just stored (a stack copy assembled from
    /// small stores and read back whole stalls on store forwarding).
    /// Otherwise an exact append, so capacity grows as before.
    #[inline(always)]
    fn append_short(&mut self, head: Option<u8>, bytes: &[u8]) {
        let at = self.buf.len();
        let skip = usize::from(head.is_some());
        let size = skip + bytes.len();
        if bytes.len() <= 12 && self.buf.capacity() - at >= 16 {
            self.buf.extend_from_slice(&[0u8; 16]);
            if let Some(dst) = self.buf.get_mut(at..at + 16) {
                if let Some(h) = head {
                    dst[0] = h;
                }
                copy_short(&mut dst[skip..], bytes);
            }
            self.buf.truncate(at + size);
        } else {
            self.append_exact(head, bytes);
        }
    }

    // Separate, so the compiler cannot merge the two appends into one
    // variable-length memcpy call.
    #[cold]
    #[inline(never)]
    fn append_exact(&mut self, head: Option<u8>, bytes: &[u8]) {
        if let Some(h) = head {
            self.buf.push(h);
        }
        self.buf.extend_from_slice(bytes);
    }

    /// A PDU with no token, options or payload; `max_size` 0 = unlimited.
    pub fn new(typ: MsgType, code: u8, mid: u16, max_size: usize) -> Pdu {
        let mut buf = Vec::with_capacity(MAX_HEADER + max_size.clamp(16, 256));
        buf.resize(MAX_HEADER, 0);
        Pdu { typ, code, mid, buf, e_token_len: 0, max_opt: 0, data_off: None, max_size }
    }

    /// Builds a PDU from already-validated parts (used by the parser).
    pub(crate) fn from_parts(typ: MsgType, code: u8, mid: u16, body: &[u8], e_token_len: usize, max_opt: OptNum, data_off: Option<usize>) -> Pdu {
        let mut buf = Vec::with_capacity(MAX_HEADER + body.len());
        buf.resize(MAX_HEADER, 0);
        buf.extend_from_slice(body);
        Pdu { typ, code, mid, buf, e_token_len, max_opt, data_off: data_off.map(|d| d + MAX_HEADER), max_size: 0 }
    }

    /// Replaces the contents with already-validated parts (the parser's
    /// in-place path); keeps the buffer and the max size.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn refill(&mut self, typ: MsgType, code: u8, mid: u16, body: &[u8], e_token_len: usize, max_opt: OptNum, data_off: Option<usize>) {
        self.buf.truncate(MAX_HEADER);
        self.buf.extend_from_slice(body);
        self.typ = typ;
        self.code = code;
        self.mid = mid;
        self.e_token_len = e_token_len;
        self.max_opt = max_opt;
        self.data_off = data_off.map(|d| d + MAX_HEADER);
    }

    /// Drops token, options and payload; keeps type, code, mid and max size.
    pub fn clear(&mut self) {
        self.buf.truncate(MAX_HEADER);
        self.e_token_len = 0;
        self.max_opt = 0;
        self.data_off = None;
    }

    /// Bytes used after the header room (token area, options, payload).
    pub fn used_size(&self) -> usize {
        self.buf.len() - MAX_HEADER
    }
    /// The size limit on [`used_size`](Self::used_size); 0 = unlimited.
    pub fn max_size(&self) -> usize {
        self.max_size
    }
    /// Changes the size limit; fails if the PDU is already larger.
    pub fn set_max_size(&mut self, max_size: usize) -> Result<(), PduError> {
        if max_size != 0 && self.used_size() > max_size {
            return Err(PduError::TooLarge);
        }
        self.max_size = max_size;
        Ok(())
    }
    /// Highest option number added or parsed so far.
    pub fn max_opt(&self) -> OptNum {
        self.max_opt
    }
    /// Token area size, RFC 8974 length prefix included (libcoap's e_token_length).
    pub fn e_token_len(&self) -> usize {
        self.e_token_len
    }
    /// The whole buffer, header room included.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    fn body(&self) -> &[u8] {
        self.buf.get(MAX_HEADER..).unwrap_or_default()
    }
    fn opt_start(&self) -> usize {
        MAX_HEADER + self.e_token_len
    }
    fn opt_end(&self) -> usize {
        self.data_off.map_or(self.buf.len(), |d| d - 1)
    }

    /// Offset in [`buffer`](Self::buffer) of the first token byte.
    pub fn token_offset(&self) -> usize {
        MAX_HEADER + token_prefix_len(self.token_len())
    }
    /// Offset in [`buffer`](Self::buffer) of the first option byte.
    pub fn options_offset(&self) -> usize {
        self.opt_start()
    }
    /// Offset in [`buffer`](Self::buffer) of the payload, if there is one.
    pub fn payload_offset(&self) -> Option<usize> {
        self.data_off
    }

    /// Token length without the RFC 8974 prefix.
    pub fn token_len(&self) -> usize {
        match self.e_token_len {
            0..=12 => self.e_token_len,
            13..=269 => self.e_token_len - 1,
            n => n - 2,
        }
    }
    /// The token.
    pub fn token(&self) -> &[u8] {
        self.buf.get(self.token_offset()..self.opt_start()).unwrap_or_default()
    }
    /// The encoded options, in number order, without marker or payload.
    pub fn options_area(&self) -> &[u8] {
        self.buf.get(self.opt_start()..self.opt_end()).unwrap_or_default()
    }
    /// Iterates the options (offsets are relative to [`options_offset`](Self::options_offset)).
    pub fn options(&self) -> OptIter<'_> {
        OptIter::new(self.options_area())
    }
    /// First option with `number`.
    pub fn option(&self, number: OptNum) -> Option<Opt<'_>> {
        // Options are in ascending order, in a parsed PDU as in one built
        // here; most lookups are for options a message does not carry.
        if number > self.max_opt {
            return None;
        }
        self.options().map_while(Result::ok).take_while(|o| o.number <= number).find(|o| o.number == number)
    }
    /// The payload; `None` if there is none.
    pub fn payload(&self) -> Option<&[u8]> {
        self.buf.get(self.data_off?..)
    }
    /// Token, options and payload as they follow the header on the wire.
    pub fn body_bytes(&self) -> &[u8] {
        self.body()
    }

    #[inline]
    fn check_grow(&self, extra: usize) -> Result<(), PduError> {
        let new = self.used_size().checked_add(extra).ok_or(PduError::TooLarge)?;
        if self.max_size != 0 && new > self.max_size {
            return Err(PduError::TooLarge);
        }
        Ok(())
    }

    /// The RFC 8974 length prefix of a token of `len` bytes, in a fixed
    /// buffer, and how many of its bytes are used.
    fn token_prefix(len: usize) -> Result<([u8; 2], usize), PduError> {
        match token_prefix_len(len) {
            0 => Ok(([0, 0], 0)),
            1 => Ok(([(len - 13) as u8, 0], 1)),
            _ => {
                let v = u16::try_from(len - 269).map_err(|_| PduError::TokenTooLong)?;
                Ok((v.to_be_bytes(), 2))
            }
        }
    }

    /// Sets the token of a PDU that has no token, options or payload yet.
    pub fn add_token(&mut self, token: &[u8]) -> Result<(), PduError> {
        if self.used_size() != 0 {
            return Err(PduError::TokenNotFirst);
        }
        if token.len() > TOKEN_EXT_MAX {
            return Err(PduError::TokenTooLong);
        }
        // Nothing follows the header room yet: the token area is appended.
        if token.len() <= 12 {
            self.check_grow(token.len())?;
            self.append_short(None, token);
            self.e_token_len = token.len();
            return Ok(());
        }
        let (prefix, n) = Self::token_prefix(token.len())?;
        let area = n + token.len();
        self.check_grow(area)?;
        self.buf.reserve(area);
        self.buf.extend_from_slice(prefix.get(..n).unwrap_or_default());
        self.buf.extend_from_slice(token);
        self.e_token_len = area;
        Ok(())
    }

    /// Replaces the token, moving options and payload; the header room is never touched.
    pub fn update_token(&mut self, token: &[u8]) -> Result<(), PduError> {
        if token.len() > TOKEN_EXT_MAX {
            return Err(PduError::TokenTooLong);
        }
        let (prefix, n) = Self::token_prefix(token.len())?;
        let area = n + token.len();
        if area > self.e_token_len {
            self.check_grow(area - self.e_token_len)?;
        }
        let start = self.opt_start();
        let bytes = prefix.get(..n).unwrap_or_default().iter().chain(token).copied();
        self.buf.splice(MAX_HEADER..start, bytes);
        let new_start = MAX_HEADER + area;
        self.data_off = self.data_off.map(|d| d - start + new_start);
        self.e_token_len = area;
        Ok(())
    }

    /// Adds an option, inserting it in number order after any equal numbers;
    /// returns the encoded size of the new option.
    #[inline]
    pub fn add_option(&mut self, number: OptNum, value: &[u8]) -> Result<usize, PduError> {
        // The usual case, kept small enough to inline: appended in order,
        // delta and length below 13 (a one-byte header). Same checks as
        // the general path.
        let len = value.len();
        if self.data_off.is_none() && number >= self.max_opt && number - self.max_opt < 13 && len < 13 {
            let size = 1 + len;
            self.check_grow(size)?;
            self.append_short(Some((((number - self.max_opt) as u8) << 4) | len as u8), value);
            self.max_opt = number;
            return Ok(size);
        }
        self.add_option_general(number, value)
    }

    #[inline(never)]
    fn add_option_general(&mut self, number: OptNum, value: &[u8]) -> Result<usize, PduError> {
        if self.data_off.is_some() {
            return Err(PduError::HasPayload);
        }
        if number >= self.max_opt {
            let delta = u32::from(number - self.max_opt);
            self.check_grow(option::encoded_size(delta, value.len()))?;
            let n = option::push(&mut self.buf, delta, value)?;
            self.max_opt = number;
            return Ok(n);
        }
        self.insert_option(number, value)
    }

    // Kept out of line: inlined, its iterator state made every in-order
    // add_option save and restore six registers and a 200-byte frame.
    #[inline(never)]
    fn insert_option(&mut self, number: OptNum, value: &[u8]) -> Result<usize, PduError> {
        let mut prev: OptNum = 0;
        let mut next = None;
        for o in self.options() {
            let o = o.map_err(|_| PduError::BadOptions)?;
            if o.number > number {
                next = Some(o);
                break;
            }
            prev = o.number;
        }
        // number < max_opt, so a following option exists.
        let next = next.ok_or(PduError::BadOptions)?;
        let delta = u32::from(number - prev);
        let mut new = Vec::with_capacity(option::MAX_OPT_HEADER * 2 + value.len());
        let n = option::push(&mut new, delta, value)?;
        option::push(&mut new, u32::from(next.number - number), next.value)?;
        let growth = new.len().saturating_sub(next.size);
        self.check_grow(growth)?;
        let at = self.opt_start() + next.offset;
        self.buf.splice(at..at + next.size, new);
        Ok(n)
    }

    /// Adds an option even after the payload was set: it goes in front of
    /// the payload marker (the library adds Observe to a handler's answer).
    pub fn add_option_before_payload(&mut self, number: OptNum, value: &[u8]) -> Result<usize, PduError> {
        let Some(data_off) = self.data_off else { return self.add_option(number, value) };
        // The marker and payload step aside while the option goes in.
        let tail = self.buf.split_off(data_off.saturating_sub(1));
        self.data_off = None;
        let added = self.add_option(number, value);
        let new_off = self.buf.len() + 1;
        self.buf.extend_from_slice(&tail);
        self.data_off = Some(new_off);
        added
    }

    /// Removes the first option with `number`; false if there is none.
    pub fn remove_option(&mut self, number: OptNum) -> bool {
        let mut prev: OptNum = 0;
        let mut gone: Option<(usize, usize)> = None;
        // (end offset of the following option, its re-encoded bytes)
        let mut following: Option<(usize, Vec<u8>)> = None;
        for o in self.options().map_while(Result::ok) {
            if gone.is_some() {
                let mut re = Vec::with_capacity(option::MAX_OPT_HEADER + o.value.len());
                if option::push(&mut re, u32::from(o.number - prev), o.value).is_err() {
                    return false;
                }
                following = Some((o.offset + o.size, re));
                break;
            }
            if o.number == number {
                gone = Some((o.offset, o.size));
            } else {
                prev = o.number;
            }
        }
        let Some((off, size)) = gone else { return false };
        let last = following.is_none();
        let (end, replacement) = following.unwrap_or((off + size, Vec::new()));
        let start = self.opt_start();
        let (removed, added) = (end - off, replacement.len());
        self.buf.splice(start + off..start + end, replacement);
        self.data_off = self.data_off.map(|d| d + added - removed);
        if last {
            self.max_opt = prev;
        }
        true
    }

    /// Adds the payload once, after all options; an empty payload adds nothing.
    pub fn add_payload(&mut self, data: &[u8]) -> Result<(), PduError> {
        if self.data_off.is_some() {
            return Err(PduError::HasPayload);
        }
        if data.is_empty() {
            return Ok(());
        }
        // Copied once, straight after the marker (no zero-fill first).
        self.check_grow(data.len().checked_add(1).ok_or(PduError::TooLarge)?)?;
        self.buf.reserve(data.len() + 1);
        self.buf.push(PAYLOAD_MARKER);
        let off = self.buf.len();
        self.buf.extend_from_slice(data);
        self.data_off = Some(off);
        Ok(())
    }

    /// Reserves `len` payload bytes (zeroed) and returns them to be filled in.
    pub fn add_data_after(&mut self, len: usize) -> Result<&mut [u8], PduError> {
        if self.data_off.is_some() {
            return Err(PduError::HasPayload);
        }
        if len == 0 {
            return Ok(&mut []);
        }
        self.check_grow(len.checked_add(1).ok_or(PduError::TooLarge)?)?;
        self.buf.push(PAYLOAD_MARKER);
        let off = self.buf.len();
        self.buf.resize(off + len, 0);
        self.data_off = Some(off);
        Ok(self.buf.get_mut(off..).unwrap_or_default())
    }

    /// Header room and body, for the wire writer.
    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

#[cfg(test)]
#[path = "pdu_tests.rs"]
mod tests;
