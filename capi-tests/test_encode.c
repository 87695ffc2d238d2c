/* coap_encode.h: variable-length option integers and find-last-set. */
#include "capi.h"
#include <stdint.h>
#include <string.h>

typedef struct {
  uint64_t value;
  unsigned int len;
  const char *bytes;
} enc_case_t;

static const enc_case_t cases[] = {
    {0, 0, ""},
    {1, 1, "\x01"},
    {0xff, 1, "\xff"},
    {0x100, 2, "\x01\x00"},
    {0xffff, 2, "\xff\xff"},
    {0x10000, 3, "\x01\x00\x00"},
    {0xffffff, 3, "\xff\xff\xff"},
    {0x1000000, 4, "\x01\x00\x00\x00"},
    {0xffffffff, 4, "\xff\xff\xff\xff"},
    {0x100000000ULL, 5, "\x01\x00\x00\x00\x00"},
    {0xffffffffffULL, 5, "\xff\xff\xff\xff\xff"},
    {0x10000000000ULL, 6, "\x01\x00\x00\x00\x00\x00"},
    {0x1000000000000ULL, 7, "\x01\x00\x00\x00\x00\x00\x00"},
    {0x100000000000000ULL, 8, "\x01\x00\x00\x00\x00\x00\x00\x00"},
    {0xffffffffffffffffULL, 8, "\xff\xff\xff\xff\xff\xff\xff\xff"},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int untouched(const uint8_t *buf, size_t from, size_t to) {
  for (size_t i = from; i < to; i++)
    if (buf[i] != 0xee)
      return 0;
  return 1;
}

static void test_encode_var_safe(void) {
  uint8_t buf[8];
  for (size_t i = 0; i < NCASES && cases[i].value <= 0xffffffffU; i++) {
    memset(buf, 0xee, sizeof(buf));
    CU_ASSERT_EQUAL(coap_encode_var_safe(buf, 4, (unsigned int)cases[i].value), cases[i].len);
    CU_ASSERT(memcmp(buf, cases[i].bytes, cases[i].len) == 0);
    CU_ASSERT(untouched(buf, cases[i].len, sizeof(buf)));
    /* A buffer of exactly the needed size is enough. */
    memset(buf, 0xee, sizeof(buf));
    CU_ASSERT_EQUAL(coap_encode_var_safe(buf, cases[i].len, (unsigned int)cases[i].value),
                    cases[i].len);
    CU_ASSERT(memcmp(buf, cases[i].bytes, cases[i].len) == 0);
  }
}

static void test_encode_var_safe8(void) {
  uint8_t buf[10];
  for (size_t i = 0; i < NCASES; i++) {
    memset(buf, 0xee, sizeof(buf));
    CU_ASSERT_EQUAL(coap_encode_var_safe8(buf, 8, cases[i].value), cases[i].len);
    CU_ASSERT(memcmp(buf, cases[i].bytes, cases[i].len) == 0);
    CU_ASSERT(untouched(buf, cases[i].len, sizeof(buf)));
    memset(buf, 0xee, sizeof(buf));
    CU_ASSERT_EQUAL(coap_encode_var_safe8(buf, cases[i].len, cases[i].value), cases[i].len);
  }
  /* A buffer larger than any encoding (even "unbounded") is fine. */
  CU_ASSERT_EQUAL(coap_encode_var_safe8(buf, SIZE_MAX, 0x1234), 2);
  CU_ASSERT(buf[0] == 0x12 && buf[1] == 0x34);
}

static void test_encode_too_small(void) {
  uint8_t buf[8];
  capi_log_capture_start();
  for (size_t i = 1; i < NCASES; i++) {
    memset(buf, 0xee, sizeof(buf));
    capi_log_calls = 0;
    if (cases[i].value <= 0xffffffffU) {
      CU_ASSERT_EQUAL(coap_encode_var_safe(buf, cases[i].len - 1, (unsigned int)cases[i].value), 0);
      CU_ASSERT_EQUAL(capi_log_calls, 1);
      CU_ASSERT(capi_log_contains("too small"));
    }
    CU_ASSERT_EQUAL(coap_encode_var_safe8(buf, cases[i].len - 1, cases[i].value), 0);
    CU_ASSERT(capi_log_calls >= 1);
    CU_ASSERT(untouched(buf, 0, sizeof(buf)));
  }
  capi_log_capture_stop();
}

static void test_encode_zero_needs_no_buffer(void) {
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_encode_var_safe(NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(coap_encode_var_safe(NULL, 4, 0), 0);
  CU_ASSERT_EQUAL(coap_encode_var_safe8(NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 0);
  capi_log_capture_stop();
}

static void test_encode_null_buffer(void) {
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_encode_var_safe(NULL, 4, 1), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_encode_var_safe8(NULL, 8, 1ULL << 40), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
}

static void test_decode(void) {
  for (size_t i = 0; i < NCASES; i++) {
    const uint8_t *b = (const uint8_t *)cases[i].bytes;
    CU_ASSERT_EQUAL(coap_decode_var_bytes8(b, cases[i].len), cases[i].value);
    if (cases[i].len <= 4)
      CU_ASSERT_EQUAL(coap_decode_var_bytes(b, cases[i].len), (unsigned int)cases[i].value);
  }
  /* Leading zero bytes are allowed. */
  CU_ASSERT_EQUAL(coap_decode_var_bytes((const uint8_t *)"\x00\x00\x01", 3), 1);
  CU_ASSERT_EQUAL(coap_decode_var_bytes(NULL, 0), 0);
  CU_ASSERT_EQUAL(coap_decode_var_bytes8(NULL, 0), 0);
}

/* libcoap keeps the last 4 (8) bytes of longer input: checked against 4.3.1. */
static void test_decode_long_input(void) {
  const uint8_t d[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  CU_ASSERT_EQUAL(coap_decode_var_bytes(d, 5), 0x02030405);
  CU_ASSERT_EQUAL(coap_decode_var_bytes(d, 8), 0x05060708);
  CU_ASSERT_EQUAL(coap_decode_var_bytes(d, 12), 0x090a0b0c);
  CU_ASSERT_EQUAL(coap_decode_var_bytes8(d, 9), 0x0203040506070809ULL);
  CU_ASSERT_EQUAL(coap_decode_var_bytes8(d, 12), 0x05060708090a0b0cULL);
}

static void test_decode_null(void) {
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_decode_var_bytes(NULL, 2), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_decode_var_bytes8(NULL, 2), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
}

static void test_round_trip(void) {
  uint8_t buf[8];
  for (int shift = 0; shift < 64; shift++) {
    uint64_t vals[3] = {1ULL << shift, (1ULL << shift) - 1, (1ULL << shift) | 0x5a};
    for (int k = 0; k < 3; k++) {
      unsigned int n = coap_encode_var_safe8(buf, sizeof(buf), vals[k]);
      CU_ASSERT_EQUAL(coap_decode_var_bytes8(buf, n), vals[k]);
      CU_ASSERT_EQUAL((int)n, (coap_flsll((long long)vals[k]) + 7) / 8);
    }
  }
}

/* Results match libcoap 4.3.1 for all non-negative input. */
static void test_fls(void) {
  CU_ASSERT_EQUAL(coap_fls(0), 0);
  CU_ASSERT_EQUAL(coap_fls(1), 1);
  CU_ASSERT_EQUAL(coap_fls(2), 2);
  CU_ASSERT_EQUAL(coap_fls(3), 2);
  CU_ASSERT_EQUAL(coap_fls(0x80), 8);
  CU_ASSERT_EQUAL(coap_fls(0x100), 9);
  CU_ASSERT_EQUAL(coap_fls(0x7fffffff), 31);
  CU_ASSERT_EQUAL(coap_fls(0x80000000u), 32);
  CU_ASSERT_EQUAL(coap_fls(0xffffffffu), 32);
}

static void test_flsll(void) {
  CU_ASSERT_EQUAL(coap_flsll(0), 0);
  CU_ASSERT_EQUAL(coap_flsll(1), 1);
  CU_ASSERT_EQUAL(coap_flsll(0xff), 8);
  CU_ASSERT_EQUAL(coap_flsll(0x100000000LL), 33);
  CU_ASSERT_EQUAL(coap_flsll(0x7fffffffffffffffLL), 63);
  /* Negative: the sign bit is bit 64 (libcoap 4.3.1 never returns here). */
  CU_ASSERT_EQUAL(coap_flsll(-1), 64);
  CU_ASSERT_EQUAL(coap_flsll(INT64_MIN), 64);
}

void register_encode(void) {
  static const capi_test_t tests[] = {
      {"coap_encode_var_safe", test_encode_var_safe},
      {"coap_encode_var_safe8", test_encode_var_safe8},
      {"encode into too small a buffer", test_encode_too_small},
      {"encoding 0 needs no buffer", test_encode_zero_needs_no_buffer},
      {"encode into NULL", test_encode_null_buffer},
      {"coap_decode_var_bytes(8)", test_decode},
      {"decode of long input keeps the last bytes", test_decode_long_input},
      {"decode from NULL", test_decode_null},
      {"encode/decode round trip", test_round_trip},
      {"coap_fls", test_fls},
      {"coap_flsll", test_flsll},
      {NULL, NULL}};
  capi_add_suite("encode", tests);
}
