//! The context of coap_context(3): endpoints, sessions, resources, timers
//! and the event loop. Application callbacks never run in here: what the
//! application must hear about is queued as an [`Event`], which the FFI
//! layer delivers once no borrow of the context is alive (so callbacks may
//! call back into any API function).
use super::clock;
use super::dedup::{Dedup, Seen};
use super::observe::{self, Observe, Observer, Reply};
use super::resource::{Found, Resources};
use super::session::{Pending, Role, Route, Session};
use super::slab::{Id, Slab};
use crate::proto::msg::{self, MsgType, TOKEN_DEFAULT_MAX};
use crate::proto::option::{self, OptCheck};
use crate::proto::pdu::Pdu;
use crate::proto::wire::{self, ParseError};
use crate::transport::poller::Poller;
use crate::transport::udp::Udp;
use std::cmp::Reverse;
use foldhash::HashMap;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use super::address::Address;
use super::block as blk;
use crate::proto::block::{self, Block};
use std::time::Duration;

#[path = "blockwise.rs"]
mod blockwise;
#[path = "qblock_client.rs"]
mod qblock_client;
#[cfg(test)]
#[path = "qblock_client_tests.rs"]
mod qblock_client_tests;
#[path = "qblock_server.rs"]
pub mod qblock_server;
#[path = "dtls_layer.rs"]
pub mod dtls;
#[path = "persist.rs"]
pub mod persist;
#[path = "multicast.rs"]
pub mod multicast;

/// Datagrams collected in a batch before they are sent anyway.
const OUTBOX_MAX: usize = 4 * crate::transport::udp::BATCH;
/// Where a request naming a proxy goes (Context::proxy_target).
enum ProxyTarget {
    Forward,
    Local(Pdu),
    Bad,
}

/// Requests a session remembers as waiting for an answer (NON requests
/// whose answers were lost would otherwise pile up for ever).
const MAX_OPEN_REQUESTS: usize = 1024;
/// Room kept in a /.well-known/core answer for its header, ETag,
/// Content-Format, Size2 and Block2 options and the payload marker.
const WELL_KNOWN_OVERHEAD: usize = 24;
/// The longest a datagram waits in the outbox while a pass goes on.
const FLUSH_AFTER: std::time::Duration = std::time::Duration::from_micros(200);
/// libcoap's default idle-session timeout, in seconds.
pub const DEFAULT_SESSION_TIMEOUT: u32 = 300;

/// Values of coap_event_t the engine raises.
pub mod event {
    pub const SERVER_SESSION_NEW: u32 = 16385;
    pub const SERVER_SESSION_DEL: u32 = 16386;
    pub const BAD_PACKET: u32 = 20481;
    pub const MSG_RETRANSMITTED: u32 = 20482;
    pub const XMIT_BLOCK_FAIL: u32 = 0x3002;
    pub const KEEPALIVE_FAILURE: u32 = 32769;
}

const NOTIFY_CON: u32 = 2;
const NOTIFY_NON_ALWAYS: u32 = 4;
/// COAP_RESOURCE_FLAGS_FORCE_SINGLE_BODY: bodies reach the handler whole.
const FORCE_SINGLE_BODY: u32 = 512;

/// A request whose answer comes later (coap_async(3)).
#[derive(Debug)]
pub struct AsyncEntry {
    pub session: Id,
    pub token: Vec<u8>,
    pub request: Pdu,
    /// When the handler runs again; None: only when triggered.
    pub due: Option<u64>,
    pub app_data: usize,
    /// The C handle's address (opaque token for the FFI layer).
    pub handle: usize,
    /// Bumped on every re-arm, so a stale timer entry is ignored.
    pub generation: u32,
    /// Its handler is running: free it when the handler returns.
    pub firing: bool,
}

/// Values of coap_nack_reason_t the engine raises.
pub mod nack {
    pub const TOO_MANY_RETRIES: u32 = 0;
    pub const NOT_DELIVERABLE: u32 = 1;
    pub const RST: u32 = 2;
}

#[derive(Clone, Debug)]
pub struct Config {
    pub max_idle_sessions: u32,
    /// Seconds; 0 means the default of 300.
    pub session_timeout: u32,
    pub keepalive: u32,
    pub csm_timeout: u32,
    pub max_handshake_sessions: u32,
    pub max_token_size: usize,
    pub block_mode: u32,
    pub csm_max_message_size: u32,
    /// coap_mcast_per_resource(): multicast handling follows resource flags.
    pub mcast_per_resource: bool,
    /// coap_register_option(): option numbers not to answer with 4.02.
    pub registered_options: Vec<u16>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_idle_sessions: 0,
            session_timeout: 0,
            keepalive: 0,
            csm_timeout: 0,
            max_handshake_sessions: 0,
            max_token_size: TOKEN_DEFAULT_MAX,
            block_mode: 0,
            // libcoap's largest receivable PDU (8 MiB + 256).
            csm_max_message_size: 8 * 1024 * 1024 + 256,
            mcast_per_resource: false,
            registered_options: Vec::new(),
        }
    }
}

/// What the application must be told, in order.
#[derive(Debug)]
pub enum Event {
    /// A request for a resource handler; the FFI layer calls the handler and
    /// then [`Context::finish_request`].
    /// `span`: the (offset, total) of a body the request's payload is part
    /// of (coap_get_data_large()).
    Request { session: Id, resource: Id, handler: usize, request: Pdu, response: Pdu, reply: Reply, span: Option<(usize, usize)> },
    Response { session: Id, sent: Option<Pdu>, received: Pdu, span: Option<(usize, usize)> },
    Nack { session: Id, sent: Option<Pdu>, reason: u32, mid: u16 },
    Ping { session: Id, received: Pdu },
    Pong { session: Id, received: Pdu },
    Session { session: Id, event: u32 },
}

impl Event {
    pub fn session(&self) -> Id {
        match self {
            Event::Request { session, .. }
            | Event::Response { session, .. }
            | Event::Nack { session, .. }
            | Event::Ping { session, .. }
            | Event::Pong { session, .. }
            | Event::Session { session, .. } => *session,
        }
    }
}

enum Owner {
    Endpoint(Id),
    Session(Id),
}

struct Socket {
    udp: Udp,
    owner: Owner,
}

#[derive(Debug)]
pub struct Endpoint {
    socket: Id,
    pub local: Address,
    pub mtu: usize,
    /// The C handle's address (opaque token for the FFI layer).
    pub handle: usize,
    /// Its server sessions by peer address.
    peers: HashMap<Address, Id>,
    /// COAP_PROTO_DTLS: every datagram is a DTLS record (see dtls_layer.rs).
    pub dtls: bool,
}

/// Why a message could not be sent.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    NoSession,
    Encode,
    Io(io::ErrorKind),
}

/// Result of releasing a session reference.
#[derive(Debug, PartialEq, Eq)]
pub enum Released {
    /// Still referenced, or idle in its endpoint's pool.
    Kept,
    /// Freed: the FFI layer releases this handle.
    Freed(usize),
    /// It was not referenced: nothing done.
    NotReferenced,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    Retransmit(u16),
    Reap,
    Keepalive,
    Async(u32),
    /// DTLS retransmission / handshake deadline of a session.
    Dtls,
    /// A response to a multicast request, sent after its leisure.
    McastDelay(u32),
    /// A deadline of one of the session's client Q-Block transfers.
    QBlockClient,
    /// Q-Block1 4.08s due and idle Q-Block state (qblock_server.rs).
    QBlockServer,
}

pub struct Context {
    pub cfg: Config,
    poller: Poller,
    sockets: Slab<Socket>,
    endpoints: Slab<Endpoint>,
    sessions: Slab<Session>,
    pub resources: Resources,
    dedup: Dedup,
    asyncs: Slab<AsyncEntry>,
    /// Async handles freed by the engine, for the FFI layer to release.
    freed_asyncs: Vec<usize>,
    events: VecDeque<Event>,
    timers: BinaryHeap<Reverse<(u64, usize, TimerKind)>>,
    /// Receive buffers, taken out while a batch is processed.
    rx: Option<Box<crate::transport::udp::RecvBatch>>,
    /// Datagrams held back while batching (see [`Context::begin_batch`]).
    outbox: Vec<(Id, Vec<u8>, Option<Address>)>,
    /// When the current batch began: the pass's start or the last flush.
    batch_since: Option<std::time::Instant>,
    batching: bool,
    ready: Vec<usize>,
    /// Sessions freed by the engine itself (idle reaping) whose C handles
    /// the FFI layer must release.
    freed: Vec<usize>,
    /// Behind the ETags of large responses the application gave none.
    etag_counter: u64,
    /// When the epoll fd's timer fires (absolute ms), if armed.
    armed_due: Option<u64>,
    /// coap_free_context() is deleting everything.
    pub closing: bool,
    /// coap_persist_stop(): observations are kept for the next run, so
    /// deleting resources at coap_free_context() tells observers nothing.
    pub observe_no_clear: bool,
    /// DTLS server set-up and helpers (dtls_layer.rs).
    dtls: dtls::Layer,
    /// coap_persist(3) changes for the FFI layer (persist.rs).
    pub persist: persist::Journal,
    /// Multicast and No-Response state (multicast.rs).
    mcast: multicast::State,
}

/// coap_debug_set_packet_loss(): process-wide, as in libcoap.
struct Loss {
    per_mille: u32,
    /// 1-based numbers of sent datagrams to drop.
    ranges: Vec<(u64, u64)>,
    sent: u64,
}

static LOSS: std::sync::Mutex<Loss> = std::sync::Mutex::new(Loss { per_mille: 0, ranges: Vec::new(), sent: 0 });

/// Drops `per_mille` of all sent datagrams from now on.
pub fn set_packet_loss(per_mille: u32) {
    let mut l = LOSS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    *l = Loss { per_mille: per_mille.min(1000), ranges: Vec::new(), sent: 0 };
}

/// Drops the sent datagrams whose 1-based numbers fall in `ranges`.
pub fn set_packet_loss_list(ranges: Vec<(u64, u64)>) {
    let mut l = LOSS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    *l = Loss { per_mille: 0, ranges, sent: 0 };
}

/// Whether the next datagram is to be dropped (coap_debug_send_packet()
/// asks too).
pub fn lose_next() -> bool {
    let mut l = LOSS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if l.per_mille == 0 && l.ranges.is_empty() {
        return false;
    }
    l.sent += 1;
    let n = l.sent;
    if l.ranges.iter().any(|&(a, b)| (a..=b).contains(&n)) {
        return true;
    }
    if l.per_mille == 0 {
        return false;
    }
    u32::from(super::prng::jitter()) % 1000 < l.per_mille
}

/// Every PDU sent or received, at debug level, as libcoap logs them: the
/// target tells the log sink these are coap_show_pdu() lines, which go
/// out unprefixed unless coap_set_show_pdu_output(0) was called.
fn show(pdu: &Pdu) {
    if log::log_enabled!(target: SHOW_PDU_TARGET, log::Level::Debug) {
        for line in crate::proto::show::pdu_lines(pdu) {
            log::debug!(target: SHOW_PDU_TARGET, "{}", String::from_utf8_lossy(&line).trim_end());
        }
    }
}

/// The `log` target of the PDU dumps above.
pub const SHOW_PDU_TARGET: &str = "coap::show_pdu";

pub(super) fn now() -> u64 {
    clock::ticks()
}

