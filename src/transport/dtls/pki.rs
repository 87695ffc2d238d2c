//! Certificates: loading key material, and the peer-certificate checks of
//! libcoap's OpenSSL build (coap_dtls_pki_t flags, CN callback).
use super::{conn_index, guard, DtlsError, KeyMaterial, PkiConfig, PkiKeys};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslContextBuilder, SslRef, SslVerifyMode};
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509Ref, X509StoreContextRef, X509VerifyResult, X509};
use std::sync::Arc;

/// Key material parsed and ready to hand to OpenSSL.
pub(crate) struct LoadedKeys {
    pub cert: Option<X509>,
    /// Intermediates that followed the certificate in a PEM source.
    pub chain: Vec<X509>,
    pub key: Option<PKey<Private>>,
    pub cas: Vec<X509>,
}

fn read(what: &str, m: &KeyMaterial) -> Result<Vec<u8>, DtlsError> {
    match m {
        KeyMaterial::PemFile(p) => std::fs::read(p).map_err(|e| DtlsError::log(format_args!("{what}: cannot read {}", p.display()), Some(&e))),
        KeyMaterial::PemBuf(b) | KeyMaterial::Asn1(b) => Ok(b.clone()),
    }
}

/// PEM buffers may carry a trailing NUL (coap_encryption(3)); OpenSSL's PEM reader stops there anyway.
fn certs(what: &str, m: &KeyMaterial) -> Result<Vec<X509>, DtlsError> {
    let bytes = read(what, m)?;
    let list = match m {
        KeyMaterial::Asn1(_) => X509::from_der(&bytes).map(|c| vec![c]),
        _ => X509::stack_from_pem(&bytes),
    }
    .map_err(|e| DtlsError::ssl(format_args!("{what}: not a valid certificate"), e))?;
    if list.is_empty() {
        return Err(DtlsError::log(format_args!("{what}: no certificate found"), None));
    }
    Ok(list)
}

fn private_key(m: &KeyMaterial) -> Result<PKey<Private>, DtlsError> {
    let bytes = read("private key", m)?;
    match m {
        KeyMaterial::Asn1(_) => PKey::private_key_from_der(&bytes),
        _ => PKey::private_key_from_pem(&bytes),
    }
    .map_err(|e| DtlsError::ssl("private key: not a valid (unencrypted) private key", e))
}

impl LoadedKeys {
    /// Parses `keys`; a server must have a certificate and a key.
    pub fn load(keys: &PkiKeys, server: bool) -> Result<LoadedKeys, DtlsError> {
        let (cert, chain) = match &keys.cert {
            Some(m) => {
                let mut list = certs("certificate", m)?;
                let leaf = list.remove(0);
                (Some(leaf), list)
            }
            None => (None, Vec::new()),
        };
        let key = keys.key.as_ref().map(private_key).transpose()?;
        if server && (cert.is_none() || key.is_none()) {
            return Err(DtlsError::log("a server needs both a certificate and a private key", None));
        }
        if cert.is_some() != key.is_some() {
            return Err(DtlsError::log("a certificate needs its private key (and the other way round)", None));
        }
        if let (Some(c), Some(k)) = (&cert, &key) {
            let public = c.public_key().map_err(|e| DtlsError::ssl("certificate has no usable public key", e))?;
            if !public.public_eq(k) {
                return Err(DtlsError::log("the private key does not match the certificate", None));
            }
        }
        let cas = keys.ca.as_ref().map(|m| certs("CA certificate", m)).transpose()?.unwrap_or_default();
        Ok(LoadedKeys { cert, chain, key, cas })
    }

    /// Installs own certificate, key, chain and CAs in a context.
    pub fn apply_ctx(&self, b: &mut SslContextBuilder, server: bool) -> Result<(), DtlsError> {
        if let (Some(c), Some(k)) = (&self.cert, &self.key) {
            b.set_certificate(c).map_err(|e| DtlsError::ssl("SSL_CTX_use_certificate", e))?;
            b.set_private_key(k).map_err(|e| DtlsError::ssl("SSL_CTX_use_PrivateKey", e))?;
            for x in &self.chain {
                b.add_extra_chain_cert(x.clone()).map_err(|e| DtlsError::ssl("SSL_CTX_add_extra_chain_cert", e))?;
            }
        }
        for ca in &self.cas {
            // A CA already in the store is fine: only other failures count.
            if let Err(e) = b.cert_store_mut().add_cert(ca.clone()) {
                if !e.errors().iter().all(|r| r.reason().is_some_and(|s| s.contains("already in hash table"))) {
                    return Err(DtlsError::ssl("X509_STORE_add_cert (CA)", e));
                }
            }
            if server {
                b.add_client_ca(ca).map_err(|e| DtlsError::ssl("SSL_CTX_add_client_CA", e))?;
            }
        }
        Ok(())
    }

