//! coap_pdu_setup(3): creating PDUs and adding token, options and payload.
//! (coap_new_pdu, coap_send and the session token functions come with
//! sessions; coap_encode_var_safe is in encode.rs, optlists in optlist.rs.)
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::handle::{Handle, LocalHot, Pool};
use crate::ffi::types::*;
use crate::proto::msg::{self, Framing, MsgType, TOKEN_EXT_MAX};
use crate::proto::option::{self, OptFilter};
use crate::proto::pdu::PduError;
use crate::proto::wire;
use std::ffi::c_int;

/// The largest PDU body coap_pdu_init accepts (libcoap's receive limit).
pub(crate) const MAX_PDU_SIZE: usize = 8 * 1024 * 1024 + 256;

static PDUS: Pool<PduObj> = Pool::new();

thread_local! {
    static PDU_HOT: LocalHot = const { LocalHot::new(give_back_pdu) };
}

/// Returns a thread's parked PDU slot to the shared list when it ends.
///
/// # Safety
/// `p` is a parked slot of `PDUS` (what `LocalHot` holds).
unsafe fn give_back_pdu(p: *mut ()) {
    // SAFETY: per the contract.
    unsafe { PDUS.park_shared(p.cast()) }
}

impl Handle for PduObj {
    type C = coap_pdu_t;
    const NAME: &'static str = "coap_pdu_t";
    const TAG: u64 = 0x7064_755f_6c69_7665; // "pdu_live"
    fn pool() -> &'static Pool<Self> {
        &PDUS
    }
    fn recycle(&mut self) {
        PduObj::recycle(self)
    }
    fn local_hot() -> Option<&'static std::thread::LocalKey<LocalHot>> {
        Some(&PDU_HOT)
    }
}

/// A new PDU handle (reusing a parked one when there is one).
pub(crate) fn new_pdu(typ: MsgType, code: u8, mid: u16, max_size: usize) -> *mut coap_pdu_t {
    PDUS.alloc(|| PduObj::new(typ, code, mid, max_size), |p| p.reset(typ, code, mid, max_size))
}

/// Validates the C-level header fields of coap_pdu_init and friends.
pub(crate) fn header_fields(func: &str, typ: PduType, code: PduCode, mid: c_int) -> Option<(MsgType, u8, u16)> {
    let Some(t) = u8::try_from(typ).ok().and_then(MsgType::from_u8) else {
        log::warn!("{func}: invalid message type {typ}");
        return None;
    };
    let Ok(c) = u8::try_from(code) else {
        log::warn!("{func}: invalid code {code}");
        return None;
    };
    let Ok(m) = u16::try_from(mid) else {
        log::warn!("{func}: invalid message id {mid}");
        return None;
    };
    Some((t, c, m))
}

pub(crate) fn log_pdu_error(func: &str, e: PduError) {
    match e {
        PduError::TooLarge => log::warn!("{func}: PDU too big for its maximum size"),
        PduError::TokenTooLong => log::warn!("{func}: token longer than {TOKEN_EXT_MAX} bytes"),
        PduError::TokenNotFirst => log::warn!("{func}: the token must be added before options and data"),
        PduError::HasPayload => log::warn!("{func}: PDU already contains data"),
        PduError::Option(e) => log::warn!("{func}: option cannot be encoded ({e:?})"),
        PduError::BadOptions => log::warn!("{func}: PDU options are malformed"),
    }
}

