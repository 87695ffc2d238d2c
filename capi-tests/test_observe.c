/* coap_observe(3): registration, notifications with rising sequence
 * numbers, cancellation, and deregistration by Observe 1 (RFC 7641). */
#include "capi.h"
#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static coap_context_t *server, *client;
static coap_session_t *session;
static coap_resource_t *res;
static uint16_t port;
static int counter, notifications, last_code;
static uint32_t last_seq;
static int last_has_observe;
static int refuse_notifications; /* the response handler returns FAIL */
static char types[16];             /* 'A'/'N'/'C' per response, from 1 */

static int handler_saw_observe; /* calls that found Observe in the response */
static void hnd_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  char text[16];
  coap_opt_iterator_t it;
  (void)r, (void)s, (void)req, (void)q;
  if (coap_check_option(resp, COAP_OPTION_OBSERVE, &it))
    handler_saw_observe++;
  snprintf(text, sizeof(text), "%d", counter);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(resp, strlen(text), (const uint8_t *)text);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  coap_opt_iterator_t oi;
  coap_opt_t *opt = coap_check_option(received, COAP_OPTION_OBSERVE, &oi);
  (void)s, (void)sent, (void)mid;
  notifications++;
  if (notifications < (int)sizeof(types))
    types[notifications] = coap_pdu_get_type(received) == COAP_MESSAGE_CON ? 'C' : coap_pdu_get_type(received) == COAP_MESSAGE_NON ? 'N' : 'A';
  last_code = coap_pdu_get_code(received);
  last_has_observe = opt != NULL;
  if (opt)
    last_seq = coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
  return refuse_notifications && notifications > 1 ? COAP_RESPONSE_FAIL : COAP_RESPONSE_OK;
}

static void pump(int want) {
  for (int i = 0; i < 300 && notifications < want; i++) {
    coap_io_process(server, 5);
    coap_io_process(client, 5);
  }
}

static void send_get(const char *token, int observe) {
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, session);
  uint8_t buf[4];
  coap_add_token(pdu, strlen(token), (const uint8_t *)token);
  if (observe >= 0)
    coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(buf, sizeof(buf), (unsigned)observe), buf);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"obs");
  coap_send(session, pdu);
}

static int setup(void) {
  coap_address_t a;
  port = (uint16_t)(20000 + (getpid() + 7) % 20000);
  coap_address_init(&a);
  a.addr.sin.sin_family = AF_INET;
  a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.addr.sin.sin_port = htons(port);
  a.size = sizeof(struct sockaddr_in);
  server = coap_new_context(&a);
  res = coap_resource_init(coap_make_str_const("obs"), 0);
  coap_register_request_handler(res, COAP_REQUEST_GET, hnd_get);
  coap_resource_set_get_observable(res, 1);
  coap_add_resource(server, res);
  client = coap_new_context(NULL);
  coap_register_response_handler(client, on_response);
  session = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  return server && session ? 0 : 1;
}

static int teardown(void) {
  coap_session_release(session);
  coap_free_context(client);
  coap_free_context(server);
  return 0;
}

static void test_register_notify_cancel(void) {
  coap_binary_t token = {3, (uint8_t *)"obs"};
  int before;
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 0); /* nobody yet */
  notifications = 0;
  send_get("obs", COAP_OBSERVE_ESTABLISH);
  pump(1);
  CU_ASSERT_EQUAL_FATAL(notifications, 1);
  CU_ASSERT(last_has_observe);
  before = (int)last_seq;
  counter = 1;
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 1);
  pump(2);
  CU_ASSERT_EQUAL(notifications, 2);
  CU_ASSERT(last_has_observe);
  CU_ASSERT_EQUAL((int)last_seq, before + 1);
  for (int n = 3; n <= 7; n++) { /* past the every-fifth-is-CON mark */
    CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 1);
    pump(n);
  }
  CU_ASSERT_EQUAL(notifications, 7);
  CU_ASSERT_EQUAL(coap_cancel_observe(session, &token, COAP_MESSAGE_CON), 1);
  pump(8); /* the answer to the cancelling GET */
  CU_ASSERT_EQUAL(notifications, 8);
  CU_ASSERT_FALSE(last_has_observe);
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 0);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_cancel_observe(session, &token, COAP_MESSAGE_CON), 0); /* not observing */
  CU_ASSERT_EQUAL(coap_cancel_observe(session, &token, COAP_MESSAGE_ACK), 0);
  CU_ASSERT_EQUAL(coap_cancel_observe(NULL, &token, COAP_MESSAGE_CON), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
}

