/* A client and a server context in one process over loopback UDP:
 * requests, responses, error responses, retransmission, reference counts,
 * and the re-entrant calls callbacks may make (coap_session(3),
 * coap_context(3), coap_handler(3), coap_resource(3), coap_io(3)). */
#include "capi.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static uint16_t port;
static coap_context_t *server;
static coap_context_t *client;
static coap_session_t *session;
static int responses, nacks, last_code, pongs, events;
/* Option numbers of the last response, "n1,n2,". */
static char last_options[256];
static coap_nack_reason_t last_nack;
static char last_body[256];

static int server_ifindex = -2;
static void hnd_hello(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp) {
  (void)r;
  (void)req;
  server_ifindex = coap_session_get_ifindex(s);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  if (q)
    coap_add_data(resp, q->length, q->s);
  else
    coap_add_data(resp, 5, (const uint8_t *)"hello");
}

static void hnd_silent(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                       coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q, (void)resp; /* code stays 0.00: empty ACK */
}

static int async_calls, async_app_seen;
static void hnd_async(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp) {
  coap_async_t *async = coap_find_async(s, coap_pdu_get_token(req));
  static int marker = 42;
  (void)r, (void)resp;
  async_calls++;
  if (!async) {
    /* First call: answer later. "trigger" waits for coap_async_trigger. */
    int manual = q && q->length == 7 && memcmp(q->s, "trigger", 7) == 0;
    async = coap_register_async(s, req, manual ? 0 : COAP_TICKS_PER_SECOND / 20);
    coap_async_set_app_data(async, &marker);
    if (manual)
      coap_async_trigger(async);
    return; /* no code: the library sends the empty ACK */
  }
  async_app_seen = coap_async_get_app_data(async) == &marker;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(resp, 4, (const uint8_t *)"done");
}

static int self_deleted;
static void hnd_delete_self(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                            coap_pdu_t *resp) {
  (void)req, (void)q;
  self_deleted = coap_delete_resource(coap_session_get_context(s), r);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_DELETED);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  responses++;
  last_code = coap_pdu_get_code(received);
  capi_copy_body(received, last_body, sizeof(last_body));
  last_options[0] = '\0';
  {
    coap_opt_iterator_t oi;
    coap_opt_t *opt;
    coap_option_iterator_init(received, &oi, COAP_OPT_ALL);
    while ((opt = coap_option_next(&oi)) != NULL) {
      size_t n = strlen(last_options);
      snprintf(last_options + n, sizeof(last_options) - n, "%u,", oi.number);
    }
  }
  return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason, const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  nacks++;
  last_nack = reason;
}

static void on_pong(coap_session_t *s, const coap_pdu_t *received, const coap_mid_t mid) {
  (void)s, (void)received, (void)mid;
  pongs++;
}

static int dels, del_state = -1;
static int on_event(coap_session_t *s, const coap_event_t event) {
  events++;
  if (event == COAP_EVENT_SERVER_SESSION_DEL) {
    dels++;
    del_state = (int)coap_session_get_state(s);
  }
  return 0;
}

/* Runs both contexts until `*counter` reaches `want` or ~3 s pass. */
static int pump(int *counter, int want) {
  for (int i = 0; i < 300 && *counter < want; i++) {
    if (server)
      coap_io_process(server, 5);
    if (client)
      coap_io_process(client, 5);
  }
  return *counter >= want;
}

static coap_pdu_t *request(coap_pdu_type_t type, coap_pdu_code_t code, const char *path, const char *query) {
  coap_pdu_t *pdu = coap_new_pdu(type, code, session);
  uint8_t token[8];
  size_t tlen;
  coap_session_new_token(session, &tlen, token);
  coap_add_token(pdu, tlen, token);
  if (path)
    coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(path), (const uint8_t *)path);
  if (query)
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(query), (const uint8_t *)query);
  return pdu;
}

/* One CON request on `session` for `path`, and the code of its answer. */
static int code_of(coap_pdu_code_t method, const char *path) {
  responses = 0;
  coap_send(session, request(COAP_MESSAGE_CON, method, path, NULL));
  CU_ASSERT_FATAL(pump(&responses, 1));
  return last_code;
}

static int server_pings;
static void on_server_ping(coap_session_t *s, const coap_pdu_t *received, const coap_mid_t mid) {
  (void)s, (void)received, (void)mid;
  server_pings++;
}

