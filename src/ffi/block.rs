//! coap_block(3): the low-level Block1/Block2 helpers (reading and writing
//! block options, adding the matching slice of a body). Q-Block (RFC 9177)
//! runs in the engine when COAP_BLOCK_TRY_Q_BLOCK is set
//! (engine/qblock_client.rs, engine/qblock_server.rs).
//!
//! A NULL session means UDP: SZX 7 (BERT, RFC 8323) needs a reliable
//! session and is refused otherwise.
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::pdu_setup::{add_option, framing_of};
use crate::ffi::types::*;
use crate::proto::block::{Block, BERT_SZX, MAX_NUM, MAX_SZX};
use crate::proto::option::{self, OptNum};
use std::ffi::{c_int, c_uchar, c_uint};

#[no_mangle]
pub extern "C" fn coap_q_block_is_supported() -> c_int {
    1
}

/// True if `session` is a live session on a reliable transport.
fn is_reliable(session: *const coap_session_t) -> bool {
    if session.is_null() {
        return false;
    }
    // SAFETY: a non-NULL session came through the API; the call checks it.
    let proto = unsafe { crate::ffi::session::coap_session_get_proto(session) };
    framing_of(proto).is_some_and(|f| f.is_reliable())
}

/// An option value as one integer (wider than any block value may be).
fn wide_value(v: &[u8]) -> u64 {
    v.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b))
}