static void test_deregister_with_observe_1(void) {
  notifications = 0;
  send_get("ob2", COAP_OBSERVE_ESTABLISH);
  pump(1);
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 1);
  pump(2);
  CU_ASSERT_EQUAL(notifications, 2);
  send_get("ob2", COAP_OBSERVE_CANCEL);
  pump(3);
  CU_ASSERT_EQUAL(notifications, 3);
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 0);
}

/* A NON resource sends five NON notifications, then one CON, as libcoap
 * does (RFC 7641 4.5 asks for a CON now and then). */
static void test_every_sixth_notification_is_con(void) {
  coap_binary_t token = {3, (uint8_t *)"ob4"};
  memset(types, 0, sizeof(types));
  notifications = 0;
  handler_saw_observe = 0;
  send_get("ob4", COAP_OBSERVE_ESTABLISH);
  pump(1);
  for (int n = 2; n <= 8; n++) {
    CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 1);
    pump(n);
  }
  CU_ASSERT_STRING_EQUAL(types + 1, "ANNNNNCN");
  /* coap_handler(3): Observe is in the response before the handler runs,
   * for the registration and each notification. */
  CU_ASSERT_EQUAL(handler_saw_observe, 8);
  /* coap_io(3): an observation the client holds keeps I/O pending. */
  CU_ASSERT_EQUAL(coap_io_pending(client), 1);
  CU_ASSERT_EQUAL(coap_cancel_observe(session, &token, COAP_MESSAGE_CON), 1);
  pump(9);
  CU_ASSERT_EQUAL(coap_io_pending(client), 0);
}

/* A response handler that returns COAP_RESPONSE_FAIL makes the library
 * answer RST (coap_handler(3)): the server then drops the observer. For a
 * NON notification and for a CON one (which is not ACKed as well). */
static void test_refused_notification_ends_the_observation(void) {
  for (int con = 0; con <= 1; con++) {
    notifications = 0;
    refuse_notifications = 1;
    coap_resource_set_mode(res, con ? COAP_RESOURCE_FLAGS_NOTIFY_CON : COAP_RESOURCE_FLAGS_NOTIFY_NON);
    send_get("ob3", COAP_OBSERVE_ESTABLISH);
    pump(1);
    CU_ASSERT_EQUAL_FATAL(notifications, 1);
    CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 1);
    pump(2);
    CU_ASSERT_EQUAL(notifications, 2); /* refused: RST */
    for (int i = 0; i < 20; i++) {
      coap_io_process(server, 5);
      coap_io_process(client, 5);
    }
    CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 0);
    /* The client holds no observation either: nothing keeps I/O pending. */
    CU_ASSERT_EQUAL(coap_io_pending(client), 0);
    refuse_notifications = 0;
  }
  coap_resource_set_mode(res, COAP_RESOURCE_FLAGS_NOTIFY_NON);
}

static void test_not_observable(void) {
  coap_resource_set_get_observable(res, 0);
  notifications = 0;
  send_get("ob3", COAP_OBSERVE_ESTABLISH);
  pump(1);
  CU_ASSERT_EQUAL(notifications, 1);
  CU_ASSERT_FALSE(last_has_observe); /* a plain answer, no registration */
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 0);
  coap_resource_set_get_observable(res, 1);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_resource_notify_observers(NULL, NULL), 0);
  coap_resource_set_get_observable(NULL, 1);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
}

/* An application that waits on coap_context_get_coap_fd() (as Debian's
 * coap-server does) must be woken when a resource changes; otherwise its
 * observers hear nothing until some other traffic arrives. */
