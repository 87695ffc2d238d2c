//! The C enums. Each is emitted into the header as a C enum. C callers may
//! pass any integer where an enum is expected, and a Rust enum holding an
//! unlisted value is undefined behaviour, so function signatures use the
//! integer aliases at the end of this file; cbindgen.toml prints each alias
//! under its enum's C name, so the prototypes read exactly as libcoap's.
#![allow(non_camel_case_types)]
use std::ffi::c_uint;

#[repr(C)]
pub enum coap_uri_scheme_t {
    COAP_URI_SCHEME_COAP = 0,
    COAP_URI_SCHEME_COAPS = 1,
    COAP_URI_SCHEME_COAP_TCP = 2,
    COAP_URI_SCHEME_COAPS_TCP = 3,
    COAP_URI_SCHEME_HTTP = 4,
    COAP_URI_SCHEME_HTTPS = 5,
    COAP_URI_SCHEME_COAP_WS = 6,
    COAP_URI_SCHEME_COAPS_WS = 7,
    COAP_URI_SCHEME_LAST = 8,
}

#[repr(C)]
pub enum coap_pdu_type_t {
    COAP_MESSAGE_CON = 0,
    COAP_MESSAGE_NON = 1,
    COAP_MESSAGE_ACK = 2,
    COAP_MESSAGE_RST = 3,
}

#[repr(C)]
pub enum coap_request_t {
    COAP_REQUEST_GET = 1,
    COAP_REQUEST_POST = 2,
    COAP_REQUEST_PUT = 3,
    COAP_REQUEST_DELETE = 4,
    COAP_REQUEST_FETCH = 5,
    COAP_REQUEST_PATCH = 6,
    COAP_REQUEST_IPATCH = 7,
}

#[repr(C)]
pub enum coap_pdu_signaling_proto_t {
    COAP_SIGNALING_CSM = 225,
    COAP_SIGNALING_PING = 226,
    COAP_SIGNALING_PONG = 227,
    COAP_SIGNALING_RELEASE = 228,
    COAP_SIGNALING_ABORT = 229,
}

#[repr(C)]
pub enum coap_proto_t {
    COAP_PROTO_NONE = 0,
    COAP_PROTO_UDP = 1,
    COAP_PROTO_DTLS = 2,
    COAP_PROTO_TCP = 3,
    COAP_PROTO_TLS = 4,
    COAP_PROTO_WS = 5,
    COAP_PROTO_WSS = 6,
    COAP_PROTO_LAST = 7,
}

#[repr(C)]
pub enum coap_pdu_code_t {
    COAP_EMPTY_CODE = 0,
    COAP_REQUEST_CODE_GET = 1,
    COAP_REQUEST_CODE_POST = 2,
    COAP_REQUEST_CODE_PUT = 3,
    COAP_REQUEST_CODE_DELETE = 4,
    COAP_REQUEST_CODE_FETCH = 5,
    COAP_REQUEST_CODE_PATCH = 6,
    COAP_REQUEST_CODE_IPATCH = 7,
    COAP_RESPONSE_CODE_CREATED = 65,
    COAP_RESPONSE_CODE_DELETED = 66,
    COAP_RESPONSE_CODE_VALID = 67,
    COAP_RESPONSE_CODE_CHANGED = 68,
    COAP_RESPONSE_CODE_CONTENT = 69,
    COAP_RESPONSE_CODE_CONTINUE = 95,
    COAP_RESPONSE_CODE_BAD_REQUEST = 128,
    COAP_RESPONSE_CODE_UNAUTHORIZED = 129,
    COAP_RESPONSE_CODE_BAD_OPTION = 130,
    COAP_RESPONSE_CODE_FORBIDDEN = 131,
    COAP_RESPONSE_CODE_NOT_FOUND = 132,
    COAP_RESPONSE_CODE_NOT_ALLOWED = 133,
    COAP_RESPONSE_CODE_NOT_ACCEPTABLE = 134,
    COAP_RESPONSE_CODE_INCOMPLETE = 136,
    COAP_RESPONSE_CODE_CONFLICT = 137,
    COAP_RESPONSE_CODE_PRECONDITION_FAILED = 140,
    COAP_RESPONSE_CODE_REQUEST_TOO_LARGE = 141,
    COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT = 143,
    COAP_RESPONSE_CODE_UNPROCESSABLE = 150,
    COAP_RESPONSE_CODE_TOO_MANY_REQUESTS = 157,
    COAP_RESPONSE_CODE_INTERNAL_ERROR = 160,
    COAP_RESPONSE_CODE_NOT_IMPLEMENTED = 161,
    COAP_RESPONSE_CODE_BAD_GATEWAY = 162,
    COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE = 163,
    COAP_RESPONSE_CODE_GATEWAY_TIMEOUT = 164,
    COAP_RESPONSE_CODE_PROXYING_NOT_SUPPORTED = 165,
    COAP_RESPONSE_CODE_HOP_LIMIT_REACHED = 168,
    COAP_SIGNALING_CODE_CSM = 225,
    COAP_SIGNALING_CODE_PING = 226,
    COAP_SIGNALING_CODE_PONG = 227,
    COAP_SIGNALING_CODE_RELEASE = 228,
    COAP_SIGNALING_CODE_ABORT = 229,
}

