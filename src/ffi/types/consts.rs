//! Integer `#define`s of the public headers, grouped by the header that
//! declares them in libcoap. The few that need C spelling (casts, `u`
//! suffixes) are in src/ffi/header/trailer.h; the tunables a program may
//! set before the include (`#ifndef` guards) are in prelude.h.
#![allow(clippy::unreadable_literal)]
use std::ffi::{c_int, c_uint};

// coap_uri.h
pub const COAP_URI_SCHEME_SECURE_MASK: c_uint = 1;
pub const COAP_URI_SCHEME_COAP_BIT: c_uint = 1;
pub const COAP_URI_SCHEME_COAPS_BIT: c_uint = 2;
pub const COAP_URI_SCHEME_COAP_TCP_BIT: c_uint = 4;
pub const COAP_URI_SCHEME_COAPS_TCP_BIT: c_uint = 8;
pub const COAP_URI_SCHEME_HTTP_BIT: c_uint = 16;
pub const COAP_URI_SCHEME_HTTPS_BIT: c_uint = 32;
pub const COAP_URI_SCHEME_COAP_WS_BIT: c_uint = 64;
pub const COAP_URI_SCHEME_COAPS_WS_BIT: c_uint = 128;
pub const COAP_URI_SCHEME_ALL_COAP_BITS: c_uint = 207;