    /// Installs a server certificate chosen by SNI on one `SSL`.
    pub fn apply_ssl(&self, ssl: &mut SslRef) -> Result<(), DtlsError> {
        if let (Some(c), Some(k)) = (&self.cert, &self.key) {
            ssl.set_certificate(c).map_err(|e| DtlsError::ssl("SSL_use_certificate (SNI)", e))?;
            ssl.set_private_key(k).map_err(|e| DtlsError::ssl("SSL_use_PrivateKey (SNI)", e))?;
            for x in &self.chain {
                ssl.add_chain_cert(x.clone()).map_err(|e| DtlsError::ssl("SSL_add1_chain_cert (SNI)", e))?;
            }
        }
        for ca in &self.cas {
            ssl.add_client_ca(ca).map_err(|e| DtlsError::ssl("SSL_add_client_CA (SNI)", e))?;
            // SAFETY: the SSL_CTX pointer comes from a live SSL (checked for
            // NULL); the store it returns (checked for NULL) is owned by that context, and
            // X509_STORE_add_cert takes its own reference on the certificate.
            unsafe {
                let ctx = openssl_sys::SSL_get_SSL_CTX(super::sys::ssl_ptr(ssl));
                let store = if ctx.is_null() { std::ptr::null_mut() } else { openssl_sys::SSL_CTX_get_cert_store(ctx) };
                if !store.is_null() && openssl_sys::X509_STORE_add_cert(store, super::sys::x509_ptr(ca)) != 1 {
                    // Most likely "already in the store"; drain the queue.
                    let _ = openssl::error::ErrorStack::get();
                }
            }
        }
        Ok(())
    }
}

/// The flags the verify callback needs, shared with the `SSL_CTX`.
pub(crate) struct VerifyRules {
    pub verify_peer_cert: bool,
    pub check_common_ca: bool,
    pub allow_self_signed: bool,
    pub allow_expired_certs: bool,
    pub cert_chain_validation: bool,
    pub cert_chain_verify_depth: u8,
    pub allow_no_crl: bool,
    pub allow_expired_crl: bool,
    pub cn_callback: Option<super::CnCallback>,
    /// DER of our own CA(s), for check_common_ca.
    pub our_cas: Vec<Vec<u8>>,
}

/// Sets verification mode, depth, CRL flags, security level and the
/// callback on a context from `cfg`.
pub(crate) fn configure_verify(
    b: &mut SslContextBuilder,
    cfg: &mut PkiConfig,
    keys: &LoadedKeys,
    server: bool,
) -> Result<(), DtlsError> {
    if cfg.root_ca_file.is_some() || cfg.root_ca_dir.is_some() {
        b.load_verify_locations(cfg.root_ca_file.as_deref(), cfg.root_ca_dir.as_deref())
            .map_err(|e| DtlsError::ssl("cannot load the root CAs", e))?;
    }
    let mode = match (cfg.verify_peer_cert, server) {
        (false, _) => SslVerifyMode::NONE,
        (true, true) => SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT | SslVerifyMode::CLIENT_ONCE,
        (true, false) => SslVerifyMode::PEER,
    };
    if cfg.cert_chain_validation {
        b.set_verify_depth(u32::from(cfg.cert_chain_verify_depth) + 2);
    }
    if cfg.check_cert_revocation {
        b.verify_param_mut()
            .set_flags(X509VerifyFlags::CRL_CHECK)
            .map_err(|e| DtlsError::ssl("X509_VERIFY_PARAM_set_flags(CRL_CHECK)", e))?;
    }
    if cfg.allow_bad_md_hash || cfg.allow_short_rsa_length {
        b.set_security_level(0);
    }
    let mut our_cas = Vec::new();
    for ca in &keys.cas {
        our_cas.push(ca.to_der().map_err(|e| DtlsError::ssl("i2d_X509 (CA)", e))?);
    }
    let rules = Arc::new(VerifyRules {
        verify_peer_cert: cfg.verify_peer_cert,
        check_common_ca: cfg.check_common_ca,
        allow_self_signed: cfg.allow_self_signed,
        allow_expired_certs: cfg.allow_expired_certs,
        cert_chain_validation: cfg.cert_chain_validation,
        cert_chain_verify_depth: cfg.cert_chain_verify_depth,
        allow_no_crl: cfg.allow_no_crl,
        allow_expired_crl: cfg.allow_expired_crl,
        cn_callback: cfg.cn_callback.take(),
        our_cas,
    });
    b.set_verify_callback(mode, move |ok, x| guard("certificate verify", || false, || verify(&rules, ok, x)));
    Ok(())
}