static int setup(void) {
  coap_address_t a;
  coap_resource_t *r;
  port = (uint16_t)(20000 + getpid() % 20000);
  capi_loopback(&a, port);
  server = coap_new_context(&a);
  if (!server)
    return 1;
  r = coap_resource_init(coap_make_str_const("hello"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_hello);
  coap_register_request_handler(r, COAP_REQUEST_PUT, hnd_silent);
  coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const("\"greeting\""), 0);
  coap_add_resource(server, r);
  r = coap_resource_init(coap_make_str_const("async"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_async);
  coap_add_resource(server, r);
  r = coap_resource_init(coap_make_str_const("gone"), 0);
  coap_register_request_handler(r, COAP_REQUEST_DELETE, hnd_delete_self);
  coap_add_resource(server, r);
  client = coap_new_context(NULL);
  coap_register_response_handler(client, on_response);
  coap_register_nack_handler(client, on_nack);
  coap_register_pong_handler(client, on_pong);
  coap_register_event_handler(server, on_event);
  coap_register_ping_handler(server, on_server_ping);
  capi_loopback(&a, port);
  session = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  return session ? 0 : 1;
}

static int teardown(void) {
  capi_free_client_server(session, client, server);
  client = server = NULL;
  return 0;
}

static void test_get_piggybacked(void) {
  responses = 0;
  CU_ASSERT(coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL)) != COAP_INVALID_MID);
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_STRING_EQUAL(last_body, "hello");
  CU_ASSERT(events >= 1); /* COAP_EVENT_SERVER_SESSION_NEW */
  /* Both sides learn the interface the traffic came in on: loopback. */
  CU_ASSERT_EQUAL(server_ifindex, (int)if_nametoindex("lo"));
  CU_ASSERT_EQUAL(coap_session_get_ifindex(session), (int)if_nametoindex("lo"));
}

static void test_non_and_query(void) {
  responses = 0;
  coap_send(session, request(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, "hello", "a=1"));
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_STRING_EQUAL(last_body, "a=1");
}

static void test_error_responses(void) {
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_GET, "nothing-here"), COAP_RESPONSE_CODE_NOT_FOUND);
  CU_ASSERT_STRING_EQUAL(last_body, "Not Found");
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_POST, "hello"), COAP_RESPONSE_CODE_NOT_ALLOWED);
  /* An unknown critical option (65001 is odd: critical) gets 4.02. The
   * 4.02 echoes it, so the client must know it too, or it rejects the
   * answer (RFC 7252 5.4.1, as libcoap's client does). */
  coap_register_option(client, 65001);
  responses = 0;
  {
    coap_pdu_t *pdu = request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL);
    coap_add_option(pdu, 65001, 1, (const uint8_t *)"x");
    coap_send(session, pdu);
  }
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_BAD_OPTION);
  /* As libcoap's, the 4.02 carries the options it did not understand. */
  CU_ASSERT_STRING_EQUAL(last_options, "65001,");
  /* Without COAP_BLOCK_TRY_Q_BLOCK, and with no OSCORE in this build,
   * their options are refused as a libcoap without them refuses them
   * (Q-Block echoed, OSCORE bare). */
  coap_register_option(client, COAP_OPTION_Q_BLOCK2); /* to see the echo */
  responses = 0;
  {
    coap_pdu_t *pdu = request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL);
    coap_add_option(pdu, COAP_OPTION_Q_BLOCK2, 1, (const uint8_t *)"\x02");
    coap_send(session, pdu);
  }
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_BAD_OPTION);
  CU_ASSERT_STRING_EQUAL(last_options, "31,");
  responses = 0;
  {
    coap_pdu_t *pdu = request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL);
    coap_add_option(pdu, COAP_OPTION_OSCORE, 1, (const uint8_t *)"\x09");
    coap_send(session, pdu);
  }
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_BAD_OPTION);
  CU_ASSERT_STRING_EQUAL(last_options, "");
}

static void test_well_known_core(void) {
  responses = 0;
  {
    coap_pdu_t *pdu = request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, ".well-known", NULL);
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"core");
    coap_send(session, pdu);
  }
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(last_body, "</hello>;rt=\"greeting\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(last_body, "</gone>"));
  responses = 0;
  {
    coap_pdu_t *pdu = request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, ".well-known", "rt=greeting");
    /* Uri-Path must precede Uri-Query: insert keeps the order right. */
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"core");
    coap_send(session, pdu);
  }
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_STRING_EQUAL(last_body, "</hello>;rt=\"greeting\"");
}

static void test_empty_ack_then_nothing(void) {
  /* PUT handler leaves the code at 0.00: the library sends an empty ACK,
   * the client's CON is acknowledged and no response is delivered. */
  responses = 0;
  nacks = 0;
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, "hello", NULL));
  pump(&responses, 1);
  CU_ASSERT_EQUAL(responses, 0);
  CU_ASSERT_EQUAL(nacks, 0);
  CU_ASSERT_EQUAL(coap_io_pending(client), 0);
}

static void test_handler_deletes_its_resource(void) {
  coap_resource_t *r;
  responses = 0;
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_DELETE, "gone", NULL));
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(self_deleted, 1);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_DELETED);
  r = coap_get_resource_from_uri_path(server, coap_make_str_const("gone"));
  CU_ASSERT_PTR_NULL(r);
  /* Deleting what is not there succeeds (RFC 7252 5.8.4, as libcoap);
   * other methods find nothing. */
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_DELETE, "gone"), COAP_RESPONSE_CODE_DELETED);
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_GET, "gone"), COAP_RESPONSE_CODE_NOT_FOUND);
}

static int unknown_puts;
static void hnd_put_unknown(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                            coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  unknown_puts++;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CREATED);
}

/* An unknown-resource handler takes only the methods it has handlers for
 * (a GET it cannot answer is 4.04, not 4.05), and a server without a proxy
 * resource answers a Proxy-Uri request 5.05, as libcoap does. */
