//! `DtlsContext`: one `SSL_CTX` per role and configuration, the cookie
//! secret, and the stateless listener for new server flows.
use super::conn::{ssl_mut, Dgram, DtlsConn};
use super::pki::{configure_verify, LoadedKeys};
use super::{
    conn_index, guard, micros, sys, ConnData, DtlsError, PkiConfig, PskClientConfig, PskServerConfig,
    PskServerInfo, ServerConfig, SniCache, DEFAULT_MTU,
};
use openssl::error::ErrorStack;
use openssl::sha::Sha256;
use openssl::ssl::{
    ClientHelloResponse, Ssl, SslAlert, SslContext, SslContextBuilder, SslMethod, SslOptions, SslRef,
    SslStream, SslVersion,
};
use std::ffi::CString;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Shortest retransmission timer [`DtlsContext::set_retransmit`] accepts.
pub const MIN_RETRANSMIT: Duration = Duration::from_millis(20);

/// What to do with a datagram from a peer that has no connection yet.
pub enum Listen {
    /// The ClientHello carried a valid cookie: a connection now exists. Set
    /// its tag, then call [`DtlsConn::drive`] to send the server's flight.
    Accept(Box<DtlsConn>),
    /// Send this HelloVerifyRequest back to the peer; nothing was kept.
    Reply(Vec<u8>),
    /// Not a (valid) ClientHello: ignore it; nothing was kept.
    Drop,
}

/// Cipher lists libcoap's OpenSSL build uses.
const PSK_CIPHERS: &str = "PSK:!NULL";
const PKI_CIPHERS: &str = "TLSv1.2:!NULL";
const BOTH_CIPHERS: &str = "TLSv1.2:PSK:!NULL";

/// An `SSL_CTX` for DTLS 1.2 in one role. One thread owns it (not `Send`).
pub struct DtlsContext {
    pub(crate) ctx: SslContext,
    pub(crate) server: bool,
    pub(crate) client_sni: Option<String>,
    pub(crate) mtu: usize,
    /// (initial, max) retransmission timer in µs; (0, 0) = OpenSSL's.
    pub(crate) timer: (u32, u32),
    /// Server: the reusable listener `SSL` for cookie exchanges.
    listener: Option<SslStream<Dgram>>,
    /// Server: DTLSv1_listen writes the (unknown) peer here.
    bio_addr: *mut sys::BIO_ADDR,
    /// How many `SSL` objects this context has created (tests prove that a
    /// flood of cookie-less ClientHellos creates none).
    ssl_created: std::cell::Cell<usize>,
    /// Client: how log lines name the connections made from here.
    label: String,
    /// PSK client: the identity and key set up, which a connection reports
    /// until the handshake settles what it uses (as libcoap's getters do).
    client_psk: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for DtlsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DtlsContext").field("server", &self.server).field("mtu", &self.mtu).finish()
    }
}

impl Drop for DtlsContext {
    fn drop(&mut self) {
        if !self.bio_addr.is_null() {
            // SAFETY: allocated by BIO_ADDR_new in `server` and freed only here.
            unsafe { sys::BIO_ADDR_free(self.bio_addr) };
        }
    }
}

