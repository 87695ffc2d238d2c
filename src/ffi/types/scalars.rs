//! Scalar typedefs of the public API.
use std::ffi::c_int;

pub type coap_tick_t = u64;
pub type coap_tick_diff_t = i64;
pub type coap_time_t = libc::time_t;
pub type coap_fd_t = c_int;
pub type coap_socket_flags_t = u16;
pub type coap_print_status_t = std::ffi::c_uint;

/// A message id, or `COAP_INVALID_MID` (-1). A newtype so the boundary helper
/// knows its failure value.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct coap_mid_t(pub c_int);

/// The value libcoap returns when no message could be sent.
pub(crate) const INVALID_MID: coap_mid_t = coap_mid_t(-1);
