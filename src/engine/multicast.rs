//! Multicast CoAP (RFC 7252 §8) and the No-Response option (RFC 7967), as
//! libcoap 4.3.3 does them.
//!
//! Server side: a request sent to a group must be NON; its response is NON,
//! suppressed as libcoap suppresses it (error responses by default, the
//! resource's COAP_RESOURCE_FLAGS_*MCAST* flags once
//! coap_mcast_per_resource() was called) and sent after a random part of
//! the session's DEFAULT_LEISURE, through the timer heap. No-Response, on
//! unicast and multicast alike, overrides the defaults.
//!
//! Client side: a session towards a group sends from an unconnected socket
//! (see `Udp::connect`), sends only NON requests, and hands every member's
//! answer to the response handler; its remote address is the last
//! responder's until the next send.
//!
//! A child module of `context`: the hooks there are one-liners calling in.
use super::{Context, Found, TimerKind};
use crate::engine::address::Address;
use crate::engine::slab::Id;
use crate::proto::msg::{self, MsgType};
use crate::proto::option;
use crate::proto::pdu::Pdu;
use foldhash::HashMap;
use std::net::IpAddr;

/// coap_resource(3) flags (libcoap's values).
pub const HAS_MCAST_SUPPORT: u32 = 0x8;
pub const LIB_DIS_MCAST_DELAYS: u32 = 0x10;
pub const LIB_ENA_MCAST_SUPPRESS_2_05: u32 = 0x20;
pub const LIB_ENA_MCAST_SUPPRESS_2_XX: u32 = 0x40;
pub const LIB_DIS_MCAST_SUPPRESS_4_XX: u32 = 0x80;
pub const LIB_DIS_MCAST_SUPPRESS_5_XX: u32 = 0x100;

/// Requests remembered longer than this (ms) are forgotten: their handler
/// never answered.
const FORGET_AFTER: u64 = 300_000;
/// Open tokens a multicast client session keeps answers coming for.
const MCAST_OPEN_TOKENS: usize = 16;

/// What the response to a request must know of it.
#[derive(Debug)]
struct Request {
    /// The group it was sent to (None: unicast).
    group: Option<IpAddr>,
    /// The No-Response option's value, if present.
    no_response: Option<u32>,
    /// The flags of the resource it resolved to (None: no resource).
    flags: Option<u32>,
    at: u64,
}

/// A response waiting out its leisure.
#[derive(Debug)]
struct Delayed {
    session: Id,
    wire: Vec<u8>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// The multicast group the datagram being processed was sent to.
    pub rx: Option<IpAddr>,
    /// Requests that arrived by multicast or carry No-Response, by
    /// (session, token); only these need a decision on their response.
    requests: HashMap<(Id, Vec<u8>), Request>,
    delayed: HashMap<u32, Delayed>,
    next_delay: u32,
}

impl State {
    /// No delayed response waits (coap_can_exit()).
    pub fn is_idle(&self) -> bool {
        self.delayed.is_empty()
    }
}

/// The verdict of libcoap's no_response() on a response.
#[derive(Debug, PartialEq, Eq)]
enum Respond {
    Default,
    Send,
    Drop,
    /// Suppressed, but a CON request still gets its empty ACK.
    EmptyAck,
}

fn decode_uint(v: &[u8]) -> u32 {
    v.iter().take(4).fold(0u32, |a, &b| (a << 8) | u32::from(b))
}

