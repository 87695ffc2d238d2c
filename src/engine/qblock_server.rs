//! The server side of Q-Block (RFC 9177), on when the application set
//! COAP_BLOCK_TRY_Q_BLOCK with COAP_BLOCK_USE_LIBCOAP. What goes on the
//! wire follows Debian's libcoap 4.3.4, checked by running it:
//! - Q-Block1 bodies are put together whole for the handler. NON blocks
//!   get no answer until a MAX_PAYLOADS set is complete (2.31); gaps are
//!   asked for with 4.08 and a missing-blocks list NON_RECEIVE_TIMEOUT
//!   after the last block arrived, repeated with doubling waits up to
//!   NON_MAX_RETRANSMIT times. CON blocks get empty ACKs.
//! - Q-Block2: a request with M set gets its block and the rest of its
//!   set (NON), or every further block, one CON after the other. Later
//!   requests are served from the copy coap_add_data_large_response()
//!   kept, one block per option without M, the rest of the set with M.
use super::blockwise::{Block1, Piece};
use super::{now, Context, TimerKind};
use crate::engine::block::{self as blk, set_end, Incoming, IDLE_MS, MAX_BODY, MAX_PER_SESSION, TRY_Q_BLOCK, USE_LIBCOAP};
use crate::engine::slab::Id;
use crate::proto::block::{self, Block};
use crate::proto::missing;
use crate::proto::msg::{self, MsgType};
use crate::proto::option;
use crate::proto::pdu::Pdu;

/// Q-Block2 options one request may ask for, and blocks one request
/// gets at most beyond its MAX_PAYLOADS (bounds what a small request
/// makes us send).
const MAX_Q2_OPTIONS: usize = 64;

/// A Q-Block1 body arriving.
#[derive(Debug)]
pub struct QIn {
    pub code: u8,
    pub inc: Incoming,
    /// The grid missing blocks are counted on: the first block's size.
    pub szx: u8,
    /// Size1, or the end of the block without M once it came.
    pub total: Option<usize>,
    pub got_last: bool,
    /// The latest block's token: 4.08 goes back with it.
    pub token: Vec<u8>,
    /// 4.08 sent since the last progress, and when the next is due.
    pub sent_408: u16,
    pub due: Option<u64>,
}

/// A large response's first token (later sets go out with it).
#[derive(Debug)]
pub struct Origin {
    code: u8,
    key: Vec<u8>,
    token: Vec<u8>,
    touched: u64,
}

/// Further blocks of a response to a CON request, each sent once the
/// previous one was acknowledged.
#[derive(Debug)]
pub struct Drip {
    code: u8,
    key: Vec<u8>,
    token: Vec<u8>,
    /// A notification's Observe value, which every block repeats.
    observe: Option<Vec<u8>>,
    next: u32,
    szx: u8,
    touched: u64,
}

/// What the handler's coap_add_data_large_response() asked to follow its
/// response (a request with Q-Block2 and M).
#[derive(Debug)]
struct Follow {
    token: Vec<u8>,
    code: u8,
    key: Vec<u8>,
    num: u32,
    szx: u8,
}

/// Where a stored block goes: its type and token, and the Observe value
/// when it belongs to a notification.
#[derive(Clone, Copy)]
struct To<'a> {
    typ: MsgType,
    token: &'a [u8],
    observe: Option<&'a [u8]>,
}

#[derive(Debug, Default)]
pub struct State {
    pub incoming: Vec<QIn>,
    origins: Vec<Origin>,
    drips: Vec<Drip>,
    follow: Option<Follow>,
    /// Message ids of CON blocks that completed a body: their answer is
    /// kept, since a duplicate could not rebuild the body to run again.
    keep: Vec<u16>,
    /// The earliest Q-Block timer queued for the session.
    armed: Option<u64>,
    /// The peer sent Q-Block options (its probe, at the latest): large
    /// responses to it use Q-Block2 even unasked, as libcoap 4.3.4 does.
    pub peer_q: bool,
}

impl State {
    pub fn is_empty(&self) -> bool {
        self.incoming.is_empty() && self.origins.is_empty() && self.drips.is_empty()
    }
}