#[repr(C)]
pub enum coap_resolve_type_t {
    COAP_RESOLVE_TYPE_LOCAL = 0,
    COAP_RESOLVE_TYPE_REMOTE = 1,
}

#[repr(C)]
pub enum coap_nack_reason_t {
    COAP_NACK_TOO_MANY_RETRIES = 0,
    COAP_NACK_NOT_DELIVERABLE = 1,
    COAP_NACK_RST = 2,
    COAP_NACK_TLS_FAILED = 3,
    COAP_NACK_ICMP_ISSUE = 4,
    COAP_NACK_BAD_RESPONSE = 5,
    COAP_NACK_TLS_LAYER_FAILED = 6,
    COAP_NACK_WS_LAYER_FAILED = 7,
    COAP_NACK_WS_FAILED = 8,
}

#[repr(C)]
pub enum coap_dtls_role_t {
    COAP_DTLS_ROLE_CLIENT = 0,
    COAP_DTLS_ROLE_SERVER = 1,
}

#[repr(C)]
pub enum coap_tls_library_t {
    COAP_TLS_LIBRARY_NOTLS = 0,
    COAP_TLS_LIBRARY_TINYDTLS = 1,
    COAP_TLS_LIBRARY_OPENSSL = 2,
    COAP_TLS_LIBRARY_GNUTLS = 3,
    COAP_TLS_LIBRARY_MBEDTLS = 4,
}

#[repr(C)]
pub enum coap_asn1_privatekey_type_t {
    COAP_ASN1_PKEY_NONE = 0,
    COAP_ASN1_PKEY_RSA = 1,
    COAP_ASN1_PKEY_RSA2 = 2,
    COAP_ASN1_PKEY_DSA = 3,
    COAP_ASN1_PKEY_DSA1 = 4,
    COAP_ASN1_PKEY_DSA2 = 5,
    COAP_ASN1_PKEY_DSA3 = 6,
    COAP_ASN1_PKEY_DSA4 = 7,
    COAP_ASN1_PKEY_DH = 8,
    COAP_ASN1_PKEY_DHX = 9,
    COAP_ASN1_PKEY_EC = 10,
    COAP_ASN1_PKEY_HMAC = 11,
    COAP_ASN1_PKEY_CMAC = 12,
    COAP_ASN1_PKEY_TLS1_PRF = 13,
    COAP_ASN1_PKEY_HKDF = 14,
}

#[repr(C)]
pub enum coap_pki_key_t {
    COAP_PKI_KEY_PEM = 0,
    COAP_PKI_KEY_ASN1 = 1,
    COAP_PKI_KEY_PEM_BUF = 2,
    COAP_PKI_KEY_PKCS11 = 3,
}

#[repr(C)]
pub enum coap_event_t {
    COAP_EVENT_DTLS_CLOSED = 0,
    COAP_EVENT_DTLS_CONNECTED = 478,
    COAP_EVENT_DTLS_RENEGOTIATE = 479,
    COAP_EVENT_DTLS_ERROR = 512,
    COAP_EVENT_TCP_CONNECTED = 4097,
    COAP_EVENT_TCP_CLOSED = 4098,
    COAP_EVENT_TCP_FAILED = 4099,
    COAP_EVENT_SESSION_CONNECTED = 8193,
    COAP_EVENT_SESSION_CLOSED = 8194,
    COAP_EVENT_SESSION_FAILED = 8195,
    COAP_EVENT_PARTIAL_BLOCK = 12289,
    COAP_EVENT_XMIT_BLOCK_FAIL = 12290,
    COAP_EVENT_SERVER_SESSION_NEW = 16385,
    COAP_EVENT_SERVER_SESSION_DEL = 16386,
    COAP_EVENT_BAD_PACKET = 20481,
    COAP_EVENT_MSG_RETRANSMITTED = 20482,
    COAP_EVENT_OSCORE_DECRYPTION_FAILURE = 24577,
    COAP_EVENT_OSCORE_NOT_ENABLED = 24578,
    COAP_EVENT_OSCORE_NO_PROTECTED_PAYLOAD = 24579,
    COAP_EVENT_OSCORE_NO_SECURITY = 24580,
    COAP_EVENT_OSCORE_INTERNAL_ERROR = 24581,
    COAP_EVENT_OSCORE_DECODE_ERROR = 24582,
    COAP_EVENT_WS_PACKET_SIZE = 28673,
    COAP_EVENT_WS_CONNECTED = 28674,
    COAP_EVENT_WS_CLOSED = 28675,
    COAP_EVENT_KEEPALIVE_FAILURE = 32769,
}