static void test_unknown_and_proxy_requests(void) {
  coap_resource_t *u = coap_resource_unknown_init(hnd_put_unknown);
  coap_add_resource(server, u);
  unknown_puts = 0;
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_GET, "nowhere"), COAP_RESPONSE_CODE_NOT_FOUND);
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_PUT, "nowhere"), COAP_RESPONSE_CODE_CREATED);
  CU_ASSERT_EQUAL(unknown_puts, 1);
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_DELETE, "nowhere"), COAP_RESPONSE_CODE_DELETED);
  coap_delete_resource(server, u);

  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
  const char *uri = "coap://elsewhere.example/x";
  coap_add_option(pdu, COAP_OPTION_PROXY_URI, strlen(uri), (const uint8_t *)uri);
  responses = 0;
  coap_send(session, pdu);
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_PROXYING_NOT_SUPPORTED);
  CU_ASSERT_STRING_EQUAL(last_body, "Proxying Not Supported");
}

/* An empty NON message is taken as a ping as well, as libcoap does:
 * the ping handler hears it and the sender gets RST. */
static void test_empty_non_is_a_ping(void) {
  int pings_before = server_pings;
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_NON, 0, coap_new_message_id(session), 0);
  coap_send(session, pdu);
  for (int i = 0; i < 100 && server_pings == pings_before; i++) {
    coap_io_process(server, 5);
    coap_io_process(client, 5);
  }
  CU_ASSERT_EQUAL(server_pings, pings_before + 1);
}

static void test_ping_pong(void) {
  pongs = 0;
  CU_ASSERT(coap_session_send_ping(session) != COAP_INVALID_MID);
  CU_ASSERT(pump(&pongs, 1));
}

static void test_retransmission_under_loss(void) {
  coap_fixed_point_t fast = {0, 100};
  responses = 0;
  coap_session_set_ack_timeout(session, fast);
  CU_ASSERT_EQUAL(coap_session_get_ack_timeout(session).fractional_part, 100);
  /* The client's first datagram is lost: the CON is sent again. */
  CU_ASSERT_EQUAL(coap_debug_set_packet_loss("1"), 1);
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL));
  CU_ASSERT(pump(&responses, 1));
  CU_ASSERT_STRING_EQUAL(last_body, "hello");
  coap_debug_set_packet_loss("0%");
  coap_session_set_ack_timeout(session, COAP_DEFAULT_ACK_TIMEOUT);
}

static void test_too_many_retries(void) {
  coap_fixed_point_t fast = {0, 20};
  nacks = 0;
  coap_session_set_ack_timeout(session, fast);
  coap_session_set_max_retransmit(session, 2);
  coap_debug_set_packet_loss("100%");
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL));
  CU_ASSERT(pump(&nacks, 1));
  CU_ASSERT_EQUAL(last_nack, COAP_NACK_TOO_MANY_RETRIES);
  coap_debug_set_packet_loss("0%");
  coap_session_set_ack_timeout(session, COAP_DEFAULT_ACK_TIMEOUT);
  coap_session_set_max_retransmit(session, 4);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_debug_set_packet_loss("lots"), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
}

static void test_recovery_parameters(void) {
  coap_fixed_point_t bad = {1, 1000};
  CU_ASSERT_EQUAL(coap_session_get_max_retransmit(session), COAP_DEFAULT_MAX_RETRANSMIT);
  CU_ASSERT_EQUAL(coap_session_get_nstart(session), COAP_DEFAULT_NSTART);
  CU_ASSERT_EQUAL(coap_session_get_ack_random_factor(session).integer_part, 1);
  CU_ASSERT_EQUAL(coap_session_get_ack_random_factor(session).fractional_part, 500);
  capi_log_capture_start();
  coap_session_set_ack_timeout(session, bad);
  coap_session_set_nstart(session, 0);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(coap_session_get_ack_timeout(session).integer_part, 2);
  CU_ASSERT_EQUAL(coap_session_get_nstart(session), 1);
}