fn random_seed() -> [u8; 10] {
    let mut seed = [0u8; 10];
    if !super::prng::fill(&mut seed) {
        log::warn!("random source failed; message ids and tokens are predictable");
    }
    seed
}

impl Context {
    pub fn new() -> io::Result<Context> {
        Ok(Context {
            cfg: Config::default(),
            poller: Poller::new()?,
            sockets: Slab::default(),
            endpoints: Slab::default(),
            sessions: Slab::default(),
            resources: Resources::default(),
            dedup: Dedup::default(),
            asyncs: Slab::default(),
            freed_asyncs: Vec::new(),
            events: VecDeque::new(),
            timers: BinaryHeap::new(),
            rx: None,
            outbox: Vec::new(),
            batch_since: None,
            batching: false,
            ready: Vec::with_capacity(64),
            freed: Vec::new(),
            etag_counter: 0,
            armed_due: None,
            closing: false,
            observe_no_clear: false,
            dtls: dtls::Layer::default(),
            persist: persist::Journal::default(),
            mcast: multicast::State::default(),
        })
    }

    /// The epoll fd the application may wait on.
    pub fn fd(&self) -> i32 {
        self.poller.fd()
    }

    fn session_timeout_ms(&self) -> u64 {
        let secs = if self.cfg.session_timeout == 0 { DEFAULT_SESSION_TIMEOUT } else { self.cfg.session_timeout };
        u64::from(secs) * 1000
    }

    // ---------------------------------------------------------- endpoints

    pub fn new_endpoint(&mut self, local: Address) -> io::Result<Id> {
        let udp = Udp::bind(&local)?;
        let local = udp.local_addr()?;
        let sock = self.sockets.insert(Socket { udp, owner: Owner::Endpoint(Id::placeholder()) });
        let ep = self.endpoints.insert(Endpoint { socket: sock, local, mtu: super::session::DEFAULT_MTU, handle: 0, peers: HashMap::default(), dtls: false });
        let registered = match self.sockets.get_mut(sock) {
            Some(s) => {
                s.owner = Owner::Endpoint(ep);
                self.poller.register(&mut s.udp, sock.index())
            }
            None => Ok(()),
        };
        if let Err(e) = registered {
            self.sockets.remove(sock);
            self.endpoints.remove(ep);
            return Err(e);
        }
        Ok(ep)
    }

    /// Joins `group` on every UDP endpoint of its address family; true if
    /// at least one joined.
    pub fn join_multicast(&mut self, group: std::net::IpAddr, ifindex: u32) -> bool {
        let mut joined = false;
        for (_, ep) in self.endpoints.iter() {
            let family_matches = match ep.local {
                Address::V4(_) => group.is_ipv4(),
                Address::V6(_) => group.is_ipv6(),
                Address::Unix(_) => false,
            };
            if !family_matches {
                continue;
            }
            if let Some(s) = self.sockets.get(ep.socket) {
                match s.udp.join_multicast(group, ifindex) {
                    Ok(()) => joined = true,
                    Err(e) => log::warn!("joining {group} on {}: {e}", ep.local),
                }
            }
        }
        joined
    }

    pub fn endpoint(&self, id: Id) -> Option<&Endpoint> {
        self.endpoints.get(id)
    }

    pub fn endpoint_mut(&mut self, id: Id) -> Option<&mut Endpoint> {
        self.endpoints.get_mut(id)
    }

    pub fn endpoint_ids(&self) -> Vec<Id> {
        self.endpoints.ids()
    }

    /// Frees an endpoint and its server sessions; returns the session
    /// handles the FFI layer must release.
    pub fn free_endpoint(&mut self, id: Id) -> Vec<usize> {
        let Some(ep) = self.endpoints.remove(id) else { return Vec::new() };
        self.flush_before_close(ep.socket);
        if let Some(mut s) = self.sockets.remove(ep.socket) {
            self.poller.deregister(&mut s.udp);
        }
        let doomed: Vec<Id> =
            self.sessions.iter().filter(|(_, s)| s.route == Route::Endpoint(id)).map(|(sid, _)| sid).collect();
        doomed.into_iter().filter_map(|sid| self.drop_session(sid)).collect()
    }

    // ----------------------------------------------------------- sessions

    /// A session's local address: its own socket's, or its endpoint's.
    pub fn local_addr(&self, id: Id) -> Option<Address> {
        let s = self.sessions.get(id)?;
        match (&s.own_local, s.route) {
            (Some(a), _) => Some(**a),
            (None, Route::Endpoint(ep)) => self.endpoints.get(ep).map(|e| e.local),
            (None, Route::Socket(_)) => None,
        }
    }

    pub fn session(&self, id: Id) -> Option<&Session> {
        self.sessions.get(id)
    }

    pub fn session_mut(&mut self, id: Id) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    pub fn session_ids(&self) -> Vec<Id> {
        self.sessions.ids()
    }

    /// A client session over its own socket, connected to `server`.
    pub fn new_client_session(&mut self, local: Option<Address>, server: Address) -> io::Result<Id> {
        let udp = Udp::connect(local.as_ref(), &server)?;
        let local = udp.local_addr()?;
        let placeholder = Id::placeholder();
        let sid = self.sessions.insert(Session::new(Role::Client, Route::Socket(placeholder), Some(local), server, now(), random_seed()));
        let sock = self.sockets.insert(Socket { udp, owner: Owner::Session(sid) });
        let registered = match self.sockets.get_mut(sock) {
            Some(s) => self.poller.register(&mut s.udp, sock.index()),
            None => Ok(()),
        };
        if let Err(e) = registered {
            self.sockets.remove(sock);
            self.sessions.remove(sid);
            return Err(e);
        }
        if let Some(s) = self.sessions.get_mut(sid) {
            s.route = Route::Socket(sock);
        }
        self.schedule_keepalive(sid);
        Ok(sid)
    }

    pub fn reference(&mut self, id: Id) -> bool {
        match self.sessions.get_mut(id) {
            Some(s) => {
                s.refcount = s.refcount.saturating_add(1);
                true
            }
            None => false,
        }
    }

    /// coap_session_release(3) semantics.
    pub fn release(&mut self, id: Id) -> Released {
        let Some(s) = self.sessions.get_mut(id) else { return Released::NotReferenced };
        if s.refcount == 0 {
            return Released::NotReferenced;
        }
        s.refcount -= 1;
        if s.refcount > 0 {
            return Released::Kept;
        }
        match s.role {
            Role::Client => {
                self.cancel_all_observations(id);
                self.drop_session(id).map_or(Released::Kept, Released::Freed)
            }
            Role::Server => {
                s.last_activity = now();
                self.schedule_reap(id);
                Released::Kept
            }
        }
    }

    // ------------------------------------------------------------- async

    /// coap_register_async(): `delay` ms from now (0: only when triggered).
    pub fn register_async(&mut self, session: Id, request: &Pdu, delay: u64) -> Option<Id> {
        self.sessions.get(session)?;
        let token = request.token().to_vec();
        if self.find_async(session, &token).is_some() {
            return None;
        }
        let id = self.asyncs.insert(AsyncEntry {
            session,
            token,
            request: request.clone(),
            due: None,
            app_data: 0,
            handle: 0,
            generation: 0,
            firing: false,
        });
        // It keeps its session alive until answered or freed.
        self.reference(session);
        self.set_async_delay(id, delay);
        Some(id)
    }

    pub fn find_async(&self, session: Id, token: &[u8]) -> Option<Id> {
        self.asyncs.iter().find(|(_, a)| a.session == session && a.token == token).map(|(id, _)| id)
    }

    pub fn async_entry(&mut self, id: Id) -> Option<&mut AsyncEntry> {
        self.asyncs.get_mut(id)
    }

    /// coap_async_set_delay() / coap_async_trigger() (delay 1 ms).
    pub fn set_async_delay(&mut self, id: Id, delay: u64) {
        let Some(a) = self.asyncs.get_mut(id) else { return };
        a.generation = a.generation.wrapping_add(1);
        a.due = (delay > 0).then(|| now() + delay);
        if let (Some(due), generation) = (a.due, a.generation) {
            self.push_timer(due, id.index(), TimerKind::Async(generation));
        }
    }

    /// coap_free_async(); returns the handle to release.
    pub fn free_async(&mut self, id: Id) -> Option<usize> {
        let a = self.asyncs.get_mut(id)?;
        if a.firing {
            // Inside its own handler: freed when the handler returns.
            return None;
        }
        let a = self.asyncs.remove(id)?;
        self.release_library_ref(a.session);
        Some(a.handle)
    }

    fn check_async(&mut self, index: usize, generation: u32, now: u64) {
        let Some(id) = self.asyncs.id_at(index) else { return };
        let Some(a) = self.asyncs.get_mut(id) else { return };
        if a.generation != generation || a.due.map_or(true, |d| d > now) || a.firing {
            return;
        }
        a.due = None;
        a.firing = true;
        let (session, request) = (a.session, a.request.clone());
        let path = request_path(&request);
        let handler = match self.resources.find(&path) {
            Found::Resource(rid) => self.resources.get(rid).and_then(|r| r.handler(request.code).map(|h| (rid, h))),
            _ => self.resources.unknown.and_then(|rid| self.resources.get(rid).and_then(|r| r.handler(request.code).map(|h| (rid, h)))),
        };
        let Some((rid, handler)) = handler else {
            log::warn!("async request: its resource is gone");
            if let Some(a) = self.asyncs.get_mut(id) {
                a.firing = false;
            }
            self.free_async(id);
            return;
        };
        // A separate response: CON for a CON request, NON otherwise.
        let Some(s) = self.sessions.get_mut(session) else { return };
        let typ = if request.typ == MsgType::Con { MsgType::Con } else { MsgType::Non };
        let mut response = Pdu::new(typ, msg::EMPTY, s.new_mid(), 0);
        let _ = response.add_token(request.token());
        let reply = Reply {
            session,
            resource: rid,
            request_typ: MsgType::Non,
            request_code: request.code,
            request_mid: request.mid,
            observe: Observe::Async(id),
            block1: None,
        };
        self.push_event(Event::Request { session, resource: rid, handler, request, response, reply, span: None });
    }

    /// coap_cancel_observe(): a GET with Observe 1 and the observing
    /// request's token and options, sent as `typ`.
    pub fn cancel_observe(&mut self, id: Id, token: &[u8], typ: MsgType) -> bool {
        let Some(s) = self.sessions.get_mut(id) else { return false };
        let Some(i) = s.flight().and_then(|f| f.observing.iter().position(|(t, _)| t.as_slice() == token)) else {
            return false;
        };
        let (_, original) = s.flight_mut().observing.remove(i);
        let mid = s.new_mid();
        let mut cancel = Pdu::new(typ, original.code, mid, 0);
        if cancel.add_token(token).is_err() {
            return false;
        }
        for o in original.options().map_while(Result::ok) {
            let value: &[u8] = if o.number == option::OBSERVE { &[1] } else { o.value };
            if cancel.add_option(o.number, value).is_err() {
                return false;
            }
        }
        // As an application's request: a NON cancel answered block-wise
        // needs its copy noted to ask for the further blocks.
        self.plain_send(id, cancel, None).is_ok()
    }

