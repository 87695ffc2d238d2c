//! coap_oscore(3): OSCORE is not built; answers as libcoap configured with
//! `--disable-oscore`.
use crate::ffi::types::*;
use std::ffi::{c_int, c_void};

#[no_mangle]
pub extern "C" fn coap_oscore_is_supported() -> c_int {
    0
}

// Without OSCORE, libcoap's set-up calls fail with these values; we say
// why in the log as well.
fn unsupported(func: &str) {
    log::warn!("{func}: OSCORE is not supported by this build");
}

#[no_mangle]
pub extern "C" fn coap_new_client_session_oscore(
    _ctx: *mut coap_context_t,
    _local_if: *const coap_address_t,
    _server: *const coap_address_t,
    _proto: Proto,
    _oscore_conf: *mut coap_oscore_conf_t,
) -> *mut coap_session_t {
    unsupported("coap_new_client_session_oscore");
    std::ptr::null_mut()
}

#[no_mangle]
pub extern "C" fn coap_new_client_session_oscore_psk(
    _ctx: *mut coap_context_t,
    _local_if: *const coap_address_t,
    _server: *const coap_address_t,
    _proto: Proto,
    _psk_data: *mut coap_dtls_cpsk_t,
    _oscore_conf: *mut coap_oscore_conf_t,
) -> *mut coap_session_t {
    unsupported("coap_new_client_session_oscore_psk");
    std::ptr::null_mut()
}

#[no_mangle]
pub extern "C" fn coap_new_client_session_oscore_pki(
    _ctx: *mut coap_context_t,
    _local_if: *const coap_address_t,
    _server: *const coap_address_t,
    _proto: Proto,
    _pki_data: *mut coap_dtls_pki_t,
    _oscore_conf: *mut coap_oscore_conf_t,
) -> *mut coap_session_t {
    unsupported("coap_new_client_session_oscore_pki");
    std::ptr::null_mut()
}

#[no_mangle]
pub extern "C" fn coap_context_oscore_server(_context: *mut coap_context_t, _oscore_conf: *mut coap_oscore_conf_t) -> c_int {
    unsupported("coap_context_oscore_server");
    0
}

#[no_mangle]
pub extern "C" fn coap_new_oscore_conf(
    _conf_mem: coap_str_const_t,
    _save_seq_num_func: coap_oscore_save_seq_num_t,
    _save_seq_num_func_param: *mut c_void,
    _start_seq_num: u64,
) -> *mut coap_oscore_conf_t {
    unsupported("coap_new_oscore_conf");
    std::ptr::null_mut()
}

#[no_mangle]
pub extern "C" fn coap_delete_oscore_conf(_oscore_conf: *mut coap_oscore_conf_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_new_oscore_recipient(_context: *mut coap_context_t, _recipient_id: *mut coap_bin_const_t) -> c_int {
    unsupported("coap_new_oscore_recipient");
    0
}

#[no_mangle]
pub extern "C" fn coap_delete_oscore_recipient(_context: *mut coap_context_t, _recipient_id: *mut coap_bin_const_t) -> c_int {
    0
}
