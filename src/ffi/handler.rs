//! coap_handler(3): registering the application's callbacks.
use crate::ffi::boundary::guard;
use crate::ffi::context::ContextObj;
use crate::ffi::types::*;

#[no_mangle]
pub unsafe extern "C" fn coap_register_request_handler(resource: *mut coap_resource_t, method: RequestMethod, handler: coap_method_handler_t) {
    guard("coap_register_request_handler", || {
        crate::ffi::resource::register("coap_register_request_handler", resource, method, handler)
    })
}

/// The old name of coap_register_request_handler (coap_deprecated(3)).
#[no_mangle]
pub unsafe extern "C" fn coap_register_handler(resource: *mut coap_resource_t, method: RequestMethod, handler: coap_method_handler_t) {
    guard("coap_register_handler", || crate::ffi::resource::register("coap_register_handler", resource, method, handler))
}

#[no_mangle]
pub unsafe extern "C" fn coap_register_response_handler(context: *mut coap_context_t, handler: coap_response_handler_t) {
    guard("coap_register_response_handler", || handle!("coap_register_response_handler", context, ContextObj).handlers.response = handler)
}

#[no_mangle]
pub unsafe extern "C" fn coap_register_nack_handler(context: *mut coap_context_t, handler: coap_nack_handler_t) {
    guard("coap_register_nack_handler", || handle!("coap_register_nack_handler", context, ContextObj).handlers.nack = handler)
}

#[no_mangle]
pub unsafe extern "C" fn coap_register_ping_handler(context: *mut coap_context_t, handler: coap_ping_handler_t) {
    guard("coap_register_ping_handler", || handle!("coap_register_ping_handler", context, ContextObj).handlers.ping = handler)
}

#[no_mangle]
pub unsafe extern "C" fn coap_register_pong_handler(context: *mut coap_context_t, handler: coap_pong_handler_t) {
    guard("coap_register_pong_handler", || handle!("coap_register_pong_handler", context, ContextObj).handlers.pong = handler)
}

#[no_mangle]
pub unsafe extern "C" fn coap_register_event_handler(context: *mut coap_context_t, handler: coap_event_handler_t) {
    guard("coap_register_event_handler", || handle!("coap_register_event_handler", context, ContextObj).handlers.event = handler)
}

/// The old name of coap_register_event_handler (coap_deprecated(3)).
#[no_mangle]
pub unsafe extern "C" fn coap_set_event_handler(context: *mut coap_context_t, handler: coap_event_handler_t) {
    guard("coap_set_event_handler", || handle!("coap_set_event_handler", context, ContextObj).handlers.event = handler)
}

/// The old way to remove the event handler (coap_deprecated(3)).
#[no_mangle]
pub unsafe extern "C" fn coap_clear_event_handler(context: *mut coap_context_t) {
    guard("coap_clear_event_handler", || handle!("coap_clear_event_handler", context, ContextObj).handlers.event = None)
}

/// Calls the context's event handler now; 0 when none is registered.
#[no_mangle]
pub unsafe extern "C" fn coap_handle_event(context: *mut coap_context_t, event: Event, session: *mut coap_session_t) -> std::ffi::c_int {
    guard("coap_handle_event", || {
        let handler = handle!("coap_handle_event", context, ContextObj, else 0).handlers.event;
        if !session.is_null() {
            // A session given must be live; the handler may use it.
            let _ = handle!("coap_handle_event", session, crate::ffi::session::SessionCell, else 0);
        }
        match handler {
            // SAFETY: the application's handler, called as libcoap does; no
            // borrow of the context is held across the call.
            Some(f) => unsafe { f(session, event) },
            None => 0,
        }
    })
}
