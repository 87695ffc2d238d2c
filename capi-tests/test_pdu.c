/* coap_pdu_setup(3) and coap_pdu_access(3) on PDUs built and parsed
 * without a session. */
#include "capi.h"
#include <coap3/coap_pdu.h> /* coap.h again, through an area header */
#include <string.h>

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

static void test_init_rejects_bad_header(void) {
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_pdu_init((coap_pdu_type_t)4, COAP_REQUEST_CODE_GET, 1, 100));
  CU_ASSERT_PTR_NULL(coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)256, 1, 100));
  CU_ASSERT_PTR_NULL(coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, -1, 100));
  CU_ASSERT_PTR_NULL(coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 65536, 100));
  CU_ASSERT_PTR_NULL(coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, (size_t)-1));
  CU_ASSERT_EQUAL(capi_log_calls, 5);
  capi_log_capture_stop();
}

static void test_build_and_read_back(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 0x1234, 256);
  coap_bin_const_t token;
  coap_opt_iterator_t oi;
  coap_opt_t *opt;
  const uint8_t *data;
  size_t len, offset, total;
  uint16_t numbers[8];
  int n = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL(pdu);
  CU_ASSERT_EQUAL(coap_add_token(pdu, 4, u8("abcd")), 1);
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, u8("a")) > 0);
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, u8("b")) > 0);
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_URI_QUERY, 3, u8("x=1")) > 0);
  /* Out of order: goes in before Uri-Path. */
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_URI_HOST, 9, u8("localhost")) > 0);
  CU_ASSERT_EQUAL(coap_add_data(pdu, 2, u8("hi")), 1);

  CU_ASSERT_EQUAL(coap_pdu_get_type(pdu), COAP_MESSAGE_CON);
  CU_ASSERT_EQUAL(coap_pdu_get_code(pdu), COAP_REQUEST_CODE_PUT);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(pdu), 0x1234);
  token = coap_pdu_get_token(pdu);
  CU_ASSERT_EQUAL(token.length, 4);
  CU_ASSERT(memcmp(token.s, "abcd", 4) == 0);

  CU_ASSERT_PTR_NOT_NULL(coap_option_iterator_init(pdu, &oi, COAP_OPT_ALL));
  while ((opt = coap_option_next(&oi)) && n < 8)
    numbers[n++] = oi.number;
  CU_ASSERT_EQUAL_FATAL(n, 4);
  CU_ASSERT_EQUAL(numbers[0], COAP_OPTION_URI_HOST);
  CU_ASSERT_EQUAL(numbers[1], COAP_OPTION_URI_PATH);
  CU_ASSERT_EQUAL(numbers[2], COAP_OPTION_URI_PATH);
  CU_ASSERT_EQUAL(numbers[3], COAP_OPTION_URI_QUERY);

  opt = coap_check_option(pdu, COAP_OPTION_URI_QUERY, &oi);
  CU_ASSERT_PTR_NOT_NULL_FATAL(opt);
  CU_ASSERT_EQUAL(coap_opt_length(opt), 3);
  CU_ASSERT(memcmp(coap_opt_value(opt), "x=1", 3) == 0);
  CU_ASSERT_EQUAL(coap_opt_size(opt), 4);
  CU_ASSERT_PTR_NULL(coap_check_option(pdu, COAP_OPTION_ETAG, &oi));

  CU_ASSERT_EQUAL(coap_get_data(pdu, &len, &data), 1);
  CU_ASSERT_EQUAL(len, 2);
  CU_ASSERT(memcmp(data, "hi", 2) == 0);
  CU_ASSERT_EQUAL(coap_get_data_large(pdu, &len, &data, &offset, &total), 1);
  CU_ASSERT(len == 2 && offset == 0 && total == 2);
  coap_delete_pdu(pdu);
}

