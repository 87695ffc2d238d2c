//! The client's side of Q-Block (RFC 9177) on the wire: the probe that
//! finds out whether the server takes Q-Block, Q-Block1 bursts with their
//! 2.31 / 4.08 answers, and Q-Block2 bursts with the requests for the next
//! set and for the gaps. Falls back to Block1/Block2 when the probe fails.
use super::{event, nack, now, Context, Event, SendError, TimerKind};
use crate::engine::block::{self as blk, TRY_Q_BLOCK, USE_LIBCOAP, USE_M_Q_BLOCK};
use crate::engine::qclient::{self as q, QDownload, QUpload, Support};
use crate::engine::session::Role;
use crate::engine::slab::Id;
use crate::proto::block::{self, Block};
use crate::proto::msg::{self, MsgType};
use crate::proto::option;
use crate::proto::pdu::Pdu;
use std::collections::VecDeque;

/// Content-Format of a 4.08 listing missing blocks (RFC 9177 §12.3).
const MISSING_BLOCKS_CBOR_SEQ: u64 = 272;

impl Context {
    /// coap_send() of an application's request or response.
    pub fn app_send(&mut self, id: Id, pdu: Pdu, large: Option<(Vec<u8>, u8)>) -> Result<u16, SendError> {
        if !self.q_applies(id, &pdu) {
            return self.plain_send(id, pdu, large);
        }
        let mid = pdu.mid;
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        let qc = &mut s.flight_mut().q;
        match qc.support {
            Support::Unknown => {
                qc.held.push((pdu, large));
                // A probe that cannot go out settles "no" and sends what
                // was held (a failure there is reported as a NACK).
                if let Err(e) = self.q_probe(id) {
                    log::debug!("Q-Block: probe not sent ({e:?})");
                }
                Ok(mid)
            }
            Support::Probing => {
                qc.held.push((pdu, large));
                Ok(mid)
            }
            Support::Yes => self.q_send(id, pdu, large),
            Support::No => {
                let pdu = q::swap_block_options(&pdu, false).unwrap_or(pdu);
                self.plain_send(id, pdu, large)
            }
        }
    }

    pub(super) fn plain_send(&mut self, id: Id, pdu: Pdu, large: Option<(Vec<u8>, u8)>) -> Result<u16, SendError> {
        self.note_non_fetch(id, &pdu);
        match large {
            Some((body, szx)) => self.send_large(id, pdu, body, szx),
            None => self.send(id, pdu),
        }
    }

    /// No pending copy is kept of a NON request; a block-wise answer needs
    /// one (as it goes out) to ask for the further blocks.
    fn note_non_fetch(&mut self, id: Id, pdu: &Pdu) {
        let fetches = pdu.code == msg::GET || pdu.code == msg::FETCH;
        if self.cfg.block_mode & USE_LIBCOAP != 0 && pdu.typ == MsgType::Non && fetches {
            if let Some(s) = self.sessions.get_mut(id).filter(|s| s.role == Role::Client) {
                s.flight_mut().q.note_request(pdu);
            }
        }
    }

    /// Requests of a client session whose context asked for Q-Block.
    fn q_applies(&self, id: Id, pdu: &Pdu) -> bool {
        let mode = self.cfg.block_mode;
        mode & TRY_Q_BLOCK != 0
            && mode & USE_LIBCOAP != 0
            && msg::code_class(pdu.code) == 0
            && pdu.code != msg::EMPTY
            && self.sessions.get(id).is_some_and(|s| s.role == Role::Client && s.mcast.is_none())
    }

    /// A CON GET of the root asking for Q-Block2 block 0 at 16 bytes: an
    /// answer carrying Q-Block2 means the server speaks Q-Block.
    fn q_probe(&mut self, id: Id) -> Result<(), SendError> {
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        let (token, mid) = (s.new_token(), s.new_mid());
        let mut probe = Pdu::new(MsgType::Con, msg::GET, mid, 0);
        let zero = Block::new(0, false, 0).map_err(|_| SendError::Encode)?;
        probe.add_token(&token).map_err(|_| SendError::Encode)?;
        probe.add_option(option::Q_BLOCK2, &zero.to_vec()).map_err(|_| SendError::Encode)?;
        let qc = &mut s.flight_mut().q;
        qc.support = Support::Probing;
        qc.probe_token = Some(token);
        log::debug!("Q-Block: testing for server support");
        if let Err(e) = self.send(id, probe) {
            self.q_decided(id, false);
            return Err(e);
        }
        Ok(())
    }

