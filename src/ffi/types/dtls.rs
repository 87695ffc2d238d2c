//! coap_encryption(3) and coap_tls_library(3) structs and callback types.
use super::enums::{Asn1PrivateKeyType, PkiKeyType, TlsLibrary};
use super::handles::coap_session_t;
use super::str::coap_bin_const_t;
use super::str::coap_str_const_t;
use std::ffi::{c_char, c_int, c_uint, c_void};

#[repr(C)]
pub struct coap_tls_version_t {
    pub version: u64,
    pub r#type: TlsLibrary,
    pub built_version: u64,
}

pub type coap_dtls_security_setup_t =
    Option<unsafe extern "C" fn(tls_session: *mut c_void, setup_data: *mut coap_dtls_pki_t) -> c_int>;

pub type coap_dtls_cn_callback_t = Option<
    unsafe extern "C" fn(
        cn: *const c_char,
        asn1_public_cert: *const u8,
        asn1_length: usize,
        coap_session: *mut coap_session_t,
        depth: c_uint,
        validated: c_int,
        arg: *mut c_void,
    ) -> c_int,
>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct coap_pki_key_pem_t {
    pub ca_file: *const c_char,
    pub public_cert: *const c_char,
    pub private_key: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct coap_pki_key_pem_buf_t {
    pub ca_cert: *const u8,
    pub public_cert: *const u8,
    pub private_key: *const u8,
    pub ca_cert_len: usize,
    pub public_cert_len: usize,
    pub private_key_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct coap_pki_key_asn1_t {
    pub ca_cert: *const u8,
    pub public_cert: *const u8,
    pub private_key: *const u8,
    pub ca_cert_len: usize,
    pub public_cert_len: usize,
    pub private_key_len: usize,
    pub private_key_type: Asn1PrivateKeyType,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct coap_pki_key_pkcs11_t {
    pub ca: *const c_char,
    pub public_cert: *const c_char,
    pub private_key: *const c_char,
    pub user_pin: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union coap_dtls_key_t_key {
    pub pem: coap_pki_key_pem_t,
    pub pem_buf: coap_pki_key_pem_buf_t,
    pub asn1: coap_pki_key_asn1_t,
    pub pkcs11: coap_pki_key_pkcs11_t,
}

#[repr(C)]
pub struct coap_dtls_key_t {
    pub key_type: PkiKeyType,
    pub key: coap_dtls_key_t_key,
}

pub type coap_dtls_pki_sni_callback_t =
    Option<unsafe extern "C" fn(sni: *const c_char, arg: *mut c_void) -> *mut coap_dtls_key_t>;

#[repr(C)]
pub struct coap_dtls_pki_t {
    pub version: u8,
    pub verify_peer_cert: u8,
    pub check_common_ca: u8,
    pub allow_self_signed: u8,
    pub allow_expired_certs: u8,
    pub cert_chain_validation: u8,
    pub cert_chain_verify_depth: u8,
    pub check_cert_revocation: u8,
    pub allow_no_crl: u8,
    pub allow_expired_crl: u8,
    pub allow_bad_md_hash: u8,
    pub allow_short_rsa_length: u8,
    pub is_rpk_not_cert: u8,
    pub reserved: [u8; 3],
    pub validate_cn_call_back: coap_dtls_cn_callback_t,
    pub cn_call_back_arg: *mut c_void,
    pub validate_sni_call_back: coap_dtls_pki_sni_callback_t,
    pub sni_call_back_arg: *mut c_void,
    pub additional_tls_setup_call_back: coap_dtls_security_setup_t,
    pub client_sni: *mut c_char,
    pub pki_key: coap_dtls_key_t,
}

#[repr(C)]
pub struct coap_dtls_cpsk_info_t {
    pub identity: coap_bin_const_t,
    pub key: coap_bin_const_t,
}

pub type coap_dtls_ih_callback_t = Option<
    unsafe extern "C" fn(
        hint: *mut coap_str_const_t,
        coap_session: *mut coap_session_t,
        arg: *mut c_void,
    ) -> *const coap_dtls_cpsk_info_t,
>;

#[repr(C)]
pub struct coap_dtls_cpsk_t {
    pub version: u8,
    pub reserved: [u8; 7],
    pub validate_ih_call_back: coap_dtls_ih_callback_t,
    pub ih_call_back_arg: *mut c_void,
    pub client_sni: *mut c_char,
    pub psk_info: coap_dtls_cpsk_info_t,
}

#[repr(C)]
pub struct coap_dtls_spsk_info_t {
    pub hint: coap_bin_const_t,
    pub key: coap_bin_const_t,
}

pub type coap_dtls_id_callback_t = Option<
    unsafe extern "C" fn(
        identity: *mut coap_bin_const_t,
        coap_session: *mut coap_session_t,
        arg: *mut c_void,
    ) -> *const coap_bin_const_t,
>;

pub type coap_dtls_psk_sni_callback_t = Option<
    unsafe extern "C" fn(
        sni: *const c_char,
        coap_session: *mut coap_session_t,
        arg: *mut c_void,
    ) -> *const coap_dtls_spsk_info_t,
>;

#[repr(C)]
pub struct coap_dtls_spsk_t {
    pub version: u8,
    pub reserved: [u8; 7],
    pub validate_id_call_back: coap_dtls_id_callback_t,
    pub id_call_back_arg: *mut c_void,
    pub validate_sni_call_back: coap_dtls_psk_sni_callback_t,
    pub sni_call_back_arg: *mut c_void,
    pub psk_info: coap_dtls_spsk_info_t,
}