/// Whether block `num` (of `szx`) is all in `ranges`.
fn has_block(ranges: &[(usize, usize)], num: u32, szx: u8, total: Option<usize>) -> bool {
    let size = block::szx_size(szx).unwrap_or(1024);
    let start = (num as usize).saturating_mul(size);
    let mut end = start.saturating_add(size);
    if let Some(t) = total {
        end = end.min(t);
    }
    ranges.iter().any(|&(s, e)| s <= start && end <= e)
}

/// The number of blocks of `szx` a body of `total` bytes has.
fn block_total(total: usize, szx: u8) -> u32 {
    u32::try_from(block::block_count(total as u64, szx)).unwrap_or(block::MAX_NUM)
}

/// Blocks (of `szx`) not yet received, at most `limit`: up to the end
/// when it is known, else below the highest one received, or the next
/// after it when there is no gap (a sign to go on).
pub fn missing_blocks(ranges: &[(usize, usize)], szx: u8, total: Option<usize>, limit: usize) -> Vec<u32> {
    let size = block::szx_size(szx).unwrap_or(1024);
    let high = ranges.last().map_or(0, |r| r.1);
    let count = match total {
        Some(t) => block_total(t, szx),
        None => u32::try_from(high.div_ceil(size)).unwrap_or(block::MAX_NUM),
    };
    let mut out: Vec<u32> = (0..count).filter(|&n| !has_block(ranges, n, szx, total)).take(limit).collect();
    if out.is_empty() && total.is_none() {
        out.push(count.min(block::MAX_NUM));
    }
    out
}

/// Whether every block of the set `num` is in has arrived and nothing of
/// a later set yet (then 2.31 asks for the next set; 4.3.4 is silent
/// for a gap filled late).
pub fn set_complete(ranges: &[(usize, usize)], num: u32, szx: u8, total: Option<usize>, max_payloads: u16) -> bool {
    let first = num - num % u32::from(max_payloads.max(1));
    let mut last = set_end(num, max_payloads);
    if let Some(t) = total {
        last = last.min(block_total(t, szx).saturating_sub(1));
    }
    let set_bytes = (last as usize + 1).saturating_mul(block::szx_size(szx).unwrap_or(1024));
    let later = ranges.last().is_some_and(|r| r.1 > set_bytes);
    !later && (first..=last).all(|n| has_block(ranges, n, szx, total))
}

/// The blocks a Q-Block2 request asks for, in order, at most `cap`:
/// one per option without M, the rest of the set with M. `count` is the
/// number of blocks the body has (in the request's block size).
pub fn blocks_asked(opts: &[Block], count: u32, max_payloads: u16, cap: usize) -> Vec<u32> {
    let mut out = Vec::new();
    for b in opts.iter().take(MAX_Q2_OPTIONS) {
        if b.num >= count {
            continue;
        }
        let last = if b.more { set_end(b.num, max_payloads).min(count - 1) } else { b.num };
        for n in b.num..=last {
            if out.len() >= cap {
                return out;
            }
            out.push(n);
        }
    }
    out
}

impl Context {
    pub(super) fn qblock_on(&self) -> bool {
        self.cfg.block_mode & (TRY_Q_BLOCK | USE_LIBCOAP) == (TRY_Q_BLOCK | USE_LIBCOAP)
    }

    /// Notes a request carrying Q-Block1 or Q-Block2 on a Q-Block context.
    pub(super) fn qblock_note_peer(&mut self, id: Id, req: &Pdu) {
        if self.qblock_on() && (req.option(option::Q_BLOCK1).is_some() || req.option(option::Q_BLOCK2).is_some()) {
            if let Some(q) = self.qstate(id) {
                q.peer_q = true;
            }
        }
    }

    /// Whether large responses on this session go as Q-Block2 unasked.
    pub fn qblock_peer(&self, id: Id) -> bool {
        self.qblock_on() && self.sessions.get(id).and_then(|s| s.flight()).is_some_and(|f| f.blocks.qsrv.peer_q)
    }

