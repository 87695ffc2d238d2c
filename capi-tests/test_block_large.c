/* Block-wise transfers the library runs (coap_block(3)): large requests and
 * responses between a client and a server context in one process, the
 * per-block mode with coap_block_build_body(), loss, and the bad inputs a
 * server must survive (sizes beyond its limit, gaps, odd block numbers). */
#include "capi.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t port;
static coap_context_t *server, *client;
static coap_session_t *session;

static uint8_t *stored;
static size_t stored_len;
static int put_calls, get_calls, releases, large_ok;
static size_t put_offset, put_total;
static coap_binary_t *pieces; /* per-block mode: the body being rebuilt */

static int responses, last_code;
static size_t last_offset;
static coap_binary_t *answer;

static void on_release(coap_session_t *s, void *app) {
  (void)s;
  releases++;
  free(app);
}

static void hnd_put(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  const uint8_t *data;
  size_t len, offset, total;
  (void)r, (void)s, (void)q;
  put_calls++;
  if (!coap_get_data_large(req, &len, &data, &offset, &total)) {
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_BAD_REQUEST);
    return;
  }
  put_offset = offset;
  put_total = total;
  if (offset + len < total) { /* per-block mode: more to come */
    pieces = coap_block_build_body(pieces, len, data, offset, total);
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTINUE);
    return;
  }
  if (pieces) {
    pieces = coap_block_build_body(pieces, len, data, offset, total);
    data = pieces->s;
    len = pieces->length;
  }
  free(stored);
  stored = malloc(len ? len : 1);
  memcpy(stored, data, len);
  stored_len = len;
  coap_delete_binary(pieces);
  pieces = NULL;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
}

static void hnd_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  uint8_t *copy = malloc(stored_len ? stored_len : 1);
  get_calls++;
  memcpy(copy, stored, stored_len);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  large_ok = coap_add_data_large_response(r, s, req, resp, q, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM, 30, 0,
                                         stored_len, copy, on_release, copy);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  const uint8_t *data;
  size_t len, offset, total;
  (void)s, (void)sent, (void)mid;
  last_code = coap_pdu_get_code(received);
  if (coap_get_data_large(received, &len, &data, &offset, &total)) {
    answer = coap_block_build_body(answer, len, data, offset, total);
    last_offset = offset;
  }
  if (!coap_get_data_large(received, &len, &data, &offset, &total) || offset + len == total)
    responses++;
  return COAP_RESPONSE_OK;
}

static int pump_limit = 3000;
static int pump(int want) {
  for (int i = 0; i < pump_limit && responses < want; i++) {
    coap_io_process(server, COAP_IO_NO_WAIT);
    coap_io_process(client, 2);
  }
  return responses >= want;
}

static uint8_t *pattern(size_t len) {
  uint8_t *b = malloc(len);
  for (size_t i = 0; i < len; i++)
    b[i] = (uint8_t)(i * 7 + i / 251);
  return b;
}

static coap_pdu_t *request(coap_pdu_code_t code) { return capi_request(session, COAP_MESSAGE_CON, code, "data"); }

static int setup(void) {
  coap_address_t a;
  coap_resource_t *r;
  port = (uint16_t)(20000 + (getpid() + 13) % 20000);
  capi_loopback(&a, port);
  server = coap_new_context(&a);
  client = coap_new_context(NULL);
  if (!server || !client)
    return 1;
  r = coap_resource_init(coap_make_str_const("data"), 0);
  coap_register_request_handler(r, COAP_REQUEST_PUT, hnd_put);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_get);
  coap_add_resource(server, r);
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_context_set_block_mode(client, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_register_response_handler(client, on_response);
  session = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  return session ? 0 : 1;
}

static int teardown(void) {
  capi_free_client_server(session, client, server);
  free(stored);
  stored = NULL;
  coap_delete_binary(answer);
  answer = NULL;
  return 0;
}