// coap_pdu.h
pub const COAP_DEFAULT_PORT: u16 = 5683;
pub const COAPS_DEFAULT_PORT: u16 = 5684;
pub const COAP_DEFAULT_MAX_AGE: c_uint = 60;
pub const COAP_BERT_BASE: usize = 1152;
pub const COAP_TOKEN_DEFAULT_MAX: c_uint = 8;
pub const COAP_TOKEN_EXT_MAX: usize = 65804;
pub const COAP_OPTION_IF_MATCH: u16 = 1;
pub const COAP_OPTION_URI_HOST: u16 = 3;
pub const COAP_OPTION_ETAG: u16 = 4;
pub const COAP_OPTION_IF_NONE_MATCH: u16 = 5;
pub const COAP_OPTION_OBSERVE: u16 = 6;
pub const COAP_OPTION_URI_PORT: u16 = 7;
pub const COAP_OPTION_LOCATION_PATH: u16 = 8;
pub const COAP_OPTION_OSCORE: u16 = 9;
pub const COAP_OPTION_URI_PATH: u16 = 11;
pub const COAP_OPTION_CONTENT_FORMAT: u16 = 12;
pub const COAP_OPTION_CONTENT_TYPE: u16 = 12;
pub const COAP_OPTION_MAXAGE: u16 = 14;
pub const COAP_OPTION_URI_QUERY: u16 = 15;
pub const COAP_OPTION_HOP_LIMIT: u16 = 16;
pub const COAP_OPTION_ACCEPT: u16 = 17;
pub const COAP_OPTION_Q_BLOCK1: u16 = 19;
pub const COAP_OPTION_LOCATION_QUERY: u16 = 20;
pub const COAP_OPTION_BLOCK2: u16 = 23;
pub const COAP_OPTION_BLOCK1: u16 = 27;
pub const COAP_OPTION_SIZE2: u16 = 28;
pub const COAP_OPTION_Q_BLOCK2: u16 = 31;
pub const COAP_OPTION_PROXY_URI: u16 = 35;
pub const COAP_OPTION_PROXY_SCHEME: u16 = 39;
pub const COAP_OPTION_SIZE1: u16 = 60;
pub const COAP_OPTION_ECHO: u16 = 252;
pub const COAP_OPTION_NORESPONSE: u16 = 258;
pub const COAP_OPTION_RTAG: u16 = 292;
pub const COAP_MAX_OPT: u16 = 65535;
pub const COAP_ERROR_PHRASE_LENGTH: usize = 32;
pub const COAP_SIGNALING_OPTION_MAX_MESSAGE_SIZE: u16 = 2;
pub const COAP_SIGNALING_OPTION_BLOCK_WISE_TRANSFER: u16 = 4;
pub const COAP_SIGNALING_OPTION_EXTENDED_TOKEN_LENGTH: u16 = 6;
pub const COAP_SIGNALING_OPTION_CUSTODY: u16 = 2;
pub const COAP_SIGNALING_OPTION_ALTERNATIVE_ADDRESS: u16 = 2;
pub const COAP_SIGNALING_OPTION_HOLD_OFF: u16 = 4;
pub const COAP_SIGNALING_OPTION_BAD_CSM_OPTION: u16 = 2;
pub const COAP_MEDIATYPE_TEXT_PLAIN: c_uint = 0;
pub const COAP_MEDIATYPE_APPLICATION_LINK_FORMAT: c_uint = 40;
pub const COAP_MEDIATYPE_APPLICATION_XML: c_uint = 41;
pub const COAP_MEDIATYPE_APPLICATION_OCTET_STREAM: c_uint = 42;
pub const COAP_MEDIATYPE_APPLICATION_RDF_XML: c_uint = 43;
pub const COAP_MEDIATYPE_APPLICATION_EXI: c_uint = 47;
pub const COAP_MEDIATYPE_APPLICATION_JSON: c_uint = 50;
pub const COAP_MEDIATYPE_APPLICATION_CBOR: c_uint = 60;
pub const COAP_MEDIATYPE_APPLICATION_CWT: c_uint = 61;
pub const COAP_MEDIATYPE_APPLICATION_COAP_GROUP_JSON: c_uint = 256;
pub const COAP_MEDIATYPE_APPLICATION_COSE_SIGN: c_uint = 98;
pub const COAP_MEDIATYPE_APPLICATION_COSE_SIGN1: c_uint = 18;
pub const COAP_MEDIATYPE_APPLICATION_COSE_ENCRYPT: c_uint = 96;
pub const COAP_MEDIATYPE_APPLICATION_COSE_ENCRYPT0: c_uint = 16;
pub const COAP_MEDIATYPE_APPLICATION_COSE_MAC: c_uint = 97;
pub const COAP_MEDIATYPE_APPLICATION_COSE_MAC0: c_uint = 17;
pub const COAP_MEDIATYPE_APPLICATION_COSE_KEY: c_uint = 101;
pub const COAP_MEDIATYPE_APPLICATION_COSE_KEY_SET: c_uint = 102;
pub const COAP_MEDIATYPE_APPLICATION_SENML_JSON: c_uint = 110;
pub const COAP_MEDIATYPE_APPLICATION_SENSML_JSON: c_uint = 111;
pub const COAP_MEDIATYPE_APPLICATION_SENML_CBOR: c_uint = 112;
pub const COAP_MEDIATYPE_APPLICATION_SENSML_CBOR: c_uint = 113;
pub const COAP_MEDIATYPE_APPLICATION_SENML_EXI: c_uint = 114;
pub const COAP_MEDIATYPE_APPLICATION_SENSML_EXI: c_uint = 115;
pub const COAP_MEDIATYPE_APPLICATION_SENML_XML: c_uint = 310;
pub const COAP_MEDIATYPE_APPLICATION_SENSML_XML: c_uint = 311;
pub const COAP_MEDIATYPE_APPLICATION_DOTS_CBOR: c_uint = 271;
pub const COAP_MEDIATYPE_APPLICATION_ACE_CBOR: c_uint = 19;
pub const COAP_MEDIATYPE_APPLICATION_MB_CBOR_SEQ: c_uint = 272;
pub const COAP_MEDIATYPE_APPLICATION_OSCORE: c_uint = 10001;

// coap_address.h
pub const COAP_UNIX_PATH_MAX: usize = 26;

// coap_time.h
pub const COAP_TICKS_PER_SECOND: c_uint = 1000;

