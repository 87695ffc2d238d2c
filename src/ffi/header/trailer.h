
/* ---- Declared in C: the variadic logger (src/ffi/log_shim.c). ---- */
#ifdef __cplusplus
extern "C" {
#endif
void coap_log_impl(coap_log_t level, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
#ifdef __cplusplus
}
#endif

/* ---- Values that need C spelling. ---- */
#define COAP_INVALID_MID -1
#define COAP_INVALID_TID COAP_INVALID_MID
#define COAP_IO_NO_WAIT ((uint32_t)-1)
#define COAP_SOCKET_ERROR (-1)
#define COAP_INVALID_SOCKET (-1)
#define COAP_PRINT_STATUS_MASK 0xF0000000u
#define COAP_PRINT_STATUS_ERROR 0x80000000u
#define COAP_PRINT_STATUS_TRUNC 0x40000000u
#define COAP_PRINT_OUTPUT_LENGTH(v) ((v) & ~COAP_PRINT_STATUS_MASK)

/* syslog(3) names, for programs written against older libcoap. They name
 * the enumerators, as in libcoap, so C++ can pass them as coap_log_t. */
#ifndef LOG_EMERG
#define LOG_EMERG COAP_LOG_EMERG
#endif
#ifndef LOG_ALERT
#define LOG_ALERT COAP_LOG_ALERT
#endif
#ifndef LOG_CRIT
#define LOG_CRIT COAP_LOG_CRIT
#endif
#ifndef LOG_ERR
#define LOG_ERR COAP_LOG_ERR
#endif
#ifndef LOG_WARNING
#define LOG_WARNING COAP_LOG_WARN
#endif
#ifndef LOG_NOTICE
#define LOG_NOTICE COAP_LOG_NOTICE
#endif
#ifndef LOG_INFO
#define LOG_INFO COAP_LOG_INFO
#endif
#ifndef LOG_DEBUG
#define LOG_DEBUG COAP_LOG_DEBUG
#endif
#define COAP_LOG_CIPHERS COAP_LOG_DTLS_BASE

/* ---- Function-like and string macros. ---- */
#define COAP_DEFAULT_SCHEME "coap"
#define COAP_DEFAULT_URI_WELLKNOWN ".well-known/core"
#define COAP_DTLS_RPK_CERT_CN "RPK"

#define COAP_RESPONSE_CODE(N) (((N) / 100 << 5) | (N) % 100)
#define COAP_RESPONSE_CLASS(C) (((C) >> 5) & 0xFF)
#define COAP_SIGNALING_CODE(N) (((N) / 100 << 5) | (N) % 100)

#define COAP_PROTO_NOT_RELIABLE(p) ((p) == COAP_PROTO_UDP || (p) == COAP_PROTO_DTLS)
#define COAP_PROTO_RELIABLE(p) \
  ((p) == COAP_PROTO_TCP || (p) == COAP_PROTO_TLS || (p) == COAP_PROTO_WS || (p) == COAP_PROTO_WSS)

#define COAP_DEFAULT_ACK_TIMEOUT ((coap_fixed_point_t){2, 0})
#define COAP_DEFAULT_ACK_RANDOM_FACTOR ((coap_fixed_point_t){1, 500})
#define COAP_DEFAULT_DEFAULT_LEISURE ((coap_fixed_point_t){5, 0})
#define COAP_DEFAULT_NON_TIMEOUT ((coap_fixed_point_t){2, 0})
#define COAP_DEFAULT_NON_RECEIVE_TIMEOUT ((coap_fixed_point_t){4, 0})

#define PCHAR(p) ((coap_opt_t *)(p))
#define COAP_OPT_ALL NULL

#define COAP_SET_STR(st, l, v) { (st)->length = (l), (st)->s = (v); }
#define coap_string_equal(string1, string2) \
  ((string1)->length == (string2)->length && \
   ((string1)->length == 0 || \
    ((string1)->s && (string2)->s && memcmp((string1)->s, (string2)->s, (string1)->length) == 0)))
#define coap_binary_equal(binary1, binary2) coap_string_equal(binary1, binary2)

#define COAP_OPTION_KEY(option) (option).key
#define COAP_OPTION_LENGTH(option) (option).length
#define COAP_OPTION_DATA(option) ((unsigned char *)&(option) + sizeof(coap_option))

#define COAP_OPT_BLOCK_LAST(opt) \
  (coap_opt_length(opt) ? (coap_opt_value(opt) + (coap_opt_length(opt) - 1)) : 0)
#define COAP_OPT_BLOCK_END_BYTE(opt) \
  ((coap_opt_length(opt) && coap_opt_value(opt)) ? *(coap_opt_value(opt) + (coap_opt_length(opt) - 1)) : 0)
#define COAP_OPT_BLOCK_MORE(opt) (COAP_OPT_BLOCK_END_BYTE(opt) & 0x08)
#define COAP_OPT_BLOCK_SZX(opt) (COAP_OPT_BLOCK_END_BYTE(opt) & 0x07)

#define coap_closesocket close

#ifndef COAP_DEBUG_FD
#define COAP_DEBUG_FD stdout
#endif
#ifndef COAP_ERR_FD
#define COAP_ERR_FD stderr
#endif

/* A program may bring its own coap_log; COAP_MAX_LOGGING_LEVEL set before
 * the include compiles the coap_log_*() calls above it away. */
#ifndef coap_log
#define coap_log(level, ...) \
  do { \
    if ((int)(level) <= (int)coap_get_log_level()) \
      coap_log_impl((level), __VA_ARGS__); \
  } while (0)
#endif
#ifndef coap_dtls_log
#define coap_dtls_log(level, ...) \
  do { \
    if ((int)(level) <= (int)coap_dtls_get_log_level()) \
      coap_log_impl((level), __VA_ARGS__); \
  } while (0)
#endif
#define coap_log_emerg(...) coap_log(COAP_LOG_EMERG, __VA_ARGS__)
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_ALERT
#define coap_log_alert(...) coap_log(COAP_LOG_ALERT, __VA_ARGS__)
#else
#define coap_log_alert(...) coap_no_log()
#endif
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_CRIT
#define coap_log_crit(...) coap_log(COAP_LOG_CRIT, __VA_ARGS__)
#else
#define coap_log_crit(...) coap_no_log()
#endif
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_ERR
#define coap_log_err(...) coap_log(COAP_LOG_ERR, __VA_ARGS__)
#else
#define coap_log_err(...) coap_no_log()
#endif
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_WARN
#define coap_log_warn(...) coap_log(COAP_LOG_WARN, __VA_ARGS__)
#else
#define coap_log_warn(...) coap_no_log()
#endif
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_NOTICE
#define coap_log_notice(...) coap_log(COAP_LOG_NOTICE, __VA_ARGS__)
#else
#define coap_log_notice(...) coap_no_log()
#endif
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_INFO
#define coap_log_info(...) coap_log(COAP_LOG_INFO, __VA_ARGS__)
#else
#define coap_log_info(...) coap_no_log()
#endif
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_DEBUG
#define coap_log_debug(...) coap_log(COAP_LOG_DEBUG, __VA_ARGS__)
#else
#define coap_log_debug(...) coap_no_log()
#endif
#if COAP_MAX_LOGGING_LEVEL >= _COAP_LOG_OSCORE
#define coap_log_oscore(...) coap_log(COAP_LOG_OSCORE, __VA_ARGS__)
#else
#define coap_log_oscore(...) coap_no_log()
#endif

#define coap_send_large(session, pdu) coap_send(session, pdu)
#define coap_join_mcast_group(ctx, groupname) (coap_join_mcast_group_intf(ctx, groupname, NULL))

/* Removed from libcoap long ago; using them is a compile error on purpose. */
#define COAP_RUN_NONBLOCK COAP_RUN_NONBLOCK_deprecated_use_COAP_IO_NO_WAIT
#define COAP_RUN_BLOCK COAP_RUN_BLOCK_deprecated_use_COAP_IO_WAIT

/* ---- Static inline helpers. ---- */
#ifdef __cplusplus
extern "C" {
#endif

static inline void coap_no_log(void) {}

static inline int coap_time_lt(coap_tick_t a, coap_tick_t b) {
  return ((coap_tick_diff_t)(a - b)) < 0;
}

static inline int coap_time_le(coap_tick_t a, coap_tick_t b) {
  return a == b || coap_time_lt(a, b);
}

static inline void *coap_malloc(size_t size) {
  return coap_malloc_type(COAP_STRING, size);
}

static inline void coap_free(void *object) {
  coap_free_type(COAP_STRING, object);
}

COAP_DEPRECATED static inline int coap_encode_var_bytes(uint8_t *buf, unsigned int value) {
  return (int)coap_encode_var_safe(buf, sizeof(value), value);
}

static inline int coap_more_blocks(size_t data_len, unsigned int num, uint16_t szx) {
  return ((num + 1) << (szx + 4)) < data_len;
}

static inline int coap_uri_scheme_is_secure(const coap_uri_t *uri) {
  return uri && ((uri->scheme & COAP_URI_SCHEME_SECURE_MASK) != 0);
}

/* Unlike libcoap's, this one needs no unexported helper, so it links. */
static inline int coap_address_isany(const coap_address_t *a) {
  if (!a)
    return 0;
  switch (a->addr.sa.sa_family) {
  case AF_INET:
    return a->addr.sin.sin_addr.s_addr == htonl(INADDR_ANY);
  case AF_INET6:
    return IN6_IS_ADDR_UNSPECIFIED(&a->addr.sin6.sin6_addr);
  default:
    return 0;
  }
}

COAP_DEPRECATED static inline int coap_option_setb(coap_opt_filter_t *filter, uint16_t type) {
  return coap_option_filter_set(filter, type) ? 1 : -1;
}

COAP_DEPRECATED static inline int coap_option_clrb(coap_opt_filter_t *filter, uint16_t type) {
  return coap_option_filter_unset(filter, type) ? 1 : -1;
}

COAP_DEPRECATED static inline int coap_option_getb(coap_opt_filter_t *filter, uint16_t type) {
  return coap_option_filter_get(filter, type);
}

static inline coap_mid_t coap_send_rst(coap_session_t *session, const coap_pdu_t *request) {
  return coap_send_message_type(session, request, COAP_MESSAGE_RST);
}

COAP_DEPRECATED static inline int coap_run_once(coap_context_t *ctx, uint32_t timeout_ms) {
  return coap_io_process(ctx, timeout_ms);
}

COAP_DEPRECATED static inline unsigned int coap_write(coap_context_t *ctx, coap_socket_t *sockets[],
                                                     unsigned int max_sockets,
                                                     unsigned int *num_sockets, coap_tick_t now) {
  return coap_io_prepare_io(ctx, sockets, max_sockets, num_sockets, now);
}

COAP_DEPRECATED static inline void coap_read(coap_context_t *ctx, coap_tick_t now) {
  coap_io_do_io(ctx, now);
}

#ifdef __cplusplus
}
#endif