static void test_order_rules(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, 1, 64);
  uint8_t *p;
  const uint8_t *data;
  size_t len;
  CU_ASSERT_PTR_NOT_NULL_FATAL(pdu);
  capi_log_capture_start();
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_ACCEPT, 0, NULL) > 0);
  CU_ASSERT_EQUAL(coap_add_token(pdu, 2, u8("tk")), 0); /* token after options */
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_add_data(pdu, 0, NULL), 1); /* empty data adds nothing */
  CU_ASSERT_EQUAL(coap_get_data(pdu, &len, &data), 0);
  CU_ASSERT(len == 0 && data == NULL);
  CU_ASSERT_PTR_NULL(coap_add_data_after(pdu, 0));
  p = coap_add_data_after(pdu, 3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  memcpy(p, "xyz", 3);
  CU_ASSERT_EQUAL(coap_get_data(pdu, &len, &data), 1);
  CU_ASSERT(len == 3 && memcmp(data, "xyz", 3) == 0);
  CU_ASSERT_EQUAL(coap_add_option(pdu, COAP_OPTION_ETAG, 1, u8("e")), 0); /* after data */
  CU_ASSERT_EQUAL(coap_add_data(pdu, 1, u8("z")), 0);                     /* data twice */
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
  coap_delete_pdu(pdu);
}

static void test_size_limits(void) {
  uint8_t big[300];
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, 2, 16);
  memset(big, 'h', sizeof(big));
  CU_ASSERT_PTR_NOT_NULL_FATAL(pdu);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_add_data(pdu, 20, big), 0); /* over max_size */
  CU_ASSERT_EQUAL(coap_add_token(pdu, 8, big), 1);
  CU_ASSERT_EQUAL(coap_add_option(pdu, COAP_OPTION_URI_PATH, 20, big), 0);
  CU_ASSERT(capi_log_calls >= 2);
  coap_delete_pdu(pdu);
  /* Registered maximum: Uri-Host holds at most 255 bytes. */
  pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 3, 0);
  capi_log_calls = 0;
  CU_ASSERT_EQUAL(coap_add_option(pdu, COAP_OPTION_URI_HOST, 256, big), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_URI_HOST, 255, big) > 0);
  capi_log_capture_stop();
  coap_delete_pdu(pdu);
}

static void test_extended_tokens(void) {
  static uint8_t token[65805];
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 4, 0);
  coap_bin_const_t t;
  CU_ASSERT_PTR_NOT_NULL_FATAL(pdu);
  memset(token, 7, sizeof(token));
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_add_token(pdu, sizeof(token), token), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(coap_add_token(pdu, 300, token), 1);
  t = coap_pdu_get_token(pdu);
  CU_ASSERT_EQUAL(t.length, 300);
  CU_ASSERT_EQUAL(t.s[299], 7);
  coap_delete_pdu(pdu);
}

static void test_parse_udp(void) {
  /* CON GET mid 0x7d34, token 0x20, Uri-Path "temperature" (RFC 7252 A.1-like) */
  static const uint8_t msg[] = {0x41, 0x01, 0x7d, 0x34, 0x20, 0xbb, 't', 'e', 'm', 'p', 'e',
                                'r',  'a',  't',  'u',  'r',  'e',  0xff, '2', '2'};
  coap_pdu_t *pdu = coap_pdu_init(0, 0, 0, sizeof(msg));
  coap_opt_iterator_t oi;
  coap_opt_t *opt;
  const uint8_t *data;
  size_t len;
  CU_ASSERT_PTR_NOT_NULL_FATAL(pdu);
  CU_ASSERT_EQUAL(coap_pdu_parse(COAP_PROTO_UDP, msg, sizeof(msg), pdu), 1);
  CU_ASSERT_EQUAL(coap_pdu_get_code(pdu), COAP_REQUEST_CODE_GET);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(pdu), 0x7d34);
  CU_ASSERT_EQUAL(coap_pdu_get_token(pdu).length, 1);
  opt = coap_check_option(pdu, COAP_OPTION_URI_PATH, &oi);
  CU_ASSERT_PTR_NOT_NULL_FATAL(opt);
  CU_ASSERT_EQUAL(coap_opt_length(opt), 11);
  CU_ASSERT_EQUAL(coap_get_data(pdu, &len, &data), 1);
  CU_ASSERT(len == 2 && memcmp(data, "22", 2) == 0);
  /* Too big for the PDU's maximum size. */
  CU_ASSERT_PTR_NOT_NULL(pdu = (coap_delete_pdu(pdu), coap_pdu_init(0, 0, 0, 4)));
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_pdu_parse(COAP_PROTO_UDP, msg, sizeof(msg), pdu), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
  coap_delete_pdu(pdu);
}

