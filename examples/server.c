/*
 * A small CoAP server on the libcoap-3 API: "/" (a greeting), "/time"
 * (the current time), "/data" (GET, PUT, DELETE a stored body) and the
 * library's own /.well-known/core.
 *
 *   server [-A address] [-p port] [-g group [-G ifname]] [-v level] [-k key [-h hint]]
 *          [-c cert -j key [-R ca]]
 *
 * With -k (PSK) or -c/-j (certificates, PEM files) it also listens for
 * DTLS on port+1, as libcoap's coap-server does. -R names the CA that
 * client certificates must chain to (then one is required).
 */
#include <coap3/coap.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t quit;
static void on_signal(int sig) { (void)sig; quit = 1; }

static coap_resource_t *time_resource;
/* /data's body: any size, sent and taken block-wise by the library. */
static uint8_t *data;
static size_t data_len;
static int have_data;

static void get_root(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                     coap_pdu_t *resp) {
  static const char text[] = "Example server on the libcoap-3 API (Rust drop-in)";
  uint8_t buf[4];
  (void)r, (void)s, (void)req, (void)q;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
                  coap_encode_var_safe(buf, sizeof(buf), COAP_MEDIATYPE_TEXT_PLAIN), buf);
  coap_add_data(resp, sizeof(text) - 1, (const uint8_t *)text);
}

static void get_time(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                     coap_pdu_t *resp) {
  char text[64];
  time_t now = time(NULL);
  struct tm tm;
  size_t len;
  uint8_t buf[4];
  (void)r, (void)s, (void)req;
  if (q && q->length == 5 && memcmp(q->s, "ticks", 5) == 0)
    len = (size_t)snprintf(text, sizeof(text), "%lld", (long long)now);
  else
    len = strftime(text, sizeof(text), "%b %d %H:%M:%S", gmtime_r(&now, &tm));
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
                  coap_encode_var_safe(buf, sizeof(buf), COAP_MEDIATYPE_TEXT_PLAIN), buf);
  coap_add_option(resp, COAP_OPTION_MAXAGE, coap_encode_var_safe(buf, sizeof(buf), 1), buf);
  coap_add_data(resp, len, (const uint8_t *)text);
}

static void get_data(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                     coap_pdu_t *resp) {
  if (!have_data) {
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_NOT_FOUND);
    return;
  }
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data_large_response(r, s, req, resp, q, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM, -1, 0, data_len, data,
                               NULL, NULL);
}

static void put_data(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                     coap_pdu_t *resp) {
  const uint8_t *body;
  size_t len = 0, offset, total;
  uint8_t *copy;
  (void)r, (void)s, (void)q;
  /* Single-body mode: the library hands over the whole body at once. */
  if (!coap_get_data_large(req, &len, &body, &offset, &total))
    len = 0;
  copy = malloc(len ? len : 1);
  if (!copy) {
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR);
    return;
  }
  if (len)
    memcpy(copy, body, len);
  coap_pdu_set_code(resp, have_data ? COAP_RESPONSE_CODE_CHANGED : COAP_RESPONSE_CODE_CREATED);
  free(data);
  data = copy;
  data_len = len;
  have_data = 1;
}

static void delete_data(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                        coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  have_data = 0;
  free(data);
  data = NULL;
  data_len = 0;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_DELETED);
}

static int resolve(const char *host, const char *port, coap_address_t *out) {
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  if (getaddrinfo(host, port, &hints, &res) != 0)
    return 0;
  coap_address_init(out);
  out->size = (socklen_t)res->ai_addrlen;
  memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return 1;
}

/* The DTLS set-up from the command line; 1 when any was asked for. */
static int setup_dtls(coap_context_t *ctx, const char *key, const char *hint, const char *cert,
                      const char *pkey, const char *ca) {
  int any = 0;
  if (key) {
    if (!coap_context_set_psk(ctx, hint ? hint : "", (const uint8_t *)key, strlen(key))) {
      fprintf(stderr, "cannot set up PSK\n");
      exit(1);
    }
    any = 1;
  }
  if (cert) {
    coap_dtls_pki_t pki;
    memset(&pki, 0, sizeof(pki));
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = ca != NULL;
    pki.check_common_ca = ca != NULL;
    pki.cert_chain_validation = 1;
    pki.cert_chain_verify_depth = 2;
    pki.pki_key.key_type = COAP_PKI_KEY_PEM;
    pki.pki_key.key.pem.public_cert = cert;
    pki.pki_key.key.pem.private_key = pkey ? pkey : cert;
    pki.pki_key.key.pem.ca_file = ca;
    if (!coap_context_set_pki(ctx, &pki) || (ca && !coap_context_set_pki_root_cas(ctx, ca, NULL))) {
      fprintf(stderr, "cannot set up certificates\n");
      exit(1);
    }
    any = 1;
  }
  return any;
}

