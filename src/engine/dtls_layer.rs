//! DTLS sessions in the engine (coap_encryption(3)): the glue between the
//! context's sockets, sessions and timer heap and the sans-IO DTLS module
//! (`crate::transport::dtls`).
//!
//! Where it hooks in (so the rest of the engine stays unaware of DTLS):
//! - `Context::transmit` hands every CoAP datagram of a DTLS session to
//!   [`Context::dtls_transmit`]: encrypted with `DtlsConn::send` once
//!   connected, queued (once) while the handshake runs and flushed on
//!   `Connected`. Records go out through `transmit_raw`.
//! - `Context::on_datagram` hands every datagram of a DTLS session or
//!   endpoint to [`Context::dtls_receive`]: records go through
//!   `DtlsConn::on_datagram`, plaintext into the normal CoAP path
//!   (`on_coap_datagram`), so block-wise, observe etc. work unchanged. A
//!   datagram from a peer without a session goes to the server context's
//!   stateless cookie exchange (`DtlsContext::listen`): no session and no
//!   `SSL` exist for a peer before it echoed a valid cookie.
//! - `TimerKind::Dtls` drives handshake retransmission from OpenSSL's own
//!   deadline, and the handshake timeout that frees a peer that stops
//!   mid-handshake.
//! - `Context::drop_session` sends close_notify first.
//!
//! DTLS outcomes reach the application as `Event::Session` with
//! COAP_EVENT_DTLS_CONNECTED / _CLOSED / _RENEGOTIATE / _ERROR.
//!
//! Re-entrancy: OpenSSL calls the PSK / SNI / CN callbacks synchronously from
//! inside `DtlsConn` calls made here, that is while `&mut Context` is
//! borrowed. The callbacks the FFI layer installs therefore must not (and,
//! guarded by `crate::ffi::dtls`, cannot) call back into the engine.
use super::{Context, Event, Owner, Route, TimerKind};
use crate::engine::address::Address;
use crate::engine::slab::Id;
use crate::transport::dtls::{
    DtlsConn, DtlsContext, DtlsError, DtlsEvent, Listen, PkiConfig, PskServerConfig, ServerConfig,
};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// coap_event_t values of coap_encryption(3).
pub mod event {
    pub const DTLS_CLOSED: u32 = 0;
    pub const DTLS_CONNECTED: u32 = 0x01de;
    pub const DTLS_RENEGOTIATE: u32 = 0x01df;
    pub const DTLS_ERROR: u32 = 0x0200;
}

/// COAP_NACK_TLS_FAILED.
const NACK_TLS_FAILED: u32 = 3;

/// What libcoap's OpenSSL build reserves for a DTLS 1.2 record around a PDU
/// (coap_dtls_get_overhead(): header 13, explicit nonce 8, AEAD tag 16).
pub const DTLS_OVERHEAD: usize = 37;

/// A peer that has not completed its handshake by then is dropped.
pub const DEFAULT_HANDSHAKE_TIMEOUT_MS: u64 = 60_000;

/// Makes the C handle of a session (FFI layer): `(context handle, id)`.
pub type HandleMaker = fn(usize, Id) -> usize;

/// Builds a fresh server configuration part (the FFI layer keeps copies of
/// the application's set-up data; configs own callbacks, so are rebuilt).
pub type PskMaker = Box<dyn Fn() -> PskServerConfig>;
pub type PkiMaker = Box<dyn Fn() -> PkiConfig>;

/// The context-wide DTLS state.
pub struct Layer {
    psk: Option<PskMaker>,
    pki: Option<PkiMaker>,
    root_ca_file: Option<PathBuf>,
    root_ca_dir: Option<PathBuf>,
    /// Built from the makers above; None until keys are set.
    server: Option<DtlsContext>,
    handles: Option<(HandleMaker, usize)>,
    pub handshake_timeout_ms: u64,
    /// Overrides OpenSSL's retransmission schedule (tests).
    pub retransmit: Option<(Duration, Duration)>,
}

