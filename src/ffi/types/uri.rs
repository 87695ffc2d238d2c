//! coap_uri(3) struct.
use super::enums::UriScheme;
use super::str::coap_str_const_t;

#[repr(C)]
pub struct coap_uri_t {
    pub host: coap_str_const_t,
    pub port: u16,
    pub path: coap_str_const_t,
    pub query: coap_str_const_t,
    pub scheme: UriScheme,
}
