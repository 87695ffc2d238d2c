/* coap_io(3) behaviour seen from the wire: answers made in one I/O pass. */
#include "capi.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int peer = -1;
static int calls;
static int seen_before_second; /* datagrams at the peer when handler 2 ran */

static int pending_at_peer(void) {
  uint8_t buf[256];
  int n = 0;
  while (recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0)
    n++;
  return n;
}

/* The next datagram the client sent the raw peer, and where from. */
static ssize_t peer_take(uint8_t *buf, size_t len, struct sockaddr_in *from, socklen_t *flen) {
  *flen = sizeof(*from);
  return recvfrom(peer, buf, len, 0, (struct sockaddr *)from, flen);
}

/* Ends a test with the raw peer: its session (if any), context and socket. */
static void peer_done(coap_context_t *ctx, coap_session_t *s) {
  if (s)
    coap_session_release(s);
  coap_free_context(ctx);
  close(peer);
  peer = -1;
}

/* Each call takes 2 ms, ten times the library's outbox budget. */
static void hnd_slow(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                     coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  if (++calls == 2)
    seen_before_second = pending_at_peer();
  usleep(2000);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
}

/* Two requests read in one pass, each with a slow handler: the first
 * answer leaves before the second handler runs instead of waiting for the
 * end of the pass (libcoap sends each answer as it is made). */
static void test_slow_handlers_do_not_hold_earlier_answers(void) {
  coap_address_t a;
  struct sockaddr_in to;
  uint16_t port = (uint16_t)(20000 + (getpid() + 41) % 20000);
  capi_loopback(&a, port);
  coap_context_t *ctx = coap_new_context(&a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
  coap_resource_t *r = coap_resource_init(coap_make_str_const("slow"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_slow);
  coap_add_resource(ctx, r);
  peer = socket(AF_INET, SOCK_DGRAM, 0);
  CU_ASSERT_FATAL(peer >= 0);
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  /* NON GET /slow, message ids 1 and 2, tokens 0xa1 and 0xa2. */
  uint8_t req1[] = {0x51, 0x01, 0x00, 0x01, 0xa1, 0xb4, 's', 'l', 'o', 'w'};
  uint8_t req2[] = {0x51, 0x01, 0x00, 0x02, 0xa2, 0xb4, 's', 'l', 'o', 'w'};
  CU_ASSERT(sendto(peer, req1, sizeof(req1), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(req1));
  CU_ASSERT(sendto(peer, req2, sizeof(req2), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(req2));
  calls = 0;
  seen_before_second = -1;
  for (int i = 0; i < 50 && calls < 2; i++)
    coap_io_process(ctx, 20);
  CU_ASSERT_EQUAL(calls, 2);
  CU_ASSERT_EQUAL(seen_before_second, 1);
  usleep(1000);
  CU_ASSERT_EQUAL(pending_at_peer(), 1); /* the second answer, at the end of the pass */
  peer_done(ctx, NULL);
}

static int client_responses;
static coap_response_t count_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                      const coap_mid_t mid) {
  (void)s, (void)sent, (void)received, (void)mid;
  client_responses++;
  return COAP_RESPONSE_OK;
}

/* A datagram from the raw peer, waiting up to a second for it. */
static ssize_t peer_recv(uint8_t *buf, size_t len, coap_context_t *ctx) {
  for (int i = 0; i < 100; i++) {
    ssize_t n = recv(peer, buf, len, MSG_DONTWAIT);
    if (n > 0)
      return n;
    coap_io_process(ctx, 10);
  }
  return -1;
}

/* A client session on `ctx` to a raw UDP socket (`peer`) the test speaks
 * for, with `handler` as the response handler. */
static coap_session_t *raw_peer_session(coap_context_t *ctx, coap_response_handler_t handler) {
  struct sockaddr_in me;
  socklen_t len = sizeof(me);
  coap_address_t a;
  peer = socket(AF_INET, SOCK_DGRAM, 0);
  memset(&me, 0, sizeof(me));
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (peer < 0 || bind(peer, (struct sockaddr *)&me, sizeof(me)) != 0 ||
      getsockname(peer, (struct sockaddr *)&me, &len) != 0)
    return NULL;
  capi_loopback(&a, ntohs(me.sin_port));
  coap_register_response_handler(ctx, handler);
  return coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
}

/* A CON GET with a one-byte token. */
static void send_con_get(coap_session_t *s, uint8_t tok) {
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s);
  coap_add_token(pdu, 1, &tok);
  coap_send(s, pdu);
}

static int unexpected_seen, refuse_unexpected, judged;
static int client_responses_seen(void) { return judged; }
static coap_response_t judge_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                      const coap_mid_t mid) {
  (void)s, (void)received, (void)mid;
  judged++;
  if (!sent)
    unexpected_seen++;
  return refuse_unexpected ? COAP_RESPONSE_FAIL : COAP_RESPONSE_OK;
}

/* coap_handler(3): responses nobody asked for (unknown token) also go to
 * the response handler, with no sent PDU; it accepts a CON one (ACK) or
 * refuses it (RST). */
static void test_unexpected_response_goes_to_the_handler(void) {
  struct sockaddr_in from;
  socklen_t flen;
  uint8_t buf[64];
  coap_context_t *ctx = coap_new_context(NULL);
  coap_session_t *s = raw_peer_session(ctx, judge_response);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  /* A request first, so the peer learns the client's address. */
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, s);
  coap_send(s, pdu);
  CU_ASSERT_FATAL(peer_take(buf, sizeof(buf), &from, &flen) >= 4);
  unexpected_seen = 0;
  for (int refuse = 0; refuse <= 1; refuse++) {
    refuse_unexpected = refuse;
    uint8_t con[] = {0x41, 0x45, 0x22, (uint8_t)(0x30 + refuse), 0xcc};
    sendto(peer, con, sizeof(con), 0, (struct sockaddr *)&from, flen);
    ssize_t n = peer_recv(buf, sizeof(buf), ctx);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT(n == 4 && buf[0] == (refuse ? 0x70 : 0x60) && buf[3] == 0x30 + refuse);
  }
  CU_ASSERT_EQUAL(unexpected_seen, 2);
  refuse_unexpected = 0;
  peer_done(ctx, s);
}

