//! coap_context(3): the context object, its settings, and app data. The
//! engine's `Context` does the work; this file keeps what only C needs: the
//! application's callbacks and data pointers.
use crate::engine::context::Context;
use crate::ffi::boundary::guard;
use crate::ffi::handle::{Handle, Pool};
use crate::ffi::types::*;
use std::ffi::{c_int, c_uint, c_void};

/// The application's context-wide callbacks (coap_handler(3)).
#[derive(Clone, Copy, Default)]
pub struct Handlers {
    pub response: coap_response_handler_t,
    pub nack: coap_nack_handler_t,
    pub ping: coap_ping_handler_t,
    pub pong: coap_pong_handler_t,
    pub event: coap_event_handler_t,
    pub release_userdata: coap_resource_release_userdata_handler_t,
}

pub struct ContextObj {
    /// None only while the object is parked in the pool.
    pub engine: Option<Context>,
    pub handlers: Handlers,
    pub app_data: usize,
    /// Nesting depth of event delivery: callbacks run with this above 0.
    pub dispatching: u32,
    /// coap_free_context() was called from a callback: free after delivery.
    pub free_pending: bool,
    /// coap_cache(3) entries and ignored options.
    pub cache: crate::engine::cache::Cache,
}

static CONTEXTS: Pool<ContextObj> = Pool::new();

impl Handle for ContextObj {
    type C = coap_context_t;
    const NAME: &'static str = "coap_context_t";
    const TAG: u64 = 0x6374_785f_6c69_7665; // "ctx_live"
    fn pool() -> &'static Pool<Self> {
        &CONTEXTS
    }
    fn recycle(&mut self) {
        self.engine = None;
        self.handlers = Handlers::default();
        self.app_data = 0;
        self.dispatching = 0;
        self.free_pending = false;
        self.cache = Default::default();
    }
}

impl ContextObj {
    /// The engine; a live handle always has one.
    pub fn engine(&mut self) -> Option<&mut Context> {
        self.engine.as_mut()
    }
}

