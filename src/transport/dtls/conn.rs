//! One DTLS association: handshake, records in and out, timers, close.
use super::context::DtlsContext;
use super::{conn_index, sys, ConnData, DtlsError, DtlsEvent};
use openssl::ssl::{ErrorCode, SslRef, SslStream};
use std::io::{self, Read, Write};
use std::time::Duration;

/// The in-memory "socket" under an `SSL`: at most one received datagram
/// waiting to be read, and every record OpenSSL writes kept as its own
/// datagram (OpenSSL writes one datagram per BIO write).
#[derive(Default)]
pub struct Dgram {
    /// The last datagram fed; its buffer is kept for the next one.
    inbox: Vec<u8>,
    /// `inbox` holds a datagram OpenSSL has not read yet.
    unread: bool,
    pub(crate) outbox: Vec<Vec<u8>>,
}

impl Dgram {
    pub(crate) fn feed(&mut self, data: &[u8]) {
        self.inbox.clear();
        self.inbox.extend_from_slice(data);
        self.unread = true;
        self.outbox.clear();
    }

    /// Forgets a datagram OpenSSL left unread.
    pub(crate) fn consume(&mut self) {
        self.unread = false;
    }

    /// A datagram is waiting for OpenSSL to read it.
    fn has_unread(&self) -> bool {
        self.unread
    }

    /// Length of the last datagram fed (read or not).
    fn last_len(&self) -> usize {
        self.inbox.len()
    }
}

impl Read for Dgram {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !std::mem::take(&mut self.unread) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = self.inbox.len().min(buf.len());
        buf[..n].copy_from_slice(&self.inbox[..n]);
        Ok(n)
    }
}

impl Write for Dgram {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbox.push(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `&mut SslRef` of a stream (the crate only hands out `&SslRef`).
pub(crate) fn ssl_mut(s: &mut SslStream<Dgram>) -> &mut SslRef {
    // SAFETY: the stream owns a live SSL, and the exclusive borrow of the
    // stream keeps every other path to that SSL unused while this lives.
    unsafe { sys::ssl_ref_mut(sys::ssl_ptr(s.ssl())) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshake,
    Connected,
    Closed,
    Failed,
}

/// One DTLS association (client or server side).
pub struct DtlsConn {
    stream: SslStream<Dgram>,
    state: State,
}

impl std::fmt::Debug for DtlsConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtlsConn").field("state", &self.state).finish()
    }
}

/// OpenSSL's SSL_R_NO_RENEGOTIATION: a ClientHello on a connected association.
const SSL_R_NO_RENEGOTIATION: std::ffi::c_int = 339;

fn refused_renegotiation(e: &openssl::ssl::Error) -> bool {
    e.ssl_error().is_some_and(|s| s.errors().iter().any(|r| r.reason_code() == SSL_R_NO_RENEGOTIATION))
}

/// Largest plaintext one DTLS record carries.
const MAX_PLAINTEXT: usize = 16384;

impl DtlsConn {
    pub(crate) fn accepted(stream: SslStream<Dgram>) -> DtlsConn {
        DtlsConn { stream, state: State::Handshake }
    }

    /// Starts a client handshake; returns the connection and its first
    /// flight (the ClientHello). `mtu` is the largest datagram (UDP payload)
    /// to write, at least 256; `tag` is handed to the callbacks.
    pub fn client(ctx: &DtlsContext, mtu: usize, tag: u64) -> Result<(DtlsConn, Vec<Vec<u8>>), DtlsError> {
        if ctx.is_server() {
            return Err(DtlsError::log("a client connection needs a client context", None));
        }
        let stream = ctx.new_stream(tag, false, mtu)?;
        let mut conn = DtlsConn { stream, state: State::Handshake };
        let (mut out, mut app, mut events) = (Vec::new(), Vec::new(), Vec::new());
        conn.drive(&mut out, &mut app, &mut events);
        if let Some(DtlsEvent::Error(e)) = events.into_iter().find(|e| matches!(e, DtlsEvent::Error(_))) {
            return Err(DtlsError(e));
        }
        Ok((conn, out))
    }

    /// Advances the connection without new input: after `Listen::Accept`
    /// this answers the ClientHello with the server's flight.
    pub fn drive(&mut self, out: &mut Vec<Vec<u8>>, app: &mut Vec<Vec<u8>>, events: &mut Vec<DtlsEvent>) {
        self.pump(out, app, events);
    }

    /// Handles one datagram from the peer.
    pub fn on_datagram(
        &mut self,
        data: &[u8],
        out: &mut Vec<Vec<u8>>,
        app: &mut Vec<Vec<u8>>,
        events: &mut Vec<DtlsEvent>,
    ) {
        if matches!(self.state, State::Closed | State::Failed) {
            log::debug!("DTLS: {} bytes for a finished connection ignored", data.len());
            return;
        }
        if data.is_empty() {
            // A zero-length read would look like EOF to OpenSSL.
            return;
        }
        self.stream.get_mut().feed(data);
        self.pump(out, app, events);
        self.stream.get_mut().consume();
    }