/* RFC 7252 5.4.1, as libcoap does: a response carrying a critical option
 * the client does not know is rejected: a piggybacked one is dropped (its
 * request counts as acknowledged), a CON one gets RST, a NON one nothing. */
static void test_unknown_critical_option_in_response(void) {
  struct sockaddr_in from;
  socklen_t flen;
  uint8_t buf[256];
  coap_context_t *ctx = coap_new_context(NULL);
  coap_session_t *s = raw_peer_session(ctx, count_response);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  client_responses = 0;
  send_con_get(s, 0x7e);
  ssize_t n = peer_take(buf, sizeof(buf), &from, &flen);
  CU_ASSERT_FATAL(n >= 5);
  /* ACK 2.05, same MID and token, option 2049 (critical, unknown). */
  uint8_t ack[] = {0x61, 0x45, buf[2], buf[3], 0x7e, 0xe0, 0x06, 0xf4, 'x'};
  sendto(peer, ack, sizeof(ack), 0, (struct sockaddr *)&from, flen);
  for (int i = 0; i < 5; i++)
    coap_io_process(ctx, 10);
  CU_ASSERT_EQUAL(client_responses, 0);
  CU_ASSERT_EQUAL(recv(peer, buf, sizeof(buf), MSG_DONTWAIT), -1); /* acknowledged: no resend */
  /* CON 2.05 with the same option: RST with its message id. */
  uint8_t con[] = {0x41, 0x45, 0x12, 0x34, 0x7e, 0xe0, 0x06, 0xf4, 'x'};
  sendto(peer, con, sizeof(con), 0, (struct sockaddr *)&from, flen);
  n = peer_recv(buf, sizeof(buf), ctx);
  CU_ASSERT_EQUAL(n, 4);
  CU_ASSERT(n == 4 && buf[0] == 0x70 && buf[1] == 0 && buf[2] == 0x12 && buf[3] == 0x34);
  /* NON with it: nothing at all; then a clean CON 2.05 is delivered. */
  uint8_t non[] = {0x51, 0x45, 0x12, 0x35, 0x7e, 0xe0, 0x06, 0xf4, 'x'};
  sendto(peer, non, sizeof(non), 0, (struct sockaddr *)&from, flen);
  uint8_t good[] = {0x41, 0x45, 0x12, 0x36, 0x7e, 0xff, 'o', 'k'};
  sendto(peer, good, sizeof(good), 0, (struct sockaddr *)&from, flen);
  n = peer_recv(buf, sizeof(buf), ctx); /* the ACK of the good one */
  CU_ASSERT(n == 4 && buf[0] == 0x60 && buf[2] == 0x12 && buf[3] == 0x36);
  CU_ASSERT_EQUAL(client_responses, 1);
  peer_done(ctx, s);
}