impl Default for Layer {
    fn default() -> Self {
        Layer {
            psk: None,
            pki: None,
            root_ca_file: None,
            root_ca_dir: None,
            server: None,
            handles: None,
            handshake_timeout_ms: DEFAULT_HANDSHAKE_TIMEOUT_MS,
            retransmit: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Handshake,
    Connected,
    /// Closed, failed or timed out: the connection is gone.
    Done,
}

/// Per-session DTLS state.
#[derive(Debug)]
pub struct DtlsSession {
    /// A client session's own `SSL_CTX` (it outlives nothing: the `SSL`
    /// holds a reference to it).
    _ctx: Option<DtlsContext>,
    conn: Option<Box<DtlsConn>>,
    pub state: State,
    /// CoAP datagrams sent while the handshake runs.
    queue: Vec<Vec<u8>>,
    /// Earliest DTLS timer in the heap, if any.
    armed: Option<u64>,
    /// Handshake deadline (engine ticks).
    deadline: u64,
    /// Handshake flights resent so far; past MAX_RETRANSMIT the handshake
    /// fails (coap_recovery(3), as libcoap counts them).
    retries: u16,
}

impl DtlsSession {
    pub fn conn(&self) -> Option<&DtlsConn> {
        self.conn.as_deref()
    }

    pub fn is_handshaking(&self) -> bool {
        self.state == State::Handshake
    }
}

fn ceil_ms(d: Duration) -> u64 {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 4);
    if d > Duration::from_millis(ms) {
        ms + 1
    } else {
        ms
    }
}

impl Context {
    // ------------------------------------------------------------ set-up

    /// The FFI layer's session-handle maker: DTLS callbacks need a
    /// session's C handle before the application ever saw the session.
    pub fn dtls_set_handle_maker(&mut self, maker: HandleMaker, ctx: usize) {
        self.dtls.handles = Some((maker, ctx));
    }

    /// coap_context_set_psk*(): replaces the PSK part of the server set-up.
    /// On failure (logged) the previous set-up stays.
    pub fn dtls_set_server_psk(&mut self, psk: PskMaker) -> Result<(), DtlsError> {
        let old = self.dtls.psk.replace(psk);
        self.dtls_rebuild_server().inspect_err(|_| self.dtls.psk = old)
    }

    /// coap_context_set_pki(): replaces the certificate part.
    pub fn dtls_set_server_pki(&mut self, pki: PkiMaker) -> Result<(), DtlsError> {
        let old = self.dtls.pki.replace(pki);
        self.dtls_rebuild_server().inspect_err(|_| self.dtls.pki = old)
    }

    /// coap_context_set_pki_root_cas(): trusted CAs for servers and for
    /// client sessions made afterwards.
    pub fn dtls_set_root_cas(&mut self, file: Option<PathBuf>, dir: Option<PathBuf>) -> Result<(), DtlsError> {
        if file.is_none() && dir.is_none() {
            return Err(DtlsError::log("root CAs: neither a file nor a directory given", None));
        }
        // Checked now, on a throw-away context, so errors show at set-up.
        let probe = DtlsContext::client_psk(crate::transport::dtls::PskClientConfig {
            identity: b"probe".to_vec(),
            key: b"probe".to_vec(),
            ..Default::default()
        })?;
        probe.add_root_cas(file.as_deref(), dir.as_deref())?;
        let old = (std::mem::replace(&mut self.dtls.root_ca_file, file), std::mem::replace(&mut self.dtls.root_ca_dir, dir));
        if self.dtls.psk.is_some() || self.dtls.pki.is_some() {
            if let Err(e) = self.dtls_rebuild_server() {
                (self.dtls.root_ca_file, self.dtls.root_ca_dir) = old;
                return Err(e);
            }
        }
        Ok(())
    }

    fn dtls_rebuild_server(&mut self) -> Result<(), DtlsError> {
        let mut pki = self.dtls.pki.as_ref().map(|m| m());
        if let Some(p) = pki.as_mut() {
            p.root_ca_file = p.root_ca_file.take().or_else(|| self.dtls.root_ca_file.clone());
            p.root_ca_dir = p.root_ca_dir.take().or_else(|| self.dtls.root_ca_dir.clone());
        }
        let cfg = ServerConfig { psk: self.dtls.psk.as_ref().map(|m| m()), pki };
        if cfg.psk.is_none() && cfg.pki.is_none() {
            return Ok(());
        }
        let mut ctx = DtlsContext::server(cfg)?;
        if let Some((initial, max)) = self.dtls.retransmit {
            ctx.set_retransmit(initial, max);
        }
        self.dtls.server = Some(ctx);
        Ok(())
    }

