/* The low-level block helpers of coap_block(3). Values settled against
 * Debian's libcoap 4.3.1; where 4.3.1 writes a block option that does not
 * match the struct it returns (or that leaves no room for the block), this
 * library keeps the two consistent, as the comments say. */
#include "capi.h"
#include <string.h>

static coap_pdu_t *with_block2(const char *v, size_t n) {
  coap_pdu_t *p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 100);
  if (v)
    coap_add_option(p, COAP_OPTION_BLOCK2, n, (const uint8_t *)v);
  return p;
}

static void test_get_block(void) {
  static const struct {
    const char *v;
    size_t n;
    int r;
    unsigned num, m, szx;
  } cases[] = {
      {NULL, 0, 0, 0, 0, 0},          {"", 0, 1, 0, 0, 0},
      {"\x0b", 1, 1, 0, 1, 3},        {"\x1e", 1, 1, 1, 1, 6},
      {"\x12\x3d", 2, 1, 291, 1, 5},  {"\xab\xcd\xe6", 3, 1, 703710, 0, 6},
      {"\xff\xff\xfe", 3, 1, 1048575, 1, 6}, {"\x00\x08", 2, 1, 0, 1, 0},
      {"\x0f", 1, 0, 0, 0, 0}, /* SZX 7 (BERT) outside a reliable session */
  };
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    coap_pdu_t *p = with_block2(cases[i].v, cases[i].n);
    coap_block_t b;
    coap_block_b_t bb;
    coap_opt_iterator_t oi;
    coap_opt_t *o;
    memset(&b, 0x55, sizeof(b));
    CU_ASSERT_EQUAL(coap_get_block(p, COAP_OPTION_BLOCK2, &b), cases[i].r);
    CU_ASSERT(b.num == cases[i].num && b.m == cases[i].m && b.szx == cases[i].szx);
    memset(&bb, 0x55, sizeof(bb));
    capi_log_capture_start();
    CU_ASSERT_EQUAL(coap_get_block_b(NULL, p, COAP_OPTION_BLOCK2, &bb), cases[i].r);
    capi_log_capture_stop();
    if (cases[i].r) {
      CU_ASSERT(bb.num == cases[i].num && bb.m == cases[i].m && bb.szx == cases[i].szx);
      CU_ASSERT(bb.aszx == cases[i].szx && bb.defined == 1 && bb.bert == 0);
      CU_ASSERT_EQUAL(bb.chunk_size, 16u << cases[i].szx);
    } else if (cases[i].v) {
      /* As 4.3.1: the SZX is kept, nothing else. */
      CU_ASSERT(bb.szx == 7 && bb.aszx == 7 && bb.defined == 0 && bb.num == 0);
    } else {
      CU_ASSERT(bb.num == 0 && bb.defined == 0 && bb.chunk_size == 0);
    }
    o = coap_check_option(p, COAP_OPTION_BLOCK2, &oi);
    if (cases[i].v) {
      CU_ASSERT_PTR_NOT_NULL_FATAL(o);
      CU_ASSERT_EQUAL(coap_opt_block_num(o), cases[i].r ? cases[i].num : 0);
    }
    coap_delete_pdu(p);
  }
}

static void test_get_block_refusals(void) {
  coap_pdu_t *p = with_block2("\x0f", 1);
  coap_block_t b;
  coap_block_b_t bb;
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_get_block_b(NULL, p, COAP_OPTION_BLOCK2, &bb), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("BERT"));
  CU_ASSERT_EQUAL(coap_get_block(NULL, COAP_OPTION_BLOCK2, &b), 0);
  CU_ASSERT_EQUAL(coap_get_block(p, COAP_OPTION_BLOCK2, NULL), 0);
  CU_ASSERT_EQUAL(coap_get_block_b(NULL, NULL, COAP_OPTION_BLOCK2, &bb), 0);
  CU_ASSERT_EQUAL(coap_opt_block_num(NULL), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 5);
  capi_log_capture_stop();
  coap_delete_pdu(p);
}

/* Writes a Block2 option for block (num, szx) of a dlen-byte body into a
 * PDU of max bytes with a 4-byte token; returns the option value as hex
 * and the block in *b. */
static int write_block(size_t max, unsigned num, unsigned szx, size_t dlen, coap_block_t *b, char *hex, size_t *added) {
  static uint8_t body[5000];
  coap_pdu_t *p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 1, max);
  coap_opt_iterator_t oi;
  coap_opt_t *o;
  const uint8_t *data;
  int r;
  unsigned i;
  coap_add_token(p, 4, (const uint8_t *)"tokn");
  memset(b, 0, sizeof(*b));
  b->num = num;
  b->szx = szx;
  r = coap_write_block_opt(b, COAP_OPTION_BLOCK2, p, dlen);
  hex[0] = '\0';
  *added = 0;
  o = coap_check_option(p, COAP_OPTION_BLOCK2, &oi);
  if (o) {
    for (i = 0; i < coap_opt_length(o); i++)
      sprintf(hex + 2 * i, "%02x", coap_opt_value(o)[i]);
  }
  if (r == 1 && coap_add_block(p, dlen, body, b->num, (unsigned char)b->szx) == 1)
    coap_get_data(p, added, &data);
  coap_delete_pdu(p);
  return r;
}