static void test_session_accessors(void) {
  const coap_address_t *remote = coap_session_get_addr_remote(session);
  coap_tls_library_t lib = COAP_TLS_LIBRARY_OPENSSL;
  int data = 7;
  CU_ASSERT_PTR_NOT_NULL_FATAL(remote);
  CU_ASSERT_EQUAL(ntohs(remote->addr.sin.sin_port), port);
  CU_ASSERT_PTR_NOT_NULL(coap_session_get_addr_local(session));
  CU_ASSERT_PTR_NULL(coap_session_get_addr_mcast(session));
  CU_ASSERT_PTR_EQUAL(coap_session_get_context(session), client);
  CU_ASSERT_EQUAL(coap_session_get_proto(session), COAP_PROTO_UDP);
  CU_ASSERT_EQUAL(coap_session_get_type(session), COAP_SESSION_TYPE_CLIENT);
  CU_ASSERT_EQUAL(coap_session_get_state(session), COAP_SESSION_STATE_ESTABLISHED);
  CU_ASSERT_PTR_NULL(coap_session_get_tls(session, &lib));
  CU_ASSERT_EQUAL(lib, COAP_TLS_LIBRARY_NOTLS);
  coap_session_set_app_data(session, &data);
  CU_ASSERT_PTR_EQUAL(coap_session_get_app_data(session), &data);
  CU_ASSERT_EQUAL(coap_session_max_pdu_size(session), COAP_DEFAULT_MTU - 4); /* less the header, as libcoap */
  coap_session_set_mtu(session, 100);
  CU_ASSERT_EQUAL(coap_session_max_pdu_size(session), 96);
  coap_session_set_mtu(session, COAP_DEFAULT_MTU);
  {
    /* Nothing has come in yet: interface 0, not the error value. */
    coap_address_t nowhere;
    coap_session_t *fresh;
    capi_loopback(&nowhere, 9);
    fresh = coap_new_client_session(client, NULL, &nowhere, COAP_PROTO_UDP);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
    CU_ASSERT_EQUAL(coap_session_get_ifindex(fresh), 0);
    coap_session_release(fresh);
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(coap_session_str(session), " UDP"));
  CU_ASSERT(coap_context_get_coap_fd(client) >= 0);
  CU_ASSERT_EQUAL(coap_context_get_session_timeout(client), 300);
  coap_context_set_max_idle_sessions(server, 5);
  CU_ASSERT_EQUAL(coap_context_get_max_idle_sessions(server), 5);
}

/* Past max_idle_sessions the oldest idle server session goes; its
 * SERVER_SESSION_DEL handler still sees it established, as libcoap's. */
static void test_reaped_session_in_its_event(void) {
  coap_address_t a;
  coap_session_t *keep = session, *second;
  capi_loopback(&a, port);
  coap_context_set_max_idle_sessions(server, 1);
  dels = 0;
  del_state = -1;
  responses = 0;
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL));
  CU_ASSERT_FATAL(pump(&responses, 1));
  second = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(second);
  session = second;
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL));
  CU_ASSERT_FATAL(pump(&responses, 2));
  pump(&dels, 1);
  CU_ASSERT(dels >= 1);
  CU_ASSERT_EQUAL(del_state, COAP_SESSION_STATE_ESTABLISHED);
  session = keep;
  coap_session_release(second);
  coap_context_set_max_idle_sessions(server, 0);
}

static void test_reference_counts(void) {
  coap_address_t a;
  coap_session_t *s;
  capi_loopback(&a, port);
  s = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_PTR_EQUAL(coap_session_reference(s), s); /* 2 */
  coap_session_release(s);                           /* 1 */
  CU_ASSERT_EQUAL(coap_session_get_type(s), COAP_SESSION_TYPE_CLIENT);
  coap_session_release(s); /* 0: freed */
  capi_log_capture_start();
  coap_session_release(s); /* released more often than referenced */
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_session_get_type(s), 0);
  CU_ASSERT_EQUAL(coap_send(s, coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 0)), COAP_INVALID_MID);
  CU_ASSERT(capi_log_calls >= 3);
  capi_log_calls = 0;
  CU_ASSERT_PTR_NULL(coap_new_client_session(client, NULL, NULL, COAP_PROTO_UDP));
  CU_ASSERT_PTR_NULL(coap_new_client_session(client, NULL, &a, COAP_PROTO_TCP)); /* not built */
  CU_ASSERT_PTR_NULL(coap_new_client_session_psk2(client, NULL, &a, COAP_PROTO_DTLS, NULL));
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
}

/* Callbacks that release their session or free their context. */
static coap_session_t *doomed;
static int doomed_responses;
static coap_response_t release_in_handler(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                          const coap_mid_t mid) {
  (void)sent, (void)received, (void)mid;
  doomed_responses++;
  coap_session_release(s); /* the last reference, inside the callback */
  coap_session_release(s); /* and once too often: refused */
  return COAP_RESPONSE_OK;
}

static void test_release_session_in_handler(void) {
  coap_address_t a;
  coap_context_t *ctx = coap_new_context(NULL);
  capi_loopback(&a, port);
  coap_register_response_handler(ctx, release_in_handler);
  doomed = coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
  {
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, doomed);
    coap_add_token(pdu, 1, (const uint8_t *)"d");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello");
    coap_send(doomed, pdu);
  }
  capi_log_capture_start();
  for (int i = 0; i < 300 && !doomed_responses; i++) {
    coap_io_process(server, 5);
    coap_io_process(ctx, 5);
  }
  CU_ASSERT_EQUAL(doomed_responses, 1);
  CU_ASSERT_EQUAL(coap_session_get_type(doomed), 0); /* gone after the callback */
  capi_log_capture_stop();
  coap_free_context(ctx);
}

static coap_context_t *freed_ctx;
static int free_ctx_calls;
static coap_response_t free_context_in_handler(coap_session_t *s, const coap_pdu_t *sent,
                                               const coap_pdu_t *received, const coap_mid_t mid) {
  (void)sent, (void)received, (void)mid;
  free_ctx_calls++;
  coap_free_context(coap_session_get_context(s));
  return COAP_RESPONSE_OK;
}

