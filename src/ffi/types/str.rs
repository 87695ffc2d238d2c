//! coap_string(3) structs.

#[repr(C)]
pub struct coap_string_t {
    pub length: usize,
    pub s: *mut u8,
}

#[repr(C)]
pub struct coap_str_const_t {
    pub length: usize,
    pub s: *const u8,
}

#[repr(C)]
pub struct coap_binary_t {
    pub length: usize,
    pub s: *mut u8,
}

#[repr(C)]
pub struct coap_bin_const_t {
    pub length: usize,
    pub s: *const u8,
}
