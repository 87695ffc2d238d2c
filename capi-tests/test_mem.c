/* coap_mem.h: libcoap's allocator entry points (malloc/realloc/free). */
#include "capi.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void test_malloc_realloc_free(void) {
  char *p = coap_malloc_type(COAP_STRING, 16);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  memcpy(p, "0123456789abcdef", 16);
  p = coap_realloc_type(COAP_STRING, p, 1 << 20);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT(memcmp(p, "0123456789abcdef", 16) == 0);
  p[(1 << 20) - 1] = 'z';
  p = coap_realloc_type(COAP_STRING, p, 4);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT(memcmp(p, "0123", 4) == 0);
  coap_free_type(COAP_STRING, p);
}

static void test_tags_are_ignored(void) {
  void *a = coap_malloc_type(COAP_PDU, 8);
  void *b = coap_malloc_type(COAP_SESSION, 8);
  void *c = coap_malloc_type((coap_memory_tag_t)999, 8);
  CU_ASSERT_PTR_NOT_NULL(a);
  CU_ASSERT_PTR_NOT_NULL(b);
  CU_ASSERT_PTR_NOT_NULL(c);
  /* Freed under other tags than allocated: the tag is statistics only. */
  coap_free_type(COAP_STRING, a);
  coap_free_type((coap_memory_tag_t)12345, b);
  coap_free_type(COAP_PDU, c);
}

static void test_interchangeable_with_libc(void) {
  void *p = coap_malloc_type(COAP_STRING, 32);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  free(p);
  p = malloc(32);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  coap_free_type(COAP_STRING, p);
  p = coap_malloc(10); /* the header's inline wrappers */
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  coap_free(p);
}

static void test_realloc_null_and_zero(void) {
  char *p = coap_realloc_type(COAP_STRING, NULL, 8); /* like malloc */
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  memset(p, 1, 8);
  CU_ASSERT_PTR_NULL(coap_realloc_type(COAP_STRING, p, 0)); /* frees p */
  CU_ASSERT_PTR_NULL(coap_realloc_type(COAP_STRING, NULL, 0));
}

static void test_free_null(void) {
  capi_log_capture_start();
  coap_free_type(COAP_STRING, NULL);
  coap_free(NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 0);
  capi_log_capture_stop();
}

static void test_malloc_zero(void) {
  void *p = coap_malloc_type(COAP_STRING, 0); /* NULL or unique: both free()able */
  coap_free_type(COAP_STRING, p);
}

static void test_too_large(void) {
  char *p = coap_malloc_type(COAP_STRING, 4);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  memcpy(p, "keep", 4);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_malloc_type(COAP_STRING, SIZE_MAX));
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("coap_malloc_type"));
  CU_ASSERT_PTR_NULL(coap_malloc_type(COAP_STRING, (SIZE_MAX >> 1) + 1));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT_PTR_NULL(coap_realloc_type(COAP_STRING, p, SIZE_MAX));
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  CU_ASSERT(capi_log_contains("coap_realloc_type"));
  capi_log_capture_stop();
  /* A failed realloc leaves the block as it was. */
  CU_ASSERT(memcmp(p, "keep", 4) == 0);
  coap_free_type(COAP_STRING, p);
}

void register_mem(void) {
  static const capi_test_t tests[] = {
      {"malloc, realloc, free", test_malloc_realloc_free},
      {"tags are statistics only", test_tags_are_ignored},
      {"interchangeable with malloc/free", test_interchangeable_with_libc},
      {"realloc of NULL and to 0", test_realloc_null_and_zero},
      {"free of NULL", test_free_null},
      {"malloc of 0 bytes", test_malloc_zero},
      {"too large requests", test_too_large},
      {NULL, NULL}};
  capi_add_suite("mem", tests);
}
