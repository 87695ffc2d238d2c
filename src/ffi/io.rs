//! coap_io(3): running the event loop, and delivering what it produced to
//! the application's callbacks. Delivery holds no borrow of the context
//! while a callback runs, and the session an event is about stays
//! referenced until its callback returns, so callbacks may release
//! sessions, send, delete resources or free the context.
use crate::engine::context::Event;
use crate::engine::observe::Reply;
use crate::engine::slab::Id;
use crate::ffi::boundary::guard;
use crate::ffi::context::{ContextObj, Handlers};
use crate::ffi::handle::get;
use crate::ffi::pdu_setup::{unwrap_pdu, wrap_pdu, wrap_pdu_span};
use crate::ffi::types::*;
use crate::proto::msg::MsgType;
use std::ffi::{c_char, c_int};
use std::time::{Duration, Instant};

/// Takes the next event and the callbacks to deliver it to; None when the
/// queue is empty or the context is gone.
fn next(ctx: *mut coap_context_t) -> Option<(Event, Handlers)> {
    // SAFETY: `ctx` came through an API call; the borrow ends on return.
    let obj = unsafe { get::<ContextObj>(ctx) }?;
    if obj.free_pending {
        return None;
    }
    let ev = obj.engine.as_mut()?.next_event()?;
    Some((ev, obj.handlers))
}

/// Delivers every queued event. Re-entrant: a callback that causes more
/// events gets them delivered by the innermost loop.
pub(crate) fn dispatch(ctx: *mut coap_context_t) {
    // SAFETY: as in next().
    match unsafe { get::<ContextObj>(ctx) } {
        Some(obj) => obj.dispatching += 1,
        None => return,
    }
    crate::ffi::persist::flush(ctx);
    while let Some((ev, handlers)) = next(ctx) {
        let session = ev.session();
        deliver(ctx, ev, &handlers);
        // SAFETY: as in next().
        let freed = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()).map(|e| {
            e.flush_if_stale();
            let mut freed: Vec<usize> = e.finish_event(session).into_iter().collect();
            freed.extend(e.take_freed());
            (freed, e.take_freed_asyncs())
        });
        let (sessions, asyncs) = freed.unwrap_or_default();
        // Before the handles go: persist call-backs may name the sessions.
        crate::ffi::persist::flush(ctx);
        crate::ffi::session::release_cells(&sessions);
        crate::ffi::asynchronous::release_cells(&asyncs);
    }
    // SAFETY: as in next().
    let free = match unsafe { get::<ContextObj>(ctx) } {
        Some(obj) => {
            obj.dispatching -= 1;
            obj.dispatching == 0 && obj.free_pending
        }
        None => false,
    };
    if free {
        // SAFETY: no callback is running and no borrow is alive.
        unsafe { crate::ffi::context::free_now(ctx) };
    }
}

