//! The one wrapper every export goes through: panics never unwind into C,
//! NULL arguments never reach Rust references, and every refusal returns the
//! function's documented failure value with a log line.
use crate::ffi::types::{coap_fixed_point_t, coap_mid_t, INVALID_MID};
use std::ffi::{c_char, c_int, c_uint};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The value an export returns when it cannot do its work. Where libcoap
/// documents another value for a function (say -1 from an `int` function),
/// the export states it at the call site instead.
pub trait Failure {
    fn failure() -> Self;
}

macro_rules! zero_failure {
    ($($t:ty),*) => {$(impl Failure for $t { fn failure() -> Self { 0 } })*};
}
zero_failure!(c_int, c_uint, u8, u16, u64, i64, usize);

impl Failure for () {
    fn failure() -> Self {}
}
impl<T> Failure for *mut T {
    fn failure() -> Self {
        std::ptr::null_mut()
    }
}
impl<T> Failure for *const T {
    fn failure() -> Self {
        std::ptr::null()
    }
}
impl Failure for coap_mid_t {
    fn failure() -> Self {
        INVALID_MID
    }
}
impl Failure for coap_fixed_point_t {
    fn failure() -> Self {
        coap_fixed_point_t::default()
    }
}
impl Failure for c_char {
    fn failure() -> Self {
        0
    }
}

/// Runs an export's body; a panic is logged at COAP_LOG_CRIT and turned into
/// the failure value.
pub fn guard<R: Failure>(name: &'static str, body: impl FnOnce() -> R) -> R {
    guard_or(name, R::failure, body)
}

/// As [`guard`], with the failure value computed by `fail`.
pub fn guard_or<R>(name: &'static str, fail: impl FnOnce() -> R, body: impl FnOnce() -> R) -> R {
    if crate::ffi::dtls::refuse_reentry(name) {
        return fail();
    }
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(_) => {
            crate::ffi::logging::emit(
                crate::ffi::types::level::CRIT,
                format_args!("{name}: internal error, call abandoned\n"),
            );
            fail()
        }
    }
}

/// Logs a refused NULL argument (at COAP_LOG_WARN, as every misuse).
#[cold]
pub fn null_arg(func: &str, arg: &str) {
    log::warn!("{func}: {arg} is NULL");
}

/// Turns a possibly-NULL pointer argument into a shared reference, or logs
/// and returns from the enclosing closure with the failure value (the
/// [`Failure`] default, or the expression after `else`).
///
/// The caller's contract, as for any C API, is that a non-NULL pointer points
/// to a live, properly aligned object of that type.
#[allow(unused_macros)]
macro_rules! arg_ref {
    ($func:expr, $p:expr) => {
        arg_ref!($func, $p, else $crate::ffi::boundary::Failure::failure())
    };
    ($func:expr, $p:expr, else $fail:expr) => {{
        let p = $p;
        // SAFETY: non-NULL pointers passed through the API must point to a
        // live object of the declared type (the C contract of every export).
        match unsafe { p.as_ref() } {
            Some(r) => r,
            None => {
                $crate::ffi::boundary::null_arg($func, stringify!($p));
                return $fail;
            }
        }
    }};
}

/// As [`arg_ref!`], for a mutable reference.
macro_rules! arg_mut {
    ($func:expr, $p:expr) => {
        arg_mut!($func, $p, else $crate::ffi::boundary::Failure::failure())
    };
    ($func:expr, $p:expr, else $fail:expr) => {{
        let p = $p;
        // SAFETY: as in arg_ref!; the caller also guarantees no other
        // reference to the object is in use during the call.
        match unsafe { p.as_mut() } {
            Some(r) => r,
            None => {
                $crate::ffi::boundary::null_arg($func, stringify!($p));
                return $fail;
            }
        }
    }};
}

/// Borrows `len` bytes at `data` as a slice. A NULL `data` is allowed only
/// with `len == 0` (an empty slice); otherwise it logs and returns the
/// failure value like [`arg_ref!`].
#[allow(unused_macros)]
macro_rules! arg_bytes {
    ($func:expr, $data:expr, $len:expr) => {
        arg_bytes!($func, $data, $len, else $crate::ffi::boundary::Failure::failure())
    };
    ($func:expr, $data:expr, $len:expr, else $fail:expr) => {{
        let (data, len): (*const u8, usize) = ($data, $len);
        if data.is_null() {
            if len != 0 {
                $crate::ffi::boundary::null_arg($func, stringify!($data));
                return $fail;
            }
            &[][..]
        } else {
            // SAFETY: the C contract: `data` points to at least `len`
            // readable bytes that stay unchanged during the call.
            unsafe { std::slice::from_raw_parts(data, len) }
        }
    }};
}

