/* coap_new_error_response, coap_send_error and coap_register_option (the
 * 4.02 path), plus the small net.h/mem.h/debug.h leftovers:
 * coap_context_get_csm_max_message_size, coap_memory_init and
 * coap_debug_send_packet. Expected values come from Debian's 4.3.1. */
#include "capi.h"
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

static coap_context_t *server, *client;
static coap_session_t *session;
static int responses, last_code;
static char last_body[64];

static void hnd_hello(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
}

static coap_mid_t sent_error_mid;
static void hnd_err(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  coap_opt_filter_t f;
  (void)r, (void)q, (void)resp; /* resp stays 0.00: nothing more goes out for a NON */
  coap_option_filter_clear(&f);
  coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
  sent_error_mid = coap_send_error(s, req, COAP_RESPONSE_CODE(403), &f);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  responses++;
  last_code = coap_pdu_get_code(received);
  capi_copy_body(received, last_body, sizeof(last_body));
  return COAP_RESPONSE_OK;
}

static int pump(int want) {
  for (int i = 0; i < 300 && responses < want; i++) {
    coap_io_process(server, 5);
    coap_io_process(client, 5);
  }
  return responses >= want;
}

static int setup(void) {
  coap_address_t a;
  coap_resource_t *r;
  uint16_t port = (uint16_t)(20000 + (getpid() + 7) % 20000);
  capi_loopback(&a, port);
  server = coap_new_context(&a);
  client = coap_new_context(NULL);
  if (!server || !client)
    return 1;
  r = coap_resource_init(coap_make_str_const("hello"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_hello);
  coap_add_resource(server, r);
  r = coap_resource_init(coap_make_str_const("err"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_err);
  coap_add_resource(server, r);
  coap_register_response_handler(client, on_response);
  session = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  return session ? 0 : 1;
}

static int teardown(void) {
  capi_free_client_server(session, client, server);
  return 0;
}

static coap_pdu_t *request(void) {
  coap_pdu_t *req = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 0x1234, 200);
  coap_add_token(req, 3, (const uint8_t *)"tok");
  coap_add_option(req, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"abc");
  coap_add_option(req, COAP_OPTION_CONTENT_FORMAT, 1, (const uint8_t *)"\x00");
  coap_add_option(req, 2049, 2, (const uint8_t *)"zz");
  coap_add_data(req, 3, (const uint8_t *)"xyz");
  return req;
}

static int option_count(const coap_pdu_t *p) {
  coap_opt_iterator_t oi;
  int n = 0;
  coap_option_iterator_init(p, &oi, COAP_OPT_ALL);
  while (coap_option_next(&oi))
    n++;
  return n;
}

static void test_new_error_response(void) {
  coap_pdu_t *req = request(), *r;
  coap_opt_filter_t f;
  coap_bin_const_t tok;
  const uint8_t *d;
  size_t len;
  coap_option_filter_clear(&f);
  r = coap_new_error_response(req, COAP_RESPONSE_CODE(404), &f);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(coap_pdu_get_type(r), COAP_MESSAGE_ACK);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(r), 0x1234);
  tok = coap_pdu_get_token(r);
  CU_ASSERT(tok.length == 3 && memcmp(tok.s, "tok", 3) == 0);
  CU_ASSERT_EQUAL(option_count(r), 0);
  CU_ASSERT(coap_get_data(r, &len, &d) && len == 9 && memcmp(d, "Not Found", 9) == 0);
  coap_delete_pdu(r);
  /* Filtered options are copied, but never Content-Format, which is also
   * taken out of the caller's filter. */
  coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
  coap_option_filter_set(&f, COAP_OPTION_CONTENT_FORMAT);
  coap_option_filter_set(&f, 2049);
  r = coap_new_error_response(req, COAP_RESPONSE_CODE(402), &f);
  CU_ASSERT_EQUAL(option_count(r), 2);
  CU_ASSERT_PTR_NULL(coap_check_option(r, COAP_OPTION_CONTENT_FORMAT, &(coap_opt_iterator_t){0}));
  CU_ASSERT(coap_get_data(r, &len, &d) && len == 10 && memcmp(d, "Bad Option", 10) == 0);
  CU_ASSERT_FALSE(coap_option_filter_get(&f, COAP_OPTION_CONTENT_FORMAT));
  CU_ASSERT_TRUE(coap_option_filter_get(&f, 2049));
  coap_delete_pdu(r);
  /* 5.08: no phrase, room for the proxy's address (46 bytes). */
  r = coap_new_error_response(req, COAP_RESPONSE_CODE(508), &f);
  CU_ASSERT_FALSE(coap_get_data(r, &len, &d));
  CU_ASSERT_EQUAL(coap_add_data(r, 45, (const uint8_t *)"0123456789012345678901234567890123456789012345"), 1);
  coap_delete_pdu(r);
  /* A code without a phrase: no payload. A NON request: NON response. */
  r = coap_new_error_response(req, COAP_RESPONSE_CODE(499), &f);
  CU_ASSERT_FALSE(coap_get_data(r, &len, &d));
  /* Sized to fit exactly, as libcoap's: nothing more goes in. */
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_add_option(r, 65000, 0, NULL), 0);
  CU_ASSERT(capi_log_contains("too big"));
  capi_log_capture_stop();
  coap_delete_pdu(r);
  coap_pdu_set_type(req, COAP_MESSAGE_NON);
  r = coap_new_error_response(req, COAP_RESPONSE_CODE(500), &f);
  CU_ASSERT_EQUAL(coap_pdu_get_type(r), COAP_MESSAGE_NON);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(r), 0x1234);
  coap_delete_pdu(r);
  /* A NULL filter copies nothing (libcoap 4.3.1 crashes). */
  r = coap_new_error_response(req, COAP_RESPONSE_CODE(400), NULL);
  CU_ASSERT_PTR_NOT_NULL(r);
  CU_ASSERT_EQUAL(option_count(r), 0);
  coap_delete_pdu(r);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_new_error_response(NULL, COAP_RESPONSE_CODE(404), &f));
  CU_ASSERT_PTR_NULL(coap_new_error_response(req, (coap_pdu_code_t)256, &f));
  CU_ASSERT(capi_log_contains("invalid code"));
  coap_delete_pdu(req);
  CU_ASSERT_PTR_NULL(coap_new_error_response(req, COAP_RESPONSE_CODE(404), &f)); /* deleted */
  CU_ASSERT(capi_log_contains("not a live coap_pdu_t"));
  CU_ASSERT_EQUAL(coap_send_error(NULL, req, COAP_RESPONSE_CODE(404), &f), COAP_INVALID_MID);
  capi_log_capture_stop();
}

