//! A client's Q-Block transfers (RFC 9177, coap_block(3) with
//! COAP_BLOCK_TRY_Q_BLOCK): whether the server takes Q-Block, bodies sent
//! in bursts of MAX_PAYLOADS Q-Block1 pieces, and Q-Block2 bodies put back
//! together from bursts with the gaps asked for again.
//!
//! Pure state and bookkeeping; the sending lives in
//! `context/qblock_client.rs`.
use std::collections::VecDeque;

use crate::engine::block::{set_end, set_start, MAX_BODY};
use crate::proto::block::{self, Block};
use crate::proto::option::{self, OptNum};
use crate::proto::pdu::Pdu;

/// Tokens remembered per transfer: enough for a few bursts in flight, so
/// late answers to older pieces still find their transfer.
const TOKENS_KEPT: usize = 64;
/// Q-Block transfers of each direction one session keeps at once.
pub const MAX_TRANSFERS: usize = 8;
/// How far beyond the pieces seen so far one may land: a burst is at most
/// MAX_PAYLOADS pieces, and a peer naming a piece far ahead would make the
/// body grow by megabytes of nothing at once.
const MAX_AHEAD: usize = 1024;

/// What the client knows of the server's Q-Block support.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    #[default]
    Unknown,
    /// The probe is out; requests wait for its answer.
    Probing,
    Yes,
    No,
}

/// A request body going out in Q-Block1 pieces.
#[derive(Debug)]
pub struct QUpload {
    pub app_token: Vec<u8>,
    pub tokens: VecDeque<Vec<u8>>,
    /// The first piece as the application built it (options to repeat).
    pub first: Pdu,
    pub body: Vec<u8>,
    pub szx: u8,
    /// Next piece not yet sent.
    pub next: u32,
    pub count: u32,
    /// Missing-block rounds the server asked for (bounded).
    pub rounds: u32,
    /// When to send the next burst without a 2.31 (ms), if one is due.
    pub due: Option<u64>,
    pub touched: u64,
}

/// A response body arriving in Q-Block2 pieces.
#[derive(Debug)]
pub struct QDownload {
    pub app_token: Vec<u8>,
    pub tokens: VecDeque<Vec<u8>>,
    /// The request to repeat when asking for more pieces.
    pub request: Pdu,
    pub sent: Option<Pdu>,
    /// The first response without its payload: what the application sees.
    pub head: Pdu,
    pub etag: Option<Vec<u8>>,
    pub szx: u8,
    pub body: Vec<u8>,
    pub have: Vec<bool>,
    /// Number of the piece with M clear, once seen.
    pub last: Option<u32>,
    pub retries: u16,
    pub restarts: u8,
    /// When to ask for the gaps again (ms).
    pub due: Option<u64>,
    pub touched: u64,
}

/// A request held back, with the body coap_add_data_large_request() gave.
pub type Held = (Pdu, Option<(Vec<u8>, u8)>);

#[derive(Debug, Default)]
pub struct QClient {
    pub support: Support,
    pub probe_token: Option<Vec<u8>>,
    /// Requests the application sent while the probe was out.
    pub held: Vec<Held>,
    pub uploads: Vec<QUpload>,
    pub downloads: Vec<QDownload>,
    /// Recent NON GET/FETCH requests (any block mode): no pending copy is
    /// kept of them to build follow-up block requests from.
    pub asked: VecDeque<Pdu>,
}

impl QClient {
    pub fn note_request(&mut self, pdu: &Pdu) {
        if self.asked.len() >= MAX_TRANSFERS {
            self.asked.pop_front();
        }
        self.asked.push_back(pdu.clone());
    }

    pub fn take_request(&mut self, token: &[u8]) -> Option<Pdu> {
        let i = self.asked.iter().position(|p| p.token() == token)?;
        self.asked.remove(i)
    }
}

pub fn remember(tokens: &mut VecDeque<Vec<u8>>, token: Vec<u8>) {
    if tokens.len() >= TOKENS_KEPT {
        tokens.pop_front();
    }
    tokens.push_back(token);
}