/// Info callback: records fatal alerts and refused renegotiations.
unsafe extern "C" fn info_callback(ssl: *const openssl_sys::SSL, where_: std::ffi::c_int, ret: std::ffi::c_int) {
    guard("info", || (), || {
        if ssl.is_null() {
            return;
        }
        let Ok(idx) = conn_index() else { return };
        // SAFETY: OpenSSL passes the live SSL it is working on; its ex_data
        // slot holds our ConnData, which nothing else borrows during the call.
        let ssl = unsafe { sys::ssl_ref_mut(ssl.cast_mut()) };
        let renegotiating = where_ & sys::SSL_CB_HANDSHAKE_START != 0 && ssl.is_init_finished();
        if where_ & sys::SSL_CB_LOOP != 0 && log::log_enabled!(log::Level::Debug) {
            // As libcoap logs each handshake step: "SSL_accept:SSLv3/TLS
            // write certificate request"; test harnesses wait for these.
            let role = if where_ & sys::SSL_ST_CONNECT != 0 {
                "SSL_connect"
            } else if where_ & sys::SSL_ST_ACCEPT != 0 {
                "SSL_accept"
            } else {
                "undefined"
            };
            let label = ssl.ex_data(idx).map_or("DTLS", |d| if d.label.is_empty() { "DTLS" } else { d.label.as_str() });
            log::debug!("*  {label}: {role}:{}", ssl.state_string_long());
        }
        let alert = if where_ & sys::SSL_CB_ALERT != 0 {
            // SAFETY: returns a pointer to a static string (or NULL), checked.
            let desc = unsafe {
                let p = openssl_sys::SSL_alert_desc_string_long(ret);
                if p.is_null() {
                    "unknown".to_owned()
                } else {
                    std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
                }
            };
            let dir = if where_ & sys::SSL_CB_READ != 0 { "received" } else { "sent" };
            let fatal = (ret >> 8) == sys::SSL3_AL_FATAL;
            // libcoap's line: "SSL3 alert read:warning:close notify".
            let label = ssl.ex_data(idx).map_or("DTLS", |d| if d.label.is_empty() { "DTLS" } else { d.label.as_str() });
            let line = format!(
                "*  {label}: SSL3 alert {}:{}:{desc}",
                if where_ & sys::SSL_CB_READ != 0 { "read" } else { "write" },
                if fatal { "fatal" } else { "warning" }
            );
            if fatal {
                log::warn!("{line}");
            } else {
                log::info!("{line}");
            }
            Some((fatal, ret & 0xff, format!("{dir} alert: {desc}")))
        } else {
            None
        };
        let Some(data) = ssl.ex_data_mut(idx) else { return };
        if renegotiating {
            data.renegotiate = true;
        }
        if let Some((fatal, code, text)) = alert {
            if code == 100 && where_ & sys::SSL_CB_WRITE != 0 {
                // no_renegotiation: we refused a renegotiation.
                data.renegotiate = true;
            }
            if fatal && code != sys::SSL3_AD_CLOSE_NOTIFY {
                data.alert.get_or_insert(text);
            }
        }
    })
}

/// Retransmission schedule from `DtlsContext::set_retransmit`.
pub(crate) unsafe extern "C" fn timer_callback(ssl: *mut openssl_sys::SSL, timer_us: std::ffi::c_uint) -> std::ffi::c_uint {
    guard("DTLS timer", || 1_000_000, || {
        let Ok(idx) = conn_index() else { return 1_000_000 };
        // SAFETY: OpenSSL passes the live SSL this timer belongs to; read only.
        let ssl = unsafe { sys::ssl_ref(ssl) };
        let (initial, max) = ssl.ex_data(idx).map_or((1_000_000, 60_000_000), |d| d.timer);
        if timer_us == 0 {
            initial
        } else {
            timer_us.saturating_mul(2).min(max)
        }
    })
}

fn base_builder() -> Result<SslContextBuilder, DtlsError> {
    let mut b = SslContext::builder(SslMethod::dtls()).map_err(|e| DtlsError::ssl("SSL_CTX_new(DTLS_method())", e))?;
    b.set_min_proto_version(Some(SslVersion::DTLS1_2))
        .map_err(|e| DtlsError::ssl("SSL_CTX_set_min_proto_version(DTLS1_2)", e))?;
    b.set_read_ahead(true);
    b.set_options(SslOptions::NO_QUERY_MTU | SslOptions::NO_RENEGOTIATION);
    // SAFETY: the builder owns a valid SSL_CTX; the callback is a plain
    // function that never unwinds.
    unsafe { sys::SSL_CTX_set_info_callback(b.as_ptr(), Some(info_callback)) };
    Ok(b)
}

fn cipher_list(b: &mut SslContextBuilder, list: &str) -> Result<(), DtlsError> {
    b.set_cipher_list(list).map_err(|e| DtlsError::ssl(format_args!("SSL_CTX_set_cipher_list({list})"), e))
}

/// A C string for an identity / hint; OpenSSL cannot carry NUL bytes.
pub(crate) fn c_string(what: &str, bytes: &[u8]) -> Result<CString, DtlsError> {
    CString::new(bytes).map_err(|_| DtlsError::log(format_args!("{what} contains a NUL byte, which OpenSSL cannot carry"), None))
}

