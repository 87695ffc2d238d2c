//! coap_address(3) structs.
use super::enums::{Proto, UriScheme};
use std::ffi::c_char;

/// An AF_UNIX address with libcoap's shorter path (fits coap_address_t).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct coap_sockaddr_un {
    pub sun_family: libc::sa_family_t,
    pub sun_path: [c_char; 26],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union coap_address_t_addr {
    pub sa: libc::sockaddr,
    pub sin: libc::sockaddr_in,
    pub sin6: libc::sockaddr_in6,
    pub cun: coap_sockaddr_un,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct coap_address_t {
    pub size: libc::socklen_t,
    pub addr: coap_address_t_addr,
}

#[repr(C)]
pub struct coap_addr_tuple_t {
    pub remote: coap_address_t,
    pub local: coap_address_t,
}

#[repr(C)]
pub struct coap_addr_info_t {
    pub next: *mut coap_addr_info_t,
    pub scheme: UriScheme,
    pub proto: Proto,
    pub addr: coap_address_t,
}
