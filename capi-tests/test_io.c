/* coap_io(3) behaviour seen from the wire: answers made in one I/O pass. */
#include "capi.h"
#include <arpa/inet.h>
#include <string.h>
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
  close(peer);
  peer = -1;
  coap_free_context(ctx);
}

void register_io(void) {
  static const capi_test_t tests[] = {
      {"a slow handler does not hold the answers made before it", test_slow_handlers_do_not_hold_earlier_answers},
      {NULL, NULL}};
  capi_add_suite("io", tests);
}