/// The cookie key: HMAC-SHA256 (RFC 2104) with the inner and outer hash
/// states keyed once, so a cookie costs two SHA-256 runs over a few bytes
/// instead of an `EVP_DigestSignInit` (a provider fetch) per ClientHello.
/// OpenSSL asks for a cookie three times per handshake (generate, then
/// verify in `DTLSv1_listen` and again in the accepted handshake).
#[derive(Clone)]
pub(crate) struct CookieKey {
    inner: Sha256,
    outer: Sha256,
}

impl CookieKey {
    pub(crate) fn new(secret: &[u8; 32]) -> CookieKey {
        let (mut ipad, mut opad) = ([0x36u8; 64], [0x5cu8; 64]);
        for (i, k) in secret.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let (mut inner, mut outer) = (Sha256::new(), Sha256::new());
        inner.update(&ipad);
        outer.update(&opad);
        CookieKey { inner, outer }
    }

    /// HMAC-SHA256(secret, msg).
    pub(crate) fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        inner.update(msg);
        let mut outer = self.outer.clone();
        outer.update(&inner.finish());
        outer.finish()
    }
}

/// The cookie of this SSL: HMAC-SHA256(secret, peer bytes).
fn cookie(key: &CookieKey, ssl: &SslRef) -> [u8; 32] {
    let peer: &[u8] = match conn_index() {
        Ok(idx) => ssl.ex_data(idx).map_or(&[], |d| d.peer.as_slice()),
        Err(_) => &[],
    };
    key.mac(peer)
}

/// The host_name of a server_name extension, if well formed.
fn sni_from_hello(ssl: &SslRef) -> String {
    let mut out: *const u8 = std::ptr::null();
    let mut len: usize = 0;
    // SAFETY: valid SSL inside its ClientHello callback; OpenSSL sets `out`
    // to memory it owns for the duration of the callback, `len` bytes long.
    let ext = unsafe {
        if openssl_sys::SSL_client_hello_get0_ext(sys::ssl_ptr(ssl), sys::TLSEXT_TYPE_SERVER_NAME, &mut out, &mut len) != 1
            || out.is_null()
        {
            return String::new();
        }
        std::slice::from_raw_parts(out, len)
    };
    // list length (2), name type (1) = host_name (0), name length (2), name
    if ext.len() > 5
        && usize::from(u16::from_be_bytes([ext[0], ext[1]])) + 2 == ext.len()
        && ext[2] == 0
        && usize::from(u16::from_be_bytes([ext[3], ext[4]])) + 5 == ext.len()
    {
        String::from_utf8_lossy(&ext[5..]).into_owned()
    } else {
        String::new()
    }
}

fn offers_psk(ssl: &SslRef) -> bool {
    let Some(bytes) = ssl.client_hello_ciphers() else { return false };
    match ssl.bytes_to_cipher_list(bytes, ssl.client_hello_isv2()) {
        Ok(lists) => lists.suites.iter().any(|c| c.name().contains("PSK")),
        Err(_) => false,
    }
}

struct ServerShared {
    psk: Option<PskServerConfig>,
    psk_sni: SniCache<PskServerInfo>,
    pki_sni_cb: Option<super::PkiSniCallback>,
    pki_sni: SniCache<LoadedKeys>,
    has_pki: bool,
}

fn client_hello(sh: &ServerShared, ssl: &mut SslRef, alert: &mut SslAlert) -> Result<ClientHelloResponse, ErrorStack> {
    let idx = conn_index().map_err(|_| ErrorStack::get())?;
    let tag = ssl.ex_data(idx).map_or(0, |d| d.tag);
    let psk_requested = sh.psk.is_some() && (!sh.has_pki || offers_psk(ssl));
    if psk_requested {
        let Some(cb) = sh.psk.as_ref().and_then(|p| p.sni_callback.as_ref()) else {
            return Ok(ClientHelloResponse::SUCCESS);
        };
        let sni = sni_from_hello(ssl);
        let Some(info) = sh.psk_sni.get_or(&sni, || cb(tag, &sni)) else {
            log::warn!("DTLS: SNI '{sni}' rejected (PSK)");
            *alert = SslAlert::UNRECOGNIZED_NAME;
            return Err(ErrorStack::get());
        };
        if !info.hint.is_empty() {
            let hint = c_string("PSK hint", &info.hint).map_err(|_| ErrorStack::get())?;
            // SAFETY: valid SSL; OpenSSL copies the NUL-terminated hint.
            if unsafe { sys::SSL_use_psk_identity_hint(sys::ssl_ptr(ssl), hint.as_ptr()) } != 1 {
                log::warn!("DTLS: SSL_use_psk_identity_hint failed");
                *alert = SslAlert::INTERNAL_ERROR;
                return Err(ErrorStack::get());
            }
        }
        if let Some(d) = ssl.ex_data_mut(idx) {
            d.sni_psk = Some((*info).clone());
        }
        return Ok(ClientHelloResponse::SUCCESS);
    }
    if let Some(cb) = &sh.pki_sni_cb {
        let sni = sni_from_hello(ssl);
        let keys = sh.pki_sni.get_or(&sni, || cb(&sni).and_then(|k| LoadedKeys::load(&k, true).ok()));
        let Some(keys) = keys else {
            log::warn!("DTLS: SNI '{sni}' rejected (certificates)");
            *alert = SslAlert::UNRECOGNIZED_NAME;
            return Err(ErrorStack::get());
        };
        if keys.apply_ssl(ssl).is_err() {
            *alert = SslAlert::INTERNAL_ERROR;
            return Err(ErrorStack::get());
        }
    }
    Ok(ClientHelloResponse::SUCCESS)
}

