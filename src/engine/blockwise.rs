//! The context's side of block-wise transfers: where the per-session state
//! of [`super::block`] meets sending and receiving.
use super::{now, Context, Event, SendError};
use crate::engine::block::{self as blk, Download, Incoming, Outgoing, Upload, SINGLE_BODY, USE_LIBCOAP};
use crate::engine::slab::Id;
use crate::proto::block::{self, Block};
use crate::proto::msg::{self, MsgType};
use crate::proto::option;
use crate::proto::pdu::Pdu;

/// What became of a Block1 request at the server.
pub(super) enum Block1 {
    /// Answered by the library (2.31, 4.08, 4.13, ...).
    Consumed,
    /// For the handler: the request (whole body in single-body mode) and
    /// the (offset, total) its payload stands for.
    Deliver(Pdu, Option<(usize, usize)>),
}

/// A Block1 or Q-Block1 piece of a request body arriving at a server.
pub(super) struct Piece {
    pub block: Block,
    /// Where the piece's payload goes in the body.
    pub offset: usize,
    pub size1: Option<u64>,
    /// Size1 or the piece's end is beyond the body limit (4.13).
    pub too_big: bool,
    /// The resource and Request-Tag the body is for.
    pub key: Vec<u8>,
    pub rtag: Option<Vec<u8>>,
}

/// A response for the application: sent request, response, body span.
type Delivery = (Option<Pdu>, Pdu, Option<(usize, usize)>);

impl Context {
    /// coap_send() of a request made by coap_add_data_large_request(): the
    /// first block goes now, the rest as the server asks for them.
    pub fn send_large(&mut self, id: Id, pdu: Pdu, body: Vec<u8>, szx: u8) -> Result<u16, SendError> {
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        let token = pdu.token().to_vec();
        let up = Upload { app_token: token.clone(), token, first: pdu.clone(), body, szx, num: 0, touched: now() };
        s.flight_mut().blocks.add_upload(up);
        self.send(id, pdu)
    }

    /// A stored copy of a large response, to serve its further blocks.
    pub fn store_large_response(&mut self, id: Id, code: u8, key: Vec<u8>, head: Pdu, body: Vec<u8>, szx: u8) {
        if let Some(s) = self.sessions.get_mut(id) {
            s.flight_mut().blocks.add_outgoing(Outgoing { code, key, head, body, szx, touched: now() });
        }
    }

    /// A fresh ETag for a large response the application gave none.
    pub fn next_etag(&mut self) -> u64 {
        self.etag_counter = self.etag_counter.wrapping_add(1).max(1);
        self.etag_counter
    }

    /// Every response a client receives comes here: uploads and downloads
    /// in progress take theirs, the rest goes to the application.
    pub(super) fn client_response(&mut self, id: Id, sent: Option<Pdu>, received: Pdu) {
        if self.q_probe_answer(id, &received) || self.q_response(id, &sent, &received) {
            return;
        }
        if self.echo_retry(id, &sent, &received) {
            return;
        }
        let (sent, received) = match self.continue_upload(id, sent, received) {
            Some(next) => next,
            None => return,
        };
        let delivery = if self.cfg.block_mode & USE_LIBCOAP != 0
            && msg::code_class(received.code) == 2
            && received.option(option::BLOCK2).is_some()
        {
            match self.continue_download(id, sent, received) {
                Some(d) => d,
                None => return,
            }
        } else {
            (sent, received, None)
        };
        let (sent, received, span) = delivery;
        self.push_event(Event::Response { session: id, sent, received, span });
    }

