//! libcoap's clock API (coap_time.h): ticks in milliseconds.
use crate::engine::clock;
use crate::ffi::boundary::guard;
use crate::ffi::types::{coap_tick_t, coap_time_t};

#[no_mangle]
pub extern "C" fn coap_clock_init() {
    guard("coap_clock_init", clock::init)
}

#[no_mangle]
pub unsafe extern "C" fn coap_ticks(t: *mut coap_tick_t) {
    guard("coap_ticks", || {
        let out = arg_mut!("coap_ticks", t);
        *out = clock::ticks();
    })
}

#[no_mangle]
pub extern "C" fn coap_ticks_to_rt(t: coap_tick_t) -> coap_time_t {
    guard("coap_ticks_to_rt", || clock::ticks_to_rt(t) as coap_time_t)
}

#[no_mangle]
pub extern "C" fn coap_ticks_to_rt_us(t: coap_tick_t) -> u64 {
    guard("coap_ticks_to_rt_us", || clock::ticks_to_rt_us(t))
}

#[no_mangle]
pub extern "C" fn coap_ticks_from_rt_us(us: u64) -> coap_tick_t {
    guard("coap_ticks_from_rt_us", || clock::ticks_from_rt_us(us))
}