/// libcoap 4.3.3's no_response(): `flags` are the resource's (None: the
/// request reached no resource).
fn no_response(req: &Request, per_resource: bool, response: &Pdu, request_typ: MsgType) -> Respond {
    let class = msg::code_class(response.code);
    if class > 0 {
        if let Some(val) = req.no_response {
            // RFC 7967 §2.1: bit (class - 1) set means not interested; a
            // No-Response without that bit asks for the response, even by
            // multicast.
            return if (1u32 << (class - 1)) & val != 0 {
                if response.typ == MsgType::Ack {
                    Respond::EmptyAck
                } else {
                    Respond::Drop
                }
            } else {
                Respond::Send
            };
        }
        if let (Some(flags), true, Some(_)) = (req.flags, per_resource, req.group) {
            if flags & LIB_ENA_MCAST_SUPPRESS_2_XX != 0 && class == 2 {
                return Respond::Drop;
            } else if flags & LIB_ENA_MCAST_SUPPRESS_2_05 != 0 && response.code == msg::CONTENT {
                if response.payload().map_or(true, |p| p.is_empty()) {
                    return Respond::Drop;
                }
            } else if flags & LIB_DIS_MCAST_SUPPRESS_4_XX == 0 && class == 4 {
                return Respond::Drop;
            } else if flags & LIB_DIS_MCAST_SUPPRESS_5_XX == 0 && class == 5 {
                return Respond::Drop;
            }
        }
    }
    // RFC 7252 §8.1: no error responses to multicast requests.
    if req.group.is_some() {
        if request_typ == MsgType::Non && response.typ == MsgType::Rst {
            return Respond::Drop;
        }
        if (req.flags.is_none() || !per_resource) && class > 2 {
            return Respond::Drop;
        }
    }
    Respond::Default
}

impl Context {
    /// The resource flags a request resolves to, as on_request resolves it
    /// (`.well-known/core` always supports multicast).
    fn mcast_resource_flags(&self, req: &Pdu) -> (Option<u32>, bool) {
        let proxied = req.option(option::PROXY_URI).is_some() || req.option(option::PROXY_SCHEME).is_some();
        let rid = if proxied {
            self.resources.proxy
        } else {
            match self.resources.find(&super::request_path(req)) {
                Found::Resource(rid) => Some(rid),
                Found::WellKnown => return (Some(HAS_MCAST_SUPPORT), req.code == msg::GET),
                Found::NotFound => self.resources.unknown,
            }
        };
        match rid.and_then(|rid| self.resources.get(rid)) {
            Some(r) => {
                let handled = r.handler(req.code).is_some();
                // The unknown-resource handler only counts with a handler
                // for this method (otherwise it is a plain 4.04).
                if !handled && !proxied && rid == self.resources.unknown && rid.is_some() {
                    (None, false)
                } else {
                    (Some(r.flags), handled)
                }
            }
            None => (None, false),
        }
    }

    /// Hook at the start of on_request. Remembers what the response will
    /// need; true when the request is done with here (a CON to a group, or
    /// a resource that does not take multicast requests).
    pub(super) fn mcast_request(&mut self, id: Id, req: &Pdu) -> bool {
        let group = self.mcast.rx;
        let no_response = req.option(option::NO_RESPONSE).map(|o| decode_uint(o.value));
        if group.is_none() && no_response.is_none() {
            return false;
        }
        if group.is_some() && req.typ != MsgType::Non {
            log::info!("Invalid multicast packet received RFC7252 8.1");
            return true;
        }
        let (flags, handled) = self.mcast_resource_flags(req);
        let now = super::now();
        self.mcast.requests.retain(|_, r| r.at + FORGET_AFTER > now);
        self.mcast.requests.insert((id, req.token().to_vec()), Request { group, no_response, flags, at: now });
        let refused = self.cfg.mcast_per_resource
            && group.is_some()
            && handled
            && flags.is_some_and(|f| f & HAS_MCAST_SUPPORT == 0);
        if refused {
            log::debug!("multicast request for a resource without multicast support: 4.05");
            self.answer_error(id, req, msg::code(4, 5));
        }
        refused
    }