    fn data(&self) -> Option<&ConnData> {
        self.stream.ssl().ex_data(conn_index().ok()?)
    }

    fn data_mut(&mut self) -> Option<&mut ConnData> {
        let idx = conn_index().ok()?;
        ssl_mut(&mut self.stream).ex_data_mut(idx)
    }

    fn fail(&mut self, what: &str, err: &dyn std::fmt::Display, events: &mut Vec<DtlsEvent>) {
        let alert = self.data_mut().and_then(|d| d.alert.take());
        let msg = match alert {
            Some(a) => format!("DTLS {what} failed ({a}): {err}"),
            None => format!("DTLS {what} failed: {err}"),
        };
        log::warn!("{msg}");
        self.state = State::Failed;
        events.push(DtlsEvent::Error(msg));
    }

    fn pump(&mut self, out: &mut Vec<Vec<u8>>, app: &mut Vec<Vec<u8>>, events: &mut Vec<DtlsEvent>) {
        // Once connected, every record read comes from the datagram just
        // fed, and a record's plaintext is never longer than the datagram
        // that carried it: a buffer of that size takes a whole record (a
        // shorter one would split a CoAP message). Records OpenSSL kept
        // from earlier datagrams (application data that overtook the
        // handshake's end) get a full-size buffer.
        let cap = match (self.state, self.stream.get_ref().last_len()) {
            (State::Connected, n) if n > 0 => n.min(MAX_PLAINTEXT),
            _ => MAX_PLAINTEXT,
        };
        let was_connected = self.state == State::Connected;
        if self.state == State::Handshake {
            match self.stream.do_handshake() {
                Ok(()) => {
                    self.state = State::Connected;
                    log::debug!(
                        "DTLS: handshake done ({}, {})",
                        self.stream.ssl().version_str(),
                        self.stream.ssl().current_cipher().map_or("no cipher", |c| c.name())
                    );
                    events.push(DtlsEvent::Connected);
                }
                Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => {}
                Err(e) if e.code() == ErrorCode::ZERO_RETURN => {
                    self.state = State::Closed;
                    events.push(DtlsEvent::Closed);
                }
                Err(e) => self.fail("handshake", &e, events),
            }
        }
        if self.state == State::Connected {
            loop {
                let mut pt: Vec<u8> = Vec::with_capacity(cap);
                match self.stream.ssl_read_uninit(pt.spare_capacity_mut()) {
                    Ok(n) => {
                        // SAFETY: SSL_read_ex initialised the first `n`
                        // bytes of the spare capacity and n <= its length.
                        unsafe { pt.set_len(n) };
                        app.push(pt);
                        // The datagram is taken and OpenSSL holds no other
                        // record: a further SSL_read would only fail with
                        // WANT_READ, which costs about as much as a record.
                        // SAFETY: valid SSL; SSL_has_pending only reads it.
                        if was_connected
                            && !self.stream.get_ref().has_unread()
                            && unsafe { sys::SSL_has_pending(sys::ssl_ptr(self.stream.ssl())) } == 0
                        {
                            break;
                        }
                    }
                    Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => break,
                    Err(e) if e.code() == ErrorCode::ZERO_RETURN => {
                        log::debug!("DTLS: peer sent close_notify");
                        // Answered with ours (RFC 5246 7.2.1), as libcoap does.
                        if let Err(e) = self.stream.shutdown() {
                            log::debug!("DTLS: SSL_shutdown after close_notify: {e}");
                        }
                        self.state = State::Closed;
                        events.push(DtlsEvent::Closed);
                        break;
                    }
                    Err(e) => {
                        if refused_renegotiation(&e) {
                            log::info!("DTLS: peer asked to renegotiate; refused (fatal in DTLS)");
                            events.push(DtlsEvent::Renegotiate);
                        }
                        self.fail("read", &e, events);
                        break;
                    }
                }
            }
        }
        if let Some(d) = self.data_mut() {
            if std::mem::take(&mut d.renegotiate) {
                log::info!("DTLS: peer asked to renegotiate; refused");
                events.push(DtlsEvent::Renegotiate);
            }
        }
        out.append(&mut self.stream.get_mut().outbox);
    }

