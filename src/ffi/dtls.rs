//! The C side of coap_encryption(3): copies of the application's set-up
//! structs, turned into the DTLS module's configurations, and the C
//! validation call-backs wrapped as Rust closures.
//!
//! # Re-entrancy of the validation call-backs
//! OpenSSL asks for a PSK key, an SNI answer or a certificate verdict in the
//! middle of a handshake, so `validate_id_call_back`, `validate_sni_call_back`,
//! `validate_ih_call_back` and `validate_cn_call_back` run synchronously
//! inside the engine (while it holds the context). Unlike every other
//! call-back they cannot be queued as events. So while one runs, API calls
//! that would reach the engine are refused with a log line
//! ([`refuse_reentry`], checked by every export's boundary guard).
//! Allowed: logging, the `*_is_supported()` answers, and
//! `coap_session_get_psk_hint/_key/_identity` for the session being
//! validated, which are answered from what the handshake knows so far.
use crate::engine::context::dtls::{PkiMaker, PskMaker};
use crate::engine::context::Context;
use crate::engine::slab::Id;
use crate::transport::dtls::{
    CnCallback, KeyMaterial, PkiConfig, PkiKeys, PkiSniCallback, PskClientConfig, PskClientInfo, PskHintCallback,
    PskIdCallback, PskServerConfig, PskServerInfo, PskSniCallback,
};
use crate::ffi::types::*;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CStr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

// ------------------------------------------------------------ re-entrancy

/// What a psk getter may report while a validation call-back runs.
#[derive(Default)]
struct Snapshot {
    session: usize,
    hint: Option<Vec<u8>>,
    identity: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
}

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static SNAPSHOT: RefCell<Snapshot> = RefCell::new(Snapshot::default());
    /// Storage behind pointers returned from inside a call-back; boxed so
    /// each coap_bin_const_t keeps its address as the list grows.
    #[allow(clippy::vec_box)]
    static ANSWER: RefCell<Vec<Box<crate::ffi::session::PskAnswer>>> = const { RefCell::new(Vec::new()) };
}

/// Validation call-backs running on all threads together. Every export's
/// guard reads this first: while it is 0 (always, outside handshakes) no
/// thread is inside a call-back, so the per-thread DEPTH (a `__tls_get_addr`
/// call in a shared library) need not be read. A thread's own increment is
/// visible to itself in program order, so Relaxed is enough; another
/// thread seeing a stale non-zero value only falls through to DEPTH.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Marks a validation call-back as running on this thread.
struct Scope;