    /// The PSK hint a server sends (coap_session_get_psk_hint()).
    pub fn dtls_server_psk_hint(&self) -> Option<Vec<u8>> {
        self.dtls.psk.as_ref().map(|m| m().hint).filter(|h| !h.is_empty())
    }

    /// Server keys are set (coap_new_endpoint() with DTLS needs them).
    pub fn dtls_has_server_keys(&self) -> bool {
        self.dtls.server.is_some()
    }

    /// Completes a client PKI set-up with the context's root CAs.
    pub fn dtls_client_pki_config(&self, mut cfg: PkiConfig) -> PkiConfig {
        cfg.root_ca_file = cfg.root_ca_file.or_else(|| self.dtls.root_ca_file.clone());
        cfg.root_ca_dir = cfg.root_ca_dir.or_else(|| self.dtls.root_ca_dir.clone());
        cfg
    }

    /// A DTLS endpoint: a UDP socket whose datagrams are all DTLS records.
    pub fn new_dtls_endpoint(&mut self, local: Address) -> io::Result<Id> {
        let id = self.new_endpoint(local)?;
        if let Some(e) = self.endpoints.get_mut(id) {
            e.dtls = true;
        }
        Ok(id)
    }

    pub fn endpoint_is_dtls(&self, id: Id) -> bool {
        self.endpoints.get(id).is_some_and(|e| e.dtls)
    }

    /// Turns a new client session into a DTLS one and sends the ClientHello.
    pub fn start_dtls_client(&mut self, id: Id, mut ctx: DtlsContext) -> Result<(), DtlsError> {
        if let Some((initial, max)) = self.dtls.retransmit {
            ctx.set_retransmit(initial, max);
        }
        let tag = self.dtls_handle(id);
        let Some(s) = self.sessions.get(id) else { return Err(DtlsError::log("session is gone", None)) };
        let (route, remote, mtu) = (s.route, s.remote, s.mtu);
        if let Some(local) = self.local_addr(id) {
            ctx.set_label(format!("{local} <-> {remote} DTLS"));
        }
        let (conn, flight) = DtlsConn::client(&ctx, mtu.max(256), tag)?;
        let deadline = super::now() + self.dtls.handshake_timeout_ms;
        if let Some(s) = self.sessions.get_mut(id) {
            s.dtls = Some(Box::new(DtlsSession {
                _ctx: Some(ctx),
                conn: Some(Box::new(conn)),
                state: State::Handshake,
                queue: Vec::new(),
                armed: None,
                deadline,
                retries: 0,
            }));
        }
        for d in flight {
            if let Err(e) = self.transmit_raw(route, remote, &d) {
                log::warn!("DTLS: sending the ClientHello to {remote}: {e}");
            }
        }
        self.dtls_arm(id);
        Ok(())
    }

    /// The session's handle as the callbacks' tag (made now if needed).
    fn dtls_handle(&mut self, id: Id) -> u64 {
        let maker = self.dtls.handles;
        let Some(s) = self.sessions.get_mut(id) else { return 0 };
        if s.handle == 0 {
            if let Some((make, ctx)) = maker {
                s.handle = make(ctx, id);
            }
        }
        s.handle as u64
    }

    // ----------------------------------------------------------- sending

    /// The DTLS session behind a route and peer; `Some(None)` for a DTLS
    /// endpoint without a session for that peer; None when not DTLS.
    fn dtls_session_of(&self, route: Route, remote: &Address) -> Option<Option<Id>> {
        match route {
            Route::Socket(sock) => match self.sockets.get(sock).map(|s| &s.owner) {
                Some(Owner::Session(sid)) if self.sessions.get(*sid).is_some_and(|s| s.dtls.is_some()) => Some(Some(*sid)),
                _ => None,
            },
            Route::Endpoint(ep) => {
                let e = self.endpoints.get(ep)?;
                if !e.dtls {
                    return None;
                }
                Some(e.peers.get(remote).copied().filter(|sid| self.sessions.get(*sid).is_some_and(|s| s.dtls.is_some())))
            }
        }
    }

