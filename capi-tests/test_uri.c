/* coap_uri(3), coap_split_path/coap_split_query and coap_get_uri_path /
 * coap_get_query. Expected values were settled against Debian's libcoap
 * 4.3.1 unless a comment says otherwise. */
#include "capi.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int split(const char *s, coap_uri_t *u) {
  memset(u, 0, sizeof(*u));
  return coap_split_uri((const uint8_t *)s, strlen(s), u);
}

static int eq(coap_str_const_t s, const char *want) {
  return s.length == strlen(want) && (s.length == 0 || memcmp(s.s, want, s.length) == 0);
}

static void test_split_good(void) {
  coap_uri_t u;
  CU_ASSERT_EQUAL_FATAL(split("coap://host/a/b?x=1&y=2", &u), 0);
  CU_ASSERT(eq(u.host, "host") && u.port == 5683 && eq(u.path, "a/b") && eq(u.query, "x=1&y=2"));
  CU_ASSERT_EQUAL(u.scheme, COAP_URI_SCHEME_COAP);
  CU_ASSERT_EQUAL_FATAL(split("coaps://[::1]:99/p%41", &u), 0);
  CU_ASSERT(eq(u.host, "::1") && u.port == 99 && eq(u.path, "p%41") && u.query.s == NULL);
  CU_ASSERT_EQUAL(u.scheme, COAP_URI_SCHEME_COAPS);
  CU_ASSERT_EQUAL_FATAL(split("coap+tcp://h", &u), 0);
  CU_ASSERT(u.port == 5683 && u.path.s == NULL && u.path.length == 0);
  CU_ASSERT_EQUAL_FATAL(split("COAPS+TCP://H:", &u), 0);
  CU_ASSERT(u.scheme == COAP_URI_SCHEME_COAPS_TCP && u.port == 5684);
  CU_ASSERT_EQUAL_FATAL(split("coap://h/", &u), 0);
  CU_ASSERT(u.path.s == NULL);
  CU_ASSERT_EQUAL_FATAL(split("coap://h/?", &u), 0);
  CU_ASSERT(u.query.s != NULL && u.query.length == 0);
  CU_ASSERT_EQUAL_FATAL(split("coap://h:65535", &u), 0);
  CU_ASSERT_EQUAL(u.port, 65535);
  CU_ASSERT_EQUAL_FATAL(split("coap://h:0", &u), 0);
  CU_ASSERT_EQUAL(u.port, 0);
  /* libcoap takes the path as "/" here rather than refusing it. */
  CU_ASSERT_EQUAL_FATAL(split("coap://p://", &u), 0);
  CU_ASSERT(eq(u.host, "p") && u.port == 5683 && eq(u.path, "/"));
  CU_ASSERT_EQUAL_FATAL(split("coap://%2Ftmp%2Fsock/a", &u), 0);
  CU_ASSERT(eq(u.host, "%2Ftmp%2Fsock") && eq(u.path, "a"));
  /* Escapes are checked when the path is split, not here. */
  CU_ASSERT_EQUAL_FATAL(split("coap://h/%A", &u), 0);
  CU_ASSERT(eq(u.path, "%A"));
  /* A path alone: coap, no host, the default port (libcoap takes it so). */
  CU_ASSERT_EQUAL_FATAL(split("/a/b?c", &u), 0);
  CU_ASSERT(u.host.length == 0 && u.port == 5683 && eq(u.path, "a/b") && eq(u.query, "c"));
  CU_ASSERT_EQUAL(u.scheme, COAP_URI_SCHEME_COAP);
  /* Only the first len bytes count. */
  CU_ASSERT_EQUAL(coap_split_uri((const uint8_t *)"coap://host:1234/abc", 13, &u), 0);
  CU_ASSERT(eq(u.host, "host") && u.port == 1);
}

static void test_split_proxy(void) {
  coap_uri_t u;
  memset(&u, 0, sizeof(u));
  CU_ASSERT_EQUAL_FATAL(coap_split_proxy_uri((const uint8_t *)"https://h:8080/p", 16, &u), 0);
  CU_ASSERT(u.scheme == COAP_URI_SCHEME_HTTPS && u.port == 8080 && eq(u.path, "p"));
  CU_ASSERT_EQUAL_FATAL(coap_split_proxy_uri((const uint8_t *)"http://h", 8, &u), 0);
  CU_ASSERT(u.scheme == COAP_URI_SCHEME_HTTP && u.port == 80);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(split("http://h", &u), -1);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
}