static void test_write_block(void) {
  static const struct {
    size_t max;
    unsigned num, szx;
    size_t dlen;
    int r;
    const char *hex;
    unsigned num_out, m, szx_out;
    size_t added;
  } cases[] = {
      {1000, 0, 6, 100, 1, "06", 0, 0, 6, 100},
      {1000, 1, 6, 2000, 1, "16", 1, 0, 6, 976},
      {1000, 2, 6, 2000, -2, "", 2, 0, 6, 0},
      {1000, 0, 2, 64, 1, "02", 0, 0, 2, 64},
      {1000, 0, 2, 65, 1, "0a", 0, 1, 2, 64},
      {1000, 1, 2, 65, 1, "12", 1, 0, 2, 1},
      {1000, 5, 2, 128, -2, "", 5, 0, 2, 0},
      /* Reduced to fit: the option as 4.3.1 writes it, and (unlike 4.3.1)
       * the struct says the same, so coap_add_block adds that block. */
      {1000, 0, 6, 2000, 1, "0d", 0, 1, 5, 512},
      {200, 0, 6, 2000, 1, "0b", 0, 1, 3, 128},
      {200, 1, 6, 2000, 1, "8b", 8, 1, 3, 128},
      {64, 0, 6, 2000, 1, "09", 0, 1, 1, 32},
      {30, 0, 6, 2000, 1, "08", 0, 1, 0, 16},
      /* Not even 16 bytes fit next to the option (4.3.1 says 1 and the
       * block then does not fit). */
      {20, 0, 6, 2000, -3, "", 0, 0, 6, 0},
      {1000, 0, 6, 0, 1, "06", 0, 0, 6, 0},
  };
  size_t i, added;
  char hex[16];
  coap_block_t b;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int r = write_block(cases[i].max, cases[i].num, cases[i].szx, cases[i].dlen, &b, hex, &added);
    CU_ASSERT_EQUAL(r, cases[i].r);
    CU_ASSERT_STRING_EQUAL(hex, cases[i].hex);
    CU_ASSERT(b.num == cases[i].num_out && b.m == cases[i].m && b.szx == cases[i].szx_out);
    CU_ASSERT_EQUAL(added, cases[i].added);
  }
}

static void test_write_block_b(void) {
  coap_pdu_t *p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 1, 200);
  coap_block_b_t b;
  static uint8_t body[2000];
  const uint8_t *data;
  size_t len, i;
  for (i = 0; i < sizeof(body); i++)
    body[i] = (uint8_t)(i / 3);
  memset(&b, 0, sizeof(b));
  b.num = 1;
  b.szx = 6;
  CU_ASSERT_EQUAL(coap_write_block_b_opt(NULL, &b, COAP_OPTION_BLOCK2, p, sizeof(body)), 1);
  CU_ASSERT(b.num == 8 && b.m == 1 && b.szx == 3 && b.aszx == 3 && b.bert == 0 && b.chunk_size == 128);
  CU_ASSERT_EQUAL(coap_add_block_b_data(p, sizeof(body), body, &b), 1);
  CU_ASSERT_EQUAL(coap_get_data(p, &len, &data), 1);
  CU_ASSERT(len == 128 && memcmp(data, body + 1024, 128) == 0);
  coap_delete_pdu(p);
}

static void test_block_refusals(void) {
  coap_pdu_t *p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 1, 1000);
  coap_block_t b;
  coap_block_b_t bb;
  uint8_t body[100];
  memset(body, 'x', sizeof(body));
  memset(&b, 0, sizeof(b));
  memset(&bb, 0, sizeof(bb));
  capi_log_capture_start();
  /* BERT without a reliable session. */
  b.szx = 7;
  CU_ASSERT(coap_write_block_opt(&b, COAP_OPTION_BLOCK2, p, 5000) < 0);
  bb.szx = 7;
  CU_ASSERT(coap_write_block_b_opt(NULL, &bb, COAP_OPTION_BLOCK2, p, 5000) < 0);
  CU_ASSERT_EQUAL(coap_add_block(p, sizeof(body), body, 0, 7), 0);
  CU_ASSERT_EQUAL(coap_add_block_b_data(p, sizeof(body), body, &bb), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 4);
  /* Block number past 20 bits. */
  b.szx = 0;
  b.num = 0x100000;
  CU_ASSERT(coap_write_block_opt(&b, COAP_OPTION_BLOCK2, p, 0x2000000) < 0);
  CU_ASSERT_EQUAL(capi_log_calls, 5);
  /* NULL arguments. */
  CU_ASSERT(coap_write_block_opt(NULL, COAP_OPTION_BLOCK2, p, 10) < 0);
  CU_ASSERT(coap_write_block_opt(&b, COAP_OPTION_BLOCK2, NULL, 10) < 0);
  CU_ASSERT(coap_write_block_b_opt(NULL, NULL, COAP_OPTION_BLOCK2, p, 10) < 0);
  CU_ASSERT_EQUAL(coap_add_block(NULL, sizeof(body), body, 0, 0), 0);
  CU_ASSERT_EQUAL(coap_add_block(p, sizeof(body), NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(coap_add_block_b_data(p, sizeof(body), body, NULL), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 11);
  capi_log_capture_stop();
  /* Blocks at or past the end of the body add nothing (no log, as 4.3.1). */
  CU_ASSERT_EQUAL(coap_add_block(p, 0, body, 0, 0), 0);
  CU_ASSERT_EQUAL(coap_add_block(p, 32, body, 2, 0), 0);
  CU_ASSERT_EQUAL(coap_add_block(p, 33, body, 2, 0), 1);
  coap_delete_pdu(p);
}

void register_block(void) {
  static const capi_test_t tests[] = {
      {"get block from 0- to 3-byte options", test_get_block},
      {"get block refusals", test_get_block_refusals},
      {"write block option and add block", test_write_block},
      {"write block_b option and add data", test_write_block_b},
      {"refusals: BERT, big numbers, NULL", test_block_refusals},
      {NULL, NULL},
  };
  capi_add_suite("block", tests);
}
