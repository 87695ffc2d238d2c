//! coap_tls_library(3): which transports and security this build offers.
//! DTLS/TLS and TCP are not built yet, so the answers and strings are those
//! of a libcoap built without them (`--disable-dtls --disable-tcp`).
use crate::ffi::boundary::guard;
use crate::ffi::types::{coap_tls_library_t, coap_tls_version_t, LogLevel};
use std::ffi::{c_char, c_int};

/// Writes `text` (plus NUL, truncated to fit) into the caller's buffer.
fn fill(func: &str, buf: *mut c_char, len: usize, text: &str) -> *mut c_char {
    if buf.is_null() {
        crate::ffi::boundary::null_arg(func, "buffer");
        return buf;
    }
    if len == 0 {
        return buf;
    }
    let n = text.len().min(len - 1);
    // SAFETY: the caller guarantees `buf` has room for `len` bytes; we write
    // n + 1 <= len of them.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
    buf
}

fn version_text() -> &'static str {
    "TLS Library: None"
}

fn support_text() -> &'static str {
    "(No DTLS or TLS support)"
}

#[no_mangle]
pub extern "C" fn coap_dtls_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_tls_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_dtls_psk_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_dtls_pki_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_dtls_pkcs11_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_dtls_rpk_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_tcp_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_get_tls_library_version() -> *mut coap_tls_version_t {
    struct Shared(std::cell::UnsafeCell<coap_tls_version_t>);
    // SAFETY: written only here, always with the same constant contents.
    unsafe impl Sync for Shared {}
    static VERSION: Shared = Shared(std::cell::UnsafeCell::new(coap_tls_version_t {
        version: 0,
        r#type: coap_tls_library_t::COAP_TLS_LIBRARY_NOTLS as u32,
        built_version: 0,
    }));
    // libcoap returns a pointer to static storage the caller may read.
    VERSION.0.get()
}

#[no_mangle]
pub unsafe extern "C" fn coap_string_tls_version(buf: *mut c_char, len: usize) -> *mut c_char {
    guard("coap_string_tls_version", || fill("coap_string_tls_version", buf, len, version_text()))
}

#[no_mangle]
pub unsafe extern "C" fn coap_string_tls_support(buf: *mut c_char, len: usize) -> *mut c_char {
    guard("coap_string_tls_support", || fill("coap_string_tls_support", buf, len, support_text()))
}

#[no_mangle]
pub extern "C" fn coap_show_tls_version(level: LogLevel) {
    guard("coap_show_tls_version", || {
        crate::ffi::logging::emit(level, format_args!("{}\n", version_text()))
    })
}
