/* Multicast (RFC 7252 §8) and No-Response (RFC 7967): coap_endpoint_server(3)
 * coap_join_mcast_group_intf(), coap_session(3) coap_session_get_addr_mcast(),
 * coap_mcast_set_hops(), coap_resource(3) MCAST flags, coap_recovery(3)
 * DEFAULT_LEISURE.
 *
 * Two suites. "mcast" needs no routing: client sessions towards a group.
 * "mcast-wire" needs multicast delivered on the host, which a shared
 * machine should not be reconfigured for: capi-tests/mcast-netns.sh runs
 * it (build/capi-tests mcast) inside a private network namespace where lo
 * routes 224.0.0.0/4, and a veth pair carries ff02::fd (IPv6 multicast is
 * not looped back on lo). CAPI_MCAST_IF6 names that veth end. */
#include "capi.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GROUP4 "224.0.1.187"
#define GROUP6 "ff02::fd"

static coap_address_t addr_of(const char *ip, uint16_t port, const char *ifname) {
  coap_address_t a;
  coap_address_init(&a);
  if (strchr(ip, ':')) {
    a.addr.sin6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &a.addr.sin6.sin6_addr);
    a.addr.sin6.sin6_port = htons(port);
    a.addr.sin6.sin6_scope_id = ifname ? if_nametoindex(ifname) : 0;
    a.size = sizeof(a.addr.sin6);
  } else {
    a.addr.sin.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.addr.sin.sin_addr);
    a.addr.sin.sin_port = htons(port);
    a.size = sizeof(a.addr.sin);
  }
  return a;
}

/* ----------------------------------------------------------- no routing */

static void test_addr_mcast(void) {
  coap_context_t *ctx = coap_new_context(NULL);
  coap_address_t uni = addr_of("127.0.0.1", 5683, NULL), grp = addr_of(GROUP4, 5683, NULL);
  coap_session_t *u = coap_new_client_session(ctx, NULL, &uni, COAP_PROTO_UDP);
  coap_session_t *m = coap_new_client_session(ctx, NULL, &grp, COAP_PROTO_UDP);
  const coap_address_t *a;
  CU_ASSERT_PTR_NOT_NULL_FATAL(u);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_PTR_NULL(coap_session_get_addr_mcast(u));
  a = coap_session_get_addr_mcast(m);
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT(coap_address_equals(a, &grp));
  CU_ASSERT(coap_is_mcast(a));
  CU_ASSERT(coap_address_equals(coap_session_get_addr_remote(m), &grp));
  CU_ASSERT_PTR_NULL(coap_session_get_addr_mcast(NULL));
  coap_session_release(u);
  coap_session_release(m);
  coap_free_context(ctx);
}

static void test_set_hops(void) {
  coap_context_t *ctx = coap_new_context(NULL);
  coap_address_t uni = addr_of("127.0.0.1", 5683, NULL), grp = addr_of(GROUP4, 5683, NULL);
  coap_address_t grp6 = addr_of(GROUP6, 5683, "lo");
  coap_session_t *u = coap_new_client_session(ctx, NULL, &uni, COAP_PROTO_UDP);
  coap_session_t *m = coap_new_client_session(ctx, NULL, &grp, COAP_PROTO_UDP);
  coap_session_t *m6 = coap_new_client_session(ctx, NULL, &grp6, COAP_PROTO_UDP);
  coap_log_t level = coap_get_log_level();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(coap_mcast_set_hops(m, 1), 1);
  CU_ASSERT_EQUAL(coap_mcast_set_hops(m, 16), 1);
  CU_ASSERT_EQUAL(coap_mcast_set_hops(m, 255), 1);
  if (m6) {
    CU_ASSERT_EQUAL(coap_mcast_set_hops(m6, 4), 1);
  }
  coap_set_log_level(COAP_LOG_INFO);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_mcast_set_hops(m, 256), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("coap_mcast_set_hops"));
  CU_ASSERT_EQUAL(coap_mcast_set_hops(u, 2), 0); /* not a multicast session */
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT_EQUAL(coap_mcast_set_hops(NULL, 2), 0);
  capi_log_capture_stop();
  coap_set_log_level(level);
  coap_session_release(u);
  coap_session_release(m);
  if (m6)
    coap_session_release(m6);
  coap_free_context(ctx);
}