    /// On closing a client session, cancel what it observes (unless asked
    /// not to); nothing waits for the answers.
    fn cancel_all_observations(&mut self, id: Id) {
        let tokens: Vec<Vec<u8>> = match self.sessions.get(id) {
            Some(s) if !s.no_observe_cancel => s.flight().map_or(Vec::new(), |f| f.observing.iter().map(|(t, _)| t.clone()).collect()),
            _ => return,
        };
        for t in tokens {
            self.cancel_observe(id, &t, MsgType::Non);
        }
    }

    /// Turns a server session into a client one (call-home); takes a reference.
    pub fn set_type_client(&mut self, id: Id) -> bool {
        let Some(s) = self.sessions.get_mut(id) else { return false };
        if s.role != Role::Server {
            return false;
        }
        s.role = Role::Client;
        s.refcount = s.refcount.saturating_add(1);
        true
    }

    /// Removes a session now, whatever its count; returns its handle.
    fn drop_session(&mut self, id: Id) -> Option<usize> {
        self.dtls_close(id);
        self.persist_observers_gone(None, id, None);
        for (_, r) in self.resources.iter_mut() {
            r.observers.retain(|o| o.session != id);
        }
        let doomed: Vec<Id> = self.asyncs.iter().filter(|(_, a)| a.session == id).map(|(aid, _)| aid).collect();
        for aid in doomed {
            if let Some(a) = self.asyncs.remove(aid) {
                self.freed_asyncs.push(a.handle);
            }
        }
        let s = self.sessions.remove(id)?;
        match s.route {
            Route::Socket(sock) => {
                self.flush_before_close(sock);
                if let Some(mut sk) = self.sockets.remove(sock) {
                    self.poller.deregister(&mut sk.udp);
                }
            }
            Route::Endpoint(ep) => {
                if let Some(e) = self.endpoints.get_mut(ep) {
                    e.peers.remove(&s.remote);
                }
            }
        }
        Some(s.handle)
    }

    /// Drops queued traffic of a session (coap_session_disconnected); the
    /// NACKs for it are queued as events.
    pub fn disconnect(&mut self, id: Id, reason: u32) {
        let Some(s) = self.sessions.get_mut(id) else { return };
        let f = s.flight_mut();
        let pending: Vec<Pending> = f.pending.drain(..).collect();
        let waiting: Vec<(MsgType, Pdu)> = f.waiting.drain(..).collect();
        f.open_requests.clear();
        for p in pending {
            self.push_event(Event::Nack { session: id, sent: Some(p.pdu), reason, mid: p.mid });
        }
        for (_, pdu) in waiting {
            let mid = pdu.mid;
            self.push_event(Event::Nack { session: id, sent: Some(pdu), reason, mid });
        }
    }

