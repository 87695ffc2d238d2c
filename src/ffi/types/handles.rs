//! Opaque handle types. C only ever holds pointers to these; their typedefs
//! are in `src/ffi/header/prelude.h` (cbindgen does not expand macros), and
//! the engine objects behind them are reached through `crate::ffi::handle`.

macro_rules! opaque {
    ($($name:ident),* $(,)?) => {$(
        #[allow(non_camel_case_types)]
        pub struct $name {
            _private: [u8; 0],
        }
    )*};
}

opaque!(
    coap_async_t, coap_lg_xmit_t, coap_lg_crcv_t, coap_lg_srcv_t, coap_cache_entry_t,
    coap_cache_key_t, coap_packet_t, coap_socket_t, coap_context_t, coap_queue_t,
    coap_oscore_conf_t, coap_pdu_t, coap_attr_t, coap_resource_t, coap_addr_hash_t,
    coap_endpoint_t, coap_session_t, coap_subscription_t,
);