/* RFC 7252 §8.1: multicast requests are NON; libcoap refuses CON with an
 * error log and COAP_INVALID_MID. */
static void test_con_refused(void) {
  coap_context_t *ctx = coap_new_context(NULL);
  coap_address_t grp = addr_of(GROUP4, 5683, NULL);
  coap_session_t *m = coap_new_client_session(ctx, NULL, &grp, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_send(m, coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, m)), COAP_INVALID_MID);
  CU_ASSERT_EQUAL(capi_log_level, COAP_LOG_ERR);
  CU_ASSERT(capi_log_contains("Confirmable"));
  capi_log_capture_stop();
  coap_session_release(m);
  coap_free_context(ctx);
}

void register_mcast(void) {
  static const capi_test_t tests[] = {
      {"client session to a group: coap_session_get_addr_mcast", test_addr_mcast},
      {"coap_mcast_set_hops sets 0..255, refuses the rest with a log", test_set_hops},
      {"CON to a group is refused (RFC 7252 8.1)", test_con_refused},
      {NULL, NULL},
  };
  capi_add_suite("mcast", tests);
}

/* ------------------------------------------------- on the wire (netns) */

static coap_context_t *server, *client;
static coap_session_t *session;
static int answers, last_code, last_type, last_remote_mcast, last_mcast_ok;
static char last_body[64];
static double first_answer_at;
static unsigned leisure_ms = 400;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void hnd_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  const char *what = coap_resource_get_userdata(r);
  (void)req, (void)q;
  CU_ASSERT_PTR_NULL(coap_session_get_addr_mcast(s)); /* server sessions: NULL, as in 4.3.3 */
  if (strcmp(what, "err") == 0) {
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_BAD_REQUEST);
    return;
  }
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(resp, strlen(what), (const uint8_t *)what);
}

static int on_event(coap_session_t *s, const coap_event_t event) {
  if (event == COAP_EVENT_SERVER_SESSION_NEW) {
    coap_fixed_point_t l = {(uint16_t)(leisure_ms / 1000), (uint16_t)(leisure_ms % 1000)};
    coap_session_set_default_leisure(s, l);
  }
  return 0;
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  size_t len = 0;
  const uint8_t *data;
  (void)sent, (void)mid;
  if (!answers)
    first_answer_at = now_s();
  answers++;
  last_code = coap_pdu_get_code(received);
  last_type = coap_pdu_get_type(received);
  last_body[0] = '\0';
  if (coap_get_data(received, &len, &data) && len < sizeof(last_body)) {
    memcpy(last_body, data, len);
    last_body[len] = '\0';
  }
  last_remote_mcast = coap_is_mcast(coap_session_get_addr_remote(s));
  last_mcast_ok = coap_session_get_addr_mcast(s) != NULL && coap_is_mcast(coap_session_get_addr_mcast(s));
  return COAP_RESPONSE_OK;
}

static void pump_for(double seconds) {
  double end = now_s() + seconds;
  while (now_s() < end) {
    coap_io_process(server, 5);
    coap_io_process(client, 5);
  }
}

static void add_resource(const char *path, const char *what, int flags) {
  coap_resource_t *r = coap_resource_init(coap_make_str_const(path), flags);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_get);
  coap_resource_set_userdata(r, (void *)what);
  coap_add_resource(server, r);
}

