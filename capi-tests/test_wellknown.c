/* GET /.well-known/core as libcoap answers it: resources in the order they
 * were added, a filter that matches nothing answered 2.05 with no body,
 * a Block2 request and a list larger than one PDU answered block-wise. */
#include "capi.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static coap_context_t *server, *client;
static coap_session_t *session;
static int responses, last_code, last_had_cf, last_block2_num, last_block2_szx;
static size_t last_len;
static char last_body[16384];

static void hnd_nothing(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                        coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  coap_opt_iterator_t it;
  coap_opt_t *b2 = coap_check_option(received, COAP_OPTION_BLOCK2, &it);
  const uint8_t *data;
  size_t len;
  last_code = coap_pdu_get_code(received);
  last_had_cf = coap_check_option(received, COAP_OPTION_CONTENT_FORMAT, &it) != NULL;
  last_block2_num = b2 ? (int)coap_opt_block_num(b2) : -1;
  last_block2_szx = b2 ? (int)COAP_OPT_BLOCK_SZX(b2) : -1;
  last_len = 0;
  last_body[0] = '\0';
  if (coap_get_data(received, &len, &data) && len < sizeof(last_body)) {
    memcpy(last_body, data, len);
    last_body[len] = '\0';
    last_len = len;
  }
  responses++;
  return COAP_RESPONSE_OK;
}

static void add(const char *path) {
  coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_nothing);
  coap_add_resource(server, r);
}

static int setup(void) {
  coap_address_t a;
  uint16_t port = (uint16_t)(20000 + (getpid() + 53) % 20000);
  capi_loopback(&a, port);
  server = coap_new_context(&a);
  client = coap_new_context(NULL);
  if (!server || !client)
    return 1;
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP);
  coap_register_response_handler(client, on_response);
  add("zebra");
  add("apple");
  add("mango");
  session = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  return session ? 0 : 1;
}

static int teardown(void) {
  capi_free_client_server(session, client, server);
  return 0;
}

/* GET /.well-known/core with an optional query and Block2 option. */
static int ask(const char *query, int block_num, int szx) {
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
  uint8_t token[8], buf[4];
  size_t tlen;
  coap_session_new_token(session, &tlen, token);
  coap_add_token(pdu, tlen, token);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 11, (const uint8_t *)".well-known");
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"core");
  if (query)
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(query), (const uint8_t *)query);
  if (block_num >= 0)
    coap_add_option(pdu, COAP_OPTION_BLOCK2, coap_encode_var_safe(buf, sizeof(buf), (unsigned)(block_num << 4 | szx)),
                    buf);
  responses = 0;
  coap_send(session, pdu);
  for (int i = 0; i < 200 && responses == 0; i++) {
    coap_io_process(server, COAP_IO_NO_WAIT);
    coap_io_process(client, 10);
  }
  return responses;
}

static void test_order_and_empty_filter(void) {
  CU_ASSERT_FATAL(ask(NULL, -1, 0));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_STRING_EQUAL(last_body, "</zebra>,</apple>,</mango>");
  CU_ASSERT(last_had_cf);
  /* A filter that matches nothing: 2.05, no body, no Content-Format. */
  CU_ASSERT_FATAL(ask("rt=nothing", -1, 0));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_EQUAL(last_len, 0);
  CU_ASSERT(!last_had_cf);
}

/* Asked for 16-byte blocks, the list comes block by block (further blocks
 * from the kept copy), and the pieces make up the whole list. */
static void test_block2_asked(void) {
  char whole[256] = "";
  CU_ASSERT_FATAL(ask(NULL, 0, 0));
  CU_ASSERT_EQUAL(last_block2_num, 0);
  CU_ASSERT_EQUAL(last_block2_szx, 0);
  CU_ASSERT_EQUAL(last_len, 16);
  strcat(whole, last_body);
  for (int n = 1; n < 10 && last_len == 16; n++) {
    CU_ASSERT_FATAL(ask(NULL, n, 0));
    CU_ASSERT_EQUAL(last_block2_num, n);
    strcat(whole, last_body);
  }
  CU_ASSERT_STRING_EQUAL(whole, "</zebra>,</apple>,</mango>");
  /* A block past the end is refused. */
  CU_ASSERT_FATAL(ask(NULL, 40, 0));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_BAD_OPTION);
}

/* 200 resources make a list far larger than one PDU: the client library
 * (COAP_BLOCK_USE_LIBCOAP | SINGLE_BODY) gets it whole, block-wise. */
static void test_large_list(void) {
  char path[32], want[16384] = "</zebra>,</apple>,</mango>";
  for (int i = 0; i < 200; i++) {
    snprintf(path, sizeof(path), "sensor/%03d/value", i);
    add(path);
    snprintf(want + strlen(want), sizeof(want) - strlen(want), ",</%s>", path);
  }
  coap_context_set_block_mode(client, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  CU_ASSERT_FATAL(ask(NULL, -1, 0));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT(strlen(want) > 4000);
  CU_ASSERT_EQUAL(last_len, strlen(want));
  CU_ASSERT_STRING_EQUAL(last_body, want);
  coap_context_set_block_mode(client, 0);
}

void register_wellknown(void) {
  static const capi_test_t tests[] = {
      {"resources in the order added; a filter matching nothing gets 2.05", test_order_and_empty_filter},
      {"Block2 asked: block by block from the kept copy", test_block2_asked},
      {"a list larger than one PDU arrives whole", test_large_list},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite("wellknown", setup, teardown);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
