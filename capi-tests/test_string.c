/* coap_string(3): strings, constant strings and binary data. */
#include "capi.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void test_new_string(void) {
  coap_string_t *s = coap_new_string(5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->length, 5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->s);
  CU_ASSERT_EQUAL(s->s[5], '\0');
  /* One block: the data follows the header. */
  CU_ASSERT_PTR_EQUAL(s->s, (uint8_t *)(s + 1));
  memcpy(s->s, "hello", 5);
  CU_ASSERT_STRING_EQUAL((char *)s->s, "hello");
  coap_delete_string(s);
}

static void test_new_string_empty(void) {
  coap_string_t *s = coap_new_string(0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->length, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->s);
  CU_ASSERT_EQUAL(s->s[0], '\0');
  coap_delete_string(s);
}

static void test_new_string_too_large(void) {
  size_t sizes[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 16, SIZE_MAX / 2 + 1};
  capi_log_capture_start();
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    capi_log_calls = 0;
    CU_ASSERT_PTR_NULL(coap_new_string(sizes[i]));
    CU_ASSERT_EQUAL(capi_log_calls, 1);
    CU_ASSERT_EQUAL(capi_log_level, COAP_LOG_WARN);
    CU_ASSERT(capi_log_contains("coap_new_string"));
  }
  capi_log_capture_stop();
}

static void test_string_freed_by_coap_free(void) {
  coap_string_t *s = coap_new_string(3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  coap_free(s); /* one block, so libcoap's own release works too */
}

static void test_delete_null(void) {
  capi_log_capture_start();
  coap_delete_string(NULL);
  coap_delete_str_const(NULL);
  coap_delete_binary(NULL);
  coap_delete_bin_const(NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 0);
  capi_log_capture_stop();
}

static void test_new_str_const(void) {
  uint8_t src[] = "abcdef";
  coap_str_const_t *c = coap_new_str_const(src, 3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_EQUAL(c->length, 3);
  CU_ASSERT_STRING_EQUAL((const char *)c->s, "abc"); /* NUL added */
  CU_ASSERT_PTR_EQUAL(c->s, (const uint8_t *)(c + 1));
  src[0] = 'X'; /* a copy, not a reference */
  CU_ASSERT_EQUAL(c->s[0], 'a');
  coap_delete_str_const(c);
}

static void test_new_str_const_empty(void) {
  coap_str_const_t *c = coap_new_str_const(NULL, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_EQUAL(c->length, 0);
  CU_ASSERT_EQUAL(c->s[0], '\0');
  coap_delete_str_const(c);
  c = coap_new_str_const((const uint8_t *)"", 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_EQUAL(c->length, 0);
  coap_delete_str_const(c);
}

static void test_new_str_const_bad(void) {
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_new_str_const(NULL, 4));
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  /* The size is refused before the one-byte source is read. */
  CU_ASSERT_PTR_NULL(coap_new_str_const((const uint8_t *)"x", SIZE_MAX));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT_PTR_NULL(coap_new_str_const((const uint8_t *)"x", SIZE_MAX - 16));
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
}

static void test_make_str_const_cycles(void) {
  const char *a = "first", *b = "second", *c = "3";
  coap_str_const_t *p1 = coap_make_str_const(a);
  coap_str_const_t *p2 = coap_make_str_const(b);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p2);
  CU_ASSERT_PTR_NOT_EQUAL(p1, p2);
  /* Both usable in one call. */
  CU_ASSERT_EQUAL(p1->length, 5);
  CU_ASSERT_PTR_EQUAL(p1->s, (const uint8_t *)a); /* no copy */
  CU_ASSERT_EQUAL(p2->length, 6);
  CU_ASSERT_PTR_EQUAL(p2->s, (const uint8_t *)b);
  /* The third call reuses the first entry. */
  coap_str_const_t *p3 = coap_make_str_const(c);
  CU_ASSERT_PTR_EQUAL(p3, p1);
  CU_ASSERT_EQUAL(p1->length, 1);
  CU_ASSERT_PTR_EQUAL(p1->s, (const uint8_t *)c);
  CU_ASSERT_EQUAL(p2->length, 6);
  CU_ASSERT_PTR_EQUAL(coap_make_str_const(""), p2);
  CU_ASSERT_EQUAL(p2->length, 0);
}

static void test_make_str_const_null(void) {
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_make_str_const(NULL));
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("coap_make_str_const"));
  capi_log_capture_stop();
}

static void test_string_equal_macro(void) {
  coap_str_const_t *x = coap_new_str_const((const uint8_t *)"same", 4);
  coap_str_const_t *y = coap_new_str_const((const uint8_t *)"same", 4);
  coap_str_const_t *z = coap_new_str_const((const uint8_t *)"samE", 4);
  CU_ASSERT_PTR_NOT_NULL_FATAL(x);
  CU_ASSERT_PTR_NOT_NULL_FATAL(y);
  CU_ASSERT_PTR_NOT_NULL_FATAL(z);
  CU_ASSERT_TRUE(coap_string_equal(x, y));
  CU_ASSERT_FALSE(coap_string_equal(x, z));
  CU_ASSERT_TRUE(coap_string_equal(x, coap_make_str_const("same")));
  coap_delete_str_const(x);
  coap_delete_str_const(y);
  coap_delete_str_const(z);
}