impl QUpload {
    pub fn owns(&self, token: &[u8]) -> bool {
        self.app_token == token || self.tokens.iter().any(|t| t == token)
    }
}

impl QDownload {
    /// A download whose first answer was `head` (without its payload).
    pub fn new(app_token: Vec<u8>, request: Pdu, sent: Option<Pdu>, head: Pdu, szx: u8, now: u64) -> QDownload {
        let etag = head.option(option::ETAG).map(|o| o.value.to_vec());
        QDownload {
            app_token,
            tokens: VecDeque::new(),
            request,
            sent,
            head,
            etag,
            szx,
            body: Vec::new(),
            have: Vec::new(),
            last: None,
            retries: 0,
            restarts: 0,
            due: None,
            touched: now,
        }
    }

    pub fn owns(&self, token: &[u8]) -> bool {
        self.app_token == token || self.tokens.iter().any(|t| t == token)
    }

    /// Stores piece `num`; false when it cannot be taken (size, limit).
    pub fn place(&mut self, num: u32, more: bool, data: &[u8]) -> bool {
        let Some(size) = block::szx_size(self.szx) else { return false };
        let offset = (num as usize).saturating_mul(size);
        let end = offset.saturating_add(data.len());
        let ahead = (num as usize).saturating_sub(self.have.len());
        if end > MAX_BODY || ahead > MAX_AHEAD || (more && data.len() != size) || self.last.is_some_and(|l| num > l) {
            return false;
        }
        if !more {
            self.last = Some(num);
            self.have.truncate(num as usize + 1);
            self.body.truncate(end);
        }
        if self.body.len() < end {
            self.body.resize(end, 0);
        }
        if let Some(dst) = self.body.get_mut(offset..end) {
            dst.copy_from_slice(data);
        }
        let i = num as usize;
        if self.have.len() <= i {
            self.have.resize(i + 1, false);
        }
        if let Some(h) = self.have.get_mut(i) {
            *h = true;
        }
        true
    }

    pub fn complete(&self) -> bool {
        self.last.is_some_and(|l| self.have.len() == l as usize + 1) && self.have.iter().all(|&h| h)
    }

    /// Whether every piece of the MAX_PAYLOADS set ending at `num` is in.
    pub fn set_complete(&self, num: u32, max_payloads: u16) -> bool {
        let start = set_start(num, max_payloads) as usize;
        self.have.get(start..=num as usize).is_some_and(|s| s.iter().all(|&h| h))
    }

    /// Pieces to ask for again: the gaps below the highest seen, at most
    /// `limit` of them; the next one after it when there are no gaps and
    /// the end was not seen.
    pub fn wanted(&self, limit: usize) -> Vec<u32> {
        let gaps: Vec<u32> =
            self.have.iter().enumerate().filter(|(_, &h)| !h).map(|(i, _)| i as u32).take(limit).collect();
        if gaps.is_empty() && self.last.is_none() {
            return vec![self.have.len() as u32];
        }
        gaps
    }
}

/// Whether `num` ends its MAX_PAYLOADS set.
pub fn ends_set(num: u32, max_payloads: u16) -> bool {
    set_end(num, max_payloads) == num
}