/* RFC 7252 4.5: a separate CON response resent (our ACK lost) is
 * acknowledged again, with what the first copy got, but reaches the
 * response handler once. */
static void test_duplicate_separate_response(void) {
  struct sockaddr_in from;
  socklen_t flen;
  uint8_t buf[256];
  coap_context_t *ctx = coap_new_context(NULL);
  coap_session_t *s = raw_peer_session(ctx, judge_response);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  send_con_get(s, 0x5e);
  ssize_t n = peer_take(buf, sizeof(buf), &from, &flen);
  CU_ASSERT_FATAL(n >= 5);
  uint8_t empty_ack[] = {0x60, 0x00, buf[2], buf[3]};
  sendto(peer, empty_ack, sizeof(empty_ack), 0, (struct sockaddr *)&from, flen);
  unexpected_seen = 0;
  judged = 0;
  refuse_unexpected = 0;
  for (int copy = 0; copy < 3; copy++) {
    uint8_t con[] = {0x41, 0x45, 0x43, 0x21, 0x5e, 0xff, 'o', 'k'};
    sendto(peer, con, sizeof(con), 0, (struct sockaddr *)&from, flen);
    n = peer_recv(buf, sizeof(buf), ctx);
    CU_ASSERT(n == 4 && buf[0] == 0x60 && buf[2] == 0x43 && buf[3] == 0x21);
  }
  CU_ASSERT_EQUAL(client_responses_seen(), 1);
  peer_done(ctx, s);
}

/* RFC 7252 5.4.1 and 4.3, as libcoap: a request with a critical option
 * the server does not know gets 4.02 when CON, and RST when NON. */