    /// Encrypts one application datagram (only when connected).
    pub fn send(&mut self, plaintext: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), DtlsError> {
        if self.state != State::Connected {
            return Err(DtlsError::log("send before the handshake completed (or after close)", None));
        }
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(DtlsError::log(format_args!("cannot send {} bytes in one record", plaintext.len()), None));
        }
        let r = self.stream.ssl_write(plaintext);
        out.append(&mut self.stream.get_mut().outbox);
        match r {
            Ok(n) if n == plaintext.len() => Ok(()),
            Ok(n) => Err(DtlsError::log(format_args!("SSL_write wrote {n} of {} bytes", plaintext.len()), None)),
            Err(e) => Err(DtlsError::log("SSL_write", Some(&e))),
        }
    }

    /// Time until [`DtlsConn::on_timeout`] is due (`DTLSv1_get_timeout`);
    /// None when no retransmission timer runs.
    pub fn timeout(&self) -> Option<Duration> {
        if matches!(self.state, State::Closed | State::Failed) {
            return None;
        }
        let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
        // SAFETY: valid SSL; DTLS_CTRL_GET_TIMEOUT writes one struct timeval.
        let rc = unsafe {
            openssl_sys::SSL_ctrl(
                sys::ssl_ptr(self.stream.ssl()),
                sys::DTLS_CTRL_GET_TIMEOUT,
                0,
                (&mut tv as *mut libc::timeval).cast(),
            )
        };
        if rc <= 0 {
            return None;
        }
        let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
        let micros = u32::try_from(tv.tv_usec).unwrap_or(0).min(999_999);
        Some(Duration::new(secs, micros * 1000))
    }

    /// The retransmission timer fired: resend the last flight
    /// (`DTLSv1_handle_timeout`). Too many expiries end the handshake with
    /// `DtlsEvent::Error`. Calling early is harmless (nothing happens).
    pub fn on_timeout(&mut self, out: &mut Vec<Vec<u8>>, events: &mut Vec<DtlsEvent>) {
        if matches!(self.state, State::Closed | State::Failed) {
            return;
        }
        self.stream.get_mut().outbox.clear();
        // SAFETY: valid SSL; DTLS_CTRL_HANDLE_TIMEOUT takes no argument.
        let rc = unsafe {
            openssl_sys::SSL_ctrl(sys::ssl_ptr(self.stream.ssl()), sys::DTLS_CTRL_HANDLE_TIMEOUT, 0, std::ptr::null_mut())
        };
        if rc < 0 {
            let e = openssl::error::ErrorStack::get();
            let why = if e.errors().is_empty() { "retransmissions exhausted".to_owned() } else { e.to_string() };
            self.fail("handshake timeout", &why, events);
        }
        out.append(&mut self.stream.get_mut().outbox);
    }

    /// Sends close_notify; the connection is finished afterwards.
    pub fn close(&mut self, out: &mut Vec<Vec<u8>>) {
        if matches!(self.state, State::Handshake | State::Connected) {
            if let Err(e) = self.stream.shutdown() {
                if e.code() != ErrorCode::WANT_READ {
                    log::debug!("DTLS: SSL_shutdown: {e}");
                }
            }
            out.append(&mut self.stream.get_mut().outbox);
        }
        self.state = State::Closed;
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// The live `SSL *` (what coap_session_get_tls() returns). Valid as long
    /// as this connection lives.
    pub fn ssl_ptr(&self) -> *mut openssl_sys::SSL {
        sys::ssl_ptr(self.stream.ssl())
    }

    /// PSK identity used (client) or received (server).
    pub fn psk_identity(&self) -> Option<Vec<u8>> {
        self.data().and_then(|d| d.psk_identity.clone())
    }

    /// PSK hint the server sent (client side).
    pub fn psk_hint(&self) -> Option<Vec<u8>> {
        self.data().and_then(|d| d.psk_hint.clone())
    }

    /// PSK key in use.
    pub fn psk_key(&self) -> Option<Vec<u8>> {
        self.data().and_then(|d| d.psk_key.clone())
    }

    /// Peer bytes the cookie was computed over (server side).
    pub fn peer(&self) -> Vec<u8> {
        self.data().map(|d| d.peer.clone()).unwrap_or_default()
    }

    /// The value handed to callbacks for this connection.
    pub fn tag(&self) -> u64 {
        self.data().map_or(0, |d| d.tag)
    }

    /// How this connection's log lines name it.
    pub fn set_label(&mut self, label: String) {
        if let Some(d) = self.data_mut() {
            d.label = label;
        }
    }

    pub fn set_tag(&mut self, tag: u64) {
        if let Some(d) = self.data_mut() {
            d.tag = tag;
        }
    }

    /// Largest datagram (UDP payload) to write from now on; at least 256.
    pub fn set_mtu(&mut self, mtu: usize) -> Result<(), DtlsError> {
        let mtu = u32::try_from(mtu).unwrap_or(u32::MAX);
        ssl_mut(&mut self.stream).set_mtu(mtu).map_err(|e| DtlsError::ssl(format_args!("SSL_set_mtu({mtu})"), e))
    }
}