    /// Async handles the engine freed since the last call.
    pub fn take_freed_asyncs(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.freed_asyncs)
    }

    /// Handles of sessions the engine freed on its own since the last call.
    pub fn take_freed(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.freed)
    }

    /// Queues the idle check of a session, once: its timer re-checks the
    /// last activity when it fires.
    fn schedule_reap(&mut self, id: Id) {
        let timeout = self.session_timeout_ms();
        let Some(s) = self.sessions.get_mut(id) else { return };
        if s.reap_armed {
            return;
        }
        s.reap_armed = true;
        let due = s.last_activity + timeout;
        self.push_timer(due, id.index(), TimerKind::Reap);
    }

    fn server_session(&mut self, ep: Id, remote: Address) -> Id {
        if let Some(&id) = self.endpoints.get(ep).and_then(|e| e.peers.get(&remote)) {
            return id;
        }
        self.enforce_idle_limit();
        let mut s = Session::new(Role::Server, Route::Endpoint(ep), None, remote, now(), random_seed());
        if let Some(e) = self.endpoints.get(ep) {
            s.mtu = e.mtu;
        }
        let id = self.sessions.insert(s);
        if let Some(e) = self.endpoints.get_mut(ep) {
            e.peers.insert(remote, id);
        }
        self.schedule_reap(id);
        self.schedule_keepalive(id);
        self.push_event(Event::Session { session: id, event: event::SERVER_SESSION_NEW });
        id
    }

    /// With max_idle_sessions set, removes the least recently used idle
    /// server session once the limit is reached.
    fn enforce_idle_limit(&mut self) {
        let max = self.cfg.max_idle_sessions as usize;
        if max == 0 {
            return;
        }
        let idle: Vec<(u64, Id)> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.role == Role::Server && s.refcount == 0 && s.is_quiet())
            .map(|(id, s)| (s.last_activity, id))
            .collect();
        if idle.len() < max {
            return;
        }
        if let Some(&(_, oldest)) = idle.iter().min_by_key(|(t, _)| *t) {
            self.reap(oldest);
        }
    }

    fn reap(&mut self, id: Id) {
        self.push_event(Event::Session { session: id, event: event::SERVER_SESSION_DEL });
        // Freed after the event is delivered (see finish_event); until then
        // its handler sees it as libcoap's does, still established.
        if let Some(s) = self.sessions.get_mut(id) {
            s.reaped = true;
        }
    }

    // ------------------------------------------------------------ events

    /// Queues an event; the session is referenced until it is delivered.
    fn push_event(&mut self, ev: Event) {
        self.reference(ev.session());
        self.events.push_back(ev);
    }

    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Drops the reference an event held; frees sessions that were reaped
    /// or released meanwhile. Returns a handle to release, if any.
    pub fn finish_event(&mut self, session: Id) -> Option<usize> {
        match self.release(session) {
            Released::Freed(h) => Some(h),
            _ => {
                let gone = self.sessions.get(session).is_some_and(|s| (!s.established || s.reaped) && s.refcount == 0);
                if gone {
                    self.drop_session(session)
                } else {
                    None
                }
            }
        }
    }

    // ------------------------------------------------------------ sending

    /// Sends one CoAP datagram (through DTLS on a DTLS session).
    fn transmit(&mut self, route: Route, remote: Address, data: &[u8]) -> io::Result<()> {
        if let Some(r) = self.dtls_transmit(route, remote, data) {
            return r;
        }
        self.transmit_raw(route, remote, data)
    }

    /// Sends one datagram as is.
    fn transmit_raw(&mut self, route: Route, remote: Address, data: &[u8]) -> io::Result<()> {
        if lose_next() {
            log::debug!("packet loss: dropping a datagram of {} bytes", data.len());
            return Ok(());
        }
        if self.batching {
            let (sock, to) = match route {
                Route::Socket(sock) => (Some(sock), None),
                Route::Endpoint(ep) => (self.endpoints.get(ep).map(|e| e.socket), Some(remote)),
            };
            let sock = sock.ok_or(io::ErrorKind::NotConnected)?;
            self.outbox.push((sock, data.to_vec(), to));
            if self.outbox.len() >= OUTBOX_MAX {
                // A burst: send now, so neither memory nor latency grows with it.
                self.end_batch();
                self.begin_batch();
            }
            return Ok(());
        }
        let result = match route {
            Route::Socket(sock) => match self.sockets.get(sock) {
                Some(s) => s.udp.send(data),
                None => return Err(io::ErrorKind::NotConnected.into()),
            },
            Route::Endpoint(ep) => {
                let sock = self.endpoints.get(ep).map(|e| e.socket);
                match sock.and_then(|s| self.sockets.get(s)) {
                    Some(s) => s.udp.send_to(data, &remote),
                    None => return Err(io::ErrorKind::NotConnected.into()),
                }
            }
        };
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                log::warn!("send buffer full: datagram of {} bytes dropped", data.len());
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// From here until [`Context::end_batch`], datagrams are collected and
    /// then sent with one sendmmsg(2) per socket: an I/O pass that answers
    /// many requests makes a few system calls instead of one per answer.
    pub fn begin_batch(&mut self) {
        self.batching = true;
        self.batch_since = Some(std::time::Instant::now());
    }

    /// A socket about to close takes its collected datagrams out first
    /// (a close_notify, the last answers).
    fn flush_before_close(&mut self, sock: Id) {
        if self.outbox.iter().any(|(s, _, _)| *s == sock) {
            let batching = self.batching;
            self.end_batch();
            if batching {
                self.begin_batch();
            }
        }
    }

    /// Between two pieces of work in a pass: sends what was collected
    /// when the batch has run for FLUSH_AFTER. A pass that does expensive
    /// work per datagram (DTLS handshakes, slow handlers) must not hold
    /// every answer to its end, or its peers sit idle while it runs; cheap
    /// work still leaves in batches of FLUSH_AFTER's worth.
    pub fn flush_if_stale(&mut self) {
        if !self.batching || self.outbox.is_empty() {
            return;
        }
        if self.batch_since.is_some_and(|t| t.elapsed() >= FLUSH_AFTER) {
            self.end_batch();
            self.begin_batch();
        }
    }

    /// Sends what was collected since [`Context::begin_batch`].
    pub fn end_batch(&mut self) {
        self.batching = false;
        self.batch_since = None;
        let mut outbox = std::mem::take(&mut self.outbox);
        let mut rest = outbox.as_mut_slice();
        while let Some(((sock, _, _), _)) = rest.split_first() {
            let sock = *sock;
            let run = rest.iter().take_while(|(s, _, _)| *s == sock).count();
            let (group, tail) = rest.split_at_mut(run);
            let items: Vec<(Vec<u8>, Option<Address>)> = group.iter_mut().map(|(_, d, to)| (std::mem::take(d), *to)).collect();
            match self.sockets.get(sock).map(|s| s.udp.send_many(&items)) {
                Some(Ok(n)) if n < items.len() => log::warn!("send buffer full: {} datagram(s) dropped", items.len() - n),
                Some(Err(e)) => log::warn!("sending {} datagram(s) failed: {e}", items.len()),
                _ => {}
            }
            rest = tail;
        }
        outbox.clear();
        if self.outbox.is_empty() && outbox.capacity() <= OUTBOX_MAX {
            self.outbox = outbox;
        }
    }

    /// Sends a PDU on a session: CON messages are retransmitted until
    /// acknowledged, and held back while NSTART are in flight.
    pub fn send(&mut self, id: Id, pdu: Pdu) -> Result<u16, SendError> {
        let now = now();
        let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
        s.last_activity = now;
        let mid = pdu.mid;
        if msg::code_class(pdu.code) == 0 && pdu.code != 0 {
            let registers = pdu.option(option::OBSERVE).is_some_and(|o| o.value.iter().all(|&b| b == 0));
            let f = s.flight_mut();
            if !f.open_requests.iter().any(|t| t == pdu.token()) {
                if f.open_requests.len() >= MAX_OPEN_REQUESTS {
                    // Answers that never came: forget the oldest (a late
                    // one still reaches the application, as unexpected).
                    f.open_requests.remove(0);
                }
                f.open_requests.push(pdu.token().to_vec());
            }
            if registers {
                f.observing.retain(|(t, _)| t.as_slice() != pdu.token());
                f.observing.push((pdu.token().to_vec(), pdu.clone()));
            }
        }
        if pdu.typ == MsgType::Con && s.in_flight() >= usize::from(s.tx().nstart.max(1)) {
            s.flight_mut().waiting.push_back((pdu.typ, pdu));
            return Ok(mid);
        }
        if self.dtls_handshaking(id) {
            // Sent (and timed) once the handshake is done: a CON must not
            // count retransmissions of a message that has not gone out.
            if let Some(s) = self.sessions.get_mut(id) {
                s.flight_mut().waiting.push_back((pdu.typ, pdu));
            }
            return Ok(mid);
        }
        self.send_now(id, pdu, now)?;
        Ok(mid)
    }

    fn send_now(&mut self, id: Id, pdu: Pdu, now: u64) -> Result<(), SendError> {
        show(&pdu);
        let wire = wire::to_vec(&pdu, msg::Framing::Udp).map_err(|_| SendError::Encode)?;
        let s = self.sessions.get(id).ok_or(SendError::NoSession)?;
        let (route, remote) = (s.route, s.remote);
        self.transmit(route, remote, &wire).map_err(|e| SendError::Io(e.kind()))?;
        if pdu.typ == MsgType::Con {
            let r = super::prng::jitter();
            let s = self.sessions.get_mut(id).ok_or(SendError::NoSession)?;
            let first = s.tx().first_timeout(r);
            let due = now + first;
            let mid = pdu.mid;
            s.flight_mut().pending.push(Pending {
                mid,
                token: pdu.token().to_vec(),
                pdu,
                wire,
                attempt: 0,
                first_timeout: first,
                due,
                keepalive: false,
            });
            self.push_timer(due, id.index(), TimerKind::Retransmit(mid));
        }
        Ok(())
    }

    /// Sends queued messages NSTART now allows.
    fn release_waiting(&mut self, id: Id) {
        if self.dtls_handshaking(id) {
            return; // dtls_connected() releases them
        }
        loop {
            let Some(s) = self.sessions.get_mut(id) else { return };
            if s.in_flight() >= usize::from(s.tx().nstart.max(1)) {
                return;
            }
            let Some((_, pdu)) = s.flight_mut().waiting.pop_front() else { return };
            let mid = pdu.mid;
            if let Err(e) = self.send_now(id, pdu, now()) {
                log::warn!("sending a queued message failed: {e:?}");
                self.push_event(Event::Nack { session: id, sent: None, reason: nack::NOT_DELIVERABLE, mid });
            }
        }
    }

    /// Sends an empty ACK or RST for a received message id.
    fn send_empty(&mut self, id: Id, typ: MsgType, mid: u16) {
        let pdu = Pdu::new(typ, msg::EMPTY, mid, 0);
        let _ = self.send_now(id, pdu, now());
    }

    /// Completes a request after its handler ran: sends the response, or an
    /// empty ACK when the handler left the code at 0.00 on a CON request.
    /// Completes a request a handler answered, observation included.
    pub fn finish_reply(&mut self, reply: Reply, mut response: Pdu) {
        let Reply { session: id, resource, request_typ, request_code, request_mid, observe, block1 } = reply;
        let ok = msg::code_class(response.code) == 2;
        if let Some(b1) = block1.filter(|_| ok) {
            // A block that is not the last gets 2.31 Continue whatever 2.xx
            // the handler chose (RFC 7959 2.3), as libcoap makes it.
            if b1.last().is_some_and(|b| b & 0x08 != 0) {
                response.code = msg::CONTINUE;
            }
            if response.option(option::BLOCK1).is_none() {
                let _ = response.add_option_before_payload(option::BLOCK1, &b1);
            }
        }
        if matches!(observe, Observe::Register(_) | Observe::Notify(_)) {
            // Set again below with the value that goes, or not at all.
            response.remove_option(option::OBSERVE);
        }
        match observe {
            Observe::None => {}
            Observe::Register(request) => {
                let token = request.token().to_vec();
                let seq = match self.resources.get_mut(resource) {
                    Some(r) if ok && r.observable => {
                        let exists = r.observers.iter().any(|o| o.session == id && o.token == token);
                        if !exists && r.observers.iter().filter(|o| o.session == id).count() >= observe::MAX_PER_SESSION {
                            log::warn!("observe: session holds {} observations of this resource; not registering more", observe::MAX_PER_SESSION);
                            None
                        } else {
                            let fresh = observe::register(&mut r.observers, id, token.clone(), request);
                            Some((r.obs_seq, fresh))
                        }
                    }
                    _ => None,
                };
                if let Some((seq, fresh)) = seq {
                    let _ = response.add_option_before_payload(option::OBSERVE, &observe::seq_bytes(seq));
                    if fresh {
                        // The observer keeps its session alive (not reaped).
                        self.reference(id);
                        self.persist_observer_added(resource, id, &token);
                    }
                }
            }
            Observe::Async(aid) => {
                if let Some(a) = self.asyncs.get_mut(aid) {
                    a.firing = false;
                }
                // Answered: the async is done, as in libcoap.
                if response.code != msg::EMPTY {
                    if let Some(h) = self.free_async(aid) {
                        self.freed_asyncs.push(h);
                    }
                }
            }
            Observe::Notify(token) => {
                if ok {
                    let seq = self.resources.get(resource).map_or(0, |r| r.obs_seq);
                    let _ = response.add_option_before_payload(option::OBSERVE, &observe::seq_bytes(seq));
                    let mid = response.mid;
                    if let Some(o) = self.observer_mut(resource, id, &token) {
                        o.last_mid = Some(mid);
                    }
                } else {
                    // RFC 7641 §3.2: an error response ends the observation.
                    self.remove_observer(resource, id, &token);
                }
                if response.code == msg::EMPTY {
                    return;
                }
                let head = if ok { qblock2_head(&response) } else { None };
                let typ = response.typ;
                if let Err(e) = self.send_now(id, response, now()) {
                    log::debug!("notification not sent: {e:?}");
                }
                // A large notification goes on as a large response does;
                // a stale follow-up must not outlive it either way.
                match head {
                    Some(head) => self.qblock2_after_reply(id, typ, &head),
                    None => self.qblock2_forget_follow(id),
                }
                return;
            }
        }
        let q2 = response.option(option::Q_BLOCK2).is_some();
        let head = if q2 { qblock2_head(&response) } else { None };
        self.finish_request(id, request_typ, request_code, request_mid, response);
        match head {
            Some(head) => self.qblock2_after_reply(id, request_typ, &head),
            None => self.qblock2_forget_follow(id),
        }
    }

    /// coap_delete_resource(): observers hear 4.04 (RFC 7641 §3.2, as
    /// libcoap sends) and the references they held on sessions go.
    pub fn delete_resource(&mut self, rid: Id) -> Option<super::resource::Resource> {
        let mut r = self.resources.remove(rid)?;
        for o in std::mem::take(&mut r.observers) {
            // A context being freed after coap_persist_stop() says nothing:
            // the observations outlive this process (coap_persist(3)).
            let silent = self.closing && self.observe_no_clear;
            if let Some(s) = self.sessions.get_mut(o.session).filter(|_| !silent) {
                let typ = if r.flags & NOTIFY_CON != 0 { MsgType::Con } else { MsgType::Non };
                let mut gone = Pdu::new(typ, msg::NOT_FOUND, s.new_mid(), 0);
                if gone.add_token(&o.token).is_ok() {
                    if let Err(e) = self.send_now(o.session, gone, now()) {
                        log::debug!("4.04 to an observer of a deleted resource not sent: {e:?}");
                    }
                }
            }
            self.release_library_ref(o.session);
        }
        Some(r)
    }

    fn observer_mut(&mut self, resource: Id, session: Id, token: &[u8]) -> Option<&mut Observer> {
        self.resources.get_mut(resource)?.observers.iter_mut().find(|o| o.session == session && o.token == token)
    }

    fn remove_observer(&mut self, resource: Id, session: Id, token: &[u8]) {
        self.persist_observers_gone(Some(resource), session, Some(token));
        let removed = self.resources.get_mut(resource).map_or(0, |r| {
            let before = r.observers.len();
            r.observers.retain(|o| !(o.session == session && o.token == token));
            before - r.observers.len()
        });
        for _ in 0..removed {
            self.release_library_ref(session);
        }
    }

    /// Drops a reference the library held on a session (an observer's, an
    /// async request's).
    fn release_library_ref(&mut self, session: Id) {
        if let Released::Freed(h) = self.release(session) {
            self.freed.push(h);
        }
    }

    /// Removes every observation held by a session (RST, failure, close).
    fn remove_observers_of(&mut self, session: Id, only_token: Option<&[u8]>) {
        self.persist_observers_gone(None, session, only_token);
        let mut removed = 0;
        for (_, r) in self.resources.iter_mut() {
            let before = r.observers.len();
            r.observers.retain(|o| !(o.session == session && only_token.map_or(true, |t| o.token == t)));
            removed += before - r.observers.len();
        }
        for _ in 0..removed {
            self.release_library_ref(session);
        }
    }

    /// What a request does about observation: register (GET/FETCH with
    /// Observe 0 on an observable resource) or deregister (Observe 1).
    fn observe_request(&mut self, id: Id, rid: Id, req: &Pdu) -> Observe {
        if req.code != msg::GET && req.code != msg::FETCH {
            return Observe::None;
        }
        let Some(o) = req.option(option::OBSERVE) else { return Observe::None };
        let value = o.value.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b));
        match value {
            0 if self.resources.get(rid).is_some_and(|r| r.observable) => Observe::Register(req.clone()),
            1 => {
                let token = req.token().to_vec();
                self.remove_observer(rid, id, &token);
                Observe::None
            }
            _ => Observe::None,
        }
    }

    /// coap_resource_notify_observers(): queues a notification to each
    /// observer of every resource marked dirty.
    fn run_notifications(&mut self) {
        let dirty: Vec<Id> = self.resources.iter_mut().filter(|(_, r)| r.dirty).map(|(id, _)| id).collect();
        for rid in dirty {
            let Some(r) = self.resources.get_mut(rid) else { continue };
            r.dirty = false;
            if r.observers.is_empty() {
                continue;
            }
            r.obs_seq = observe::next_seq(r.obs_seq);
            self.persist_value(rid);
            let Some(r) = self.resources.get_mut(rid) else { continue };
            let flags = r.flags;
            let handlers = r.handlers;
            let mut jobs = Vec::with_capacity(r.observers.len());
            for o in r.observers.iter_mut() {
                let con = if flags & NOTIFY_CON != 0 {
                    true
                } else if flags & NOTIFY_NON_ALWAYS != 0 {
                    false
                } else {
                    o.non_sent >= observe::NON_BEFORE_CON
                };
                o.non_sent = if con { 0 } else { o.non_sent + 1 };
                let handler = usize::from(o.request.code).checked_sub(1).and_then(|i| handlers.get(i)).copied().filter(|&h| h != 0);
                jobs.push((o.session, o.token.clone(), o.request.clone(), con, handler));
            }
            for (sid, token, request, con, handler) in jobs {
                let Some(handler) = handler else { continue };
                let Some(s) = self.sessions.get_mut(sid) else { continue };
                let mid = s.new_mid();
                let typ = if con { MsgType::Con } else { MsgType::Non };
                let mut response = Pdu::new(typ, msg::EMPTY, mid, 0);
                let _ = response.add_token(&token);
                // coap_handler(3): the handler finds Observe in the response
                // already (finish_reply sets the value sent).
                let seq = self.resources.get(rid).map_or(0, |r| r.obs_seq);
                let _ = response.add_option(option::OBSERVE, &observe::seq_bytes(seq));
                let reply = Reply {
                    session: sid,
                    resource: rid,
                    request_typ: request.typ,
                    request_code: request.code,
                    request_mid: request.mid,
                    observe: Observe::Notify(token),
                    block1: None,
                };
                self.push_event(Event::Request { session: sid, resource: rid, handler, request, response, reply, span: None });
            }
        }
    }

    pub fn finish_request(&mut self, id: Id, request_typ: MsgType, request_code: u8, request_mid: u16, response: Pdu) {
        let Some(mut response) = self.mcast_response(id, request_typ, response) else { return };
        if response.code == msg::EMPTY {
            if request_typ == MsgType::Con {
                // A separate response follows: a duplicate request gets
                // this empty ACK again, not a second run of its handler.
                let ack = Pdu::new(MsgType::Ack, msg::EMPTY, request_mid, 0);
                if let Ok(wire) = wire::to_vec(&ack, msg::Framing::Udp) {
                    self.dedup.record(id, request_mid, &wire);
                }
                self.send_empty(id, MsgType::Ack, request_mid);
            }
            return;
        }
        if request_typ == MsgType::Con && response.typ == MsgType::Ack {
            response.mid = request_mid;
        }
        show(&response);
        let wire = match wire::to_vec(&response, msg::Framing::Udp) {
            Ok(w) => w,
            Err(e) => {
                log::warn!("response cannot be encoded: {e:?}");
                return;
            }
        };
        if request_typ == MsgType::Con {
            // Answers within a block-wise transfer are kept: running a
            // duplicate piece again could not reproduce them.
            let blockwise = response.option(option::BLOCK1).is_some()
                || response.option(option::BLOCK2).is_some()
                || response.option(option::Q_BLOCK2).is_some()
                || self.qblock1_answer(id, request_mid);
            if is_idempotent(request_code) && response.typ == MsgType::Ack && !blockwise {
                // RFC 7252 §4.5 lets a server process a duplicate of an
                // idempotent request again; not keeping its answer keeps
                // busy servers' memory flat.
                self.dedup.forget(id, request_mid);
            } else {
                self.dedup.record(id, request_mid, &wire);
            }
        }
        if response.typ == MsgType::Con {
            // A separate CON response: retransmitted like any CON.
            if let Err(e) = self.send_now(id, response, now()) {
                log::warn!("sending the response failed: {e:?}");
            }
            return;
        }
        let Some(s) = self.sessions.get(id) else { return };
        let (route, remote) = (s.route, s.remote);
        if let Err(e) = self.transmit(route, remote, &wire) {
            log::warn!("sending the response failed: {e}");
        }
    }

    // ---------------------------------------------------------- receiving

    /// Waits up to `timeout` (None: until the next timer or datagram),
    /// reads every ready socket and runs due timers.
    pub fn process(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.run_timers(now());
        // Notifications asked for since the last pass go out now, not
        // after the wait.
        self.run_notifications();
        let wait = if self.has_events() { Some(Duration::ZERO) } else { self.bounded_by_timers(timeout) };
        let mut ready = std::mem::take(&mut self.ready);
        ready.clear();
        let result = self.poller.wait(wait, &mut ready);
        if self.batching {
            // The batch's time runs from when there is work, not from
            // before the wait.
            self.batch_since = Some(std::time::Instant::now());
        }
        for &token in &ready {
            self.drain(token);
        }
        self.ready = ready;
        self.run_timers(now());
        self.run_notifications();
        self.arm_timer();
        result
    }

    /// coap_io_do_epoll() with the events the application's epoll_wait()
    /// on our fd returned: their sockets are read first (those events are
    /// spent), then whatever else is ready, as in a pass without waiting.
    pub fn process_reported(&mut self, tokens: &[u64]) -> io::Result<()> {
        let mut ready = std::mem::take(&mut self.ready);
        ready.clear();
        self.poller.take_reported(tokens, &mut ready);
        for &token in &ready {
            self.drain(token);
        }
        self.ready = ready;
        self.process(Some(Duration::ZERO))
    }

    /// coap_io_prepare_epoll()/_io(): due timers and pending notifications,
    /// no reading (the application waits for readiness next, then calls
    /// the do_ function, which reads).
    pub fn prepare(&mut self) {
        self.run_timers(now());
        self.run_notifications();
        self.arm_timer();
    }

    /// Keeps the epoll fd's timer on the next deadline, for applications
    /// that wait on the fd themselves.
    fn arm_timer(&mut self) {
        self.armed_due = self.timers.peek().map(|Reverse((due, _, _))| *due);
        self.poller.arm_timer(self.armed_due, now());
    }

    /// Adds a timer; the epoll fd's timer moves earlier if needed, so an
    /// application waiting on coap_context_get_coap_fd() wakes for it even
    /// when the timer was set outside coap_io_process() (a send, an async).
    fn push_timer(&mut self, due: u64, index: usize, kind: TimerKind) {
        self.timers.push(Reverse((due, index, kind)));
        if self.armed_due.map_or(true, |d| due < d) {
            self.armed_due = Some(due);
            self.poller.arm_timer(Some(due), now());
        }
    }

    /// Makes the epoll fd readable at once: work is waiting (a resource
    /// changed and its observers must hear of it), as libcoap does.
    pub fn wake(&mut self) {
        let now = now();
        self.armed_due = Some(now);
        self.poller.arm_timer(Some(now), now);
    }

    /// Milliseconds until the next timer, if any.
    pub fn next_timer_in(&self) -> Option<u64> {
        self.timers.peek().map(|Reverse((due, _, _))| due.saturating_sub(now()))
    }

    fn bounded_by_timers(&self, timeout: Option<Duration>) -> Option<Duration> {
        match (timeout, self.next_timer_in()) {
            (None, None) => None,
            (Some(t), None) => Some(t),
            (None, Some(ms)) => Some(Duration::from_millis(ms)),
            (Some(t), Some(ms)) => Some(t.min(Duration::from_millis(ms))),
        }
    }

    fn drain(&mut self, token: usize) {
        let Some(sock) = self.sockets.id_at(token) else { return };
        loop {
            let mut rx = self.rx.take().unwrap_or_default();
            let got = match self.sockets.get(sock) {
                Some(s) => s.udp.recv_many(&mut rx),
                None => {
                    self.rx = Some(rx);
                    break;
                }
            };
            match got {
                Ok((n, drained)) => {
                    let owner = match self.sockets.get(sock).map(|s| &s.owner) {
                        Some(Owner::Endpoint(ep)) => Some(Err(*ep)),
                        Some(Owner::Session(sid)) => Some(Ok(*sid)),
                        None => None,
                    };
                    for i in 0..n {
                        if let (Some(owner), Some(from)) = (owner, rx.from.get(i).copied().flatten()) {
                            let ifindex = rx.ifindex.get(i).copied().unwrap_or(-1);
                            self.mcast.rx = rx.group.get(i).copied().flatten();
                            self.on_datagram(owner, from, ifindex, rx.datagram(i));
                            self.flush_if_stale();
                        }
                    }
                    self.rx = Some(rx);
                    if drained {
                        break;
                    }
                }
                Err(e) => {
                    self.rx = Some(rx);
                    if e.kind() != io::ErrorKind::WouldBlock {
                        log::debug!("receive: {e}");
                        if let Some(Owner::Session(sid)) = self.sockets.get(sock).map(|s| &s.owner) {
                            let sid = *sid;
                            if e.kind() == io::ErrorKind::ConnectionRefused {
                                self.icmp_unreachable(sid);
                            }
                        }
                    }
                    if e.kind() == io::ErrorKind::WouldBlock || e.kind() != io::ErrorKind::Interrupted {
                        break;
                    }
                }
            }
        }
    }

    /// The peer's port is closed: pending CONs cannot be delivered.
    fn icmp_unreachable(&mut self, id: Id) {
        if let (Some(local), Some(s)) = (self.local_addr(id), self.sessions.get(id)) {
            // libcoap's warning, shown at coap-client's default level.
            log::warn!("** {local} <-> {} UDP : coap_network_read: ICMP: Connection refused", s.remote);
        }
        let pending: Vec<Pending> = match self.sessions.get_mut(id) {
            Some(s) => s.flight_mut().pending.drain(..).collect(),
            None => return,
        };
        for p in pending {
            self.push_event(Event::Nack { session: id, sent: Some(p.pdu), reason: 4, mid: p.mid });
        }
    }

    /// `owner`: Ok(client session) or Err(endpoint).
    fn on_datagram(&mut self, owner: Result<Id, Id>, from: Address, ifindex: i32, data: &[u8]) {
        if self.dtls_receive(owner, from, ifindex, data) {
            return;
        }
        self.on_coap_datagram(owner, from, ifindex, data)
    }

    /// A CoAP message (plain UDP, or what DTLS decrypted).
    fn on_coap_datagram(&mut self, owner: Result<Id, Id>, from: Address, ifindex: i32, data: &[u8]) {
        let pdu = match wire::parse_udp(data, self.cfg.max_token_size.max(TOKEN_DEFAULT_MAX)) {
            Ok(p) => p,
            Err(e) => return self.on_bad_datagram(owner, from, data, e),
        };
        show(&pdu);
        let id = match owner {
            Ok(sid) => sid,
            Err(ep) => {
                // Only requests and pings may open a server session.
                let opens = matches!(pdu.typ, MsgType::Con | MsgType::Non)
                    && (msg::code_class(pdu.code) == 0);
                if !opens && !self.endpoints.get(ep).is_some_and(|e| e.peers.contains_key(&from)) {
                    log::debug!("dropping {:?} from unknown peer {from}", pdu.typ);
                    return;
                }
                self.server_session(ep, from)
            }
        };
        if let Some(s) = self.sessions.get_mut(id) {
            s.last_activity = now();
            s.ifindex = ifindex;
            if s.mcast.is_some() {
                s.remote = from; // the member that answered (coap_session(3))
            }
        }
        match (pdu.typ, msg::code_class(pdu.code), pdu.code) {
            (MsgType::Ack, _, _) => self.on_ack(id, pdu),
            (MsgType::Rst, _, _) => self.on_rst(id, pdu),
            // A ping: RST and the ping handler; an empty NON too, as
            // libcoap takes it.
            (MsgType::Con | MsgType::Non, _, msg::EMPTY) => {
                self.send_empty(id, MsgType::Rst, pdu.mid);
                self.push_event(Event::Ping { session: id, received: pdu });
            }
            (_, 0, _) => self.on_request(id, pdu),
            (_, 2..=5, _) => self.on_response(id, pdu),
            _ => {
                log::debug!("ignoring message with code {}.{:02}", pdu.code >> 5, pdu.code & 31);
                if pdu.typ == MsgType::Con {
                    self.send_empty(id, MsgType::Rst, pdu.mid);
                }
            }
        }
    }

    /// A malformed datagram: a CON whose header we can read is rejected
    /// with RST (RFC 7252 §4.2); anything else is dropped.
    fn on_bad_datagram(&mut self, owner: Result<Id, Id>, from: Address, data: &[u8], e: ParseError) {
        log::debug!("bad packet from {from}: {e:?}");
        let id = match owner {
            Ok(sid) => Some(sid),
            Err(ep) => self.endpoints.get(ep).and_then(|e| e.peers.get(&from)).copied(),
        };
        if let Some(sid) = id {
            self.push_event(Event::Session { session: sid, event: event::BAD_PACKET });
        }
        if let [b0, _, m0, m1, ..] = *data {
            if b0 >> 6 == 1 && (b0 >> 4) & 3 == 0 {
                let mid = u16::from_be_bytes([m0, m1]);
                let rst = Pdu::new(MsgType::Rst, msg::EMPTY, mid, 0);
                if let Ok(wire) = wire::to_vec(&rst, msg::Framing::Udp) {
                    let route = match owner {
                        Ok(sid) => self.sessions.get(sid).map(|s| s.route),
                        Err(ep) => Some(Route::Endpoint(ep)),
                    };
                    if let Some(route) = route {
                        let _ = self.transmit(route, from, &wire);
                    }
                }
            }
        }
    }

    fn take_pending(&mut self, id: Id, mid: u16) -> Option<Pending> {
        let s = self.sessions.get_mut(id)?;
        let f = s.flight_mut();
        let i = f.pending.iter().position(|p| p.mid == mid)?;
        Some(f.pending.swap_remove(i))
    }

    fn on_ack(&mut self, id: Id, pdu: Pdu) {
        let Some(p) = self.take_pending(id, pdu.mid) else {
            log::debug!("ACK for unknown message id {}", pdu.mid);
            return;
        };
        self.release_waiting(id);
        self.qblock2_acked(id, &p.pdu);
        if pdu.code == msg::EMPTY {
            self.q_acked(id, &p.token);
            return; // a separate response follows
        }
        if self.rejects_response(id, &pdu) {
            return; // acknowledged, but not an answer the application sees
        }
        let notification = msg::code_class(pdu.code) == 2 && pdu.option(option::OBSERVE).is_some();
        if let Some(s) = self.sessions.get_mut(id) {
            let f = s.flight_mut();
            let observed = f.observing.iter().any(|(t, _)| t.as_slice() == pdu.token());
            if !(notification && observed) {
                f.open_requests.retain(|t| t.as_slice() != pdu.token());
                f.observing.retain(|(t, _)| t.as_slice() != pdu.token());
            }
        }
        self.client_response(id, Some(p.pdu), pdu);
    }

    fn on_rst(&mut self, id: Id, pdu: Pdu) {
        // A RST to a notification ends that observation (RFC 7641 §3.6).
        let token = self.resources.iter_mut().find_map(|(_, r)| {
            r.observers.iter().find(|o| o.session == id && o.last_mid == Some(pdu.mid)).map(|o| o.token.clone())
        });
        if let Some(t) = token {
            self.remove_observers_of(id, Some(&t));
        }
        let Some(p) = self.take_pending(id, pdu.mid) else { return };
        self.release_waiting(id);
        if p.pdu.code == msg::EMPTY {
            self.push_event(Event::Pong { session: id, received: pdu });
        } else if !self.q_probe_lost(id, &p.token) {
            let mid = p.mid;
            self.push_event(Event::Nack { session: id, sent: Some(p.pdu), reason: nack::RST, mid });
        }
    }

    fn on_response(&mut self, id: Id, pdu: Pdu) {
        if pdu.typ == MsgType::Con && self.duplicate_con_response(id, pdu.mid) {
            return;
        }
        if self.rejects_response(id, &pdu) {
            return;
        }
        let (con, mid, before) = (pdu.typ == MsgType::Con, pdu.mid, self.events.len());
        if self.q_owns(id, pdu.token()) {
            // A further piece or answer of a Q-Block transfer: its token
            // is not an open request any more.
            let sent = self.answered(id, pdu.token());
            self.client_response(id, sent, pdu);
            if con {
                self.ack_unless_delivered(id, mid, before);
            }
            return;
        }
        let notification = msg::code_class(pdu.code) == 2 && pdu.option(option::OBSERVE).is_some();
        let known = self.sessions.get_mut(id).is_some_and(|s| {
            let group = s.mcast.is_some();
            let f = s.flight_mut();
            let known = f.open_requests.iter().any(|t| t.as_slice() == pdu.token());
            let observed = f.observing.iter().any(|(t, _)| t.as_slice() == pdu.token());
            // Every member of a group answers a multicast request.
            if !(notification && observed) && !group {
                f.open_requests.retain(|t| t.as_slice() != pdu.token());
                f.observing.retain(|(t, _)| t.as_slice() != pdu.token());
            }
            known
        });
        if !known {
            // As libcoap: the application's response handler decides (it
            // returns COAP_RESPONSE_FAIL to have an unexpected one reset).
            log::debug!("response with unknown token");
            self.push_event(Event::Response { session: id, sent: None, received: pdu, span: None });
            if con {
                self.ack_unless_delivered(id, mid, before);
            }
            return;
        }
        let sent = self.answered(id, pdu.token());
        self.client_response(id, sent, pdu);
        if con {
            self.ack_unless_delivered(id, mid, before);
        }
    }

    /// A CON response the library kept to itself (a block of a transfer)
    /// is acknowledged now; one handed to the application is acknowledged,
    /// or reset, once its handler has answered (see answer_response).
    fn ack_unless_delivered(&mut self, id: Id, mid: u16, from: usize) {
        let delivered = self.events.iter().skip(from).any(|e| {
            matches!(e, Event::Response { session, received, .. } if *session == id && received.mid == mid && received.typ == MsgType::Con)
        });
        if !delivered {
            self.answer_con_response(id, MsgType::Ack, mid);
        }
    }

    /// RFC 7252 §4.5: a CON response seen before (a separate response
    /// resent because our ACK was lost) gets the answer the first copy got,
    /// and does not reach the application again.
    fn duplicate_con_response(&mut self, id: Id, mid: u16) -> bool {
        let now = now();
        let Some(s) = self.sessions.get(id) else { return false };
        let (route, remote, lifetime) = (s.route, s.remote, s.tx().exchange_lifetime());
        match self.dedup.check(id, mid, now) {
            Seen::New => {
                self.dedup.remember(id, mid, now, now + lifetime);
                false
            }
            Seen::InProgress => true,
            Seen::Answered(wire) => {
                log::debug!("duplicate response {mid}: answering again");
                let wire = wire.to_vec();
                let _ = self.transmit(route, remote, &wire);
                true
            }
        }
    }

    /// The empty ACK or RST for a CON response, kept for its duplicates.
    fn answer_con_response(&mut self, id: Id, typ: MsgType, mid: u16) {
        if let Ok(wire) = wire::to_vec(&Pdu::new(typ, msg::EMPTY, mid, 0), msg::Framing::Udp) {
            self.dedup.record(id, mid, &wire);
        }
        self.send_empty(id, typ, mid);
    }

    /// After the application's response handler: as libcoap, RST when it
    /// returned COAP_RESPONSE_FAIL for a CON or NON response (the way to
    /// refuse a notification and end an observation), otherwise ACK for a
    /// CON one. A piggybacked answer needs neither. `observed`: the token of
    /// a notification, whose observation a refusal ends here too (the RST
    /// ends it at the server, RFC 7641 §3.6), so coap_io_pending() stops
    /// counting it.
    pub fn answer_response(&mut self, id: Id, typ: MsgType, mid: u16, ok: bool, observed: Option<&[u8]>) {
        if let (false, Some(token), Some(s)) = (ok, observed, self.sessions.get_mut(id)) {
            let f = s.flight_mut();
            f.observing.retain(|(t, _)| t.as_slice() != token);
            f.open_requests.retain(|t| t.as_slice() != token);
        }
        if typ == MsgType::Ack {
            return;
        }
        if !ok {
            self.answer_con_response(id, MsgType::Rst, mid);
        } else if typ == MsgType::Con {
            self.answer_con_response(id, MsgType::Ack, mid);
        }
    }

    /// The answer came (its ACK may have been lost): stop resending the
    /// request with `token` (RFC 7252 §5.2.2); the request, if it was CON.
    fn answered(&mut self, id: Id, token: &[u8]) -> Option<Pdu> {
        let sent = self.sessions.get_mut(id).and_then(|s| {
            let f = s.flight_mut();
            let i = f.pending.iter().position(|p| p.token.as_slice() == token && p.pdu.code != msg::EMPTY)?;
            Some(f.pending.swap_remove(i).pdu)
        });
        if sent.is_some() {
            self.release_waiting(id);
        }
        sent
    }

    fn on_request(&mut self, id: Id, req: Pdu) {
        if self.mcast_request(id, &req) {
            return;
        }
        let now = now();
        if req.typ == MsgType::Con {
            let Some(s) = self.sessions.get(id) else { return };
            let (route, remote, lifetime) = (s.route, s.remote, s.tx().exchange_lifetime());
            match self.dedup.check(id, req.mid, now) {
                Seen::New => self.dedup.remember(id, req.mid, now, now + lifetime),
                Seen::InProgress => return,
                Seen::Answered(wire) => {
                    log::debug!("duplicate request {}: answering again", req.mid);
                    let wire = wire.to_vec();
                    let _ = self.transmit(route, remote, &wire);
                    return;
                }
            }
        }
        if self.reject_unknown_critical(id, &req) {
            return;
        }
        let mut req = req;
        let mut proxied = req.option(option::PROXY_URI).is_some() || req.option(option::PROXY_SCHEME).is_some();
        if proxied {
            let Some(prid) = self.resources.proxy else {
                // RFC 7252 §5.7.2: a server that is no forward-proxy says so.
                return self.answer_error(id, &req, msg::PROXYING_NOT_SUPPORTED);
            };
            match self.proxy_target(prid, &req) {
                ProxyTarget::Forward => {
                    if !self.hop_limit_passes(id, &mut req) {
                        return;
                    }
                }
                ProxyTarget::Local(local) => {
                    req = local;
                    proxied = false;
                }
                ProxyTarget::Bad => return self.answer_error(id, &req, msg::BAD_OPTION),
            }
        }
        let path = request_path(&req);
        let found = if proxied {
            self.resources.proxy.map_or(Found::NotFound, Found::Resource)
        } else {
            match self.resources.find(&path) {
                // The unknown-resource handler takes only the methods it
                // has a handler for; the rest is answered as if it were not
                // there.
                Found::NotFound => match self.resources.unknown {
                    Some(rid) if self.resources.get(rid).is_some_and(|r| r.handler(req.code).is_some()) => Found::Resource(rid),
                    _ => Found::NotFound,
                },
                f => f,
            }
        };
        match found {
            Found::WellKnown if req.code == msg::GET => self.answer_well_known(id, &req),
            Found::WellKnown => self.answer_error(id, &req, msg::code(4, 5)),
            // RFC 7252 §5.8.4: deleting what is not there succeeds.
            Found::NotFound if req.code == msg::DELETE => self.answer_error(id, &req, msg::DELETED),
            Found::NotFound => self.answer_error(id, &req, msg::NOT_FOUND),
            Found::Resource(rid) => {
                let handler = self.resources.get(rid).and_then(|r| r.handler(req.code));
                match handler {
                    Some(handler) => {
                        let mut req = req;
                        let mut span = None;
                        let mut block1 = None;
                        self.qblock_note_peer(id, &req);
                        if self.qblock_on() && req.option(option::Q_BLOCK1).is_some() {
                            match self.incoming_qblock1(id, req) {
                                blockwise::Block1::Consumed => return,
                                blockwise::Block1::Deliver(r, s) => (req, span) = (r, s),
                            }
                        } else if self.cfg.block_mode & super::block::USE_LIBCOAP != 0 && req.option(option::BLOCK1).is_some() {
                            block1 = req.option(option::BLOCK1).map(|o| o.value.to_vec());
                            let single = self.resources.get(rid).is_some_and(|r| r.flags & FORCE_SINGLE_BODY != 0);
                            match self.incoming_block1(id, req, single) {
                                blockwise::Block1::Consumed => return,
                                blockwise::Block1::Deliver(r, s) => (req, span) = (r, s),
                            }
                        }
                        if self.qblock_on() && req.option(option::Q_BLOCK2).is_some() && self.serve_qblock2(id, &req) {
                            return;
                        }
                        if let Some(resp) = self.serve_block2(id, &req) {
                            return self.finish_request(id, req.typ, req.code, req.mid, resp);
                        }
                        let mut response = self.response_skeleton(id, &req);
                        let observe = self.observe_request(id, rid, &req);
                        if matches!(observe, Observe::Register(_)) {
                            // As for notifications: Observe is in the response
                            // the handler fills (finish_reply settles it).
                            if let Some(r) = self.resources.get(rid).filter(|r| r.observable) {
                                let _ = response.add_option(option::OBSERVE, &observe::seq_bytes(r.obs_seq));
                            }
                        }
                        let reply = Reply { session: id, resource: rid, request_typ: req.typ, request_code: req.code, request_mid: req.mid, observe, block1 };
                        self.push_event(Event::Request { session: id, resource: rid, handler, request: req, response, reply, span });
                    }
                    None => self.answer_error(id, &req, msg::code(4, 5)),
                }
            }
        }
    }

    /// RFC 7252 §5.4.1: an unrecognised critical option fails the request
    /// with 4.02, which carries the options it did not understand (as
    /// libcoap's does). Without COAP_BLOCK_TRY_Q_BLOCK the Q-Block options
    /// (RFC 9177) count as unrecognised, and this build has no OSCORE,
    /// exactly as in a libcoap built without them: Q-Block ones are
    /// echoed, an OSCORE request gets a bare 4.02. True when the request
    /// was answered.
    /// Where a request naming a proxy goes (coap_resource(3)): served here
    /// when its host is one of the names the proxy resource was given,
    /// rewritten as a plain request; forwarded by the proxy handler
    /// otherwise. Bad when Proxy-Scheme comes without Uri-Host or the
    /// Proxy-Uri cannot be read.
    fn proxy_target(&self, prid: Id, req: &Pdu) -> ProxyTarget {
        let names = self.resources.get(prid).map_or(&[][..], |r| r.proxy_names.as_slice());
        let is_ours = |host: &[u8]| names.iter().any(|n| n.eq_ignore_ascii_case(host));
        if let Some(pu) = req.option(option::PROXY_URI) {
            let Ok(uri) = crate::proto::uri::split_proxy_uri(pu.value) else { return ProxyTarget::Bad };
            if !is_ours(uri.host) {
                return ProxyTarget::Forward;
            }
            let add = crate::proto::uri::uri_options(&uri, false, false);
            let drop = [option::PROXY_URI, option::URI_HOST, option::URI_PORT, option::URI_PATH, option::URI_QUERY];
            return match blk::rebuild(req, req.typ, req.mid, req.token(), &drop, &add, req.payload().unwrap_or_default()) {
                Some(local) => ProxyTarget::Local(local),
                None => ProxyTarget::Bad,
            };
        }
        let Some(host) = req.option(option::URI_HOST) else { return ProxyTarget::Bad };
        if !is_ours(host.value) {
            return ProxyTarget::Forward;
        }
        match blk::rebuild(req, req.typ, req.mid, req.token(), &[option::PROXY_SCHEME], &[], req.payload().unwrap_or_default()) {
            Some(local) => ProxyTarget::Local(local),
            None => ProxyTarget::Bad,
        }
    }

    /// RFC 8768 at a forward-proxy: Hop-Limit 1 is the last hop (5.08),
    /// 0 is malformed (4.00); otherwise one less goes on to the handler.
    fn hop_limit_passes(&mut self, id: Id, req: &mut Pdu) -> bool {
        let Some(v) = blk::uint_option(req, option::HOP_LIMIT) else { return true };
        match v {
            0 => {
                self.answer_error(id, req, msg::BAD_REQUEST);
                false
            }
            1 => {
                // As libcoap: Hop-Limit 255 and this proxy's address in the
                // payload, which tells the client where the loop ended.
                let mut resp = self.response_skeleton(id, req);
                resp.code = msg::HOP_LIMIT_REACHED;
                let _ = resp.add_option(option::HOP_LIMIT, &[255]);
                let me = match self.local_addr(id) {
                    Some(Address::V4(a)) => a.ip().to_string(),
                    Some(Address::V6(a)) => a.ip().to_string(),
                    _ => String::new(),
                };
                let _ = resp.add_payload(me.as_bytes());
                self.finish_request(id, req.typ, req.code, req.mid, resp);
                false
            }
            v => {
                let left = [u8::try_from(v - 1).unwrap_or(u8::MAX)];
                match blk::rebuild(req, req.typ, req.mid, req.token(), &[option::HOP_LIMIT], &[(option::HOP_LIMIT, left.to_vec())], req.payload().unwrap_or_default()) {
                    Some(r) => {
                        *req = r;
                        true
                    }
                    None => {
                        self.answer_error(id, req, msg::INTERNAL_ERROR);
                        false
                    }
                }
            }
        }
    }

    /// An option this context does not know (nor was told of with
    /// coap_register_option()).
    fn unknown_option(&self, n: u16) -> bool {
        if self.cfg.registered_options.contains(&n) {
            return false;
        }
        // Q-Block options are known only to a context that speaks Q-Block.
        if n == option::Q_BLOCK1 || n == option::Q_BLOCK2 {
            return !self.qblock_on();
        }
        option::check(n, 0) == OptCheck::Unknown
    }

    /// RFC 7252 5.4.1: a response with an unrecognized critical option is
    /// rejected (RST for a CON one, silence otherwise), as libcoap does.
    fn rejects_response(&mut self, id: Id, pdu: &Pdu) -> bool {
        let Some(n) = pdu.options().map_while(Result::ok).map(|o| o.number).find(|&n| option::is_critical(n) && self.unknown_option(n))
        else {
            return false;
        };
        log::debug!("response with unknown critical option {n}: rejected");
        if pdu.typ == MsgType::Con {
            self.answer_con_response(id, MsgType::Rst, pdu.mid);
        }
        true
    }

    fn reject_unknown_critical(&mut self, id: Id, req: &Pdu) -> bool {
        let unknown = |n: u16| self.unknown_option(n);
        let mut oscore = false;
        let mut echo: Vec<(u16, Vec<u8>)> = Vec::new();
        for o in req.options().map_while(Result::ok) {
            if o.number == option::OSCORE {
                oscore = true;
            } else if option::is_critical(o.number) && unknown(o.number) && echo.len() < 16 {
                echo.push((o.number, o.value.to_vec()));
            }
        }
        if !oscore && echo.is_empty() {
            return false;
        }
        if oscore {
            log::debug!("OSCORE request, but this build has no OSCORE: 4.02");
            echo.clear();
        } else {
            log::debug!("request with unknown critical option {}", echo.first().map_or(0, |o| o.0));
        }
        if req.typ == MsgType::Non {
            // RFC 7252 5.4.1 and 4.3: a NON message is rejected with RST,
            // as libcoap does (but never a group request, 8.1).
            if self.mcast.rx.is_none() {
                self.send_empty(id, MsgType::Rst, req.mid);
            }
            return true;
        }
        let mut resp = self.response_skeleton(id, req);
        resp.code = msg::BAD_OPTION;
        for (n, v) in &echo {
            if resp.add_option(*n, v).is_err() {
                break;
            }
        }
        let _ = resp.add_payload(response_phrase(msg::BAD_OPTION).as_bytes());
        self.finish_request(id, req.typ, req.code, req.mid, resp);
        true
    }

    /// The response the handler fills in: ACK (piggybacked) for CON, NON for
    /// NON, with the request's token and code 0.00.
    fn response_skeleton(&mut self, id: Id, req: &Pdu) -> Pdu {
        let (typ, mid) = match req.typ {
            MsgType::Con => (MsgType::Ack, req.mid),
            _ => (MsgType::Non, self.sessions.get_mut(id).map_or(0, |s| s.new_mid())),
        };
        let max = self.sessions.get(id).map_or(0, |s| s.max_pdu_size().saturating_sub(4));
        let mut pdu = Pdu::new(typ, msg::EMPTY, mid, max);
        if pdu.add_token(req.token()).is_err() {
            pdu = Pdu::new(typ, msg::EMPTY, mid, 0);
            let _ = pdu.add_token(req.token());
        }
        pdu
    }

    fn answer_error(&mut self, id: Id, req: &Pdu, code: u8) {
        let mut resp = self.response_skeleton(id, req);
        resp.code = code;
        let _ = resp.add_payload(response_phrase(code).as_bytes());
        self.finish_request(id, req.typ, req.code, req.mid, resp);
    }

    /// GET /.well-known/core (RFC 6690), as libcoap answers it: a filter
    /// that matches nothing gets a bare 2.05; a body larger than the PDU,
    /// or a Block2 request, goes block-wise (ETag, Size2; further blocks
    /// from a kept copy) under COAP_BLOCK_USE_LIBCOAP and is cut to fit
    /// otherwise.
    fn answer_well_known(&mut self, id: Id, req: &Pdu) {
        if let Some(resp) = self.serve_block2(id, req) {
            return self.finish_request(id, req.typ, req.code, req.mid, resp);
        }
        let query: Vec<u8> =
            req.options().map_while(Result::ok).find(|o| o.number == option::URI_QUERY).map(|o| o.value.to_vec()).unwrap_or_default();
        let mut body = self.resources.well_known(&query);
        let mut resp = self.response_skeleton(id, req);
        resp.code = msg::CONTENT;
        if body.is_empty() {
            return self.finish_request(id, req.typ, req.code, req.mid, resp);
        }
        const LINK_FORMAT: &[u8] = &[40];
        // Header, token, the options below and the payload marker.
        let max = self.sessions.get(id).map_or(0, |s| s.max_pdu_size());
        let room = max.saturating_sub(resp.used_size() + WELL_KNOWN_OVERHEAD);
        let asked = match blk::block_of(req, option::BLOCK2) {
            Some(Ok(b)) => Some(b),
            _ => None,
        };
        let fits = match asked {
            None => body.len() <= room,
            Some(b) => b.num == 0 && body.len() <= b.size().min(room),
        };
        if !fits && self.cfg.block_mode & super::block::USE_LIBCOAP == 0 {
            log::warn!(".well-known/core: {} bytes cut to the {room} that fit one PDU", body.len());
            body.truncate(room);
        }
        let _ = resp.set_max_size(0);
        if fits || self.cfg.block_mode & super::block::USE_LIBCOAP == 0 {
            let _ = resp.add_option(option::CONTENT_FORMAT, LINK_FORMAT);
            let _ = resp.add_payload(&body);
            return self.finish_request(id, req.typ, req.code, req.mid, resp);
        }
        let Some(mut szx) = block::szx_for_size(room.min(1024)) else {
            return self.answer_error(id, req, msg::INTERNAL_ERROR);
        };
        if let Some(b) = asked {
            szx = szx.min(b.szx);
        }
        let num = asked.map_or(0, |b| b.num);
        let Some(slice) = block::block_slice(&body, num, szx).map(<[u8]>::to_vec) else {
            return self.answer_error(id, req, msg::BAD_OPTION);
        };
        let etag = blk::encode_uint(self.next_etag());
        let more = block::more_after(body.len() as u64, num, szx);
        let built = (|| {
            resp.add_option(option::ETAG, &etag).ok()?;
            resp.add_option(option::CONTENT_FORMAT, LINK_FORMAT).ok()?;
            resp.add_option(option::SIZE2, &blk::encode_uint(body.len() as u64)).ok()?;
            let head = resp.clone();
            resp.add_option(option::BLOCK2, &Block::new(num, more, szx).ok()?.to_vec()).ok()?;
            resp.add_payload(&slice).ok()?;
            Some(head)
        })();
        let Some(head) = built else { return self.answer_error(id, req, msg::INTERNAL_ERROR) };
        if block::block_count(body.len() as u64, szx) > 1 {
            self.store_large_response(id, req.code, blk::resource_key(req), head, body, szx);
        }
        self.finish_request(id, req.typ, req.code, req.mid, resp)
    }

    // ------------------------------------------------------------- timers

    fn run_timers(&mut self, now: u64) {
        while let Some(&Reverse((due, index, kind))) = self.timers.peek() {
            if due > now {
                break;
            }
            self.timers.pop();
            if let TimerKind::Async(generation) = kind {
                self.check_async(index, generation, now);
                continue;
            }
            let Some(id) = self.sessions.id_at(index) else { continue };
            match kind {
                TimerKind::Retransmit(mid) => self.retransmit(id, mid, due, now),
                TimerKind::Reap => self.check_reap(id, now),
                TimerKind::Keepalive => self.check_keepalive(id, now),
                TimerKind::Dtls => self.dtls_timer(id, now),
                TimerKind::McastDelay(n) => self.mcast_delayed(id, n),
                TimerKind::QBlockClient => self.q_timer(id, now),
                TimerKind::QBlockServer => self.qblock_timer(id, now),
                TimerKind::Async(_) => {}
            }
        }
    }

    fn retransmit(&mut self, id: Id, mid: u16, due: u64, now: u64) {
        let Some(s) = self.sessions.get_mut(id) else { return };
        let tx = *s.tx();
        let keepalive_ms = u64::from(self.cfg.keepalive) * 1000;
        let (route, remote) = (s.route, s.remote);
        let f = s.flight_mut();
        let Some(i) = f.pending.iter().position(|p| p.mid == mid && p.due == due) else { return };
        let max = tx.max_retransmit;
        let Some(p) = f.pending.get_mut(i) else { return };
        if p.attempt >= max {
            let p = f.pending.swap_remove(i);
            log::debug!("message {mid} not acknowledged after {max} retransmissions");
            if p.keepalive {
                if let Some(s) = self.sessions.get_mut(id) {
                    s.established = false;
                }
                self.push_event(Event::Session { session: id, event: event::KEEPALIVE_FAILURE });
            } else if self.q_probe_lost(id, &p.token) {
                log::debug!("Q-Block probe not answered");
            } else {
                let token = p.token.clone();
                if let Some(f) = self.sessions.get_mut(id).and_then(|s| s.flight_opt_mut()) {
                    f.blocks.forget_token(&token);
                }
                let sent = self.q_forget_token(id, &token).unwrap_or(p.pdu);
                self.push_event(Event::Nack { session: id, sent: Some(sent), reason: nack::TOO_MANY_RETRIES, mid });
                self.remove_observers_of(id, Some(&token));
            }
            self.release_waiting(id);
            return;
        }
        p.attempt += 1;
        let mut wait = tx.timeout(p.first_timeout, p.attempt);
        if keepalive_ms > 0 {
            // coap_keepalive(3): with keepalive set, every CON's back-off is
            // capped at its interval (the retransmission count is not).
            wait = wait.min(keepalive_ms);
        }
        p.due = now + wait;
        let (wire, next) = (p.wire.clone(), p.due);
        self.push_timer(next, id.index(), TimerKind::Retransmit(mid));
        if let Err(e) = self.transmit(route, remote, &wire) {
            log::debug!("retransmission failed: {e}");
        }
        self.push_event(Event::Session { session: id, event: event::MSG_RETRANSMITTED });
    }

    fn check_reap(&mut self, id: Id, now: u64) {
        let timeout = self.session_timeout_ms();
        let Some(s) = self.sessions.get_mut(id) else { return };
        s.reap_armed = false;
        if s.role != Role::Server || s.refcount != 0 {
            return; // scheduled again when released
        }
        let due = s.last_activity + timeout;
        if due > now || !s.is_quiet() {
            s.reap_armed = true;
            self.push_timer(due.max(now + 1000), id.index(), TimerKind::Reap);
            return;
        }
        self.reap(id);
    }

    /// coap_context_set_keepalive(): pings sessions idle for `seconds`.
    pub fn set_keepalive(&mut self, seconds: u32) {
        self.cfg.keepalive = seconds;
        if seconds > 0 {
            for id in self.sessions.ids() {
                self.schedule_keepalive(id);
            }
        }
    }

    fn schedule_keepalive(&mut self, id: Id) {
        let ms = u64::from(self.cfg.keepalive) * 1000;
        if let (true, Some(last)) = (ms > 0, self.sessions.get(id).map(|s| s.last_activity)) {
            self.push_timer(last + ms, id.index(), TimerKind::Keepalive);
        }
    }

    fn check_keepalive(&mut self, id: Id, now: u64) {
        let ms = u64::from(self.cfg.keepalive) * 1000;
        let Some(s) = self.sessions.get_mut(id) else { return };
        if ms == 0 || !s.established || s.reaped {
            return;
        }
        let due = s.last_activity + ms;
        if due > now {
            self.push_timer(due, id.index(), TimerKind::Keepalive);
            return;
        }
        if s.flight().is_some_and(|f| f.pending.iter().any(|p| p.keepalive)) {
            // The last ping is still being retransmitted: its outcome
            // (answer or KEEPALIVE_FAILURE) comes first.
            self.push_timer(now + ms, id.index(), TimerKind::Keepalive);
            return;
        }
        let mid = s.new_mid();
        let ping = Pdu::new(MsgType::Con, msg::EMPTY, mid, 0);
        match self.send_now(id, ping, now) {
            Ok(()) => {
                if let Some(p) = self.sessions.get_mut(id).and_then(|s| s.flight_mut().pending.last_mut()) {
                    p.keepalive = true;
                }
            }
            Err(e) => log::debug!("keepalive ping not sent: {e:?}"),
        }
        if let Some(s) = self.sessions.get_mut(id) {
            s.last_activity = now;
        }
        self.push_timer(now + ms, id.index(), TimerKind::Keepalive);
    }

    /// True when nothing is in flight or queued (coap_can_exit).
    /// coap_io_pending(): outstanding exchanges, and also (coap_io(3))
    /// observations a client holds and block-wise transfers in progress.
    pub fn io_pending(&self) -> bool {
        !self.is_idle()
            || self.sessions.iter().any(|(_, s)| {
                s.flight().is_some_and(|f| {
                    !f.observing.is_empty()
                        || !f.blocks.is_empty()
                        || !f.q.uploads.is_empty()
                        || !f.q.downloads.is_empty()
                        || !f.q.held.is_empty()
                })
            })
    }

    pub fn is_idle(&self) -> bool {
        self.events.is_empty() && self.sessions.iter().all(|(_, s)| s.is_quiet()) && self.mcast.is_idle()
    }

    /// Frees every session and endpoint (coap_free_context); returns the
    /// session handles to release.
    pub fn shutdown(&mut self) -> Vec<usize> {
        self.end_batch();
        let mut handles: Vec<usize> = self.session_ids().into_iter().filter_map(|id| self.drop_session(id)).collect();
        for ep in self.endpoints.ids() {
            handles.extend(self.free_endpoint(ep));
        }
        self.events.clear();
        self.timers.clear();
        for aid in self.asyncs.ids() {
            if let Some(a) = self.asyncs.remove(aid) {
                self.freed_asyncs.push(a.handle);
            }
        }
        handles
    }
}

