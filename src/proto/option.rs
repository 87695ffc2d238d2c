//! CoAP option encoding (RFC 7252 §3.1), option iteration, filters and the
//! registry of known options.

/// An option number.
pub type OptNum = u16;

/// Largest value a delta or length field can carry (14 => 269 + 0xFFFF).
pub const MAX_EXT_VALUE: u32 = 269 + 0xFFFF;
/// Largest encoded option header: one byte plus two 2-byte extensions.
pub const MAX_OPT_HEADER: usize = 5;
/// The byte that ends the options and starts the payload.
pub const PAYLOAD_MARKER: u8 = 0xFF;

pub const IF_MATCH: OptNum = 1;
pub const URI_HOST: OptNum = 3;
pub const ETAG: OptNum = 4;
pub const IF_NONE_MATCH: OptNum = 5;
pub const OBSERVE: OptNum = 6;
pub const URI_PORT: OptNum = 7;
pub const LOCATION_PATH: OptNum = 8;
pub const OSCORE: OptNum = 9;
pub const URI_PATH: OptNum = 11;
pub const CONTENT_FORMAT: OptNum = 12;
pub const MAX_AGE: OptNum = 14;
pub const URI_QUERY: OptNum = 15;
pub const HOP_LIMIT: OptNum = 16;
pub const ACCEPT: OptNum = 17;
pub const Q_BLOCK1: OptNum = 19;
pub const LOCATION_QUERY: OptNum = 20;
pub const BLOCK2: OptNum = 23;
pub const BLOCK1: OptNum = 27;
pub const SIZE2: OptNum = 28;
pub const Q_BLOCK2: OptNum = 31;
pub const PROXY_URI: OptNum = 35;
pub const PROXY_SCHEME: OptNum = 39;
pub const SIZE1: OptNum = 60;
pub const ECHO: OptNum = 252;
pub const NO_RESPONSE: OptNum = 258;
pub const REQUEST_TAG: OptNum = 292;

/// Why an encoded option could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptError {
    /// The bytes end before the option header or value does.
    Truncated,
    /// Delta nibble 15 in a byte that is not the payload marker.
    ReservedDelta,
    /// Length nibble 15.
    ReservedLength,
    /// The option number would pass 65535.
    NumberOverflow,
    /// The byte is the payload marker, not an option.
    PayloadMarker,
    /// Value or delta too large to encode, or output buffer too small.
    TooLarge,
}

/// A decoded option header: delta, value length and header size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptHeader {
    pub delta: u32,
    pub length: u32,
    pub header_len: usize,
}

fn nibble(v: u32) -> (u8, usize) {
    match v {
        0..=12 => (v as u8, 0),
        13..=268 => (13, 1),
        _ => (14, 2),
    }
}

/// Size of the header that encodes `delta` and `length`.
pub fn header_size(delta: u32, length: usize) -> usize {
    let len = u32::try_from(length).unwrap_or(u32::MAX);
    1 + nibble(delta).1 + nibble(len).1
}

/// Full encoded size (header plus value) of an option.
pub fn encoded_size(delta: u32, length: usize) -> usize {
    header_size(delta, length) + length
}

fn put_ext(buf: &mut [u8], pos: usize, v: u32, extra: usize) -> Option<()> {
    match extra {
        1 => *buf.get_mut(pos)? = (v - 13) as u8,
        2 => {
            let x = (v - 269) as u16;
            buf.get_mut(pos..pos + 2)?.copy_from_slice(&x.to_be_bytes());
        }
        _ => {}
    }
    Some(())
}

/// Writes an option header into `buf`; returns the bytes written.
pub fn encode_header(buf: &mut [u8], delta: u32, length: usize) -> Result<usize, OptError> {
    let len = u32::try_from(length).map_err(|_| OptError::TooLarge)?;
    if delta > MAX_EXT_VALUE || len > MAX_EXT_VALUE {
        return Err(OptError::TooLarge);
    }
    let (dn, dx) = nibble(delta);
    let (ln, lx) = nibble(len);
    let size = 1 + dx + lx;
    if buf.len() < size {
        return Err(OptError::TooLarge);
    }
    *buf.first_mut().ok_or(OptError::TooLarge)? = (dn << 4) | ln;
    put_ext(buf, 1, delta, dx).ok_or(OptError::TooLarge)?;
    put_ext(buf, 1 + dx, len, lx).ok_or(OptError::TooLarge)?;
    Ok(size)
}

/// Writes header and value into `buf`; returns the bytes written.
pub fn encode(buf: &mut [u8], delta: u32, value: &[u8]) -> Result<usize, OptError> {
    let h = encode_header(buf, delta, value.len())?;
    let dst = buf.get_mut(h..h + value.len()).ok_or(OptError::TooLarge)?;
    dst.copy_from_slice(value);
    Ok(h + value.len())
}