static void reset_counts(void) {
  responses = last_code = put_calls = get_calls = releases = 0;
  coap_delete_binary(answer);
  answer = NULL;
}

/* PUT then GET of `len` bytes; the handlers each run once (the PUT
 * handler once per block in per-block mode). */
static int per_block;
static void roundtrip(size_t len) {
  uint8_t *body = pattern(len);
  reset_counts();
  coap_pdu_t *pdu = request(COAP_REQUEST_CODE_PUT);
  uint8_t *copy = malloc(len);
  memcpy(copy, body, len);
  CU_ASSERT(coap_add_data_large_request(session, pdu, len, copy, on_release, copy));
  CU_ASSERT(coap_send(session, pdu) != COAP_INVALID_MID);
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT(per_block ? put_calls > 1 : put_calls == 1);
  CU_ASSERT(per_block ? put_offset > 0 : put_offset == 0);
  CU_ASSERT_EQUAL(put_total, len);
  CU_ASSERT(stored_len == len && memcmp(stored, body, len) == 0);

  coap_delete_binary(answer);
  answer = NULL;
  CU_ASSERT(coap_send(session, request(COAP_REQUEST_CODE_GET)) != COAP_INVALID_MID);
  CU_ASSERT(pump(2));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_EQUAL(get_calls, 1);
  CU_ASSERT(large_ok);
  CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
  CU_ASSERT(answer->length == len && memcmp(answer->s, body, len) == 0);
  CU_ASSERT_EQUAL(releases, 2); /* once per large call, data copied */
  free(body);
}

static void test_small_and_large_bodies(void) {
  roundtrip(10);
  roundtrip(1024);
  roundtrip(100000);
}

static void test_per_block_mode(void) {
  /* Neither side asks for single bodies: handlers see each block with its
   * offset and put the body together with coap_block_build_body(). */
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP);
  coap_context_set_block_mode(client, COAP_BLOCK_USE_LIBCOAP);
  per_block = 1;
  roundtrip(5000);
  per_block = 0;
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  coap_context_set_block_mode(client, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
}

static int fresh_calls;
static void hnd_fresh(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp) {
  coap_opt_iterator_t it;
  (void)r, (void)s, (void)q;
  fresh_calls++;
  if (!coap_check_option(req, COAP_OPTION_ECHO, &it)) {
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE(401));
    coap_add_option(resp, COAP_OPTION_ECHO, 4, (const uint8_t *)"\x01\x02\x03\x04");
    return;
  }
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
}

/* coap_pdu_setup(3), RFC 9175: under COAP_BLOCK_USE_LIBCOAP a 4.01 with
 * Echo makes the library send the request again with that Echo; the
 * application sees only the answer to the retry. */
static void test_echo_reflected(void) {
  coap_resource_t *r = coap_resource_init(coap_make_str_const("fresh"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_fresh);
  coap_add_resource(server, r);
  reset_counts();
  fresh_calls = 0;
  CU_ASSERT(coap_send(session, capi_request(session, COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "fresh")) != COAP_INVALID_MID);
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_EQUAL(responses, 1);
  CU_ASSERT_EQUAL(fresh_calls, 2);
  coap_delete_resource(server, r);
}

/* coap_block(3): a Block2 block the application asks for itself (random
 * access) comes back alone, and coap_get_data_large() says where it starts. */
static void test_block2_random_access_offset(void) {
  roundtrip(3000);
  reset_counts();
  last_offset = 0;
  coap_pdu_t *pdu = request(COAP_REQUEST_CODE_GET);
  uint8_t b = (1 << 4) | 2; /* block 1 of 64 bytes */
  coap_add_option(pdu, COAP_OPTION_BLOCK2, 1, &b);
  CU_ASSERT(coap_send(session, pdu) != COAP_INVALID_MID);
  for (int i = 0; i < 300 && last_code == 0; i++) {
    coap_io_process(server, COAP_IO_NO_WAIT);
    coap_io_process(client, 2);
  }
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_EQUAL(last_offset, 64);
}

/* coap_resource(3): COAP_RESOURCE_FLAGS_FORCE_SINGLE_BODY gives that
 * resource's handler whole bodies even when the context asks for blocks. */
static void test_force_single_body_resource(void) {
  coap_resource_t *r = coap_resource_init(coap_make_str_const("whole"), COAP_RESOURCE_FLAGS_FORCE_SINGLE_BODY);
  coap_register_request_handler(r, COAP_REQUEST_PUT, hnd_put);
  coap_add_resource(server, r);
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP);
  uint8_t *body = pattern(5000);
  reset_counts();
  coap_pdu_t *pdu = capi_request(session, COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, "whole");
  CU_ASSERT(coap_add_data_large_request(session, pdu, 5000, body, NULL, NULL));
  CU_ASSERT(coap_send(session, pdu) != COAP_INVALID_MID);
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT_EQUAL(put_calls, 1);
  CU_ASSERT_EQUAL(put_offset, 0);
  CU_ASSERT(stored_len == 5000 && memcmp(stored, body, 5000) == 0);
  free(body);
  coap_delete_resource(server, r);
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
}

