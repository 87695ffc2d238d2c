//! coap_encryption(3) server set-up calls: PSK (hint, key, identity and SNI
//! call-backs), certificates (PEM files, PEM buffers, ASN.1 buffers, CN and
//! SNI call-backs, the verify flags) and trusted root CAs. Each returns 1
//! on success and 0 (with a log line) on bad input; a failed call leaves
//! the previous set-up in place. Conversions live in `crate::ffi::dtls`.
use crate::ffi::boundary::guard;
use crate::ffi::dtls::{PkiCopy, SpskCopy};
use crate::ffi::types::*;
use std::ffi::{c_char, c_int};

fn set_psk(func: &'static str, context: *mut coap_context_t, copy: SpskCopy) -> c_int {
    let engine = engine!(func, context);
    crate::ffi::dtls::install(engine, context);
    match engine.dtls_set_server_psk(copy.maker()) {
        Ok(()) => 1,
        Err(e) => {
            log::warn!("{func}: {e}");
            0
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_psk(context: *mut coap_context_t, hint: *const c_char, key: *const u8, key_len: usize) -> c_int {
    guard("coap_context_set_psk", || {
        let func = "coap_context_set_psk";
        let key = arg_bytes!(func, key, key_len).to_vec();
        // SAFETY: NULL or NUL-terminated (C contract).
        let hint = unsafe { crate::ffi::dtls::c_str(hint) }.unwrap_or_default();
        set_psk(func, context, SpskCopy::from_parts(hint, key))
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_psk2(context: *mut coap_context_t, setup: *mut coap_dtls_spsk_t) -> c_int {
    guard("coap_context_set_psk2", || {
        let func = "coap_context_set_psk2";
        let setup = arg_ref!(func, setup);
        if u32::from(setup.version) != COAP_DTLS_SPSK_SETUP_VERSION {
            log::error!("{func}: Wrong version of setup data");
            return 0;
        }
        // SAFETY: the set-up's pointers follow coap_encryption(3).
        let copy = unsafe { SpskCopy::new(setup) };
        if copy.hint().contains(&0) {
            log::warn!("{func}: the hint contains a NUL byte, which OpenSSL cannot carry");
            return 0;
        }
        set_psk(func, context, copy)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_pki(context: *mut coap_context_t, setup: *const coap_dtls_pki_t) -> c_int {
    guard("coap_context_set_pki", || {
        let func = "coap_context_set_pki";
        let setup = arg_ref!(func, setup);
        if u32::from(setup.version) != COAP_DTLS_PKI_SETUP_VERSION {
            log::error!("{func}: Wrong version of setup data");
            return 0;
        }
        // SAFETY: the set-up's pointers follow coap_encryption(3).
        let Some(copy) = (unsafe { PkiCopy::new(func, setup) }) else { return 0 };
        let engine = engine!(func, context);
        crate::ffi::dtls::install(engine, context);
        match engine.dtls_set_server_pki(copy.maker()) {
            Ok(()) => 1,
            Err(e) => {
                log::warn!("{func}: {e}");
                0
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_pki_root_cas(context: *mut coap_context_t, ca_file: *const c_char, ca_dir: *const c_char) -> c_int {
    guard("coap_context_set_pki_root_cas", || {
        let func = "coap_context_set_pki_root_cas";
        let engine = engine!(func, context);
        let path = |p: *const c_char| {
            use std::os::unix::ffi::OsStringExt;
            // SAFETY: NULL or NUL-terminated (C contract).
            unsafe { crate::ffi::dtls::c_str(p) }
                .filter(|v| !v.is_empty())
                .map(|v| std::path::PathBuf::from(std::ffi::OsString::from_vec(v)))
        };
        match engine.dtls_set_root_cas(path(ca_file), path(ca_dir)) {
            Ok(()) => 1,
            Err(e) => {
                log::warn!("{func}: {e}");
                0
            }
        }
    })
}
