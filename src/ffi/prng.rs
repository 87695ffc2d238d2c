//! libcoap's random numbers (coap_prng.h): coap_prng, coap_prng_init,
//! coap_set_prng.
use crate::engine::prng;
use crate::ffi::boundary::guard;
use crate::ffi::types::coap_rand_func_t;
use std::ffi::{c_int, c_uint, c_void};
use std::sync::Arc;

/// Fills `len` bytes at `buf`; 1 on success, 0 on failure.
#[no_mangle]
pub unsafe extern "C" fn coap_prng(buf: *mut c_void, len: usize) -> c_int {
    guard("coap_prng", || {
        if len == 0 {
            return 1;
        }
        if buf.is_null() {
            crate::ffi::boundary::null_arg("coap_prng", "buf");
            return 0;
        }
        // SAFETY: the caller guarantees `len` writable bytes at `buf`.
        let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
        c_int::from(prng::fill(out))
    })
}

/// libcoap on Linux draws from getrandom(2), where a seed has no effect; the
/// same holds here. Kept for programs that call it.
#[no_mangle]
pub extern "C" fn coap_prng_init(seed: c_uint) {
    log::debug!("coap_prng_init: seed {seed} ignored, the kernel's generator needs none");
}

/// Installs the application's generator; NULL restores the default.
#[no_mangle]
pub extern "C" fn coap_set_prng(rng: coap_rand_func_t) {
    guard("coap_set_prng", || {
        prng::set_source(rng.map(|f| -> Arc<prng::Source> {
            Arc::new(move |buf: &mut [u8]| {
                // SAFETY: calling the application's generator on a live
                // buffer of buf.len() bytes, as coap_set_prng(3) promises.
                unsafe { f(buf.as_mut_ptr().cast(), buf.len()) != 0 }
            })
        }))
    })
}