fn server_psk(sh: &ServerShared, ssl: &mut SslRef, identity: Option<&[u8]>, out: &mut [u8]) -> Result<usize, ErrorStack> {
    let Some(cfg) = &sh.psk else { return Err(ErrorStack::get()) };
    let idx = conn_index().map_err(|_| ErrorStack::get())?;
    let identity = identity.unwrap_or(&[]);
    log::debug!("DTLS: got psk_identity: '{}'", String::from_utf8_lossy(identity));
    let (tag, sni_key) = ssl.ex_data(idx).map_or((0, None), |d| (d.tag, d.sni_psk.as_ref().map(|i| i.key.clone())));
    let key = match &cfg.id_callback {
        Some(cb) => cb(tag, identity),
        None => Some(sni_key.unwrap_or_else(|| cfg.key.clone())),
    };
    let Some(key) = key else {
        log::warn!("DTLS: PSK identity '{}' rejected", String::from_utf8_lossy(identity));
        return Err(ErrorStack::get());
    };
    if key.is_empty() || key.len() > out.len() {
        log::warn!("DTLS: PSK key of {} bytes unusable (1..={} allowed)", key.len(), out.len());
        return Err(ErrorStack::get());
    }
    out[..key.len()].copy_from_slice(&key);
    if let Some(d) = ssl.ex_data_mut(idx) {
        d.psk_identity = Some(identity.to_vec());
        d.psk_key = Some(key.clone());
    }
    Ok(key.len())
}

fn client_psk(
    cfg: &PskClientConfig,
    ssl: &mut SslRef,
    hint: Option<&[u8]>,
    identity_out: &mut [u8],
    psk_out: &mut [u8],
) -> Result<usize, ErrorStack> {
    let idx = conn_index().map_err(|_| ErrorStack::get())?;
    let hint = hint.unwrap_or(&[]);
    log::debug!("DTLS: got psk_identity_hint: '{}'", String::from_utf8_lossy(hint));
    let tag = ssl.ex_data(idx).map_or(0, |d| d.tag);
    let (identity, key) = match &cfg.hint_callback {
        Some(cb) => match cb(tag, hint) {
            Some(info) => (info.identity, info.key),
            None => {
                log::warn!("DTLS: PSK hint '{}' rejected", String::from_utf8_lossy(hint));
                return Err(ErrorStack::get());
            }
        },
        None => (cfg.identity.clone(), cfg.key.clone()),
    };
    // The identity goes out NUL-terminated.
    if identity.len() >= identity_out.len() || identity.contains(&0) || key.is_empty() || key.len() > psk_out.len() {
        log::warn!("DTLS: PSK identity ({} bytes) or key ({} bytes) unusable", identity.len(), key.len());
        return Err(ErrorStack::get());
    }
    identity_out[..identity.len()].copy_from_slice(&identity);
    identity_out[identity.len()] = 0;
    psk_out[..key.len()].copy_from_slice(&key);
    if let Some(d) = ssl.ex_data_mut(idx) {
        d.psk_hint = Some(hint.to_vec());
        d.psk_identity = Some(identity);
        d.psk_key = Some(key.clone());
    }
    Ok(key.len())
}