/// Appends an encoded option to `out`; returns the bytes added.
#[inline]
pub fn push(out: &mut Vec<u8>, delta: u32, value: &[u8]) -> Result<usize, OptError> {
    let len = value.len();
    if delta < 13 && len < 13 {
        // The common case: a one-byte header.
        out.reserve(1 + len);
        out.push(((delta as u8) << 4) | len as u8);
        out.extend_from_slice(value);
        return Ok(1 + len);
    }
    push_extended(out, delta, value)
}

/// [`push`] for options whose delta or length needs extension bytes. The
/// header is put together in a fixed array and appended whole (a
/// constant-size copy), then cut to its real length.
#[inline(never)]
fn push_extended(out: &mut Vec<u8>, delta: u32, value: &[u8]) -> Result<usize, OptError> {
    let mut hdr = [0u8; MAX_OPT_HEADER];
    let h = encode_header(&mut hdr, delta, value.len())?;
    out.reserve(MAX_OPT_HEADER + value.len());
    let at = out.len();
    out.extend_from_slice(&hdr);
    out.truncate(at + h);
    out.extend_from_slice(value);
    Ok(h + value.len())
}

fn read_ext(bytes: &[u8], pos: usize, n: u8) -> Result<(u32, usize), OptError> {
    match n {
        13 => Ok((u32::from(*bytes.get(pos).ok_or(OptError::Truncated)?) + 13, 1)),
        14 => {
            let b = bytes.get(pos..pos + 2).ok_or(OptError::Truncated)?;
            Ok((u32::from(u16::from_be_bytes([b[0], b[1]])) + 269, 2))
        }
        _ => Ok((u32::from(n), 0)),
    }
}

/// Decodes one option header at the start of `bytes` (value not checked).
pub fn decode_header(bytes: &[u8]) -> Result<OptHeader, OptError> {
    let first = *bytes.first().ok_or(OptError::Truncated)?;
    if first == PAYLOAD_MARKER {
        return Err(OptError::PayloadMarker);
    }
    let (dn, ln) = (first >> 4, first & 0x0F);
    if dn == 15 {
        return Err(OptError::ReservedDelta);
    }
    if ln == 15 {
        return Err(OptError::ReservedLength);
    }
    let (delta, dx) = read_ext(bytes, 1, dn)?;
    let (length, lx) = read_ext(bytes, 1 + dx, ln)?;
    Ok(OptHeader { delta, length, header_len: 1 + dx + lx })
}

/// Decodes one whole option: header plus a value that must fit in `bytes`.
pub fn decode(bytes: &[u8]) -> Result<(OptHeader, &[u8]), OptError> {
    let h = decode_header(bytes)?;
    let end = h.header_len.checked_add(h.length as usize).ok_or(OptError::Truncated)?;
    let value = bytes.get(h.header_len..end).ok_or(OptError::Truncated)?;
    Ok((h, value))
}

/// Reads a delta or length extension selected by nibble `n` at `*p`.
#[inline(always)]
fn ext_at(bytes: &[u8], p: &mut usize, n: u8) -> Result<u32, OptError> {
    match n {
        0..=12 => Ok(u32::from(n)),
        13 => {
            let b = *bytes.get(*p).ok_or(OptError::Truncated)?;
            *p += 1;
            Ok(u32::from(b) + 13)
        }
        _ => {
            let b = bytes.get(*p..*p + 2).ok_or(OptError::Truncated)?;
            *p += 2;
            Ok(u32::from(u16::from_be_bytes([b[0], b[1]])) + 269)
        }
    }
}

/// Decodes the option starting at `pos` in `bytes` without building
/// slices: its delta and where its value starts and ends (both within
/// `bytes`). The byte at `pos` must exist and not be the payload marker;
/// the same checks as [`decode`] apply otherwise.
#[inline]
pub fn locate(bytes: &[u8], pos: usize) -> Result<(u32, usize, usize), OptError> {
    let first = *bytes.get(pos).ok_or(OptError::Truncated)?;
    let (dn, ln) = (first >> 4, first & 0x0F);
    if dn == 15 {
        return Err(if first == PAYLOAD_MARKER { OptError::PayloadMarker } else { OptError::ReservedDelta });
    }
    if ln == 15 {
        return Err(OptError::ReservedLength);
    }
    let mut p = pos + 1;
    let delta = ext_at(bytes, &mut p, dn)?;
    let length = ext_at(bytes, &mut p, ln)?;
    let end = p.checked_add(length as usize).ok_or(OptError::Truncated)?;
    if end > bytes.len() {
        return Err(OptError::Truncated);
    }
    Ok((delta, p, end))
}

/// One option seen by an [`OptIter`]: number, value, and where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt<'a> {
    pub number: OptNum,
    pub value: &'a [u8],
    /// Offset of the option's first header byte in the iterated area.
    pub offset: usize,
    /// Encoded size (header plus value).
    pub size: usize,
}