    /// The probe's answer (true: taken, not for the application).
    pub(super) fn q_probe_answer(&mut self, id: Id, received: &Pdu) -> bool {
        let Some(s) = self.sessions.get_mut(id) else { return false };
        let Some(f) = s.flight_opt_mut() else { return false };
        if f.q.probe_token.as_deref() != Some(received.token()) {
            return false;
        }
        // A 4.02 echoing the option is a server without Q-Block.
        let yes = msg::code_class(received.code) == 2 && received.option(option::Q_BLOCK2).is_some();
        f.open_requests.retain(|t| t.as_slice() != received.token());
        self.q_decided(id, yes);
        true
    }

    /// The probe was lost or refused with RST (true when it was the probe).
    pub(super) fn q_probe_lost(&mut self, id: Id, token: &[u8]) -> bool {
        let is_probe = self
            .sessions
            .get(id)
            .and_then(|s| s.flight())
            .is_some_and(|f| f.q.probe_token.as_deref() == Some(token));
        if is_probe {
            self.q_decided(id, false);
        }
        is_probe
    }

    fn q_decided(&mut self, id: Id, yes: bool) {
        let Some(s) = self.sessions.get_mut(id) else { return };
        let qc = &mut s.flight_mut().q;
        qc.support = if yes { Support::Yes } else { Support::No };
        qc.probe_token = None;
        log::debug!("Q-Block support {}", if yes { "available" } else { "not available" });
        for (pdu, large) in std::mem::take(&mut qc.held) {
            let mid = pdu.mid;
            if let Err(e) = self.app_send(id, pdu, large) {
                log::warn!("Q-Block: a request held for the probe was not sent ({e:?})");
                self.push_event(Event::Nack { session: id, sent: None, reason: nack::NOT_DELIVERABLE, mid });
            }
        }
    }

    /// A request once the server is known to take Q-Block.
    fn q_send(&mut self, id: Id, pdu: Pdu, large: Option<(Vec<u8>, u8)>) -> Result<u16, SendError> {
        let pdu = q::swap_block_options(&pdu, true).unwrap_or(pdu);
        let Some((body, szx)) = large else {
            self.note_non_fetch(id, &pdu);
            return self.send(id, pdu);
        };
        let size = block::szx_size(szx).unwrap_or(1024) as u64;
        let count = u32::try_from(block::block_count(body.len() as u64, szx)).unwrap_or(u32::MAX);
        if u64::from(count) > u64::from(block::MAX_NUM) + 1 || size == 0 {
            return Err(SendError::Encode);
        }
        let mid = pdu.mid;
        let now = now();
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        let up = QUpload {
            app_token: pdu.token().to_vec(),
            tokens: VecDeque::new(),
            first: pdu,
            body,
            szx,
            next: 0,
            count,
            rounds: 0,
            due: None,
            touched: now,
        };
        let ups = &mut s.flight_mut().q.uploads;
        ups.retain(|u| now.saturating_sub(u.touched) < blk::IDLE_MS);
        if ups.len() >= q::MAX_TRANSFERS {
            log::debug!("Q-Block: too many uploads on one session, dropping the oldest");
            ups.remove(0);
        }
        ups.push(up);
        let i = ups.len() - 1;
        self.q_burst(id, i)?;
        Ok(mid)
    }

    /// Sends piece `num` of upload `i` (the first keeps the application's
    /// token and message id, the rest get their own).
    fn q_send_piece(&mut self, id: Id, i: usize, num: u32) -> Result<(), SendError> {
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        let (token, mid) = (s.new_token(), s.new_mid());
        let up = s.flight_mut().q.uploads.get_mut(i).ok_or(SendError::NoSession)?;
        let (token, mid) = if num == 0 { (up.app_token.clone(), up.first.mid) } else { (token, mid) };
        let data = block::block_slice(&up.body, num, up.szx).ok_or(SendError::Encode)?;
        let more = u64::from(num) + 1 < u64::from(up.count);
        let opt = Block::new(num, more, up.szx).map_err(|_| SendError::Encode)?;
        let drop = [option::BLOCK1, option::Q_BLOCK1];
        let pdu = blk::rebuild(&up.first, up.first.typ, mid, &token, &drop, &[(option::Q_BLOCK1, opt.to_vec())], data)
            .ok_or(SendError::Encode)?;
        q::remember(&mut up.tokens, token);
        self.q_send_tracked(id, pdu)
    }

