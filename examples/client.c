/*
 * A small CoAP client on the libcoap-3 API: sends one request and prints
 * the response body.
 *
 *   client [-m get|post|put|delete] [-e payload | -f file] [-o file]
 *          [-b size] [-N] [-v level] [-L loss] [-T ms] [-r n] [-w seconds]
 *          [-k key -u identity] [-c cert -j key [-R ca]] URI
 *
 * Bodies of any size go block-wise (the library does the blocks): -f
 * sends a file, -o writes the answer to a file, -b asks for blocks of
 * that size (16..1024). -N sends a NON request, -L drops outgoing
 * datagrams ("25%" or "1,3"), -T sets ACK_TIMEOUT in milliseconds and -r
 * MAX_RETRANSMIT (coap_recovery(3)), -w bounds the wait (default 10 s).
 * coaps:// URIs use DTLS: -k/-u for a pre-shared key, -c/-j (PEM files)
 * for a certificate, -R a CA the server's certificate must chain to.
 * A multicast URI (coap://224.0.1.187/) sends a NON
 * request to the group and prints every member's answer until -w expires.
 * Exit status 0 for a 2.xx response.
 */
#include <coap3/coap.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int done, code, mcast, answers;
static FILE *out;

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  const uint8_t *data;
  size_t len;
  (void)sent, (void)mid;
  code = coap_pdu_get_code(received);
  if (!coap_get_data(received, &len, &data))
    len = 0;
  fwrite(data, 1, len, out ? out : stdout);
  if (len && !out)
    fputc('\n', stdout);
  if (COAP_RESPONSE_CLASS(code) != 2)
    fprintf(stderr, "%d.%02d %s\n", code >> 5, code & 31,
            coap_response_phrase((unsigned char)code) ? coap_response_phrase((unsigned char)code) : "");
  if (mcast) {
    /* Every member answers: keep listening until the wait is over. */
    char who[64];
    if (coap_print_addr(coap_session_get_addr_remote(s), (uint8_t *)who, sizeof(who)))
      fprintf(stderr, "(answer %d from %s)\n", ++answers, who);
    return COAP_RESPONSE_OK;
  }
  done = 1;
  return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
                    const coap_mid_t mid) {
  (void)s, (void)sent, (void)mid;
  fprintf(stderr, "no response (NACK reason %d)\n", (int)reason);
  done = -1;
}

static int on_event(coap_session_t *s, const coap_event_t event) {
  (void)s;
  if (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED) {
    fprintf(stderr, "DTLS %s\n", event == COAP_EVENT_DTLS_ERROR ? "error" : "closed");
    if (!done)
      done = -1;
  }
  return 0;
}

static int method_of(const char *m) {
  static const char *names[] = {"get", "post", "put", "delete", "fetch", "patch", "ipatch"};
  for (int i = 0; i < 7; i++)
    if (strcasecmp(m, names[i]) == 0)
      return i + 1;
  return 0;
}