static void test_free_context_in_handler(void) {
  coap_address_t a;
  coap_session_t *s;
  freed_ctx = coap_new_context(NULL);
  capi_loopback(&a, port);
  coap_register_response_handler(freed_ctx, free_context_in_handler);
  s = coap_new_client_session(freed_ctx, NULL, &a, COAP_PROTO_UDP);
  {
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, s);
    coap_add_token(pdu, 1, (const uint8_t *)"f");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello");
    coap_send(s, pdu);
  }
  for (int i = 0; i < 300 && !free_ctx_calls; i++) {
    coap_io_process(server, 5);
    coap_io_process(freed_ctx, 5);
  }
  CU_ASSERT_EQUAL(free_ctx_calls, 1);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_io_process(freed_ctx, COAP_IO_NO_WAIT), -1); /* freed */
  CU_ASSERT_EQUAL(coap_session_get_type(s), 0);
  CU_ASSERT(capi_log_calls >= 2);
  capi_log_capture_stop();
}

/* The request handler frees the endpoint the request arrived on: the
 * session it was handed goes with it, the response is dropped, and the
 * context stays usable. */
static coap_endpoint_t *doomed_ep;
static int endpoint_frees;
static void hnd_free_endpoint(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                              const coap_string_t *q, coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  endpoint_frees++;
  coap_free_endpoint(doomed_ep);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(resp, 4, (const uint8_t *)"gone");
}

static void test_free_endpoint_in_handler(void) {
  coap_address_t a;
  coap_context_t *ctx = coap_new_context(NULL);
  coap_resource_t *r = coap_resource_init(coap_make_str_const("bye"), 0);
  coap_session_t *s;
  coap_pdu_t *pdu;
  int before = responses;
  capi_loopback(&a, (uint16_t)(port + 3));
  coap_register_handler(r, COAP_REQUEST_GET, hnd_free_endpoint);
  coap_add_resource(ctx, r);
  doomed_ep = coap_new_endpoint(ctx, &a, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doomed_ep);
  s = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, s);
  coap_add_token(pdu, 1, (const uint8_t *)"e");
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"bye");
  CU_ASSERT(coap_send(s, pdu) != COAP_INVALID_MID);
  for (int i = 0; i < 300 && !endpoint_frees; i++) {
    coap_io_process(ctx, 5);
    coap_io_process(client, 5);
  }
  CU_ASSERT_EQUAL(endpoint_frees, 1);
  for (int i = 0; i < 10; i++) {
    CU_ASSERT(coap_io_process(ctx, COAP_IO_NO_WAIT) >= 0);
    coap_io_process(client, 5);
  }
  CU_ASSERT_EQUAL(responses, before); /* nothing came back */
  capi_log_capture_start();
  coap_free_endpoint(doomed_ep); /* a second free is refused with a log line */
  CU_ASSERT(capi_log_calls >= 1);
  capi_log_capture_stop();
  coap_session_release(s);
  coap_free_context(ctx);
}

/* A burst larger than one receive batch is read in a single I/O pass:
 * with edge-triggered polling nothing would wake the server for the rest. */
static void test_burst_in_one_pass(void) {
  int before = responses;
  for (int i = 0; i < 40; i++)
    coap_send(session, request(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, "hello", NULL));
  usleep(20000); /* all 40 queued at the server's socket */
  coap_io_process(server, COAP_IO_NO_WAIT);
  for (int i = 0; i < 100 && responses < before + 40; i++)
    coap_io_process(client, 5);
  CU_ASSERT_EQUAL(responses, before + 40);
}

static int direct_events;
static coap_event_t direct_last;
static int on_direct_event(coap_session_t *s, const coap_event_t event) {
  (void)s;
  direct_events++;
  direct_last = event;
  return 7;
}

/* The deprecated set/clear pair and coap_handle_event (coap_deprecated(3),
 * Debian's 4.3.1 programs import them). */
static void test_event_handler_old_api(void) {
  coap_context_t *ctx = coap_new_context(NULL);
  direct_events = 0;
  CU_ASSERT_EQUAL(coap_handle_event(ctx, COAP_EVENT_SESSION_CONNECTED, NULL), 0); /* none yet */
  coap_set_event_handler(ctx, on_direct_event);
  CU_ASSERT_EQUAL(coap_handle_event(ctx, COAP_EVENT_SESSION_CONNECTED, session), 7);
  CU_ASSERT_EQUAL(direct_events, 1);
  CU_ASSERT_EQUAL(direct_last, COAP_EVENT_SESSION_CONNECTED);
  coap_clear_event_handler(ctx);
  CU_ASSERT_EQUAL(coap_handle_event(ctx, COAP_EVENT_SESSION_CLOSED, NULL), 0);
  CU_ASSERT_EQUAL(direct_events, 1);
  coap_free_context(ctx);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_handle_event(ctx, COAP_EVENT_SESSION_CLOSED, NULL), 0); /* freed context */
  CU_ASSERT(capi_log_calls >= 1);
  capi_log_capture_stop();
}

static int chained;
static coap_response_t send_from_handler(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                         const coap_mid_t mid) {
  (void)sent, (void)received, (void)mid;
  if (chained++ == 0) {
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s);
    coap_add_token(pdu, 1, (const uint8_t *)"c");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello");
    CU_ASSERT(coap_send(s, pdu) != COAP_INVALID_MID);
    CU_ASSERT_EQUAL(coap_io_process(coap_session_get_context(s), COAP_IO_NO_WAIT), -1);
  }
  return COAP_RESPONSE_OK;
}