static void test_parse_tcp(void) {
  /* Len 0 (no options/payload), TKL 2, code 0.01, token "ab". */
  static const uint8_t frame[] = {0x02, 0x01, 'a', 'b'};
  static const uint8_t with_opt[] = {0x22, 0x01, 'a', 'b', 0xb1, 'x'};
  coap_pdu_t *pdu = coap_pdu_init(0, 0, 0, 0);
  coap_opt_iterator_t oi;
  CU_ASSERT_EQUAL(coap_pdu_parse(COAP_PROTO_TCP, frame, sizeof(frame), pdu), 1);
  CU_ASSERT_EQUAL(coap_pdu_get_token(pdu).length, 2);
  CU_ASSERT_EQUAL(coap_pdu_parse(COAP_PROTO_TCP, with_opt, sizeof(with_opt), pdu), 1);
  CU_ASSERT_PTR_NOT_NULL(coap_check_option(pdu, COAP_OPTION_URI_PATH, &oi));
  coap_delete_pdu(pdu);
}

/* Each must be refused with a log line, never crash. */
static void test_parse_bad_input(void) {
  static const struct {
    const char *what;
    uint8_t bytes[16];
    size_t len;
  } bad[] = {
      {"short header", {0x40, 0x01, 0x00}, 3},
      {"version 2", {0x80, 0x01, 0x00, 0x01}, 4},
      {"TKL 9", {0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 13},
      {"TKL 15", {0x4f, 0x01, 0x00, 0x01}, 4},
      {"token past end", {0x44, 0x01, 0x00, 0x01, 1, 2}, 6},
      {"delta 15 not marker", {0x40, 0x01, 0x00, 0x01, 0xf1, 0x00}, 6},
      {"length 15", {0x40, 0x01, 0x00, 0x01, 0x1f, 0x00}, 6},
      {"ext fields past end (oss-fuzz)", {0x40, 0x01, 0x00, 0x01, 0x5a, 0x0a, 0x5b, 0x5b}, 8},
      {"ext delta truncated", {0x40, 0x01, 0x00, 0x01, 0xd1}, 5},
      {"marker, no payload", {0x40, 0x01, 0x00, 0x01, 0xff}, 5},
      {"empty message with token", {0x41, 0x00, 0x00, 0x01, 0x01}, 5},
      {"option value past end", {0x40, 0x01, 0x00, 0x01, 0xb5, 'a'}, 6},
  };
  coap_pdu_t *pdu = coap_pdu_init(0, 0, 0, 0);
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    capi_log_capture_start();
    if (coap_pdu_parse(COAP_PROTO_UDP, bad[i].bytes, bad[i].len, pdu) != 0 || capi_log_calls != 1)
      CU_FAIL(bad[i].what);
    capi_log_capture_stop();
  }
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_pdu_parse(COAP_PROTO_UDP, NULL, 4, pdu), 0);
  CU_ASSERT_EQUAL(coap_pdu_parse((coap_proto_t)99, bad[0].bytes, 4, pdu), 0);
  CU_ASSERT_EQUAL(coap_pdu_parse(COAP_PROTO_UDP, bad[0].bytes, 4, NULL), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
  coap_delete_pdu(pdu);
}

static void test_duplicate(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 9, 128);
  coap_pdu_t *dup;
  coap_opt_filter_t drop;
  coap_opt_iterator_t oi;
  const uint8_t *data;
  size_t len;
  coap_add_token(pdu, 2, u8("t1"));
  coap_add_option(pdu, COAP_OPTION_OBSERVE, 0, NULL);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, u8("abc"));
  coap_add_data(pdu, 4, u8("body"));
  coap_option_filter_clear(&drop);
  coap_option_filter_set(&drop, COAP_OPTION_OBSERVE);
  dup = coap_pdu_duplicate(pdu, NULL, 3, u8("t22"), &drop);
  CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(dup), 9);
  CU_ASSERT_EQUAL(coap_pdu_get_token(dup).length, 3);
  CU_ASSERT_PTR_NULL(coap_check_option(dup, COAP_OPTION_OBSERVE, &oi));
  CU_ASSERT_PTR_NOT_NULL(coap_check_option(dup, COAP_OPTION_URI_PATH, &oi));
  CU_ASSERT_EQUAL(coap_get_data(dup, &len, &data), 0); /* payload is not copied */
  coap_delete_pdu(pdu);
  coap_delete_pdu(dup);
}

