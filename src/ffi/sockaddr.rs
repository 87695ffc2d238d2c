//! The engine's UDP paths speak `SocketAddr`; these narrow the general
//! address conversions of address.rs to IP addresses.
use crate::engine::address::Address;
use crate::ffi::types::coap_address_t;
use std::net::SocketAddr;

/// The IP socket address in `a`, if it holds one.
pub fn from_c(a: &coap_address_t) -> Option<SocketAddr> {
    match crate::ffi::address::from_c(a)? {
        Address::V4(v4) => Some(SocketAddr::V4(v4)),
        Address::V6(v6) => Some(SocketAddr::V6(v6)),
        Address::Unix(_) => None,
    }
}

/// `addr` as a `coap_address_t`.
pub fn to_c(addr: SocketAddr) -> coap_address_t {
    let a = match addr {
        SocketAddr::V4(v4) => Address::V4(v4),
        SocketAddr::V6(v6) => Address::V6(v6),
    };
    crate::ffi::address::to_c(&a)
}