static void test_send_error(void) {
  coap_pdu_t *req = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, session);
  coap_add_token(req, 2, (const uint8_t *)"e1");
  coap_add_option(req, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"err");
  responses = 0;
  sent_error_mid = COAP_INVALID_MID;
  CU_ASSERT(coap_send(session, req) != COAP_INVALID_MID);
  CU_ASSERT_FATAL(pump(1));
  CU_ASSERT(sent_error_mid != COAP_INVALID_MID);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE(403));
  CU_ASSERT_STRING_EQUAL(last_body, "Forbidden");
}

/* A critical option the library does not know fails the request with
 * 4.02 until the application registers it. */
static void test_register_option(void) {
  /* The 4.02 echoes the option: the client knows it, or it would reject
   * that answer as libcoap's client does. */
  coap_register_option(client, 2049);
  coap_pdu_t *req = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
  coap_add_token(req, 2, (const uint8_t *)"r1");
  coap_add_option(req, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello");
  coap_add_option(req, 2049, 1, (const uint8_t *)"x");
  responses = 0;
  coap_send(session, req);
  CU_ASSERT_FATAL(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE(402));
  coap_register_option(server, 2049);
  coap_register_option(server, 2049); /* twice is fine */
  capi_log_capture_start();
  coap_register_option(NULL, 2049); /* refused */
  CU_ASSERT(capi_log_contains("ctx is NULL"));
  capi_log_capture_stop();
  req = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
  coap_add_token(req, 2, (const uint8_t *)"r2");
  coap_add_option(req, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello");
  coap_add_option(req, 2049, 1, (const uint8_t *)"x");
  responses = 0;
  coap_send(session, req);
  CU_ASSERT_FATAL(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
}

static void test_csm_max_message_size(void) {
  coap_context_t *c = coap_new_context(NULL);
  CU_ASSERT_EQUAL(coap_context_get_csm_max_message_size(c), 8 * 1024 * 1024 + 256);
  coap_context_set_csm_max_message_size(c, 1000);
  CU_ASSERT_EQUAL(coap_context_get_csm_max_message_size(c), 1000);
  capi_log_capture_start();
  coap_context_set_csm_max_message_size(c, 10); /* libcoap asserts; refused */
  CU_ASSERT(capi_log_contains("minimum of 64"));
  CU_ASSERT_EQUAL(coap_context_get_csm_max_message_size(c), 1000);
  CU_ASSERT_EQUAL(coap_context_get_csm_max_message_size(NULL), 0);
  capi_log_capture_stop();
  coap_free_context(c);
}

static void test_memory_init_and_send_packet(void) {
  coap_memory_init();
  coap_memory_init();
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 1);
  CU_ASSERT_EQUAL(coap_debug_set_packet_loss("2,4"), 1);
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 1);
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 0);
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 1);
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 0);
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 1);
  coap_debug_set_packet_loss("100%");
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 0);
  coap_debug_set_packet_loss("0%");
  CU_ASSERT_EQUAL(coap_debug_send_packet(), 1);
}

void register_error_response(void) {
  static const capi_test_t tests[] = {
      {"coap_new_error_response", test_new_error_response},
      {"coap_send_error from a handler", test_send_error},
      {"coap_register_option stops 4.02", test_register_option},
      {"csm max message size", test_csm_max_message_size},
      {"coap_memory_init, coap_debug_send_packet", test_memory_init_and_send_packet},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite("error_response", setup, teardown);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
