//! coap_persist(3): keeping observers, Observe numbers and dynamic
//! resources over a server restart, in files (coap_persist_startup) or
//! through the application's call-backs (coap_persist_track_funcs).
//!
//! The engine records changes in its journal; [`flush`] drains it after an
//! engine call returns, writes the files and runs the call-backs with no
//! borrow of the context alive (so they may call any API function).
//! Which call-back or file serves which kind of change follows libcoap:
//! coap_persist_startup() puts its files in place of the call-backs for the
//! kinds it is given files for; coap_persist_track_funcs() puts call-backs
//! in place of all of them.
use crate::engine::context::persist::{self, Change, SavedResource, Store, PROTO_UDP};
use crate::engine::slab::Id;
use crate::ffi::boundary::guard;
use crate::ffi::context::ContextObj;
use crate::ffi::handle::get;
use crate::ffi::types::*;
use crate::proto::msg::{self, Framing, MsgType};
use crate::proto::pdu::Pdu;
use crate::proto::wire;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// What one context tracks, and where to.
#[derive(Default)]
struct Tracking {
    added: coap_observe_added_t,
    deleted: coap_observe_deleted_t,
    value: coap_track_observe_value_t,
    dyn_added: coap_dyn_resource_added_t,
    res_deleted: coap_resource_deleted_t,
    user_data: usize,
    save_freq: u32,
    /// The files of coap_persist_startup() and what they hold.
    store: Store,
}

impl Tracking {
    fn is_empty(&self) -> bool {
        self.added.is_none()
            && self.deleted.is_none()
            && self.value.is_none()
            && self.dyn_added.is_none()
            && self.res_deleted.is_none()
            && self.store.observe_file.is_none()
            && self.store.number_file.is_none()
            && self.store.resource_file.is_none()
    }

    fn tracks_dyn(&self) -> bool {
        self.dyn_added.is_some() || self.store.resource_file.is_some()
    }
}

/// Keyed by the context handle's address. Contexts belong to one thread
/// each; the lock is never held while application code runs.
static TRACKING: Mutex<Option<HashMap<usize, Tracking>>> = Mutex::new(None);

fn with_tracking<R>(ctx: *mut coap_context_t, f: impl FnOnce(&mut Tracking) -> R) -> R {
    let mut map = TRACKING.lock().unwrap_or_else(PoisonError::into_inner);
    f(map.get_or_insert_with(HashMap::new).entry(ctx as usize).or_default())
}

fn with_existing<R>(ctx: *mut coap_context_t, f: impl FnOnce(&mut Tracking) -> R) -> Option<R> {
    let mut map = TRACKING.lock().unwrap_or_else(PoisonError::into_inner);
    map.as_mut()?.get_mut(&(ctx as usize)).map(f)
}

/// Tells the engine which changes to record, from what is tracked now.
fn configure(ctx: *mut coap_context_t) {
    let flags = with_existing(ctx, |t| {
        let observers = t.added.is_some() || t.deleted.is_some() || t.store.observe_file.is_some();
        let values = t.value.is_some() || t.store.number_file.is_some();
        let resources = t.res_deleted.is_some() || t.store.number_file.is_some() || t.store.resource_file.is_some();
        (observers, values, resources, t.save_freq)
    })
    .unwrap_or((false, false, false, 1));
    // SAFETY: a context handle that came through the API; no other borrow.
    if let Some(e) = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()) {
        e.persist.configure(flags.0, flags.1, flags.2, flags.3);
    }
}

/// Drops a context's tracking (coap_free_context); its files stay.
pub(crate) fn forget(ctx: *mut coap_context_t) {
    let mut map = TRACKING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(m) = map.as_mut() {
        m.remove(&(ctx as usize));
    }
}

/// The application's call-backs, copied out of the lock.
#[derive(Clone, Copy)]
struct Callbacks {
    added: coap_observe_added_t,
    deleted: coap_observe_deleted_t,
    value: coap_track_observe_value_t,
    res_deleted: coap_resource_deleted_t,
    user_data: *mut c_void,
}

