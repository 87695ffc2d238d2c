//! The C types of libcoap 4.3.3's public headers, `#[repr(C)]`, with their
//! sizes and member offsets asserted at compile time against the x86_64
//! layouts of libcoap (shared/abi/layouts.tsv).
#![allow(non_camel_case_types)]

pub mod address;
pub mod block;
pub mod callbacks;
pub mod consts;
pub mod dtls;
pub mod enums;
pub mod handles;
pub mod option;
pub mod scalars;
pub mod str;
pub mod uri;

pub use address::*;
pub use block::*;
pub use callbacks::*;
pub use consts::*;
pub use dtls::*;
pub use enums::*;
pub use handles::*;
pub use option::*;
pub use scalars::*;
pub use str::*;
pub use uri::*;

#[cfg(target_pointer_width = "64")]
mod layout {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    macro_rules! layout {
        ($t:ty, $size:expr, $align:expr $(; $($f:ident).+ = $off:expr)*) => {
            const _: () = assert!(size_of::<$t>() == $size && align_of::<$t>() == $align);
            $(const _: () = assert!(offset_of!($t, $($f).+) == $off);)*
        };
    }

    layout!(coap_address_t, 32, 4; size = 0; addr = 4);
    layout!(coap_address_t_addr, 28, 4);
    layout!(coap_sockaddr_un, 28, 2; sun_family = 0; sun_path = 2);
    layout!(coap_option_t, 24, 8; delta = 0; length = 8; value = 16);
    layout!(coap_opt_filter_t, 12, 2; mask = 0; long_opts = 2; short_opts = 6);
    // bad:1 and filtered:1 sit in the unsigned int unit `number` starts (checked
    // from C in capi-tests/test_pdu.c).
    layout!(coap_opt_iterator_t, 40, 8; length = 0; number = 8; flags = 10; next_option = 16; filter = 24);
    layout!(coap_optlist_t, 32, 8; next = 0; number = 8; length = 16; data = 24);
    layout!(coap_string_t, 16, 8; length = 0; s = 8);
    layout!(coap_str_const_t, 16, 8; length = 0; s = 8);
    layout!(coap_binary_t, 16, 8; length = 0; s = 8);
    layout!(coap_bin_const_t, 16, 8; length = 0; s = 8);
    layout!(coap_uri_t, 64, 8; host = 0; port = 16; path = 24; query = 40; scheme = 56);
    layout!(coap_option, 8, 4; key = 0; length = 4);
    layout!(coap_addr_info_t, 48, 8; next = 0; scheme = 8; proto = 12; addr = 16);
    layout!(coap_addr_tuple_t, 64, 4; remote = 0; local = 32);
    layout!(coap_dtls_pki_t, 128, 8; version = 0; is_rpk_not_cert = 12; reserved = 13;
        validate_cn_call_back = 16; cn_call_back_arg = 24; validate_sni_call_back = 32;
        sni_call_back_arg = 40; additional_tls_setup_call_back = 48; client_sni = 56; pki_key = 64);
    layout!(coap_tls_version_t, 24, 8; version = 0; r#type = 8; built_version = 16);
    layout!(coap_pki_key_pem_t, 24, 8; ca_file = 0; public_cert = 8; private_key = 16);
    layout!(coap_pki_key_pem_buf_t, 48, 8; ca_cert = 0; private_key_len = 40);
    layout!(coap_pki_key_asn1_t, 56, 8; ca_cert = 0; private_key_len = 40; private_key_type = 48);
    layout!(coap_pki_key_pkcs11_t, 32, 8; ca = 0; user_pin = 24);
    layout!(coap_dtls_key_t, 64, 8; key_type = 0; key = 8);
    layout!(coap_dtls_cpsk_info_t, 32, 8; identity = 0; key = 16);
    layout!(coap_dtls_cpsk_t, 64, 8; version = 0; reserved = 1; validate_ih_call_back = 8;
        ih_call_back_arg = 16; client_sni = 24; psk_info = 32);
    layout!(coap_dtls_spsk_info_t, 32, 8; hint = 0; key = 16);
    layout!(coap_dtls_spsk_t, 72, 8; version = 0; reserved = 1; validate_id_call_back = 8;
        id_call_back_arg = 16; validate_sni_call_back = 24; sni_call_back_arg = 32; psk_info = 40);
    layout!(coap_fixed_point_t, 4, 2; integer_part = 0; fractional_part = 2);
    layout!(coap_block_t, 8, 4; num = 0; bits = 4);
    layout!(coap_block_b_t, 12, 4; num = 0; bits = 4; chunk_size = 8);
    layout!(coap_mid_t, 4, 4);
}
