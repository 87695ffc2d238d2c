/* DTLS over UDP (coap_encryption(3), coap_session(3)): a server and a client
 * context in one process over loopback. PSK (plain and with call-backs),
 * certificates from PEM files, PEM buffers and ASN.1 buffers (made with the
 * openssl CLI at test time), the DTLS events, the live SSL* and the psk
 * getters, failed handshakes, and re-entrant calls from call-backs. */
#include "capi.h"
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t next_port;
static coap_context_t *server, *client;
static coap_session_t *session;
static int responses, server_requests;
static char last_body[256];
static char certdir[64];
static int have_certs;

/* Events seen per side. */
static int s_connected, s_closed, s_error, c_connected, c_closed, c_error;

static char server_identity[64];
static void hnd_hello(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                      coap_pdu_t *resp) {
  const coap_bin_const_t *id = coap_session_get_psk_identity(s);
  (void)r, (void)req, (void)q;
  server_requests++;
  server_identity[0] = '\0';
  if (id && id->length < sizeof(server_identity)) {
    memcpy(server_identity, id->s, id->length);
    server_identity[id->length] = '\0';
  }
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(resp, 5, (const uint8_t *)"hello");
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  responses++;
  capi_copy_body(received, last_body, sizeof(last_body));
  return COAP_RESPONSE_OK;
}

static int on_server_event(coap_session_t *s, const coap_event_t event) {
  (void)s;
  if (event == COAP_EVENT_DTLS_CONNECTED)
    s_connected++;
  if (event == COAP_EVENT_DTLS_CLOSED)
    s_closed++;
  if (event == COAP_EVENT_DTLS_ERROR)
    s_error++;
  return 0;
}

static int release_on_connect;
static int on_client_event(coap_session_t *s, const coap_event_t event) {
  if (event == COAP_EVENT_DTLS_CONNECTED) {
    c_connected++;
    if (release_on_connect) {
      release_on_connect = 0;
      coap_session_release(s); /* re-entrant: the library holds it until we return */
      if (s == session)
        session = NULL;
    }
  }
  if (event == COAP_EVENT_DTLS_CLOSED)
    c_closed++;
  if (event == COAP_EVENT_DTLS_ERROR)
    c_error++;
  return 0;
}

/* Runs both contexts until `*counter` reaches `want` or `ms` pass. */
static int pump_for(int *counter, int want, int ms) {
  for (int i = 0; i < ms / 10 && *counter < want; i++) {
    if (server)
      coap_io_process(server, 5);
    if (client)
      coap_io_process(client, 5);
  }
  return *counter >= want;
}

static int pump(int *counter, int want) { return pump_for(counter, want, 5000); }

static void reset_counts(void) {
  responses = server_requests = 0;
  s_connected = s_closed = s_error = c_connected = c_closed = c_error = 0;
  last_body[0] = '\0';
}

