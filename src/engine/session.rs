//! Sessions of coap_session(3): one per (local endpoint or client socket,
//! peer), with libcoap's reference counting: client sessions start at 1 and
//! are freed at 0; server sessions start at 0 and idle in their endpoint's
//! pool until reaped.
use super::slab::Id;
use crate::proto::msg::MsgType;
use crate::proto::pdu::Pdu;
use crate::proto::reliability::TxParams;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// libcoap's default MTU: the payload room of an IPv6 minimum MTU path.
pub const DEFAULT_MTU: usize = 1152;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

/// Where a session's datagrams go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// A client session's own connected socket (index in the context's
    /// socket table).
    Socket(Id),
    /// A server session speaks through its endpoint's socket.
    Endpoint(Id),
}

/// A confirmable message waiting for its ACK.
#[derive(Debug)]
pub struct Pending {
    pub mid: u16,
    pub token: Vec<u8>,
    pub pdu: Pdu,
    /// Serialised once, resent as is.
    pub wire: Vec<u8>,
    pub attempt: u16,
    pub first_timeout: u64,
    pub due: u64,
}

/// A response remembered for a recently received confirmable request, so a
/// retransmitted request gets the same answer (RFC 7252 §4.5).
#[derive(Debug)]
pub struct Answered {
    pub mid: u16,
    pub expires: u64,
    /// None: still being handled, or answered with nothing to repeat.
    pub wire: Option<Vec<u8>>,
}

/// How many recent exchanges a session remembers for duplicate detection.
pub const DEDUP_SLOTS: usize = 8;

#[derive(Debug)]
pub struct Session {
    pub role: Role,
    pub route: Route,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub refcount: u32,
    pub mtu: usize,
    pub tx: TxParams,
    pub next_mid: u16,
    /// Counter behind coap_session_new_token().
    pub token_counter: u64,
    pub pending: Vec<Pending>,
    /// Messages held back by NSTART.
    pub waiting: VecDeque<(MsgType, Pdu)>,
    pub answered: VecDeque<Answered>,
    /// Tokens of requests sent and not yet answered, for matching
    /// separate responses.
    pub open_requests: Vec<Vec<u8>>,
    pub last_activity: u64,
    pub app_data: usize,
    /// The C handle's address, an opaque token for the FFI layer.
    pub handle: usize,
    /// Connected and not yet torn down.
    pub established: bool,
    pub ifindex: i32,
}

impl Session {
    pub fn new(role: Role, route: Route, local: SocketAddr, remote: SocketAddr, now: u64, seed: [u8; 10]) -> Session {
        let [m0, m1, t @ ..] = seed;
        Session {
            role,
            route,
            local,
            remote,
            refcount: match role {
                Role::Client => 1,
                Role::Server => 0,
            },
            mtu: DEFAULT_MTU,
            tx: TxParams::default(),
            next_mid: u16::from_be_bytes([m0, m1]),
            token_counter: u64::from_be_bytes(t),
            pending: Vec::new(),
            waiting: VecDeque::new(),
            answered: VecDeque::new(),
            open_requests: Vec::new(),
            last_activity: now,
            app_data: 0,
            handle: 0,
            established: true,
            ifindex: -1,
        }
    }

    /// The next message id (RFC 7252 §4.4: a counter from a random start).
    pub fn new_mid(&mut self) -> u16 {
        self.next_mid = self.next_mid.wrapping_add(1);
        self.next_mid
    }

    /// The next token: the counter's significant bytes, as libcoap makes them.
    pub fn new_token(&mut self) -> Vec<u8> {
        self.token_counter = self.token_counter.wrapping_add(1);
        let bytes = self.token_counter.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        bytes[skip..].to_vec()
    }

    /// The largest PDU (header included) that fits the MTU.
    pub fn max_pdu_size(&self) -> usize {
        self.mtu
    }

    /// Messages in flight for NSTART.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Looks up a remembered exchange for a received message id.
    pub fn answered(&self, mid: u16, now: u64) -> Option<&Answered> {
        self.answered.iter().find(|a| a.mid == mid && a.expires > now)
    }

    pub fn remember(&mut self, mid: u16, expires: u64) {
        if self.answered.len() >= DEDUP_SLOTS {
            self.answered.pop_front();
        }
        self.answered.push_back(Answered { mid, expires, wire: None });
    }

    pub fn record_answer(&mut self, mid: u16, wire: &[u8]) {
        if let Some(a) = self.answered.iter_mut().rev().find(|a| a.mid == mid) {
            a.wire = Some(wire.to_vec());
        }
    }

    /// True when nothing is queued or awaiting acknowledgement.
    pub fn is_quiet(&self) -> bool {
        self.pending.is_empty() && self.waiting.is_empty()
    }
}

/// The session a context event is about (for the FFI layer to resolve).
pub type SessionId = Id;

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn refcounts_start_per_role() {
        let mut slab = super::super::slab::Slab::default();
        let ep = slab.insert(());
        let c = Session::new(Role::Client, Route::Socket(ep), addr(1), addr(2), 0, [0; 10]);
        let s = Session::new(Role::Server, Route::Endpoint(ep), addr(1), addr(2), 0, [0; 10]);
        assert_eq!(c.refcount, 1);
        assert_eq!(s.refcount, 0);
    }

    #[test]
    fn tokens_and_mids_advance() {
        let mut slab = super::super::slab::Slab::default();
        let ep = slab.insert(());
        let mut s = Session::new(Role::Client, Route::Socket(ep), addr(1), addr(2), 0, [0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xfe]);
        assert_eq!(s.new_mid(), 0);
        assert_eq!(s.new_mid(), 1);
        assert_eq!(s.new_token(), vec![0xff]);
        assert_eq!(s.new_token(), vec![0x01, 0x00]);
        s.token_counter = u64::MAX;
        assert_eq!(s.new_token(), Vec::<u8>::new());
    }

    #[test]
    fn dedup_remembers_a_bounded_window() {
        let mut slab = super::super::slab::Slab::default();
        let ep = slab.insert(());
        let mut s = Session::new(Role::Server, Route::Endpoint(ep), addr(1), addr(2), 0, [0; 10]);
        for mid in 0..20 {
            s.remember(mid, 100);
        }
        s.record_answer(19, b"resp");
        assert!(s.answered(5, 0).is_none());
        assert_eq!(s.answered(19, 50).and_then(|a| a.wire.as_deref()), Some(&b"resp"[..]));
        assert!(s.answered(19, 100).is_none());
    }
}