#[no_mangle]
pub unsafe extern "C" fn coap_opt_block_num(block_opt: *const coap_opt_t) -> c_uint {
    guard("coap_opt_block_num", || {
        arg_ref!("coap_opt_block_num", block_opt);
        // SAFETY: C contract: `block_opt` points at a complete option.
        let (len, value) = unsafe {
            (crate::ffi::pdu_access::coap_opt_length(block_opt), crate::ffi::pdu_access::coap_opt_value(block_opt))
        };
        if value.is_null() || len == 0 {
            return 0;
        }
        // SAFETY: the option's value has `len` bytes after its header.
        let v = unsafe { std::slice::from_raw_parts(value, len as usize) };
        (wide_value(v) >> 4) as c_uint
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_get_block(pdu: *const coap_pdu_t, number: coap_option_num_t, block: *mut coap_block_t) -> c_int {
    guard("coap_get_block", || {
        let out = arg_mut!("coap_get_block", block);
        *out = coap_block_t::default();
        let obj = handle!("coap_get_block", pdu, PduObj);
        let Some(opt) = obj.pdu.option(number) else { return 0 };
        match Block::decode(opt.value, false) {
            Ok(b) => {
                out.num = b.num;
                out.set_m(c_uint::from(b.more));
                out.set_szx(c_uint::from(b.szx));
                1
            }
            Err(e) => {
                log::debug!("coap_get_block: unusable block option {number} ({e:?})");
                0
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_get_block_b(
    session: *const coap_session_t,
    pdu: *const coap_pdu_t,
    number: coap_option_num_t,
    block: *mut coap_block_b_t,
) -> c_int {
    guard("coap_get_block_b", || {
        let out = arg_mut!("coap_get_block_b", block);
        *out = coap_block_b_t::default();
        let obj = handle!("coap_get_block_b", pdu, PduObj);
        let Some(opt) = obj.pdu.option(number) else { return 0 };
        let last = opt.value.last().copied().unwrap_or(0);
        let szx = last & 0x07;
        out.set_szx(c_uint::from(szx));
        out.set_aszx(c_uint::from(szx));
        if szx == BERT_SZX {
            if !is_reliable(session) {
                log::warn!("coap_get_block_b: BERT block option {number} outside a reliable session");
                return 0;
            }
            // BERT: 1024-byte blocks, as many as the payload carries.
            let payload = obj.pdu.payload().map_or(0, <[u8]>::len);
            out.set_szx(c_uint::from(MAX_SZX));
            out.set_bert(1);
            out.chunk_size = u32::try_from((payload / 1024).max(1) * 1024).unwrap_or(!1023u32);
        } else {
            out.chunk_size = 16u32 << szx;
        }
        out.set_m(c_uint::from(last & 0x08 != 0));
        out.set_defined(1);
        match Block::decode(opt.value, true) {
            Ok(b) => {
                out.num = b.num;
                1
            }
            Err(e) => {
                log::debug!("coap_get_block_b: unusable block option {number} ({e:?})");
                0
            }
        }
    })
}

/// What a block option written into a PDU carries.
struct Planned {
    num: u32,
    more: bool,
    szx: u8,
}

/// Chooses the block for `data_length` bytes of body starting at block
/// `num` of size `szx`, so that the option and the block's payload fit in
/// what is left of the PDU; the block size shrinks (and `num` grows to keep
/// the offset) when they do not. Errors are libcoap's return values: -2 for
/// a block past the end of the body, -3 when not even 16 bytes fit.
fn plan(obj: &PduObj, number: OptNum, num: u32, szx: u8, data_length: usize) -> Result<Planned, c_int> {
    let size = 16u64 << szx;
    let start = u64::from(num) * size;
    let total = data_length as u64;
    if num != 0 && total <= start {
        log::debug!("coap_write_block_opt: block {num} starts past the {data_length} byte body");
        return Err(-2);
    }
    let remaining = total.saturating_sub(start);
    let max = obj.pdu.max_size();
    if max == 0 {
        return Ok(Planned { num, more: size < remaining, szx });
    }
    // Room the PDU keeps once the option (replacing any earlier one) and
    // the payload marker are in.
    let mut used = obj.pdu.used_size();
    let mut prev: OptNum = 0;
    for o in obj.pdu.options().map_while(Result::ok) {
        if o.number == number {
            used = used.saturating_sub(o.size);
        } else if o.number < number {
            prev = o.number;
        }
    }
    let avail = |num: u32, szx: u8| -> u64 {
        let vlen = Block { num, more: true, szx }.encode().1;
        let overhead = option::encoded_size(u32::from(number - prev), vlen) + 1;
        max.saturating_sub(used + overhead) as u64
    };
    let room = avail(num, szx);
    if size <= room {
        return Ok(Planned { num, more: size < remaining, szx });
    }
    if remaining <= room {
        return Ok(Planned { num, more: false, szx });
    }
    for smaller in (0..szx).rev() {
        let n = u64::from(num) << (szx - smaller);
        let Ok(n) = u32::try_from(n) else { break };
        if n > MAX_NUM {
            break;
        }
        if (16u64 << smaller) <= avail(n, smaller) {
            return Ok(Planned { num: n, more: true, szx: smaller });
        }
    }
    log::debug!("coap_write_block_opt: not even a 16-byte block fits in the PDU");
    Err(-3)
}

/// Replaces option `number` of the PDU with the block's value.
fn put_block(obj: &mut PduObj, func: &str, number: OptNum, b: &Planned) -> c_int {
    let value = Block { num: b.num, more: b.more, szx: b.szx }.to_vec();
    obj.pdu.remove_option(number);
    if add_option(obj, func, number, &value) == 0 {
        return -1;
    }
    1
}

/// Checks shared by both writers; the validated (num, szx).
fn check_block(obj: &PduObj, func: &str, num: c_uint, szx: c_uint, bert_ok: bool) -> Option<(u32, u8)> {
    if num > MAX_NUM {
        log::warn!("{func}: block number {num} needs more than 20 bits");
        return None;
    }
    if szx == c_uint::from(BERT_SZX) && !bert_ok {
        log::warn!("{func}: SZX 7 (BERT) needs a reliable session");
        return None;
    }
    if obj.pdu.payload().is_some() {
        log::warn!("{func}: the PDU already has a payload");
        return None;
    }
    Some((num, szx as u8))
}

#[no_mangle]
pub unsafe extern "C" fn coap_write_block_opt(
    block: *mut coap_block_t,
    number: coap_option_num_t,
    pdu: *mut coap_pdu_t,
    data_length: usize,
) -> c_int {
    const F: &str = "coap_write_block_opt";
    guard(F, || {
        let blk = arg_mut!(F, block, else -1);
        let obj = handle!(F, pdu, PduObj, else -1);
        let Some((num, szx)) = check_block(obj, F, blk.num, blk.szx(), false) else { return -1 };
        let p = match plan(obj, number, num, szx, data_length) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let r = put_block(obj, F, number, &p);
        if r == 1 {
            blk.num = p.num;
            blk.set_m(c_uint::from(p.more));
            blk.set_szx(c_uint::from(p.szx));
        }
        r
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_write_block_b_opt(
    session: *mut coap_session_t,
    block: *mut coap_block_b_t,
    number: coap_option_num_t,
    pdu: *mut coap_pdu_t,
    data_length: usize,
) -> c_int {
    const F: &str = "coap_write_block_b_opt";
    guard(F, || {
        let blk = arg_mut!(F, block, else -1);
        let obj = handle!(F, pdu, PduObj, else -1);
        let reliable = is_reliable(session);
        let Some((num, szx)) = check_block(obj, F, blk.num, blk.szx(), reliable) else { return -1 };
        if szx == BERT_SZX {
            // BERT (reliable only): as many 1024-byte blocks as fit.
            let start = u64::from(num) * 1024;
            let total = data_length as u64;
            if num != 0 && total <= start {
                return -2;
            }
            let max = obj.pdu.max_size();
            let room = if max == 0 { u64::MAX } else { max.saturating_sub(obj.pdu.used_size() + 6) as u64 };
            let left = total.saturating_sub(start);
            let chunk = (left.min(room) / 1024).max(1) * 1024;
            if room < 1024 && left > room {
                return -3;
            }
            let p = Planned { num, more: start + chunk < total, szx: BERT_SZX };
            let r = put_block(obj, F, number, &p);
            if r == 1 {
                blk.set_m(c_uint::from(p.more));
                blk.set_szx(c_uint::from(MAX_SZX));
                blk.set_aszx(c_uint::from(BERT_SZX));
                blk.set_bert(1);
                blk.chunk_size = u32::try_from(chunk).unwrap_or(!1023u32);
            }
            return r;
        }
        let p = match plan(obj, number, num, szx, data_length) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let r = put_block(obj, F, number, &p);
        if r == 1 {
            blk.num = p.num;
            blk.set_m(c_uint::from(p.more));
            blk.set_szx(c_uint::from(p.szx));
            blk.set_aszx(c_uint::from(p.szx));
            blk.set_bert(0);
            blk.chunk_size = 16u32 << p.szx;
        }
        r
    })
}

/// Adds `size` bytes of `body` starting at `start` as the payload; 0 if the
/// block starts at or past the end of the body.
fn add_slice(obj: &mut PduObj, func: &str, body: &[u8], start: u64, size: u64) -> c_int {
    let Ok(start) = usize::try_from(start) else { return 0 };
    if start >= body.len() {
        log::debug!("{func}: block starts past the {} byte body", body.len());
        return 0;
    }
    let end = usize::try_from(size).map_or(body.len(), |s| start.saturating_add(s).min(body.len()));
    let Some(slice) = body.get(start..end) else { return 0 };
    match obj.pdu.add_payload(slice) {
        Ok(()) => 1,
        Err(e) => {
            crate::ffi::pdu_setup::log_pdu_error(func, e);
            0
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_block(
    pdu: *mut coap_pdu_t,
    len: usize,
    data: *const u8,
    block_num: c_uint,
    block_szx: c_uchar,
) -> c_int {
    const F: &str = "coap_add_block";
    guard(F, || {
        let obj = handle!(F, pdu, PduObj);
        let body = arg_bytes!(F, data, len);
        if block_szx > MAX_SZX {
            log::warn!("{F}: SZX {block_szx} is not a block size here (BERT needs coap_add_block_b_data)");
            return 0;
        }
        add_slice(obj, F, body, u64::from(block_num) << (block_szx + 4), 16 << block_szx)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_block_b_data(pdu: *mut coap_pdu_t, len: usize, data: *const u8, block: *mut coap_block_b_t) -> c_int {
    const F: &str = "coap_add_block_b_data";
    guard(F, || {
        let obj = handle!(F, pdu, PduObj);
        let b = arg_ref!(F, block);
        let body = arg_bytes!(F, data, len);
        let (start, size) = if b.bert() != 0 {
            (u64::from(b.num) * 1024, u64::from(b.chunk_size.max(1024)))
        } else {
            let szx = b.szx();
            if szx > c_uint::from(MAX_SZX) {
                log::warn!("{F}: SZX 7 (BERT) without the block's BERT flag");
                return 0;
            }
            (u64::from(b.num) << (szx + 4), 16u64 << szx)
        };
        add_slice(obj, F, body, start, size)
    })
}

