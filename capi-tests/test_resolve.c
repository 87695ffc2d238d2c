/* coap_resolve_address_info, coap_free_address_info and
 * coap_get_available_scheme_hint_bits (coap_address(3)). Schemes answer
 * only as far as coap_*_is_supported() say the build can serve them. */
#include "capi.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>

static coap_str_const_t str(const char *s) {
  coap_str_const_t r;
  r.s = (const uint8_t *)s;
  r.length = strlen(s);
  return r;
}

static int count(const coap_addr_info_t *i) {
  int n = 0;
  for (; i; i = i->next)
    n++;
  return n;
}

static void test_hint_bits(void) {
  uint32_t coaps = coap_dtls_is_supported() ? COAP_URI_SCHEME_COAPS_BIT : 0;
  uint32_t tcp = coap_tcp_is_supported() ? COAP_URI_SCHEME_COAP_TCP_BIT : 0;
  uint32_t tls = coap_tls_is_supported() ? COAP_URI_SCHEME_COAPS_TCP_BIT : 0;
  uint32_t ws = coap_ws_is_supported() ? COAP_URI_SCHEME_COAP_WS_BIT : 0;
  uint32_t wss = coap_wss_is_supported() ? COAP_URI_SCHEME_COAPS_WS_BIT : 0;
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(0, 0, COAP_PROTO_NONE), COAP_URI_SCHEME_COAP_BIT | tcp);
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(1, 0, COAP_PROTO_NONE),
                  COAP_URI_SCHEME_COAP_BIT | coaps | tcp | tls);
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(0, 1, COAP_PROTO_NONE), COAP_URI_SCHEME_COAP_BIT | tcp | ws);
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(1, 1, COAP_PROTO_NONE),
                  COAP_URI_SCHEME_COAP_BIT | coaps | tcp | tls | ws | wss);
  /* AF_UNIX: that one protocol, if built. */
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(0, 0, COAP_PROTO_UDP), COAP_URI_SCHEME_COAP_BIT);
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(1, 0, COAP_PROTO_DTLS), coaps);
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(1, 1, COAP_PROTO_TCP), tcp);
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(1, 1, COAP_PROTO_WSS), wss);
  CU_ASSERT_EQUAL(coap_get_available_scheme_hint_bits(1, 1, (coap_proto_t)99), COAP_URI_SCHEME_COAP_BIT | coaps | tcp | tls | ws | wss);
  /* The build as it is today: plain CoAP over UDP only. */
  CU_ASSERT_EQUAL(tcp | tls | ws | wss, 0);
}

static void test_ipv4_ports(void) {
  coap_str_const_t h = str("127.0.0.1");
  coap_addr_info_t *i = coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(i);
  CU_ASSERT_EQUAL(count(i), 1);
  CU_ASSERT_EQUAL(i->scheme, COAP_URI_SCHEME_COAP);
  CU_ASSERT_EQUAL(i->proto, COAP_PROTO_UDP);
  CU_ASSERT_EQUAL(i->addr.addr.sa.sa_family, AF_INET);
  CU_ASSERT_EQUAL(i->addr.size, sizeof(struct sockaddr_in));
  CU_ASSERT_EQUAL(i->addr.addr.sin.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  CU_ASSERT_EQUAL(coap_address_get_port(&i->addr), 5683);
  coap_free_address_info(i);
  /* Remote side: 0 stays 0; a given port is used as is. */
  i = coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_REMOTE);
  CU_ASSERT_PTR_NOT_NULL_FATAL(i);
  CU_ASSERT_EQUAL(coap_address_get_port(&i->addr), 0);
  coap_free_address_info(i);
  i = coap_resolve_address_info(&h, 7000, 7001, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(i);
  CU_ASSERT_EQUAL(coap_address_get_port(&i->addr), 7000);
  coap_free_address_info(i);
}

static void test_schemes_follow_support(void) {
  coap_str_const_t h = str("127.0.0.1");
  coap_addr_info_t *i, *j;
  int coaps = 0, coap = 0, other = 0;
  i = coap_resolve_address_info(&h, 0, 0, 0, 0, 0, 0xff, COAP_RESOLVE_TYPE_LOCAL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(i);
  for (j = i; j; j = j->next) {
    if (j->scheme == COAP_URI_SCHEME_COAP && j->proto == COAP_PROTO_UDP && coap_address_get_port(&j->addr) == 5683)
      coap++;
    else if (j->scheme == COAP_URI_SCHEME_COAPS && j->proto == COAP_PROTO_DTLS &&
             coap_address_get_port(&j->addr) == 5684)
      coaps++;
    else
      other++;
  }
  CU_ASSERT_EQUAL(coap, 1);
  CU_ASSERT_EQUAL(coaps, coap_dtls_is_supported() ? 1 : 0);
  CU_ASSERT_EQUAL(other, 0); /* no TCP, TLS, WebSockets or HTTP in this build */
  coap_free_address_info(i);
  /* Only unsupported schemes: nothing. */
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0,
                                               COAP_URI_SCHEME_COAP_TCP_BIT | COAP_URI_SCHEME_COAP_WS_BIT |
                                                   COAP_URI_SCHEME_HTTP_BIT,
                                               COAP_RESOLVE_TYPE_LOCAL));
  if (!coap_dtls_is_supported())
    CU_ASSERT_PTR_NULL(
        coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAPS_BIT, COAP_RESOLVE_TYPE_LOCAL));
}

