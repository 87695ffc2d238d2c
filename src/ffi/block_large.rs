//! coap_block(3), the `_large` half: bodies larger than one PDU, which the
//! library then sends (Block1) or serves (Block2) block by block, and
//! coap_block_build_body() for applications that take blocks one by one.
//!
//! The library copies the application's data, so the release callback runs
//! before the call returns: the application may free its buffer at once,
//! and no later error can leave the library reading freed memory.
use crate::engine::block::{encode_uint, resource_key};
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::types::*;
use crate::proto::block::{self, Block};
use crate::proto::msg;
use crate::proto::option;
use std::ffi::{c_int, c_void};

/// Room kept for the Block, Size and Request-Tag/ETag options a blocked
/// body adds, and the payload marker.
const BLOCK_OVERHEAD: usize = 24;

fn release(func: coap_release_large_data_t, session: *mut coap_session_t, app_ptr: *mut c_void) {
    if let Some(f) = func {
        // SAFETY: the application's callback with the arguments it gave.
        unsafe { f(session, app_ptr) };
    }
}

/// Payload room left in `obj`, given the session's MTU-bound maximum.
fn room(obj: &PduObj, session_max: usize) -> usize {
    let max = match obj.pdu.max_size() {
        0 => session_max,
        m => m,
    };
    max.saturating_sub(obj.pdu.used_size() + 1)
}

/// The largest SZX whose blocks fit in `room` with the block options.
fn fitting_szx(room: usize) -> Option<u8> {
    block::szx_for_size(room.saturating_sub(BLOCK_OVERHEAD).min(1024))
}

fn add(obj: &mut PduObj, func: &str, number: u16, value: &[u8]) -> bool {
    match obj.pdu.add_option(number, value) {
        Ok(_) => true,
        Err(e) => {
            crate::ffi::pdu_setup::log_pdu_error(func, e);
            false
        }
    }
}