static void test_released_handles(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 5, 64);
  coap_delete_pdu(pdu);
  capi_log_capture_start();
  coap_delete_pdu(pdu); /* double free: refused */
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(capi_log_level, COAP_LOG_ERR);
  CU_ASSERT_EQUAL(coap_pdu_get_code(pdu), 0); /* use after free: refused */
  CU_ASSERT_EQUAL(coap_add_data(pdu, 1, u8("x")), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  coap_delete_pdu(NULL); /* fine, silent */
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  CU_ASSERT_EQUAL(coap_pdu_get_code(NULL), 0);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(NULL), COAP_INVALID_MID);
  CU_ASSERT_PTR_NULL(coap_pdu_get_token(NULL).s);
  CU_ASSERT_EQUAL(coap_add_token(NULL, 0, NULL), 0);
  CU_ASSERT_EQUAL(coap_add_option(NULL, 1, 0, NULL), 0);
  CU_ASSERT_PTR_NULL(coap_add_data_after(NULL, 1));
  capi_log_capture_stop();
}

static void test_setters(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_EMPTY_CODE, 1, 16);
  coap_pdu_set_type(pdu, COAP_MESSAGE_ACK);
  coap_pdu_set_code(pdu, COAP_RESPONSE_CODE(205));
  coap_pdu_set_mid(pdu, 0xffff);
  CU_ASSERT_EQUAL(coap_pdu_get_type(pdu), COAP_MESSAGE_ACK);
  CU_ASSERT_EQUAL(coap_pdu_get_code(pdu), COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(pdu), 0xffff);
  capi_log_capture_start();
  coap_pdu_set_type(pdu, (coap_pdu_type_t)7);
  coap_pdu_set_code(pdu, (coap_pdu_code_t)300);
  coap_pdu_set_mid(pdu, 70000);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(coap_pdu_get_type(pdu), COAP_MESSAGE_ACK);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(pdu), 0xffff);
  coap_delete_pdu(pdu);
}

static void test_iterator_filters_and_bad_areas(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 0);
  coap_opt_iterator_t oi;
  coap_opt_filter_t f;
  int count = 0;
  /* No options, no payload: init fails, next stays NULL. */
  CU_ASSERT_PTR_NULL(coap_option_iterator_init(pdu, &oi, NULL));
  CU_ASSERT_PTR_NULL(coap_option_next(&oi));
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, u8("a"));
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, u8("b"));
  coap_add_option(pdu, COAP_OPTION_ACCEPT, 1, u8("\x32"));
  coap_add_option(pdu, COAP_OPTION_NORESPONSE, 1, u8("\x02"));
  coap_option_filter_clear(&f);
  coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
  coap_option_filter_set(&f, COAP_OPTION_NORESPONSE);
  /* The bit-fields are read where C puts them, whatever was there before. */
  memset(&oi, 0xff, sizeof(oi));
  coap_option_iterator_init(pdu, &oi, NULL);
  CU_ASSERT_EQUAL(oi.bad, 0);
  CU_ASSERT_EQUAL(oi.filtered, 0);
  memset(&oi, 0xff, sizeof(oi));
  coap_option_iterator_init(pdu, &oi, &f);
  CU_ASSERT_EQUAL(oi.bad, 0);
  CU_ASSERT_EQUAL(oi.filtered, 1);
  while (coap_option_next(&oi)) {
    CU_ASSERT_EQUAL(oi.bad, 0);
    count++;
  }
  CU_ASSERT_EQUAL(count, 3);
  CU_ASSERT_EQUAL(oi.bad, 1); /* at the end */
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_option_iterator_init(NULL, &oi, NULL));
  CU_ASSERT_PTR_NULL(coap_option_next(&oi));
  CU_ASSERT_PTR_NULL(coap_option_next(NULL));
  CU_ASSERT_PTR_NULL(coap_check_option(pdu, COAP_OPTION_URI_PATH, NULL));
  CU_ASSERT(capi_log_calls >= 3);
  capi_log_capture_stop();
  coap_delete_pdu(pdu);
}

