//! Mirrors of the block structs of coap_block(3), whose C definitions (with
//! bit-fields) are in src/ffi/header/prelude.h; excluded from cbindgen.
use std::ffi::c_uint;

/// `bits` packs m (bit 0) and szx (bits 1-3).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct coap_block_t {
    pub num: c_uint,
    pub bits: c_uint,
}

/// `bits` packs m (bit 0), szx (1-3), aszx (4-6), defined (7), bert (8).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct coap_block_b_t {
    pub num: c_uint,
    pub bits: c_uint,
    pub chunk_size: u32,
}

const M: (u32, u32) = (0, 1);
const SZX: (u32, u32) = (1, 3);
const ASZX: (u32, u32) = (4, 3);
const DEFINED: (u32, u32) = (7, 1);
const BERT: (u32, u32) = (8, 1);

fn get(bits: c_uint, (shift, width): (u32, u32)) -> c_uint {
    (bits >> shift) & ((1 << width) - 1)
}

fn set(bits: &mut c_uint, (shift, width): (u32, u32), v: c_uint) {
    let mask = ((1 << width) - 1) << shift;
    *bits = (*bits & !mask) | ((v << shift) & mask);
}

impl coap_block_t {
    pub fn m(&self) -> c_uint { get(self.bits, M) }
    pub fn szx(&self) -> c_uint { get(self.bits, SZX) }
    pub fn set_m(&mut self, v: c_uint) { set(&mut self.bits, M, v) }
    pub fn set_szx(&mut self, v: c_uint) { set(&mut self.bits, SZX, v) }
}

impl coap_block_b_t {
    pub fn m(&self) -> c_uint { get(self.bits, M) }
    pub fn szx(&self) -> c_uint { get(self.bits, SZX) }
    pub fn aszx(&self) -> c_uint { get(self.bits, ASZX) }
    pub fn defined(&self) -> c_uint { get(self.bits, DEFINED) }
    pub fn bert(&self) -> c_uint { get(self.bits, BERT) }
    pub fn set_m(&mut self, v: c_uint) { set(&mut self.bits, M, v) }
    pub fn set_szx(&mut self, v: c_uint) { set(&mut self.bits, SZX, v) }
    pub fn set_aszx(&mut self, v: c_uint) { set(&mut self.bits, ASZX, v) }
    pub fn set_defined(&mut self, v: c_uint) { set(&mut self.bits, DEFINED, v) }
    pub fn set_bert(&mut self, v: c_uint) { set(&mut self.bits, BERT, v) }
}