/// The subjectAltName DNS entry if any, else the subject's CN (libcoap's choice).
pub(crate) fn cn_of(cert: &X509Ref) -> Option<String> {
    if let Some(names) = cert.subject_alt_names() {
        if let Some(dns) = names.iter().find_map(|n| n.dnsname().map(str::to_owned)) {
            return Some(dns);
        }
    }
    let entry = cert.subject_name().entries_by_nid(Nid::COMMONNAME).next()?;
    entry.data().to_string().ok()
}

/// The connection's ConnData field `f`, from inside verification.
fn conn_field<T: Default>(x: &X509StoreContextRef, f: impl Fn(&super::ConnData) -> T) -> T {
    let Ok(idx) = conn_index() else { return T::default() };
    // SAFETY: during verification OpenSSL stores the SSL* at this index of
    // the X509_STORE_CTX; it is checked for NULL and only read.
    unsafe {
        let ssl = openssl_sys::X509_STORE_CTX_get_ex_data(
            super::sys::store_ctx_ptr(x),
            openssl_sys::SSL_get_ex_data_X509_STORE_CTX_idx(),
        ) as *mut openssl_sys::SSL;
        if ssl.is_null() {
            return T::default();
        }
        super::sys::ssl_ref(ssl).ex_data(idx).map_or_else(T::default, f)
    }
}

fn tag_of(x: &X509StoreContextRef) -> u64 {
    conn_field(x, |d| d.tag)
}

fn label_of(x: &X509StoreContextRef) -> String {
    conn_field(x, |d| if d.label.is_empty() { "DTLS".to_owned() } else { d.label.clone() })
}

fn verify(rules: &VerifyRules, preverify_ok: bool, x: &mut X509StoreContextRef) -> bool {
    use openssl_sys as f;
    let depth = x.error_depth();
    let err = x.error();
    let cert = x.current_cert().map(|c| c.to_owned());
    let cn = cert.as_deref().and_then(cn_of).unwrap_or_else(|| "?".to_owned());
    let mut ok = preverify_ok;
    let mut code = err.as_raw();
    if !ok {
        ok = match code {
            f::X509_V_ERR_CERT_NOT_YET_VALID | f::X509_V_ERR_CERT_HAS_EXPIRED => rules.allow_expired_certs,
            f::X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT => rules.allow_self_signed && !rules.check_common_ca,
            f::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
            | f::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
            | f::X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE => !rules.verify_peer_cert,
            f::X509_V_ERR_UNABLE_TO_GET_CRL => rules.allow_no_crl,
            f::X509_V_ERR_CRL_NOT_YET_VALID | f::X509_V_ERR_CRL_HAS_EXPIRED => rules.allow_expired_crl,
            _ => false,
        };
        if ok {
            log::info!("   {}: {}: overridden: '{cn}' depth={depth}", label_of(x), err.error_string());
        }
    }
    if rules.cert_chain_validation && depth > u32::from(rules.cert_chain_verify_depth) + 1 {
        ok = false;
        code = f::X509_V_ERR_CERT_CHAIN_TOO_LONG;
        x.set_error(verify_result(code));
    }
    if ok && rules.check_common_ca && depth == 0 && !rules.our_cas.is_empty() {
        let common = x.chain().is_some_and(|chain| {
            chain.iter().skip(1).any(|c| c.to_der().is_ok_and(|d| rules.our_cas.contains(&d)))
        });
        if !common {
            ok = false;
            code = f::X509_V_ERR_CERT_UNTRUSTED;
            x.set_error(verify_result(code));
        }
    }
    if !ok {
        let why = if code == f::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN {
            "Unknown CA".to_owned()
        } else {
            verify_result(code).error_string().to_owned()
        };
        log::warn!("   {}: {why}: '{cn}' depth={depth}", label_of(x));
        return false;
    }
    // As libcoap: the CN call-back hears of a certificate when OpenSSL
    // found it good (it reports each depth so once the chain verified),
    // not again for an error this function overrode.
    if !preverify_ok {
        return true;
    }
    if let (Some(cb), Some(c)) = (&rules.cn_callback, &cert) {
        let der = match c.to_der() {
            Ok(d) => d,
            Err(e) => {
                log::warn!("DTLS: i2d_X509 of the peer certificate failed: {e}");
                return false;
            }
        };
        if !cb(tag_of(x), &cn, &der, depth, preverify_ok) {
            log::warn!("DTLS: certificate '{cn}' depth={depth}: rejected by the CN callback");
            let reject = if depth == 0 { f::X509_V_ERR_CERT_REJECTED } else { f::X509_V_ERR_INVALID_CA };
            x.set_error(verify_result(reject));
            return false;
        }
    }
    true
}

/// An `X509_V_ERR_*` code as the crate's type.
fn verify_result(code: std::ffi::c_int) -> X509VerifyResult {
    // SAFETY: only called with OpenSSL's own X509_V_ERR_* constants (or a
    // code OpenSSL itself reported), which is what from_raw requires.
    unsafe { X509VerifyResult::from_raw(code) }
}