impl Scope {
    fn enter(snap: Snapshot) -> Scope {
        RUNNING.fetch_add(1, Ordering::Relaxed);
        DEPTH.with(|d| d.set(d.get() + 1));
        SNAPSHOT.with(|s| *s.borrow_mut() = snap);
        Scope
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        if DEPTH.with(Cell::get) == 0 {
            SNAPSHOT.with(|s| *s.borrow_mut() = Snapshot::default());
        }
        RUNNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// True while a DTLS validation call-back runs on this thread.
#[inline]
pub(crate) fn in_callback() -> bool {
    RUNNING.load(Ordering::Relaxed) != 0 && DEPTH.with(Cell::get) > 0
}

/// Functions that never reach the engine, so are safe from a call-back.
fn harmless(name: &str) -> bool {
    name.starts_with("coap_log")
        || name.ends_with("_log_level")
        || name.starts_with("coap_print")
        || name.starts_with("coap_string_tls")
        || name.starts_with("coap_show_tls")
        || name.starts_with("coap_session_get_psk_")
        || name == "coap_response_phrase"
}

/// The boundary guard's check: refuses (with a log line) an API call made
/// from inside a DTLS validation call-back.
#[inline]
pub(crate) fn refuse_reentry(name: &str) -> bool {
    if RUNNING.load(Ordering::Relaxed) == 0 {
        return false;
    }
    refuse_reentry_slow(name)
}

#[cold]
#[inline(never)]
fn refuse_reentry_slow(name: &str) -> bool {
    if !in_callback() || harmless(name) {
        return false;
    }
    log::warn!("{name}: called from inside a DTLS validation call-back; refused (the handshake is in progress)");
    true
}

/// coap_session_get_psk_*() from inside a call-back: `which` 0 hint,
/// 1 identity, 2 key. None when not in a call-back for `session`.
pub(crate) fn psk_in_callback(session: *const coap_session_t, which: usize) -> Option<*const coap_bin_const_t> {
    if !in_callback() {
        return None;
    }
    let value = SNAPSHOT.with(|s| {
        let s = s.borrow();
        if s.session != session as usize {
            return None;
        }
        match which {
            0 => s.hint.clone(),
            1 => s.identity.clone(),
            _ => s.key.clone(),
        }
    });
    let Some(v) = value else { return Some(std::ptr::null()) };
    Some(ANSWER.with(|a| {
        let mut a = a.borrow_mut();
        let mut b = Box::new((v, coap_bin_const_t { length: 0, s: std::ptr::null() }));
        b.1 = coap_bin_const_t { length: b.0.len(), s: b.0.as_ptr() };
        let p: *const coap_bin_const_t = &b.1;
        if a.len() > 16 {
            a.remove(0);
        }
        a.push(b);
        p
    }))
}

// ---------------------------------------------------------------- handles

/// The engine's way to give a session its C handle before the
/// application saw it (DTLS call-backs name the session).
fn make_handle(ctx: usize, id: Id) -> usize {
    crate::ffi::session::new_cell(ctx as *mut coap_context_t, id) as usize
}

pub(crate) fn install(engine: &mut Context, ctx: *mut coap_context_t) {
    engine.dtls_set_handle_maker(make_handle, ctx as usize);
}

// ------------------------------------------------------------- conversion

/// Copies a coap_bin_const_t's bytes (NULL or empty: none).
///
/// # Safety
/// `b.s` is NULL or points to `b.length` readable bytes.
unsafe fn bin(b: &coap_bin_const_t) -> Vec<u8> {
    if b.s.is_null() || b.length == 0 {
        return Vec::new();
    }
    // SAFETY: per the contract above.
    unsafe { std::slice::from_raw_parts(b.s, b.length) }.to_vec()
}

/// Copies a C string (NULL: None).
///
/// # Safety
/// `p` is NULL or NUL-terminated.
pub(crate) unsafe fn c_str(p: *const c_char) -> Option<Vec<u8>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per the contract above.
    Some(unsafe { CStr::from_ptr(p) }.to_bytes().to_vec())
}

fn text(v: Option<Vec<u8>>) -> Option<String> {
    v.filter(|v| !v.is_empty()).map(|v| String::from_utf8_lossy(&v).into_owned())
}

fn path(v: Option<Vec<u8>>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    v.filter(|v| !v.is_empty()).map(|v| PathBuf::from(std::ffi::OsString::from_vec(v)))
}

type IdFn = unsafe extern "C" fn(*mut coap_bin_const_t, *mut coap_session_t, *mut c_void) -> *const coap_bin_const_t;
type PskSniFn = unsafe extern "C" fn(*const c_char, *mut coap_session_t, *mut c_void) -> *const coap_dtls_spsk_info_t;
type CnFn = unsafe extern "C" fn(*const c_char, *const u8, usize, *mut coap_session_t, u32, i32, *mut c_void) -> i32;
type PkiSniFn = unsafe extern "C" fn(*const c_char, *mut c_void) -> *mut coap_dtls_key_t;

/// A copy of coap_dtls_spsk_t.
#[derive(Clone)]
pub(crate) struct SpskCopy {
    hint: Vec<u8>,
    key: Vec<u8>,
    id: Option<(IdFn, usize)>,
    sni: Option<(PskSniFn, usize)>,
}

impl SpskCopy {
    /// # Safety
    /// The pointers in `s` follow coap_encryption(3).
    pub(crate) unsafe fn new(s: &coap_dtls_spsk_t) -> SpskCopy {
        SpskCopy {
            // SAFETY: per the contract.
            hint: unsafe { bin(&s.psk_info.hint) },
            // SAFETY: per the contract.
            key: unsafe { bin(&s.psk_info.key) },
            id: s.validate_id_call_back.map(|f| (f, s.id_call_back_arg as usize)),
            sni: s.validate_sni_call_back.map(|f| (f, s.sni_call_back_arg as usize)),
        }
    }

    pub(crate) fn from_parts(hint: Vec<u8>, key: Vec<u8>) -> SpskCopy {
        SpskCopy { hint, key, id: None, sni: None }
    }

    pub(crate) fn hint(&self) -> &[u8] {
        &self.hint
    }

