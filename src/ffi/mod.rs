//! The `extern "C"` surface, one file per libcoap man page. Thin: check
//! arguments, convert C types, call the engine, map errors to libcoap's
//! documented return values.

#[macro_use]
pub mod boundary;
pub mod types;

pub mod asynchronous;
pub mod block;
pub mod init;
pub mod logging;
pub mod oscore;
pub mod prng;
pub mod time;
pub mod tls_library;
pub mod websockets;
