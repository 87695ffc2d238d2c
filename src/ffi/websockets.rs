//! coap_websockets(3): not built yet, so both answer 0 as in a libcoap
//! configured with `--disable-tcp` (WebSockets need TCP).
use std::ffi::c_int;

#[no_mangle]
pub extern "C" fn coap_ws_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_wss_is_supported() -> c_int {
    0
}

/// Without WebSockets there is no Host header to set: 0, as libcoap
/// answers when built without them.
#[no_mangle]
pub extern "C" fn coap_ws_set_host_request(_session: *mut crate::ffi::types::coap_session_t, _ws_host: *mut crate::ffi::types::coap_str_const_t) -> c_int {
    log::warn!("coap_ws_set_host_request: WebSockets are not supported by this build");
    0
}
