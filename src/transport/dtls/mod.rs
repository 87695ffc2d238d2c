//! Sans-IO DTLS 1.2 over OpenSSL, the way libcoap's OpenSSL build does it.
//!
//! No sockets and no clocks here: datagrams go in and come out as byte
//! vectors, and the caller's timer heap drives retransmission through
//! [`DtlsConn::timeout`] / [`DtlsConn::on_timeout`] (OpenSSL keeps the
//! deadline itself, read from its own clock). Nothing ever blocks.
//!
//! # Server side
//! ```text
//! let mut ctx = DtlsContext::server(ServerConfig { psk: Some(..), pki: None })?; // or server_psk / server_pki
//! // for every datagram from a peer that has no DtlsConn yet:
//! match ctx.listen(&peer_bytes, datagram) {
//!     Listen::Reply(hvr) => send hvr to the peer,       // nothing kept
//!     Listen::Drop => {}                                 // nothing kept
//!     Listen::Accept(mut conn) => {                      // cookie was valid
//!         conn.set_tag(session_handle);                  // before callbacks can run
//!         conn.drive(&mut out, &mut app, &mut events);   // ServerHello… flight
//!     }
//! }
//! ```
//! `listen` keeps **no per-peer state**: the ClientHello is answered by
//! `DTLSv1_listen` on one reusable listener `SSL` owned by the context, with
//! a stateless cookie = HMAC-SHA256(per-context random secret, `peer`). Only a
//! ClientHello echoing a valid cookie turns that listener into a
//! [`DtlsConn`] (and the context makes a fresh listener next time).
//! `peer` is opaque: pass the bytes that identify the flow (libcoap mixes the
//! local and the remote address).
//!
//! # Client side
//! ```text
//! let ctx = DtlsContext::client_psk(PskClientConfig { .. })?;   // or client_pki
//! let (mut conn, first_flight) = DtlsConn::client(&ctx, 1152, session_handle)?;
//! ```
//!
//! # Connections
//! Feed every datagram from the peer to [`DtlsConn::on_datagram`]; it appends
//! records to send to `out`, decrypted application datagrams to `app` and
//! [`DtlsEvent`]s to `events`. [`DtlsConn::send`] encrypts one application
//! datagram (only once connected). After any call, re-arm the timer from
//! [`DtlsConn::timeout`] (None: no timer). [`DtlsConn::close`] emits
//! close_notify. `Error` and `Closed` are final: the connection ignores further
//! input, and the caller drops it.
//!
//! # Callbacks, tags and threads
//! Application callbacks (PSK identity / hint / SNI, PKI CN / SNI) are
//! `Fn + Send + Sync` because the `openssl` crate stores them in the
//! `SSL_CTX`; the engine owns a context from one thread, so a wrapper around a
//! C function pointer and its `void *arg` may `unsafe impl Send + Sync`.
//! Every per-session callback receives the connection's **tag** (a `u64` the
//! caller picks: e.g. the `coap_session_t *` as an integer), stored in the
//! `SSL`'s ex_data next to the peer bytes and the PSK identity / hint / key in
//! use. Callbacks never unwind into OpenSSL: each body runs under
//! `catch_unwind` and a panic counts as "reject".
//!
//! # PSK selection
//! Server: the key for a client identity is `id_callback(tag, identity)` if
//! set (None → `unknown_psk_identity` alert); else the key the SNI callback
//! chose for this handshake; else the configured key. The hint sent is the
//! SNI answer's hint, else the configured one (none when empty). Client: with
//! a `hint_callback`, it is called with the server's hint (empty if none) and
//! picks identity and key; else the configured pair is used. A *wrong key*
//! cannot be told apart from loss in DTLS (records that fail to authenticate
//! are dropped silently), so it ends by retransmission timeout on both sides.
//!
//! # libcoap facts followed
//! `DTLS_method()` with minimum version DTLS 1.2; PSK cipher list
//! `"PSK:!NULL"`, certificate cipher list `"TLSv1.2:!NULL"`;
//! `SSL_OP_NO_QUERY_MTU` with an explicit MTU (the UDP payload size, at least
//! 256); `SSL_OP_NO_RENEGOTIATION`; cookie HMAC-SHA256 with a random 32-byte
//! secret; the server chooses PSK or certificates from the ciphers the client
//! offers; SNI answers are cached per name (the callback runs once per name);
//! the certificate checks and overrides of libcoap's `tls_verify_call_back`.
//! (`allow_bad_md_hash` / `allow_short_rsa_length` lower OpenSSL's security
//! level to 0.)
//!
//! # MTU and memory
//! The MTU passed to [`DtlsConn::client`] / [`DtlsContext::set_default_mtu`]
//! is the largest UDP payload; OpenSSL fragments handshake messages to it and
//! packs several records into one datagram. OpenSSL 3.0 underestimates AEAD
//! overhead when a packed flight ends in the encrypted Finished, so such a
//! datagram can exceed the MTU by a few bytes (tests allow 32). A connected
//! association holds about 70 KB of heap (OpenSSL's record buffers, measured
//! with OpenSSL 3.0 by the ignored test `memory_per_connection`). The server
//! `SSL_CTX` keeps OpenSSL's default session cache (completed handshakes only).
//!
//! # Timers
//! By default OpenSSL's own DTLS timer runs (1 s, doubling to 60 s, giving up
//! after 12 expiries → `DtlsEvent::Error`). [`DtlsContext::set_retransmit`]
//! replaces the schedule (`DTLS_set_timer_cb`) — tests use it for speed.
use openssl::error::ErrorStack;
use openssl::ssl::Ssl;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