/// Iterates an encoded option area; stops at the payload marker or the end,
/// yields one `Err` on malformed input and then stops.
#[derive(Debug, Clone)]
pub struct OptIter<'a> {
    area: &'a [u8],
    pos: usize,
    number: u32,
    filter: Option<OptFilter>,
    done: bool,
    bad: bool,
}

impl<'a> OptIter<'a> {
    /// Iterates all options in `area` (options, possibly followed by 0xFF and payload).
    pub fn new(area: &'a [u8]) -> Self {
        OptIter { area, pos: 0, number: 0, filter: None, done: false, bad: false }
    }
    /// Iterates only options whose number is set in `filter`.
    pub fn with_filter(area: &'a [u8], filter: OptFilter) -> Self {
        OptIter { filter: Some(filter), ..Self::new(area) }
    }
    /// True once a malformed option has been met.
    pub fn is_bad(&self) -> bool {
        self.bad
    }
    /// Offset where iteration stopped or will continue.
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    fn step(&mut self) -> Option<Result<Opt<'a>, OptError>> {
        match self.area.get(self.pos) {
            None | Some(&PAYLOAD_MARKER) => return None,
            Some(_) => {}
        }
        let (delta, start, end) = match locate(self.area, self.pos) {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        let number = self.number + delta;
        let Ok(num16) = OptNum::try_from(number) else {
            return Some(Err(OptError::NumberOverflow));
        };
        let value = self.area.get(start..end).unwrap_or_default();
        let opt = Opt { number: num16, value, offset: self.pos, size: end - self.pos };
        self.number = number;
        self.pos = end;
        Some(Ok(opt))
    }
}

impl<'a> Iterator for OptIter<'a> {
    type Item = Result<Opt<'a>, OptError>;
    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.step() {
                None => self.done = true,
                Some(Err(e)) => {
                    self.done = true;
                    self.bad = true;
                    return Some(Err(e));
                }
                Some(Ok(o)) => {
                    if self.filter.map_or(true, |f| f.get(o.number)) {
                        return Some(Ok(o));
                    }
                }
            }
        }
        None
    }
}

/// Where the options end in `area` and the highest number seen; the first
/// error if the area is malformed.
pub fn scan(area: &[u8]) -> Result<(usize, OptNum), OptError> {
    let mut it = OptIter::new(area);
    let mut max = 0;
    for o in it.by_ref() {
        max = o?.number;
    }
    Ok((it.position(), max))
}

/// Number of short (< 256) option numbers a filter can hold.
pub const FILTER_SHORT: usize = 6;
/// Number of long (>= 256) option numbers a filter can hold.
pub const FILTER_LONG: usize = 2;

/// libcoap's `coap_opt_filter_t`: mask bits 0..2 flag `long_opts`, bits 2..8
/// flag `short_opts`; new entries take the highest free bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptFilter {
    pub mask: u16,
    pub long_opts: [u16; FILTER_LONG],
    pub short_opts: [u8; FILTER_SHORT],
}

impl OptFilter {
    /// An empty filter.
    pub fn new() -> Self {
        Self::default()
    }
    /// Removes every number.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    fn find(&self, number: OptNum) -> Option<u16> {
        if number > 255 {
            (0..FILTER_LONG).find_map(|i| {
                let bit = 1u16 << i;
                (self.mask & bit != 0 && self.long_opts.get(i) == Some(&number)).then_some(bit)
            })
        } else {
            (0..FILTER_SHORT).find_map(|i| {
                let bit = 1u16 << (i + FILTER_LONG);
                (self.mask & bit != 0 && self.short_opts.get(i).map(|&s| OptNum::from(s)) == Some(number))
                    .then_some(bit)
            })
        }
    }

    /// True if `number` is in the filter.
    pub fn get(&self, number: OptNum) -> bool {
        self.find(number).is_some()
    }

    /// Adds `number`; false if its class (short/long) is full.
    pub fn set(&mut self, number: OptNum) -> bool {
        if self.get(number) {
            return true;
        }
        let (lo, n) = if number > 255 { (0, FILTER_LONG) } else { (FILTER_LONG, FILTER_SHORT) };
        let Some(i) = (0..n).rev().find(|i| self.mask & (1 << (lo + i)) == 0) else {
            return false;
        };
        let stored = if number > 255 {
            self.long_opts.get_mut(i).map(|s| *s = number)
        } else {
            self.short_opts.get_mut(i).map(|s| *s = number as u8)
        };
        if stored.is_some() {
            self.mask |= 1 << (lo + i);
        }
        stored.is_some()
    }

    /// Removes `number`; false if it was not there.
    pub fn unset(&mut self, number: OptNum) -> bool {
        match self.find(number) {
            Some(bit) => {
                self.mask &= !bit;
                true
            }
            None => false,
        }
    }
}

