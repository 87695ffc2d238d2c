//! coap_encryption(3) set-up calls. DTLS is not built yet, so each answers
//! as libcoap built without (D)TLS support does: 0, nothing set.
use crate::ffi::boundary::guard;
use crate::ffi::types::*;
use std::ffi::{c_char, c_int};

fn no_dtls(func: &str, context: *const coap_context_t) -> c_int {
    if context.is_null() {
        crate::ffi::boundary::null_arg(func, "context");
    } else {
        log::warn!("{func}: (D)TLS is not supported by this build");
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_psk(context: *mut coap_context_t, _hint: *const c_char, _key: *const u8, _key_len: usize) -> c_int {
    guard("coap_context_set_psk", || no_dtls("coap_context_set_psk", context))
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_psk2(context: *mut coap_context_t, _setup: *mut coap_dtls_spsk_t) -> c_int {
    guard("coap_context_set_psk2", || no_dtls("coap_context_set_psk2", context))
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_pki(context: *mut coap_context_t, _setup: *const coap_dtls_pki_t) -> c_int {
    guard("coap_context_set_pki", || no_dtls("coap_context_set_pki", context))
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_pki_root_cas(context: *mut coap_context_t, _ca_file: *const c_char, _ca_dir: *const c_char) -> c_int {
    guard("coap_context_set_pki_root_cas", || no_dtls("coap_context_set_pki_root_cas", context))
}