/// `pdu` with its BlockN options swapped for the Q-BlockN ones (`to_q`)
/// or back. A Q-Block2 going out (the application's own or swapped in)
/// has M set: the server sends the rest of the body (NON: of the set)
/// without being asked piece by piece; a Block2 in a request has M clear.
pub fn swap_block_options(pdu: &Pdu, to_q: bool) -> Option<Pdu> {
    let pairs: [(OptNum, OptNum); 2] = [(option::BLOCK1, option::Q_BLOCK1), (option::BLOCK2, option::Q_BLOCK2)];
    let mut drop = Vec::new();
    let mut add = Vec::new();
    for (plain, q) in pairs {
        let (from, to) = if to_q { (plain, q) } else { (q, plain) };
        let Some(o) = pdu.option(from).or_else(|| pdu.option(to).filter(|_| to == option::Q_BLOCK2)) else {
            continue;
        };
        let (number, mut value) = (o.number, o.value.to_vec());
        if to == option::Q_BLOCK2 || to == option::BLOCK2 {
            match Block::decode(&value, false) {
                Ok(b) if b.more != (to == option::Q_BLOCK2) => value = Block { more: !b.more, ..b }.to_vec(),
                _ if number == to => continue, // already as it should be
                _ => {}
            }
        }
        if number != to {
            log::debug!("Q-Block: option {from} replaced with {to}");
        }
        drop.push(number);
        add.push((to, value));
    }
    if drop.is_empty() {
        return None;
    }
    super::block::rebuild(pdu, pdu.typ, pdu.mid, pdu.token(), &drop, &add, pdu.payload().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::msg::{self, MsgType};

    fn download() -> QDownload {
        let p = Pdu::new(MsgType::Non, msg::GET, 1, 0);
        QDownload::new(vec![1], p.clone(), None, p, 0, 0)
    }

    #[test]
    fn pieces_in_any_order_complete_the_body() {
        let mut d = download();
        assert!(d.place(2, false, b"cc"));
        assert!(!d.complete());
        assert_eq!(d.wanted(10), vec![0, 1]);
        assert!(d.place(0, true, &[b'a'; 16]));
        assert!(d.place(1, true, &[b'b'; 16]));
        assert!(d.complete());
        assert_eq!(d.body.len(), 34);
        assert_eq!(&d.body[32..], b"cc");
    }

    #[test]
    fn bad_pieces_are_refused() {
        let mut d = download();
        assert!(!d.place(0, true, b"short"), "a middle piece must be a full block");
        assert!(d.place(3, false, b"x"));
        assert!(!d.place(4, true, &[0; 16]), "nothing after the last piece");
        assert!(!d.place(u32::MAX, false, b"x"), "beyond the body limit");
        let mut far = download();
        assert!(!far.place(5000, true, &[0; 16]), "far ahead of anything seen");
        assert!(far.body.is_empty());
    }

    #[test]
    fn sets_and_next_wanted() {
        assert_eq!(set_start(13, 10), 10);
        assert!(ends_set(9, 10) && !ends_set(10, 10));
        assert!(ends_set(0, 0), "a zero MAX_PAYLOADS counts as one");
        let mut d = download();
        for n in 0..10 {
            d.place(n, true, &[0; 16]);
        }
        assert!(d.set_complete(9, 10));
        assert_eq!(d.wanted(10), vec![10], "no gaps: the next set");
    }

    #[test]
    fn options_swap_both_ways() {
        let mut p = Pdu::new(MsgType::Non, msg::GET, 1, 0);
        p.add_token(&[7]).unwrap();
        p.add_option(option::URI_PATH, b"x").unwrap();
        p.add_option(option::BLOCK2, &Block::new(0, false, 4).unwrap().to_vec()).unwrap();
        let q = swap_block_options(&p, true).unwrap();
        assert!(q.option(option::BLOCK2).is_none());
        let b = Block::decode(q.option(option::Q_BLOCK2).unwrap().value, false).unwrap();
        assert!(b.more && b.szx == 4);
        let back = swap_block_options(&q, false).unwrap();
        assert!(back.option(option::Q_BLOCK2).is_none() && back.option(option::BLOCK2).is_some());
        assert!(!Block::decode(back.option(option::BLOCK2).unwrap().value, false).unwrap().more, "M clear in Block2");
        assert!(swap_block_options(&back, false).is_none(), "nothing to swap");
        // The application's own Q-Block2 without M gets M.
        let own = swap_block_options(&q, false).and_then(|p| swap_block_options(&p, true)).unwrap();
        let mut plain_q = own.clone();
        plain_q.remove_option(option::Q_BLOCK2);
        plain_q.add_option(option::Q_BLOCK2, &Block::new(0, false, 2).unwrap().to_vec()).unwrap();
        let fixed = swap_block_options(&plain_q, true).unwrap();
        assert!(Block::decode(fixed.option(option::Q_BLOCK2).unwrap().value, false).unwrap().more);
        assert!(swap_block_options(&fixed, true).is_none(), "already right");
    }
}
