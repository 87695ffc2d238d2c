//! coap_oscore(3): OSCORE is not built; answers as libcoap configured with
//! `--disable-oscore`.
use std::ffi::c_int;

#[no_mangle]
pub extern "C" fn coap_oscore_is_supported() -> c_int {
    0
}
