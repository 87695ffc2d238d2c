//! coap_block(3): Q-Block (RFC 9177) is not built yet; answers as libcoap
//! configured with `--disable-q-block`.
use std::ffi::c_int;

#[no_mangle]
pub extern "C" fn coap_q_block_is_supported() -> c_int {
    0
}