/* Each bad URI is refused with libcoap's code and one log line. */
static void test_split_bad(void) {
  static const struct {
    const char *uri;
    int code;
  } bad[] = {
      {"", -1},           {"coap://", -3},       {"foo://h", -1},      {"coap:/h", -2},
      {"coap", -2},       {"coap+xyz://h", -2},  {"coap://[::1", -3},  {"coap://[]", -3},
      {"coap://[::1]x", -1}, {"coap://h:65536", -4}, {"coap://h:99999999999", -4},
      {"coap://h:abc", -1}, {"coap://h:12a/x", -1}, {"coap://h:-1", -1}, {"coap://:80/", -3},
      {"coap://h:80:90/", -1}, {" coap://h", -1},
      /* Not built with WebSockets: refused as libcoap 4.3.1 refuses them. */
      {"coap+ws://h", -2},
  };
  char host[300];
  coap_uri_t u;
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    capi_log_capture_start();
    CU_ASSERT_EQUAL(split(bad[i].uri, &u), bad[i].code);
    CU_ASSERT_EQUAL(capi_log_calls, 1);
    capi_log_capture_stop();
  }
  /* CVE-2025-34468: a host over 255 bytes is refused (4.3.1 accepted it). */
  strcpy(host, "coap://");
  memset(host + 7, 'a', 256);
  strcpy(host + 263, "/p");
  capi_log_capture_start();
  CU_ASSERT_EQUAL(split(host, &u), -3);
  CU_ASSERT(capi_log_contains("255"));
  host[262] = '/';
  host[263] = '\0';
  CU_ASSERT_EQUAL(split(host, &u), 0);
  CU_ASSERT_EQUAL(u.host.length, 255);
  /* A failed split leaves the struct cleared, with the default port. */
  memset(&u, 0x5a, sizeof(u));
  CU_ASSERT_EQUAL(coap_split_uri((const uint8_t *)"coap://h:65536", 14, &u), -4);
  CU_ASSERT(u.host.length == 0 && u.path.length == 0 && u.query.length == 0);
  CU_ASSERT_EQUAL(u.port, COAP_DEFAULT_PORT);
  CU_ASSERT_EQUAL(u.scheme, COAP_URI_SCHEME_COAP);
  /* NULL arguments. */
  capi_log_calls = 0;
  CU_ASSERT_EQUAL(coap_split_uri(NULL, 5, &u), -1);
  CU_ASSERT_EQUAL(coap_split_uri((const uint8_t *)"coap://h", 8, NULL), -1);
  CU_ASSERT_EQUAL(coap_split_proxy_uri(NULL, 3, &u), -1);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
}

static void test_new_clone_delete(void) {
  const char *s = "coap://h/a/b?x=1&y=2";
  coap_uri_t *u = coap_new_uri((const uint8_t *)s, (unsigned)strlen(s));
  coap_uri_t *c;
  CU_ASSERT_PTR_NOT_NULL_FATAL(u);
  CU_ASSERT(eq(u->host, "h") && eq(u->path, "a/b") && eq(u->query, "x=1&y=2"));
  /* One block: the text follows the struct. */
  CU_ASSERT((const uint8_t *)u->host.s > (const uint8_t *)u && (const uint8_t *)u->host.s < (const uint8_t *)u + 100);
  c = coap_clone_uri(u);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  coap_delete_uri(u);
  CU_ASSERT(eq(c->host, "h") && eq(c->path, "a/b") && eq(c->query, "x=1&y=2") && c->port == 5683);
  coap_delete_uri(c);

  u = coap_new_uri((const uint8_t *)"coap://h/?", 10);
  CU_ASSERT_PTR_NOT_NULL_FATAL(u);
  CU_ASSERT(u->query.s != NULL && u->query.length == 0);
  c = coap_clone_uri(u);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT(c->query.s == NULL && c->path.s == NULL); /* empty parts clone as {0, NULL} */
  coap_delete_uri(c);
  coap_delete_uri(u);

  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_new_uri((const uint8_t *)"coap://", 7));
  CU_ASSERT_PTR_NULL(coap_new_uri(NULL, 4));
  CU_ASSERT_PTR_NULL(coap_clone_uri(NULL));
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
  coap_delete_uri(NULL);
}