static void test_megabyte_under_loss(void) {
  /* 1 MB PUT with a quarter of all datagrams lost (the setting is
   * process-wide: requests and responses both suffer), then read back
   * without loss. Short timeouts keep it to seconds; RFC 7252's doubling
   * back-off still applies. */
  const size_t len = 1 << 20;
  uint8_t *body = pattern(len), *copy = malloc(len);
  coap_fixed_point_t quick = {0, 4};
  coap_pdu_t *pdu;
  reset_counts();
  coap_session_set_ack_timeout(session, quick);
  coap_session_set_max_retransmit(session, 30);
  memcpy(copy, body, len);
  coap_debug_set_packet_loss("25%");
  pdu = request(COAP_REQUEST_CODE_PUT);
  CU_ASSERT(coap_add_data_large_request(session, pdu, len, copy, on_release, copy));
  CU_ASSERT(coap_send(session, pdu) != COAP_INVALID_MID);
  pump_limit = 60000;
  CU_ASSERT(pump(1));
  pump_limit = 3000;
  coap_debug_set_packet_loss("0%");
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT_EQUAL(put_calls, 1);
  CU_ASSERT(stored_len == len && memcmp(stored, body, len) == 0);
  coap_delete_binary(answer);
  answer = NULL;
  CU_ASSERT(coap_send(session, request(COAP_REQUEST_CODE_GET)) != COAP_INVALID_MID);
  CU_ASSERT(pump(2));
  CU_ASSERT(answer && answer->length == len && memcmp(answer->s, body, len) == 0);
  free(body);
}

/* A hand-made Block1 request; the client context sends it as is. */
static const char *block1_path = "data";
static void send_block1(coap_context_t *ctx, coap_session_t *s, uint32_t num, int more, int szx, size_t len,
                        long size1, const char *rtag) {
  uint8_t buf[8];
  uint8_t *data = pattern(len ? len : 1);
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, s);
  (void)ctx;
  coap_add_token(pdu, 2, (const uint8_t *)"bk");
  coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(block1_path), (const uint8_t *)block1_path);
  coap_add_option(pdu, COAP_OPTION_BLOCK1, coap_encode_var_safe(buf, sizeof(buf), (num << 4) | (more << 3) | szx),
                  buf);
  if (size1 >= 0)
    coap_add_option(pdu, COAP_OPTION_SIZE1, coap_encode_var_safe(buf, sizeof(buf), (unsigned)size1), buf);
  coap_add_option(pdu, COAP_OPTION_RTAG, strlen(rtag), (const uint8_t *)rtag);
  coap_add_data(pdu, len, data);
  free(data);
  coap_send(s, pdu);
}

/* A per-block handler that answers every block 2.04. */
static void hnd_put_changed(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                            coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  put_calls++;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
}