static void test_filters(void) {
  coap_opt_filter_t f;
  coap_option_filter_clear(&f);
  CU_ASSERT_EQUAL(coap_option_filter_get(&f, 11), 0);
  for (uint16_t n = 1; n <= 6; n++)
    CU_ASSERT_EQUAL(coap_option_filter_set(&f, n), 1);
  CU_ASSERT_EQUAL(coap_option_filter_set(&f, 7), 0); /* short slots full */
  CU_ASSERT_EQUAL(coap_option_filter_set(&f, 300), 1);
  CU_ASSERT_EQUAL(coap_option_filter_set(&f, 301), 1);
  CU_ASSERT_EQUAL(coap_option_filter_set(&f, 302), 0); /* long slots full */
  CU_ASSERT_EQUAL(coap_option_filter_get(&f, 301), 1);
  CU_ASSERT_EQUAL(coap_option_filter_unset(&f, 301), 1);
  CU_ASSERT_EQUAL(coap_option_filter_unset(&f, 301), 0);
  CU_ASSERT_EQUAL(coap_option_filter_set(&f, 302), 1);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  CU_ASSERT_EQUAL(coap_option_setb(&f, 3), 1); /* deprecated inline wrappers */
  CU_ASSERT_EQUAL(coap_option_getb(&f, 3), 1);
#pragma GCC diagnostic pop
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_option_filter_get(NULL, 1), 0);
  coap_option_filter_clear(NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
}

static void test_raw_option_functions(void) {
  uint8_t buf[300];
  uint8_t value[270];
  coap_option_t o;
  memset(value, 'v', sizeof(value));
  CU_ASSERT_EQUAL(coap_opt_encode_size(11, 3), 4);
  CU_ASSERT_EQUAL(coap_opt_encode_size(13, 13), 3 + 13);
  CU_ASSERT_EQUAL(coap_opt_encode_size(300, 270), 5 + 270);
  CU_ASSERT_EQUAL(coap_opt_setheader(buf, sizeof(buf), 11, 3), 1);
  CU_ASSERT_EQUAL(buf[0], 0xb3);
  CU_ASSERT_EQUAL(coap_opt_encode(buf, sizeof(buf), 300, value, 270), 275);
  CU_ASSERT_EQUAL(coap_opt_length(buf), 270);
  CU_ASSERT_PTR_EQUAL(coap_opt_value(buf), buf + 5);
  CU_ASSERT_EQUAL(coap_opt_size(buf), 275);
  CU_ASSERT_EQUAL(coap_opt_parse(buf, sizeof(buf), &o), 275);
  CU_ASSERT(o.delta == 300 && o.length == 270 && o.value == buf + 5);
  /* Too small buffers, truncated input, the payload marker, NULL. */
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_opt_encode(buf, 10, 300, value, 270), 0);
  CU_ASSERT_EQUAL(coap_opt_setheader(buf, 2, 300, 3), 0);
  CU_ASSERT_EQUAL(coap_opt_parse(buf, 100, &o), 0);
  buf[0] = 0xff;
  CU_ASSERT_EQUAL(coap_opt_parse(buf, 10, &o), 0);
  CU_ASSERT_EQUAL(coap_opt_length(buf), 0);
  CU_ASSERT_PTR_NULL(coap_opt_value(buf));
  CU_ASSERT_EQUAL(coap_opt_length(NULL), 0);
  CU_ASSERT_EQUAL(coap_opt_size(NULL), 0);
  CU_ASSERT_EQUAL(coap_opt_parse(NULL, 4, &o), 0);
  capi_log_capture_stop();
}