/// The token and code of a response, for what follows it (the PDU
/// itself goes to the wire).
fn qblock2_head(response: &Pdu) -> Option<Pdu> {
    let mut head = Pdu::new(response.typ, response.code, response.mid, 0);
    head.add_token(response.token()).ok()?;
    if let Some(o) = response.option(option::OBSERVE) {
        head.add_option(option::OBSERVE, o.value).ok()?;
    }
    let q2 = response.option(option::Q_BLOCK2)?;
    head.add_option(option::Q_BLOCK2, q2.value).ok()?;
    Some(head)
}

/// GET, PUT, DELETE and FETCH may be processed again (RFC 7252 §5.1,
/// RFC 8132 §2); POST, PATCH and iPATCH may not.
fn is_idempotent(code: u8) -> bool {
    matches!(code, msg::GET | msg::PUT | msg::DELETE | msg::FETCH)
}

/// Uri-Path options joined with '/', as resources are keyed.
/// The request's path as resources are named (coap_resource(3)): Uri-Path
/// segments joined by '/', with what a URI cannot carry percent-encoded,
/// as coap_get_uri_path() writes it.
pub fn request_path(req: &Pdu) -> Vec<u8> {
    let segments = req.options().map_while(Result::ok).filter(|o| o.number == option::URI_PATH).map(|o| o.value);
    crate::proto::show::uri_path_string(segments)
}

