//! Block-wise transfers the library runs for the application (RFC 7959,
//! coap_block(3) with COAP_BLOCK_USE_LIBCOAP): bodies sent in Block1
//! pieces, Block2 bodies fetched and put back together, Block1 bodies
//! reassembled for a server's handler, and large responses served block by
//! block from a copy without calling the handler again.
//!
//! The state lives per session and is bounded: a few transfers each way, a
//! maximum body, and an idle time after which a transfer is forgotten.
use crate::proto::block::{self, Block};
use crate::proto::msg::MsgType;
use crate::proto::option::{self, OptNum};
use crate::proto::pdu::Pdu;

pub const USE_LIBCOAP: u32 = 0x01;
pub const SINGLE_BODY: u32 = 0x02;
/// Q-Block1/Q-Block2 (RFC 9177) when the peer supports them; implies
/// SINGLE_BODY.
pub const TRY_Q_BLOCK: u32 = 0x04;
/// Ask for missing Q-Block2 blocks with the M bit (one request per run).
pub const USE_M_Q_BLOCK: u32 = 0x08;

/// Largest body put together for the application; a Size1 above it gets
/// 4.13 and nothing is buffered.
pub const MAX_BODY: usize = 8 << 20;
/// How far past the body received so far a block may land: blocks come
/// one at a time (Block1) or in sets of MAX_PAYLOADS (Q-Block1), so a
/// block further ahead is no transfer, only a way to make one datagram
/// allocate megabytes.
const MAX_AHEAD: usize = 1 << 20;
/// Transfers of each kind one session keeps at once (the oldest goes).
pub const MAX_PER_SESSION: usize = 8;
/// A transfer nobody touched for this long is forgotten (ms).
pub const IDLE_MS: u64 = 60_000;
/// Times a download restarts because the body changed (ETag) before it
/// gives up and hands over what it has.
pub const MAX_RESTARTS: u8 = 3;

/// A request body being sent in Block1 pieces (client).
#[derive(Debug)]
pub struct Upload {
    /// The token the application used; responses go back with it.
    pub app_token: Vec<u8>,
    /// Token of the block in flight.
    pub token: Vec<u8>,
    /// The first block as the application built it: options to repeat.
    pub first: Pdu,
    pub body: Vec<u8>,
    pub szx: u8,
    pub num: u32,
    pub touched: u64,
}

/// A response body being fetched in Block2 pieces (client).
#[derive(Debug)]
pub struct Download {
    pub app_token: Vec<u8>,
    pub token: Vec<u8>,
    /// The request to repeat for each further block.
    pub request: Pdu,
    /// The first response without payload: what the application sees.
    pub head: Pdu,
    pub sent: Option<Pdu>,
    pub body: Vec<u8>,
    pub etag: Option<Vec<u8>>,
    pub szx: u8,
    pub restarts: u8,
    pub touched: u64,
}

/// A Block1 body arriving at a server.
#[derive(Debug)]
pub struct Incoming {
    pub path: Vec<u8>,
    pub rtag: Option<Vec<u8>>,
    pub body: Vec<u8>,
    /// Byte ranges received, sorted and merged.
    pub ranges: Vec<(usize, usize)>,
    pub touched: u64,
}

/// A large response kept to serve further Block2 requests (server).
#[derive(Debug)]
pub struct Outgoing {
    pub code: u8,
    pub key: Vec<u8>,
    /// Response options (ETag, Content-Format, Size2, ...) without Block2
    /// or payload.
    pub head: Pdu,
    pub body: Vec<u8>,
    pub szx: u8,
    pub touched: u64,
}

#[derive(Debug, Default)]
pub struct Blocks {
    pub uploads: Vec<Upload>,
    pub downloads: Vec<Download>,
    pub incoming: Vec<Incoming>,
    pub outgoing: Vec<Outgoing>,
    /// Q-Block (RFC 9177) server transfers.
    pub qsrv: super::context::qblock_server::State,
}

