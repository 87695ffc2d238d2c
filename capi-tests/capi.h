/* Shared helpers of the C API test suite (CUnit). Each test_*.c file
 * defines one register_*() that adds its suite. */
#ifndef CAPI_H
#define CAPI_H

#include <coap3/coap.h>
#include <CUnit/CUnit.h>

void register_logging(void);
void register_tls_library(void);
void register_time_prng(void);
void register_string(void);
void register_encode(void);
void register_address(void);
void register_mem(void);
void register_pdu(void);
void register_session(void);
void register_uri(void);
void register_block(void);
void register_block_large(void);
void register_qblock_server(void);
void register_qblock_client(void);
void register_show_pdu(void);
void register_observe(void);
void register_resource(void);
void register_cache(void);
void register_resolve(void);
void register_error_response(void);
void register_dtls(void);
void register_persist(void);
void register_mcast(void);
void register_io(void);
void register_wellknown(void);
/* Needs multicast routing: run as `capi-tests mcast` (capi-tests/mcast-netns.sh). */
void register_mcast_wire(void);

/* Adds a suite with the given tests; NULL-terminated list of name/function
 * pairs. Aborts the run when CUnit cannot register (out of memory). */
typedef struct {
  const char *name;
  CU_TestFunc fn;
} capi_test_t;
void capi_add_suite(const char *name, const capi_test_t *tests);

/* A client PSK set-up with this identity and key, nothing else set. */
void capi_cpsk(coap_dtls_cpsk_t *setup, const char *identity, const char *key);
/* 127.0.0.1:port as a coap_address_t. */
void capi_loopback(coap_address_t *a, uint16_t port);
/* A PDU's payload as a NUL-terminated string in `out` ("" when there is
 * none or it does not fit). */
void capi_copy_body(const coap_pdu_t *pdu, char *out, size_t size);

/* A request of `type` and `code` for the one-segment `path`, with a fresh
 * token from the session. */
coap_pdu_t *capi_request(coap_session_t *session, coap_pdu_type_t type, coap_pdu_code_t code, const char *path);

/* A suite's teardown: releases its client session, then frees the
 * client and server contexts (each may be NULL). */
void capi_free_client_server(coap_session_t *session, coap_context_t *client, coap_context_t *server);

/* Replaces *stored (malloc'ed, freed here) with a copy of pdu's payload. */
void capi_keep_body(const coap_pdu_t *pdu, uint8_t **stored, size_t *stored_len);

/* Log capture: installs a handler that records the last message. */
extern int capi_log_calls;
extern coap_log_t capi_log_level;
extern char capi_log_text[2048];
void capi_log_capture_start(void);
void capi_log_capture_stop(void);
int capi_log_contains(const char *needle);

#endif