fn deliver(ctx: *mut coap_context_t, ev: Event, h: &Handlers) {
    let sid = ev.session();
    let session = crate::ffi::session::handle_of(ctx, sid);
    if session.is_null() {
        return;
    }
    match ev {
        Event::Request { resource, handler, request, response, reply, span, .. } => {
            deliver_request(ctx, session, resource, handler, (request, span), response, reply)
        }
        Event::Response { sent, received, span, .. } => {
            let (typ, raw_mid) = (received.typ, received.mid);
            // A notification the handler refuses ends its observation.
            let observed = received.option(crate::proto::option::OBSERVE).map(|_| received.token().to_vec());
            let ok = match h.response {
                Some(f) => {
                    let mid = coap_mid_t(i32::from(raw_mid));
                    let sent = sent.map_or(std::ptr::null_mut(), wrap_pdu);
                    let received = wrap_pdu_span(received, span);
                    // SAFETY: calling the application's handler with live handles.
                    let r = unsafe { f(session, sent, received, mid) };
                    drop_pdu(sent);
                    drop_pdu(received);
                    r != coap_response_t::COAP_RESPONSE_FAIL as ResponseResult
                }
                None => true,
            };
            // SAFETY: as in next(); the handler may have freed the context.
            if let Some(e) = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()) {
                e.answer_response(sid, typ, raw_mid, ok, observed.as_deref());
            }
        }
        Event::Nack { sent, reason, mid, .. } => {
            let Some(f) = h.nack else { return };
            let sent = sent.map_or(std::ptr::null_mut(), wrap_pdu);
            // SAFETY: as above.
            unsafe { f(session, sent, reason, coap_mid_t(i32::from(mid))) };
            drop_pdu(sent);
        }
        Event::Ping { received, .. } => {
            let Some(f) = h.ping else { return };
            let mid = coap_mid_t(i32::from(received.mid));
            let received = wrap_pdu(received);
            // SAFETY: as above.
            unsafe { f(session, received, mid) };
            drop_pdu(received);
        }
        Event::Pong { received, .. } => {
            let Some(f) = h.pong else { return };
            let mid = coap_mid_t(i32::from(received.mid));
            let received = wrap_pdu(received);
            // SAFETY: as above.
            unsafe { f(session, received, mid) };
            drop_pdu(received);
        }
        Event::Session { event, .. } => {
            if let Some(f) = h.event {
                // SAFETY: as above.
                unsafe { f(session, event) };
            }
        }
    }
}

fn drop_pdu(pdu: *mut coap_pdu_t) {
    if !pdu.is_null() {
        // SAFETY: a handle we made for the callback; if the application
        // deleted it already, release() refuses quietly.
        unsafe { crate::ffi::pdu_setup::release_pdu(pdu) };
    }
}

fn deliver_request(
    ctx: *mut coap_context_t,
    session: *mut coap_session_t,
    resource: Id,
    handler: usize,
    (request, span): (crate::proto::pdu::Pdu, Option<(usize, usize)>),
    response: crate::proto::pdu::Pdu,
    reply: Reply,
) {
    let query = crate::ffi::resource::query_string(&request);
    let unknown = crate::ffi::persist::enter_handler(ctx, resource, session, &request);
    let res = crate::ffi::resource::handle_of(ctx, resource);
    let req = wrap_pdu_span(request, span);
    let resp = wrap_pdu(response);
    // SAFETY: handler tokens are coap_method_handler_t values stored by
    // coap_register_request_handler; never 0 (checked by the engine).
    let f: unsafe extern "C" fn(*mut coap_resource_t, *mut coap_session_t, *const coap_pdu_t, *const coap_string_t, *mut coap_pdu_t) =
        unsafe { std::mem::transmute::<usize, _>(handler) };
    // SAFETY: calling the application's handler with live handles.
    unsafe { f(res, session, req, query, resp) };
    crate::ffi::persist::leave_handler(unknown);
    crate::ffi::resource::free_query(query);
    echo_block1(req, resp);
    drop_pdu(req);
    let response = unwrap_pdu(resp);
    // SAFETY: as in next().
    let engine = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut());
    match (engine, response) {
        (Some(e), Some(r)) => e.finish_reply(reply, r),
        (Some(e), None) => {
            log::error!("request handler deleted the response PDU; sending an empty ACK");
            let ack = crate::proto::pdu::Pdu::new(MsgType::Ack, 0, reply.request_mid, 0);
            e.finish_reply(reply, ack);
        }
        _ => {}
    }
}

/// A handler that took one Block1 piece itself answers with that block's
/// option (RFC 7959 §2.3); the library adds it when the handler did not.
fn echo_block1(req: *mut coap_pdu_t, resp: *mut coap_pdu_t) {
    use crate::engine::pdu::PduObj;
    use crate::proto::option::BLOCK1;
    // SAFETY: handles made for this callback; get() checks they still live.
    let Some(value) = (unsafe { get::<PduObj>(req) }).and_then(|r| r.pdu.option(BLOCK1).map(|o| o.value.to_vec())) else {
        return;
    };
    // SAFETY: as above; the request's borrow ended.
    if let Some(r) = unsafe { get::<PduObj>(resp) } {
        let success = crate::proto::msg::code_class(r.pdu.code) == 2;
        if success && r.pdu.option(BLOCK1).is_none() {
            let _ = r.pdu.add_option_before_payload(BLOCK1, &value);
        }
    }
}

