/* The clock (coap_time.h) and random numbers (coap_prng.h). */
#include "capi.h"
#include <string.h>
#include <time.h>
#include <unistd.h>

static void test_ticks_advance(void) {
  coap_tick_t a, b;
  coap_ticks(&a);
  usleep(30000);
  coap_ticks(&b);
  CU_ASSERT(b >= a + 25);
  CU_ASSERT(b < a + 2000);
  CU_ASSERT_EQUAL(COAP_TICKS_PER_SECOND, 1000);
}

static void test_real_time_conversions(void) {
  coap_tick_t now;
  time_t wall = time(NULL);
  uint64_t us;
  coap_ticks(&now);
  CU_ASSERT(coap_ticks_to_rt(now) >= wall - 1 && coap_ticks_to_rt(now) <= wall + 1);
  us = coap_ticks_to_rt_us(now);
  CU_ASSERT_EQUAL(us / 1000000, (uint64_t)coap_ticks_to_rt(now));
  CU_ASSERT_EQUAL(coap_ticks_from_rt_us(us), now);
  CU_ASSERT_EQUAL(coap_ticks_from_rt_us(0), 0);
}

static void test_clock_init_keeps_origin(void) {
  coap_tick_t a, b;
  coap_ticks(&a);
  coap_clock_init();
  coap_ticks(&b);
  CU_ASSERT(b >= a);
}

static void test_ticks_null(void) {
  capi_log_capture_start();
  coap_ticks(NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
}

static void test_time_compare_wraps(void) {
  CU_ASSERT_TRUE(coap_time_lt(1, 2));
  CU_ASSERT_FALSE(coap_time_lt(2, 2));
  CU_ASSERT_TRUE(coap_time_le(2, 2));
  CU_ASSERT_TRUE(coap_time_lt(UINT64_MAX - 5, 3)); /* across the wrap */
}

static void test_prng_fills(void) {
  unsigned char a[64], b[64], zero[64];
  memset(a, 0, sizeof(a));
  memset(b, 0, sizeof(b));
  memset(zero, 0, sizeof(zero));
  CU_ASSERT_EQUAL(coap_prng(a, sizeof(a)), 1);
  CU_ASSERT_EQUAL(coap_prng(b, sizeof(b)), 1);
  CU_ASSERT(memcmp(a, b, sizeof(a)) != 0);
  CU_ASSERT(memcmp(a, zero, sizeof(a)) != 0);
  coap_prng_init(42);
  CU_ASSERT_EQUAL(coap_prng(a, sizeof(a)), 1);
}

static void test_prng_bad_args(void) {
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_prng(NULL, 4), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_prng(NULL, 0), 1);
  capi_log_capture_stop();
}

static int custom_calls;
static int counting_rng(void *out, size_t len) {
  unsigned char *p = out;
  for (size_t i = 0; i < len; i++)
    p[i] = (unsigned char)i;
  custom_calls++;
  return 1;
}
static int failing_rng(void *out, size_t len) {
  (void)out;
  (void)len;
  return 0;
}

static void test_custom_prng(void) {
  unsigned char buf[4];
  coap_set_prng(counting_rng);
  CU_ASSERT_EQUAL(coap_prng(buf, sizeof(buf)), 1);
  CU_ASSERT_EQUAL(custom_calls, 1);
  CU_ASSERT(buf[0] == 0 && buf[1] == 1 && buf[2] == 2 && buf[3] == 3);
  coap_set_prng(failing_rng);
  CU_ASSERT_EQUAL(coap_prng(buf, sizeof(buf)), 0);
  coap_set_prng(NULL);
  CU_ASSERT_EQUAL(coap_prng(buf, sizeof(buf)), 1);
  CU_ASSERT_EQUAL(custom_calls, 1);
}

void register_time_prng(void) {
  static const capi_test_t tests[] = {
      {"ticks advance in milliseconds", test_ticks_advance},
      {"real-time conversions", test_real_time_conversions},
      {"coap_clock_init keeps the origin", test_clock_init_keeps_origin},
      {"coap_ticks(NULL)", test_ticks_null},
      {"coap_time_lt/le across the wrap", test_time_compare_wraps},
      {"coap_prng fills with random bytes", test_prng_fills},
      {"coap_prng bad arguments", test_prng_bad_args},
      {"coap_set_prng", test_custom_prng},
      {NULL, NULL}};
  capi_add_suite("time_prng", tests);
}
