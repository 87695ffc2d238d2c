//! coap_init(3): library start-up and clean-up.
use crate::ffi::boundary::guard;

#[no_mangle]
pub extern "C" fn coap_startup() {
    guard("coap_startup", || {
        crate::ffi::logging::install();
        crate::engine::clock::init();
    })
}

/// Nothing global needs tearing down yet: contexts own their resources.
#[no_mangle]
pub extern "C" fn coap_cleanup() {
    guard("coap_cleanup", || ())
}