    fn qstate(&mut self, id: Id) -> Option<&mut State> {
        Some(&mut self.sessions.get_mut(id)?.flight_mut().blocks.qsrv)
    }

    /// Queues the session's Q-Block timer for `due` unless an earlier one
    /// is queued (one heap entry per session, not one per block).
    fn qblock_arm(&mut self, id: Id, due: u64) {
        let Some(q) = self.qstate(id) else { return };
        if q.armed.is_some_and(|a| a <= due) {
            return;
        }
        q.armed = Some(due);
        self.push_timer(due, id.index(), TimerKind::QBlockServer);
    }

    /// A request with Q-Block1: the body is put together; the handler
    /// gets it whole with the last block's token.
    pub(super) fn incoming_qblock1(&mut self, id: Id, req: Pdu) -> Block1 {
        let Piece { block: b, offset, size1, too_big, key, rtag } = match self.block1_piece(id, &req, option::Q_BLOCK1) {
            Ok(Some(p)) => p,
            Ok(None) => return Block1::Deliver(req, None),
            Err(()) => return Block1::Consumed,
        };
        let data = req.payload().unwrap_or_default();
        let code = req.code;
        let find = |q: &State| q.incoming.iter().position(|i| i.code == code && i.inc.path == key && i.inc.rtag == rtag);
        if too_big {
            log::debug!("Q-Block1 body beyond {MAX_BODY} bytes: 4.13");
            if let Some(q) = self.qstate(id) {
                if let Some(i) = find(q) {
                    q.incoming.swap_remove(i);
                }
            }
            self.answer_too_large(id, &req);
            return Block1::Consumed;
        }
        let now = now();
        let (mp, wait) = match self.sessions.get(id) {
            Some(s) => (s.tx().max_payloads, s.tx().non_receive_timeout.milli()),
            None => return Block1::Consumed,
        };
        let Some(q) = self.qstate(id) else { return Block1::Consumed };
        let i = match find(q) {
            Some(i) => i,
            None => {
                q.incoming.retain(|i| now.saturating_sub(i.inc.touched) < IDLE_MS);
                if q.incoming.len() >= MAX_PER_SESSION {
                    log::debug!("Q-Block1: too many bodies on one session, dropping the oldest");
                    q.incoming.remove(0);
                }
                let inc = Incoming { path: key, rtag, body: Vec::new(), ranges: Vec::new(), touched: now };
                let total = size1.and_then(|s| usize::try_from(s).ok());
                let token = Vec::new();
                q.incoming.push(QIn { code, inc, szx: b.szx, total, got_last: false, token, sent_408: 0, due: None });
                q.incoming.len() - 1
            }
        };
        let Some(qi) = q.incoming.get_mut(i) else { return Block1::Consumed };
        let before: usize = qi.inc.ranges.iter().map(|r| r.1 - r.0).sum();
        if blk::far_ahead(&qi.inc, offset) {
            log::debug!("Q-Block1 {} lands far beyond the {} bytes received: 4.08", b.num, qi.inc.body.len());
            q.incoming.swap_remove(i);
            self.answer_error(id, &req, msg::REQUEST_ENTITY_INCOMPLETE);
            return Block1::Consumed;
        }
        if !blk::place(&mut qi.inc, offset, data) {
            q.incoming.swap_remove(i);
            self.answer_too_large(id, &req);
            return Block1::Consumed;
        }
        let after: usize = qi.inc.ranges.iter().map(|r| r.1 - r.0).sum();
        if after > before {
            qi.sent_408 = 0;
        }
        if !b.more {
            // The block without M ends the body, whatever Size1 said.
            qi.got_last = true;
            qi.total = Some(offset + data.len());
        }
        qi.inc.touched = now;
        qi.token.clear();
        qi.token.extend_from_slice(req.token());
        let done = qi.got_last && blk::complete(&qi.inc) && qi.total == Some(qi.inc.body.len());
        if done {
            let qi = q.incoming.swap_remove(i);
            if req.typ == MsgType::Con {
                if q.keep.len() >= MAX_PER_SESSION {
                    q.keep.remove(0);
                }
                q.keep.push(req.mid);
            }
            return match blk::rebuild(&req, req.typ, req.mid, req.token(), &[option::Q_BLOCK1], &[], &qi.inc.body) {
                Some(whole) => Block1::Deliver(whole, None),
                None => {
                    self.answer_error(id, &req, msg::INTERNAL_ERROR);
                    Block1::Consumed
                }
            };
        }
        if req.typ == MsgType::Con {
            // Each CON block gets its ACK; CON retransmission covers loss.
            qi.due = None;
            let mut ack = self.response_skeleton(id, &req);
            ack.code = msg::EMPTY;
            self.finish_request(id, req.typ, req.code, req.mid, ack);
            self.qblock_arm(id, now + IDLE_MS);
            return Block1::Consumed;
        }
        let set_done = b.more && set_complete(&qi.inc.ranges, b.num, b.szx, qi.total, mp);
        let due = now + wait;
        qi.due = Some(due);
        self.qblock_arm(id, due);
        if set_done {
            let mut resp = self.response_skeleton(id, &req);
            resp.code = msg::CONTINUE;
            let _ = resp.add_option(option::Q_BLOCK1, &b.to_vec());
            self.finish_request(id, req.typ, req.code, req.mid, resp);
        }
        Block1::Consumed
    }

