//! The few OpenSSL entry points the `openssl`/`openssl-sys` crates do not
//! declare (all present in OpenSSL 1.1.1 and 3.x), plus macro constants.
#![allow(non_camel_case_types)]
use openssl::ssl::{SslContextRef, SslRef};
use openssl::x509::{X509Ref, X509StoreContextRef};
use openssl_sys::{SSL, SSL_CTX, X509, X509_STORE_CTX};
use std::ffi::{c_char, c_int, c_uint};

/// `SSL_ctrl` command behind the `DTLSv1_get_timeout` macro.
pub const DTLS_CTRL_GET_TIMEOUT: c_int = 73;
/// `SSL_ctrl` command behind the `DTLSv1_handle_timeout` macro.
pub const DTLS_CTRL_HANDLE_TIMEOUT: c_int = 74;

pub const SSL_CB_READ: c_int = 0x04;
pub const SSL_CB_WRITE: c_int = 0x08;
pub const SSL_CB_ALERT: c_int = 0x4000;
pub const SSL_CB_HANDSHAKE_START: c_int = 0x10;
/// SSL_CB_LOOP, SSL_ST_CONNECT, SSL_ST_ACCEPT (ssl.h): a handshake step, by role.
pub const SSL_CB_LOOP: c_int = 0x01;
pub const SSL_ST_CONNECT: c_int = 0x1000;
pub const SSL_ST_ACCEPT: c_int = 0x2000;
/// Alert level "fatal" in the high byte of the info callback's `ret`.
pub const SSL3_AL_FATAL: c_int = 2;
/// `close_notify` alert description.
pub const SSL3_AD_CLOSE_NOTIFY: c_int = 0;
/// TLS extension number of server_name (SNI).
pub const TLSEXT_TYPE_SERVER_NAME: c_uint = 0;

/// OpenSSL's opaque peer address (not declared by openssl-sys).
pub enum BIO_ADDR {}

pub type InfoCallback = unsafe extern "C" fn(ssl: *const SSL, where_: c_int, ret: c_int);
pub type TimerCallback = unsafe extern "C" fn(ssl: *mut SSL, timer_us: c_uint) -> c_uint;

extern "C" {
    pub fn DTLSv1_listen(s: *mut SSL, client: *mut BIO_ADDR) -> c_int;
    pub fn BIO_ADDR_new() -> *mut BIO_ADDR;
    pub fn BIO_ADDR_free(a: *mut BIO_ADDR);
    pub fn SSL_CTX_use_psk_identity_hint(ctx: *mut SSL_CTX, hint: *const c_char) -> c_int;
    pub fn SSL_use_psk_identity_hint(s: *mut SSL, hint: *const c_char) -> c_int;
    pub fn SSL_CTX_set_info_callback(ctx: *mut SSL_CTX, cb: Option<InfoCallback>);
    pub fn DTLS_set_timer_cb(s: *mut SSL, cb: Option<TimerCallback>);
    pub fn SSL_has_pending(s: *const SSL) -> c_int;
}

// The `openssl` crate's `FooRef` types follow foreign-types: a `&FooRef` is
// the C object's address. Its `as_ptr`/`from_ptr` live on a trait from a
// crate we do not depend on, so these casts do the same thing.

/// The `SSL *` behind a reference.
pub fn ssl_ptr(r: &SslRef) -> *mut SSL {
    (r as *const SslRef).cast_mut().cast()
}

/// # Safety
/// `p` must be a live, non-NULL `SSL *` not otherwise borrowed for `'a`.
pub unsafe fn ssl_ref_mut<'a>(p: *mut SSL) -> &'a mut SslRef {
    // SAFETY: per the contract; `SslRef` is the opaque stand-in for `SSL`.
    unsafe { &mut *p.cast::<SslRef>() }
}

/// # Safety
/// `p` must be a live, non-NULL `SSL *` for `'a`.
pub unsafe fn ssl_ref<'a>(p: *const SSL) -> &'a SslRef {
    // SAFETY: per the contract; `SslRef` is the opaque stand-in for `SSL`.
    unsafe { &*p.cast::<SslRef>() }
}

pub fn ctx_ptr(r: &SslContextRef) -> *mut SSL_CTX {
    (r as *const SslContextRef).cast_mut().cast()
}

pub fn x509_ptr(r: &X509Ref) -> *mut X509 {
    (r as *const X509Ref).cast_mut().cast()
}

pub fn store_ctx_ptr(r: &X509StoreContextRef) -> *mut X509_STORE_CTX {
    (r as *const X509StoreContextRef).cast_mut().cast()
}