    /// The `transmit` hook: None when the route is not DTLS.
    pub(super) fn dtls_transmit(&mut self, route: Route, remote: Address, data: &[u8]) -> Option<io::Result<()>> {
        let sid = match self.dtls_session_of(route, &remote)? {
            Some(sid) => sid,
            None => {
                log::debug!("DTLS: no association with {remote}; {} bytes not sent", data.len());
                return Some(Err(io::ErrorKind::NotConnected.into()));
            }
        };
        // From here on the answer is Some: a DTLS route never sends plaintext.
        let Some(d) = self.sessions.get_mut(sid).and_then(|s| s.dtls.as_deref_mut()) else {
            return Some(Err(io::ErrorKind::NotConnected.into()));
        };
        let mut out = Vec::new();
        let result = match (d.state, d.conn.as_deref_mut()) {
            (State::Connected, Some(c)) => c.send(data, &mut out).map_err(io::Error::other),
            (State::Handshake, _) => {
                if !d.queue.iter().any(|q| q.as_slice() == data) {
                    d.queue.push(data.to_vec());
                }
                Ok(())
            }
            _ => Err(io::ErrorKind::NotConnected.into()),
        };
        for rec in out {
            if let Err(e) = self.transmit_raw(route, remote, &rec) {
                return Some(Err(e));
            }
        }
        Some(result)
    }

    // --------------------------------------------------------- receiving

    /// The `on_datagram` hook: true when the datagram was DTLS (handled).
    pub(super) fn dtls_receive(&mut self, owner: Result<Id, Id>, from: Address, ifindex: i32, data: &[u8]) -> bool {
        match owner {
            Ok(sid) => {
                if !self.sessions.get(sid).is_some_and(|s| s.dtls.is_some()) {
                    return false;
                }
                self.dtls_feed(sid, from, ifindex, data);
                true
            }
            Err(ep) => {
                let Some(e) = self.endpoints.get(ep) else { return false };
                if !e.dtls {
                    return false;
                }
                match e.peers.get(&from).copied() {
                    Some(sid) => match self.sessions.get(sid).and_then(|s| s.dtls.as_deref()).map(|d| d.state) {
                        Some(State::Handshake | State::Connected) => self.dtls_feed(sid, from, ifindex, data),
                        _ => {
                            // The old association ended; a new one may start
                            // once its session is gone.
                            let idle = self.sessions.get(sid).is_some_and(|s| s.refcount == 0);
                            if idle {
                                if let Some(h) = self.drop_session(sid) {
                                    self.freed.push(h);
                                }
                                self.dtls_listen(ep, from, ifindex, data);
                            } else {
                                log::debug!("DTLS: datagram for a closed association with {from} dropped");
                            }
                        }
                    },
                    None => self.dtls_listen(ep, from, ifindex, data),
                }
                true
            }
        }
    }

    fn dtls_listen(&mut self, ep: Id, from: Address, ifindex: i32, data: &[u8]) {
        let Some(local) = self.endpoints.get(ep).map(|e| e.local) else { return };
        let Some(server) = self.dtls.server.as_mut() else {
            log::warn!("DTLS: datagram on a DTLS endpoint, but no PSK or PKI is set up");
            return;
        };
        let peer = format!("{local}|{from}");
        match server.listen(peer.as_bytes(), data) {
            Listen::Drop => {}
            Listen::Reply(hvr) => {
                if let Err(e) = self.transmit_raw(Route::Endpoint(ep), from, &hvr) {
                    log::debug!("DTLS: HelloVerifyRequest to {from}: {e}");
                }
            }
            Listen::Accept(mut conn) => {
                let max = self.cfg.max_handshake_sessions as usize;
                if max > 0 {
                    // coap_context(3): past the limit the least recently
                    // active session still in handshake is removed, so a few
                    // stalled peers cannot lock everyone else out.
                    let busy: Vec<(u64, Id)> = self
                        .sessions
                        .iter()
                        .filter(|(_, s)| s.dtls.as_deref().is_some_and(|d| d.is_handshaking()))
                        .map(|(id, s)| (s.last_activity, id))
                        .collect();
                    if busy.len() >= max {
                        if let Some(&(_, oldest)) = busy.iter().min_by_key(|(t, _)| *t) {
                            log::info!("DTLS: {} handshakes running; the oldest makes room for {from}", busy.len());
                            self.dtls_close(oldest);
                            self.reap(oldest);
                        }
                    }
                }
                let sid = self.server_session(ep, from);
                let tag = self.dtls_handle(sid);
                conn.set_tag(tag);
                conn.set_label(format!("{local} <-> {from} DTLS"));
                let deadline = super::now() + self.dtls.handshake_timeout_ms;
                let Some(s) = self.sessions.get_mut(sid) else { return };
                if conn.set_mtu(s.mtu.max(256)).is_err() {
                    log::debug!("DTLS: keeping the default MTU for {from}");
                }
                let (mut out, mut app, mut events) = (Vec::new(), Vec::new(), Vec::new());
                conn.drive(&mut out, &mut app, &mut events);
                s.dtls = Some(Box::new(DtlsSession { _ctx: None, conn: Some(conn), state: State::Handshake, queue: Vec::new(), armed: None, deadline, retries: 0 }));
                self.dtls_after(sid, out, events);
                self.dtls_deliver(sid, from, ifindex, app);
            }
        }
    }