impl DtlsContext {
    fn new(ctx: SslContext, server: bool, client_sni: Option<String>) -> DtlsContext {
        DtlsContext {
            ctx,
            server,
            client_sni,
            mtu: DEFAULT_MTU,
            timer: (0, 0),
            listener: None,
            bio_addr: std::ptr::null_mut(),
            ssl_created: std::cell::Cell::new(0),
            label: String::new(),
            client_psk: None,
        }
    }

    /// A server context offering PSK, certificates or both.
    pub fn server(mut cfg: ServerConfig) -> Result<DtlsContext, DtlsError> {
        let mut b = base_builder()?;
        cipher_list(
            &mut b,
            match (&cfg.psk, &cfg.pki) {
                (Some(_), None) => PSK_CIPHERS,
                (None, Some(_)) => PKI_CIPHERS,
                (Some(_), Some(_)) => BOTH_CIPHERS,
                (None, None) => return Err(DtlsError::log("a server needs PSK or PKI set up", None)),
            },
        )?;

        // Stateless cookies: HMAC-SHA256 keyed by a random per-context secret.
        let mut secret = [0u8; 32];
        openssl::rand::rand_bytes(&mut secret).map_err(|e| DtlsError::ssl("RAND_bytes (cookie secret)", e))?;
        let hkey = CookieKey::new(&secret);
        secret.fill(0);
        let vkey = hkey.clone();
        b.set_cookie_generate_cb(move |ssl, buf| {
            guard("cookie generate", || Err(ErrorStack::get()), || {
                let c = cookie(&hkey, ssl);
                let Some(dst) = buf.get_mut(..c.len()) else { return Err(ErrorStack::get()) };
                dst.copy_from_slice(&c);
                Ok(c.len())
            })
        });
        b.set_cookie_verify_cb(move |ssl, got| {
            guard("cookie verify", || false, || {
                let want = cookie(&vkey, ssl);
                want.len() == got.len() && openssl::memcmp::eq(&want, got)
            })
        });

        let mut pki_sni_cb = None;
        if let Some(pki) = cfg.pki.as_mut() {
            let keys = LoadedKeys::load(&pki.keys, true)?;
            keys.apply_ctx(&mut b, true)?;
            configure_verify(&mut b, pki, &keys, true)?;
            pki_sni_cb = pki.sni_callback.take();
        }
        if let Some(psk) = &cfg.psk {
            if !psk.hint.is_empty() {
                let hint = c_string("PSK hint", &psk.hint)?;
                // SAFETY: valid SSL_CTX; OpenSSL copies the NUL-terminated hint.
                if unsafe { sys::SSL_CTX_use_psk_identity_hint(b.as_ptr(), hint.as_ptr()) } != 1 {
                    return Err(DtlsError::ssl("SSL_CTX_use_psk_identity_hint", ErrorStack::get()));
                }
            }
            if psk.key.is_empty() && psk.id_callback.is_none() && psk.sni_callback.is_none() {
                return Err(DtlsError::log("PSK server set up without a key", None));
            }
        }
        let sh = Arc::new(ServerShared {
            has_pki: cfg.pki.is_some(),
            psk: cfg.psk.take(),
            psk_sni: SniCache::new(),
            pki_sni_cb,
            pki_sni: SniCache::new(),
        });
        if sh.psk.is_some() {
            let s = sh.clone();
            b.set_psk_server_callback(move |ssl, id, out| {
                guard("PSK server", || Err(ErrorStack::get()), || server_psk(&s, ssl, id, out))
            });
        }
        let s = sh;
        b.set_client_hello_callback(move |ssl, alert| {
            guard("ClientHello", || Err(ErrorStack::get()), || client_hello(&s, ssl, alert))
        });

        let mut ctx = DtlsContext::new(b.build(), true, None);
        // SAFETY: plain allocation; NULL is checked.
        ctx.bio_addr = unsafe { sys::BIO_ADDR_new() };
        if ctx.bio_addr.is_null() {
            return Err(DtlsError::log("BIO_ADDR_new failed", None));
        }
        Ok(ctx)
    }

    /// A server context with PSK only.
    pub fn server_psk(psk: PskServerConfig) -> Result<DtlsContext, DtlsError> {
        DtlsContext::server(ServerConfig { psk: Some(psk), pki: None })
    }

