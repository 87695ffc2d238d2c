//! coap_pdu_access(3): reading a PDU's header, token, options and payload,
//! and the option iterator and filters. (coap_get_uri_path/coap_get_query
//! are in uri.rs, coap_decode_var_bytes in encode.rs.)
//!
//! The iterator and the `coap_opt_*` functions work on raw pointers into a
//! PDU's option area, as libcoap's do: C holds the iterator state.
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::pdu_setup::{filter_from_c, filter_to_c};
use crate::ffi::types::*;
use crate::proto::option::{self, OptFilter, OptHeader, PAYLOAD_MARKER};
use std::ffi::c_int;

impl crate::ffi::boundary::Failure for coap_bin_const_t {
    fn failure() -> Self {
        coap_bin_const_t { length: 0, s: std::ptr::null() }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_get_code(pdu: *const coap_pdu_t) -> PduCode {
    guard("coap_pdu_get_code", || PduCode::from(handle!("coap_pdu_get_code", pdu, PduObj).pdu.code))
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_get_type(pdu: *const coap_pdu_t) -> PduType {
    guard("coap_pdu_get_type", || handle!("coap_pdu_get_type", pdu, PduObj).pdu.typ as PduType)
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_get_mid(pdu: *const coap_pdu_t) -> coap_mid_t {
    guard("coap_pdu_get_mid", || coap_mid_t(c_int::from(handle!("coap_pdu_get_mid", pdu, PduObj).pdu.mid)))
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_get_token(pdu: *const coap_pdu_t) -> coap_bin_const_t {
    guard("coap_pdu_get_token", || {
        let token = handle!("coap_pdu_get_token", pdu, PduObj).pdu.token();
        coap_bin_const_t { length: token.len(), s: token.as_ptr() }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_get_data(pdu: *const coap_pdu_t, len: *mut usize, data: *mut *const u8) -> c_int {
    guard("coap_get_data", || {
        let mut offset = 0;
        let mut total = 0;
        // SAFETY: forwarding the caller's pointers with the same contract.
        unsafe { get_data("coap_get_data", pdu, len, data, &mut offset, &mut total) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_get_data_large(
    pdu: *const coap_pdu_t,
    len: *mut usize,
    data: *mut *const u8,
    offset: *mut usize,
    total: *mut usize,
) -> c_int {
    guard("coap_get_data_large", || {
        // SAFETY: forwarding the caller's pointers with the same contract.
        unsafe { get_data("coap_get_data_large", pdu, len, data, offset, total) }
    })
}

/// The payload of a single PDU: offset 0, total = its length.
unsafe fn get_data(
    func: &'static str,
    pdu: *const coap_pdu_t,
    len: *mut usize,
    data: *mut *const u8,
    offset: *mut usize,
    total: *mut usize,
) -> c_int {
    // Clear the outputs first, so a refused call leaves no stale values.
    // SAFETY: each is NULL or writable (C contract).
    unsafe {
        for p in [len, offset, total] {
            if let Some(p) = p.as_mut() {
                *p = 0;
            }
        }
        if let Some(d) = data.as_mut() {
            *d = std::ptr::null();
        }
    }
    let obj = handle!(func, pdu, PduObj);
    // SAFETY: as above.
    let (len, data) = match unsafe { (len.as_mut(), data.as_mut()) } {
        (Some(l), Some(d)) => (l, d),
        _ => {
            crate::ffi::boundary::null_arg(func, "len or data");
            return 0;
        }
    };
    let Some(payload) = obj.pdu.payload() else { return 0 };
    *len = payload.len();
    *data = payload.as_ptr();
    let (off, tot) = obj.span.unwrap_or((0, payload.len()));
    // SAFETY: as above.
    unsafe {
        if let Some(o) = offset.as_mut() {
            *o = off;
        }
        if let Some(t) = total.as_mut() {
            *t = tot;
        }
    }
    1
}

fn set_filter(oi: &mut coap_opt_iterator_t, f: &OptFilter) {
    filter_to_c(f, &mut oi.filter);
    oi.set_filtered(true);
}

#[no_mangle]
pub unsafe extern "C" fn coap_option_iterator_init(
    pdu: *const coap_pdu_t,
    oi: *mut coap_opt_iterator_t,
    filter: *const coap_opt_filter_t,
) -> *mut coap_opt_iterator_t {
    guard("coap_option_iterator_init", || {
        let it = arg_mut!("coap_option_iterator_init", oi);
        *it = coap_opt_iterator_t {
            length: 0,
            number: 0,
            flags: 0,
            next_option: std::ptr::null_mut(),
            filter: coap_opt_filter_t::default(),
        };
        let obj = handle!("coap_option_iterator_init", pdu, PduObj, else {
            it.set_bad(true);
            std::ptr::null_mut()
        });
        // Options, marker and payload: the iterator stops at the marker.
        let rest = obj.pdu.buffer().get(obj.pdu.options_offset()..).unwrap_or_default();
        if rest.is_empty() {
            it.set_bad(true);
            return std::ptr::null_mut();
        }
        it.next_option = rest.as_ptr().cast_mut();
        it.length = rest.len();
        // SAFETY: NULL or a caller-owned filter (C contract).
        if let Some(f) = unsafe { filter.as_ref() } {
            set_filter(it, &filter_from_c(f));
        }
        oi
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_option_next(oi: *mut coap_opt_iterator_t) -> *mut coap_opt_t {
    guard("coap_option_next", || {
        let it = arg_mut!("coap_option_next", oi);
        if it.bad() {
            return std::ptr::null_mut();
        }
        let filter = it.filtered().then(|| filter_from_c(&it.filter));
        loop {
            if it.next_option.is_null() || it.length == 0 {
                it.set_bad(true);
                return std::ptr::null_mut();
            }
            // SAFETY: the iterator was set up by coap_option_iterator_init to
            // cover `length` bytes of a live PDU the caller has not changed.
            let area = unsafe { std::slice::from_raw_parts(it.next_option, it.length) };
            if area.first() == Some(&PAYLOAD_MARKER) {
                it.set_bad(true);
                return std::ptr::null_mut();
            }
            let (h, value) = match option::decode(area) {
                Ok(x) => x,
                Err(e) => {
                    log::debug!("coap_option_next: malformed option ({e:?})");
                    it.set_bad(true);
                    return std::ptr::null_mut();
                }
            };
            let Some(number) = u32::from(it.number).checked_add(h.delta).and_then(|n| u16::try_from(n).ok()) else {
                log::debug!("coap_option_next: option number overflow");
                it.set_bad(true);
                return std::ptr::null_mut();
            };
            let size = h.header_len + value.len();
            let current = it.next_option;
            // SAFETY: size <= length, so this stays inside the same area.
            it.next_option = unsafe { it.next_option.add(size) };
            it.length -= size;
            it.number = number;
            if filter.map_or(true, |f| f.get(number)) {
                return current;
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_check_option(
    pdu: *const coap_pdu_t,
    number: coap_option_num_t,
    oi: *mut coap_opt_iterator_t,
) -> *mut coap_opt_t {
    guard("coap_check_option", || {
        let mut f = OptFilter::new();
        f.set(number);
        let mut cf = coap_opt_filter_t::default();
        filter_to_c(&f, &mut cf);
        // SAFETY: forwarding the caller's pointers with the same contract.
        unsafe {
            if coap_option_iterator_init(pdu, oi, &cf).is_null() {
                return std::ptr::null_mut();
            }
            coap_option_next(oi)
        }
    })
}

/// Reads the header of the option at `opt`, touching only its header bytes
/// (the pointer-only `coap_opt_*` functions have no length to go by).
///
/// # Safety
/// `opt` points at a complete option, as the C contract says.
unsafe fn header_at(opt: *const coap_opt_t) -> Option<OptHeader> {
    // SAFETY: an option has at least its first byte.
    let first = unsafe { *opt };
    let ext = |nibble: u8| match nibble {
        13 => 1,
        14 => 2,
        _ => 0,
    };
    let need = 1 + ext(first >> 4) + ext(first & 0x0f);
    // SAFETY: the first byte announces `need` header bytes, all part of it.
    let bytes = unsafe { std::slice::from_raw_parts(opt, need) };
    option::decode_header(bytes).ok().filter(|h| h.delta <= u32::from(u16::MAX))
}

#[no_mangle]
pub unsafe extern "C" fn coap_opt_length(opt: *const coap_opt_t) -> u32 {
    guard("coap_opt_length", || {
        arg_ref!("coap_opt_length", opt);
        // SAFETY: C contract: `opt` points at an option.
        unsafe { header_at(opt) }.map_or(0, |h| h.length)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_opt_value(opt: *const coap_opt_t) -> *const u8 {
    guard("coap_opt_value", || {
        arg_ref!("coap_opt_value", opt);
        // SAFETY: C contract: `opt` points at an option; the value follows
        // its header.
        unsafe { header_at(opt) }.map_or(std::ptr::null(), |h| unsafe { opt.add(h.header_len) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_opt_size(opt: *const coap_opt_t) -> usize {
    guard("coap_opt_size", || {
        arg_ref!("coap_opt_size", opt);
        // SAFETY: C contract: `opt` points at an option.
        unsafe { header_at(opt) }.map_or(0, |h| h.header_len + h.length as usize)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_opt_parse(opt: *const coap_opt_t, length: usize, result: *mut coap_option_t) -> usize {
    guard("coap_opt_parse", || {
        let out = arg_mut!("coap_opt_parse", result);
        let area = arg_bytes!("coap_opt_parse", opt, length);
        if area.first().map_or(true, |&b| b == PAYLOAD_MARKER) {
            return 0;
        }
        match option::decode(area) {
            Ok((h, value)) if h.delta <= u32::from(u16::MAX) => {
                out.delta = h.delta as u16;
                out.length = value.len();
                out.value = value.as_ptr();
                h.header_len + value.len()
            }
            Ok(_) => {
                log::debug!("coap_opt_parse: option delta too large");
                0
            }
            Err(e) => {
                log::debug!("coap_opt_parse: malformed option ({e:?})");
                0
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_opt_setheader(opt: *mut coap_opt_t, maxlen: usize, delta: u16, length: usize) -> usize {
    guard("coap_opt_setheader", || {
        if opt.is_null() {
            crate::ffi::boundary::null_arg("coap_opt_setheader", "opt");
            return 0;
        }
        // SAFETY: the caller provides `maxlen` writable bytes at `opt`.
        let buf = unsafe { std::slice::from_raw_parts_mut(opt, maxlen) };
        option::encode_header(buf, u32::from(delta), length).unwrap_or_else(|e| {
            log::debug!("coap_opt_setheader: cannot encode ({e:?})");
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_opt_encode(opt: *mut coap_opt_t, maxlen: usize, delta: u16, val: *const u8, length: usize) -> usize {
    guard("coap_opt_encode", || {
        if opt.is_null() {
            crate::ffi::boundary::null_arg("coap_opt_encode", "opt");
            return 0;
        }
        let value = arg_bytes!("coap_opt_encode", val, length);
        // Copy first: `val` may point into the output buffer.
        let value = value.to_vec();
        // SAFETY: the caller provides `maxlen` writable bytes at `opt`.
        let buf = unsafe { std::slice::from_raw_parts_mut(opt, maxlen) };
        option::encode(buf, u32::from(delta), &value).unwrap_or_else(|e| {
            log::debug!("coap_opt_encode: cannot encode ({e:?})");
            0
        })
    })
}

#[no_mangle]
pub extern "C" fn coap_opt_encode_size(delta: u16, length: usize) -> usize {
    guard("coap_opt_encode_size", || option::encoded_size(u32::from(delta), length))
}

#[no_mangle]
pub unsafe extern "C" fn coap_option_filter_clear(filter: *mut coap_opt_filter_t) {
    guard("coap_option_filter_clear", || {
        *arg_mut!("coap_option_filter_clear", filter) = coap_opt_filter_t::default();
    })
}

/// Runs `op` on the C filter through the protocol core's filter.
unsafe fn with_filter(func: &'static str, filter: *mut coap_opt_filter_t, op: impl FnOnce(&mut OptFilter) -> bool) -> c_int {
    // SAFETY: NULL or a caller-owned filter (C contract).
    let Some(c) = (unsafe { filter.as_mut() }) else {
        crate::ffi::boundary::null_arg(func, "filter");
        return 0;
    };
    let mut f = filter_from_c(c);
    let r = op(&mut f);
    filter_to_c(&f, c);
    c_int::from(r)
}

#[no_mangle]
pub unsafe extern "C" fn coap_option_filter_get(filter: *mut coap_opt_filter_t, number: coap_option_num_t) -> c_int {
    // SAFETY: forwarding the caller's pointer with the same contract.
    guard("coap_option_filter_get", || unsafe { with_filter("coap_option_filter_get", filter, |f| f.get(number)) })
}

#[no_mangle]
pub unsafe extern "C" fn coap_option_filter_set(filter: *mut coap_opt_filter_t, number: coap_option_num_t) -> c_int {
    // SAFETY: forwarding the caller's pointer with the same contract.
    guard("coap_option_filter_set", || unsafe { with_filter("coap_option_filter_set", filter, |f| f.set(number)) })
}

#[no_mangle]
pub unsafe extern "C" fn coap_option_filter_unset(filter: *mut coap_opt_filter_t, number: coap_option_num_t) -> c_int {
    // SAFETY: forwarding the caller's pointer with the same contract.
    guard("coap_option_filter_unset", || unsafe { with_filter("coap_option_filter_unset", filter, |f| f.unset(number)) })
}