    /// Sends a piece or follow-up request whose answers the Q-Block state
    /// claims by token (so the session does not track it as open).
    fn q_send_tracked(&mut self, id: Id, pdu: Pdu) -> Result<(), SendError> {
        let token = pdu.token().to_vec();
        let r = self.send(id, pdu).map(|_| ());
        if let Some(f) = self.sessions.get_mut(id).and_then(|s| s.flight_opt_mut()) {
            f.open_requests.retain(|t| *t != token);
        }
        r
    }

    /// The rest of the current set (NON), or the next piece (CON, one per ACK).
    fn q_burst(&mut self, id: Id, i: usize) -> Result<(), SendError> {
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        let (mp, wait) = (s.tx().max_payloads, s.tx().non_timeout.milli());
        let up = s.flight_mut().q.uploads.get(i).ok_or(SendError::NoSession)?;
        let (from, count, con) = (up.next, up.count, up.first.typ == MsgType::Con);
        let end = if con { from + 1 } else { blk::set_end(from, mp).saturating_add(1).min(count) };
        for num in from..end.min(count) {
            self.q_send_piece(id, i, num)?;
        }
        let now = now();
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        let up = s.flight_mut().q.uploads.get_mut(i).ok_or(SendError::NoSession)?;
        up.next = up.next.max(end.min(count));
        up.touched = now;
        // NON: no 2.31 within NON_TIMEOUT, the next set goes anyway.
        up.due = (!con && up.next < count).then_some(now + wait);
        if let Some(due) = up.due {
            self.push_timer(due, id.index(), TimerKind::QBlockClient);
        }
        Ok(())
    }

    /// Whether a response belongs to a Q-Block transfer of this session.
    pub(super) fn q_owns(&self, id: Id, token: &[u8]) -> bool {
        self.sessions.get(id).and_then(|s| s.flight()).is_some_and(|f| {
            f.q.uploads.iter().any(|u| u.owns(token)) || f.q.downloads.iter().any(|d| d.owns(token))
        })
    }

    /// An empty ACK for a CON piece: the next one goes.
    pub(super) fn q_acked(&mut self, id: Id, token: &[u8]) {
        let Some(f) = self.sessions.get(id).and_then(|s| s.flight()) else { return };
        let Some(i) = f.q.uploads.iter().position(|u| u.owns(token) && u.first.typ == MsgType::Con) else { return };
        if f.q.uploads.get(i).is_some_and(|u| u.next < u.count) {
            if let Err(e) = self.q_burst(id, i) {
                log::warn!("Q-Block: next Q-Block1 piece not sent ({e:?})");
            }
        }
    }

    /// A response for a Q-Block transfer (or the first of a new Q-Block2
    /// body); false when it is none of those and goes on as usual.
    pub(super) fn q_response(&mut self, id: Id, sent: &Option<Pdu>, received: &Pdu) -> bool {
        if self.cfg.block_mode & TRY_Q_BLOCK == 0 {
            return false;
        }
        let token = received.token();
        let Some(f) = self.sessions.get(id).and_then(|s| s.flight()) else { return false };
        if let Some(i) = f.q.uploads.iter().position(|u| u.owns(token)) {
            self.q_upload_answer(id, i, received);
            return true;
        }
        let piece = blk::block_of(received, option::Q_BLOCK2);
        let success = msg::code_class(received.code) == 2;
        if let Some(i) = f.q.downloads.iter().position(|d| d.owns(token)) {
            match piece {
                Some(Ok(_)) if success => return self.q_download_piece(id, sent, received),
                Some(Err(e)) if success => {
                    log::debug!("Q-Block2: unusable piece dropped ({e:?})");
                    return true;
                }
                _ => {}
            }
            if let Some(d) = self.sessions.get_mut(id).map(|s| s.flight_mut().q.downloads.swap_remove(i)) {
                let mut r = received.clone();
                let _ = r.update_token(&d.app_token);
                self.push_event(Event::Response { session: id, sent: d.sent, received: r, span: None });
            }
            return true;
        }
        matches!(piece, Some(Ok(_))) && success && self.q_download_piece(id, sent, received)
    }