    fn dtls_feed(&mut self, sid: Id, from: Address, ifindex: i32, data: &[u8]) {
        let (mut out, mut app, mut events) = (Vec::new(), Vec::new(), Vec::new());
        let Some(c) = self.sessions.get_mut(sid).and_then(|s| s.dtls.as_deref_mut()).and_then(|d| d.conn.as_deref_mut()) else {
            return;
        };
        c.on_datagram(data, &mut out, &mut app, &mut events);
        self.dtls_after(sid, out, events);
        self.dtls_deliver(sid, from, ifindex, app);
    }

    fn dtls_deliver(&mut self, sid: Id, from: Address, ifindex: i32, app: Vec<Vec<u8>>) {
        for pt in app {
            if !self.sessions.contains(sid) {
                return;
            }
            self.on_coap_datagram(Ok(sid), from, ifindex, &pt);
        }
    }

    /// Sends what a DTLS call produced, turns its events into application
    /// events, and re-arms the session's DTLS timer.
    fn dtls_after(&mut self, sid: Id, out: Vec<Vec<u8>>, events: Vec<DtlsEvent>) {
        let Some(s) = self.sessions.get(sid) else { return };
        let (route, remote) = (s.route, s.remote);
        for rec in out {
            if let Err(e) = self.transmit_raw(route, remote, &rec) {
                log::debug!("DTLS: sending to {remote}: {e}");
            }
        }
        for e in events {
            match e {
                DtlsEvent::Connected => self.dtls_connected(sid, route, remote),
                DtlsEvent::Renegotiate => self.push_event(Event::Session { session: sid, event: event::DTLS_RENEGOTIATE }),
                DtlsEvent::Closed => self.dtls_down(sid, event::DTLS_CLOSED),
                DtlsEvent::Error(_) => self.dtls_down(sid, event::DTLS_ERROR),
            }
        }
        self.dtls_arm(sid);
    }

    fn dtls_connected(&mut self, sid: Id, route: Route, remote: Address) {
        let mut out = Vec::new();
        if let Some(d) = self.sessions.get_mut(sid).and_then(|s| s.dtls.as_deref_mut()) {
            d.state = State::Connected;
            let queue = std::mem::take(&mut d.queue);
            if let Some(c) = d.conn.as_deref_mut() {
                for q in queue {
                    if let Err(e) = c.send(&q, &mut out) {
                        log::warn!("DTLS: queued message not sent: {e}");
                    }
                }
            }
        }
        log::debug!("DTLS: session with {remote} connected");
        self.push_event(Event::Session { session: sid, event: event::DTLS_CONNECTED });
        for rec in out {
            if let Err(e) = self.transmit_raw(route, remote, &rec) {
                log::debug!("DTLS: sending to {remote}: {e}");
            }
        }
        // Messages the application sent during the handshake go now, their
        // retransmission timers starting from here.
        self.release_waiting(sid);
    }

    /// Whether a session's DTLS handshake is still running (its CoAP
    /// messages wait until it is done, as libcoap holds them).
    pub(super) fn dtls_handshaking(&self, sid: Id) -> bool {
        self.sessions.get(sid).and_then(|s| s.dtls.as_deref()).is_some_and(|d| d.state == State::Handshake)
    }