/* The whole file in memory (NULL on failure). */
static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *data = NULL;
  long size;
  if (!f)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (data = malloc((size_t)size + 1)) != NULL && fread(data, 1, (size_t)size, f) == (size_t)size) {
    *len = (size_t)size;
  } else {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

static void release_body(coap_session_t *s, void *body) {
  (void)s;
  free(body);
}

int main(int argc, char **argv) {
  const char *payload = NULL, *loss = NULL, *file = NULL, *outfile = NULL;
  const char *psk = NULL, *identity = NULL, *cert = NULL, *pkey = NULL, *ca = NULL;
  int method = COAP_REQUEST_CODE_GET, non = 0, wait_s = 10, block = 0, ack_ms = 0, retries = 0, opt;
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
  while ((opt = getopt(argc, argv, "m:e:f:o:b:Nv:L:T:r:w:k:u:c:j:R:")) != -1) {
    switch (opt) {
    case 'm': method = method_of(optarg); break;
    case 'e': payload = optarg; break;
    case 'f': file = optarg; break;
    case 'o': outfile = optarg; break;
    case 'b': block = atoi(optarg); break;
    case 'N': non = 1; break;
    case 'v': coap_set_log_level((coap_log_t)atoi(optarg)); break;
    case 'L': loss = optarg; break;
    case 'w': wait_s = atoi(optarg); break;
    case 'T': ack_ms = atoi(optarg); break;
    case 'r': retries = atoi(optarg); break;
    case 'k': psk = optarg; break;
    case 'u': identity = optarg; break;
    case 'c': cert = optarg; break;
    case 'j': pkey = optarg; break;
    case 'R': ca = optarg; break;
    default: method = 0;
    }
  }
  if (!method || optind != argc - 1) {
    fprintf(stderr,
            "usage: %s [-m get|post|put|delete] [-e payload | -f file] [-o file] [-b size] [-N] [-v level]"
            " [-L loss] [-T ms] [-r n] [-w s] [-k key -u identity] [-c cert -j key [-R ca]] URI\n",
            argv[0]);
    return 2;
  }
  if (coap_split_uri((const uint8_t *)argv[optind], strlen(argv[optind]), &uri) < 0 ||
      (uri.scheme != COAP_URI_SCHEME_COAP && uri.scheme != COAP_URI_SCHEME_COAPS) || uri.host.length >= sizeof(host)) {
    fprintf(stderr, "cannot use URI %s (coap:// and coaps:// only)\n", argv[optind]);
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
  if (coap_is_mcast(&dst)) {
    mcast = 1;
    non = 1; /* RFC 7252 8.1: multicast requests are NON */
  }

  ctx = coap_new_context(NULL);
  /* Before the session: sessions take the context's block mode when made. */
  if (ctx)
    coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  if (!ctx) {
    session = NULL;
  } else if (uri.scheme != COAP_URI_SCHEME_COAPS) {
    session = coap_new_client_session(ctx, NULL, &dst, COAP_PROTO_UDP);
  } else if (cert) {
    coap_dtls_pki_t pki;
    memset(&pki, 0, sizeof(pki));
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = ca != NULL;
    pki.check_common_ca = ca != NULL;
    pki.cert_chain_validation = 1;
    pki.cert_chain_verify_depth = 2;
    pki.client_sni = host;
    pki.pki_key.key_type = COAP_PKI_KEY_PEM;
    pki.pki_key.key.pem.public_cert = cert;
    pki.pki_key.key.pem.private_key = pkey ? pkey : cert;
    pki.pki_key.key.pem.ca_file = ca;
    if (ca)
      coap_context_set_pki_root_cas(ctx, ca, NULL);
    session = coap_new_client_session_pki(ctx, NULL, &dst, COAP_PROTO_DTLS, &pki);
  } else {
    session = coap_new_client_session_psk(ctx, NULL, &dst, COAP_PROTO_DTLS, identity ? identity : "",
                                          (const uint8_t *)(psk ? psk : ""), psk ? (unsigned)strlen(psk) : 0);
  }
  if (!session) {
    fprintf(stderr, "cannot create a session to %s\n", argv[optind]);
    return 1;
  }
  coap_register_response_handler(ctx, on_response);
  coap_register_nack_handler(ctx, on_nack);
  coap_register_event_handler(ctx, on_event);
  if (loss && !coap_debug_set_packet_loss(loss))
    return 2;
  if (ack_ms > 0) {
    coap_fixed_point_t t = {(uint16_t)(ack_ms / 1000), (uint16_t)(ack_ms % 1000)};
    coap_session_set_ack_timeout(session, t);
  }
  if (retries > 0)
    coap_session_set_max_retransmit(session, (uint16_t)retries);

  pdu = coap_new_pdu(non ? COAP_MESSAGE_NON : COAP_MESSAGE_CON, (coap_pdu_code_t)method, session);
  coap_session_new_token(session, &tlen, token);
  coap_add_token(pdu, tlen, token);
  /* Path and query become options (coap_split_path/query exist in every
   * libcoap 4.3 release, so this client also builds against older ones). */
  for (int part = 0; part < 2; part++) {
    const coap_str_const_t *text = part ? &uri.query : &uri.path;
    size_t buflen = sizeof(buf);
    uint8_t *o = buf;
    int n;
    if (!text->length)
      continue;
    n = part ? coap_split_query(text->s, text->length, buf, &buflen) : coap_split_path(text->s, text->length, buf, &buflen);
    for (; n > 0; n--, o += coap_opt_size(o))
      coap_insert_optlist(&opts, coap_new_optlist(part ? COAP_OPTION_URI_QUERY : COAP_OPTION_URI_PATH,
                                                  coap_opt_length(o), coap_opt_value(o)));
  }
  if (opts && !coap_add_optlist_pdu(pdu, &opts)) {
    fprintf(stderr, "cannot encode the URI into options\n");
    return 1;
  }
  coap_delete_optlist(opts);
  if (block) {
    /* Ask for (or send) blocks of this size from the start. */
    unsigned szx = 0;
    while (szx < 6 && (16 << (szx + 1)) <= block)
      szx++;
    coap_add_option(pdu, file || payload ? COAP_OPTION_BLOCK1 : COAP_OPTION_BLOCK2,
                    coap_encode_var_safe(buf, sizeof(buf), szx), buf);
  }
  if (file) {
    size_t len = 0;
    uint8_t *body = read_file(file, &len);
    if (!body) {
      fprintf(stderr, "cannot read %s\n", file);
      return 1;
    }
    if (!coap_add_data_large_request(session, pdu, len, body, release_body, body))
      return 1;
  } else if (payload) {
    coap_add_data_large_request(session, pdu, strlen(payload), (const uint8_t *)payload, NULL, NULL);
  }
  if (outfile && !(out = fopen(outfile, "wb"))) {
    fprintf(stderr, "cannot write %s\n", outfile);
    return 1;
  }
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
  if (mcast && answers)
    done = 1;
  if (!done)
    fprintf(stderr, "timed out\n");
  if (out)
    fclose(out);
  coap_session_release(session);
  coap_free_context(ctx);
  coap_cleanup();
  return done == 1 && COAP_RESPONSE_CLASS(code) == 2 ? 0 : 1;
}