    /// A server context with certificates only.
    pub fn server_pki(pki: PkiConfig) -> Result<DtlsContext, DtlsError> {
        DtlsContext::server(ServerConfig { psk: None, pki: Some(pki) })
    }

    /// A client context for one PSK set-up (coap_new_client_session_psk2).
    pub fn client_psk(cfg: PskClientConfig) -> Result<DtlsContext, DtlsError> {
        let mut b = base_builder()?;
        cipher_list(&mut b, PSK_CIPHERS)?;
        if cfg.hint_callback.is_none() {
            c_string("PSK identity", &cfg.identity)?;
            if cfg.key.is_empty() {
                return Err(DtlsError::log("PSK client set up without a key", None));
            }
        }
        let sni = cfg.sni.clone();
        let set_up = (cfg.identity.clone(), cfg.key.clone());
        let cfg = Arc::new(cfg);
        b.set_psk_client_callback(move |ssl, hint, id, psk| {
            guard("PSK client", || Err(ErrorStack::get()), || client_psk(&cfg, ssl, hint, id, psk))
        });
        let mut ctx = DtlsContext::new(b.build(), false, sni);
        ctx.client_psk = Some(set_up);
        Ok(ctx)
    }

    /// A client context for one certificate set-up (coap_new_client_session_pki).
    pub fn client_pki(mut cfg: PkiConfig) -> Result<DtlsContext, DtlsError> {
        let mut b = base_builder()?;
        cipher_list(&mut b, PKI_CIPHERS)?;
        let keys = LoadedKeys::load(&cfg.keys, false)?;
        keys.apply_ctx(&mut b, false)?;
        configure_verify(&mut b, &mut cfg, &keys, false)?;
        Ok(DtlsContext::new(b.build(), false, cfg.sni.take()))
    }

    /// coap_context_set_pki_root_cas(): adds trusted CAs from a PEM file
    /// and/or a hashed directory.
    pub fn add_root_cas(&self, file: Option<&Path>, dir: Option<&Path>) -> Result<(), DtlsError> {
        let cstr = |p: Option<&Path>| -> Result<Option<CString>, DtlsError> {
            p.map(|p| {
                CString::new(p.as_os_str().as_encoded_bytes())
                    .map_err(|_| DtlsError::log(format_args!("{}: path contains NUL", p.display()), None))
            })
            .transpose()
        };
        let (f, d) = (cstr(file)?, cstr(dir)?);
        if f.is_none() && d.is_none() {
            return Err(DtlsError::log("root CAs: neither a file nor a directory given", None));
        }
        // SAFETY: valid SSL_CTX; the paths are NUL-terminated or NULL.
        let rc = unsafe {
            openssl_sys::SSL_CTX_load_verify_locations(
                sys::ctx_ptr(&self.ctx),
                f.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
                d.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            )
        };
        if rc != 1 {
            return Err(DtlsError::ssl("cannot load the root CAs", ErrorStack::get()));
        }
        Ok(())
    }

    /// How the log lines of connections made from here name them.
    pub fn set_label(&mut self, label: String) {
        self.label = label;
    }

    /// MTU of connections this server context accepts (default 1152).
    pub fn set_default_mtu(&mut self, mtu: usize) {
        self.mtu = mtu;
        self.listener = None;
    }

    /// Replaces OpenSSL's retransmission schedule: `initial`, doubling up to
    /// `max` (OpenSSL still gives up after 12 expiries). OpenSSL counts a
    /// timer with less than 15 ms left as expired, so both are raised to at
    /// least [`MIN_RETRANSMIT`]. Applies to connections made afterwards.
    pub fn set_retransmit(&mut self, initial: Duration, max: Duration) {
        let initial = initial.max(MIN_RETRANSMIT);
        self.timer = (micros(initial), micros(max.max(initial)));
        self.listener = None;
    }

    /// Is this a server context?
    pub fn is_server(&self) -> bool {
        self.server
    }

    /// Number of `SSL` objects made so far (listeners and client connections).
    pub fn ssl_objects_created(&self) -> usize {
        self.ssl_created.get()
    }

    /// A fresh `SSL` with our ConnData, MTU and timer set up.
    pub(crate) fn new_stream(&self, tag: u64, accept: bool, mtu: usize) -> Result<SslStream<Dgram>, DtlsError> {
        new_stream(self, tag, accept, mtu)
    }