    /// The association ended (close_notify, error, timeout): frees the
    /// `SSL`, NACKs what was waiting, and tells the application. A server
    /// session nobody references is freed after the event is delivered.
    fn dtls_down(&mut self, sid: Id, what: u32) {
        let Some(s) = self.sessions.get_mut(sid) else { return };
        let Some(d) = s.dtls.as_deref_mut() else { return };
        if d.state == State::Done {
            return;
        }
        d.state = State::Done;
        d.queue.clear();
        d.conn = None;
        s.established = false;
        let server = s.role == super::Role::Server;
        self.push_event(Event::Session { session: sid, event: what });
        self.disconnect(sid, NACK_TLS_FAILED);
        if server {
            self.remove_observers_of(sid, None);
        }
    }

    // ------------------------------------------------------------ timers

    /// Keeps one DTLS timer entry at the earliest of OpenSSL's
    /// retransmission deadline and the handshake deadline.
    fn dtls_arm(&mut self, sid: Id) {
        let now = super::now();
        let Some(d) = self.sessions.get_mut(sid).and_then(|s| s.dtls.as_deref_mut()) else { return };
        let retransmit = d.conn.as_deref().and_then(|c| c.timeout()).map(|t| now + ceil_ms(t).max(1));
        let deadline = (d.state == State::Handshake).then_some(d.deadline);
        let due = match (retransmit, deadline) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(x) => x,
                None => return,
            },
        };
        if d.armed.is_some_and(|a| a <= due && a > now) {
            return;
        }
        d.armed = Some(due);
        self.push_timer(due, sid.index(), TimerKind::Dtls);
    }

    pub(super) fn dtls_timer(&mut self, sid: Id, now: u64) {
        let Some(s) = self.sessions.get_mut(sid) else { return };
        let max_retransmit = s.tx().max_retransmit;
        let Some(d) = s.dtls.as_deref_mut() else { return };
        d.armed = None;
        let (mut out, mut events) = (Vec::new(), Vec::new());
        if d.state == State::Handshake && now >= d.deadline {
            log::info!("DTLS: handshake not completed in {} ms; association dropped", self.dtls.handshake_timeout_ms);
            self.dtls_down(sid, event::DTLS_ERROR);
            return;
        }
        let handshaking = d.state == State::Handshake;
        if let Some(c) = d.conn.as_deref_mut() {
            if c.timeout().is_some() {
                if handshaking && d.retries >= max_retransmit {
                    log::info!("DTLS: no answer to the handshake after {} retransmissions", d.retries);
                    self.dtls_down(sid, event::DTLS_CLOSED);
                    return;
                }
                if handshaking {
                    d.retries += 1;
                }
                c.on_timeout(&mut out, &mut events);
            }
        }
        self.dtls_after(sid, out, events);
    }

    // ------------------------------------------------------------- close

    /// close_notify for a session about to be freed (the `drop_session` hook).
    pub(super) fn dtls_close(&mut self, sid: Id) {
        let Some(s) = self.sessions.get_mut(sid) else { return };
        let (route, remote) = (s.route, s.remote);
        let Some(d) = s.dtls.as_deref_mut() else { return };
        let mut out = Vec::new();
        if let Some(c) = d.conn.as_deref_mut() {
            c.close(&mut out);
        }
        d.state = State::Done;
        d.conn = None;
        for rec in out {
            let _ = self.transmit_raw(route, remote, &rec);
        }
    }

    /// Test hook: fast retransmission and handshake timeout.
    #[cfg(test)]
    pub fn dtls_set_timers(&mut self, initial: Duration, max: Duration, handshake_ms: u64) {
        self.dtls.retransmit = Some((initial, max));
        self.dtls.handshake_timeout_ms = handshake_ms;
        if let Some(s) = self.dtls.server.as_mut() {
            s.set_retransmit(initial, max);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::dtls::PskClientConfig;
    use std::net::UdpSocket;

    fn server() -> (Context, std::net::SocketAddr) {
        let mut ctx = Context::new().unwrap();
        ctx.dtls_set_server_psk(Box::new(|| PskServerConfig { key: b"secret".to_vec(), ..Default::default() })).unwrap();
        ctx.dtls_set_timers(Duration::from_millis(50), Duration::from_millis(100), 400);
        let local = Address::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 0));
        let ep = ctx.new_dtls_endpoint(local).unwrap();
        let Address::V4(a) = ctx.endpoint(ep).unwrap().local else { panic!() };
        (ctx, std::net::SocketAddr::V4(a))
    }

    fn client_flight() -> (DtlsConn, Vec<Vec<u8>>, DtlsContext) {
        let cctx = DtlsContext::client_psk(PskClientConfig { identity: b"me".to_vec(), key: b"secret".to_vec(), ..Default::default() }).unwrap();
        let (c, hello) = DtlsConn::client(&cctx, 1152, 0).unwrap();
        (c, hello, cctx)
    }

    /// Delivers every event as the FFI layer does (no callbacks).
    fn deliver(ctx: &mut Context) -> Vec<u32> {
        let mut seen = Vec::new();
        while let Some(e) = ctx.next_event() {
            let sid = e.session();
            if let Event::Session { event, .. } = e {
                seen.push(event);
            }
            ctx.finish_event(sid);
        }
        seen
    }

    fn run(ctx: &mut Context, ms: u64) -> Vec<u32> {
        let end = std::time::Instant::now() + Duration::from_millis(ms);
        let mut seen = Vec::new();
        while std::time::Instant::now() < end {
            ctx.process(Some(Duration::from_millis(5))).unwrap();
            seen.extend(deliver(ctx));
        }
        seen
    }

    fn recv_all(sock: &UdpSocket) -> Vec<Vec<u8>> {
        sock.set_nonblocking(true).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        while let Ok(n) = sock.recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
        got
    }

    /// ClientHellos without a valid cookie, from many sockets: answered
    /// with HelloVerifyRequests, and no session or SSL is made for them.
    #[test]
    fn client_hello_flood_makes_no_sessions() {
        let (mut ctx, addr) = server();
        let (_c, hello, _cctx) = client_flight();
        let socks: Vec<UdpSocket> = (0..50).map(|_| UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
        for s in &socks {
            s.send_to(&hello[0], addr).unwrap();
            s.send_to(&[0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], addr).unwrap();
        }
        run(&mut ctx, 150);
        assert_eq!(ctx.sessions.len(), 0);
        assert_eq!(ctx.dtls.server.as_ref().unwrap().ssl_objects_created(), 1);
        let answered = socks.iter().filter(|s| !recv_all(s).is_empty()).count();
        assert_eq!(answered, 50, "every ClientHello gets a HelloVerifyRequest");
    }

    /// A peer that echoes the cookie and then goes silent: the server's
    /// flight is retransmitted from the timer heap, and the half-open
    /// session is freed at the handshake deadline with DTLS_ERROR.
    #[test]
    fn silent_peer_is_retransmitted_to_then_dropped() {
        let (mut ctx, addr) = server();
        let (mut c, hello, _cctx) = client_flight();
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.send_to(&hello[0], addr).unwrap();
        run(&mut ctx, 30);
        let hvr = recv_all(&sock);
        assert_eq!(hvr.len(), 1);
        let (mut out, mut app, mut ev) = (vec![], vec![], vec![]);
        c.on_datagram(&hvr[0], &mut out, &mut app, &mut ev);
        for d in &out {
            sock.send_to(d, addr).unwrap();
        }
        let seen = run(&mut ctx, 30);
        assert!(seen.contains(&super::super::event::SERVER_SESSION_NEW));
        assert_eq!(ctx.sessions.len(), 1);
        let first = recv_all(&sock);
        assert!(!first.is_empty(), "ServerHello flight");
        let seen = run(&mut ctx, 200);
        let again = recv_all(&sock);
        assert!(again.len() >= first.len(), "flight retransmitted ({} datagrams)", again.len());
        assert!(!seen.contains(&event::DTLS_ERROR));
        let seen = run(&mut ctx, 400);
        assert!(seen.contains(&event::DTLS_ERROR), "handshake timeout: {seen:?}");
        assert_eq!(ctx.sessions.len(), 0, "the half-open session is freed");
        assert!(ctx.timers.len() < 10, "no timer build-up: {}", ctx.timers.len());
    }
}