static void test_new_binary(void) {
  coap_binary_t *b = coap_new_binary(4);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL(b->length, 4);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b->s);
  memcpy(b->s, "\x00\x01\x02\x03", 4);
  CU_ASSERT_EQUAL(b->s[3], 3);
  coap_delete_binary(b);
  b = coap_new_binary(0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL(b->length, 0);
  coap_delete_binary(b);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_new_binary(SIZE_MAX));
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
}

static void test_resize_binary_keeps_data(void) {
  coap_binary_t *b = coap_new_binary(4);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  memcpy(b->s, "abcd", 4);
  /* Grow far enough that the block must move. */
  b = coap_resize_binary(b, 1 << 20);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL(b->length, 1 << 20);
  CU_ASSERT_PTR_EQUAL(b->s, (uint8_t *)(b + 1));
  CU_ASSERT(memcmp(b->s, "abcd", 4) == 0);
  b->s[(1 << 20) - 1] = 0x5a;
  b = coap_resize_binary(b, 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL(b->length, 2);
  CU_ASSERT(memcmp(b->s, "ab", 2) == 0);
  b = coap_resize_binary(b, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL(b->length, 0);
  coap_delete_binary(b);
}

static void test_resize_binary_null_allocates(void) {
  coap_binary_t *b = coap_resize_binary(NULL, 10);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL(b->length, 10);
  memset(b->s, 7, 10);
  coap_delete_binary(b);
}

static void test_resize_binary_too_large(void) {
  coap_binary_t *b = coap_new_binary(3);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  memcpy(b->s, "xyz", 3);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_resize_binary(b, SIZE_MAX));
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_PTR_NULL(coap_resize_binary(b, SIZE_MAX / 2 + 1));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
  /* The original is untouched and still owned by the caller. */
  CU_ASSERT_EQUAL(b->length, 3);
  CU_ASSERT(memcmp(b->s, "xyz", 3) == 0);
  coap_delete_binary(b);
}

static void test_binary_equal_macro(void) {
  coap_binary_t *x = coap_new_binary(2), *y = coap_new_binary(2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(x);
  CU_ASSERT_PTR_NOT_NULL_FATAL(y);
  memcpy(x->s, "\x01\x02", 2);
  memcpy(y->s, "\x01\x02", 2);
  CU_ASSERT_TRUE(coap_binary_equal(x, y));
  y->s[1] = 3;
  CU_ASSERT_FALSE(coap_binary_equal(x, y));
  coap_delete_binary(x);
  coap_delete_binary(y);
}

static void test_new_bin_const(void) {
  uint8_t src[3] = {0, 0xff, 7};
  coap_bin_const_t *c = coap_new_bin_const(src, sizeof(src));
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_EQUAL(c->length, 3);
  CU_ASSERT(memcmp(c->s, src, 3) == 0);
  CU_ASSERT_EQUAL(c->s[3], 0); /* trailing NUL */
  src[1] = 1;
  CU_ASSERT_EQUAL(c->s[1], 0xff);
  coap_delete_bin_const(c);
  c = coap_new_bin_const(NULL, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_EQUAL(c->length, 0);
  coap_delete_bin_const(c);
}

static void test_new_bin_const_bad(void) {
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_new_bin_const(NULL, 3));
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_PTR_NULL(coap_new_bin_const((const uint8_t *)"x", SIZE_MAX));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT(capi_log_contains("coap_new_bin_const"));
  capi_log_capture_stop();
}

void register_string(void) {
  static const capi_test_t tests[] = {
      {"coap_new_string", test_new_string},
      {"coap_new_string(0)", test_new_string_empty},
      {"coap_new_string too large", test_new_string_too_large},
      {"a string is one block for coap_free", test_string_freed_by_coap_free},
      {"coap_delete_* of NULL", test_delete_null},
      {"coap_new_str_const copies", test_new_str_const},
      {"coap_new_str_const empty", test_new_str_const_empty},
      {"coap_new_str_const bad arguments", test_new_str_const_bad},
      {"coap_make_str_const cycles two entries", test_make_str_const_cycles},
      {"coap_make_str_const(NULL)", test_make_str_const_null},
      {"coap_string_equal", test_string_equal_macro},
      {"coap_new_binary", test_new_binary},
      {"coap_resize_binary keeps data", test_resize_binary_keeps_data},
      {"coap_resize_binary(NULL)", test_resize_binary_null_allocates},
      {"coap_resize_binary too large", test_resize_binary_too_large},
      {"coap_binary_equal", test_binary_equal_macro},
      {"coap_new_bin_const copies", test_new_bin_const},
      {"coap_new_bin_const bad arguments", test_new_bin_const_bad},
      {NULL, NULL}};
  capi_add_suite("string", tests);
}