/* A server context with /hello and a DTLS endpoint; returns its port. */
static uint16_t start_server(void) {
  coap_address_t a;
  coap_resource_t *r;
  uint16_t p = next_port++;
  capi_loopback(&a, p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(coap_new_endpoint(server, &a, COAP_PROTO_DTLS));
  r = coap_resource_init(coap_make_str_const("hello"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_hello);
  coap_add_resource(server, r);
  coap_register_event_handler(server, on_server_event);
  return p;
}

static void new_contexts(void) {
  reset_counts();
  server = coap_new_context(NULL);
  client = coap_new_context(NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(server);
  CU_ASSERT_PTR_NOT_NULL_FATAL(client);
  coap_register_response_handler(client, on_response);
  coap_register_event_handler(client, on_client_event);
}

static void free_contexts(void) {
  if (session)
    coap_session_release(session);
  session = NULL;
  coap_free_context(client);
  coap_free_context(server);
  client = server = NULL;
}

/* Sends GET /hello and waits for the answer; 1 when "hello" came back. */
static int get_hello(coap_session_t *s, int ms) {
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s);
  uint8_t token[8];
  size_t tlen;
  int before = responses;
  if (!pdu)
    return 0;
  coap_session_new_token(s, &tlen, token);
  coap_add_token(pdu, tlen, token);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 5, (const uint8_t *)"hello");
  if (coap_send(s, pdu) == COAP_INVALID_MID)
    return 0;
  pump_for(&responses, before + 1, ms);
  return responses == before + 1 && strcmp(last_body, "hello") == 0;
}

static int bin_is(const coap_bin_const_t *b, const char *want) {
  return b && b->length == strlen(want) && memcmp(b->s, want, b->length) == 0;
}

/* ------------------------------------------------------------------ PSK */

static int id_calls, reentry_refused;
static char id_hint_seen[32];
static const coap_bin_const_t *verify_id(coap_bin_const_t *identity, coap_session_t *s, void *arg) {
  static const coap_bin_const_t key = {6, (const uint8_t *)"secret"};
  const coap_bin_const_t *hint = coap_session_get_psk_hint(s);
  (void)arg;
  id_calls++;
  if (hint && hint->length < sizeof(id_hint_seen)) {
    memcpy(id_hint_seen, hint->s, hint->length);
    id_hint_seen[hint->length] = '\0';
  }
  /* The engine is mid-handshake: calls that reach it are refused. */
  if (coap_session_get_context(s) == NULL && coap_session_get_app_data(s) == NULL)
    reentry_refused++;
  if (identity->length == 3 && memcmp(identity->s, "bad", 3) == 0)
    return NULL; /* unknown identity: the handshake fails */
  return &key;
}

static coap_session_t *psk_client(uint16_t p, const char *identity, const char *key) {
  coap_address_t a;
  coap_dtls_cpsk_t setup;
  capi_loopback(&a, p);
  capi_cpsk(&setup, identity, key);
  return coap_new_client_session_psk2(client, NULL, &a, COAP_PROTO_DTLS, &setup);
}

static void test_psk_get(void) {
  coap_tls_library_t lib = COAP_TLS_LIBRARY_NOTLS;
  SSL *ssl;
  uint16_t p;
  new_contexts();
  CU_ASSERT_EQUAL(coap_context_set_psk(server, "hint", (const uint8_t *)"secret", 6), 1);
  p = start_server();
  session = psk_client(p, "client", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT_EQUAL(coap_session_get_proto(session), COAP_PROTO_DTLS);
  CU_ASSERT_EQUAL(coap_session_get_state(session), COAP_SESSION_STATE_HANDSHAKE);
  /* What was set up, before the handshake has used it (as libcoap). */
  CU_ASSERT(bin_is(coap_session_get_psk_identity(session), "client"));
  CU_ASSERT(bin_is(coap_session_get_psk_key(session), "secret"));
  /* Sent before the handshake completes: queued, then sent encrypted. */
  CU_ASSERT(get_hello(session, 5000));
  CU_ASSERT_EQUAL(c_connected, 1);
  CU_ASSERT_EQUAL(s_connected, 1);
  CU_ASSERT_EQUAL(coap_session_get_state(session), COAP_SESSION_STATE_ESTABLISHED);
  ssl = coap_session_get_tls(session, &lib);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ssl);
  CU_ASSERT_EQUAL(lib, COAP_TLS_LIBRARY_OPENSSL);
  CU_ASSERT_STRING_EQUAL(SSL_get_version(ssl), "DTLSv1.2");
  CU_ASSERT(bin_is(coap_session_get_psk_identity(session), "client"));
  CU_ASSERT(bin_is(coap_session_get_psk_key(session), "secret"));
  CU_ASSERT(bin_is(coap_session_get_psk_hint(session), "hint"));
  CU_ASSERT_STRING_EQUAL(server_identity, "client");
  CU_ASSERT_EQUAL(coap_session_max_pdu_size(session), COAP_DEFAULT_MTU - 37 - 4);
  CU_ASSERT_PTR_NOT_NULL(strstr(coap_session_str(session), "DTLS"));
  CU_ASSERT(get_hello(session, 3000)); /* and again on the same association */
  /* Release sends close_notify: the server hears DTLS_CLOSED. */
  coap_session_release(session);
  session = NULL;
  CU_ASSERT(pump(&s_closed, 1));
  free_contexts();
}

static int saw_accept_step, saw_connect_step, saw_close_write;
static void dtls_lines(coap_log_t level, const char *message) {
  if (level == COAP_LOG_DEBUG && strstr(message, ": SSL_accept:SSLv3/TLS write server hello"))
    saw_accept_step++;
  if (level == COAP_LOG_DEBUG && strstr(message, ": SSL_connect:SSLv3/TLS write client hello"))
    saw_connect_step++;
  if (level == COAP_LOG_INFO && strstr(message, ": SSL3 alert write:warning:close notify"))
    saw_close_write++;
}

/* libcoap's debug lines for each handshake step and each alert (test
 * harnesses wait for "write certificate request" and the like), and a
 * close_notify answered with one: both sides write one here. */
static void test_handshake_log_lines(void) {
  uint16_t p;
  new_contexts();
  CU_ASSERT_EQUAL(coap_context_set_psk(server, "hint", (const uint8_t *)"secret", 6), 1);
  p = start_server();
  saw_accept_step = saw_connect_step = saw_close_write = 0;
  coap_set_log_handler(dtls_lines);
  coap_set_log_level(COAP_LOG_DEBUG);
  session = psk_client(p, "client", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(get_hello(session, 5000));
  coap_session_release(session);
  session = NULL;
  CU_ASSERT(pump(&s_closed, 1));
  for (int i = 0; i < 5; i++) {
    coap_io_process(server, COAP_IO_NO_WAIT);
    coap_io_process(client, 10);
  }
  coap_set_log_level(COAP_LOG_WARN);
  coap_set_log_handler(NULL);
  CU_ASSERT(saw_accept_step >= 1);
  CU_ASSERT(saw_connect_step >= 1);
  CU_ASSERT_EQUAL(saw_close_write, 2);
  free_contexts();
}

static int nacks, last_nack = -1;
static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason, const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  nacks++;
  last_nack = (int)reason;
}

/* coap_recovery(3): a DTLS handshake nobody answers is resent
 * MAX_RETRANSMIT times, then fails with DTLS_CLOSED and a TLS_FAILED NACK
 * for the request that waited for it (which itself was never sent). */
static void test_unanswered_handshake_fails_after_max_retransmit(void) {
  struct sockaddr_in me;
  socklen_t len = sizeof(me);
  int hellos = 0;
  uint8_t buf[600];
  int silent = socket(AF_INET, SOCK_DGRAM, 0);
  memset(&me, 0, sizeof(me));
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CU_ASSERT_FATAL(bind(silent, (struct sockaddr *)&me, sizeof(me)) == 0);
  CU_ASSERT_FATAL(getsockname(silent, (struct sockaddr *)&me, &len) == 0);
  new_contexts();
  coap_register_nack_handler(client, on_nack);
  nacks = 0;
  last_nack = -1;
  session = psk_client(ntohs(me.sin_port), "client", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  coap_session_set_max_retransmit(session, 1);
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
  coap_send(session, pdu);
  for (int i = 0; i < 100 && nacks == 0; i++) {
    coap_io_process(client, 50);
    while (recv(silent, buf, sizeof(buf), MSG_DONTWAIT) > 0)
      hellos++;
  }
  CU_ASSERT_EQUAL(hellos, 2); /* the ClientHello and one retransmission */
  CU_ASSERT_EQUAL(c_closed, 1);
  CU_ASSERT_EQUAL(nacks, 1);
  CU_ASSERT_EQUAL(last_nack, COAP_NACK_TLS_FAILED);
  close(silent);
  free_contexts();
}

/* coap_context(3) max_handshake_sessions: past the limit the least
 * recently active session still in handshake is removed, so a peer that
 * stalls mid-handshake does not lock the next one out. */
static void test_stalled_handshake_makes_room(void) {
  uint16_t p;
  new_contexts();
  CU_ASSERT_EQUAL(coap_context_set_psk(server, "hint", (const uint8_t *)"secret", 6), 1);
  coap_context_set_max_handshake_sessions(server, 1);
  p = start_server();
  coap_context_t *stalled = coap_new_context(NULL);
  coap_address_t a;
  capi_loopback(&a, p);
  coap_session_t *sa = coap_new_client_session_psk(stalled, NULL, &a, COAP_PROTO_DTLS, "id", (const uint8_t *)"secret", 6);
  CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
  /* ClientHello, cookie, ClientHello again, the server's flight; then the
   * stalled client says nothing more. */
  usleep(20000);
  coap_io_process(server, COAP_IO_NO_WAIT); /* ClientHello: cookie */
  usleep(20000);
  coap_io_process(stalled, COAP_IO_NO_WAIT); /* ClientHello with it */
  usleep(20000);
  coap_io_process(server, COAP_IO_NO_WAIT); /* a session, in handshake */
  s_connected = 0;
  session = psk_client(p, "client", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(get_hello(session, 5000));
  CU_ASSERT_EQUAL(coap_session_get_state(session), COAP_SESSION_STATE_ESTABLISHED);
  coap_session_release(sa);
  coap_free_context(stalled);
  free_contexts();
}

static void test_psk2_callbacks_and_reentry(void) {
  coap_dtls_spsk_t setup;
  uint16_t p;
  new_contexts();
  memset(&setup, 0, sizeof(setup));
  setup.version = COAP_DTLS_SPSK_SETUP_VERSION;
  setup.validate_id_call_back = verify_id;
  setup.psk_info.hint.s = (const uint8_t *)"myhint";
  setup.psk_info.hint.length = 6;
  id_calls = reentry_refused = 0;
  id_hint_seen[0] = '\0';
  CU_ASSERT_EQUAL(coap_context_set_psk2(server, &setup), 1);
  p = start_server();
  session = psk_client(p, "anyone", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  capi_log_capture_start();
  CU_ASSERT(get_hello(session, 5000));
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(id_calls, 1);
  CU_ASSERT_EQUAL(reentry_refused, 1);
  CU_ASSERT_STRING_EQUAL(id_hint_seen, "myhint");
  CU_ASSERT(bin_is(coap_session_get_psk_hint(session), "myhint"));
  coap_session_release(session);
  /* An identity the call-back refuses: DTLS_ERROR on the client, quickly. */
  session = psk_client(p, "bad", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(pump(&c_error, 1));
  CU_ASSERT_EQUAL(c_connected, 1);
  CU_ASSERT_PTR_NULL(coap_session_get_tls(session, NULL));
  CU_ASSERT_EQUAL(coap_send(session, coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session)), COAP_INVALID_MID);
  free_contexts();
}

/* A client hint call-back picks identity and key from the server's hint. */
static int ih_calls;
static const coap_dtls_cpsk_info_t *pick_identity(coap_str_const_t *hint, coap_session_t *s, void *arg) {
  static coap_dtls_cpsk_info_t info = {{7, (const uint8_t *)"chosen1"}, {6, (const uint8_t *)"secret"}};
  (void)s, (void)arg;
  ih_calls++;
  if (hint->length == 4 && memcmp(hint->s, "hint", 4) == 0)
    return &info;
  return NULL;
}

static void test_client_hint_callback(void) {
  coap_address_t a;
  coap_dtls_cpsk_t setup;
  uint16_t p;
  new_contexts();
  CU_ASSERT_EQUAL(coap_context_set_psk(server, "hint", (const uint8_t *)"secret", 6), 1);
  p = start_server();
  capi_loopback(&a, p);
  memset(&setup, 0, sizeof(setup));
  setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
  setup.validate_ih_call_back = pick_identity;
  setup.client_sni = "localhost";
  ih_calls = 0;
  session = coap_new_client_session_psk2(client, NULL, &a, COAP_PROTO_DTLS, &setup);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(get_hello(session, 5000));
  CU_ASSERT_EQUAL(ih_calls, 1);
  CU_ASSERT_STRING_EQUAL(server_identity, "chosen1");
  CU_ASSERT(bin_is(coap_session_get_psk_identity(session), "chosen1"));
  free_contexts();
}

/* A server SNI call-back chooses hint and key per requested name. */
static char sni_seen[64];
static int sni_calls;
static const coap_dtls_spsk_info_t *pick_by_sni(const char *sni, coap_session_t *s, void *arg) {
  static coap_dtls_spsk_info_t info = {{7, (const uint8_t *)"snihint"}, {9, (const uint8_t *)"snisecret"}};
  (void)s, (void)arg;
  sni_calls++;
  snprintf(sni_seen, sizeof(sni_seen), "%s", sni);
  return strcmp(sni, "example.net") == 0 ? &info : NULL;
}

static void test_server_sni_callback(void) {
  coap_dtls_spsk_t setup;
  coap_dtls_cpsk_t cpsk;
  coap_address_t a;
  uint16_t p;
  new_contexts();
  memset(&setup, 0, sizeof(setup));
  setup.version = COAP_DTLS_SPSK_SETUP_VERSION;
  setup.validate_sni_call_back = pick_by_sni;
  sni_calls = 0;
  CU_ASSERT_EQUAL(coap_context_set_psk2(server, &setup), 1);
  p = start_server();
  capi_loopback(&a, p);
  capi_cpsk(&cpsk, "me", "snisecret");
  cpsk.client_sni = "example.net";
  session = coap_new_client_session_psk2(client, NULL, &a, COAP_PROTO_DTLS, &cpsk);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(get_hello(session, 5000));
  CU_ASSERT_EQUAL(sni_calls, 1);
  CU_ASSERT_STRING_EQUAL(sni_seen, "example.net");
  CU_ASSERT(bin_is(coap_session_get_psk_hint(session), "snihint"));
  coap_session_release(session);
  /* A name the call-back refuses: the handshake fails at once. */
  cpsk.client_sni = "other.example";
  session = coap_new_client_session_psk2(client, NULL, &a, COAP_PROTO_DTLS, &cpsk);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(pump(&c_error, 1));
  CU_ASSERT_STRING_EQUAL(sni_seen, "other.example");
  free_contexts();
}

static void test_wrong_key(void) {
  uint16_t p;
  new_contexts();
  CU_ASSERT_EQUAL(coap_context_set_psk(server, "hint", (const uint8_t *)"secret", 6), 1);
  p = start_server();
  session = psk_client(p, "client", "wrong!");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  /* Records under the wrong key do not authenticate: no association, no
   * response (DTLS drops them silently, so this ends by timeout). */
  CU_ASSERT_FALSE(get_hello(session, 1500));
  CU_ASSERT_EQUAL(c_connected, 0);
  CU_ASSERT_EQUAL(s_connected, 0);
  CU_ASSERT_EQUAL(server_requests, 0);
  free_contexts(); /* frees the half-open associations on both sides */
}

static void test_release_in_connected_handler(void) {
  uint16_t p;
  new_contexts();
  CU_ASSERT_EQUAL(coap_context_set_psk(server, NULL, (const uint8_t *)"secret", 6), 1);
  p = start_server();
  session = psk_client(p, "client", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  release_on_connect = 1;
  CU_ASSERT(pump(&c_connected, 1));
  CU_ASSERT_PTR_NULL(session);
  CU_ASSERT(pump(&s_closed, 1)); /* close_notify went out */
  free_contexts();
}

static void test_bad_setup(void) {
  coap_context_t *ctx = coap_new_context(NULL);
  coap_dtls_spsk_t spsk;
  coap_dtls_cpsk_t cpsk;
  coap_dtls_pki_t pki;
  coap_address_t a;
  capi_loopback(&a, next_port++);
  memset(&spsk, 0, sizeof(spsk));
  memset(&cpsk, 0, sizeof(cpsk));
  memset(&pki, 0, sizeof(pki));
  capi_log_capture_start();
  /* No keys yet: no DTLS endpoint. */
  CU_ASSERT_PTR_NULL(coap_new_endpoint(ctx, &a, COAP_PROTO_DTLS));
  spsk.version = 99;
  CU_ASSERT_EQUAL(coap_context_set_psk2(ctx, &spsk), 0);
  CU_ASSERT(capi_log_contains("Wrong version"));
  CU_ASSERT_EQUAL(coap_context_set_psk2(ctx, NULL), 0);
  CU_ASSERT_EQUAL(coap_context_set_psk2(NULL, &spsk), 0);
  spsk.version = COAP_DTLS_SPSK_SETUP_VERSION; /* no key, no call-back */
  CU_ASSERT_EQUAL(coap_context_set_psk2(ctx, &spsk), 0);
  cpsk.version = 2;
  CU_ASSERT_PTR_NULL(coap_new_client_session_psk2(ctx, NULL, &a, COAP_PROTO_DTLS, &cpsk));
  cpsk.version = COAP_DTLS_CPSK_SETUP_VERSION; /* no identity or key */
  CU_ASSERT_PTR_NULL(coap_new_client_session_psk2(ctx, NULL, &a, COAP_PROTO_DTLS, &cpsk));
  CU_ASSERT_PTR_NULL(coap_new_client_session_psk(ctx, NULL, &a, COAP_PROTO_TCP, "id", (const uint8_t *)"k", 1));
  pki.version = 0;
  CU_ASSERT_EQUAL(coap_context_set_pki(ctx, &pki), 0);
  CU_ASSERT(capi_log_contains("Wrong version"));
  pki.version = COAP_DTLS_PKI_SETUP_VERSION;
  pki.pki_key.key_type = COAP_PKI_KEY_PEM;
  pki.pki_key.key.pem.public_cert = "/nonexistent/cert.pem";
  pki.pki_key.key.pem.private_key = "/nonexistent/key.pem";
  capi_log_calls = 0;
  CU_ASSERT_EQUAL(coap_context_set_pki(ctx, &pki), 0);
  CU_ASSERT(capi_log_calls >= 1);
  pki.pki_key.key.pem.public_cert = NULL; /* NULL members: no certificate */
  pki.pki_key.key.pem.private_key = NULL;
  CU_ASSERT_EQUAL(coap_context_set_pki(ctx, &pki), 0);
  pki.pki_key.key_type = COAP_PKI_KEY_PKCS11;
  CU_ASSERT_EQUAL(coap_context_set_pki(ctx, &pki), 0);
  CU_ASSERT_EQUAL(coap_context_set_pki_root_cas(ctx, NULL, NULL), 0);
  CU_ASSERT_EQUAL(coap_context_set_pki_root_cas(ctx, "/nonexistent/ca.pem", NULL), 0);
  CU_ASSERT_PTR_NULL(coap_new_endpoint(ctx, &a, COAP_PROTO_DTLS)); /* still no keys */
  capi_log_capture_stop();
  coap_free_context(ctx);
}

/* Garbage and truncated records to a DTLS endpoint create nothing. */
static void test_garbage_dropped(void) {
  uint16_t p;
  int fd;
  coap_address_t a;
  static const uint8_t junk[][32] = {
      {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2}, /* truncated ClientHello */
      {0x17, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 16},       /* app data, unknown epoch */
      {0x40, 0x01, 0x12, 0x34},                                /* plain CoAP */
  };
  new_contexts();
  CU_ASSERT_EQUAL(coap_context_set_psk(server, "hint", (const uint8_t *)"secret", 6), 1);
  p = start_server();
  capi_loopback(&a, p);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
    sendto(fd, junk[i], sizeof(junk[i]), 0, &a.addr.sa, a.size);
  for (int i = 0; i < 20; i++)
    coap_io_process(server, 5);
  close(fd);
  CU_ASSERT_EQUAL(server_requests, 0);
  /* The endpoint still works. */
  session = psk_client(p, "client", "secret");
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(get_hello(session, 5000));
  free_contexts();
}

/* ------------------------------------------------------------------ PKI */

static int run(const char *cmd) {
  char line[1024];
  snprintf(line, sizeof(line), "cd %s && %s >/dev/null 2>&1", certdir, cmd);
  return system(line) == 0;
}

static void make_certs(void) {
  strcpy(certdir, "/tmp/capi-dtls-XXXXXX");
  if (!mkdtemp(certdir))
    return;
  have_certs =
      run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=capi-ca "
          "-keyout ca.key -out ca.pem") &&
      run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=capi-server "
          "-keyout server.key -out server.csr") &&
      run("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out server.pem") &&
      run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=capi-client "
          "-keyout client.key -out client.csr") &&
      run("openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem") &&
      run("openssl x509 -in client.pem -outform DER -out client.der") &&
      run("openssl pkey -in client.key -outform DER -out client.key.der") &&
      run("openssl x509 -in ca.pem -outform DER -out ca.der");
}

static void remove_certs(void) {
  char line[128];
  if (!certdir[0])
    return;
  snprintf(line, sizeof(line), "rm -rf %s", certdir);
  if (system(line) != 0)
    fprintf(stderr, "cannot remove %s\n", certdir);
}

/* The CA and server certificate files made at set-up (128-byte buffers);
 * 0, and a failed test, when they could not be made. */
static int cert_paths(char *ca, char *cert, char *key) {
  if (!have_certs) {
    CU_FAIL("openssl CLI could not make test certificates");
    return 0;
  }
  snprintf(ca, 128, "%s/ca.pem", certdir);
  snprintf(cert, 128, "%s/server.pem", certdir);
  snprintf(key, 128, "%s/server.key", certdir);
  return 1;
}

static uint8_t *slurp(const char *name, size_t *len) {
  char path[128];
  FILE *f;
  uint8_t *buf = malloc(8192);
  snprintf(path, sizeof(path), "%s/%s", certdir, name);
  f = fopen(path, "rb");
  if (!f || !buf) {
    if (f)
      fclose(f);
    free(buf);
    return NULL;
  }
  *len = fread(buf, 1, 8192, f);
  fclose(f);
  return buf;
}

static char cn_seen[64];
static int cn_calls;
static int check_cn(const char *cn, const uint8_t *cert, size_t len, coap_session_t *s, unsigned depth, int validated,
                    void *arg) {
  (void)cert, (void)s, (void)arg;
  cn_calls++;
  if (depth == 0)
    snprintf(cn_seen, sizeof(cn_seen), "%s", cn);
  return validated && len > 0;
}

static void pki_defaults(coap_dtls_pki_t *p) {
  memset(p, 0, sizeof(*p));
  p->version = COAP_DTLS_PKI_SETUP_VERSION;
  p->verify_peer_cert = 1;
  p->check_common_ca = 1;
  p->cert_chain_validation = 1;
  p->cert_chain_verify_depth = 2;
}

/* coap_endpoint_client(3): coap_new_client_session() with DTLS makes a
 * certificate handshake with no certificate of the client's own; the
 * server's is checked against the context's root CAs. */
static void test_plain_new_client_session_dtls(void) {
  coap_dtls_pki_t sp;
  char ca[128], cert[128], key[128];
  coap_address_t a;
  uint16_t p;
  if (!cert_paths(ca, cert, key))
    return;
  new_contexts();
  memset(&sp, 0, sizeof(sp));
  sp.version = COAP_DTLS_PKI_SETUP_VERSION; /* no client certificate asked for */
  sp.pki_key.key_type = COAP_PKI_KEY_PEM;
  sp.pki_key.key.pem.public_cert = cert;
  sp.pki_key.key.pem.private_key = key;
  CU_ASSERT_EQUAL_FATAL(coap_context_set_pki(server, &sp), 1);
  p = start_server();
  capi_loopback(&a, p);
  CU_ASSERT_EQUAL(coap_context_set_pki_root_cas(client, ca, NULL), 1);
  session = coap_new_client_session(client, NULL, &a, COAP_PROTO_DTLS);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT_EQUAL(coap_session_get_proto(session), COAP_PROTO_DTLS);
  CU_ASSERT(get_hello(session, 5000));
  free_contexts();
}

static void test_pki(void) {
  coap_dtls_pki_t sp, cp;
  coap_address_t a;
  char ca[128], cert[128], key[128];
  uint8_t *bufs[3];
  size_t lens[3];
  SSL *ssl;
  uint16_t p;
  if (!cert_paths(ca, cert, key))
    return;
  new_contexts();
  pki_defaults(&sp);
  sp.validate_cn_call_back = check_cn;
  sp.pki_key.key_type = COAP_PKI_KEY_PEM;
  sp.pki_key.key.pem.ca_file = ca;
  sp.pki_key.key.pem.public_cert = cert;
  sp.pki_key.key.pem.private_key = key;
  CU_ASSERT_EQUAL_FATAL(coap_context_set_pki(server, &sp), 1);
  CU_ASSERT_EQUAL(coap_context_set_pki_root_cas(server, ca, NULL), 1);
  p = start_server();
  capi_loopback(&a, p);

  /* Client 1: PEM buffers. */
  bufs[0] = slurp("ca.pem", &lens[0]);
  bufs[1] = slurp("client.pem", &lens[1]);
  bufs[2] = slurp("client.key", &lens[2]);
  pki_defaults(&cp);
  cp.client_sni = "capi-server";
  cp.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
  cp.pki_key.key.pem_buf.ca_cert = bufs[0];
  cp.pki_key.key.pem_buf.ca_cert_len = lens[0];
  cp.pki_key.key.pem_buf.public_cert = bufs[1];
  cp.pki_key.key.pem_buf.public_cert_len = lens[1];
  cp.pki_key.key.pem_buf.private_key = bufs[2];
  cp.pki_key.key.pem_buf.private_key_len = lens[2];
  cn_calls = 0;
  session = coap_new_client_session_pki(client, NULL, &a, COAP_PROTO_DTLS, &cp);
  for (int i = 0; i < 3; i++)
    free(bufs[i]); /* the library keeps its own copy */
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(get_hello(session, 5000));
  CU_ASSERT(cn_calls >= 1);
  CU_ASSERT_STRING_EQUAL(cn_seen, "capi-client");
  ssl = coap_session_get_tls(session, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ssl);
  CU_ASSERT_STRING_EQUAL(SSL_get_version(ssl), "DTLSv1.2");
  coap_session_release(session);

  /* Client 2: ASN.1 (DER) buffers. */
  bufs[0] = slurp("ca.der", &lens[0]);
  bufs[1] = slurp("client.der", &lens[1]);
  bufs[2] = slurp("client.key.der", &lens[2]);
  pki_defaults(&cp);
  cp.pki_key.key_type = COAP_PKI_KEY_ASN1;
  cp.pki_key.key.asn1.ca_cert = bufs[0];
  cp.pki_key.key.asn1.ca_cert_len = lens[0];
  cp.pki_key.key.asn1.public_cert = bufs[1];
  cp.pki_key.key.asn1.public_cert_len = lens[1];
  cp.pki_key.key.asn1.private_key = bufs[2];
  cp.pki_key.key.asn1.private_key_len = lens[2];
  cp.pki_key.key.asn1.private_key_type = COAP_ASN1_PKEY_EC;
  session = coap_new_client_session_pki(client, NULL, &a, COAP_PROTO_DTLS, &cp);
  for (int i = 0; i < 3; i++)
    free(bufs[i]);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(get_hello(session, 5000));

  /* Client 3: no certificate of its own, but the server verifies peers:
   * the handshake fails. */
  coap_session_release(session);
  reset_counts();
  pki_defaults(&cp);
  cp.pki_key.key_type = COAP_PKI_KEY_PEM;
  cp.pki_key.key.pem.ca_file = ca;
  session = coap_new_client_session_pki(client, NULL, &a, COAP_PROTO_DTLS, &cp);
  CU_ASSERT_PTR_NOT_NULL_FATAL(session);
  CU_ASSERT(pump(&c_error, 1));
  CU_ASSERT_EQUAL(c_connected, 0);
  free_contexts();
}

void register_dtls(void) {
  static const capi_test_t tests[] = {
      {"PSK handshake, GET, SSL*, psk getters, close", test_psk_get},
      {"a stalled handshake makes room past max_handshake_sessions", test_stalled_handshake_makes_room},
      {"an unanswered handshake fails after MAX_RETRANSMIT resends", test_unanswered_handshake_fails_after_max_retransmit},
      {"libcoap's handshake-step and alert log lines; close_notify answered", test_handshake_log_lines},
      {"PSK id call-back, re-entry refused, rejected identity", test_psk2_callbacks_and_reentry},
      {"client hint call-back picks identity and key", test_client_hint_callback},
      {"server SNI call-back picks hint and key", test_server_sni_callback},
      {"wrong key: no association, no response", test_wrong_key},
      {"release inside the DTLS_CONNECTED handler", test_release_in_connected_handler},
      {"bad set-up data is refused", test_bad_setup},
      {"garbage to a DTLS endpoint is dropped", test_garbage_dropped},
      {"PKI: PEM files, PEM buffers, ASN.1, CN call-back, no cert", test_pki},
      {"coap_new_client_session() with DTLS: no own certificate, root CAs", test_plain_new_client_session_dtls},
      {NULL, NULL}};
  next_port = (uint16_t)(20000 + (getpid() * 7 + 13) % 20000);
  make_certs();
  atexit(remove_certs);
  capi_add_suite("dtls", tests);
}