static void test_send_from_handler(void) {
  chained = 0;
  coap_register_response_handler(client, send_from_handler);
  capi_log_capture_start();
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL));
  pump(&chained, 2);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(chained, 2);
  coap_register_response_handler(client, on_response);
}

/* Method 2 of coap_io(3): the application waits on the epoll fd itself
 * and calls coap_io_process(COAP_IO_NO_WAIT) when it is readable; timers
 * (here the retransmissions ending in a NACK) must wake that fd too. */
static void test_wait_on_coap_fd(void) {
  coap_fixed_point_t fast = {0, 50};
  struct pollfd pfd;
  int woke = 0;
  nacks = 0;
  coap_session_set_ack_timeout(session, fast);
  coap_session_set_max_retransmit(session, 1);
  coap_debug_set_packet_loss("100%");
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL));
  coap_io_process(client, COAP_IO_NO_WAIT);
  pfd.fd = coap_context_get_coap_fd(client);
  pfd.events = POLLIN;
  for (int i = 0; i < 10 && nacks == 0; i++) {
    if (poll(&pfd, 1, 2000) > 0) {
      woke++;
      coap_io_process(client, COAP_IO_NO_WAIT);
    }
  }
  CU_ASSERT(woke >= 1);
  CU_ASSERT_EQUAL(nacks, 1);
  coap_debug_set_packet_loss("0%");
  coap_session_set_ack_timeout(session, COAP_DEFAULT_ACK_TIMEOUT);
  coap_session_set_max_retransmit(session, 4);
}

/* The select()-style pair: prepare (timers), then do the I/O. */
static void test_prepare_and_do_io(void) {
  coap_socket_t *socks[8];
  unsigned int n = 99;
  coap_tick_t now;
  responses = 0;
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "hello", NULL));
  for (int i = 0; i < 300 && !responses; i++) {
    coap_io_process(server, 5);
    coap_ticks(&now);
    coap_io_prepare_io(client, socks, 8, &n, now);
    usleep(1000);
    coap_io_do_io(client, now);
  }
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(responses, 1);
  CU_ASSERT_STRING_EQUAL(last_body, "hello");
}

/* AF_UNIX datagram endpoints and client sessions (coap_address(3)). */
static void test_unix_domain(void) {
  char spath[32], cpath[32];
  coap_address_t sa, ca;
  coap_context_t *ctx, *sctx;
  coap_session_t *s;
  coap_resource_t *r;
  snprintf(spath, sizeof(spath), "/tmp/coap-%d-s", (int)getpid());
  snprintf(cpath, sizeof(cpath), "/tmp/coap-%d-c", (int)getpid());
  unlink(spath);
  unlink(cpath);
  CU_ASSERT_EQUAL_FATAL(coap_address_set_unix_domain(&sa, (const uint8_t *)spath, strlen(spath)), 1);
  CU_ASSERT_EQUAL_FATAL(coap_address_set_unix_domain(&ca, (const uint8_t *)cpath, strlen(cpath)), 1);
  sctx = coap_new_context(NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(coap_new_endpoint(sctx, &sa, COAP_PROTO_UDP));
  r = coap_resource_init(coap_make_str_const("hello"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_hello);
  coap_add_resource(sctx, r);
  ctx = coap_new_context(NULL);
  coap_register_response_handler(ctx, on_response);
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_new_client_session(ctx, NULL, &sa, COAP_PROTO_UDP)); /* needs a local path */
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
  s = coap_new_client_session(ctx, &ca, &sa, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT(coap_is_af_unix(coap_session_get_addr_remote(s)));
  responses = 0;
  {
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s);
    coap_add_token(pdu, 1, (const uint8_t *)"u");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello");
    coap_send(s, pdu);
  }
  for (int i = 0; i < 300 && !responses; i++) {
    coap_io_process(sctx, 5);
    coap_io_process(ctx, 5);
  }
  CU_ASSERT_EQUAL(responses, 1);
  CU_ASSERT_STRING_EQUAL(last_body, "hello");
  CU_ASSERT_PTR_NOT_NULL(strstr(coap_session_str(s), spath));
  /* The socket files go when their session and endpoint do, as with
   * libcoap, so the same paths can be bound again. */
  CU_ASSERT_EQUAL(access(cpath, F_OK), 0);
  coap_session_release(s);
  CU_ASSERT_NOT_EQUAL(access(cpath, F_OK), 0);
  coap_free_context(ctx);
  CU_ASSERT_EQUAL(access(spath, F_OK), 0);
  coap_free_context(sctx);
  CU_ASSERT_NOT_EQUAL(access(spath, F_OK), 0);
  sctx = coap_new_context(NULL);
  CU_ASSERT_PTR_NOT_NULL(coap_new_endpoint(sctx, &sa, COAP_PROTO_UDP));
  coap_free_context(sctx);
  unlink(spath);
  unlink(cpath);
}

static int proxy_calls, proxy_hop_limit;
static void hnd_proxy(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp) {
  coap_opt_iterator_t it;
  coap_opt_t *h = coap_check_option(req, COAP_OPTION_HOP_LIMIT, &it);
  (void)r, (void)s, (void)q;
  proxy_calls++;
  proxy_hop_limit = h ? (int)coap_decode_var_bytes(coap_opt_value(h), coap_opt_length(h)) : -1;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
}

static coap_pdu_t *proxy_request(const char *uri, int hop_limit) {
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
  uint8_t token[8], b = (uint8_t)hop_limit;
  size_t tlen;
  coap_session_new_token(session, &tlen, token);
  coap_add_token(pdu, tlen, token);
  if (hop_limit >= 0)
    coap_add_option(pdu, COAP_OPTION_HOP_LIMIT, 1, &b);
  coap_add_option(pdu, COAP_OPTION_PROXY_URI, strlen(uri), (const uint8_t *)uri);
  return pdu;
}

/* coap_resource(3) proxy resources: a request whose target host is one of
 * the names given is served here; others go to the proxy handler, with
 * Hop-Limit counted down (RFC 8768: 1 is the last hop, 5.08 with this
 * proxy's address, as libcoap answers). */
static void test_proxy_names_and_hop_limit(void) {
  const char *names[] = {"me.example"};
  coap_resource_t *p = coap_resource_proxy_uri_init(hnd_proxy, 1, names);
  coap_add_resource(server, p);
  proxy_calls = 0;
  responses = 0;
  coap_send(session, proxy_request("coap://me.example/hello", -1));
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_STRING_EQUAL(last_body, "hello");
  CU_ASSERT_EQUAL(proxy_calls, 0);
  responses = 0;
  coap_send(session, proxy_request("coap://other.example/hello", 5));
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(proxy_calls, 1);
  CU_ASSERT_EQUAL(proxy_hop_limit, 4);
  responses = 0;
  coap_send(session, proxy_request("coap://other.example/hello", 1));
  CU_ASSERT_FATAL(pump(&responses, 1));
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE(508));
  CU_ASSERT_STRING_EQUAL(last_body, "127.0.0.1");
  CU_ASSERT_EQUAL(proxy_calls, 1);
  coap_delete_resource(server, p);
}