    /// Whether the answer to CON `mid` completed a Q-Block1 body (and is
    /// to be kept for duplicates); asked once per answer.
    pub(super) fn qblock1_answer(&mut self, id: Id, mid: u16) -> bool {
        let Some(q) = self.sessions.get_mut(id).and_then(|s| s.flight_opt_mut()).map(|f| &mut f.blocks.qsrv) else { return false };
        match q.keep.iter().position(|&m| m == mid) {
            Some(i) => {
                q.keep.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// The session's Q-Block timer: 4.08 for bodies with gaps, and what
    /// went idle is forgotten.
    pub(super) fn qblock_timer(&mut self, id: Id, now: u64) {
        let Some(s) = self.sessions.get_mut(id) else { return };
        let tx = *s.tx();
        let room = s.max_pdu_size().saturating_sub(32);
        let Some(f) = s.flight_opt_mut() else { return };
        let q = &mut f.blocks.qsrv;
        q.armed = None;
        q.incoming.retain(|i| now.saturating_sub(i.inc.touched) < IDLE_MS);
        q.origins.retain(|o| now.saturating_sub(o.touched) < IDLE_MS);
        q.drips.retain(|d| now.saturating_sub(d.touched) < IDLE_MS);
        let mut asks = Vec::new();
        let mut k = 0;
        while let Some(qi) = q.incoming.get_mut(k) {
            if qi.due.is_some_and(|d| d <= now) {
                let nums = missing_blocks(&qi.inc.ranges, qi.szx, qi.total, room);
                asks.push((qi.token.clone(), missing::encode(&nums, room)));
                qi.sent_408 += 1;
                if qi.sent_408 >= tx.non_max_retransmit.max(1) {
                    log::debug!("Q-Block1: blocks still missing after {} 4.08s; giving up", qi.sent_408);
                    q.incoming.swap_remove(k);
                    continue;
                }
                let wait = tx.non_receive_timeout.milli().saturating_mul(1 << qi.sent_408.min(16));
                qi.due = Some(now + wait);
            }
            k += 1;
        }
        let next = q
            .incoming
            .iter()
            .map(|i| i.due.unwrap_or(i.inc.touched + IDLE_MS))
            .chain(q.origins.iter().map(|o| o.touched + IDLE_MS))
            .chain(q.drips.iter().map(|d| d.touched + IDLE_MS))
            .min();
        for (token, list) in asks {
            let Some(s) = self.sessions.get_mut(id) else { return };
            let mut pdu = Pdu::new(MsgType::Non, msg::REQUEST_ENTITY_INCOMPLETE, s.new_mid(), 0);
            let built = pdu.add_token(&token).is_ok()
                && pdu.add_option(option::CONTENT_FORMAT, &blk::encode_uint(u64::from(missing::CONTENT_FORMAT))).is_ok()
                && pdu.add_payload(&list).is_ok();
            if built {
                if let Err(e) = self.send(id, pdu) {
                    log::debug!("Q-Block1: 4.08 not sent ({e:?})");
                }
            }
        }
        if let Some(due) = next {
            self.qblock_arm(id, due.max(now + 1));
        }
    }

    /// coap_add_data_large_response() for a request with Q-Block2 and M:
    /// the blocks that follow the handler's response.
    pub fn qblock2_follow(&mut self, id: Id, token: &[u8], code: u8, key: Vec<u8>, num: u32, szx: u8) {
        let now = now();
        let Some(q) = self.qstate(id) else { return };
        q.origins.retain(|o| !(o.code == code && o.key == key) && now.saturating_sub(o.touched) < IDLE_MS);
        if q.origins.len() >= MAX_PER_SESSION {
            q.origins.remove(0);
        }
        q.origins.push(Origin { code, key: key.clone(), token: token.to_vec(), touched: now });
        q.follow = Some(Follow { token: token.to_vec(), code, key, num, szx });
    }

    /// A response went without Q-Block2: nothing follows it.
    pub(super) fn qblock2_forget_follow(&mut self, id: Id) {
        if let Some(f) = self.sessions.get_mut(id).and_then(|s| s.flight_opt_mut()) {
            f.blocks.qsrv.follow = None;
        }
    }

    /// After the handler's response went: the rest of its set (NON), or
    /// the next block of the CON chain.
    pub(super) fn qblock2_after_reply(&mut self, id: Id, request_typ: MsgType, response: &Pdu) {
        let Some(q) = self.qstate(id) else { return };
        let Some(f) = q.follow.take() else { return };
        let more = blk::block_of(response, option::Q_BLOCK2).and_then(Result::ok).is_some_and(|b| b.more);
        if f.token != response.token() || msg::code_class(response.code) != 2 || !more {
            return;
        }
        let observe = response.option(option::OBSERVE).map(|o| o.value.to_vec());
        if request_typ == MsgType::Con {
            let now = now();
            q.drips.retain(|d| d.token != f.token && now.saturating_sub(d.touched) < IDLE_MS);
            if q.drips.len() >= MAX_PER_SESSION {
                q.drips.remove(0);
            }
            let next = f.num.saturating_add(1);
            q.drips.push(Drip { code: f.code, key: f.key, token: f.token.clone(), observe, next, szx: f.szx, touched: now });
            self.qblock2_drip(id, &f.token);
            return;
        }
        let mp = self.sessions.get(id).map_or(10, |s| s.tx().max_payloads);
        let asked = [Block { num: f.num, more: true, szx: f.szx }];
        let nums = self.stored_count(id, f.code, &f.key, f.szx).map_or(Vec::new(), |c| blocks_asked(&asked, c, mp, usize::from(mp)));
        for n in nums.into_iter().skip(1) {
            let to = To { typ: MsgType::Non, token: &f.token, observe: observe.as_deref() };
            self.send_stored_block(id, (f.code, &f.key), to, n, f.szx);
        }
    }

    /// Blocks (of `szx`) in the stored response for (code, key).
    fn stored_count(&mut self, id: Id, code: u8, key: &[u8], szx: u8) -> Option<u32> {
        let f = self.sessions.get(id)?.flight()?;
        let o = f.blocks.outgoing.iter().find(|o| o.code == code && o.key == key)?;
        Some(block_total(o.body.len(), szx.min(o.szx)))
    }

    /// Block `num` of the stored response for (code, key).
    fn stored_block(&mut self, id: Id, (code, key): (u8, &[u8]), to: To, num: u32, szx: u8) -> Option<Pdu> {
        let now = now();
        let s = self.sessions.get_mut(id)?;
        let mid = s.new_mid();
        let o = s.flight_opt_mut()?.blocks.outgoing.iter_mut().find(|o| o.code == code && o.key == key)?;
        o.touched = now;
        let szx = szx.min(o.szx);
        let data = block::block_slice(&o.body, num, szx)?;
        let opt = Block::new(num, block::more_after(o.body.len() as u64, num, szx), szx).ok()?;
        let mut add = vec![(option::Q_BLOCK2, opt.to_vec())];
        if let Some(v) = to.observe {
            add.push((option::OBSERVE, v.to_vec()));
        }
        blk::rebuild(&o.head, to.typ, mid, to.token, &[option::OBSERVE], &add, data)
    }

    fn send_stored_block(&mut self, id: Id, res: (u8, &[u8]), to: To, num: u32, szx: u8) {
        match self.stored_block(id, res, to, num, szx) {
            Some(pdu) => {
                if let Err(e) = self.send(id, pdu) {
                    log::debug!("Q-Block2: block {num} not sent ({e:?})");
                }
            }
            None => log::debug!("Q-Block2: block {num} is gone"),
        }
    }

    /// Sends the next block of the CON chain on `token`, or ends it.
    fn qblock2_drip(&mut self, id: Id, token: &[u8]) {
        let Some(q) = self.qstate(id) else { return };
        let Some(i) = q.drips.iter().position(|d| d.token == token) else { return };
        let Some(d) = q.drips.get_mut(i) else { return };
        let (code, key, num, szx, observe) = (d.code, d.key.clone(), d.next, d.szx, d.observe.clone());
        d.next = d.next.saturating_add(1);
        d.touched = now();
        let count = self.stored_count(id, code, &key, szx).unwrap_or(0);
        if num + 1 >= count {
            if let Some(q) = self.qstate(id) {
                q.drips.retain(|d| d.token != token);
            }
        }
        if num < count {
            let to = To { typ: MsgType::Con, token, observe: observe.as_deref() };
            self.send_stored_block(id, (code, &key), to, num, szx);
        }
    }

    /// An ACK for a CON the server sent: the chain it belongs to goes on.
    pub(super) fn qblock2_acked(&mut self, id: Id, sent: &Pdu) {
        if msg::code_class(sent.code) != 2 || sent.option(option::Q_BLOCK2).is_none() {
            return;
        }
        self.qblock2_drip(id, sent.token());
    }

    /// A request with Q-Block2 for a response kept from an earlier run of
    /// the handler: served from the copy. False when there is none, or
    /// when block 0 is asked with M (a fresh GET): the handler runs.
    pub(super) fn serve_qblock2(&mut self, id: Id, req: &Pdu) -> bool {
        let opts: Vec<Block> = req
            .options()
            .map_while(Result::ok)
            .filter(|o| o.number == option::Q_BLOCK2)
            .take(MAX_Q2_OPTIONS)
            .filter_map(|o| Block::decode(o.value, false).ok())
            .collect();
        let Some(first) = opts.first().copied() else { return false };
        let key = blk::resource_key(req);
        let code = req.code;
        let Some(count) = self.stored_count(id, code, &key, first.szx) else { return false };
        if first.num == 0 && first.more {
            if let Some(f) = self.sessions.get_mut(id).and_then(|s| s.flight_opt_mut()) {
                f.blocks.outgoing.retain(|o| !(o.code == code && o.key == key));
            }
            return false;
        }
        let mp = self.sessions.get(id).map_or(10, |s| s.tx().max_payloads);
        let szx = first.szx;
        // A request for the start of a set continues the transfer: its
        // blocks go with the first request's token, as 4.3.4 sends them.
        let origin = self
            .qstate(id)
            .and_then(|q| q.origins.iter().find(|o| o.code == code && o.key == key).map(|o| o.token.clone()));
        let cap = usize::from(mp.max(1));
        let mut plan: Vec<(u32, Vec<u8>)> = Vec::new();
        for b in opts.iter().filter(|b| b.szx == szx) {
            let Some(left) = cap.checked_sub(plan.len()).filter(|&l| l > 0) else { break };
            let continues = b.more && b.num % u32::from(mp.max(1)) == 0;
            let token = match (&origin, continues) {
                (Some(t), true) => t.clone(),
                _ => req.token().to_vec(),
            };
            plan.extend(blocks_asked(&[*b], count, mp, left).into_iter().map(|n| (n, token.clone())));
        }
        let mut plan = plan.into_iter();
        if req.typ == MsgType::Con {
            // The first goes in the ACK, the others as CONs (NSTART paces them).
            let Some((n, _)) = plan.next() else {
                log::debug!("Q-Block2: no block asked for is in the body: 4.00");
                self.answer_error(id, req, msg::BAD_REQUEST);
                return true;
            };
            let to = To { typ: MsgType::Ack, token: req.token(), observe: None };
            let Some(mut resp) = self.stored_block(id, (code, &key), to, n, szx) else { return false };
            resp.mid = req.mid;
            self.finish_request(id, req.typ, req.code, req.mid, resp);
            for (n, token) in plan {
                self.send_stored_block(id, (code, &key), To { typ: MsgType::Con, token: &token, observe: None }, n, szx);
            }
            return true;
        }
        let mut sent = 0;
        for (n, token) in plan {
            self.send_stored_block(id, (code, &key), To { typ: MsgType::Non, token: &token, observe: None }, n, szx);
            sent += 1;
        }
        if sent == 0 {
            log::debug!("Q-Block2: no block asked for is in the body: 4.00");
            self.answer_error(id, req, msg::BAD_REQUEST);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_end_at_multiples_of_max_payloads() {
        assert_eq!(set_end(0, 10), 9);
        assert_eq!(set_end(9, 10), 9);
        assert_eq!(set_end(10, 10), 19);
        assert_eq!(set_end(35, 10), 39);
        assert_eq!(set_end(7, 0), 7);
        assert_eq!(set_end(block::MAX_NUM, 10), block::MAX_NUM - block::MAX_NUM % 10 + 9);
    }

    #[test]
    fn missing_blocks_follow_the_ranges() {
        // 3000 bytes at 256: blocks 0..=11; 2 and 11 absent.
        let ranges = [(0, 512), (768, 2816)];
        assert_eq!(missing_blocks(&ranges, 4, Some(3000), 100), vec![2, 11]);
        assert_eq!(missing_blocks(&ranges, 4, Some(3000), 1), vec![2]);
        // Without Size1: below the highest block, else the next one.
        assert_eq!(missing_blocks(&ranges, 4, None, 100), vec![2]);
        assert_eq!(missing_blocks(&[(0, 512)], 4, None, 100), vec![2]);
        assert_eq!(missing_blocks(&[(0, 3000)], 4, Some(3000), 100), Vec::<u32>::new());
        assert_eq!(missing_blocks(&[], 4, Some(0), 100), vec![0]);
    }

    #[test]
    fn a_set_is_complete_when_all_its_blocks_are_in() {
        let total = Some(3000);
        assert!(!set_complete(&[(0, 2304)], 8, 4, total, 10));
        assert!(set_complete(&[(0, 2560)], 9, 4, total, 10));
        assert!(set_complete(&[(0, 2560)], 3, 4, total, 10));
        // The last set ends at the last block.
        assert!(!set_complete(&[(0, 2816)], 10, 4, total, 10));
        assert!(set_complete(&[(0, 3000)], 10, 4, total, 10));
        assert!(!set_complete(&[(0, 256), (512, 2560)], 9, 4, total, 10));
        // A gap filled after the next set began: no 2.31.
        assert!(!set_complete(&[(0, 2816)], 2, 4, total, 10));
    }

    #[test]
    fn q_block2_options_expand_and_are_bounded() {
        let b = |num, more| Block { num, more, szx: 4 };
        assert_eq!(blocks_asked(&[b(0, true)], 12, 10, 10), (0..10).collect::<Vec<_>>());
        assert_eq!(blocks_asked(&[b(10, true)], 12, 10, 10), vec![10, 11]);
        assert_eq!(blocks_asked(&[b(4, true)], 6, 10, 10), vec![4, 5]);
        assert_eq!(blocks_asked(&[b(2, false), b(9, false), b(4, false)], 6, 10, 10), vec![2, 4]);
        assert_eq!(blocks_asked(&[b(12, false)], 12, 10, 10), Vec::<u32>::new());
        let flood: Vec<Block> = (0..1000).map(|n| b(n % 12, true)).collect();
        assert_eq!(blocks_asked(&flood, 12, 10, 10).len(), 10);
    }
}
