//! coap_encode.h: CoAP's variable-length unsigned integers
//! (coap_pdu_setup(3), coap_pdu_access(3)) and the find-last-set helpers.
use crate::ffi::boundary::guard;
use crate::proto::encode;
use std::ffi::{c_int, c_longlong, c_uint};

/// Writes `value` minimally into `buf` of `length` bytes. Returns the bytes
/// written (0 for the value 0) or 0 when `buf` is too small or NULL; the
/// buffer is not touched then.
#[no_mangle]
pub unsafe extern "C" fn coap_encode_var_safe(buf: *mut u8, length: usize, value: c_uint) -> c_uint {
    guard("coap_encode_var_safe", || {
        // SAFETY: the caller's contract for `buf` of `length` bytes.
        unsafe { encode_into("coap_encode_var_safe", buf, length, u64::from(value)) }
    })
}

/// As [`coap_encode_var_safe`] for a 64-bit value.
#[no_mangle]
pub unsafe extern "C" fn coap_encode_var_safe8(buf: *mut u8, length: usize, value: u64) -> c_uint {
    guard("coap_encode_var_safe8", || {
        // SAFETY: the caller's contract for `buf` of `length` bytes.
        unsafe { encode_into("coap_encode_var_safe8", buf, length, value) }
    })
}

/// # Safety
/// A non-NULL `buf` points to `length` writable bytes.
unsafe fn encode_into(func: &str, buf: *mut u8, length: usize, value: u64) -> c_uint {
    let need = encode::encoded_len(value);
    if need == 0 {
        return 0;
    }
    if buf.is_null() {
        crate::ffi::boundary::null_arg(func, "buf");
        return 0;
    }
    if length < need {
        log::warn!("{func}: buffer of {length} bytes too small, {need} needed");
        return 0;
    }
    // SAFETY: non-NULL and, by the caller's contract, `length` bytes long;
    // no more than the 8 bytes an encoding can take are borrowed.
    let out = unsafe { std::slice::from_raw_parts_mut(buf, length.min(8)) };
    encode::encode_var_u64(out, value).map_or(0, |n| n as c_uint)
}

/// Decodes a big-endian option value; of more than 4 bytes the last 4 count.
#[no_mangle]
pub unsafe extern "C" fn coap_decode_var_bytes(buf: *const u8, length: usize) -> c_uint {
    guard("coap_decode_var_bytes", || {
        let bytes = arg_bytes!("coap_decode_var_bytes", buf, length);
        encode::decode_var_u32(bytes)
    })
}

/// Decodes a big-endian option value; of more than 8 bytes the last 8 count.
#[no_mangle]
pub unsafe extern "C" fn coap_decode_var_bytes8(buf: *const u8, length: usize) -> u64 {
    guard("coap_decode_var_bytes8", || {
        let bytes = arg_bytes!("coap_decode_var_bytes8", buf, length);
        encode::decode_var_u64(bytes)
    })
}

/// The 1-based position of the highest set bit of `i`, 0 for 0.
#[no_mangle]
pub extern "C" fn coap_fls(i: c_uint) -> c_int {
    guard("coap_fls", || encode::fls_u32(i) as c_int)
}

/// As [`coap_fls`] for 64 bits. A negative `i` has bit 64 set and gives 64
/// (libcoap 4.3.1 loops forever on it).
#[no_mangle]
pub extern "C" fn coap_flsll(i: c_longlong) -> c_int {
    guard("coap_flsll", || encode::fls_u64(i as u64) as c_int)
}