    /// RFC 6347 §4.2.1 stateless cookie exchange for a datagram from a peer
    /// without a connection. `peer` identifies the flow (opaque, mixed into
    /// the cookie). Nothing about the peer is kept unless `Accept` returns.
    pub fn listen(&mut self, peer: &[u8], datagram: &[u8]) -> Listen {
        if !self.server {
            log::warn!("DTLS: listen() called on a client context");
            return Listen::Drop;
        }
        // Only an epoch-0 handshake record can start a flow (type 22,
        // version, epoch 0, ..., 13-byte header plus a 12-byte message header).
        if datagram.len() < 25 || datagram[0] != 22 || datagram[1] != 0xfe || datagram[3..5] != [0, 0] {
            log::debug!("DTLS: {} bytes from a new peer are no ClientHello; dropped", datagram.len());
            return Listen::Drop;
        }
        let mut l = match self.listener.take() {
            Some(l) => l,
            None => match self.new_stream(0, true, self.mtu) {
                Ok(l) => l,
                Err(_) => return Listen::Drop,
            },
        };
        let Ok(idx) = conn_index() else { return Listen::Drop };
        let ssl = ssl_mut(&mut l);
        match ssl.ex_data_mut(idx) {
            Some(d) => {
                d.peer.clear();
                d.peer.extend_from_slice(peer);
            }
            None => return Listen::Drop,
        }
        l.get_mut().feed(datagram);
        // SAFETY: valid SSL with our BIO attached; bio_addr is a live BIO_ADDR
        // (checked at construction) that DTLSv1_listen only writes to.
        let rc = unsafe { sys::DTLSv1_listen(sys::ssl_ptr(l.ssl()), self.bio_addr) };
        l.get_mut().consume();
        let errors = ErrorStack::get();
        match rc {
            1 => {
                log::debug!("DTLS: valid cookie; new connection");
                Listen::Accept(Box::new(DtlsConn::accepted(l)))
            }
            0 => {
                let reply = l.get_mut().outbox.drain(..).next();
                self.listener = Some(l);
                match reply {
                    Some(hvr) => Listen::Reply(hvr),
                    None => {
                        log::debug!("DTLS: datagram from a new peer ignored{}", if errors.errors().is_empty() { String::new() } else { format!(": {errors}") });
                        Listen::Drop
                    }
                }
            }
            _ => {
                log::debug!("DTLS: DTLSv1_listen failed: {errors}");
                l.get_mut().outbox.clear();
                self.listener = Some(l);
                Listen::Drop
            }
        }
    }
}

fn new_stream(ctx: &DtlsContext, tag: u64, accept: bool, mtu: usize) -> Result<SslStream<Dgram>, DtlsError> {
    let idx = conn_index()?;
    let mut ssl = Ssl::new(&ctx.ctx).map_err(|e| DtlsError::ssl("SSL_new", e))?;
    ctx.ssl_created.set(ctx.ssl_created.get() + 1);
    if accept {
        ssl.set_accept_state();
    } else {
        ssl.set_connect_state();
        if let Some(sni) = &ctx.client_sni {
            ssl.set_hostname(sni).map_err(|e| DtlsError::ssl(format_args!("SNI '{sni}'"), e))?;
        }
    }
    let (psk_identity, psk_key) = match (&ctx.client_psk, accept) {
        (Some((id, key)), false) => (Some(id.clone()), Some(key.clone())),
        _ => (None, None),
    };
    ssl.set_ex_data(idx, ConnData { tag, timer: ctx.timer, label: ctx.label.clone(), psk_identity, psk_key, ..ConnData::default() });
    let mut stream = SslStream::new(ssl, Dgram::default()).map_err(|e| DtlsError::ssl("SslStream::new (BIO)", e))?;
    let r = ssl_mut(&mut stream);
    let mtu = u32::try_from(mtu).unwrap_or(u32::MAX);
    r.set_mtu(mtu).map_err(|e| DtlsError::ssl(format_args!("SSL_set_mtu({mtu})"), e))?;
    if ctx.timer.0 != 0 {
        // SAFETY: valid SSL; the callback never unwinds.
        unsafe { sys::DTLS_set_timer_cb(sys::ssl_ptr(r), Some(timer_callback)) };
    }
    Ok(stream)
}