/* RFC 7959 2.3, as libcoap: with the library tracking blocks, a block that
 * is not the last is answered 2.31 Continue whatever 2.xx the handler set;
 * the last gets the handler's code. Both echo Block1. */
static void test_block1_continue_whatever_the_handler_says(void) {
  coap_context_t *raw = coap_new_context(NULL);
  coap_address_t a;
  coap_session_t *s;
  coap_resource_t *r = coap_resource_init(coap_make_str_const("chg"), 0);
  coap_register_request_handler(r, COAP_REQUEST_PUT, hnd_put_changed);
  coap_add_resource(server, r);
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP);
  capi_loopback(&a, port);
  coap_register_response_handler(raw, on_response);
  s = coap_new_client_session(raw, NULL, &a, COAP_PROTO_UDP);
  coap_context_t *keep = client;
  client = raw;
  block1_path = "chg";
  reset_counts();
  send_block1(raw, s, 0, 1, 2, 64, -1, "e");
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTINUE);
  send_block1(raw, s, 1, 0, 2, 10, -1, "e");
  CU_ASSERT(pump(2));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT_EQUAL(put_calls, 2);
  block1_path = "data";
  client = keep;
  coap_session_release(s);
  coap_free_context(raw);
  coap_delete_resource(server, r);
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
}

static void test_bad_block1_input(void) {
  /* A raw client (no library block handling) drives the server. */
  coap_context_t *raw = coap_new_context(NULL);
  coap_address_t a;
  coap_session_t *s;
  capi_loopback(&a, port);
  coap_register_response_handler(raw, on_response);
  s = coap_new_client_session(raw, NULL, &a, COAP_PROTO_UDP);
  coap_context_t *keep = client;
  client = raw;

  /* Size1 beyond what the server takes: 4.13, nothing buffered. */
  reset_counts();
  send_block1(raw, s, 0, 1, 6, 1024, 1L << 30, "a");
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE);

  /* The largest block number at 1 KiB points 1 GiB in: 4.13 too. */
  reset_counts();
  send_block1(raw, s, 0xFFFFF, 1, 6, 1024, -1, "b");
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE);

  /* A first block 2 MiB in (within the 8 MiB limit): no body is that far
   * along, so 4.08 at once instead of 2 MiB allocated for one datagram. */
  reset_counts();
  send_block1(raw, s, 2048, 1, 6, 1024, -1, "f");
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_INCOMPLETE);
  CU_ASSERT_EQUAL(put_calls, 0);

  /* A gap: block 0, then the last block 2 without block 1: 4.08. */
  reset_counts();
  send_block1(raw, s, 0, 1, 2, 64, -1, "c");
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTINUE);
  send_block1(raw, s, 2, 0, 2, 10, -1, "c");
  CU_ASSERT(pump(2));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_INCOMPLETE);
  CU_ASSERT_EQUAL(put_calls, 0);

  /* Out of order and a size change: blocks 1 then 0 of 64, then the rest
   * in 32-byte blocks (num 4 = offset 128): complete, the handler runs once. */
  reset_counts();
  send_block1(raw, s, 1, 1, 2, 64, -1, "d");
  send_block1(raw, s, 0, 1, 2, 64, -1, "d");
  CU_ASSERT(pump(2));
  send_block1(raw, s, 4, 0, 1, 20, -1, "d");
  CU_ASSERT(pump(3));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT_EQUAL(put_calls, 1);
  CU_ASSERT_EQUAL(stored_len, 148);

  /* Block2 asked past the end of a stored body: no crash, an error code. */
  reset_counts();
  {
    uint8_t buf[8];
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s);
    coap_add_token(pdu, 2, (const uint8_t *)"b2");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"data");
    coap_add_option(pdu, COAP_OPTION_BLOCK2, coap_encode_var_safe(buf, sizeof(buf), (1000u << 4) | 2), buf);
    coap_send(s, pdu);
  }
  CU_ASSERT(pump(1));
  CU_ASSERT_EQUAL(COAP_RESPONSE_CLASS(last_code), 4);

  client = keep;
  coap_session_release(s);
  coap_free_context(raw);
}