#[repr(C)]
pub enum coap_session_type_t {
    COAP_SESSION_TYPE_NONE = 0,
    COAP_SESSION_TYPE_CLIENT = 1,
    COAP_SESSION_TYPE_SERVER = 2,
    COAP_SESSION_TYPE_HELLO = 3,
}

#[repr(C)]
pub enum coap_session_state_t {
    COAP_SESSION_STATE_NONE = 0,
    COAP_SESSION_STATE_CONNECTING = 1,
    COAP_SESSION_STATE_HANDSHAKE = 2,
    COAP_SESSION_STATE_CSM = 3,
    COAP_SESSION_STATE_ESTABLISHED = 4,
}

#[repr(C)]
pub enum coap_log_t {
    COAP_LOG_EMERG = 0,
    COAP_LOG_ALERT = 1,
    COAP_LOG_CRIT = 2,
    COAP_LOG_ERR = 3,
    COAP_LOG_WARN = 4,
    COAP_LOG_NOTICE = 5,
    COAP_LOG_INFO = 6,
    COAP_LOG_DEBUG = 7,
    COAP_LOG_OSCORE = 8,
    COAP_LOG_DTLS_BASE = 9,
}

#[repr(C)]
pub enum coap_response_t {
    COAP_RESPONSE_FAIL = 0,
    COAP_RESPONSE_OK = 1,
}

#[repr(C)]
pub enum coap_cache_session_based_t {
    COAP_CACHE_NOT_SESSION_BASED = 0,
    COAP_CACHE_IS_SESSION_BASED = 1,
}

#[repr(C)]
pub enum coap_cache_record_pdu_t {
    COAP_CACHE_NOT_RECORD_PDU = 0,
    COAP_CACHE_RECORD_PDU = 1,
}

#[repr(C)]
pub enum coap_memory_tag_t {
    COAP_STRING = 0,
    COAP_ATTRIBUTE_NAME = 1,
    COAP_ATTRIBUTE_VALUE = 2,
    COAP_PACKET = 3,
    COAP_NODE = 4,
    COAP_CONTEXT = 5,
    COAP_ENDPOINT = 6,
    COAP_PDU = 7,
    COAP_PDU_BUF = 8,
    COAP_RESOURCE = 9,
    COAP_RESOURCEATTR = 10,
    COAP_DTLS_SESSION = 11,
    COAP_SESSION = 12,
    COAP_OPTLIST = 13,
    COAP_CACHE_KEY = 14,
    COAP_CACHE_ENTRY = 15,
    COAP_LG_XMIT = 16,
    COAP_LG_CRCV = 17,
    COAP_LG_SRCV = 18,
    COAP_DIGEST_CTX = 19,
    COAP_SUBSCRIPTION = 20,
    COAP_DTLS_CONTEXT = 21,
    COAP_OSCORE_COM = 22,
    COAP_OSCORE_SEN = 23,
    COAP_OSCORE_REC = 24,
    COAP_OSCORE_EX = 25,
    COAP_OSCORE_EP = 26,
    COAP_OSCORE_BUF = 27,
    COAP_COSE = 28,
}

// Integer carriers for enum values crossing the boundary (see module docs).
// GCC gives an enum without negative enumerators the type `unsigned int`.
pub type UriScheme = c_uint;
pub type PduType = c_uint;
pub type RequestMethod = c_uint;
pub type Proto = c_uint;
pub type PduCode = c_uint;
pub type ResolveType = c_uint;
pub type NackReason = c_uint;
pub type DtlsRole = c_uint;
pub type TlsLibrary = c_uint;
pub type Asn1PrivateKeyType = c_uint;
pub type PkiKeyType = c_uint;
pub type Event = c_uint;
pub type SessionType = c_uint;
pub type SessionState = c_uint;
pub type LogLevel = c_uint;
pub type ResponseResult = c_uint;
pub type CacheSessionBased = c_uint;
pub type CacheRecordPdu = c_uint;
pub type MemoryTag = c_uint;

/// The `coap_log_t` values as carriers, for Rust code.
pub mod level {
    use super::{coap_log_t, LogLevel};
    pub(crate) const EMERG: LogLevel = coap_log_t::COAP_LOG_EMERG as LogLevel;
    pub(crate) const ALERT: LogLevel = coap_log_t::COAP_LOG_ALERT as LogLevel;
    pub(crate) const CRIT: LogLevel = coap_log_t::COAP_LOG_CRIT as LogLevel;
    pub(crate) const ERR: LogLevel = coap_log_t::COAP_LOG_ERR as LogLevel;
    pub(crate) const WARN: LogLevel = coap_log_t::COAP_LOG_WARN as LogLevel;
    pub(crate) const NOTICE: LogLevel = coap_log_t::COAP_LOG_NOTICE as LogLevel;
    pub(crate) const INFO: LogLevel = coap_log_t::COAP_LOG_INFO as LogLevel;
    pub(crate) const DEBUG: LogLevel = coap_log_t::COAP_LOG_DEBUG as LogLevel;
    pub(crate) const OSCORE: LogLevel = coap_log_t::COAP_LOG_OSCORE as LogLevel;
}