static void test_optlist(void) {
  coap_optlist_t *chain = NULL, *node;
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 0);
  coap_opt_iterator_t oi;
  coap_opt_t *opt;
  int order[4], n = 0;
  CU_ASSERT_EQUAL(coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_QUERY, 2, u8("q1"))), 1);
  CU_ASSERT_EQUAL(coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PATH, 1, u8("p"))), 1);
  CU_ASSERT_EQUAL(coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_HOST, 4, u8("host"))), 1);
  CU_ASSERT_EQUAL(coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PATH, 1, u8("z"))), 1);
  CU_ASSERT_EQUAL(chain->number, COAP_OPTION_URI_QUERY); /* appended in order given */
  CU_ASSERT_EQUAL(coap_add_optlist_pdu(pdu, &chain), 1);
  /* The chain is now sorted, equal numbers keeping their order. */
  for (node = chain; node && n < 4; node = node->next)
    order[n++] = node->number;
  CU_ASSERT(n == 4 && order[0] == 3 && order[1] == 11 && order[2] == 11 && order[3] == 15);
  CU_ASSERT_EQUAL(chain->next->data[0], 'p');
  coap_option_iterator_init(pdu, &oi, COAP_OPT_ALL);
  n = 0;
  while ((opt = coap_option_next(&oi)) && n < 4)
    order[n++] = oi.number;
  CU_ASSERT(n == 4 && order[0] == 3 && order[1] == 11 && order[3] == 15);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_insert_optlist(NULL, NULL), 0);
  CU_ASSERT_EQUAL(coap_insert_optlist(&chain, chain), 0); /* already in it */
  CU_ASSERT_PTR_NULL(coap_new_optlist(1, 5, NULL));
  CU_ASSERT_EQUAL(coap_add_optlist_pdu(NULL, &chain), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 4);
  capi_log_capture_stop();
  coap_delete_optlist(chain);
  coap_delete_optlist(NULL);
  coap_delete_pdu(pdu);
}

static int count_options(coap_pdu_t *pdu, int number) {
  coap_opt_iterator_t oi;
  int n = 0;
  coap_option_iterator_init(pdu, &oi, COAP_OPT_ALL);
  while (coap_option_next(&oi))
    n += oi.number == number;
  return n;
}

/* As libcoap: a second non-repeatable option is dropped, and an option list
 * goes in whole except for entries that cannot (an empty list adds nothing
 * and answers 0). */
static void test_repeats_and_optlist_failures(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 0);
  coap_optlist_t *chain = NULL;
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, u8("a")) > 0);
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, u8("b")) > 0);
  CU_ASSERT(coap_add_option(pdu, COAP_OPTION_SIZE1, 1, u8("\x05")) > 0);
  CU_ASSERT_EQUAL(coap_add_option(pdu, COAP_OPTION_SIZE1, 1, u8("\x06")), 0);
  CU_ASSERT(coap_add_option(pdu, 2048, 1, u8("x")) > 0); /* unknown: may repeat */
  CU_ASSERT(coap_add_option(pdu, 2048, 1, u8("y")) > 0);
  CU_ASSERT_EQUAL(count_options(pdu, COAP_OPTION_URI_PATH), 2);
  CU_ASSERT_EQUAL(count_options(pdu, COAP_OPTION_SIZE1), 1);
  CU_ASSERT_EQUAL(count_options(pdu, 2048), 2);
  coap_delete_pdu(pdu);

  pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 24);
  CU_ASSERT_EQUAL(coap_add_optlist_pdu(pdu, &chain), 0); /* empty list */
  coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PATH, 1, u8("a")));
  coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PATH, 40, u8("0123456789012345678901234567890123456789")));
  coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_QUERY, 1, u8("q")));
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_add_optlist_pdu(pdu, &chain), 1); /* the 40 bytes do not fit */
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(count_options(pdu, COAP_OPTION_URI_PATH), 1);
  CU_ASSERT_EQUAL(count_options(pdu, COAP_OPTION_URI_QUERY), 1);
  CU_ASSERT_EQUAL(coap_add_data(pdu, 1, u8("d")), 1);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_add_optlist_pdu(pdu, &chain), 0); /* after the payload */
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
  coap_delete_optlist(chain);
  coap_delete_pdu(pdu);
}

void register_pdu(void) {
  static const capi_test_t tests[] = {
      {"coap_pdu_init rejects bad header fields", test_init_rejects_bad_header},
      {"build and read back", test_build_and_read_back},
      {"token, option and data order rules", test_order_rules},
      {"size limits", test_size_limits},
      {"extended tokens", test_extended_tokens},
      {"coap_pdu_parse UDP", test_parse_udp},
      {"coap_pdu_parse TCP framing", test_parse_tcp},
      {"coap_pdu_parse bad input", test_parse_bad_input},
      {"coap_pdu_duplicate", test_duplicate},
      {"released and NULL handles", test_released_handles},
      {"setters", test_setters},
      {"iterator with filters", test_iterator_filters_and_bad_areas},
      {"option filters", test_filters},
      {"raw option functions", test_raw_option_functions},
      {"option lists", test_optlist},
      {"repeated options and option list failures", test_repeats_and_optlist_failures},
      {NULL, NULL}};
  capi_add_suite("pdu", tests);
}