/* A server on the unspecified address in `group`, a client session to it. */
static int start(const char *any, const char *group, const char *ifname, int per_resource) {
  static uint16_t port = 0;
  coap_address_t listen, dst;
  if (!port)
    port = (uint16_t)(30000 + (getpid() % 20000));
  port++;
  listen = addr_of(any, port, NULL);
  dst = addr_of(group, port, ifname);
  server = coap_new_context(NULL);
  client = coap_new_context(NULL);
  if (!server || !client || !coap_new_endpoint(server, &listen, COAP_PROTO_UDP))
    return 0;
  if (coap_join_mcast_group_intf(server, group, ifname) != 0)
    return 0;
  if (per_resource)
    coap_mcast_per_resource(server);
  coap_register_event_handler(server, on_event);
  add_resource("a", "a", per_resource ? COAP_RESOURCE_FLAGS_HAS_MCAST_SUPPORT : 0);
  add_resource("err", "err", per_resource ? COAP_RESOURCE_FLAGS_HAS_MCAST_SUPPORT : 0);
  add_resource("nodelay", "nodelay",
               COAP_RESOURCE_FLAGS_HAS_MCAST_SUPPORT | COAP_RESOURCE_FLAGS_LIB_DIS_MCAST_DELAYS);
  add_resource("unicast-only", "unicast-only", 0);
  add_resource("err4xx", "err", COAP_RESOURCE_FLAGS_HAS_MCAST_SUPPORT | COAP_RESOURCE_FLAGS_LIB_DIS_MCAST_SUPPRESS_4_XX);
  coap_register_response_handler(client, on_response);
  session = coap_new_client_session(client, NULL, &dst, COAP_PROTO_UDP);
  return session != NULL;
}

static void stop(void) {
  if (session)
    coap_session_release(session);
  session = NULL;
  coap_free_context(client);
  coap_free_context(server);
  client = server = NULL;
}

/* Sends a NON GET for `path` (No-Response `nores` if >= 0); the number of
 * answers within `wait` seconds. */
static int ask(const char *path, int nores, double wait, double *latency) {
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, session);
  uint8_t token[8], buf[4];
  size_t tlen;
  double t0;
  coap_session_new_token(session, &tlen, token);
  coap_add_token(pdu, tlen, token);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(path), (const uint8_t *)path);
  if (nores >= 0)
    coap_add_option(pdu, COAP_OPTION_NORESPONSE, coap_encode_var_safe(buf, sizeof(buf), (unsigned)nores), buf);
  answers = 0;
  t0 = now_s();
  CU_ASSERT_NOT_EQUAL(coap_send(session, pdu), COAP_INVALID_MID);
  pump_for(wait);
  if (latency)
    *latency = answers ? first_answer_at - t0 : -1;
  return answers;
}