#[no_mangle]
pub extern "C" fn coap_pdu_init(typ: PduType, code: PduCode, mid: coap_mid_t, size: usize) -> *mut coap_pdu_t {
    guard("coap_pdu_init", || {
        let Some((t, c, m)) = header_fields("coap_pdu_init", typ, code, mid.0) else {
            return std::ptr::null_mut();
        };
        if size > MAX_PDU_SIZE {
            log::warn!("coap_pdu_init: size {size} exceeds {MAX_PDU_SIZE}");
            return std::ptr::null_mut();
        }
        new_pdu(t, c, m, size)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_pdu(pdu: *mut coap_pdu_t) {
    guard("coap_delete_pdu", || {
        if pdu.is_null() {
            return;
        }
        // SAFETY: the handle is NULL or ours (C contract); release checks the tag.
        if !unsafe { PDUS.release(pdu) } {
            log::error!("coap_delete_pdu: pdu is not a live coap_pdu_t (deleted twice?)");
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_duplicate(
    old_pdu: *const coap_pdu_t,
    session: *mut coap_session_t,
    token_length: usize,
    token: *const u8,
    drop_options: *mut coap_opt_filter_t,
) -> *mut coap_pdu_t {
    guard("coap_pdu_duplicate", || {
        let old = handle!("coap_pdu_duplicate", old_pdu, PduObj);
        let token = arg_bytes!("coap_pdu_duplicate", token, token_length);
        // SAFETY: NULL or a caller-owned filter (C contract).
        let drop = unsafe { drop_options.as_ref() }.map(filter_from_c);
        let (typ, code, mut mid, mut max) = (old.pdu.typ, old.pdu.code, old.pdu.mid, old.pdu.max_size());
        let framing = old.framing;
        if !session.is_null() {
            // As libcoap: a message of the session's own, with a fresh id
            // and room for what the session can carry. (Without a session,
            // which libcoap does not allow, the old PDU's are kept.)
            // SAFETY: the caller's session pointer, checked by the callees.
            let (new_mid, session_max) =
                unsafe { (crate::ffi::session::coap_new_message_id(session), crate::ffi::session::coap_session_max_pdu_size(session)) };
            mid = new_mid;
            if max != 0 {
                max = max.max(session_max);
            }
        }
        // Copy what we need before allocating: the pool may hand back any slot.
        let opts: Vec<(u16, Vec<u8>)> = old
            .pdu
            .options()
            .map_while(Result::ok)
            .filter(|o| drop.map_or(true, |f| !f.get(o.number)))
            .map(|o| (o.number, o.value.to_vec()))
            .collect();
        let new = new_pdu(typ, code, mid, max);
        let obj = handle!("coap_pdu_duplicate", new, PduObj);
        obj.framing = framing;
        let filled = obj.pdu.add_token(token).and_then(|()| {
            opts.iter().try_for_each(|(n, v)| obj.pdu.add_option(*n, v).map(|_| ()))
        });
        if let Err(e) = filled {
            log_pdu_error("coap_pdu_duplicate", e);
            // SAFETY: `new` was just allocated by us and is not in use.
            unsafe { PDUS.release(new) };
            return std::ptr::null_mut();
        }
        new
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_token(pdu: *mut coap_pdu_t, len: usize, data: *const u8) -> c_int {
    guard("coap_add_token", || {
        let obj = handle!("coap_add_token", pdu, PduObj);
        let token = arg_bytes!("coap_add_token", data, len);
        match obj.pdu.add_token(token) {
            Ok(()) => 1,
            Err(e) => {
                log_pdu_error("coap_add_token", e);
                0
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_option(pdu: *mut coap_pdu_t, number: coap_option_num_t, len: usize, data: *const u8) -> usize {
    guard("coap_add_option", || {
        let obj = handle!("coap_add_option", pdu, PduObj);
        let value = arg_bytes!("coap_add_option", data, len);
        add_option(obj, "coap_add_option", number, value)
    })
}

/// As libcoap: a request naming a proxy carries Hop-Limit (RFC 8768), 16
/// unless the application set one. Out of line: the option-adding path is
/// hot and this is rare.
#[cold]
#[inline(never)]
fn add_hop_limit(obj: &mut PduObj, func: &str) -> bool {
    let request = msg::code_class(obj.pdu.code) == 0 && obj.pdu.code != msg::EMPTY;
    if !request || obj.pdu.option(option::HOP_LIMIT).is_some() {
        return true;
    }
    match obj.pdu.add_option(option::HOP_LIMIT, &[16]) {
        Ok(_) => true,
        Err(e) => {
            log_pdu_error(func, e);
            false
        }
    }
}

/// Options libcoap refuses to add a second time (when the PDU's last option
/// has the same number): those RFC 7252 and its successors define as not
/// repeatable. Unknown numbers may be an application's own, and are taken.
const NOT_REPEATABLE: [u16; 17] = [3, 5, 6, 7, 9, 12, 14, 16, 17, 23, 27, 28, 35, 39, 60, 252, 258];

/// Adds one option, refusing values longer than a known option allows
/// (peers would reject the message) and a second non-repeatable one, as
/// libcoap does; returns the encoded size, 0 on failure.
#[inline(always)]
pub(crate) fn add_option(obj: &mut PduObj, func: &str, number: u16, value: &[u8]) -> usize {
    if number != 0 && number == obj.pdu.max_opt() && NOT_REPEATABLE.contains(&number) {
        log::info!("{func}: option {number} is not repeatable; the second one is dropped");
        return 0;
    }
    if let Some(def) = option::lookup(number) {
        if value.len() > usize::from(def.max_len) {
            log::warn!("{func}: {} option value of {} bytes exceeds its {} byte maximum", def.name, value.len(), def.max_len);
            return 0;
        }
    }
    if (number == option::PROXY_URI || number == option::PROXY_SCHEME) && !add_hop_limit(obj, func) {
        return 0;
    }
    match obj.pdu.add_option(number, value) {
        Ok(n) => n,
        Err(e) => {
            log_pdu_error(func, e);
            0
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_data(pdu: *mut coap_pdu_t, len: usize, data: *const u8) -> c_int {
    guard("coap_add_data", || {
        let obj = handle!("coap_add_data", pdu, PduObj);
        if len == 0 {
            return 1;
        }
        let bytes = arg_bytes!("coap_add_data", data, len);
        match obj.pdu.add_payload(bytes) {
            Ok(()) => 1,
            Err(e) => {
                log_pdu_error("coap_add_data", e);
                0
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_data_after(pdu: *mut coap_pdu_t, len: usize) -> *mut u8 {
    guard("coap_add_data_after", || {
        let obj = handle!("coap_add_data_after", pdu, PduObj);
        if len == 0 {
            return std::ptr::null_mut();
        }
        match obj.pdu.add_data_after(len) {
            Ok(buf) => buf.as_mut_ptr(),
            Err(e) => {
                log_pdu_error("coap_add_data_after", e);
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_set_mid(pdu: *mut coap_pdu_t, mid: coap_mid_t) {
    guard("coap_pdu_set_mid", || {
        let obj = handle!("coap_pdu_set_mid", pdu, PduObj);
        match u16::try_from(mid.0) {
            Ok(m) => obj.pdu.mid = m,
            Err(_) => log::warn!("coap_pdu_set_mid: invalid message id {}", mid.0),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_set_code(pdu: *mut coap_pdu_t, code: PduCode) {
    guard("coap_pdu_set_code", || {
        let obj = handle!("coap_pdu_set_code", pdu, PduObj);
        match u8::try_from(code) {
            Ok(c) => obj.pdu.code = c,
            Err(_) => log::warn!("coap_pdu_set_code: invalid code {code}"),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_set_type(pdu: *mut coap_pdu_t, typ: PduType) {
    guard("coap_pdu_set_type", || {
        let obj = handle!("coap_pdu_set_type", pdu, PduObj);
        match u8::try_from(typ).ok().and_then(MsgType::from_u8) {
            Some(t) => obj.pdu.typ = t,
            None => log::warn!("coap_pdu_set_type: invalid type {typ}"),
        }
    })
}

/// The framing a coap_proto_t value implies.
pub(crate) fn framing_of(proto: Proto) -> Option<Framing> {
    const UDP: u32 = coap_proto_t::COAP_PROTO_UDP as u32;
    const DTLS: u32 = coap_proto_t::COAP_PROTO_DTLS as u32;
    const TCP: u32 = coap_proto_t::COAP_PROTO_TCP as u32;
    const TLS: u32 = coap_proto_t::COAP_PROTO_TLS as u32;
    const WS: u32 = coap_proto_t::COAP_PROTO_WS as u32;
    const WSS: u32 = coap_proto_t::COAP_PROTO_WSS as u32;
    match proto {
        UDP | DTLS => Some(Framing::Udp),
        TCP | TLS => Some(Framing::Tcp),
        WS | WSS => Some(Framing::Ws),
        _ => None,
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_pdu_parse(proto: Proto, data: *const u8, length: usize, pdu: *mut coap_pdu_t) -> c_int {
    guard("coap_pdu_parse", || {
        let obj = handle!("coap_pdu_parse", pdu, PduObj);
        let bytes = arg_bytes!("coap_pdu_parse", data, length);
        let Some(framing) = framing_of(proto) else {
            log::warn!("coap_pdu_parse: unknown protocol {proto}");
            return 0;
        };
        // The size check comes first: on failure the PDU is left as it was.
        let max = obj.pdu.max_size();
        let body = bytes.len().saturating_sub(match framing {
            Framing::Udp => 4,
            _ => 1,
        });
        if max != 0 && body > max {
            log::warn!("coap_pdu_parse: message of {} bytes exceeds the PDU's {max}", bytes.len());
            return 0;
        }
        match wire::parse_into(&mut obj.pdu, bytes, framing, TOKEN_EXT_MAX) {
            Ok(()) => {
                obj.framing = framing;
                1
            }
            Err(e) => {
                log::warn!("coap_pdu_parse: invalid message ({e:?})");
                0
            }
        }
    })
}

pub(crate) fn filter_from_c(f: &coap_opt_filter_t) -> OptFilter {
    OptFilter { mask: f.mask, long_opts: f.long_opts, short_opts: f.short_opts }
}

pub(crate) fn filter_to_c(f: &OptFilter, out: &mut coap_opt_filter_t) {
    out.mask = f.mask;
    out.long_opts = f.long_opts;
    out.short_opts = f.short_opts;
}

/// A handle for a PDU the engine made (received, or kept for a callback).
pub(crate) fn wrap_pdu(pdu: crate::proto::pdu::Pdu) -> *mut coap_pdu_t {
    wrap_pdu_span(pdu, None)
}

/// A handle for a PDU the library hands to a callback; `span` is the
/// (offset, total) of the body its payload belongs to.
pub(crate) fn wrap_pdu_span(pdu: crate::proto::pdu::Pdu, span: Option<(usize, usize)>) -> *mut coap_pdu_t {
    let mut slot = Some(pdu);
    let h = PDUS.alloc(
        || PduObj {
            pdu: slot.take().unwrap_or_else(|| crate::proto::pdu::Pdu::new(MsgType::Con, 0, 0, 0)),
            framing: Framing::Udp,
            large: None,
            span,
        },
        |_| {},
    );
    // SAFETY: `h` was just allocated and is not in use elsewhere.
    if let Some(obj) = unsafe { crate::ffi::handle::get::<PduObj>(h) } {
        if let Some(pdu) = slot {
            obj.pdu = pdu;
        }
        obj.framing = Framing::Udp;
        obj.large = None;
        obj.span = span;
    }
    h
}

/// Takes the PDU out of a handle and releases the handle; None (logged)
/// if the handle is not a live PDU.
pub(crate) fn unwrap_pdu(h: *mut coap_pdu_t) -> Option<crate::proto::pdu::Pdu> {
    unwrap_pdu_large(h).map(|(pdu, _)| pdu)
}

/// As unwrap_pdu(), with the body coap_add_data_large_request() left on it.
pub(crate) fn unwrap_pdu_large(h: *mut coap_pdu_t) -> Option<(crate::proto::pdu::Pdu, Option<crate::engine::pdu::LargeBody>)> {
    // SAFETY: `h` came through the API; get() checks the tag.
    let obj = unsafe { crate::ffi::handle::get::<PduObj>(h) }?;
    let pdu = std::mem::replace(&mut obj.pdu, crate::proto::pdu::Pdu::new(MsgType::Con, 0, 0, 0));
    let large = obj.large.take();
    // SAFETY: as above; the borrow ended.
    unsafe { PDUS.release(h) };
    Some((pdu, large))
}

/// Releases a PDU handle if it is still live (no log if it is not).
///
/// # Safety
/// `h` is a handle this library made.
pub(crate) unsafe fn release_pdu(h: *mut coap_pdu_t) {
    // SAFETY: per the contract.
    unsafe { PDUS.release(h) };
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_pdu(typ: PduType, code: PduCode, session: *mut coap_session_t) -> *mut coap_pdu_t {
    guard("coap_new_pdu", || {
        let Some((t, c, _)) = header_fields("coap_new_pdu", typ, code, 0) else {
            return std::ptr::null_mut();
        };
        let s = engine_session!("coap_new_pdu", session);
        let mid = s.new_mid();
        let max = s.max_pdu_size().saturating_sub(4);
        new_pdu(t, c, mid, max)
    })
}

/// Sends `pdu` (taking it over in every case); the message id, or
/// COAP_INVALID_MID.
#[no_mangle]
pub unsafe extern "C" fn coap_send(session: *mut coap_session_t, pdu: *mut coap_pdu_t) -> coap_mid_t {
    guard("coap_send", || {
        let Some((pdu, large)) = unwrap_pdu_large(pdu) else {
            crate::ffi::handle::refuse("coap_send", "pdu", "coap_pdu_t", pdu.is_null());
            return crate::ffi::types::INVALID_MID;
        };
        let (ctx, id) = session!("coap_send", session);
        let engine = engine!("coap_send", ctx);
        if !engine.mcast_before_send(id, &pdu) {
            return crate::ffi::types::INVALID_MID;
        }
        let sent = engine.app_send(id, pdu, large.map(|l| *l));
        match sent {
            Ok(mid) => coap_mid_t(c_int::from(mid)),
            Err(e) => {
                log::warn!("coap_send: not sent ({e:?})");
                crate::ffi::types::INVALID_MID
            }
        }
    })
}

/// An empty message of `typ` answering `request` (same message id).
fn send_empty(func: &str, session: *mut coap_session_t, request: *const coap_pdu_t, typ: MsgType) -> coap_mid_t {
    let mid = handle!(func, request, PduObj).pdu.mid;
    let (ctx, id) = session!(func, session);
    let pdu = crate::proto::pdu::Pdu::new(typ, 0, mid, 0);
    match engine!(func, ctx).send(id, pdu) {
        Ok(mid) => coap_mid_t(c_int::from(mid)),
        Err(e) => {
            log::warn!("{func}: not sent ({e:?})");
            crate::ffi::types::INVALID_MID
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_send_ack(session: *mut coap_session_t, request: *const coap_pdu_t) -> coap_mid_t {
    guard("coap_send_ack", || {
        let is_con = handle!("coap_send_ack", request, PduObj).pdu.typ == MsgType::Con;
        if !is_con {
            return crate::ffi::types::INVALID_MID;
        }
        send_empty("coap_send_ack", session, request, MsgType::Ack)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_send_message_type(session: *mut coap_session_t, request: *const coap_pdu_t, typ: PduType) -> coap_mid_t {
    guard("coap_send_message_type", || match u8::try_from(typ).ok().and_then(MsgType::from_u8) {
        Some(t @ (MsgType::Ack | MsgType::Rst)) => send_empty("coap_send_message_type", session, request, t),
        _ => {
            log::warn!("coap_send_message_type: type {typ} is not ACK or RST");
            crate::ffi::types::INVALID_MID
        }
    })
}

/// A CoAP ping: an empty CON, answered by the peer's RST (pong).
#[no_mangle]
pub unsafe extern "C" fn coap_session_send_ping(session: *mut coap_session_t) -> coap_mid_t {
    guard("coap_session_send_ping", || {
        let s = engine_session!("coap_session_send_ping", session);
        let mid = s.new_mid();
        let (ctx, id) = session!("coap_session_send_ping", session);
        let pdu = crate::proto::pdu::Pdu::new(MsgType::Con, 0, mid, 0);
        match engine!("coap_session_send_ping", ctx).send(id, pdu) {
            Ok(mid) => coap_mid_t(c_int::from(mid)),
            Err(e) => {
                log::warn!("coap_session_send_ping: not sent ({e:?})");
                crate::ffi::types::INVALID_MID
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(h: *mut coap_pdu_t) -> bool {
        // SAFETY: handles made by this library; get() checks the tag.
        unsafe { crate::ffi::handle::get::<PduObj>(h) }.is_some()
    }

    #[test]
    fn thread_hot_slot_reused_and_dead_handles_still_refused() {
        let typ = coap_pdu_type_t::COAP_MESSAGE_CON as PduType;
        let a = coap_pdu_init(typ, 1, coap_mid_t(1), 64);
        // SAFETY: `a` is a live handle; the second delete must be refused.
        unsafe {
            coap_delete_pdu(a);
            assert!(!live(a));
            coap_delete_pdu(a);
        }
        // The slot this thread parked comes straight back, reset.
        let b = coap_pdu_init(typ, 2, coap_mid_t(2), 64);
        assert_eq!(a, b);
        assert!(live(b));
        // SAFETY: `b` is live.
        unsafe { coap_delete_pdu(b) };
        // A thread that ends with a parked slot gives it to the shared list.
        let parked = std::thread::spawn(move || {
            let p = coap_pdu_init(typ, 3, coap_mid_t(3), 64);
            // SAFETY: `p` is live.
            unsafe { coap_delete_pdu(p) };
            p as usize
        })
        .join()
        .unwrap_or(0);
        assert_ne!(parked, 0);
        assert!(!live(parked as *mut coap_pdu_t));
        assert!(PDUS.shared_holds(parked as *mut coap_pdu_t), "slot of the ended thread is in the shared list");
    }
}