/// True if the option is critical (RFC 7252 §5.4.6: odd number).
pub fn is_critical(number: OptNum) -> bool {
    number & 0x01 != 0
}
/// True if the option is unsafe to forward.
pub fn is_unsafe(number: OptNum) -> bool {
    number & 0x02 != 0
}
/// True if the option is not part of the cache key (only meaningful if safe).
pub fn is_no_cache_key(number: OptNum) -> bool {
    number & 0x1E == 0x1C
}

/// Value format of a registered option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptFormat {
    Empty,
    Opaque,
    Uint,
    String,
}

/// One entry of the known-option registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptDef {
    pub number: OptNum,
    pub name: &'static str,
    pub format: OptFormat,
    pub min_len: u16,
    pub max_len: u16,
    pub repeatable: bool,
}

const fn def(number: OptNum, name: &'static str, format: OptFormat, min_len: u16, max_len: u16, repeatable: bool) -> OptDef {
    OptDef { number, name, format, min_len, max_len, repeatable }
}

use OptFormat::{Empty, Opaque, String as Str, Uint};

/// Known options, ascending by number. Lengths are the ones libcoap enforces
/// on receipt (Observe is empty or uint; OSCORE is opaque).
pub const REGISTRY: &[OptDef] = &[
    def(IF_MATCH, "If-Match", Opaque, 0, 8, true),
    def(URI_HOST, "Uri-Host", Str, 1, 255, false),
    def(ETAG, "ETag", Opaque, 1, 8, true),
    def(IF_NONE_MATCH, "If-None-Match", Empty, 0, 0, false),
    def(OBSERVE, "Observe", Uint, 0, 3, false),
    def(URI_PORT, "Uri-Port", Uint, 0, 2, false),
    def(LOCATION_PATH, "Location-Path", Str, 0, 255, true),
    def(OSCORE, "OSCORE", Opaque, 0, 255, false),
    def(URI_PATH, "Uri-Path", Str, 0, 255, true),
    def(CONTENT_FORMAT, "Content-Format", Uint, 0, 2, false),
    def(MAX_AGE, "Max-Age", Uint, 0, 4, false),
    def(URI_QUERY, "Uri-Query", Str, 1, 255, true),
    def(HOP_LIMIT, "Hop-Limit", Uint, 1, 1, false),
    def(ACCEPT, "Accept", Uint, 0, 2, false),
    def(Q_BLOCK1, "Q-Block1", Uint, 0, 3, false),
    def(LOCATION_QUERY, "Location-Query", Str, 0, 255, true),
    def(BLOCK2, "Block2", Uint, 0, 3, false),
    def(BLOCK1, "Block1", Uint, 0, 3, false),
    def(SIZE2, "Size2", Uint, 0, 4, false),
    def(Q_BLOCK2, "Q-Block2", Uint, 0, 3, true),
    def(PROXY_URI, "Proxy-Uri", Str, 1, 1034, false),
    def(PROXY_SCHEME, "Proxy-Scheme", Str, 1, 255, false),
    def(SIZE1, "Size1", Uint, 0, 4, false),
    def(ECHO, "Echo", Opaque, 0, 40, false),
    def(NO_RESPONSE, "No-Response", Uint, 0, 1, false),
    def(REQUEST_TAG, "Request-Tag", Opaque, 0, 8, true),
];

/// Position in REGISTRY by option number (u8::MAX: unknown), so the
/// per-option check on every parsed message is one load, not a search.
const INDEX: [u8; REQUEST_TAG as usize + 1] = {
    let mut t = [u8::MAX; REQUEST_TAG as usize + 1];
    let mut i = 0;
    while i < REGISTRY.len() {
        t[REGISTRY[i].number as usize] = i as u8;
        i += 1;
    }
    t
};

/// The registry entry for `number`, if it is a known option.
pub fn lookup(number: OptNum) -> Option<&'static OptDef> {
    let i = *INDEX.get(usize::from(number))?;
    REGISTRY.get(usize::from(i))
}

/// Outcome of checking a received option against the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptCheck {
    /// Known option with a valid length.
    Ok,
    /// Not in the registry; the caller decides by [`is_critical`].
    Unknown,
    /// Known option with a length outside its range (libcoap rejects the PDU).
    BadLength,
}

/// Checks an option's value length against the registry.
pub fn check(number: OptNum, length: usize) -> OptCheck {
    match lookup(number) {
        None => OptCheck::Unknown,
        Some(d) if length < usize::from(d.min_len) || length > usize::from(d.max_len) => OptCheck::BadLength,
        Some(_) => OptCheck::Ok,
    }
}

#[cfg(test)]
#[path = "option_tests.rs"]
mod tests;
