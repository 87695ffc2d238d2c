//! Application callback types (coap_handler(3), coap_resource(3),
//! coap_persist(3), coap_logging(3) ...) and the fixed-point type of
//! coap_recovery(3).
use super::address::{coap_addr_tuple_t, coap_address_t};
use super::enums::{Event, LogLevel, NackReason, Proto, ResponseResult};
use super::handles::*;
use super::scalars::coap_mid_t;
use super::str::{coap_bin_const_t, coap_str_const_t, coap_string_t};
use std::ffi::{c_char, c_int, c_void};

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct coap_fixed_point_t {
    pub integer_part: u16,
    pub fractional_part: u16,
}

pub type coap_log_handler_t = Option<unsafe extern "C" fn(level: LogLevel, message: *const c_char)>;

pub type coap_event_handler_t =
    Option<unsafe extern "C" fn(session: *mut coap_session_t, event: Event) -> c_int>;

pub type coap_response_handler_t = Option<
    unsafe extern "C" fn(
        session: *mut coap_session_t,
        sent: *const coap_pdu_t,
        received: *const coap_pdu_t,
        mid: coap_mid_t,
    ) -> ResponseResult,
>;

pub type coap_nack_handler_t = Option<
    unsafe extern "C" fn(
        session: *mut coap_session_t,
        sent: *const coap_pdu_t,
        reason: NackReason,
        mid: coap_mid_t,
    ),
>;

pub type coap_ping_handler_t = Option<
    unsafe extern "C" fn(session: *mut coap_session_t, received: *const coap_pdu_t, mid: coap_mid_t),
>;

pub type coap_pong_handler_t = Option<
    unsafe extern "C" fn(session: *mut coap_session_t, received: *const coap_pdu_t, mid: coap_mid_t),
>;

pub type coap_lwip_input_wait_handler_t =
    Option<unsafe extern "C" fn(arg: *mut c_void, milli_secs: u32) -> c_int>;

pub type coap_release_large_data_t =
    Option<unsafe extern "C" fn(session: *mut coap_session_t, app_ptr: *mut c_void)>;

pub type coap_cache_app_data_free_callback_t = Option<unsafe extern "C" fn(data: *mut c_void)>;

pub type coap_oscore_save_seq_num_t =
    Option<unsafe extern "C" fn(sender_seq_num: u64, param: *mut c_void) -> c_int>;

pub type coap_rand_func_t = Option<unsafe extern "C" fn(out: *mut c_void, len: usize) -> c_int>;

pub type coap_method_handler_t = Option<
    unsafe extern "C" fn(
        resource: *mut coap_resource_t,
        session: *mut coap_session_t,
        request: *const coap_pdu_t,
        query: *const coap_string_t,
        response: *mut coap_pdu_t,
    ),
>;

pub type coap_resource_release_userdata_handler_t =
    Option<unsafe extern "C" fn(user_data: *mut c_void)>;

pub type coap_observe_added_t = Option<
    unsafe extern "C" fn(
        session: *mut coap_session_t,
        observe_key: *mut coap_subscription_t,
        e_proto: Proto,
        e_listen_addr: *mut coap_address_t,
        s_addr_info: *mut coap_addr_tuple_t,
        raw_packet: *mut coap_bin_const_t,
        oscore_info: *mut coap_bin_const_t,
        user_data: *mut c_void,
    ) -> c_int,
>;

pub type coap_observe_deleted_t = Option<
    unsafe extern "C" fn(
        session: *mut coap_session_t,
        observe_key: *mut coap_subscription_t,
        user_data: *mut c_void,
    ) -> c_int,
>;

pub type coap_track_observe_value_t = Option<
    unsafe extern "C" fn(
        context: *mut coap_context_t,
        resource_name: *mut coap_str_const_t,
        observe_num: u32,
        user_data: *mut c_void,
    ) -> c_int,
>;

pub type coap_dyn_resource_added_t = Option<
    unsafe extern "C" fn(
        session: *mut coap_session_t,
        resource_name: *mut coap_str_const_t,
        raw_packet: *mut coap_bin_const_t,
        user_data: *mut c_void,
    ) -> c_int,
>;

pub type coap_resource_deleted_t = Option<
    unsafe extern "C" fn(
        context: *mut coap_context_t,
        resource_name: *mut coap_str_const_t,
        user_data: *mut c_void,
    ) -> c_int,
>;