/* coap_resource(3): a path with bytes a URI cannot carry is registered
 * percent-encoded, and requests carrying the raw bytes find it. */
static void test_percent_encoded_resource_paths(void) {
  coap_resource_t *r1 = coap_resource_init(coap_make_str_const("caf%C3%A9"), 0);
  coap_resource_t *r2 = coap_resource_init(coap_make_str_const("a%20b"), 0);
  coap_register_request_handler(r1, COAP_REQUEST_GET, hnd_hello);
  coap_register_request_handler(r2, COAP_REQUEST_GET, hnd_hello);
  coap_add_resource(server, r1);
  coap_add_resource(server, r2);
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_GET, "caf\xc3\xa9"), COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_GET, "a b"), COAP_RESPONSE_CODE_CONTENT);
  CU_ASSERT_EQUAL(code_of(COAP_REQUEST_CODE_GET, "a%20b"), COAP_RESPONSE_CODE_NOT_FOUND); /* a literal '%' */
  coap_delete_resource(server, r1);
  coap_delete_resource(server, r2);
}

/* Port 0 in a client session's server address is the default port:
 * 5683, or 5684 for DTLS (coap_endpoint_client(3)). */
static void test_server_port_zero_is_the_default(void) {
  coap_address_t a;
  coap_context_t *ctx = coap_new_context(NULL);
  coap_dtls_cpsk_t setup;
  capi_loopback(&a, 0);
  coap_session_t *s = coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(coap_address_get_port(coap_session_get_addr_remote(s)), 5683);
  coap_session_release(s);
  capi_cpsk(&setup, "id", "key");
  s = coap_new_client_session_psk2(ctx, NULL, &a, COAP_PROTO_DTLS, &setup);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(coap_address_get_port(coap_session_get_addr_remote(s)), 5684);
  coap_session_release(s);
  coap_free_context(ctx);
}

/* coap_async(3): separate responses after a delay or a trigger. */
static void test_async(void) {
  CU_ASSERT_EQUAL(coap_async_is_supported(), 1);
  for (int i = 0; i < 2; i++) {
    responses = 0;
    async_calls = 0;
    async_app_seen = 0;
    coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "async", i ? "trigger" : NULL));
    CU_ASSERT(pump(&responses, 1));
    CU_ASSERT_EQUAL(async_calls, 2);
    CU_ASSERT(async_app_seen);
    CU_ASSERT_STRING_EQUAL(last_body, "done");
    CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CONTENT);
  }
  /* The empty ACK is lost (datagram 2: the request is 1): the separate
   * response alone must stop the client resending its request. */
  responses = 0;
  coap_debug_set_packet_loss("2");
  coap_send(session, request(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, "async", NULL));
  CU_ASSERT(pump(&responses, 1));
  coap_debug_set_packet_loss("0%");
  CU_ASSERT_STRING_EQUAL(last_body, "done");
  CU_ASSERT_EQUAL(coap_io_pending(client), 0);
  /* A NON request gets a NON separate response. */
  responses = 0;
  coap_send(session, request(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, "async", NULL));
  CU_ASSERT(pump(&responses, 1));
  CU_ASSERT_STRING_EQUAL(last_body, "done");
  capi_log_capture_start();
  coap_async_trigger(NULL);
  CU_ASSERT_PTR_NULL(coap_register_async(session, NULL, 1));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
}