/* The option-encoded segments coap_split_path/query write, as hex. */
static int run_split(int query, const char *s, size_t cap, char *hex) {
  unsigned char buf[512];
  size_t len = cap, i;
  int r = query ? coap_split_query((const uint8_t *)s, strlen(s), buf, &len)
                : coap_split_path((const uint8_t *)s, strlen(s), buf, &len);
  hex[0] = '\0';
  for (i = 0; r >= 0 && i < len; i++)
    sprintf(hex + 2 * i, "%02x", buf[i]);
  return r;
}

static void test_split_path_query(void) {
  static const struct {
    int query;
    const char *in;
    size_t cap;
    int count;
    const char *hex;
  } cases[] = {
      {0, "a/b/c", 100, 3, "016101620163"},
      {0, "/a/b", 100, 3, "0001610162"},
      {0, "", 100, 1, "00"},
      {0, ".", 100, 0, ""},
      {0, "a/./b/../c", 100, 3, "016101620163"},
      {0, "%41%2fb", 100, 1, "03412f62"},
      {0, "a?b", 100, 1, "0161"},
      {0, "a#b", 100, 1, "0161"},
      {0, "a&b", 100, 1, "03612662"},
      {1, "a=1&b=2", 100, 2, "03613d3103623d32"},
      {1, "a/b?c", 100, 1, "05612f623f63"},
      {1, "&", 100, 2, "0000"},
      {1, "..", 100, 1, "022e2e"},
      {1, "a%26b&c", 100, 2, "036126620163"},
      /* Segments that do not fit are left out; later ones still go in. */
      {0, "abc/d/e", 3, 1, "0164"},
      {0, "ab/cd", 4, 1, "026162"},
      {0, "ab/cd", 6, 2, "026162026364"},
      {0, "ab/cd", 0, 0, ""},
  };
  char hex[1100];
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    CU_ASSERT_EQUAL(run_split(cases[i].query, cases[i].in, cases[i].cap, hex), cases[i].count);
    CU_ASSERT_STRING_EQUAL(hex, cases[i].hex);
  }
}