static void wire_checks(const char *any, const char *group, const char *ifname) {
  double latency, max_latency = 0;
  if (!start(any, group, ifname, 0)) {
    CU_FAIL("multicast set-up failed");
    stop();
    return;
  }
  /* 2.05 comes back, NON, delayed within the leisure (0.4 s here). */
  for (int i = 0; i < 4; i++) {
    CU_ASSERT_EQUAL(ask("a", -1, leisure_ms / 1000.0 + 0.3, &latency), 1);
    CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
    CU_ASSERT_EQUAL(last_type, COAP_MESSAGE_NON);
    CU_ASSERT_STRING_EQUAL(last_body, "a");
    CU_ASSERT_FALSE(last_remote_mcast); /* the member's own address */
    CU_ASSERT(last_mcast_ok);
    if (latency > max_latency)
      max_latency = latency;
  }
  CU_ASSERT(max_latency <= leisure_ms / 1000.0 + 0.15);
  /* Library-made 4.04 and the handler's 4.00 are not sent to a group... */
  CU_ASSERT_EQUAL(ask("nope", -1, leisure_ms / 1000.0 + 0.3, NULL), 0);
  CU_ASSERT_EQUAL(ask("err", -1, leisure_ms / 1000.0 + 0.3, NULL), 0);
  /* ...unless No-Response asks for them (RFC 7967 2.1). */
  CU_ASSERT_EQUAL(ask("nope", 0, leisure_ms / 1000.0 + 0.3, NULL), 1);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_NOT_FOUND);
  /* No-Response 2 suppresses the 2.05; 8 keeps it. */
  CU_ASSERT_EQUAL(ask("a", 2, leisure_ms / 1000.0 + 0.3, NULL), 0);
  CU_ASSERT_EQUAL(ask("a", 8, leisure_ms / 1000.0 + 0.3, NULL), 1);
  stop();

  /* coap_mcast_per_resource(): the resource flags decide. */
  if (!start(any, group, ifname, 1)) {
    CU_FAIL("multicast set-up failed");
    stop();
    return;
  }
  CU_ASSERT_EQUAL(ask("a", -1, leisure_ms / 1000.0 + 0.3, NULL), 1);
  CU_ASSERT_EQUAL(ask("unicast-only", -1, leisure_ms / 1000.0 + 0.3, NULL), 0);
  CU_ASSERT_EQUAL(ask("err", -1, leisure_ms / 1000.0 + 0.3, NULL), 0);
  CU_ASSERT_EQUAL(ask("err4xx", -1, leisure_ms / 1000.0 + 0.3, NULL), 1);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_BAD_REQUEST);
  leisure_ms = 5000; /* LIB_DIS_MCAST_DELAYS: at once, whatever the leisure */
  CU_ASSERT_EQUAL(ask("nodelay", -1, 0.3, &latency), 1);
  CU_ASSERT(latency >= 0 && latency < 0.2);
  leisure_ms = 400;
  stop();
}

static void test_wire_ipv4(void) { wire_checks("0.0.0.0", GROUP4, "lo"); }

static void test_wire_ipv6(void) {
  const char *ifname = getenv("CAPI_MCAST_IF6");
  if (!ifname || !*ifname) {
    fprintf(stderr, "\n  (IPv6 multicast: no veth interface in this namespace; skipped) ");
    return;
  }
  wire_checks("::", GROUP6, ifname);
}

/* Unicast requests honour No-Response too: a CON still gets its empty ACK. */
static void test_wire_unicast_no_response(void) {
  coap_address_t uni;
  if (!start("0.0.0.0", GROUP4, "lo", 0)) {
    CU_FAIL("set-up failed");
    stop();
    return;
  }
  uni = *coap_session_get_addr_mcast(session);
  coap_session_release(session);
  uni.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  session = coap_new_client_session(client, NULL, &uni, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT_EQUAL(ask("a", 2, 0.3, NULL), 0);
  CU_ASSERT_EQUAL(ask("a", 16, 0.3, &(double){0}), 1);
  CU_ASSERT_EQUAL(ask("nope", 8, 0.3, NULL), 0);
  CU_ASSERT_EQUAL(ask("nope", -1, 0.3, NULL), 1);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_NOT_FOUND);
  {
    /* CON with No-Response 2: an empty ACK, nothing for the handler, no NACK. */
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
    uint8_t buf[4];
    coap_add_token(pdu, 1, (const uint8_t *)"x");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, (const uint8_t *)"a");
    coap_add_option(pdu, COAP_OPTION_NORESPONSE, coap_encode_var_safe(buf, sizeof(buf), 2), buf);
    answers = 0;
    CU_ASSERT_NOT_EQUAL(coap_send(session, pdu), COAP_INVALID_MID);
    pump_for(0.3);
    CU_ASSERT_EQUAL(answers, 0);
    CU_ASSERT(coap_can_exit(client)); /* the ACK arrived: nothing to retransmit */
  }
  stop();
}

void register_mcast_wire(void) {
  static const capi_test_t tests[] = {
      {"IPv4 group 224.0.1.187 on lo: delay, suppression, No-Response, per resource", test_wire_ipv4},
      {"IPv6 group ff02::fd on a veth: the same", test_wire_ipv6},
      {"unicast requests honour No-Response", test_wire_unicast_no_response},
      {NULL, NULL},
  };
  capi_add_suite("mcast-wire", tests);
}
