//! coap_async(3): separate responses are not built yet; answers as libcoap
//! configured with `--disable-async`.
use std::ffi::c_int;

#[no_mangle]
pub extern "C" fn coap_async_is_supported() -> c_int {
    0
}
