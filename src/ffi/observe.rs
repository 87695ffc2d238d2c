//! coap_observe(3): observable resources, notifications, and cancelling
//! an observation from the client side.
use crate::ffi::boundary::guard;
use crate::ffi::types::*;
use crate::proto::msg::MsgType;
use std::ffi::c_int;

#[no_mangle]
pub unsafe extern "C" fn coap_resource_set_get_observable(resource: *mut coap_resource_t, mode: c_int) {
    guard("coap_resource_set_get_observable", || {
        if crate::ffi::resource::with_resource(resource, |r| r.observable = mode != 0).is_none() {
            crate::ffi::handle::refuse("coap_resource_set_get_observable", "resource", "coap_resource_t", resource.is_null());
        }
    })
}

/// 0 when the resource is not observable or has no observers, else 1; the
/// notifications go out on the next coap_io_process(). `query` is ignored,
/// as the man page says.
#[no_mangle]
pub unsafe extern "C" fn coap_resource_notify_observers(resource: *mut coap_resource_t, _query: *const coap_string_t) -> c_int {
    guard("coap_resource_notify_observers", || notify("coap_resource_notify_observers", resource))
}

/// The old name of coap_resource_notify_observers (coap_deprecated(3)).
#[no_mangle]
pub unsafe extern "C" fn coap_resource_set_dirty(resource: *mut coap_resource_t, _query: *const coap_string_t) -> c_int {
    guard("coap_resource_set_dirty", || notify("coap_resource_set_dirty", resource))
}

fn notify(func: &str, resource: *mut coap_resource_t) -> c_int {
    let marked = crate::ffi::resource::with_resource(resource, |r| {
        if r.observable && !r.observers.is_empty() {
            r.dirty = true;
            1
        } else {
            0
        }
    });
    if marked == Some(1) {
        // Applications that wait on the epoll fd must wake up to send.
        if let Some(engine) = crate::ffi::resource::engine_of(resource) {
            engine.wake();
        }
    }
    marked.unwrap_or_else(|| {
        crate::ffi::handle::refuse(func, "resource", "coap_resource_t", resource.is_null());
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_cancel_observe(session: *mut coap_session_t, token: *mut coap_binary_t, message_type: PduType) -> c_int {
    guard("coap_cancel_observe", || {
        let t = arg_ref!("coap_cancel_observe", token);
        let bytes = arg_bytes!("coap_cancel_observe", t.s.cast_const(), t.length).to_vec();
        let typ = match u8::try_from(message_type).ok().and_then(MsgType::from_u8) {
            Some(t @ (MsgType::Con | MsgType::Non)) => t,
            _ => {
                log::warn!("coap_cancel_observe: message type {message_type} is not CON or NON");
                return 0;
            }
        };
        let (ctx, id) = session!("coap_cancel_observe", session);
        if engine!("coap_cancel_observe", ctx).cancel_observe(id, &bytes, typ) {
            1
        } else {
            log::warn!("coap_cancel_observe: no observation with that token");
            0
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_no_observe_cancel(session: *mut coap_session_t) {
    guard("coap_session_set_no_observe_cancel", || {
        engine_session!("coap_session_set_no_observe_cancel", session).no_observe_cancel = true
    })
}
