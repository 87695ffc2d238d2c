/*
 * Observe throughput: one server context with an observable resource and
 * N client sessions (own sockets) observing it, in one process on one
 * library. The resource changes as fast as the library lets it; the
 * figure is notifications received per second. Built unchanged against
 * this library and against Debian's libcoap (public 4.3 API only).
 *
 *   observe-bench [-p port] [-n observers] [-d seconds]
 * Prints "RESULT observers=N notifications_per_s=X".
 */
#include <coap3/coap.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long received, registered;
static unsigned value;

static void hnd_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  char text[16];
  int len = snprintf(text, sizeof(text), "%u", value);
  (void)r, (void)s, (void)req, (void)q;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(resp, (size_t)len, (const uint8_t *)text);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received_pdu,
                                   const coap_mid_t mid) {
  (void)s, (void)sent, (void)received_pdu, (void)mid;
  if (sent)
    registered++;
  else
    received++;
  return COAP_RESPONSE_OK;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int port = 5683, n = 1000, opt;
  double secs = 3;
  coap_address_t a;
  while ((opt = getopt(argc, argv, "p:n:d:")) != -1) {
    switch (opt) {
    case 'p': port = atoi(optarg); break;
    case 'n': n = atoi(optarg); break;
    case 'd': secs = atof(optarg); break;
    default: return 2;
    }
  }
  coap_startup();
  coap_set_log_level(0);
  coap_address_init(&a);
  a.addr.sin.sin_family = AF_INET;
  a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.addr.sin.sin_port = htons((uint16_t)port);
  a.size = sizeof(a.addr.sin);
  coap_context_t *server = coap_new_context(&a);
  coap_context_t *client = coap_new_context(NULL);
  if (!server || !client) {
    fprintf(stderr, "cannot create contexts\n");
    return 1;
  }
  coap_resource_t *r = coap_resource_init(coap_make_str_const("obs"), 0);
  coap_register_handler(r, COAP_REQUEST_GET, hnd_get);
  coap_resource_set_get_observable(r, 1);
  coap_add_resource(server, r);
  coap_register_response_handler(client, on_response);

  for (int i = 0; i < n; i++) {
    coap_session_t *s = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
    uint8_t token[8], obs = 0;
    size_t tlen;
    if (!s) {
      fprintf(stderr, "cannot create session %d\n", i);
      return 1;
    }
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, s);
    coap_session_new_token(s, &tlen, token);
    coap_add_token(pdu, tlen, token);
    coap_add_option(pdu, COAP_OPTION_OBSERVE, 0, &obs);
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, (const uint8_t *)"obs");
    coap_send(s, pdu);
    if (i % 64 == 63) {
      coap_io_process(server, COAP_IO_NO_WAIT);
      coap_io_process(client, COAP_IO_NO_WAIT);
    }
  }
  for (double t0 = now(); registered < n && now() - t0 < 10;) {
    coap_io_process(server, COAP_IO_NO_WAIT);
    coap_io_process(client, COAP_IO_NO_WAIT);
  }
  if (registered < n) {
    fprintf(stderr, "only %ld of %d observers registered\n", registered, n);
    return 1;
  }
  received = 0;
  double start = now(), end = start + secs;
  while (now() < end) {
    value++;
    coap_resource_notify_observers(r, NULL);
    coap_io_process(server, COAP_IO_NO_WAIT);
    coap_io_process(client, COAP_IO_NO_WAIT);
  }
  printf("RESULT observers=%d notifications_per_s=%.0f\n", n, received / (now() - start));
  coap_free_context(client);
  coap_free_context(server);
  coap_cleanup();
  return 0;
}