    fn q_upload_answer(&mut self, id: Id, i: usize, received: &Pdu) {
        let Some(s) = self.sessions.get_mut(id) else { return };
        let tx = *s.tx();
        let Some(up) = s.flight_mut().q.uploads.get_mut(i) else { return };
        up.touched = now();
        if received.code == msg::CONTINUE {
            if let Some(Ok(b)) = blk::block_of(received, option::Q_BLOCK1) {
                up.next = up.next.max(b.num.saturating_add(1));
            }
            if up.next < up.count {
                if let Err(e) = self.q_burst(id, i) {
                    log::warn!("Q-Block: next Q-Block1 set not sent ({e:?})");
                }
            }
            return;
        }
        let missing_list = received.code == msg::REQUEST_ENTITY_INCOMPLETE
            && blk::uint_option(received, option::CONTENT_FORMAT) == Some(MISSING_BLOCKS_CBOR_SEQ);
        if missing_list && up.rounds < u32::from(tx.non_max_retransmit).saturating_add(up.count) {
            up.rounds += 1;
            let limit = usize::from(tx.max_payloads.max(1));
            let count = up.count;
            match crate::proto::missing::decode(received.payload().unwrap_or_default(), limit) {
                Ok(nums) => {
                    for num in nums.into_iter().filter(|&n| n < count) {
                        log::debug!("Q-Block1: missing block {num}");
                        if let Err(e) = self.q_send_piece(id, i, num) {
                            log::warn!("Q-Block: missing piece {num} not resent ({e:?})");
                        }
                    }
                    return;
                }
                Err(e) => log::debug!("Q-Block1: unusable missing-blocks list ({e:?})"),
            }
        }
        // The final answer (or an error): the upload is over.
        let Some(s) = self.sessions.get_mut(id) else { return };
        let ups = &mut s.flight_mut().q.uploads;
        if i >= ups.len() {
            return;
        }
        let up = ups.swap_remove(i);
        if msg::code_class(received.code) != 2 {
            // As libcoap: the application hears the body did not get through.
            self.push_event(Event::Session { session: id, event: event::XMIT_BLOCK_FAIL });
        }
        let mut r = received.clone();
        let _ = r.update_token(&up.app_token);
        self.push_event(Event::Response { session: id, sent: Some(up.first), received: r, span: None });
    }

    /// Takes a Q-Block2 piece; true when it was taken.
    fn q_download_piece(&mut self, id: Id, sent: &Option<Pdu>, received: &Pdu) -> bool {
        let Some(Ok(b)) = blk::block_of(received, option::Q_BLOCK2) else { return false };
        let now = now();
        let token = received.token().to_vec();
        let etag = received.option(option::ETAG).map(|o| o.value.to_vec());
        let Some(s) = self.sessions.get_mut(id) else { return false };
        let tx = *s.tx();
        let f = s.flight_mut();
        let i = match f.q.downloads.iter().position(|d| d.owns(&token)) {
            Some(i) => i,
            None => {
                let asked = f.q.take_request(&token);
                if !b.more && b.num == 0 {
                    return false; // the whole body in one piece
                }
                let request = sent.clone().or(asked).or_else(|| {
                    f.observing.iter().find(|(t, _)| *t == token).map(|(_, p)| p.clone())
                });
                let Some(request) = request else { return false };
                let Some(head) = blk::rebuild(received, received.typ, received.mid, &token, &[option::Q_BLOCK2], &[], &[])
                else {
                    return false;
                };
                let d = QDownload::new(token.clone(), request, sent.clone(), head, b.szx, now);
                let downs = &mut f.q.downloads;
                downs.retain(|d| now.saturating_sub(d.touched) < blk::IDLE_MS);
                if downs.len() >= q::MAX_TRANSFERS {
                    downs.remove(0);
                }
                downs.push(d);
                downs.len() - 1
            }
        };
        let Some(d) = f.q.downloads.get_mut(i) else { return true };
        d.touched = now;
        d.retries = 0;
        if etag != d.etag {
            // The body changed under us: start again from its first piece.
            if d.restarts >= blk::MAX_RESTARTS {
                log::warn!("Q-Block2: body keeps changing, giving up");
                let d = f.q.downloads.swap_remove(i);
                let mut r = received.clone();
                let _ = r.update_token(&d.app_token);
                self.push_event(Event::Response { session: id, sent: d.sent, received: r, span: None });
                return true;
            }
            d.restarts += 1;
            d.etag = etag;
            d.body.clear();
            d.have.clear();
            d.last = None;
        }
        if b.szx != d.szx || !d.place(b.num, b.more, received.payload().unwrap_or_default()) {
            log::debug!("Q-Block2: piece {} refused (size or limit)", b.num);
            return true;
        }
        if d.complete() {
            let d = f.q.downloads.swap_remove(i);
            if let Some(whole) = blk::rebuild(&d.head, received.typ, received.mid, &d.app_token, &[], &[], &d.body) {
                self.push_event(Event::Response { session: id, sent: d.sent, received: whole, span: None });
            }
            return true;
        }
        let con = received.typ == MsgType::Con || d.request.typ == MsgType::Con;
        d.due = Some(now + tx.non_receive_timeout.milli());
        let next_set = !con && b.more && q::ends_set(b.num, tx.max_payloads) && d.set_complete(b.num, tx.max_payloads);
        if let Some(due) = d.due {
            self.push_timer(due, id.index(), TimerKind::QBlockClient);
        }
        if next_set {
            self.q_ask(id, i, &[b.num + 1], true);
        }
        true
    }

