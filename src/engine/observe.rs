//! RFC 7641 observation state: a resource's observers (server side) and
//! the requests a client observes with (client side).
use super::slab::Id;
use crate::proto::pdu::Pdu;

/// A NON resource sends this many NON notifications, then one CON
/// (RFC 7641 §4.5), so a client that vanished is noticed: five, then the
/// sixth as CON, as libcoap (COAP_OBS_MAX_NON) does it.
pub const NON_BEFORE_CON: u8 = 5;
/// Observations one session may hold on one resource: a flood of
/// registrations with fresh tokens is answered, but not registered.
pub const MAX_PER_SESSION: usize = 32;

/// Observe sequence numbers are 24 bits (RFC 7641 §3.4).
pub fn next_seq(seq: u32) -> u32 {
    seq.wrapping_add(1) & 0x00FF_FFFF
}

/// The value bytes of an Observe option (minimal big-endian, 0 is empty).
pub fn seq_bytes(seq: u32) -> Vec<u8> {
    let b = seq.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

#[derive(Debug)]
pub struct Observer {
    /// Unique in the process: the `coap_subscription_t *` coap_persist(3)
    /// call-backs and coap_persist_observe_add() name the observer by.
    pub key: u64,
    pub session: Id,
    pub token: Vec<u8>,
    /// The registering request, replayed for each notification.
    pub request: Pdu,
    /// NON notifications sent since the last CON.
    pub non_sent: u8,
    /// Message id of the last notification, to match a RST.
    pub last_mid: Option<u16>,
}

/// Behind Observer::key; starts high so a key never looks like NULL or a
/// small integer.
static NEXT_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x1000);

impl Observer {
    pub fn new(session: Id, token: Vec<u8>, request: Pdu) -> Observer {
        // Keys step by 16 so they keep pointer alignment.
        let key = NEXT_KEY.fetch_add(16, std::sync::atomic::Ordering::Relaxed);
        Observer { key, session, token, request, non_sent: 0, last_mid: None }
    }
}

/// Registers (session, token) as an observer with `request`. A
/// re-registration (same session and token: the client refreshing its
/// interest) keeps its subscription and takes the new request, as libcoap
/// does; true when the observer is new (it then needs a session reference).
pub fn register(observers: &mut Vec<Observer>, session: Id, token: Vec<u8>, request: Pdu) -> bool {
    match observers.iter_mut().find(|o| o.session == session && o.token == token) {
        Some(o) => {
            o.request = request;
            false
        }
        None => {
            observers.push(Observer::new(session, token, request));
            true
        }
    }
}

/// What finishing a request does about observation.
#[derive(Debug)]
pub enum Observe {
    None,
    /// A GET with Observe 0: keep this copy of the request if the answer is 2.xx.
    Register(Pdu),
    /// A notification for the observer with this token.
    Notify(Vec<u8>),
    /// The delayed call of an async request (coap_async(3)).
    Async(super::slab::Id),
}

/// What the engine needs back after a request handler ran.
#[derive(Debug)]
pub struct Reply {
    pub session: Id,
    pub resource: Id,
    pub request_typ: crate::proto::msg::MsgType,
    pub request_code: u8,
    pub request_mid: u16,
    pub observe: Observe,
    /// The Block1 option of the last piece of a body the library put
    /// together: the final response acknowledges it (RFC 7959 §2.3).
    pub block1: Option<Vec<u8>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re_registration_keeps_the_subscription() {
        let id = crate::engine::slab::Slab::<u8>::default().insert(0);
        let req = Pdu::new(crate::proto::msg::MsgType::Con, 1, 1, 0);
        let mut list = Vec::new();
        assert!(register(&mut list, id, b"t".to_vec(), req.clone()));
        let key = list[0].key;
        assert!(!register(&mut list, id, b"t".to_vec(), req.clone()));
        assert_eq!((list.len(), list[0].key), (1, key));
        assert!(register(&mut list, id, b"u".to_vec(), req));
        assert_ne!(list[1].key, key);
    }

    #[test]
    fn sequence_wraps_at_24_bits() {
        assert_eq!(next_seq(0xFF_FFFF), 0);
        assert_eq!(next_seq(5), 6);
        assert_eq!(seq_bytes(0), Vec::<u8>::new());
        assert_eq!(seq_bytes(0x1234), vec![0x12, 0x34]);
        assert_eq!(seq_bytes(0xFF_FFFF), vec![0xff, 0xff, 0xff]);
    }
}
