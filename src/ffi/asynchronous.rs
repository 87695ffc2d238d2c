//! coap_async(3): separate responses. A request handler registers the
//! request and returns without a code (the library sends the empty ACK);
//! after the delay, or when triggered, the handler runs again with a copy
//! of the request, finds its async and answers; the library then frees it.
use crate::engine::slab::Id;
use crate::ffi::boundary::guard;
use crate::ffi::handle::{get, Handle, Pool};
use crate::ffi::types::*;
use std::ffi::{c_int, c_void};

pub struct AsyncCell {
    ctx: *mut coap_context_t,
    id: Id,
}

static ASYNCS: Pool<AsyncCell> = Pool::new();

impl Handle for AsyncCell {
    type C = coap_async_t;
    const NAME: &'static str = "coap_async_t";
    const TAG: u64 = 0x6173_796e_6c69_7665; // "asynlive"
    fn pool() -> &'static Pool<Self> {
        &ASYNCS
    }
    fn recycle(&mut self) {
        self.ctx = std::ptr::null_mut();
    }
}

/// Releases async handles the engine freed.
pub(crate) fn release_cells(handles: &[usize]) {
    for &h in handles {
        if h != 0 {
            // SAFETY: engine asyncs only hold handles made here.
            unsafe { ASYNCS.release(h as *mut coap_async_t) };
        }
    }
}

fn handle_for(ctx: *mut coap_context_t, id: Id) -> *mut coap_async_t {
    // SAFETY: a live context handle, no other borrow of it in use.
    let Some(e) = (unsafe { get::<crate::ffi::context::ContextObj>(ctx) }).and_then(|o| o.engine.as_mut()) else {
        return std::ptr::null_mut();
    };
    let Some(a) = e.async_entry(id) else { return std::ptr::null_mut() };
    if a.handle == 0 {
        a.handle = ASYNCS.alloc(|| AsyncCell { ctx, id }, |c| {
            c.ctx = ctx;
            c.id = id;
        }) as usize;
    }
    a.handle as *mut coap_async_t
}

#[no_mangle]
pub extern "C" fn coap_async_is_supported() -> c_int {
    1
}

#[no_mangle]
pub unsafe extern "C" fn coap_register_async(session: *mut coap_session_t, request: *const coap_pdu_t, delay: coap_tick_t) -> *mut coap_async_t {
    guard("coap_register_async", || {
        let req = handle!("coap_register_async", request, crate::engine::pdu::PduObj).pdu.clone();
        let (ctx, sid) = session!("coap_register_async", session);
        match engine!("coap_register_async", ctx).register_async(sid, &req, delay) {
            Some(id) => handle_for(ctx, id),
            None => {
                log::warn!("coap_register_async: already registered for this token, or session gone");
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_find_async(session: *mut coap_session_t, token: coap_bin_const_t) -> *mut coap_async_t {
    guard("coap_find_async", || {
        let t = arg_bytes!("coap_find_async", token.s, token.length).to_vec();
        let (ctx, sid) = session!("coap_find_async", session);
        match engine!("coap_find_async", ctx).find_async(sid, &t) {
            Some(id) => handle_for(ctx, id),
            None => std::ptr::null_mut(),
        }
    })
}

/// (context, id) of a live async handle, or a logged refusal.
macro_rules! async_cell {
    ($func:expr, $a:expr) => {{
        let cell = handle!($func, $a, AsyncCell);
        (cell.ctx, cell.id)
    }};
}

#[no_mangle]
pub unsafe extern "C" fn coap_async_trigger(async_: *mut coap_async_t) {
    guard("coap_async_trigger", || {
        let (ctx, id) = async_cell!("coap_async_trigger", async_);
        engine!("coap_async_trigger", ctx).set_async_delay(id, 1);
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_async_set_delay(async_: *mut coap_async_t, delay: coap_tick_t) {
    guard("coap_async_set_delay", || {
        let (ctx, id) = async_cell!("coap_async_set_delay", async_);
        engine!("coap_async_set_delay", ctx).set_async_delay(id, delay);
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_free_async(session: *mut coap_session_t, async_: *mut coap_async_t) {
    let _ = session;
    guard("coap_free_async", || {
        if async_.is_null() {
            return;
        }
        let (ctx, id) = async_cell!("coap_free_async", async_);
        if let Some(h) = engine!("coap_free_async", ctx).free_async(id) {
            release_cells(&[h]);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_async_set_app_data(async_: *mut coap_async_t, data: *mut c_void) {
    guard("coap_async_set_app_data", || {
        let (ctx, id) = async_cell!("coap_async_set_app_data", async_);
        if let Some(a) = engine!("coap_async_set_app_data", ctx).async_entry(id) {
            a.app_data = data as usize;
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_async_get_app_data(async_: *const coap_async_t) -> *mut c_void {
    guard("coap_async_get_app_data", || {
        let (ctx, id) = async_cell!("coap_async_get_app_data", async_);
        engine!("coap_async_get_app_data", ctx).async_entry(id).map_or(std::ptr::null_mut(), |a| a.app_data as *mut c_void)
    })
}
