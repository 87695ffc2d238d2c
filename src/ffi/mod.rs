//! The `extern "C"` surface, one file per libcoap man page. Thin: check
//! arguments, convert C types, call the engine, map errors to libcoap's
//! documented return values.
//!
//! Every `unsafe extern "C" fn` here has the safety contract of its libcoap
//! man page: pointer arguments are NULL or valid for the call.
#![allow(clippy::missing_safety_doc)]

#[macro_use]
pub mod boundary;
#[macro_use]
pub mod handle;
pub mod types;
#[macro_use]
pub mod context;
#[macro_use]
pub mod session;

pub mod asynchronous;
pub mod block;
pub mod block_large;
pub mod cache;
pub mod init;
pub mod logging;
pub mod optlist;
pub mod oscore;
pub mod pdu_access;
pub mod pdu_setup;
pub mod prng;
pub mod time;
pub mod tls_library;
pub mod websockets;
pub mod address;
pub mod resolve;
pub mod encode;
pub mod mem;
pub mod string;
pub mod endpoint;
pub mod handler;
pub mod io;
pub mod resource;
pub mod encryption;
pub mod error_response;
pub mod dtls;
pub mod observe;
pub mod persist;
pub mod uri;
