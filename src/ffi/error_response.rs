//! coap_new_error_response and coap_send_error (coap_net.h; no man page):
//! an error response built from a request, as libcoap builds it.
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::pdu_setup::{filter_from_c, filter_to_c, log_pdu_error, new_pdu};
use crate::ffi::types::*;
use crate::proto::msg::MsgType;
use crate::proto::option::{self, OptFilter};
use crate::proto::pdu::{Pdu, PduError};

/// Room libcoap leaves in a 5.08 (Hop Limit Reached) for the proxy's
/// address text (RFC 8768 §4): INET6_ADDRSTRLEN.
const LOOP_ROOM: usize = 46;

/// The response: ACK to a CON, else NON; the request's message id and
/// token; the options `filter` selects (never Content-Format or OSCORE,
/// which are also taken out of the caller's filter, as libcoap does); the
/// reason phrase as payload. Its size limit is what it holds (plus room
/// for an address in a 5.08), as in libcoap.
fn build(req: &Pdu, code: u8, filter: &mut OptFilter) -> Result<Pdu, PduError> {
    filter.unset(option::CONTENT_FORMAT);
    filter.unset(option::OSCORE);
    let typ = if req.typ == MsgType::Con { MsgType::Ack } else { MsgType::Non };
    let mut resp = Pdu::new(typ, code, req.mid, 0);
    resp.add_token(req.token())?;
    for o in req.options().map_while(Result::ok).filter(|o| filter.get(o.number)) {
        resp.add_option(o.number, o.value)?;
    }
    let loop_detected = code == crate::proto::msg::code(5, 8);
    let phrase = if loop_detected { None } else { crate::proto::show::response_phrase(code) };
    let extra = match phrase {
        Some(p) => p.to_bytes().len() + 1,
        None if loop_detected => LOOP_ROOM,
        None => 0,
    };
    resp.set_max_size(resp.used_size() + extra)?;
    if let Some(p) = phrase.filter(|p| !p.to_bytes().is_empty()) {
        resp.add_payload(p.to_bytes())?;
    }
    Ok(resp)
}

/// Shared by both exports: the response PDU, or a logged refusal.
fn error_response(func: &str, request: *const coap_pdu_t, code: PduCode, opts: *mut coap_opt_filter_t) -> Option<Pdu> {
    let req = handle!(func, request, PduObj, else None);
    let Ok(code) = u8::try_from(code) else {
        log::warn!("{func}: invalid code {code}");
        return None;
    };
    // NULL copies no options (libcoap 4.3.1 crashes on it).
    // SAFETY: NULL or a caller-owned filter (C contract).
    let c_filter = unsafe { opts.as_mut() };
    let mut filter = c_filter.as_deref().map(filter_from_c).unwrap_or_default();
    let built = build(&req.pdu, code, &mut filter);
    if let Some(f) = c_filter {
        filter_to_c(&filter, f);
    }
    built.map_err(|e| log_pdu_error(func, e)).ok()
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_error_response(request: *const coap_pdu_t, code: PduCode, opts: *mut coap_opt_filter_t) -> *mut coap_pdu_t {
    guard("coap_new_error_response", || {
        let Some(resp) = error_response("coap_new_error_response", request, code, opts) else { return std::ptr::null_mut() };
        let h = new_pdu(resp.typ, resp.code, resp.mid, resp.max_size());
        // SAFETY: `h` was just made and is not in use elsewhere.
        if let Some(obj) = unsafe { crate::ffi::handle::get::<PduObj>(h) } {
            obj.pdu = resp;
        }
        h
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_send_error(session: *mut coap_session_t, request: *const coap_pdu_t, code: PduCode, opts: *mut coap_opt_filter_t) -> coap_mid_t {
    guard("coap_send_error", || {
        let (ctx, id) = session!("coap_send_error", session);
        let Some(resp) = error_response("coap_send_error", request, code, opts) else { return INVALID_MID };
        match engine!("coap_send_error", ctx).send(id, resp) {
            Ok(mid) => coap_mid_t(i32::from(mid)),
            Err(e) => {
                log::warn!("coap_send_error: not sent ({e:?})");
                INVALID_MID
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Pdu {
        let mut p = Pdu::new(MsgType::Con, 1, 0x1234, 200);
        p.add_token(b"tok").unwrap();
        p.add_option(option::URI_PATH, b"abc").unwrap();
        p.add_option(option::CONTENT_FORMAT, b"\x00").unwrap();
        p.add_option(2049, b"zz").unwrap();
        p.add_payload(b"xyz").unwrap();
        p
    }

    #[test]
    fn like_libcoap() {
        let mut f = OptFilter::new();
        for n in [option::URI_PATH, option::CONTENT_FORMAT, 2049] {
            f.set(n);
        }
        let r = build(&request(), crate::proto::msg::BAD_OPTION, &mut f).unwrap();
        assert_eq!((r.typ, r.mid, r.token()), (MsgType::Ack, 0x1234, &b"tok"[..]));
        let nums: Vec<u16> = r.options().map_while(Result::ok).map(|o| o.number).collect();
        assert_eq!(nums, [option::URI_PATH, 2049]);
        assert_eq!(r.payload(), Some(&b"Bad Option"[..]));
        assert_eq!(r.used_size(), r.max_size());
        assert!(!f.get(option::CONTENT_FORMAT) && f.get(2049));
        // 5.08: no phrase, room for an address.
        let r = build(&request(), crate::proto::msg::code(5, 8), &mut f).unwrap();
        assert_eq!((r.payload(), r.max_size() - r.used_size()), (None, LOOP_ROOM));
    }
}