static int ka_pongs, ka_failures;
static void ka_pong(coap_session_t *s, const coap_pdu_t *received, const coap_mid_t mid) {
  (void)s, (void)received, (void)mid;
  ka_pongs++;
}
static int ka_event(coap_session_t *s, const coap_event_t event) {
  (void)s;
  if (event == COAP_EVENT_KEEPALIVE_FAILURE)
    ka_failures++;
  return 0;
}

/* coap_keepalive(3): an idle session is pinged; without answers the
 * keepalive fails with COAP_EVENT_KEEPALIVE_FAILURE. */
static void test_keepalive(void) {
  coap_address_t a;
  coap_context_t *ctx = coap_new_context(NULL);
  coap_session_t *s;
  coap_fixed_point_t fast = {0, 50};
  capi_loopback(&a, port);
  coap_register_pong_handler(ctx, ka_pong);
  coap_register_event_handler(ctx, ka_event);
  coap_context_set_keepalive(ctx, 1);
  s = coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
  for (int i = 0; i < 40 && !ka_pongs; i++) {
    coap_io_process(server, 5);
    coap_io_process(ctx, 50);
  }
  CU_ASSERT(ka_pongs >= 1);
  coap_session_set_ack_timeout(s, fast);
  coap_session_set_max_retransmit(s, 1);
  coap_debug_set_packet_loss("100%");
  for (int i = 0; i < 60 && !ka_failures; i++)
    coap_io_process(ctx, 50);
  coap_debug_set_packet_loss("0%");
  CU_ASSERT_EQUAL(ka_failures, 1);
  coap_session_release(s);
  coap_free_context(ctx);
}

static void test_bad_handles(void) {
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_io_process(NULL, COAP_IO_NO_WAIT), -1);
  CU_ASSERT_PTR_NULL(coap_new_endpoint(NULL, NULL, COAP_PROTO_UDP));
  CU_ASSERT_PTR_NULL(coap_new_endpoint(server, NULL, COAP_PROTO_UDP));
  CU_ASSERT_PTR_NULL(coap_session_reference(NULL));
  CU_ASSERT_PTR_NULL(coap_session_get_context(NULL));
  CU_ASSERT_EQUAL(coap_session_get_ifindex(NULL), -1);
  coap_free_context(NULL);
  coap_session_release(NULL);
  coap_free_endpoint(NULL);
  CU_ASSERT_EQUAL(coap_delete_resource(server, NULL), 0);
  CU_ASSERT(capi_log_calls >= 6);
  capi_log_capture_stop();
}

void register_session(void) {
  static const capi_test_t tests[] = {
      {"an empty NON is a ping", test_empty_non_is_a_ping},
      {"proxy resource: own names served here, Hop-Limit counted down", test_proxy_names_and_hop_limit},
      {"percent-encoded resource paths match raw request bytes", test_percent_encoded_resource_paths},
      {"port 0 to a server is the default port", test_server_port_zero_is_the_default},
      {"unknown-resource methods, DELETE of nothing, Proxy-Uri without a proxy", test_unknown_and_proxy_requests},
      {"GET with a piggybacked response", test_get_piggybacked},
      {"NON request with a query", test_non_and_query},
      {"4.04, 4.05 and 4.02 from the library", test_error_responses},
      {"/.well-known/core and filters", test_well_known_core},
      {"empty ACK when the handler sets no code", test_empty_ack_then_nothing},
      {"handler deletes its own resource", test_handler_deletes_its_resource},
      {"ping and pong", test_ping_pong},
      {"retransmission under packet loss", test_retransmission_under_loss},
      {"NACK after too many retries", test_too_many_retries},
      {"recovery parameters", test_recovery_parameters},
      {"session accessors", test_session_accessors},
      {"reference counts", test_reference_counts},
      {"release the session inside its handler", test_release_session_in_handler},
      {"free the context inside a handler", test_free_context_in_handler},
      {"free the endpoint inside its request handler", test_free_endpoint_in_handler},
      {"send from a handler; coap_io_process refused there", test_send_from_handler},
      {"a burst larger than a receive batch, in one pass", test_burst_in_one_pass},
      {"coap_set/clear_event_handler and coap_handle_event", test_event_handler_old_api},
      {"waiting on coap_context_get_coap_fd wakes for timers", test_wait_on_coap_fd},
      {"coap_io_prepare_io and coap_io_do_io", test_prepare_and_do_io},
      {"async (separate) responses", test_async},
      {"a reaped server session is established in its DEL event", test_reaped_session_in_its_event},
      {"AF_UNIX datagram endpoint and client", test_unix_domain},
      {"keepalive pings and failure", test_keepalive},
      {"bad handles", test_bad_handles},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite("session", setup, teardown);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
