/*
 * A small CoAP client on the libcoap-3 API: sends one request and prints
 * the response body.
 *
 *   client [-m get|post|put|delete] [-e payload] [-N] [-v level]
 *          [-L loss] [-w seconds] URI
 *
 * -N sends a NON request, -L drops outgoing datagrams ("25%" or "1,3"),
 * -w bounds the wait (default 10 s). Exit status 0 for a 2.xx response.
 */
#include <coap3/coap.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int done, code;

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  const uint8_t *data;
  size_t len;
  (void)s, (void)sent, (void)mid;
  code = coap_pdu_get_code(received);
  if (coap_get_data(received, &len, &data))
    fwrite(data, 1, len, stdout);
  if (len)
    fputc('\n', stdout);
  if (COAP_RESPONSE_CLASS(code) != 2)
    fprintf(stderr, "%d.%02d %s\n", code >> 5, code & 31,
            coap_response_phrase((unsigned char)code) ? coap_response_phrase((unsigned char)code) : "");
  done = 1;
  return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
                    const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  fprintf(stderr, "no response (NACK reason %d)\n", (int)reason);
  done = -1;
}

static int method_of(const char *m) {
  static const char *names[] = {"get", "post", "put", "delete", "fetch", "patch", "ipatch"};
  for (int i = 0; i < 7; i++)
    if (strcasecmp(m, names[i]) == 0)
      return i + 1;
  return 0;
}

int main(int argc, char **argv) {
  const char *payload = NULL, *loss = NULL;
  int method = COAP_REQUEST_CODE_GET, non = 0, wait_s = 10, opt;
  coap_uri_t uri;
  char host[256], portstr[8];
  struct addrinfo hints, *res;
  coap_address_t dst;
  coap_context_t *ctx;
  coap_session_t *session;
  coap_pdu_t *pdu;
  coap_optlist_t *opts = NULL;
  uint8_t token[8], buf[512];
  size_t tlen;

  coap_startup();
  while ((opt = getopt(argc, argv, "m:e:Nv:L:w:")) != -1) {
    switch (opt) {
    case 'm': method = method_of(optarg); break;
    case 'e': payload = optarg; break;
    case 'N': non = 1; break;
    case 'v': coap_set_log_level((coap_log_t)atoi(optarg)); break;
    case 'L': loss = optarg; break;
    case 'w': wait_s = atoi(optarg); break;
    default: method = 0;
    }
  }
  if (!method || optind != argc - 1) {
    fprintf(stderr, "usage: %s [-m get|post|put|delete] [-e payload] [-N] [-v level] [-L loss] [-w s] URI\n",
            argv[0]);
    return 2;
  }
  if (coap_split_uri((const uint8_t *)argv[optind], strlen(argv[optind]), &uri) < 0 ||
      uri.scheme != COAP_URI_SCHEME_COAP || uri.host.length >= sizeof(host)) {
    fprintf(stderr, "cannot use URI %s (coap:// only)\n", argv[optind]);
    return 2;
  }
  memcpy(host, uri.host.s, uri.host.length);
  host[uri.host.length] = '\0';
  snprintf(portstr, sizeof(portstr), "%u", uri.port);
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(host, portstr, &hints, &res) != 0) {
    fprintf(stderr, "cannot resolve %s\n", host);
    return 1;
  }
  coap_address_init(&dst);
  dst.size = (socklen_t)res->ai_addrlen;
  memcpy(&dst.addr, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);

  ctx = coap_new_context(NULL);
  session = ctx ? coap_new_client_session(ctx, NULL, &dst, COAP_PROTO_UDP) : NULL;
  if (!session) {
    fprintf(stderr, "cannot create a session to %s\n", argv[optind]);
    return 1;
  }
  coap_register_response_handler(ctx, on_response);
  coap_register_nack_handler(ctx, on_nack);
  if (loss && !coap_debug_set_packet_loss(loss))
    return 2;

  pdu = coap_new_pdu(non ? COAP_MESSAGE_NON : COAP_MESSAGE_CON, (coap_pdu_code_t)method, session);
  coap_session_new_token(session, &tlen, token);
  coap_add_token(pdu, tlen, token);
  if (coap_uri_into_options(&uri, &dst, &opts, 1, buf, sizeof(buf)) < 0 || !coap_add_optlist_pdu(pdu, &opts)) {
    fprintf(stderr, "cannot encode the URI into options\n");
    return 1;
  }
  coap_delete_optlist(opts);
  if (payload)
    coap_add_data(pdu, strlen(payload), (const uint8_t *)payload);
  if (coap_send(session, pdu) == COAP_INVALID_MID) {
    fprintf(stderr, "cannot send\n");
    return 1;
  }
  for (int waited = 0; !done && waited < wait_s * 1000;) {
    int spent = coap_io_process(ctx, 100);
    if (spent < 0)
      break;
    waited += spent > 0 ? spent : 1;
  }
  if (!done)
    fprintf(stderr, "timed out\n");
  coap_session_release(session);
  coap_free_context(ctx);
  coap_cleanup();
  return done == 1 && COAP_RESPONSE_CLASS(code) == 2 ? 0 : 1;
}