static void test_split_bad_escapes_and_args(void) {
  char hex[1100];
  size_t len = 10;
  unsigned char buf[10];
  capi_log_capture_start();
  /* Truncated or non-hex escapes drop their component, with a log line. */
  CU_ASSERT_EQUAL(run_split(0, "%A", 100, hex), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(run_split(0, "x/%A/y", 100, hex), 2);
  CU_ASSERT_STRING_EQUAL(hex, "01780179");
  CU_ASSERT_EQUAL(run_split(1, "a%2&b", 100, hex), 1);
  CU_ASSERT_STRING_EQUAL(hex, "0162");
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  /* A buffer too small is said too. */
  capi_log_calls = 0;
  CU_ASSERT_EQUAL(run_split(0, "ab/cd", 4, hex), 1);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_calls = 0;
  CU_ASSERT_EQUAL(coap_split_path(NULL, 3, buf, &len), -1);
  CU_ASSERT_EQUAL(coap_split_path((const uint8_t *)"a", 1, buf, NULL), -1);
  CU_ASSERT_EQUAL(coap_split_query((const uint8_t *)"a", 1, NULL, &len), -1);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
}

static int chain_is(coap_optlist_t *l, const char *const *want) {
  for (; *want; want += 2, l = l->next) {
    int num = atoi(*want);
    size_t n = strlen(want[1]);
    if (!l || l->number != num || l->length != n || memcmp(l->data, want[1], n) != 0)
      return 0;
  }
  return l == NULL;
}

static void test_uri_into_options(void) {
  const char *s = "coap://example.net:61616/.well-known/./core?rt=temp&if=a%20b";
  static const char *const want[] = {"3", "example.net", "7", "\xf0\xb0", "11", ".well-known", "11", "core",
                                     "15", "rt=temp", "15", "if=a b", NULL};
  static const char *const no_host[] = {"11", "p", NULL};
  coap_optlist_t *chain = NULL;
  coap_address_t dst;
  uint8_t buf[100];
  coap_uri_t u;
  CU_ASSERT_EQUAL_FATAL(split(s, &u), 0);
  coap_address_init(&dst);
  dst.addr.sin.sin_family = AF_INET;
  dst.addr.sin.sin_addr.s_addr = htonl(0x7f000001);
  dst.size = sizeof(dst.addr.sin);
  CU_ASSERT_EQUAL(coap_uri_into_options(&u, &dst, &chain, 1, buf, sizeof(buf)), 0);
  CU_ASSERT(chain_is(chain, want));
  coap_delete_optlist(chain);
  chain = NULL;
  /* The host matches dst: no Uri-Host; default port: no Uri-Port. */
  CU_ASSERT_EQUAL_FATAL(split("coap://127.0.0.1/p", &u), 0);
  CU_ASSERT_EQUAL(coap_uri_into_options(&u, &dst, &chain, 1, buf, sizeof(buf)), 0);
  CU_ASSERT(chain_is(chain, no_host));
  coap_delete_optlist(chain);
  chain = NULL;
  /* Without create_port_host_opt only path and query. */
  CU_ASSERT_EQUAL_FATAL(split("coap://h:99/p", &u), 0);
  CU_ASSERT_EQUAL(coap_uri_into_options(&u, &dst, &chain, 0, buf, sizeof(buf)), 0);
  CU_ASSERT(chain_is(chain, no_host));
  coap_delete_optlist(chain);
  chain = NULL;

  capi_log_capture_start();
  /* Scratch buffer smaller than the path: refused, chain untouched. */
  CU_ASSERT_EQUAL_FATAL(split("coap://h/abcdef", &u), 0);
  CU_ASSERT(coap_uri_into_options(&u, NULL, &chain, 1, buf, 3) < 0);
  CU_ASSERT_PTR_NULL(chain);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  /* A segment with a truncated escape is left out, as coap_split_path()
   * leaves it out (and libcoap does); the rest still goes. */
  CU_ASSERT_EQUAL_FATAL(split("coap://h/a/%A", &u), 0);
  CU_ASSERT_EQUAL(coap_uri_into_options(&u, NULL, &chain, 0, buf, sizeof(buf)), 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(chain);
  CU_ASSERT_EQUAL(chain->number, COAP_OPTION_URI_PATH);
  CU_ASSERT(chain->length == 1 && chain->data[0] == 'a');
  CU_ASSERT_PTR_NULL(chain->next);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  coap_delete_optlist(chain);
  chain = NULL;
  CU_ASSERT(coap_uri_into_options(NULL, NULL, &chain, 1, buf, sizeof(buf)) < 0);
  CU_ASSERT(coap_uri_into_options(&u, NULL, NULL, 1, buf, sizeof(buf)) < 0);
  CU_ASSERT_EQUAL(capi_log_calls, 4);
  capi_log_capture_stop();
}

static void test_get_path_and_query(void) {
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 1000);
  coap_string_t *s;
  CU_ASSERT_PTR_NOT_NULL_FATAL(pdu);
  /* No options: an empty path, no query. */
  s = coap_get_uri_path(pdu);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT(s->length == 0 && s->s[0] == '\0');
  coap_delete_string(s);
  CU_ASSERT_PTR_NULL(coap_get_query(pdu));
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, (const uint8_t *)"a");
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"b/c");
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 0, NULL);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"x y%");
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"\x01\xff?");
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, 3, (const uint8_t *)"a=1");
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, 5, (const uint8_t *)"b&c=/");
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, 6, (const uint8_t *)"x y%?#");
  s = coap_get_uri_path(pdu);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_STRING_EQUAL((const char *)s->s, "a/b%2Fc//x%20y%25/%01%FF%3F");
  CU_ASSERT_EQUAL(s->length, 27);
  /* Allocated as coap_new_string: data right after the header. */
  CU_ASSERT_PTR_EQUAL(s->s, (uint8_t *)s + sizeof(coap_string_t));
  coap_delete_string(s);
  s = coap_get_query(pdu);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_STRING_EQUAL((const char *)s->s, "a=1&b&c=/&x%20y%25?%23");
  coap_delete_string(s);
  coap_delete_pdu(pdu);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_get_uri_path(NULL));
  CU_ASSERT_PTR_NULL(coap_get_query(NULL));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
}

void register_uri(void) {
  static const capi_test_t tests[] = {
      {"split good URIs", test_split_good},
      {"split proxy URIs", test_split_proxy},
      {"split bad URIs", test_split_bad},
      {"new, clone, delete", test_new_clone_delete},
      {"split path and query", test_split_path_query},
      {"split: bad escapes and arguments", test_split_bad_escapes_and_args},
      {"uri into options", test_uri_into_options},
      {"get uri path and query", test_get_path_and_query},
      {NULL, NULL},
  };
  capi_add_suite("uri", tests);
}
