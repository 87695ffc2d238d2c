/* coap_resource(3) and coap_attribute(3) without any traffic: links,
 * attributes, user data and its release, deletion. */
#include "capi.h"
#include <string.h>

static char out[256];

static coap_print_status_t print(coap_resource_t *r, size_t buflen, size_t *offset, size_t *len) {
  coap_print_status_t st;
  memset(out, '#', sizeof(out));
  *len = buflen;
  st = coap_print_link(r, (unsigned char *)out, len, offset);
  out[COAP_PRINT_OUTPUT_LENGTH(st)] = '\0';
  return st;
}

static void test_print_link(void) {
  coap_context_t *ctx = coap_new_context(NULL);
  coap_resource_t *r = coap_resource_init(coap_make_str_const("time"), 0);
  coap_resource_t *root = coap_resource_init(NULL, 0);
  size_t off = 0, len;
  coap_print_status_t st;
  coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const("\"ticks\""), 0);
  coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const("0"), 0);
  coap_resource_set_get_observable(r, 1);
  coap_add_resource(ctx, r);
  coap_add_resource(ctx, root);
  /* Expected values recorded from Debian's libcoap 4.3.1. */
  st = print(r, 100, &off, &len);
  CU_ASSERT_STRING_EQUAL(out, "</time>;ct=0;rt=\"ticks\";obs");
  CU_ASSERT_EQUAL(st, 27);
  CU_ASSERT_EQUAL(len, 27);
  off = 3;
  st = print(r, 5, &off, &len);
  CU_ASSERT_STRING_EQUAL(out, "ime>;");
  CU_ASSERT_EQUAL(st, COAP_PRINT_STATUS_TRUNC | 5);
  CU_ASSERT_EQUAL(off, 0);
  off = 200;
  st = print(r, 100, &off, &len);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_EQUAL(off, 173);
  off = 0;
  st = print(root, 100, &off, &len);
  CU_ASSERT_STRING_EQUAL(out, "</>");
  capi_log_capture_start();
  CU_ASSERT(coap_print_link(NULL, (unsigned char *)out, &len, &off) & COAP_PRINT_STATUS_ERROR);
  CU_ASSERT(coap_print_link(r, (unsigned char *)out, NULL, &off) & COAP_PRINT_STATUS_ERROR);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
  coap_free_context(ctx);
}

static int str_is(const coap_str_const_t *s, const char *want) {
  return s && s->length == strlen(want) && memcmp(s->s, want, s->length) == 0;
}

static int released;
static void release_data(void *data) { released += *(int *)data; }

static void test_attributes_userdata_delete(void) {
  static int data = 5;
  coap_context_t *ctx = coap_new_context(NULL);
  coap_resource_t *r = coap_resource_init(coap_new_str_const((const uint8_t *)"a/b", 3), COAP_RESOURCE_FLAGS_RELEASE_URI);
  coap_attr_t *attr;
  coap_str_const_t *path;
  attr = coap_add_attr(r, coap_new_str_const((const uint8_t *)"title", 5), coap_new_str_const((const uint8_t *)"\"x\"", 3),
                       COAP_ATTR_FLAGS_RELEASE_NAME | COAP_ATTR_FLAGS_RELEASE_VALUE);
  CU_ASSERT_PTR_NOT_NULL_FATAL(attr);
  CU_ASSERT_PTR_EQUAL(coap_find_attr(r, coap_make_str_const("title")), attr);
  CU_ASSERT_PTR_NULL(coap_find_attr(r, coap_make_str_const("rt")));
  {
    /* Two of a name: the newest is found first, as in libcoap. */
    coap_attr_t *one = coap_add_attr(r, coap_make_str_const("if"), coap_make_str_const("one"), 0);
    coap_attr_t *two = coap_add_attr(r, coap_make_str_const("if"), coap_make_str_const("two"), 0);
    CU_ASSERT_PTR_NOT_NULL(one);
    CU_ASSERT_PTR_EQUAL(coap_find_attr(r, coap_make_str_const("if")), two);
  }
  CU_ASSERT(coap_attr_get_value(attr)->length == 3 && memcmp(coap_attr_get_value(attr)->s, "\"x\"", 3) == 0);
  path = coap_resource_get_uri_path(r);
  CU_ASSERT(path && path->length == 3 && memcmp(path->s, "a/b", 3) == 0);
  coap_resource_set_userdata(r, &data);
  CU_ASSERT_PTR_EQUAL(coap_resource_get_userdata(r), &data);
  coap_resource_release_userdata_handler(ctx, release_data);
  coap_add_resource(ctx, r);
  CU_ASSERT_PTR_EQUAL(coap_get_resource_from_uri_path(ctx, coap_make_str_const("a/b")), r);
  CU_ASSERT_EQUAL(coap_delete_resource(ctx, r), 1);
  CU_ASSERT_EQUAL(released, 5);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_delete_resource(ctx, r), 0); /* deleted twice: refused */
  CU_ASSERT_PTR_NULL(coap_resource_get_userdata(r));
  CU_ASSERT_PTR_NULL(coap_add_attr(NULL, coap_make_str_const("x"), NULL, 0));
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
  /* A resource added twice under one path replaces the first. */
  r = coap_resource_init(coap_make_str_const("dup"), 0);
  coap_add_resource(ctx, r);
  coap_add_resource(ctx, coap_resource_init(coap_make_str_const("dup"), 0));
  CU_ASSERT_PTR_NOT_EQUAL(coap_get_resource_from_uri_path(ctx, coap_make_str_const("dup")), r);
  /* Never-added resources can be deleted too, and everything left goes
   * with the context (valgrind checks nothing leaks). */
  CU_ASSERT_EQUAL(coap_delete_resource(ctx, coap_resource_init(coap_make_str_const("loose"), 0)), 1);
  r = coap_resource_unknown_init(NULL);
  CU_ASSERT(str_is(coap_resource_get_uri_path(r), "- Unknown -")); /* libcoap's names */
  coap_add_resource(ctx, r);
  {
    const char *names[] = {"proxy.example"};
    r = coap_resource_proxy_uri_init(NULL, 1, names);
    CU_ASSERT(str_is(coap_resource_get_uri_path(r), "- Proxy URI -"));
    coap_add_resource(ctx, r);
  }
  /* Their names are not paths: a resource by that name is another one. */
  CU_ASSERT_PTR_NULL(coap_get_resource_from_uri_path(ctx, coap_make_str_const("- Unknown -")));
  coap_free_context(ctx);
}

void register_resource(void) {
  static const capi_test_t tests[] = {
      {"coap_print_link like libcoap", test_print_link},
      {"attributes, user data, deletion", test_attributes_userdata_delete},
      {NULL, NULL}};
  capi_add_suite("resource", tests);
}
