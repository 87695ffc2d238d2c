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