static void test_unknown_critical_option_in_request(void) {
  coap_address_t a;
  struct sockaddr_in to;
  uint8_t buf[256];
  uint16_t port = (uint16_t)(20000 + (getpid() + 43) % 20000);
  capi_loopback(&a, port);
  coap_context_t *ctx = coap_new_context(&a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
  coap_add_resource(ctx, coap_resource_init(coap_make_str_const("slow"), 0));
  peer = socket(AF_INET, SOCK_DGRAM, 0);
  CU_ASSERT_FATAL(peer >= 0);
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  for (int non = 0; non <= 1; non++) {
    /* GET /slow with option 2049 (critical, unknown), message id 0x0a0b. */
    uint8_t req[] = {(uint8_t)(non ? 0x51 : 0x41), 0x01, 0x0a, 0x0b, 0xa1, 0xb4, 's', 'l', 'o', 'w', 0xe1, 0x06, 0xe9, 'x'};
    CU_ASSERT(sendto(peer, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(req));
    ssize_t n = peer_recv(buf, sizeof(buf), ctx);
    if (non) {
      CU_ASSERT(n == 4 && buf[0] == 0x70 && buf[1] == 0 && buf[2] == 0x0a && buf[3] == 0x0b);
    } else {
      CU_ASSERT(n > 4 && buf[0] == 0x61 && buf[1] == COAP_RESPONSE_CODE(402) && buf[2] == 0x0a && buf[3] == 0x0b);
    }
  }
  peer_done(ctx, NULL);
}

static char endpoint_line[256];
static void keep_endpoint_line(coap_log_t level, const char *message) {
  if (level == COAP_LOG_DEBUG && strstr(message, "endpoint"))
    snprintf(endpoint_line, sizeof(endpoint_line), "%s", message);
}

/* libcoap's debug line for a new endpoint, which scripts wait for before
 * they start clients, and strerror()'s bare text from
 * coap_socket_strerror() (programs print it with errno after it). */
static void test_endpoint_line_and_strerror(void) {
  coap_address_t a;
  char want[64];
  uint16_t port = (uint16_t)(20000 + (getpid() + 67) % 20000);
  capi_loopback(&a, port);
  coap_context_t *ctx = coap_new_context(NULL);
  endpoint_line[0] = '\0';
  coap_set_log_handler(keep_endpoint_line);
  coap_set_log_level(COAP_LOG_DEBUG);
  CU_ASSERT_PTR_NOT_NULL(coap_new_endpoint(ctx, &a, COAP_PROTO_UDP));
  coap_set_log_level(COAP_LOG_WARN);
  coap_set_log_handler(NULL);
  snprintf(want, sizeof(want), "created UDP  endpoint 127.0.0.1:%u\n", port);
  CU_ASSERT_STRING_EQUAL(endpoint_line, want);
  coap_free_context(ctx);
  errno = EINTR;
  CU_ASSERT_STRING_EQUAL(coap_socket_strerror(), strerror(EINTR));
}

/* coap_io(3)'s application-driven loop: coap_io_prepare_epoll(), then
 * the application's own epoll_wait() on coap_context_get_coap_fd(), then
 * coap_io_do_epoll() with the events it returned. The request is answered
 * (the prepare call must not read the socket away from the wait, and the
 * do call must use the events the wait took). */
static void test_prepare_wait_do_epoll(void) {
  coap_address_t a;
  struct sockaddr_in to;
  uint8_t buf[64];
  uint16_t port = (uint16_t)(20000 + (getpid() + 71) % 20000);
  capi_loopback(&a, port);
  coap_context_t *ctx = coap_new_context(&a);
  coap_resource_t *r = coap_resource_init(coap_make_str_const("slow"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_slow);
  coap_add_resource(ctx, r);
  peer = socket(AF_INET, SOCK_DGRAM, 0);
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  uint8_t req[] = {0x50, 0x01, 0x00, 0x09, 0xb4, 's', 'l', 'o', 'w'};
  CU_ASSERT(sendto(peer, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(req));
  calls = 0;
  int fd = coap_context_get_coap_fd(ctx);
  CU_ASSERT_FATAL(fd >= 0);
  for (int i = 0; i < 10 && calls == 0; i++) {
    coap_tick_t now;
    struct epoll_event evs[8];
    coap_ticks(&now);
    unsigned int ms = coap_io_prepare_epoll(ctx, now);
    int n = epoll_wait(fd, evs, 8, ms == 0 || ms > 100 ? 100 : (int)ms);
    if (n > 0)
      coap_io_do_epoll(ctx, evs, (size_t)n);
  }
  CU_ASSERT_EQUAL(calls, 1);
  usleep(1000);
  CU_ASSERT(recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0);
  peer_done(ctx, NULL);
}

void register_io(void) {
  static const capi_test_t tests[] = {
      {"a slow handler does not hold the answers made before it", test_slow_handlers_do_not_hold_earlier_answers},
      {"a response with an unknown critical option is rejected", test_unknown_critical_option_in_response},
      {"prepare_epoll, the application's epoll_wait, do_epoll", test_prepare_wait_do_epoll},
      {"an unexpected response goes to the handler, which accepts or refuses it", test_unexpected_response_goes_to_the_handler},
      {"the endpoint debug line and coap_socket_strerror() as libcoap's", test_endpoint_line_and_strerror},
      {"a resent separate response is acknowledged but delivered once", test_duplicate_separate_response},
      {"a request with an unknown critical option: 4.02 if CON, RST if NON", test_unknown_critical_option_in_request},
      {NULL, NULL}};
  capi_add_suite("io", tests);
}
