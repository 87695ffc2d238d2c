//! coap_tls_library(3): which transports and security this build offers:
//! DTLS (PSK and PKI) through OpenSSL; TCP and TLS are not built, so those
//! answers are those of a libcoap built with `--disable-tcp`.
use crate::ffi::boundary::guard;
use crate::ffi::types::{coap_tls_library_t, coap_tls_version_t, LogLevel};
use std::ffi::{c_char, c_int};
use std::sync::OnceLock;

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

fn version() -> &'static coap_tls_version_t {
    static VERSION: OnceLock<coap_tls_version_t> = OnceLock::new();
    VERSION.get_or_init(|| {
        let runtime = u64::try_from(openssl::version::number()).unwrap_or(0);
        let built = option_env!("COAP_OPENSSL_BUILT").and_then(|v| u64::from_str_radix(v, 16).ok()).unwrap_or(runtime);
        coap_tls_version_t { version: runtime, r#type: coap_tls_library_t::COAP_TLS_LIBRARY_OPENSSL as u32, built_version: built }
    })
}

fn version_text() -> String {
    let v = version();
    format!("TLS Library: OpenSSL - runtime {}, libcoap built for {}", openssl_dotted(v.version), openssl_dotted(v.built_version))
}

/// An OpenSSL version number as libcoap prints it, which reads every
/// OpenSSL number with the 1.x layout (0xMNNFFPPS): major, minor and fix
/// nibbles, a patch letter and a status ("-dev" for 0, "" for 0xf,
/// "-betaN" otherwise). OpenSSL 3.0.19 (0x30000130) comes out as
/// "3.0.0s-dev", as from Debian's libcoap; scripts match on that text.
fn openssl_dotted(v: u64) -> String {
    let status = match v & 0xf {
        0 => "-dev".to_string(),
        0xf => String::new(),
        n => format!("-beta{n}"),
    };
    let patch = (v >> 4) & 0xff;
    let letter = match u8::try_from(patch) {
        Ok(p) if p > 0 => char::from(b'a'.wrapping_add(p - 1)).to_string(),
        _ => String::new(),
    };
    format!("{}.{}.{}{letter}{status}", v >> 28, (v >> 20) & 0xff, (v >> 12) & 0xff)
}

fn support_text() -> String {
    "(DTLS and no TLS support; PSK, PKI, no PKCS11, and no RPK support)\n(No OSCORE)\n(No WebSockets)".to_string()
}

/// DTLS 1.2 over UDP through OpenSSL is built.
#[no_mangle]
pub extern "C" fn coap_dtls_is_supported() -> c_int {
    1
}

/// TLS needs TCP, which is not built.
#[no_mangle]
pub extern "C" fn coap_tls_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_dtls_psk_is_supported() -> c_int {
    1
}

#[no_mangle]
pub extern "C" fn coap_dtls_pki_is_supported() -> c_int {
    1
}

#[no_mangle]
pub extern "C" fn coap_dtls_pkcs11_is_supported() -> c_int {
    0
}

/// OpenSSL has no raw public keys (RFC 7250), as in libcoap's OpenSSL build.
#[no_mangle]
pub extern "C" fn coap_dtls_rpk_is_supported() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn coap_tcp_is_supported() -> c_int {
    0
}

/// The OpenSSL in use: runtime and build-time versions (static storage).
#[no_mangle]
pub extern "C" fn coap_get_tls_library_version() -> *mut coap_tls_version_t {
    (version() as *const coap_tls_version_t).cast_mut()
}

#[no_mangle]
pub unsafe extern "C" fn coap_string_tls_version(buf: *mut c_char, len: usize) -> *mut c_char {
    guard("coap_string_tls_version", || fill("coap_string_tls_version", buf, len, &version_text()))
}

#[no_mangle]
pub unsafe extern "C" fn coap_string_tls_support(buf: *mut c_char, len: usize) -> *mut c_char {
    guard("coap_string_tls_support", || fill("coap_string_tls_support", buf, len, &support_text()))
}

#[no_mangle]
pub extern "C" fn coap_show_tls_version(level: LogLevel) {
    guard("coap_show_tls_version", || {
        crate::ffi::logging::emit(level, format_args!("{}\n", version_text()))
    })
}