// coap_dtls.h
pub const COAP_DTLS_PKI_SETUP_VERSION: c_uint = 1;
pub const COAP_DTLS_CPSK_SETUP_VERSION: c_uint = 1;
pub const COAP_DTLS_SPSK_SETUP_VERSION: c_uint = 1;

// coap_session.h
pub const COAP_DEFAULT_MAX_RETRANSMIT: c_uint = 4;
pub const COAP_DEFAULT_NSTART: c_uint = 1;
pub const COAP_DEFAULT_PROBING_RATE: c_uint = 1;
pub const COAP_DEFAULT_MAX_PAYLOADS: c_uint = 10;
pub const COAP_DEFAULT_NON_MAX_RETRANSMIT: c_uint = 4;
pub const COAP_DEFAULT_MAX_LATENCY: c_uint = 100;

// coap_debug.h
pub const _COAP_LOG_EMERG: c_int = 0;
pub const _COAP_LOG_ALERT: c_int = 1;
pub const _COAP_LOG_CRIT: c_int = 2;
pub const _COAP_LOG_ERR: c_int = 3;
pub const _COAP_LOG_WARN: c_int = 4;
pub const _COAP_LOG_NOTICE: c_int = 5;
pub const _COAP_LOG_INFO: c_int = 6;
pub const _COAP_LOG_DEBUG: c_int = 7;
pub const _COAP_LOG_OSCORE: c_int = 8;

// coap_net.h
pub const COAP_IO_WAIT: c_uint = 0;

// coap_block.h
pub const COAP_BLOCK_USE_LIBCOAP: c_uint = 1;
pub const COAP_BLOCK_SINGLE_BODY: c_uint = 2;
pub const COAP_BLOCK_TRY_Q_BLOCK: c_uint = 4;
pub const COAP_BLOCK_USE_M_Q_BLOCK: c_uint = 8;
pub const COAP_BLOCK_NO_PREEMPTIVE_RTAG: c_uint = 16;

// coap_resource.h
pub const COAP_ATTR_FLAGS_RELEASE_NAME: c_uint = 1;
pub const COAP_ATTR_FLAGS_RELEASE_VALUE: c_uint = 2;
pub const COAP_RESOURCE_FLAGS_RELEASE_URI: c_uint = 1;
pub const COAP_RESOURCE_FLAGS_NOTIFY_NON: c_uint = 0;
pub const COAP_RESOURCE_FLAGS_NOTIFY_CON: c_uint = 2;
pub const COAP_RESOURCE_FLAGS_NOTIFY_NON_ALWAYS: c_uint = 4;
pub const COAP_RESOURCE_FLAGS_HAS_MCAST_SUPPORT: c_uint = 8;
pub const COAP_RESOURCE_FLAGS_LIB_DIS_MCAST_DELAYS: c_uint = 16;
pub const COAP_RESOURCE_FLAGS_LIB_ENA_MCAST_SUPPRESS_2_05: c_uint = 32;
pub const COAP_RESOURCE_FLAGS_LIB_ENA_MCAST_SUPPRESS_2_XX: c_uint = 64;
pub const COAP_RESOURCE_FLAGS_LIB_DIS_MCAST_SUPPRESS_4_XX: c_uint = 128;
pub const COAP_RESOURCE_FLAGS_LIB_DIS_MCAST_SUPPRESS_5_XX: c_uint = 256;
pub const COAP_RESOURCE_FLAGS_MCAST_LIST: c_uint = 504;
pub const COAP_RESOURCE_FLAGS_FORCE_SINGLE_BODY: c_uint = 512;
pub const COAP_RESOURCE_FLAGS_OSCORE_ONLY: c_uint = 1024;

// coap_subscribe.h
pub const COAP_OBSERVE_ESTABLISH: c_uint = 0;
pub const COAP_OBSERVE_CANCEL: c_uint = 1;