/// libcoap's reason phrases, sent as the payload of library-made errors.
pub fn response_phrase(code: u8) -> &'static str {
    match code {
        c if c == msg::BAD_OPTION => "Bad Option",
        c if c == msg::NOT_FOUND => "Not Found",
        c if c == msg::code(4, 5) => "Method Not Allowed",
        c if c == msg::BAD_REQUEST => "Bad Request",
        c if c == msg::DELETED => "Deleted",
        c if c == msg::PROXYING_NOT_SUPPORTED => "Proxying Not Supported",
        c if c == msg::HOP_LIMIT_REACHED => "Hop Limit Reached",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Address {
        Address::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 0))
    }

    /// Every delivered event releases the session again; that must not
    /// queue another idle timer each time (the heap would grow per request).
    #[test]
    fn one_reap_timer_per_idle_session() {
        let mut ctx = Context::new().unwrap();
        let ep = ctx.new_endpoint(local()).unwrap();
        let peer = Address::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9));
        let id = ctx.server_session(ep, peer);
        for _ in 0..100 {
            ctx.reference(id);
            ctx.release(id);
        }
        let reaps = ctx.timers.iter().filter(|Reverse((_, _, k))| *k == TimerKind::Reap).count();
        assert_eq!(reaps, 1);
    }

    #[test]
    fn release_semantics_follow_the_role() {
        let mut ctx = Context::new().unwrap();
        let ep = ctx.new_endpoint(local()).unwrap();
        let peer = Address::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9));
        let server = ctx.server_session(ep, peer);
        // The SERVER_SESSION_NEW event holds a reference until delivered.
        assert!(matches!(ctx.next_event(), Some(Event::Session { .. })));
        assert_eq!(ctx.finish_event(server), None);
        assert_eq!(ctx.release(server), Released::NotReferenced);
        let client = ctx.new_client_session(None, ctx.endpoint(ep).unwrap().local).unwrap();
        assert_eq!(ctx.release(client), Released::Freed(0));
        assert_eq!(ctx.release(client), Released::NotReferenced);
        assert!(ctx.session(server).is_some());
    }
}
