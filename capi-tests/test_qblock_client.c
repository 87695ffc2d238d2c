/* Q-Block (RFC 9177) as a client application uses it: a client and a
 * server context in one process, COAP_BLOCK_TRY_Q_BLOCK on the client,
 * large bodies through coap_add_data_large_request() and
 * coap_add_data_large_response(). The probe's verdict is read from the
 * debug log; the bodies must arrive whole either way. */
#include "capi.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QB_MODE (COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY | COAP_BLOCK_TRY_Q_BLOCK)
#define BODY 20000

static uint16_t port;
static coap_context_t *server, *client;
static uint8_t *stored;
static size_t stored_len;
static int responses, last_code, put_calls, saw_yes, saw_no, fails;
static coap_binary_t *answer;

static void hnd_put(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  (void)r, (void)s, (void)q;
  put_calls++;
  capi_keep_body(req, &stored, &stored_len);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
}

static void hnd_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data_large_response(r, s, req, resp, q, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM, -1, 0, stored_len,
                               stored, NULL, NULL);
}

/* The probe asks for "/" with Q-Block2; a Q-Block server's answer carries
 * Q-Block2 when the body goes through coap_add_data_large_response(). */
static void hnd_index(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp) {
  static const char text[] = "Q-Block test server, more than sixteen bytes";
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data_large_response(r, s, req, resp, q, COAP_MEDIATYPE_TEXT_PLAIN, -1, 0, sizeof(text) - 1,
                               (const uint8_t *)text, NULL, NULL);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  const uint8_t *data;
  size_t len, offset, total;
  (void)s, (void)sent, (void)mid;
  last_code = coap_pdu_get_code(received);
  if (coap_get_data_large(received, &len, &data, &offset, &total))
    answer = coap_block_build_body(answer, len, data, offset, total);
  responses++;
  return COAP_RESPONSE_OK;
}

static int on_event(coap_session_t *s, coap_event_t ev) {
  (void)s;
  if (ev == COAP_EVENT_XMIT_BLOCK_FAIL)
    fails++;
  return 0;
}

static void on_log(coap_log_t level, const char *message) {
  (void)level;
  if (strstr(message, "Q-Block support available"))
    saw_yes++;
  else if (strstr(message, "Q-Block support not available"))
    saw_no++;
}

static int pump(int want) {
  for (int i = 0; i < 5000 && responses < want; i++) {
    coap_io_process(server, COAP_IO_NO_WAIT);
    coap_io_process(client, 2);
  }
  return responses >= want;
}


static int setup(void) {
  coap_address_t a;
  coap_resource_t *r;
  port = (uint16_t)(20000 + (getpid() + 41) % 20000);
  capi_loopback(&a, port);
  server = coap_new_context(&a);
  client = coap_new_context(NULL);
  if (!server || !client)
    return 1;
  r = coap_resource_init(coap_make_str_const("data"), 0);
  coap_register_request_handler(r, COAP_REQUEST_PUT, hnd_put);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_get);
  coap_add_resource(server, r);
  r = coap_resource_init(NULL, 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_index);
  coap_add_resource(server, r);
  coap_context_set_block_mode(client, QB_MODE);
  coap_register_response_handler(client, on_response);
  coap_register_event_handler(client, on_event);
  return 0;
}

static int teardown(void) {
  coap_free_context(client);
  coap_free_context(server);
  free(stored);
  stored = NULL;
  coap_delete_binary(answer);
  answer = NULL;
  return 0;
}

/* A PUT then a GET of BODY bytes on a fresh session of `type`; the server
 * context runs with `server_mode`. */
static void roundtrip(coap_pdu_type_t type, uint8_t server_mode) {
  coap_address_t a;
  uint8_t *body = malloc(BODY);
  for (size_t i = 0; i < BODY; i++)
    body[i] = (uint8_t)(i * 13 + i / 253);
  capi_loopback(&a, port);
  coap_context_set_block_mode(server, server_mode);
  coap_session_t *session = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  responses = last_code = put_calls = saw_yes = saw_no = fails = 0;
  coap_set_log_handler(on_log);
  coap_set_log_level(COAP_LOG_DEBUG);

  coap_pdu_t *pdu = capi_request(session, type, COAP_REQUEST_CODE_PUT, "data");
  CU_ASSERT(coap_add_data_large_request(session, pdu, BODY, body, NULL, NULL));
  CU_ASSERT(coap_send(session, pdu) != COAP_INVALID_MID);
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT_EQUAL(put_calls, 1);
  CU_ASSERT(stored_len == BODY && memcmp(stored, body, BODY) == 0);

  coap_delete_binary(answer);
  answer = NULL;
  CU_ASSERT(coap_send(session, capi_request(session, type, COAP_REQUEST_CODE_GET, "data")) != COAP_INVALID_MID);
  CU_ASSERT(pump(2));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
  CU_ASSERT(answer->length == BODY && memcmp(answer->s, body, BODY) == 0);
  CU_ASSERT_EQUAL(fails, 0);

  coap_set_log_level(COAP_LOG_WARN);
  coap_set_log_handler(NULL);
  coap_session_release(session);
  free(body);
}

static void test_non_both_sides(void) {
  roundtrip(COAP_MESSAGE_NON, QB_MODE);
  CU_ASSERT_EQUAL(saw_yes, 1); /* one probe per session */
  CU_ASSERT_EQUAL(saw_no, 0);
}

static void test_con_both_sides(void) {
  roundtrip(COAP_MESSAGE_CON, QB_MODE);
  CU_ASSERT_EQUAL(saw_yes, 1);
}

static void test_falls_back_to_block(void) {
  /* A server without Q-Block answers the probe with 4.02: Block1/Block2. */
  roundtrip(COAP_MESSAGE_NON, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  CU_ASSERT_EQUAL(saw_no, 1);
  CU_ASSERT_EQUAL(saw_yes, 0);
  roundtrip(COAP_MESSAGE_CON, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  CU_ASSERT_EQUAL(saw_no, 1);
}

static void test_supported(void) {
  CU_ASSERT_EQUAL(coap_q_block_is_supported(), 1);
}

void register_qblock_client(void) {
  static const capi_test_t tests[] = {
      {"coap_q_block_is_supported", test_supported},
      {"NON PUT+GET, both sides Q-Block", test_non_both_sides},
      {"CON PUT+GET, both sides Q-Block", test_con_both_sides},
      {"falls back to Block1/Block2 at a server without Q-Block", test_falls_back_to_block},
      {NULL, NULL},
  };
  CU_pSuite suite = CU_add_suite("qblock_client", setup, teardown);
  for (const capi_test_t *t = tests; suite && t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