int main(int argc, char **argv) {
  const char *host = "::", *port = "5683";
  const char *psk = NULL, *hint = NULL, *cert = NULL, *pkey = NULL, *ca = NULL;
  const char *group = NULL, *group_if = NULL;
  char dtls_port[16];
  coap_address_t dtls_listen;
  coap_context_t *ctx;
  coap_address_t listen;
  coap_resource_t *r;
  int opt;

  coap_startup();
  while ((opt = getopt(argc, argv, "A:p:g:G:v:k:h:c:j:R:")) != -1) {
    switch (opt) {
    case 'A': host = optarg; break;
    case 'p': port = optarg; break;
    case 'g': group = optarg; break;
    case 'G': group_if = optarg; break;
    case 'v': coap_set_log_level((coap_log_t)atoi(optarg)); break;
    case 'k': psk = optarg; break;
    case 'h': hint = optarg; break;
    case 'c': cert = optarg; break;
    case 'j': pkey = optarg; break;
    case 'R': ca = optarg; break;
    default:
      fprintf(stderr, "usage: %s [-A address] [-p port] [-g group [-G ifname]] [-v level] [-k key [-h hint]] [-c cert -j key [-R ca]]\n",
              argv[0]);
      return 2;
    }
  }
  if (!resolve(host, port, &listen)) {
    fprintf(stderr, "cannot use address %s port %s\n", host, port);
    return 1;
  }
  ctx = coap_new_context(NULL);
  if (!ctx || !coap_new_endpoint(ctx, &listen, COAP_PROTO_UDP)) {
    fprintf(stderr, "cannot listen on [%s]:%s\n", host, port);
    return 1;
  }
  if (setup_dtls(ctx, psk, hint, cert, pkey, ca)) {
    snprintf(dtls_port, sizeof(dtls_port), "%d", atoi(port) + 1);
    if (!resolve(host, dtls_port, &dtls_listen) || !coap_new_endpoint(ctx, &dtls_listen, COAP_PROTO_DTLS)) {
      fprintf(stderr, "cannot listen for DTLS on [%s]:%s\n", host, dtls_port);
      return 1;
    }
  }

  /* -g: also answer requests sent to a multicast group (224.0.1.187, ff02::fd
   * ...), as Debian's coap-server does; the endpoint must listen on the
   * unspecified address (the default, "::") to receive them. */
  if (group && coap_join_mcast_group_intf(ctx, group, group_if) != 0) {
    fprintf(stderr, "cannot join multicast group %s\n", group);
    return 1;
  }
  coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  r = coap_resource_init(NULL, 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, get_root);
  coap_add_resource(ctx, r);

  r = coap_resource_init(coap_make_str_const("time"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, get_time);
  coap_resource_set_get_observable(r, 1);
  time_resource = r;
  coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const("\"ticks\""), 0);
  coap_add_attr(r, coap_make_str_const("title"), coap_make_str_const("\"Internal Clock\""), 0);
  coap_add_resource(ctx, r);

  r = coap_resource_init(coap_make_str_const("data"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, get_data);
  coap_register_request_handler(r, COAP_REQUEST_PUT, put_data);
  coap_register_request_handler(r, COAP_REQUEST_DELETE, delete_data);
  coap_add_resource(ctx, r);

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  /* Observers of /time hear from us once a second. */
  time_t last = time(NULL);
  while (!quit) {
    if (coap_io_process(ctx, 1000) < 0)
      break;
    if (time(NULL) != last) {
      last = time(NULL);
      coap_resource_notify_observers(time_resource, NULL);
    }
  }
  coap_free_context(ctx);
  free(data);
  coap_cleanup();
  return 0;
}