    /// Hook at the start of finish_request: the response goes on (Some),
    /// possibly turned into an empty ACK, or is dropped or delayed (None).
    pub(super) fn mcast_response(&mut self, id: Id, request_typ: MsgType, mut response: Pdu) -> Option<Pdu> {
        if self.mcast.requests.is_empty() {
            return Some(response);
        }
        let Some(req) = self.mcast.requests.remove(&(id, response.token().to_vec())) else { return Some(response) };
        if response.code == msg::EMPTY {
            // An empty ACK now, the answer later (async): keep the request.
            self.mcast.requests.insert((id, response.token().to_vec()), req);
            return Some(response);
        }
        match no_response(&req, self.cfg.mcast_per_resource, &response, request_typ) {
            Respond::Drop => {
                log::debug!("response {}.{:02} suppressed", response.code >> 5, response.code & 31);
                return None;
            }
            Respond::EmptyAck => {
                log::debug!("response {}.{:02} suppressed: empty ACK", response.code >> 5, response.code & 31);
                return Some(Pdu::new(MsgType::Ack, msg::EMPTY, response.mid, 0));
            }
            Respond::Send | Respond::Default => {}
        }
        if req.group.is_none() {
            return Some(response);
        }
        let no_delay = self.cfg.mcast_per_resource && req.flags.is_some_and(|f| f & LIB_DIS_MCAST_DELAYS != 0);
        // RFC 7252 §8.1: the response to a multicast request is NON.
        if response.typ != MsgType::Non {
            response.typ = MsgType::Non;
        }
        if no_delay {
            return Some(response);
        }
        let wire = match crate::proto::wire::to_vec(&response, msg::Framing::Udp) {
            Ok(w) => w,
            Err(e) => {
                log::warn!("response cannot be encoded: {e:?}");
                return None;
            }
        };
        let leisure = self.sessions.get(id).map_or(5000, |s| s.tx().default_leisure.milli());
        let mut r = [0u8; 1];
        super::super::prng::fill(&mut r);
        let delay = leisure * u64::from(r[0]) / 256;
        log::debug!("mid={}: mcast response delayed for {}.{:03} secs", response.mid, delay / 1000, delay % 1000);
        let n = self.mcast.next_delay;
        self.mcast.next_delay = n.wrapping_add(1);
        self.mcast.delayed.insert(n, Delayed { session: id, wire });
        self.push_timer(super::now() + delay, id.index(), TimerKind::McastDelay(n));
        None
    }

    /// The timer of a delayed multicast response fired.
    pub(super) fn mcast_delayed(&mut self, id: Id, n: u32) {
        let Some(d) = self.mcast.delayed.remove(&n) else { return };
        if d.session != id {
            return; // its session is gone
        }
        let Some(s) = self.sessions.get(id) else { return };
        let (route, remote) = (s.route, s.remote);
        log::debug!("mcast delayed transmission to {remote}");
        if let Err(e) = self.transmit(route, remote, &d.wire) {
            log::warn!("sending the delayed multicast response failed: {e}");
        }
    }

    // ------------------------------------------------------------ client

    /// Marks a new client session as one towards a multicast group.
    pub fn mcast_client(&mut self, id: Id) {
        let Some(s) = self.sessions.get_mut(id) else { return };
        let remote = s.remote;
        if remote.is_multicast() {
            s.mcast = Some(Box::new(remote));
        }
    }

    /// Before a client sends on a multicast session: only NON requests go
    /// to a group (false: refused), and answers are again awaited from the
    /// group.
    pub fn mcast_before_send(&mut self, id: Id, pdu: &Pdu) -> bool {
        let Some(s) = self.sessions.get_mut(id) else { return true };
        let Some(group) = s.mcast.as_deref().copied() else { return true };
        if pdu.typ == MsgType::Con {
            log::error!("Multicast requests cannot be Confirmable (RFC7252 8.1)");
            return false;
        }
        s.remote = group;
        if let Some(f) = s.flight_opt_mut() {
            let excess = f.open_requests.len().saturating_sub(MCAST_OPEN_TOKENS - 1);
            f.open_requests.drain(..excess);
        }
        true
    }