    /// RFC 9175 freshness, as coap_pdu_setup(3) says the library does it
    /// under COAP_BLOCK_USE_LIBCOAP: a 4.01 carrying Echo makes the request
    /// go again with that Echo, and the application hears only the answer
    /// to the retry. One retry per Echo value (a server that keeps asking
    /// gets its 4.01 through).
    fn echo_retry(&mut self, id: Id, sent: &Option<Pdu>, received: &Pdu) -> bool {
        if self.cfg.block_mode & USE_LIBCOAP == 0 || received.code != msg::code(4, 1) {
            return false;
        }
        let (Some(sent), Some(echo)) = (sent, received.option(option::ECHO)) else { return false };
        if sent.option(option::ECHO).is_some_and(|o| o.value == echo.value) {
            return false;
        }
        let Some(s) = self.sessions.get_mut(id) else { return false };
        let mid = s.new_mid();
        let add = [(option::ECHO, echo.value.to_vec())];
        let Some(retry) = blk::rebuild(sent, sent.typ, mid, sent.token(), &[option::ECHO], &add, sent.payload().unwrap_or_default())
        else {
            return false;
        };
        log::debug!("4.01 with Echo: request sent again with it");
        match self.send(id, retry) {
            Ok(_) => true,
            Err(e) => {
                log::debug!("Echo retry not sent ({e:?})");
                false
            }
        }
    }

    /// Sends the next Block1 piece on 2.31; None when it did. Otherwise the
    /// response (with the application's token back) for the application.
    fn continue_upload(&mut self, id: Id, sent: Option<Pdu>, mut received: Pdu) -> Option<(Option<Pdu>, Pdu)> {
        let now = now();
        let Some(s) = self.sessions.get_mut(id) else { return Some((sent, received)) };
        let Some(i) = s.flight().and_then(|f| f.blocks.uploads.iter().position(|u| u.token == received.token())) else {
            return Some((sent, received));
        };
        let (token, mid) = (s.new_token(), s.new_mid());
        let f = s.flight_mut();
        let Some(up) = f.blocks.uploads.get_mut(i) else { return Some((sent, received)) };
        up.touched = now;
        let acked = (up.num as usize + 1).saturating_mul(block::szx_size(up.szx).unwrap_or(1024));
        if received.code == msg::CONTINUE && acked < up.body.len() {
            // The server may ask for smaller blocks (RFC 7959 §2.5).
            if let Some(Ok(b)) = blk::block_of(&received, option::BLOCK1) {
                up.szx = up.szx.min(b.szx);
            }
            let size = block::szx_size(up.szx).unwrap_or(1024);
            let num = u32::try_from(acked / size).unwrap_or(block::MAX_NUM);
            let end = (acked + size).min(up.body.len());
            let next = Block::new(num, end < up.body.len(), up.szx).ok().and_then(|b| {
                let data = up.body.get(acked..end)?;
                blk::rebuild(&up.first, up.first.typ, mid, &token, &[option::BLOCK1], &[(option::BLOCK1, b.to_vec())], data)
            });
            if let Some(pdu) = next {
                up.token = token;
                up.num = num;
                match self.send(id, pdu) {
                    Ok(_) => return None,
                    Err(e) => log::warn!("block-wise: next Block1 piece not sent ({e:?})"),
                }
            }
        }
        // The final answer (or an error): the transfer is over.
        let up = s_uploads_remove(self, id, i)?;
        if received.update_token(&up.app_token).is_err() {
            log::debug!("block-wise: could not restore the request token");
        }
        Some((Some(up.first).or(sent), received))
    }