/// Makes room for one more and forgets what went idle.
fn admit<T>(list: &mut Vec<T>, now: u64, touched: impl Fn(&T) -> u64) {
    list.retain(|t| now.saturating_sub(touched(t)) < IDLE_MS);
    if list.len() >= MAX_PER_SESSION {
        if let Some(i) = (0..list.len()).min_by_key(|&i| list.get(i).map_or(0, &touched)) {
            log::debug!("block-wise: too many transfers on one session, dropping the oldest");
            list.remove(i);
        }
    }
}

impl Blocks {
    pub fn is_empty(&self) -> bool {
        self.uploads.is_empty() && self.downloads.is_empty() && self.incoming.is_empty() && self.outgoing.is_empty() && self.qsrv.is_empty()
    }

    pub fn add_upload(&mut self, u: Upload) {
        admit(&mut self.uploads, u.touched, |x| x.touched);
        self.uploads.push(u);
    }

    pub fn add_download(&mut self, d: Download) {
        admit(&mut self.downloads, d.touched, |x| x.touched);
        self.downloads.push(d);
    }

    pub fn add_outgoing(&mut self, o: Outgoing) {
        self.outgoing.retain(|x| !(x.code == o.code && x.key == o.key));
        admit(&mut self.outgoing, o.touched, |x| x.touched);
        self.outgoing.push(o);
    }

    /// Forgets client transfers riding on `token` (their request failed).
    pub fn forget_token(&mut self, token: &[u8]) {
        self.uploads.retain(|u| u.token != token);
        self.downloads.retain(|d| d.token != token);
    }
}

/// First block number of the MAX_PAYLOADS set (RFC 9177) `num` is in; a
/// MAX_PAYLOADS of 0 counts as 1.
pub fn set_start(num: u32, max_payloads: u16) -> u32 {
    let mp = u32::from(max_payloads.max(1));
    num / mp * mp
}

/// The last block number of the MAX_PAYLOADS set `num` is in.
pub fn set_end(num: u32, max_payloads: u16) -> u32 {
    set_start(num, max_payloads).saturating_add(u32::from(max_payloads.max(1)) - 1)
}

/// The Block option `number` of a PDU, if present and valid for UDP.
pub fn block_of(pdu: &Pdu, number: OptNum) -> Option<Result<Block, block::BlockError>> {
    pdu.option(number).map(|o| Block::decode(o.value, false))
}