    /// coap_mcast_set_hops(): the TTL / hop limit of a multicast client
    /// session's socket.
    pub fn mcast_set_hops(&mut self, id: Id, hops: u8) -> std::io::Result<()> {
        let s = self.sessions.get(id).ok_or(std::io::ErrorKind::NotFound)?;
        if s.mcast.is_none() {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        let super::Route::Socket(sock) = s.route else { return Err(std::io::ErrorKind::InvalidInput.into()) };
        let sock = self.sockets.get(sock).ok_or(std::io::ErrorKind::NotFound)?;
        sock.udp.set_multicast_hops(hops)
    }
}

/// The group a session sends to, if it is a multicast client session.
pub fn group_of(s: &super::Session) -> Option<Address> {
    s.mcast.as_deref().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(group: bool, no_response: Option<u32>, flags: Option<u32>) -> Request {
        Request { group: group.then(|| IpAddr::from([224, 0, 1, 187])), no_response, flags, at: 0 }
    }

    fn resp(typ: MsgType, code: u8, payload: &[u8]) -> Pdu {
        let mut p = Pdu::new(typ, code, 1, 0);
        let _ = p.add_payload(payload);
        p
    }

    #[test]
    fn multicast_defaults_drop_errors_only() {
        let r = req(true, None, Some(0));
        assert_eq!(no_response(&r, false, &resp(MsgType::Non, msg::CONTENT, b"x"), MsgType::Non), Respond::Default);
        assert_eq!(no_response(&r, false, &resp(MsgType::Non, msg::NOT_FOUND, b""), MsgType::Non), Respond::Drop);
        assert_eq!(no_response(&r, false, &resp(MsgType::Non, msg::code(5, 0), b""), MsgType::Non), Respond::Drop);
        let none = req(true, None, None);
        assert_eq!(no_response(&none, true, &resp(MsgType::Non, msg::NOT_FOUND, b""), MsgType::Non), Respond::Drop);
    }

    #[test]
    fn per_resource_flags() {
        let p = |flags, code, payload: &[u8]| no_response(&req(true, None, Some(flags)), true, &resp(MsgType::Non, code, payload), MsgType::Non);
        assert_eq!(p(HAS_MCAST_SUPPORT, msg::NOT_FOUND, b""), Respond::Drop);
        assert_eq!(p(HAS_MCAST_SUPPORT | LIB_DIS_MCAST_SUPPRESS_4_XX, msg::NOT_FOUND, b""), Respond::Default);
        assert_eq!(p(HAS_MCAST_SUPPORT | LIB_DIS_MCAST_SUPPRESS_5_XX, msg::code(5, 0), b""), Respond::Default);
        assert_eq!(p(HAS_MCAST_SUPPORT | LIB_ENA_MCAST_SUPPRESS_2_XX, msg::code(2, 4), b""), Respond::Drop);
        assert_eq!(p(HAS_MCAST_SUPPORT | LIB_ENA_MCAST_SUPPRESS_2_05, msg::CONTENT, b""), Respond::Drop);
        assert_eq!(p(HAS_MCAST_SUPPORT | LIB_ENA_MCAST_SUPPRESS_2_05, msg::CONTENT, b"x"), Respond::Default);
    }

    #[test]
    fn no_response_option_overrides() {
        // 2: not interested in 2.xx; 8: 4.xx; 16: 5.xx.
        let uni = |v, typ, code| no_response(&req(false, Some(v), Some(0)), false, &resp(typ, code, b""), MsgType::Con);
        assert_eq!(uni(2, MsgType::Ack, msg::CONTENT), Respond::EmptyAck);
        assert_eq!(uni(2, MsgType::Non, msg::CONTENT), Respond::Drop);
        assert_eq!(uni(8, MsgType::Ack, msg::CONTENT), Respond::Send);
        assert_eq!(uni(8, MsgType::Non, msg::NOT_FOUND), Respond::Drop);
        assert_eq!(uni(16, MsgType::Non, msg::code(5, 0)), Respond::Drop);
        // By multicast, a No-Response that does not exclude 4.xx asks for it.
        let m = no_response(&req(true, Some(0), None), false, &resp(MsgType::Non, msg::NOT_FOUND, b""), MsgType::Non);
        assert_eq!(m, Respond::Send);
    }
}