/// Ends an I/O pass: what the pass and its callbacks sent goes out (the
/// context may have been freed by a callback; then it went out already).
fn end_pass(ctx: *mut coap_context_t) {
    // SAFETY: as in next().
    if let Some(engine) = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()) {
        engine.end_batch();
    }
}

/// COAP_IO_WAIT, COAP_IO_NO_WAIT or milliseconds, as a poll timeout.
fn timeout_of(ms: u32) -> Option<Duration> {
    match ms {
        0 => None,
        u32::MAX => Some(Duration::ZERO),
        ms => Some(Duration::from_millis(u64::from(ms))),
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_io_process(ctx: *mut coap_context_t, timeout_ms: u32) -> c_int {
    guard("coap_io_process", || {
        let start = Instant::now();
        {
            let obj = handle!("coap_io_process", ctx, ContextObj, else -1);
            if obj.dispatching > 0 {
                log::warn!("coap_io_process: called from a callback; nothing done");
                return -1;
            }
            let Some(engine) = obj.engine.as_mut() else { return -1 };
            engine.begin_batch();
            if let Err(e) = engine.process(timeout_of(timeout_ms)) {
                engine.end_batch();
                log::error!("coap_io_process: {e}");
                return -1;
            }
        }
        dispatch(ctx);
        end_pass(ctx);
        crate::ffi::cache::expire(ctx);
        i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX)
    })
}

/// Extra descriptors are for builds without epoll; with epoll (this one) the
/// application waits on coap_context_get_coap_fd() instead, as libcoap says.
#[no_mangle]
pub unsafe extern "C" fn coap_io_process_with_fds(
    ctx: *mut coap_context_t,
    timeout_ms: u32,
    _nfds: c_int,
    _readfds: *mut libc::fd_set,
    _writefds: *mut libc::fd_set,
    _exceptfds: *mut libc::fd_set,
) -> c_int {
    // SAFETY: forwarding the caller's handle.
    unsafe { coap_io_process(ctx, timeout_ms) }
}

#[no_mangle]
pub unsafe extern "C" fn coap_io_pending(ctx: *mut coap_context_t) -> c_int {
    guard("coap_io_pending", || c_int::from(engine!("coap_io_pending", ctx).io_pending()))
}

#[no_mangle]
pub unsafe extern "C" fn coap_can_exit(ctx: *mut coap_context_t) -> c_int {
    guard("coap_can_exit", || c_int::from(engine!("coap_can_exit", ctx).is_idle()))
}

/// Milliseconds until the next timer (0: none), after running due ones.
#[no_mangle]
pub unsafe extern "C" fn coap_io_prepare_epoll(ctx: *mut coap_context_t, _now: coap_tick_t) -> u32 {
    guard("coap_io_prepare_epoll", || {
        prepare(ctx, "coap_io_prepare_epoll")
    })
}

/// The prepare half of the application-driven loops: timers and
/// notifications run and what they caused is delivered, but nothing is
/// read, so that the application's wait sees the sockets ready and its do_
/// call reads them. Milliseconds until the next timer (0: none).
fn prepare(ctx: *mut coap_context_t, func: &'static str) -> u32 {
    {
        let engine = engine!(func, ctx, else 0);
        engine.begin_batch();
        engine.prepare();
    }
    dispatch(ctx);
    end_pass(ctx);
    // SAFETY: as in next(); a callback may have freed the context.
    let next = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_ref()).and_then(|e| e.next_timer_in());
    u32::try_from(next.unwrap_or(0)).unwrap_or(u32::MAX)
}

