//! coap_pdu_access(3) option structs. `coap_opt_filter_t` and
//! `coap_opt_iterator_t` are written in C in src/ffi/header/prelude.h (the
//! iterator has bit-fields); the Rust mirrors here are excluded from cbindgen.
use std::ffi::c_uint;

pub type coap_opt_t = u8;
pub type coap_option_num_t = u16;

#[repr(C)]
pub struct coap_option_t {
    pub delta: u16,
    pub length: usize,
    pub value: *const u8,
}

#[repr(C)]
pub struct coap_optlist_t {
    pub next: *mut coap_optlist_t,
    pub number: u16,
    pub length: usize,
    pub data: *mut u8,
}

/// The deprecated key/length option header of libcoap's old API.
#[repr(C)]
pub struct coap_option {
    pub key: u16,
    pub length: c_uint,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct coap_opt_filter_t {
    pub mask: u16,
    pub long_opts: [u16; 2],
    pub short_opts: [u8; 6],
}

/// Mirror of the C iterator. The `bad` (bit 0) and `filtered` (bit 1)
/// bit-fields share the `unsigned int` unit that starts at `number`: the C
/// compiler puts them in the 16 bits after it (byte 10), so `flags` is the
/// u16 there, not a field of its own after padding.
#[repr(C)]
pub struct coap_opt_iterator_t {
    pub length: usize,
    pub number: coap_option_num_t,
    pub flags: u16,
    pub next_option: *mut coap_opt_t,
    pub filter: coap_opt_filter_t,
}

impl coap_opt_iterator_t {
    pub fn bad(&self) -> bool {
        self.flags & 1 != 0
    }
    pub fn set_bad(&mut self, v: bool) {
        self.flags = (self.flags & !1) | u16::from(v);
    }
    pub fn filtered(&self) -> bool {
        self.flags & 2 != 0
    }
    pub fn set_filtered(&mut self, v: bool) {
        self.flags = (self.flags & !2) | (u16::from(v) << 1);
    }
}