mod conn;
mod context;
mod pki;
mod sys;
#[cfg(test)]
mod tests;

pub use conn::DtlsConn;
pub use context::{DtlsContext, Listen, MIN_RETRANSMIT};

/// Default MTU (libcoap's COAP_DEFAULT_MTU): the largest datagram written.
pub const DEFAULT_MTU: usize = 1152;

/// A failure to set something up, already logged with `log::warn!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsError(pub String);

impl std::fmt::Display for DtlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DtlsError {}

impl DtlsError {
    /// Logs `what` at warn level (with OpenSSL's reason, if any) and wraps it.
    pub(crate) fn log(what: impl std::fmt::Display, cause: Option<&dyn std::fmt::Display>) -> DtlsError {
        let msg = match cause {
            Some(c) => format!("DTLS: {what}: {c}"),
            None => format!("DTLS: {what}"),
        };
        log::warn!("{msg}");
        DtlsError(msg)
    }

    pub(crate) fn ssl(what: impl std::fmt::Display, e: ErrorStack) -> DtlsError {
        DtlsError::log(what, Some(&e))
    }
}

/// What a connection reports besides data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtlsEvent {
    /// The handshake completed; `send` works from now on.
    Connected,
    /// The peer sent close_notify (or we closed).
    Closed,
    /// A fatal error: failed handshake, fatal alert, retransmissions given up.
    Error(String),
    /// The peer asked for a renegotiation; it was refused (as libcoap does).
    /// OpenSSL 3.0 refuses with a fatal alert, so an `Error` follows.
    Renegotiate,
}

/// Key / hint chosen for one server session (coap_dtls_spsk_info_t).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PskServerInfo {
    pub hint: Vec<u8>,
    pub key: Vec<u8>,
}

/// Identity / key chosen by a client (coap_dtls_cpsk_info_t).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PskClientInfo {
    pub identity: Vec<u8>,
    pub key: Vec<u8>,
}

/// `(tag, identity) -> key`, None rejects the identity.
pub type PskIdCallback = Box<dyn Fn(u64, &[u8]) -> Option<Vec<u8>> + Send + Sync>;
/// `(tag, sni) -> hint and key for that name`, None rejects the name.
pub type PskSniCallback = Box<dyn Fn(u64, &str) -> Option<PskServerInfo> + Send + Sync>;
/// `(tag, server hint) -> identity and key`, None rejects the hint.
pub type PskHintCallback = Box<dyn Fn(u64, &[u8]) -> Option<PskClientInfo> + Send + Sync>;
/// `(tag, cn, DER certificate, depth, validated) -> accept`.
pub type CnCallback = Box<dyn Fn(u64, &str, &[u8], u32, bool) -> bool + Send + Sync>;
/// `(sni) -> certificates for that name`, None rejects the name.
pub type PkiSniCallback = Box<dyn Fn(&str) -> Option<PkiKeys> + Send + Sync>;

/// coap_dtls_spsk_t.
#[derive(Default)]
pub struct PskServerConfig {
    /// Identity hint sent in ServerKeyExchange (empty: none). No NUL bytes.
    pub hint: Vec<u8>,
    pub key: Vec<u8>,
    pub id_callback: Option<PskIdCallback>,
    pub sni_callback: Option<PskSniCallback>,
}