/// The engine behind a context handle, or a logged refusal.
macro_rules! engine {
    ($func:expr, $ctx:expr) => {
        engine!($func, $ctx, else $crate::ffi::boundary::Failure::failure())
    };
    ($func:expr, $ctx:expr, else $fail:expr) => {{
        let obj = handle!($func, $ctx, $crate::ffi::context::ContextObj, else $fail);
        match obj.engine.as_mut() {
            Some(e) => e,
            None => return $fail,
        }
    }};
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_context(listen_addr: *const coap_address_t) -> *mut coap_context_t {
    guard("coap_new_context", || {
        crate::engine::clock::init();
        let mut engine = match Context::new() {
            Ok(e) => e,
            Err(e) => {
                log::error!("coap_new_context: cannot create the event loop: {e}");
                return std::ptr::null_mut();
            }
        };
        // SAFETY: NULL or a caller-owned address (C contract).
        if let Some(a) = unsafe { listen_addr.as_ref() } {
            let Some(addr) = crate::ffi::address::from_c(a) else {
                log::warn!("coap_new_context: listen address has no usable family");
                return std::ptr::null_mut();
            };
            if let Err(e) = engine.new_endpoint(addr) {
                log::error!("coap_new_context: cannot listen on {addr}: {e}");
                return std::ptr::null_mut();
            }
        }
        let handle = CONTEXTS.alloc(
            || ContextObj {
                engine: None,
                handlers: Handlers::default(),
                app_data: 0,
                dispatching: 0,
                free_pending: false,
                cache: Default::default(),
            },
            |_| {},
        );
        let obj = handle!("coap_new_context", handle, ContextObj);
        obj.engine = Some(engine);
        crate::ffi::endpoint::adopt_endpoints(handle);
        handle
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_free_context(context: *mut coap_context_t) {
    guard("coap_free_context", || {
        if context.is_null() {
            return;
        }
        let obj = handle!("coap_free_context", context, ContextObj);
        if obj.dispatching > 0 {
            // Inside one of our callbacks: the loop frees it on the way out.
            obj.free_pending = true;
            return;
        }
        // SAFETY: a live context handle, not borrowed elsewhere now.
        unsafe { free_now(context) }
    })
}

/// Tears a context down: sessions, endpoints and resources first (their
/// handles are released), then the context handle itself.
///
/// # Safety
/// `context` is a live context handle with no borrow of it in use.
pub(crate) unsafe fn free_now(context: *mut coap_context_t) {
    crate::ffi::cache::clear(context);
    crate::ffi::resource::delete_all(context);
    let (sessions, endpoints) = {
        // SAFETY: per this function's contract.
        let Some(obj) = (unsafe { crate::ffi::handle::get::<ContextObj>(context) }) else { return };
        let Some(engine) = obj.engine.as_mut() else { return };
        let endpoints: Vec<usize> = engine.endpoint_ids().iter().filter_map(|&id| engine.endpoint(id).map(|e| e.handle)).collect();
        let sessions = engine.shutdown();
        crate::ffi::asynchronous::release_cells(&engine.take_freed_asyncs());
        (sessions, endpoints)
    };
    crate::ffi::persist::forget(context);
    crate::ffi::session::release_cells(&sessions);
    crate::ffi::endpoint::release_cells(&endpoints);
    // SAFETY: per the contract; the pool checks the tag again.
    unsafe { CONTEXTS.release(context) };
}

#[no_mangle]
pub unsafe extern "C" fn coap_set_app_data(context: *mut coap_context_t, data: *mut c_void) {
    guard("coap_set_app_data", || handle!("coap_set_app_data", context, ContextObj).app_data = data as usize)
}

#[no_mangle]
pub unsafe extern "C" fn coap_get_app_data(context: *const coap_context_t) -> *mut c_void {
    guard("coap_get_app_data", || handle!("coap_get_app_data", context, ContextObj).app_data as *mut c_void)
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_max_idle_sessions(context: *mut coap_context_t, value: c_uint) {
    guard("coap_context_set_max_idle_sessions", || engine!("coap_context_set_max_idle_sessions", context).cfg.max_idle_sessions = value)
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_get_max_idle_sessions(context: *const coap_context_t) -> c_uint {
    guard("coap_context_get_max_idle_sessions", || engine!("coap_context_get_max_idle_sessions", context).cfg.max_idle_sessions)
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_max_handshake_sessions(context: *mut coap_context_t, value: c_uint) {
    guard("coap_context_set_max_handshake_sessions", || engine!("coap_context_set_max_handshake_sessions", context).cfg.max_handshake_sessions = value)
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_get_max_handshake_sessions(context: *const coap_context_t) -> c_uint {
    guard("coap_context_get_max_handshake_sessions", || engine!("coap_context_get_max_handshake_sessions", context).cfg.max_handshake_sessions)
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_csm_timeout(context: *mut coap_context_t, value: c_uint) {
    guard("coap_context_set_csm_timeout", || engine!("coap_context_set_csm_timeout", context).cfg.csm_timeout = value)
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_get_csm_timeout(context: *const coap_context_t) -> c_uint {
    guard("coap_context_get_csm_timeout", || engine!("coap_context_get_csm_timeout", context).cfg.csm_timeout)
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_session_timeout(context: *mut coap_context_t, value: c_uint) {
    guard("coap_context_set_session_timeout", || {
        engine!("coap_context_set_session_timeout", context).cfg.session_timeout = value
    })
}

/// 0 was set means the default, which is what is reported.
#[no_mangle]
pub unsafe extern "C" fn coap_context_get_session_timeout(context: *const coap_context_t) -> c_uint {
    guard("coap_context_get_session_timeout", || {
        let cfg = &engine!("coap_context_get_session_timeout", context).cfg;
        if cfg.session_timeout == 0 {
            crate::engine::context::DEFAULT_SESSION_TIMEOUT
        } else {
            cfg.session_timeout
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_keepalive(context: *mut coap_context_t, seconds: c_uint) {
    guard("coap_context_set_keepalive", || engine!("coap_context_set_keepalive", context).set_keepalive(seconds))
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_max_token_size(context: *mut coap_context_t, max_token_size: usize) {
    guard("coap_context_set_max_token_size", || {
        let engine = engine!("coap_context_set_max_token_size", context);
        if !(8..=crate::proto::msg::TOKEN_EXT_MAX).contains(&max_token_size) {
            log::warn!("coap_context_set_max_token_size: {max_token_size} is outside 8..=65804");
            return;
        }
        engine.cfg.max_token_size = max_token_size;
    })
}

/// Values under 64 are refused with a log line (libcoap 4.3.1 asserts).
#[no_mangle]
pub unsafe extern "C" fn coap_context_set_csm_max_message_size(context: *mut coap_context_t, max: u32) {
    guard("coap_context_set_csm_max_message_size", || {
        let engine = engine!("coap_context_set_csm_max_message_size", context);
        if max < 64 {
            log::warn!("coap_context_set_csm_max_message_size: {max} is below the minimum of 64");
            return;
        }
        engine.cfg.csm_max_message_size = max
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_get_csm_max_message_size(context: *const coap_context_t) -> u32 {
    guard("coap_context_get_csm_max_message_size", || {
        engine!("coap_context_get_csm_max_message_size", context).cfg.csm_max_message_size
    })
}

/// Marks option `typ` as known: requests carrying it as an unrecognised
/// critical option are no longer answered with 4.02 Bad Option.
#[no_mangle]
pub unsafe extern "C" fn coap_register_option(ctx: *mut coap_context_t, typ: u16) {
    guard("coap_register_option", || {
        let registered = &mut engine!("coap_register_option", ctx).cfg.registered_options;
        if !registered.contains(&typ) {
            registered.push(typ);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_set_block_mode(context: *mut coap_context_t, block_mode: u8) {
    guard("coap_context_set_block_mode", || {
        engine!("coap_context_set_block_mode", context).cfg.block_mode = u32::from(block_mode)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_context_get_coap_fd(context: *const coap_context_t) -> c_int {
    guard("coap_context_get_coap_fd", || engine!("coap_context_get_coap_fd", context, else -1).fd())
}