/// The events name our own epoll fd; reading it again finds what is ready.
#[no_mangle]
pub unsafe extern "C" fn coap_io_do_epoll(ctx: *mut coap_context_t, events: *mut libc::epoll_event, nevents: usize) {
    guard("coap_io_do_epoll", || {
        let tokens: Vec<u64> = if events.is_null() || nevents == 0 || nevents > 1 << 16 {
            Vec::new()
        } else {
            // SAFETY: the caller passes the array epoll_wait() filled, with
            // `nevents` entries (bounded above); each is copied out.
            unsafe { std::slice::from_raw_parts(events, nevents) }.iter().map(|e| e.u64).collect()
        };
        let engine = engine!("coap_io_do_epoll", ctx);
        engine.begin_batch();
        if let Err(e) = engine.process_reported(&tokens) {
            log::error!("coap_io_do_epoll: {e}");
        }
        dispatch(ctx);
        end_pass(ctx);
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_socket_strerror() -> *const c_char {
    guard("coap_socket_strerror", || {
        // strerror()'s text alone, as libcoap returns it.
        let mut text = std::io::Error::last_os_error().to_string();
        if let Some(i) = text.rfind(" (os error ") {
            text.truncate(i);
        }
        crate::ffi::endpoint::describe(text)
    })
}

/// "10%" drops that share of sent datagrams; "1,3-5" drops those (1-based)
/// datagrams, counted from now.
/// 1 if the next datagram is to be sent, 0 if the packet-loss setting
/// drops it (each call counts as one datagram, as in libcoap).
#[no_mangle]
pub extern "C" fn coap_debug_send_packet() -> c_int {
    guard("coap_debug_send_packet", || c_int::from(!crate::engine::context::lose_next()))
}

#[no_mangle]
pub unsafe extern "C" fn coap_debug_set_packet_loss(loss_level: *const c_char) -> c_int {
    guard("coap_debug_set_packet_loss", || {
        if loss_level.is_null() {
            crate::ffi::boundary::null_arg("coap_debug_set_packet_loss", "loss_level");
            return 0;
        }
        // SAFETY: a NUL-terminated string (C contract).
        let text = unsafe { std::ffi::CStr::from_ptr(loss_level) }.to_string_lossy();
        if let Some(p) = text.strip_suffix('%') {
            return match p.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => {
                    crate::engine::context::set_packet_loss((p * 10.0).round() as u32);
                    1
                }
                _ => {
                    log::warn!("coap_debug_set_packet_loss: bad percentage \"{text}\"");
                    0
                }
            };
        }
        match parse_ranges(&text) {
            Some(r) => {
                crate::engine::context::set_packet_loss_list(r);
                1
            }
            None => {
                log::warn!("coap_debug_set_packet_loss: cannot use \"{text}\" (\"10%\" or \"1,3-5\")");
                0
            }
        }
    })
}

fn parse_ranges(text: &str) -> Option<Vec<(u64, u64)>> {
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b) = (a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?);
            (a >= 1 && a <= b).then_some((a, b))
        })
        .collect()
}

/// Runs due timers and returns milliseconds until the next one (0: none).
/// This build drives its sockets through one epoll set, so no
/// `coap_socket_t` is handed out: `*num_sockets` is 0 and
/// coap_io_do_io() reads whatever is ready.
#[no_mangle]
pub unsafe extern "C" fn coap_io_prepare_io(
    ctx: *mut coap_context_t,
    sockets: *mut *mut coap_socket_t,
    max_sockets: std::ffi::c_uint,
    num_sockets: *mut std::ffi::c_uint,
    _now: coap_tick_t,
) -> std::ffi::c_uint {
    let _ = (sockets, max_sockets);
    guard("coap_io_prepare_io", || {
        // SAFETY: NULL or caller-owned (C contract).
        if let Some(n) = unsafe { num_sockets.as_mut() } {
            *n = 0;
        }
        prepare(ctx, "coap_io_prepare_io")
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_io_do_io(ctx: *mut coap_context_t, _now: coap_tick_t) {
    guard("coap_io_do_io", || {
        let engine = engine!("coap_io_do_io", ctx);
        engine.begin_batch();
        if let Err(e) = engine.process(Some(Duration::ZERO)) {
            log::error!("coap_io_do_io: {e}");
        }
        dispatch(ctx);
        end_pass(ctx);
    })
}