/// Hands the engine's recorded changes to the files and call-backs.
/// Call with no borrow of the context alive.
pub(crate) fn flush(ctx: *mut coap_context_t) {
    // SAFETY: a context handle that came through the API; the borrow ends here.
    let changes = match unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()) {
        Some(e) => e.persist.take(),
        None => return,
    };
    if changes.is_empty() {
        return;
    }
    let cbs = with_existing(ctx, |t| {
        for c in &changes {
            t.store.apply(c);
        }
        Callbacks { added: t.added, deleted: t.deleted, value: t.value, res_deleted: t.res_deleted, user_data: t.user_data as *mut c_void }
    });
    let Some(cbs) = cbs else { return };
    for c in changes {
        call_out(ctx, &cbs, c);
    }
}

/// The C handle of a session a change names: the one it had when the
/// change was recorded if that is still this session's, else a fresh one
/// (NULL once the session is gone).
fn session_handle(ctx: *mut coap_context_t, sid: Id, recorded: usize) -> *mut coap_session_t {
    if recorded != 0 {
        // SAFETY: session handles are pooled slots; get() checks the tag.
        if let Some(cell) = unsafe { get::<crate::ffi::session::SessionCell>(recorded as *mut coap_session_t) } {
            if cell.ctx == ctx && cell.id == sid {
                return recorded as *mut coap_session_t;
            }
        }
    }
    crate::ffi::session::handle_of(ctx, sid)
}

fn call_out(ctx: *mut coap_context_t, cbs: &Callbacks, c: Change) {
    match c {
        Change::ObserveAdded { session, key, saved } => {
            let Some(f) = cbs.added else { return };
            let s = crate::ffi::session::handle_of(ctx, session);
            let mut listen = crate::ffi::address::to_c(&saved.listen);
            let mut tuple = coap_addr_tuple_t {
                remote: crate::ffi::address::to_c(&saved.remote),
                local: crate::ffi::address::to_c(&saved.local),
            };
            let mut raw = coap_bin_const_t { length: saved.raw.len(), s: saved.raw.as_ptr() };
            // SAFETY: the application's call-back with pointers to locals
            // that outlive the call.
            unsafe { f(s, key as *mut coap_subscription_t, PROTO_UDP.into(), &mut listen, &mut tuple, &mut raw, std::ptr::null_mut(), cbs.user_data) };
        }
        Change::ObserveDeleted { session, handle, key } => {
            let Some(f) = cbs.deleted else { return };
            let s = session_handle(ctx, session, handle);
            // SAFETY: as above.
            unsafe { f(s, key as *mut coap_subscription_t, cbs.user_data) };
        }
        Change::ObserveValue { path, value } => {
            let Some(f) = cbs.value else { return };
            let mut name = coap_str_const_t { length: path.len(), s: path.as_ptr() };
            // SAFETY: as above.
            unsafe { f(ctx, &mut name, value, cbs.user_data) };
        }
        Change::ResourceDeleted { path } => {
            let Some(f) = cbs.res_deleted else { return };
            let mut name = coap_str_const_t { length: path.len(), s: path.as_ptr() };
            // SAFETY: as above.
            unsafe { f(ctx, &mut name, cbs.user_data) };
        }
    }
}

// -------------------------------------------- resources made on request

/// A request the unknown-resource handler is running for (innermost last):
/// a resource it adds is a dynamic resource made from that request.
struct UnknownCall {
    ctx: usize,
    session: usize,
    raw: Vec<u8>,
}

thread_local! {
    static UNKNOWN_CALLS: RefCell<Vec<UnknownCall>> = const { RefCell::new(Vec::new()) };
}