static void test_ipv6_and_names(void) {
  coap_str_const_t h = str("::1"), l = str("localhost");
  coap_addr_info_t *i = coap_resolve_address_info(&h, 5690, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_REMOTE);
  coap_addr_info_t *j, *k;
  CU_ASSERT_PTR_NOT_NULL_FATAL(i);
  CU_ASSERT_EQUAL(i->addr.addr.sa.sa_family, AF_INET6);
  CU_ASSERT_EQUAL(i->addr.size, sizeof(struct sockaddr_in6));
  CU_ASSERT_EQUAL(coap_address_get_port(&i->addr), 5690);
  coap_free_address_info(i);
  /* A name: each address once, although getaddrinfo lists it per socket type. */
  i = coap_resolve_address_info(&l, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(i);
  for (j = i; j; j = j->next)
    for (k = j->next; k; k = k->next)
      CU_ASSERT_FALSE(coap_address_equals(&j->addr, &k->addr));
  coap_free_address_info(i);
  /* NULL or empty: localhost. */
  i = coap_resolve_address_info(NULL, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL);
  CU_ASSERT_PTR_NOT_NULL(i);
  coap_free_address_info(i);
  /* ai_hints_flags reach getaddrinfo: a name is not a numeric host. */
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&l, 0, 0, 0, 0, AI_NUMERICHOST, COAP_URI_SCHEME_COAP_BIT,
                                               COAP_RESOLVE_TYPE_LOCAL));
  CU_ASSERT(capi_log_contains("getaddrinfo: localhost"));
  h = str("no-such-host.invalid");
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_REMOTE));
  CU_ASSERT(capi_log_contains("getaddrinfo: no-such-host.invalid"));
  capi_log_capture_stop();
}

static void test_unix(void) {
  coap_str_const_t h = str("%2Ftmp%2Fcoap.sock");
  coap_addr_info_t *i = coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT | COAP_URI_SCHEME_COAPS_BIT,
                                                  COAP_RESOLVE_TYPE_LOCAL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(i);
  CU_ASSERT_EQUAL(count(i), 1);
  CU_ASSERT_EQUAL(i->scheme, COAP_URI_SCHEME_COAP);
  CU_ASSERT_EQUAL(i->proto, COAP_PROTO_UDP);
  CU_ASSERT(coap_is_af_unix(&i->addr));
  CU_ASSERT_STRING_EQUAL(i->addr.addr.cun.sun_path, "/tmp/coap.sock");
  coap_free_address_info(i);
  /* Too long for sun_path (counted encoded, as libcoap does). */
  h = str("%2Ftmp%2Fa-rather-long-name.sock");
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL));
  CU_ASSERT(capi_log_contains("too long"));
  capi_log_capture_stop();
  /* The first hinted scheme decides; unsupported means nothing. */
  h = str("%2Ftmp%2Fs");
  if (!coap_tcp_is_supported())
    CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_TCP_BIT | COAP_URI_SCHEME_COAP_WS_BIT,
                                                 COAP_RESOLVE_TYPE_LOCAL));
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0, 0, COAP_RESOLVE_TYPE_LOCAL));
}

static void test_bad_input(void) {
  char longname[300];
  coap_str_const_t h;
  coap_addr_info_t fake;
  coap_addr_info_t *i;
  memset(longname, 'a', sizeof(longname));
  h.s = (const uint8_t *)longname;
  h.length = sizeof(longname);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL));
  CU_ASSERT(capi_log_contains("longer than 255"));
  h.s = (const uint8_t *)"local\0host";
  h.length = 10;
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL));
  CU_ASSERT(capi_log_contains("NUL"));
  h.s = NULL;
  h.length = 4;
  CU_ASSERT_PTR_NULL(coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL));
  /* Freeing: NULL is fine, twice or a foreign list is refused. */
  coap_free_address_info(NULL);
  h = str("127.0.0.1");
  i = coap_resolve_address_info(&h, 0, 0, 0, 0, 0, COAP_URI_SCHEME_COAP_BIT, COAP_RESOLVE_TYPE_LOCAL);
  coap_free_address_info(i);
  capi_log_text[0] = '\0';
  coap_free_address_info(i);
  CU_ASSERT(capi_log_contains("not a live coap_addr_info_t"));
  memset(&fake, 0, sizeof(fake));
  capi_log_text[0] = '\0';
  coap_free_address_info(&fake);
  CU_ASSERT(capi_log_contains("not a live coap_addr_info_t"));
  capi_log_capture_stop();
}

void register_resolve(void) {
  static const capi_test_t tests[] = {
      {"available scheme hint bits", test_hint_bits},
      {"IPv4 literal, local and remote ports", test_ipv4_ports},
      {"schemes follow what the build supports", test_schemes_follow_support},
      {"IPv6, names, default host, getaddrinfo flags and failure", test_ipv6_and_names},
      {"AF_UNIX paths", test_unix},
      {"bad input and bad frees", test_bad_input},
      {NULL, NULL}};
  capi_add_suite("resolve", tests);
}