    fn config(&self) -> PskServerConfig {
        let (hint, key) = (self.hint.clone(), self.key.clone());
        let id_callback = self.id.map(|(f, arg)| {
            let hint = hint.clone();
            let b: PskIdCallback = Box::new(move |tag, identity| {
                let _scope = Scope::enter(Snapshot { session: tag as usize, hint: Some(hint.clone()), identity: Some(identity.to_vec()), key: None });
                let mut id = coap_bin_const_t { length: identity.len(), s: identity.as_ptr() };
                // SAFETY: the application's call-back with live arguments;
                // the engine cannot be re-entered (see the module doc).
                let r = unsafe { f(&mut id, tag as usize as *mut coap_session_t, arg as *mut c_void) };
                // SAFETY: NULL or a coap_bin_const_t the application owns.
                unsafe { r.as_ref() }.map(|b| unsafe { bin(b) })
            });
            b
        });
        let sni_callback = self.sni.map(|(f, arg)| {
            let hint = hint.clone();
            let b: PskSniCallback = Box::new(move |tag, sni| {
                let _scope = Scope::enter(Snapshot { session: tag as usize, hint: Some(hint.clone()), identity: None, key: None });
                let name = std::ffi::CString::new(sni).unwrap_or_default();
                // SAFETY: as above.
                let r = unsafe { f(name.as_ptr(), tag as usize as *mut coap_session_t, arg as *mut c_void) };
                // SAFETY: NULL or a coap_dtls_spsk_info_t the application owns.
                unsafe { r.as_ref() }.map(|i| PskServerInfo { hint: unsafe { bin(&i.hint) }, key: unsafe { bin(&i.key) } })
            });
            b
        });
        PskServerConfig { hint, key, id_callback, sni_callback }
    }

    pub(crate) fn maker(self) -> PskMaker {
        Box::new(move || self.config())
    }
}

/// coap_dtls_cpsk_t as the DTLS module's client configuration.
///
/// # Safety
/// The pointers in `s` follow coap_encryption(3).
pub(crate) unsafe fn cpsk_config(s: &coap_dtls_cpsk_t) -> PskClientConfig {
    let hint_callback = s.validate_ih_call_back.map(|f| {
        let arg = s.ih_call_back_arg as usize;
        let b: PskHintCallback = Box::new(move |tag, hint| {
            let _scope = Scope::enter(Snapshot { session: tag as usize, hint: Some(hint.to_vec()), identity: None, key: None });
            let mut h = coap_str_const_t { length: hint.len(), s: hint.as_ptr() };
            // SAFETY: as in SpskCopy::config.
            let r = unsafe { f(&mut h, tag as usize as *mut coap_session_t, arg as *mut c_void) };
            // SAFETY: NULL or a coap_dtls_cpsk_info_t the application owns.
            unsafe { r.as_ref() }.map(|i| PskClientInfo { identity: unsafe { bin(&i.identity) }, key: unsafe { bin(&i.key) } })
        });
        b
    });
    PskClientConfig {
        // SAFETY: per the contract.
        identity: unsafe { bin(&s.psk_info.identity) },
        // SAFETY: per the contract.
        key: unsafe { bin(&s.psk_info.key) },
        // SAFETY: per the contract.
        sni: text(unsafe { c_str(s.client_sni) }),
        hint_callback,
    }
}

/// coap_dtls_key_t as key material.
///
/// # Safety
/// The pointers in `k` follow coap_encryption(3).
unsafe fn keys_of(k: &coap_dtls_key_t) -> Result<PkiKeys, String> {
    let buf = |p: *const u8, len: usize| -> Option<Vec<u8>> {
        // SAFETY: per the contract, `len` readable bytes at `p`.
        (!p.is_null() && len > 0).then(|| unsafe { std::slice::from_raw_parts(p, len) }.to_vec())
    };
    match k.key_type {
        t if t == coap_pki_key_t::COAP_PKI_KEY_PEM as PkiKeyType => {
            // SAFETY: the union member key_type names.
            let p = unsafe { k.key.pem };
            // SAFETY: NULL or NUL-terminated paths.
            let (ca, cert, key) = unsafe { (path(c_str(p.ca_file)), path(c_str(p.public_cert)), path(c_str(p.private_key))) };
            Ok(PkiKeys { cert: cert.map(KeyMaterial::PemFile), key: key.map(KeyMaterial::PemFile), ca: ca.map(KeyMaterial::PemFile) })
        }
        t if t == coap_pki_key_t::COAP_PKI_KEY_PEM_BUF as PkiKeyType => {
            // SAFETY: as above.
            let p = unsafe { k.key.pem_buf };
            Ok(PkiKeys {
                cert: buf(p.public_cert, p.public_cert_len).map(KeyMaterial::PemBuf),
                key: buf(p.private_key, p.private_key_len).map(KeyMaterial::PemBuf),
                ca: buf(p.ca_cert, p.ca_cert_len).map(KeyMaterial::PemBuf),
            })
        }
        t if t == coap_pki_key_t::COAP_PKI_KEY_ASN1 as PkiKeyType => {
            // SAFETY: as above.
            let p = unsafe { k.key.asn1 };
            Ok(PkiKeys {
                cert: buf(p.public_cert, p.public_cert_len).map(KeyMaterial::Asn1),
                key: buf(p.private_key, p.private_key_len).map(KeyMaterial::Asn1),
                ca: buf(p.ca_cert, p.ca_cert_len).map(KeyMaterial::Asn1),
            })
        }
        t if t == coap_pki_key_t::COAP_PKI_KEY_PKCS11 as PkiKeyType => Err("PKCS11 keys are not supported by this build".into()),
        t => Err(format!("unknown key_type {t}")),
    }
}

/// A copy of coap_dtls_pki_t.
#[derive(Clone)]
pub(crate) struct PkiCopy {
    flags: [bool; 11],
    depth: u8,
    keys: PkiKeys,
    sni: Option<String>,
    cn: Option<(CnFn, usize)>,
    sni_cb: Option<(PkiSniFn, usize)>,
}

impl PkiCopy {
    /// # Safety
    /// The pointers in `s` follow coap_encryption(3).
    pub(crate) unsafe fn new(func: &str, s: &coap_dtls_pki_t) -> Option<PkiCopy> {
        if s.is_rpk_not_cert != 0 {
            log::warn!("{func}: Raw Public Keys are not supported by this build (OpenSSL)");
            return None;
        }
        if s.additional_tls_setup_call_back.is_some() {
            log::warn!("{func}: additional_tls_setup_call_back is not supported by this build; ignored");
        }
        // SAFETY: per the contract.
        let keys = match unsafe { keys_of(&s.pki_key) } {
            Ok(k) => k,
            Err(e) => {
                log::warn!("{func}: {e}");
                return None;
            }
        };
        Some(PkiCopy {
            flags: [
                s.verify_peer_cert != 0,
                s.check_common_ca != 0,
                s.allow_self_signed != 0,
                s.allow_expired_certs != 0,
                s.cert_chain_validation != 0,
                s.check_cert_revocation != 0,
                s.allow_no_crl != 0,
                s.allow_expired_crl != 0,
                s.allow_bad_md_hash != 0,
                s.allow_short_rsa_length != 0,
                false,
            ],
            depth: s.cert_chain_verify_depth,
            keys,
            // SAFETY: NULL or NUL-terminated.
            sni: text(unsafe { c_str(s.client_sni) }),
            cn: s.validate_cn_call_back.map(|f| (f, s.cn_call_back_arg as usize)),
            sni_cb: s.validate_sni_call_back.map(|f| (f, s.sni_call_back_arg as usize)),
        })
    }