/// Hook before a request handler runs; true when it is the unknown
/// resource's and dynamic resources are tracked (then call
/// [`leave_handler`] after it).
pub(crate) fn enter_handler(ctx: *mut coap_context_t, resource: Id, session: *mut coap_session_t, request: &Pdu) -> bool {
    // SAFETY: a context handle that came through the API; borrow ends here.
    let unknown = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()).is_some_and(|e| e.is_unknown_resource(resource));
    if !unknown || !with_existing(ctx, |t| t.tracks_dyn()).unwrap_or(false) {
        return false;
    }
    let Ok(raw) = wire::to_vec(request, Framing::Udp) else { return false };
    UNKNOWN_CALLS.with(|c| c.borrow_mut().push(UnknownCall { ctx: ctx as usize, session: session as usize, raw }));
    true
}

pub(crate) fn leave_handler(entered: bool) {
    if entered {
        UNKNOWN_CALLS.with(|c| c.borrow_mut().pop());
    }
}

/// Hook after coap_add_resource(): inside the unknown-resource handler, an
/// observable resource added is a dynamic one (as libcoap decides).
pub(crate) fn resource_added(ctx: *mut coap_context_t, resource: *mut coap_resource_t) {
    flush(ctx);
    let call = UNKNOWN_CALLS.with(|c| c.borrow().last().filter(|u| u.ctx == ctx as usize).map(|u| (u.session, u.raw.clone())));
    let Some((session, raw)) = call else { return };
    let name = crate::ffi::resource::with_resource(resource, |r| (r.kind == crate::engine::resource::Kind::Path && r.observable).then(|| r.path.clone()));
    let Some(Some(name)) = name else { return };
    let cb = with_existing(ctx, |t| {
        t.store.resource_added(SavedResource { proto: PROTO_UDP, name: name.clone(), raw: raw.clone() });
        (t.dyn_added, t.user_data as *mut c_void)
    });
    if let Some((Some(f), user_data)) = cb {
        let mut n = coap_str_const_t { length: name.len(), s: name.as_ptr() };
        let mut r = coap_bin_const_t { length: raw.len(), s: raw.as_ptr() };
        // SAFETY: the application's call-back with pointers to locals.
        unsafe { f(session as *mut coap_session_t, &mut n, &mut r, user_data) };
    }
}

/// Re-creates saved dynamic resources through the unknown-resource
/// handler, as libcoap does at start-up: the handler gets the saved
/// request on a session that exists for the call only.
fn replay_resources(ctx: *mut coap_context_t, saved: &[SavedResource]) {
    for d in saved {
        // SAFETY: a context handle that came through the API; borrow ends
        // before any application code runs.
        let Some(engine) = (unsafe { get::<ContextObj>(ctx) }).and_then(|o| o.engine.as_mut()) else { return };
        if matches!(engine.resources.find(&d.name), crate::engine::resource::Found::Resource(_)) {
            continue;
        }
        if d.proto != PROTO_UDP {
            log::warn!("persist: dynamic resource '{}' saved for protocol {}; skipped", String::from_utf8_lossy(&d.name), d.proto);
            continue;
        }
        let Ok(request) = wire::parse_udp(&d.raw, engine.cfg.max_token_size.max(msg::TOKEN_DEFAULT_MAX)) else {
            log::warn!("persist: saved request for '{}' does not parse; skipped", String::from_utf8_lossy(&d.name));
            continue;
        };
        let Some((rid, handler)) = engine.persist_unknown_handler(request.code) else {
            log::warn!("persist: no unknown-resource handler to re-create '{}'", String::from_utf8_lossy(&d.name));
            continue;
        };
        let sid = engine.persist_scratch_session();
        let session = crate::ffi::session::handle_of(ctx, sid);
        let res = crate::ffi::resource::handle_of(ctx, rid);
        let query = crate::ffi::resource::query_string(&request);
        let req = crate::ffi::pdu_setup::wrap_pdu(request);
        let resp = crate::ffi::pdu_setup::wrap_pdu(Pdu::new(MsgType::Ack, msg::EMPTY, 0, 0));
        // SAFETY: handler tokens are coap_method_handler_t values stored by
        // coap_register_request_handler (never 0, checked by the engine).
        let f: unsafe extern "C" fn(*mut coap_resource_t, *mut coap_session_t, *const coap_pdu_t, *const coap_string_t, *mut coap_pdu_t) =
            unsafe { std::mem::transmute::<usize, _>(handler) };
        // SAFETY: the application's handler with live handles.
        unsafe { f(res, session, req, query, resp) };
        crate::ffi::resource::free_query(query);
        // SAFETY: handles made above; release() ignores dead ones.
        unsafe {
            crate::ffi::pdu_setup::release_pdu(req);
            crate::ffi::pdu_setup::release_pdu(resp);
        }
        // SAFETY: as above.
        let gone = unsafe { get::<ContextObj>(ctx) }.and_then(|o| o.engine.as_mut()).and_then(|e| e.persist_drop_scratch(sid));
        crate::ffi::session::release_cells(&gone.into_iter().collect::<Vec<_>>());
    }
}