    /// Takes a Block2 piece; None when the library asked for the next one
    /// and has nothing for the application yet.
    fn continue_download(&mut self, id: Id, sent: Option<Pdu>, received: Pdu) -> Option<Delivery> {
        let Some(Ok(b2)) = blk::block_of(&received, option::BLOCK2) else { return Some((sent, received, None)) };
        let now = now();
        let single = self.cfg.block_mode & SINGLE_BODY != 0;
        let size = b2.size();
        let offset = (b2.num as usize).saturating_mul(size);
        let etag = received.option(option::ETAG).map(|o| o.value.to_vec());
        let s = self.sessions.get_mut(id)?;
        let token = received.token().to_vec();
        let found = s.flight().and_then(|f| f.blocks.downloads.iter().position(|d| d.token == token));
        let i = match found {
            Some(i) => i,
            None => {
                // Only a first block of a GET/FETCH starts a transfer; a
                // request for a later block was the application's own.
                let asked = s.flight_opt_mut().and_then(|f| f.q.take_request(&token));
                let request = sent.clone().or(asked).or_else(|| {
                    s.flight().and_then(|f| f.observing.iter().find(|(t, _)| *t == token).map(|(_, p)| p.clone()))
                });
                let request = request.filter(|r| r.code == msg::GET || r.code == msg::FETCH);
                let Some(request) = request.filter(|_| b2.num == 0 && b2.more) else {
                    // A block the application asked for itself (random
                    // access): handed over as is, with where it starts.
                    let total = blk::approx_total(blk::uint_option(&received, option::SIZE2), offset, received.payload().map_or(0, <[u8]>::len), b2.more, size);
                    return Some((sent, received, Some((offset, total))));
                };
                let head = blk::rebuild(&received, received.typ, received.mid, &token, &[], &[], &[])?;
                let d = Download {
                    app_token: token.clone(),
                    token: token.clone(),
                    request,
                    head,
                    sent: sent.clone(),
                    body: Vec::new(),
                    etag: etag.clone(),
                    szx: b2.szx,
                    restarts: 0,
                    touched: now,
                };
                let blocks = &mut s.flight_mut().blocks;
                blocks.add_download(d);
                blocks.downloads.len() - 1
            }
        };
        let (next_token, mid) = (s.new_token(), s.new_mid());
        let d = s.flight_mut().blocks.downloads.get_mut(i)?;
        d.touched = now;
        let payload = received.payload().unwrap_or_default();
        let plen = payload.len();
        let mut next_offset = offset + plen;
        if etag != d.etag {
            // The body changed under us: start again (coap_block(3)).
            if d.restarts >= blk::MAX_RESTARTS {
                log::warn!("block-wise: body keeps changing, handing over the block as is");
                let d = s.flight_mut().blocks.downloads.swap_remove(i);
                return Some((d.sent, received, None));
            }
            d.restarts += 1;
            d.etag = etag;
            d.body.clear();
            next_offset = 0;
        } else if single {
            if offset != d.body.len() {
                // Out of order or repeated: ask again from where we are.
                next_offset = d.body.len();
            } else if offset + payload.len() > blk::MAX_BODY {
                log::warn!("block-wise: response body beyond {} bytes; handing over the block as is", blk::MAX_BODY);
                let d = s.flight_mut().blocks.downloads.swap_remove(i);
                return Some((d.sent, received, None));
            } else {
                d.body.extend_from_slice(payload);
            }
        }
        let finished = !b2.more && (!single || offset == d.body.len().saturating_sub(plen));
        if finished {
            let d = s.flight_mut().blocks.downloads.swap_remove(i);
            if single {
                let whole = blk::rebuild(&d.head, received.typ, received.mid, &d.app_token, &[option::BLOCK2], &[], &d.body)?;
                return Some((d.sent, whole, None));
            }
            let mut last = received;
            let _ = last.update_token(&d.app_token);
            let span = (offset, offset + plen);
            return Some((d.sent, last, Some(span)));
        }
        let num = u32::try_from(next_offset / size).unwrap_or(block::MAX_NUM);
        let ask = Block::new(num, false, b2.szx).ok()?;
        let body = if d.request.code == msg::FETCH { d.request.payload().unwrap_or_default() } else { &[] };
        let drop = [option::BLOCK2, option::BLOCK1, option::Q_BLOCK2, option::Q_BLOCK1, option::SIZE1, option::OBSERVE];
        let req = blk::rebuild(&d.request, d.request.typ, mid, &next_token, &drop, &[(option::BLOCK2, ask.to_vec())], body)?;
        d.token = next_token;
        // Each piece for the application, unless it wants the whole body.
        let piece = if single {
            None
        } else {
            let size2 = blk::uint_option(&received, option::SIZE2);
            let total = blk::approx_total(size2, offset, plen, true, size);
            let mut piece = received;
            let _ = piece.update_token(&d.app_token);
            Some((d.sent.clone(), piece, Some((offset, total))))
        };
        if let Err(e) = self.send(id, req) {
            log::warn!("block-wise: next Block2 request not sent ({e:?})");
        }
        piece
    }