    pub(crate) fn config(&self) -> PkiConfig {
        let f = self.flags;
        let cn_callback = self.cn.map(|(cb, arg)| {
            let b: CnCallback = Box::new(move |tag, cn, der, depth, validated| {
                let _scope = Scope::enter(Snapshot { session: tag as usize, ..Snapshot::default() });
                let name = std::ffi::CString::new(cn).unwrap_or_default();
                // SAFETY: as in SpskCopy::config.
                let r = unsafe {
                    cb(name.as_ptr(), der.as_ptr(), der.len(), tag as usize as *mut coap_session_t, depth, i32::from(validated), arg as *mut c_void)
                };
                r != 0
            });
            b
        });
        let sni_callback = self.sni_cb.map(|(cb, arg)| {
            let b: PkiSniCallback = Box::new(move |sni| {
                let _scope = Scope::enter(Snapshot::default());
                let name = std::ffi::CString::new(sni).unwrap_or_default();
                // SAFETY: as above.
                let r = unsafe { cb(name.as_ptr(), arg as *mut c_void) };
                // SAFETY: NULL or a coap_dtls_key_t the application owns.
                let k = unsafe { r.as_ref() }?;
                // SAFETY: per coap_encryption(3).
                match unsafe { keys_of(k) } {
                    Ok(k) => Some(k),
                    Err(e) => {
                        log::warn!("validate_sni_call_back: {e}");
                        None
                    }
                }
            });
            b
        });
        PkiConfig {
            keys: self.keys.clone(),
            verify_peer_cert: f[0],
            check_common_ca: f[1],
            allow_self_signed: f[2],
            allow_expired_certs: f[3],
            cert_chain_validation: f[4],
            cert_chain_verify_depth: self.depth,
            check_cert_revocation: f[5],
            allow_no_crl: f[6],
            allow_expired_crl: f[7],
            allow_bad_md_hash: f[8],
            allow_short_rsa_length: f[9],
            sni: self.sni.clone(),
            cn_callback,
            sni_callback,
            root_ca_file: None,
            root_ca_dir: None,
        }
    }

    pub(crate) fn maker(self) -> PkiMaker {
        Box::new(move || self.config())
    }
}