    /// Asks for Q-Block2 pieces `nums` (with M: each and the rest of its set).
    fn q_ask(&mut self, id: Id, i: usize, nums: &[u32], more: bool) {
        let Some(s) = self.sessions.get_mut(id) else { return };
        let (token, mid) = (s.new_token(), s.new_mid());
        let Some(d) = s.flight_mut().q.downloads.get_mut(i) else { return };
        let mut add = Vec::new();
        for &n in nums {
            if let Ok(b) = Block::new(n, more, d.szx) {
                add.push((option::Q_BLOCK2, b.to_vec()));
            }
        }
        let body = if d.request.code == msg::FETCH { d.request.payload().unwrap_or_default() } else { &[] };
        let drop = [option::BLOCK2, option::Q_BLOCK2, option::BLOCK1, option::Q_BLOCK1, option::SIZE1, option::OBSERVE];
        let Some(req) = blk::rebuild(&d.request, d.request.typ, mid, &token, &drop, &add, body) else { return };
        q::remember(&mut d.tokens, token);
        if let Err(e) = self.q_send_tracked(id, req) {
            log::warn!("Q-Block2: request for more pieces not sent ({e:?})");
        }
    }

    /// NON_TIMEOUT / NON_RECEIVE_TIMEOUT deadlines of the session's transfers.
    pub(super) fn q_timer(&mut self, id: Id, now: u64) {
        let Some(f) = self.sessions.get(id).and_then(|s| s.flight()) else { return };
        let late_up: Vec<usize> =
            (0..f.q.uploads.len()).filter(|&i| f.q.uploads.get(i).and_then(|u| u.due).is_some_and(|d| d <= now)).collect();
        let late_down: Vec<usize> =
            (0..f.q.downloads.len()).filter(|&i| f.q.downloads.get(i).and_then(|d| d.due).is_some_and(|d| d <= now)).collect();
        for i in late_up {
            if let Err(e) = self.q_burst(id, i) {
                log::warn!("Q-Block: next Q-Block1 set not sent ({e:?})");
            }
        }
        // Highest index first: a give-up removes by swap.
        for i in late_down.into_iter().rev() {
            self.q_download_late(id, i, now);
        }
    }

    fn q_download_late(&mut self, id: Id, i: usize, now: u64) {
        let use_m = self.cfg.block_mode & USE_M_Q_BLOCK != 0;
        let Some(s) = self.sessions.get_mut(id) else { return };
        let tx = *s.tx();
        let downs = &mut s.flight_mut().q.downloads;
        let Some(d) = downs.get_mut(i) else { return };
        if d.retries >= tx.non_max_retransmit {
            log::debug!("Q-Block2: pieces still missing after {} requests, giving up", d.retries);
            let d = downs.swap_remove(i);
            let mid = d.request.mid;
            self.push_event(Event::Nack { session: id, sent: d.sent.or(Some(d.request)), reason: nack::TOO_MANY_RETRIES, mid });
            return;
        }
        d.retries += 1;
        let due = now + tx.non_receive_timeout.milli();
        d.due = Some(due);
        let wanted = d.wanted(usize::from(tx.max_payloads.max(1)));
        self.push_timer(due, id.index(), TimerKind::QBlockClient);
        self.push_event(Event::Session { session: id, event: event::MSG_RETRANSMITTED });
        match wanted.first() {
            Some(&first) if use_m => self.q_ask(id, i, &[first], true),
            Some(_) => self.q_ask(id, i, &wanted, false),
            None => {}
        }
    }

    /// A CON piece or follow-up that was never acknowledged: the transfer
    /// ends; the application hears of its own request.
    pub(super) fn q_forget_token(&mut self, id: Id, token: &[u8]) -> Option<Pdu> {
        let f = self.sessions.get_mut(id)?.flight_opt_mut()?;
        if let Some(i) = f.q.uploads.iter().position(|u| u.owns(token)) {
            return Some(f.q.uploads.swap_remove(i).first);
        }
        let i = f.q.downloads.iter().position(|d| d.owns(token))?;
        let d = f.q.downloads.swap_remove(i);
        d.sent.or(Some(d.request))
    }
}
