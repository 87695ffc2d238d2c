//! libcoap-3 (4.3.3) as a C-ABI drop-in, written in Rust.
//!
//! Layers (see DESIGN.md in the shared folder): `proto` is the sans-IO protocol
//! core, `engine` owns the objects behind the C handles, `transport` does the
//! socket work and `ffi` is the `extern "C"` surface, one file per man page.
#![deny(unsafe_op_in_unsafe_fn)]

// Only src/ffi is the C interface: cbindgen skips the rest.
/// cbindgen:ignore
pub mod engine;
pub mod ffi;
/// cbindgen:ignore
pub mod proto;
/// cbindgen:ignore
pub mod transport;
