//! Sessions of coap_session(3): one per (local endpoint or client socket,
//! peer), with libcoap's reference counting: client sessions start at 1 and
//! are freed at 0; server sessions start at 0 and idle in their endpoint's
//! pool until reaped.
use super::slab::Id;
use crate::proto::msg::MsgType;
use crate::proto::pdu::Pdu;
use crate::proto::reliability::TxParams;
use std::collections::VecDeque;
use super::address::Address;

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
    /// A ping the library sent for coap_context_set_keepalive().
    pub keepalive: bool,
}

/// Traffic a session has in flight. Boxed and made on first use, so idle
/// server sessions (which only ever answer) stay small.
#[derive(Debug, Default)]
pub struct Flight {
    pub pending: Vec<Pending>,
    /// Messages held back by NSTART.
    pub waiting: VecDeque<(MsgType, Pdu)>,
    /// Tokens of requests sent and not yet answered, for matching
    /// separate responses.
    pub open_requests: Vec<Vec<u8>>,
    /// Requests this client observes with, by token (for cancelling).
    pub observing: Vec<(Vec<u8>, Pdu)>,
    /// Block-wise transfers the library runs on this session.
    pub blocks: super::block::Blocks,
    /// Q-Block (RFC 9177) state of a client session.
    pub q: super::qclient::QClient,
}

#[derive(Debug)]
pub struct Session {
    pub role: Role,
    pub route: Route,
    /// Own address of a client session's socket; a server session uses its
    /// endpoint's (see `Context::local_addr`), which saves idle sessions
    /// the copy.
    pub own_local: Option<Box<Address>>,
    pub remote: Address,
    pub refcount: u32,
    pub ifindex: i32,
    pub mtu: usize,
    /// None: libcoap's defaults (most sessions never change them).
    tx: Option<Box<TxParams>>,
    flight: Option<Box<Flight>>,
    /// Counter behind coap_session_new_token().
    pub token_counter: u64,
    pub last_activity: u64,
    pub app_data: usize,
    /// The C handle's address, an opaque token for the FFI layer.
    pub handle: usize,
    pub next_mid: u16,
    /// Connected and not yet torn down.
    pub established: bool,
    /// Reaped: freed once its SERVER_SESSION_DEL event is delivered (it
    /// still reports itself established to that event's handler).
    pub reaped: bool,
    /// A reap timer is queued for this session (at most one is).
    pub reap_armed: bool,
    /// coap_session_set_no_observe_cancel(): no cancellations on close.
    pub no_observe_cancel: bool,
    /// A DTLS session's association (None: plain UDP).
    pub dtls: Option<Box<super::context::dtls::DtlsSession>>,
    /// A client session towards a multicast group: the group.
    pub mcast: Option<Box<Address>>,
}

impl Session {
    pub fn new(role: Role, route: Route, local: Option<Address>, remote: Address, now: u64, seed: [u8; 10]) -> Session {
        let [m0, m1, t @ ..] = seed;
        Session {
            role,
            route,
            own_local: local.map(Box::new),
            remote,
            refcount: match role {
                Role::Client => 1,
                Role::Server => 0,
            },
            ifindex: 0,
            mtu: DEFAULT_MTU,
            tx: None,
            flight: None,
            token_counter: u64::from_be_bytes(t),
            last_activity: now,
            app_data: 0,
            handle: 0,
            next_mid: u16::from_be_bytes([m0, m1]),
            established: true,
            reaped: false,
            reap_armed: false,
            no_observe_cancel: false,
            dtls: None,
            mcast: None,
        }
    }

    /// The transmission parameters of coap_recovery(3).
    pub fn tx(&self) -> &TxParams {
        self.tx.as_deref().unwrap_or(&TxParams::DEFAULT)
    }

    pub fn tx_mut(&mut self) -> &mut TxParams {
        self.tx.get_or_insert_with(|| Box::new(TxParams::DEFAULT))
    }

    /// What is in flight, if anything ever was.
    pub fn flight(&self) -> Option<&Flight> {
        self.flight.as_deref()
    }

    pub fn flight_opt_mut(&mut self) -> Option<&mut Flight> {
        self.flight.as_deref_mut()
    }

    pub fn flight_mut(&mut self) -> &mut Flight {
        self.flight.get_or_insert_with(Box::default)
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
        match self.dtls {
            Some(_) => self.mtu.saturating_sub(super::context::dtls::DTLS_OVERHEAD),
            None => self.mtu,
        }
    }

    /// Confirmable messages awaiting their ACK (for NSTART).
    pub fn in_flight(&self) -> usize {
        self.flight().map_or(0, |f| f.pending.len())
    }

    /// True when nothing is queued or awaiting acknowledgement.
    pub fn is_quiet(&self) -> bool {
        self.flight().map_or(true, |f| f.pending.is_empty() && f.waiting.is_empty())
    }
}

/// The session a context event is about (for the FFI layer to resolve).
pub type SessionId = Id;

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> Address {
        Address::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, port))
    }

    #[test]
    fn refcounts_start_per_role() {
        let mut slab = super::super::slab::Slab::default();
        let ep = slab.insert(());
        let c = Session::new(Role::Client, Route::Socket(ep), Some(addr(1)), addr(2), 0, [0; 10]);
        let s = Session::new(Role::Server, Route::Endpoint(ep), None, addr(2), 0, [0; 10]);
        assert_eq!(c.refcount, 1);
        assert_eq!(s.refcount, 0);
    }

    #[test]
    fn tokens_and_mids_advance() {
        let mut slab = super::super::slab::Slab::default();
        let ep = slab.insert(());
        let mut s = Session::new(Role::Client, Route::Socket(ep), Some(addr(1)), addr(2), 0, [0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xfe]);
        assert_eq!(s.new_mid(), 0);
        assert_eq!(s.new_mid(), 1);
        assert_eq!(s.new_token(), vec![0xff]);
        assert_eq!(s.new_token(), vec![0x01, 0x00]);
        s.token_counter = u64::MAX;
        assert_eq!(s.new_token(), Vec::<u8>::new());
    }
}