// ----------------------------------------------------------------- exports

fn path_arg(p: *const c_char) -> Option<PathBuf> {
    if p.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string (C contract).
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

/// 1 when tracking started (a missing or empty file is a fresh start; a
/// corrupt one is logged, moved aside and treated as empty), 0 for a bad
/// context or an empty file name.
#[no_mangle]
pub unsafe extern "C" fn coap_persist_startup(
    context: *mut coap_context_t,
    dyn_resource_save_file: *const c_char,
    observe_save_file: *const c_char,
    obs_cnt_save_file: *const c_char,
    save_freq: u32,
) -> c_int {
    guard("coap_persist_startup", || {
        engine!("coap_persist_startup", context);
        let (dyn_file, obs_file, cnt_file) = (path_arg(dyn_resource_save_file), path_arg(observe_save_file), path_arg(obs_cnt_save_file));
        if [&dyn_file, &obs_file, &cnt_file].iter().any(|p| p.as_ref().is_some_and(|p| p.as_os_str().is_empty())) {
            log::warn!("coap_persist_startup: a file name is empty");
            return 0;
        }
        // Nothing is recorded while the saved state is loaded back.
        // SAFETY: checked live above; no other borrow.
        if let Some(e) = unsafe { get::<ContextObj>(context) }.and_then(|o| o.engine.as_mut()) {
            e.persist.configure(false, false, false, 1);
        }
        if let Some(path) = dyn_file {
            let saved = persist::load(&path, persist::decode_resources);
            replay_resources(context, &saved);
            with_tracking(context, |t| {
                t.store.resource_file = Some(path);
                t.store.resources = saved;
                t.dyn_added = None;
                t.res_deleted = None;
            });
        }
        if let Some(path) = cnt_file {
            let freq = save_freq.max(1);
            let saved = persist::load(&path, persist::decode_numbers);
            // SAFETY: checked live above; no other borrow.
            if let Some(e) = unsafe { get::<ContextObj>(context) }.and_then(|o| o.engine.as_mut()) {
                for (name, n) in &saved {
                    if let crate::engine::resource::Found::Resource(rid) = e.resources.find(name) {
                        if let Some(r) = e.resources.get_mut(rid) {
                            r.obs_seq = persist::resume_number(*n, freq);
                        }
                    }
                }
            }
            with_tracking(context, |t| {
                t.store.number_file = Some(path);
                t.store.numbers = saved;
                t.save_freq = freq;
                t.value = None;
                t.res_deleted = None;
            });
        }
        if let Some(path) = obs_file {
            let saved = persist::load(&path, persist::decode_observers);
            let mut restored = Vec::new();
            for o in saved {
                // SAFETY: checked live above; no other borrow.
                let Some(e) = unsafe { get::<ContextObj>(context) }.and_then(|o| o.engine.as_mut()) else { break };
                if o.proto != PROTO_UDP {
                    log::warn!("persist: observer saved for protocol {}; skipped", o.proto);
                    continue;
                }
                match e.persist_observe_add(&o.listen, o.remote, &o.raw) {
                    Ok(key) => restored.push((key, o)),
                    Err(why) => log::warn!("persist: observer of {} not restored: {why}", o.remote),
                }
            }
            with_tracking(context, |t| {
                t.store.observe_file = Some(path);
                t.store.observers = restored;
                // Only what came back is kept (as libcoap rewrites it).
                t.store.save_observers();
                t.added = None;
                t.deleted = None;
            });
        }
        // SAFETY: checked live above; no other borrow.
        if let Some(e) = unsafe { get::<ContextObj>(context) }.and_then(|o| o.engine.as_mut()) {
            e.persist.take();
        }
        configure(context);
        1
    })
}

/// Stops tracking; the saved state stays for the next start, and freeing
/// the context afterwards no longer counts as deleting its observers.
#[no_mangle]
pub unsafe extern "C" fn coap_persist_stop(context: *mut coap_context_t) {
    guard("coap_persist_stop", || {
        handle!("coap_persist_stop", context, ContextObj);
        engine!("coap_persist_stop", context).observe_no_clear = true;
        forget(context);
        configure(context);
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_persist_track_funcs(
    context: *mut coap_context_t,
    observe_added: coap_observe_added_t,
    observe_deleted: coap_observe_deleted_t,
    track_observe_value: coap_track_observe_value_t,
    dyn_resource_added: coap_dyn_resource_added_t,
    resource_deleted: coap_resource_deleted_t,
    save_freq: u32,
    user_data: *mut c_void,
) {
    guard("coap_persist_track_funcs", || {
        handle!("coap_persist_track_funcs", context, ContextObj);
        flush(context);
        let empty = with_tracking(context, |t| {
            t.added = observe_added;
            t.deleted = observe_deleted;
            t.value = track_observe_value;
            t.dyn_added = dyn_resource_added;
            t.res_deleted = resource_deleted;
            t.user_data = user_data as usize;
            t.save_freq = save_freq.max(1);
            // The call-backs take the place of any files.
            t.store = Store::default();
            t.is_empty()
        });
        if empty {
            forget(context);
        }
        configure(context);
    })
}

/// A server session for `s_addr_info->remote` on the UDP endpoint bound to
/// `e_listen_addr`, observing with the saved request `raw_packet`; NULL
/// (with a log line) when it cannot be set up. `oscore_info` is ignored:
/// this build has no OSCORE, as libcoap built without it.
#[no_mangle]
pub unsafe extern "C" fn coap_persist_observe_add(
    context: *mut coap_context_t,
    e_proto: Proto,
    e_listen_addr: *const coap_address_t,
    s_addr_info: *const coap_addr_tuple_t,
    raw_packet: *const coap_bin_const_t,
    oscore_info: *const coap_bin_const_t,
) -> *mut coap_subscription_t {
    const FN: &str = "coap_persist_observe_add";
    let _ = oscore_info;
    guard(FN, || {
        let listen = arg_ref!(FN, e_listen_addr);
        let tuple = arg_ref!(FN, s_addr_info);
        let raw = arg_ref!(FN, raw_packet);
        let bytes = arg_bytes!(FN, raw.s, raw.length).to_vec();
        if e_proto != PROTO_UDP.into() {
            log::warn!("{FN}: only UDP observers can be restored (proto {e_proto})");
            return std::ptr::null_mut();
        }
        let (Some(listen), Some(remote)) = (crate::ffi::address::from_c(listen), crate::ffi::address::from_c(&tuple.remote)) else {
            log::warn!("{FN}: an address has no usable family");
            return std::ptr::null_mut();
        };
        let result = engine!(FN, context).persist_observe_add(&listen, remote, &bytes);
        match result {
            Ok(key) => {
                flush(context);
                key as *mut coap_subscription_t
            }
            Err(why) => {
                flush(context);
                log::warn!("{FN}: {why}");
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_persist_set_observe_num(resource: *mut coap_resource_t, start_observe_no: u32) {
    guard("coap_persist_set_observe_num", || {
        if crate::ffi::resource::with_resource(resource, |r| r.obs_seq = start_observe_no & 0x00FF_FFFF).is_none() {
            crate::ffi::handle::refuse("coap_persist_set_observe_num", "resource", "coap_resource_t", resource.is_null());
        }
    })
}