static void test_notify_wakes_the_coap_fd(void) {
  struct pollfd p;
  int before;
  notifications = 0;
  send_get("wak", COAP_OBSERVE_ESTABLISH);
  pump(1);
  CU_ASSERT_EQUAL_FATAL(notifications, 1);
  /* Let the server go idle: nothing readable on its fd. */
  for (int i = 0; i < 5; i++)
    coap_io_process(server, COAP_IO_NO_WAIT);
  p.fd = coap_context_get_coap_fd(server);
  p.events = POLLIN;
  before = notifications;
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 1);
  CU_ASSERT_EQUAL(poll(&p, 1, 1000), 1);
  coap_io_process(server, COAP_IO_NO_WAIT);
  for (int i = 0; i < 100 && notifications == before; i++)
    coap_io_process(client, 10);
  CU_ASSERT_EQUAL(notifications, before + 1);
}

/* Fresh tokens from one session cannot grow the observer list without end:
 * past the per-session bound the GETs are answered but not registered. */
static void test_registration_flood_is_bounded(void) {
  char token[8];
  int before;
  notifications = 0;
  for (int i = 0; i < 40; i++) {
    snprintf(token, sizeof(token), "f%02d", i);
    send_get(token, COAP_OBSERVE_ESTABLISH);
  }
  pump(40);
  CU_ASSERT_EQUAL_FATAL(notifications, 40);
  before = notifications;
  CU_ASSERT_EQUAL(coap_resource_notify_observers(res, NULL), 1);
  pump(before + 40);
  /* The earlier tests' observers (if any) plus 32 from the flood. */
  CU_ASSERT(notifications - before >= 32 && notifications - before < 40);
}

/* Deleting an observed resource tells its observers (4.04, RFC 7641) and
 * lets go of their sessions. */
/* coap_persist(3): freeing a context deletes its resources, and their
 * observers hear 4.04 (unless coap_persist_stop() asked to keep them). */
static void test_free_context_tells_observers(void) {
  coap_address_t a;
  uint16_t p = (uint16_t)(port + 1);
  capi_loopback(&a, p);
  coap_context_t *srv = coap_new_context(&a);
  coap_resource_t *r = coap_resource_init(coap_make_str_const("obs"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_get);
  coap_resource_set_get_observable(r, 1);
  coap_add_resource(srv, r);
  coap_session_t *s = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s);
  uint8_t zero = 0;
  coap_add_token(pdu, 3, (const uint8_t *)"fre");
  coap_add_option(pdu, COAP_OPTION_OBSERVE, 0, &zero);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"obs");
  notifications = 0;
  coap_send(s, pdu);
  for (int i = 0; i < 100 && notifications < 1; i++) {
    coap_io_process(srv, 5);
    coap_io_process(client, 5);
  }
  CU_ASSERT_EQUAL_FATAL(notifications, 1);
  last_code = 0;
  coap_free_context(srv);
  for (int i = 0; i < 50 && last_code == 0; i++)
    coap_io_process(client, 5);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_NOT_FOUND);
  coap_session_release(s);
}

static void test_delete_observed_resource(void) {
  notifications = 0;
  send_get("del", COAP_OBSERVE_ESTABLISH);
  pump(1);
  CU_ASSERT_EQUAL_FATAL(notifications, 1);
  last_code = 0;
  CU_ASSERT(coap_delete_resource(server, res));
  res = NULL;
  for (int i = 0; i < 100 && last_code != COAP_RESPONSE_CODE_NOT_FOUND; i++) {
    coap_io_process(server, 5);
    coap_io_process(client, 5);
  }
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_NOT_FOUND);
  CU_ASSERT_FALSE(last_has_observe);
}

void register_observe(void) {
  static const capi_test_t tests[] = {
      {"freeing the context sends observers 4.04", test_free_context_tells_observers},
      {"five NON notifications, then a CON", test_every_sixth_notification_is_con},
      {"COAP_RESPONSE_FAIL from the handler: RST, the observation ends", test_refused_notification_ends_the_observation},
      {"register, notify, cancel", test_register_notify_cancel},
      {"deregister with Observe 1", test_deregister_with_observe_1},
      {"not observable", test_not_observable},
      {"a notification wakes an application waiting on the coap fd", test_notify_wakes_the_coap_fd},
      {"a registration flood from many tokens is bounded", test_registration_flood_is_bounded},
      {"deleting an observed resource sends 4.04", test_delete_observed_resource},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite("observe", setup, teardown);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