static void test_blocked_response_and_build_body(void) {
  coap_pdu_t *req = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 1152);
  coap_pdu_t *resp = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE_CONTENT, 1, 1152);
  uint8_t buf[8];
  uint8_t *body = pattern(3000);
  coap_block_t b;
  size_t len;
  const uint8_t *data;

  coap_add_option(req, COAP_OPTION_BLOCK2, coap_encode_var_safe(buf, sizeof(buf), (2u << 4) | 6), buf);
  coap_add_data_blocked_response(req, resp, COAP_MEDIATYPE_TEXT_PLAIN, -1, 3000, body);
  CU_ASSERT(coap_get_block(resp, COAP_OPTION_BLOCK2, &b));
  CU_ASSERT_EQUAL(b.num, 2);
  CU_ASSERT_EQUAL(b.m, 0);
  CU_ASSERT(coap_get_data(resp, &len, &data) && len == 3000 - 2048 && memcmp(data, body + 2048, len) == 0);
  coap_delete_pdu(resp);
  coap_delete_pdu(req);

  /* coap_block_build_body: out of order, NULL start, then a bad span. */
  coap_binary_t *whole = coap_block_build_body(NULL, 10, body + 20, 20, 30);
  CU_ASSERT_PTR_NOT_NULL_FATAL(whole);
  CU_ASSERT_EQUAL(whole->length, 30);
  whole = coap_block_build_body(whole, 20, body, 0, 30);
  CU_ASSERT(whole && memcmp(whole->s, body, 30) == 0);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_block_build_body(whole, 20, body, 20, 30)); /* frees it */
  CU_ASSERT_PTR_NULL(coap_block_build_body(NULL, 5, NULL, 0, 5));
  CU_ASSERT(capi_log_calls >= 1);
  capi_log_capture_stop();
  free(body);
}

static void test_large_request_misuse(void) {
  coap_pdu_t *pdu = request(COAP_REQUEST_CODE_PUT);
  uint8_t *body = pattern(100);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_add_data_large_request(NULL, pdu, 100, body, NULL, NULL), 0);
  CU_ASSERT_EQUAL(coap_add_data_large_request(session, NULL, 100, body, NULL, NULL), 0);
  CU_ASSERT_EQUAL(coap_add_data_large_request(session, pdu, 100, NULL, NULL, NULL), 0);
  CU_ASSERT(coap_add_data_large_request(session, pdu, 100, body, NULL, NULL));
  CU_ASSERT_EQUAL(coap_add_data_large_request(session, pdu, 100, body, NULL, NULL), 0); /* twice */
  CU_ASSERT(capi_log_calls >= 4);
  capi_log_capture_stop();
  coap_delete_pdu(pdu);
  free(body);
}

void register_block_large(void) {
  static const capi_test_t tests[] = {
      {"a Block2 block asked for alone says where it starts", test_block2_random_access_offset},
      {"a 4.01 with Echo is answered with the request again", test_echo_reflected},
      {"FORCE_SINGLE_BODY resource: whole bodies in per-block mode", test_force_single_body_resource},
      {"large bodies both ways, single-body mode", test_small_and_large_bodies},
      {"per-block mode with coap_block_build_body", test_per_block_mode},
      {"1 MB under 25% packet loss", test_megabyte_under_loss},
      {"Block1 bad input: too large, gaps, reordering", test_bad_block1_input},
      {"Block1: 2.31 for every block but the last", test_block1_continue_whatever_the_handler_says},
      {"coap_add_data_blocked_response and coap_block_build_body", test_blocked_response_and_build_body},
      {"coap_add_data_large_request misuse", test_large_request_misuse},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite("block_large", setup, teardown);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