fn add_payload(obj: &mut PduObj, func: &str, data: &[u8]) -> bool {
    match obj.pdu.add_payload(data) {
        Ok(()) => true,
        Err(e) => {
            crate::ffi::pdu_setup::log_pdu_error(func, e);
            false
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_data_large_request(
    session: *mut coap_session_t,
    pdu: *mut coap_pdu_t,
    length: usize,
    data: *const u8,
    release_func: coap_release_large_data_t,
    app_ptr: *mut c_void,
) -> c_int {
    const F: &str = "coap_add_data_large_request";
    guard(F, || {
        let ok = (|| {
            let body = arg_bytes!(F, data, length, else 0).to_vec();
            let session_max = engine_session!(F, session, else 0).max_pdu_size().saturating_sub(4);
            let obj = handle!(F, pdu, PduObj, else 0);
            if obj.pdu.payload().is_some() || obj.large.is_some() {
                log::warn!("{F}: the PDU has data already");
                return 0;
            }
            let room = room(obj, session_max);
            // A Q-Block application may ask for its block size with
            // Q-Block1; the engine picks the option when it sends.
            let own = obj.pdu.option(option::BLOCK1).or_else(|| obj.pdu.option(option::Q_BLOCK1));
            let asked = match own.map(|o| Block::decode(o.value, false)) {
                Some(Ok(b)) => Some(b),
                Some(Err(e)) => {
                    log::warn!("{F}: the PDU's Block1 option is unusable ({e:?})");
                    return 0;
                }
                None => None,
            };
            if asked.is_none() && body.len() <= room {
                return c_int::from(add_payload(obj, F, &body));
            }
            let Some(mut szx) = fitting_szx(room) else {
                log::warn!("{F}: no room for even a 16-byte block");
                return 0;
            };
            if let Some(b) = asked {
                szx = szx.min(b.szx);
                obj.pdu.remove_option(option::BLOCK1);
                obj.pdu.remove_option(option::Q_BLOCK1);
            }
            let size = block::szx_size(szx).unwrap_or(16);
            let first = Block { num: 0, more: body.len() > size, szx };
            let mut rtag = [0u8; 4];
            crate::engine::prng::fill(&mut rtag);
            let added = add(obj, F, option::BLOCK1, &first.to_vec())
                && add(obj, F, option::SIZE1, &encode_uint(body.len() as u64))
                && (obj.pdu.option(option::REQUEST_TAG).is_some() || add(obj, F, option::REQUEST_TAG, &rtag))
                && add_payload(obj, F, body.get(..size.min(body.len())).unwrap_or_default());
            if !added {
                return 0;
            }
            if first.more {
                obj.large = Some(Box::new((body, szx)));
            }
            1
        })();
        release(release_func, session, app_ptr);
        ok
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_data_large_response(
    resource: *mut coap_resource_t,
    session: *mut coap_session_t,
    request: *const coap_pdu_t,
    response: *mut coap_pdu_t,
    query: *const coap_string_t,
    media_type: u16,
    maxage: c_int,
    etag: u64,
    length: usize,
    data: *const u8,
    release_func: coap_release_large_data_t,
    app_ptr: *mut c_void,
) -> c_int {
    const F: &str = "coap_add_data_large_response";
    let _ = (resource, query); // the request says which resource and query
    guard(F, || {
        let ok = (|| {
            let body = arg_bytes!(F, data, length, else 0).to_vec();
            let (ctx, id) = session!(F, session, else 0);
            let session_max = engine!(F, ctx, else 0).session(id).map_or(0, |s| s.max_pdu_size().saturating_sub(4));
            let req = handle!(F, request, PduObj, else 0);
            let asked = request_block(&req.pdu, option::BLOCK2);
            let (code, key) = (req.pdu.code, resource_key(&req.pdu));
            let mut q2 = request_block(&req.pdu, option::Q_BLOCK2);
            let token = req.pdu.token().to_vec();
            let obj = handle!(F, response, PduObj, else 0);
            if obj.pdu.payload().is_some() {
                log::warn!("{F}: the response has data already");
                return 0;
            }
            let room = room(obj, session_max);
            if q2.is_none() && asked.is_none() && body.len() > room && engine!(F, ctx, else 0).qblock_peer(id) {
                // A Q-Block peer gets the whole body in Q-Block2 sets even
                // when it did not ask for a block (as from libcoap 4.3.4).
                q2 = Block::new(0, true, 6).ok();
            }
            if let Some(b) = q2 {
                let etag = || match etag {
                    0 => (|| engine!(F, ctx, else 1).next_etag())(),
                    e => e,
                };
                let Some(follow) = q_block2_response(obj, b, room, (media_type, maxage), etag, &body) else { return 0 };
                if let Some((num, szx, head)) = follow {
                    let e = engine!(F, ctx, else 0);
                    e.store_large_response(id, code, key.clone(), head, body, szx);
                    e.qblock2_follow(id, &token, code, key, num, szx);
                }
                return 1;
            }
            let fits = match asked {
                None => body.len() <= room,
                Some(b) => b.num == 0 && body.len() <= b.size().min(room),
            };
            if fits {
                let done = (media_type == 0 || add(obj, F, option::CONTENT_FORMAT, &encode_uint(u64::from(media_type))))
                    && (maxage < 0 || add(obj, F, option::MAX_AGE, &encode_uint(maxage as u64)))
                    && add_payload(obj, F, &body);
                return c_int::from(done);
            }
            let Some(mut szx) = fitting_szx(room) else {
                log::warn!("{F}: no room for even a 16-byte block");
                return 0;
            };
            let num = asked.map_or(0, |b| b.num);
            if let Some(b) = asked {
                szx = szx.min(b.szx);
            }
            let Some(slice) = block::block_slice(&body, num, szx) else {
                log::debug!("{F}: block {num} is past the end of the {} byte body", body.len());
                obj.pdu.code = msg::BAD_OPTION;
                return 0;
            };
            let slice = slice.to_vec();
            let etag = match etag {
                0 => engine!(F, ctx, else 0).next_etag(),
                e => e,
            };
            let more = block::more_after(body.len() as u64, num, szx);
            let headed = add(obj, F, option::ETAG, &encode_uint(etag))
                && (media_type == 0 || add(obj, F, option::CONTENT_FORMAT, &encode_uint(u64::from(media_type))))
                && (maxage < 0 || add(obj, F, option::MAX_AGE, &encode_uint(maxage as u64)))
                && add(obj, F, option::SIZE2, &encode_uint(body.len() as u64));
            if !headed {
                return 0;
            }
            if obj.pdu.code == msg::EMPTY {
                obj.pdu.code = msg::CONTENT;
            }
            let head = obj.pdu.clone();
            let Ok(opt) = Block::new(num, more, szx) else { return 0 };
            if !(add(obj, F, option::BLOCK2, &opt.to_vec()) && add_payload(obj, F, &slice)) {
                return 0;
            }
            if block::block_count(body.len() as u64, szx) > 1 {
                engine!(F, ctx, else 0).store_large_response(id, code, key, head, body, szx);
            }
            1
        })();
        release(release_func, session, app_ptr);
        ok
    })
}

/// The request's Block2 or Q-Block2 option; an unusable one counts as none.
fn request_block(req: &crate::proto::pdu::Pdu, number: u16) -> Option<Block> {
    match req.option(number).map(|o| Block::decode(o.value, false))? {
        Ok(b) => Some(b),
        Err(e) => {
            log::debug!("coap_add_data_large_response: the request's option {number} is unusable ({e:?})");
            None
        }
    }
}

/// A response to a request with Q-Block2 (RFC 9177), as libcoap 4.3.4
/// makes it: Content-Format always; without M in the request just the
/// block asked for; with M also ETag and Size2, and the body is kept to
/// serve the rest: then the block number, size and the options to repeat
/// come back. None on failure.
#[allow(clippy::type_complexity)]
fn q_block2_response(
    obj: &mut PduObj,
    asked: Block,
    room: usize,
    (media_type, maxage): (u16, c_int),
    etag: impl FnOnce() -> u64,
    body: &[u8],
) -> Option<Option<(u32, u8, crate::proto::pdu::Pdu)>> {
    const F: &str = "coap_add_data_large_response";
    let szx = match fitting_szx(room) {
        Some(ours) => asked.szx.min(ours),
        None => {
            log::warn!("{F}: no room for even a 16-byte block");
            return None;
        }
    };
    let Some(slice) = block::block_slice(body, asked.num, szx) else {
        log::debug!("{F}: Q-Block2 {} is past the end of the {} byte body", asked.num, body.len());
        obj.pdu.code = msg::BAD_REQUEST;
        let _ = add_payload(obj, F, crate::engine::context::response_phrase(msg::BAD_REQUEST).as_bytes());
        return None;
    };
    let slice = slice.to_vec();
    let more = block::more_after(body.len() as u64, asked.num, szx);
    let store = asked.more && more;
    let headed = (!store || add(obj, F, option::ETAG, &encode_uint(etag())))
        && add(obj, F, option::CONTENT_FORMAT, &encode_uint(u64::from(media_type)))
        && (maxage < 0 || add(obj, F, option::MAX_AGE, &encode_uint(maxage as u64)))
        && (!store || add(obj, F, option::SIZE2, &encode_uint(body.len() as u64)));
    if !headed {
        return None;
    }
    if obj.pdu.code == msg::EMPTY {
        obj.pdu.code = msg::CONTENT;
    }
    let head = obj.pdu.clone();
    let opt = Block::new(asked.num, more, szx).ok()?;
    if !(add(obj, F, option::Q_BLOCK2, &opt.to_vec()) && add_payload(obj, F, &slice)) {
        return None;
    }
    Some(store.then_some((asked.num, szx, head)))
}

/// The older, stateless form: the handler runs for every block and this
/// adds the block the request asks for.
#[no_mangle]
pub unsafe extern "C" fn coap_add_data_blocked_response(
    request: *const coap_pdu_t,
    response: *mut coap_pdu_t,
    media_type: u16,
    maxage: c_int,
    length: usize,
    data: *const u8,
) {
    const F: &str = "coap_add_data_blocked_response";
    guard(F, || {
        let body = arg_bytes!(F, data, length);
        let req = handle!(F, request, PduObj);
        let asked = req.pdu.option(option::BLOCK2).and_then(|o| Block::decode(o.value, false).ok());
        let obj = handle!(F, response, PduObj);
        let room = room(obj, obj.pdu.max_size().max(crate::engine::session::DEFAULT_MTU - 4));
        let ok = add(obj, F, option::CONTENT_FORMAT, &encode_uint(u64::from(media_type)))
            && (maxage < 0 || add(obj, F, option::MAX_AGE, &encode_uint(maxage as u64)));
        if !ok {
            return;
        }
        let szx = match (asked, fitting_szx(room)) {
            (None, _) if body.len() <= room => {
                add_payload(obj, F, body);
                return;
            }
            (Some(b), Some(ours)) => b.szx.min(ours),
            (None, Some(ours)) => ours,
            (_, None) => {
                log::warn!("{F}: no room for even a 16-byte block");
                return;
            }
        };
        let num = asked.map_or(0, |b| b.num);
        let Some(slice) = block::block_slice(body, num, szx) else {
            log::debug!("{F}: block {num} is past the end of the {} byte body", body.len());
            obj.pdu.code = msg::BAD_OPTION;
            return;
        };
        let more = block::more_after(body.len() as u64, num, szx);
        if let Ok(b) = Block::new(num, more, szx) {
            let _ = add(obj, F, option::SIZE2, &encode_uint(body.len() as u64))
                && add(obj, F, option::BLOCK2, &b.to_vec())
                && add_payload(obj, F, slice);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_block_build_body(
    body_data: *mut coap_binary_t,
    length: usize,
    data: *const u8,
    offset: usize,
    total: usize,
) -> *mut coap_binary_t {
    const F: &str = "coap_block_build_body";
    guard(F, || {
        let fail = |body: *mut coap_binary_t| {
            // SAFETY: NULL or the caller's binary from coap_new_binary().
            unsafe { crate::ffi::string::coap_delete_binary(body) };
            std::ptr::null_mut()
        };
        let src = arg_bytes!(F, data, length, else fail(body_data));
        let Some(end) = offset.checked_add(length).filter(|&e| e <= total) else {
            log::warn!("{F}: {length} bytes at offset {offset} do not fit a body of {total}");
            return fail(body_data);
        };
        // SAFETY: NULL or a live binary (C contract).
        let have = unsafe { body_data.as_ref() }.map_or(0, |b| b.length);
        let mut body = body_data;
        if body.is_null() || total > have {
            // SAFETY: NULL or a binary from coap_new_binary()/resize.
            let grown = unsafe { crate::ffi::string::coap_resize_binary(body, total) };
            if grown.is_null() {
                return fail(body);
            }
            body = grown;
            // SAFETY: `body` has `total` bytes; the new tail is zeroed so a
            // gap never shows old heap contents.
            unsafe {
                let b = &mut *body;
                if total > have {
                    std::ptr::write_bytes(b.s.add(have), 0, total - have);
                }
            }
        }
        // SAFETY: `body` holds at least `total` >= `end` bytes.
        unsafe {
            let b = &mut *body;
            if end <= b.length && !src.is_empty() {
                std::ptr::copy_nonoverlapping(src.as_ptr(), b.s.add(offset), src.len());
            }
        }
        body
    })
}