pub fn uint_option(pdu: &Pdu, number: OptNum) -> Option<u64> {
    pdu.option(number).map(|o| o.value.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
}

pub fn encode_uint(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(skip..).unwrap_or_default().to_vec()
}

/// A copy of `template` with a new header and token, without the options
/// in `drop` and the payload, then `add` and `payload` added.
pub fn rebuild(template: &Pdu, typ: MsgType, mid: u16, token: &[u8], drop: &[OptNum], add: &[(OptNum, Vec<u8>)], payload: &[u8]) -> Option<Pdu> {
    let mut p = Pdu::new(typ, template.code, mid, 0);
    p.add_token(token).ok()?;
    for o in template.options().map_while(Result::ok) {
        if !drop.contains(&o.number) {
            p.add_option(o.number, o.value).ok()?;
        }
    }
    for (n, v) in add {
        p.add_option(*n, v).ok()?;
    }
    p.add_payload(payload).ok()?;
    Some(p)
}

/// The key a stored large response is found by: path and queries.
pub fn resource_key(req: &Pdu) -> Vec<u8> {
    let mut key = Vec::new();
    for o in req.options().map_while(Result::ok) {
        if o.number == option::URI_PATH || o.number == option::URI_QUERY {
            key.extend_from_slice(&o.number.to_be_bytes());
            key.extend_from_slice(&(o.value.len() as u32).to_be_bytes());
            key.extend_from_slice(o.value);
        }
    }
    key
}

/// Puts `data` at `offset` of an incoming body; false if it would pass the
/// maximum body.
/// Whether a block at `offset` lands too far past what was received.
pub fn far_ahead(inc: &Incoming, offset: usize) -> bool {
    offset > inc.body.len().saturating_add(MAX_AHEAD)
}

pub fn place(inc: &mut Incoming, offset: usize, data: &[u8]) -> bool {
    let Some(end) = offset.checked_add(data.len()).filter(|&e| e <= MAX_BODY) else { return false };
    if far_ahead(inc, offset) {
        return false;
    }
    if inc.body.len() < end {
        inc.body.resize(end, 0);
    }
    if let Some(dst) = inc.body.get_mut(offset..end) {
        dst.copy_from_slice(data);
    }
    inc.ranges.push((offset, end));
    inc.ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(inc.ranges.len());
    for &(s, e) in &inc.ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    inc.ranges = merged;
    true
}

/// True once every byte up to the end of the body arrived.
pub fn complete(inc: &Incoming) -> bool {
    match inc.ranges.as_slice() {
        [] => inc.body.is_empty(),
        [(0, e)] => *e == inc.body.len(),
        _ => false,
    }
}

/// The total `coap_get_data_large()` reports for a block at `offset`:
/// the announced size if any, else a lower bound.
pub fn approx_total(size: Option<u64>, offset: usize, len: usize, more: bool, block_size: usize) -> usize {
    match size.and_then(|s| usize::try_from(s).ok()) {
        Some(s) if s >= offset + len => s,
        _ => offset + len + if more { block_size } else { 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc() -> Incoming {
        Incoming { path: vec![], rtag: None, body: vec![], ranges: vec![], touched: 0 }
    }

    #[test]
    fn out_of_order_blocks_complete_once_all_arrive() {
        let mut i = inc();
        assert!(place(&mut i, 32, &[2; 16]));
        assert!(!complete(&i));
        assert!(place(&mut i, 0, &[0; 16]));
        assert!(!complete(&i));
        assert!(place(&mut i, 16, &[1; 16]));
        assert!(place(&mut i, 16, &[1; 16])); // duplicate
        assert!(complete(&i));
        assert_eq!(i.body.len(), 48);
        assert_eq!(i.body[20], 1);
    }

    #[test]
    fn a_block_far_ahead_is_refused() {
        let mut i = inc();
        assert!(!place(&mut i, 2 << 20, b"x"));
        assert!(i.body.is_empty());
        assert!(place(&mut i, 1 << 20, b"x"), "up to 1 MiB ahead is a set in flight");
    }

    #[test]
    fn bodies_beyond_the_limit_are_refused() {
        let mut i = inc();
        assert!(!place(&mut i, MAX_BODY, &[0; 1]));
        assert!(!place(&mut i, usize::MAX, &[0; 2]));
        assert!(i.body.is_empty());
    }

    #[test]
    fn rebuild_swaps_options_and_payload() {
        let mut p = Pdu::new(MsgType::Con, crate::proto::msg::PUT, 1, 0);
        p.add_token(b"t").unwrap();
        p.add_option(option::URI_PATH, b"a").unwrap();
        p.add_option(option::BLOCK1, &[0x0e]).unwrap();
        p.add_payload(b"xyz").unwrap();
        let q = rebuild(&p, MsgType::Con, 2, b"u", &[option::BLOCK1], &[(option::BLOCK1, vec![0x1e])], b"abc").unwrap();
        assert_eq!(q.token(), b"u");
        assert_eq!(q.option(option::BLOCK1).unwrap().value, &[0x1e]);
        assert_eq!(q.option(option::URI_PATH).unwrap().value, b"a");
        assert_eq!(q.payload().unwrap(), b"abc");
    }

    #[test]
    fn idle_and_excess_transfers_are_dropped() {
        let mut b = Blocks::default();
        for n in 0..(MAX_PER_SESSION as u64 + 3) {
            let o = Outgoing { code: 1, key: vec![n as u8], head: Pdu::new(MsgType::Ack, 0, 0, 0), body: vec![], szx: 6, touched: n };
            b.add_outgoing(o);
        }
        assert_eq!(b.outgoing.len(), MAX_PER_SESSION);
        let late = Outgoing { code: 1, key: vec![99], head: Pdu::new(MsgType::Ack, 0, 0, 0), body: vec![], szx: 6, touched: IDLE_MS + 100 };
        b.add_outgoing(late);
        assert_eq!(b.outgoing.len(), 1);
    }
}