/// coap_dtls_cpsk_t.
#[derive(Default)]
pub struct PskClientConfig {
    /// No NUL bytes (OpenSSL passes identities as C strings).
    pub identity: Vec<u8>,
    pub key: Vec<u8>,
    pub sni: Option<String>,
    /// Called with the server's hint (empty if none) whenever set.
    pub hint_callback: Option<PskHintCallback>,
}

/// Where a certificate, private key or CA certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    PemFile(PathBuf),
    PemBuf(Vec<u8>),
    /// DER; for a private key, the type is detected.
    Asn1(Vec<u8>),
}

/// coap_dtls_key_t: own certificate (PEM may carry a chain after it), its
/// private key and the CA that signed it (trusted, and sent as acceptable
/// client CA by servers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PkiKeys {
    pub cert: Option<KeyMaterial>,
    pub key: Option<KeyMaterial>,
    pub ca: Option<KeyMaterial>,
}

/// coap_dtls_pki_t (is_rpk_not_cert: OpenSSL has no RPK, as in libcoap).
#[derive(Default)]
pub struct PkiConfig {
    pub keys: PkiKeys,
    pub verify_peer_cert: bool,
    pub check_common_ca: bool,
    pub allow_self_signed: bool,
    pub allow_expired_certs: bool,
    pub cert_chain_validation: bool,
    pub cert_chain_verify_depth: u8,
    pub check_cert_revocation: bool,
    pub allow_no_crl: bool,
    pub allow_expired_crl: bool,
    pub allow_bad_md_hash: bool,
    pub allow_short_rsa_length: bool,
    /// Client: SNI to send.
    pub sni: Option<String>,
    pub cn_callback: Option<CnCallback>,
    /// Server: certificates per requested name.
    pub sni_callback: Option<PkiSniCallback>,
    /// coap_context_set_pki_root_cas().
    pub root_ca_file: Option<PathBuf>,
    pub root_ca_dir: Option<PathBuf>,
}

/// A server may offer PSK, certificates or both (chosen per ClientHello).
#[derive(Default)]
pub struct ServerConfig {
    pub psk: Option<PskServerConfig>,
    pub pki: Option<PkiConfig>,
}

/// Per-`SSL` state, in the `SSL`'s ex_data so OpenSSL callbacks find it.
#[derive(Default)]
pub(crate) struct ConnData {
    pub tag: u64,
    /// Opaque peer bytes the cookie is computed over.
    pub peer: Vec<u8>,
    pub psk_identity: Option<Vec<u8>>,
    pub psk_hint: Option<Vec<u8>>,
    pub psk_key: Option<Vec<u8>>,
    /// Server: PSK info chosen by the SNI callback for this handshake.
    pub sni_psk: Option<PskServerInfo>,
    /// Retransmission schedule: (initial, max) microseconds; 0 = OpenSSL's.
    pub timer: (u32, u32),
    /// Set by the info callback.
    pub renegotiate: bool,
    pub alert: Option<String>,
    /// How log lines name the connection (the session's text).
    pub label: String,
}

/// The ex_data slot of [`ConnData`], created once per process.
pub(crate) fn conn_index() -> Result<openssl::ex_data::Index<Ssl, ConnData>, DtlsError> {
    static IDX: OnceLock<Result<openssl::ex_data::Index<Ssl, ConnData>, String>> = OnceLock::new();
    IDX.get_or_init(|| Ssl::new_ex_index::<ConnData>().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| DtlsError::log("cannot allocate an SSL ex_data index", Some(&e)))
}

/// Runs an OpenSSL callback body; a panic is logged and turns into `fail()`.
pub(crate) fn guard<R>(what: &str, fail: impl FnOnce() -> R, f: impl FnOnce() -> R) -> R {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            log::error!("DTLS: panic in the {what} callback; treated as a rejection");
            fail()
        }
    }
}

/// Caches the answer of an SNI callback per name (libcoap calls it once per name).
pub(crate) struct SniCache<T>(Mutex<Vec<(String, Option<Arc<T>>)>>);

impl<T> SniCache<T> {
    pub fn new() -> Self {
        SniCache(Mutex::new(Vec::new()))
    }

    pub fn get_or(&self, name: &str, make: impl FnOnce() -> Option<T>) -> Option<Arc<T>> {
        let mut list = match self.0.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        if let Some((_, v)) = list.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return v.clone();
        }
        let v = make().map(Arc::new);
        list.push((name.to_owned(), v.clone()));
        v
    }
}

/// The schedule for [`DtlsContext::set_retransmit`].
pub(crate) fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX).max(1)
}