    /// The Block1 or Q-Block1 (`number`) option of a request at a server
    /// and what it says of the body; Err when the request was answered
    /// (an unusable option: 4.02), Ok(None) when it has no such option.
    pub(super) fn block1_piece(&mut self, id: Id, req: &Pdu, number: option::OptNum) -> Result<Option<Piece>, ()> {
        let block = match blk::block_of(req, number) {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                log::debug!("request with an unusable block option {number}: {e:?}");
                self.answer_error(id, req, msg::BAD_OPTION);
                return Err(());
            }
            None => return Ok(None),
        };
        let offset = (block.num as usize).saturating_mul(block.size());
        let len = req.payload().map_or(0, <[u8]>::len);
        let size1 = blk::uint_option(req, option::SIZE1);
        Ok(Some(Piece {
            block,
            offset,
            size1,
            too_big: size1.is_some_and(|s| s > blk::MAX_BODY as u64) || offset.saturating_add(len) > blk::MAX_BODY,
            key: blk::resource_key(req),
            rtag: req.option(option::REQUEST_TAG).map(|o| o.value.to_vec()),
        }))
    }

    /// A Block1 request at a server in library-run block mode.
    /// `single`: the resource asked for whole bodies
    /// (COAP_RESOURCE_FLAGS_FORCE_SINGLE_BODY) whatever the block mode.
    pub(super) fn incoming_block1(&mut self, id: Id, req: Pdu, single: bool) -> Block1 {
        let Piece { block: b1, offset, size1, too_big, key, rtag } = match self.block1_piece(id, &req, option::BLOCK1) {
            Ok(Some(p)) => p,
            Ok(None) => return Block1::Deliver(req, None),
            Err(()) => return Block1::Consumed,
        };
        let size = b1.size();
        let len = req.payload().map_or(0, <[u8]>::len);
        if too_big {
            self.forget_incoming(id, &key, &rtag);
            self.answer_too_large(id, &req);
            return Block1::Consumed;
        }
        // Q-Block implies single-body delivery, for Block1 bodies too.
        if !single && self.cfg.block_mode & (SINGLE_BODY | blk::TRY_Q_BLOCK) == 0 {
            let total = blk::approx_total(size1, offset, len, b1.more, size);
            return Block1::Deliver(req, Some((offset, total)));
        }
        let now = now();
        let Some(s) = self.sessions.get_mut(id) else { return Block1::Consumed };
        let blocks = &mut s.flight_mut().blocks;
        let found = blocks.incoming.iter().position(|i| i.path == key && i.rtag == rtag);
        let i = match found {
            Some(i) => i,
            None => {
                blocks.incoming.retain(|i| now.saturating_sub(i.touched) < blk::IDLE_MS);
                if blocks.incoming.len() >= 8 {
                    blocks.incoming.remove(0);
                }
                blocks.incoming.push(Incoming { path: key, rtag, body: Vec::new(), ranges: Vec::new(), touched: now });
                blocks.incoming.len() - 1
            }
        };
        let Some(inc) = blocks.incoming.get_mut(i) else { return Block1::Consumed };
        if b1.num == 0 && found.is_some() && inc.ranges.first().is_some_and(|r| r.0 == 0) {
            // Block 0 again after it arrived: a new body for the same resource.
            inc.body.clear();
            inc.ranges.clear();
        }
        inc.touched = now;
        if blk::far_ahead(inc, offset) {
            // Blocks come one by one: this one belongs to no body we have.
            log::debug!("Block1 {} lands far beyond the {} bytes received: 4.08", b1.num, inc.body.len());
            blocks.incoming.swap_remove(i);
            self.answer_error(id, &req, msg::REQUEST_ENTITY_INCOMPLETE);
            return Block1::Consumed;
        }
        if !blk::place(inc, offset, req.payload().unwrap_or_default()) {
            blocks.incoming.swap_remove(i);
            self.answer_too_large(id, &req);
            return Block1::Consumed;
        }
        if b1.more {
            let mut resp = self.response_skeleton(id, &req);
            resp.code = msg::CONTINUE;
            if let Ok(b) = Block::new(b1.num, true, b1.szx) {
                let _ = resp.add_option(option::BLOCK1, &b.to_vec());
            }
            self.finish_request(id, req.typ, req.code, req.mid, resp);
            return Block1::Consumed;
        }
        let inc = blocks.incoming.swap_remove(i);
        if !blk::complete(&inc) {
            log::debug!("Block1 body incomplete at its last block: 4.08");
            self.answer_error(id, &req, msg::REQUEST_ENTITY_INCOMPLETE);
            return Block1::Consumed;
        }
        match blk::rebuild(&req, req.typ, req.mid, req.token(), &[option::BLOCK1, option::SIZE1], &[], &inc.body) {
            Some(whole) => Block1::Deliver(whole, None),
            None => {
                self.answer_error(id, &req, msg::INTERNAL_ERROR);
                Block1::Consumed
            }
        }
    }

    fn forget_incoming(&mut self, id: Id, key: &[u8], rtag: &Option<Vec<u8>>) {
        if let Some(f) = self.sessions.get_mut(id).and_then(|s| s.flight_opt_mut()) {
            f.blocks.incoming.retain(|i| !(i.path == key && i.rtag == *rtag));
        }
    }

    /// 4.13 with the largest body we take in Size1 (RFC 7959 §2.9.3).
    pub(super) fn answer_too_large(&mut self, id: Id, req: &Pdu) {
        let mut resp = self.response_skeleton(id, req);
        resp.code = msg::REQUEST_TOO_LARGE;
        let _ = resp.add_option(option::SIZE1, &blk::encode_uint(blk::MAX_BODY as u64));
        self.finish_request(id, req.typ, req.code, req.mid, resp);
    }

    /// The requested block of a large response kept from an earlier call
    /// of the handler; None when there is none (the handler runs).
    pub(super) fn serve_block2(&mut self, id: Id, req: &Pdu) -> Option<Pdu> {
        let b2 = blk::block_of(req, option::BLOCK2)?.ok()?;
        let now = now();
        let key = blk::resource_key(req);
        let s = self.sessions.get_mut(id)?;
        let o = s.flight_opt_mut()?.blocks.outgoing.iter_mut().find(|o| o.code == req.code && o.key == key)?;
        if now.saturating_sub(o.touched) >= blk::IDLE_MS {
            return None;
        }
        o.touched = now;
        let szx = b2.szx.min(o.szx);
        let data = block::block_slice(&o.body, b2.num, szx)?.to_vec();
        let more = block::more_after(o.body.len() as u64, b2.num, szx);
        let opt = Block::new(b2.num, more, szx).ok()?;
        let head = std::mem::replace(&mut o.head, Pdu::new(MsgType::Ack, 0, 0, 0));
        let mut resp = self.response_skeleton(id, req);
        resp.code = head.code;
        let built = (|| {
            for o in head.options().map_while(Result::ok) {
                resp.add_option(o.number, o.value).ok()?;
            }
            resp.add_option(option::BLOCK2, &opt.to_vec()).ok()?;
            resp.add_payload(&data).ok()
        })();
        if let Some(f) = self.sessions.get_mut(id).and_then(|s| s.flight_opt_mut()) {
            if more {
                if let Some(o) = f.blocks.outgoing.iter_mut().find(|o| o.code == req.code && o.key == key) {
                    o.head = head;
                }
            } else {
                // The last block went: a lost answer is repeated from the
                // duplicate cache (CON) or the handler runs again (NON).
                f.blocks.outgoing.retain(|o| !(o.code == req.code && o.key == key));
            }
        }
        built.map(|_| resp)
    }
}

fn s_uploads_remove(ctx: &mut Context, id: Id, i: usize) -> Option<Upload> {
    let f = ctx.sessions.get_mut(id)?.flight_opt_mut()?;
    (i < f.blocks.uploads.len()).then(|| f.blocks.uploads.swap_remove(i))
}
