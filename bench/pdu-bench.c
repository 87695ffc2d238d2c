/* Micro-benchmark of the PDU layer through the public API: parse and build
 * ns per PDU. Compiled twice by bench/run-pdu-bench.sh, against this
 * library and against Debian's libcoap, so both run the same code. */
#include <coap3/coap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Typical messages: a GET with path and query, a 2.05 response with
 * Content-Format, Max-Age, ETag and a 140-byte payload, a block-wise
 * request, an empty ACK. */
static const uint8_t get_req[] = {0x44, 0x01, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x39, 'l', 'o', 'c',
                                  'a',  'l',  'h',  'o',  's',  't',  0x84, 't',  'i',  'm',  'e',  0x43,
                                  'x',  '=',  '1',  0x08, 'y',  '=',  'a',  'b',  'c',  'd',  'e',  'f'};
static uint8_t content[4 + 4 + 20 + 141];
static size_t content_len;
static const uint8_t block_req[] = {0x42, 0x03, 0x00, 0x10, 0x01, 0x02, 0xb4, 'd', 'a', 't',
                                    'a',  0xd1, 0x03, 0x16, 0xff, 'x',  'y',  'z'};
static const uint8_t empty_ack[] = {0x60, 0x00, 0x12, 0x34};

static void make_content(void) {
  size_t n = 0;
  static const uint8_t head[] = {0x64, 0x45, 0x12, 0x34, 1, 2, 3, 4, 0x41, 0xaa, 0x81, 0x00, 0x21, 0x3c};
  memcpy(content, head, sizeof(head));
  n = sizeof(head);
  content[n++] = 0xff;
  memset(content + n, 'p', 140);
  content_len = n + 140;
}

static double bench_parse(const uint8_t *msg, size_t len, long iters) {
  coap_pdu_t *pdu = coap_pdu_init(0, 0, 0, 1500);
  double t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    if (!coap_pdu_parse(COAP_PROTO_UDP, msg, len, pdu)) {
      fprintf(stderr, "parse failed\n");
      exit(1);
    }
  }
  double t = (now_ns() - t0) / iters;
  coap_delete_pdu(pdu);
  return t;
}

static double bench_build(long iters) {
  static const uint8_t payload[140] = {0};
  uint8_t buf[4];
  double t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE_CONTENT, (coap_mid_t)(i & 0xffff), 1152);
    coap_add_token(pdu, 4, (const uint8_t *)"\x01\x02\x03\x04");
    coap_add_option(pdu, COAP_OPTION_ETAG, 1, (const uint8_t *)"\xaa");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"time");
    coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(buf, sizeof(buf), 0), buf);
    coap_add_option(pdu, COAP_OPTION_MAXAGE, coap_encode_var_safe(buf, sizeof(buf), 60), buf);
    coap_add_data(pdu, sizeof(payload), payload);
    coap_delete_pdu(pdu);
  }
  return (now_ns() - t0) / iters;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 1000000;
  double best[5] = {1e18, 1e18, 1e18, 1e18, 1e18};
  coap_startup();
  coap_set_log_level(LOG_ERR); /* LOG_ERR: also in 4.3.1 headers */
  make_content();
  if (argc > 2) {
    /* One operation, one round: for instruction counts under callgrind
     * (run twice with different iteration counts and take the difference). */
    int k = atoi(argv[2]);
    double t = k == 0   ? bench_parse(get_req, sizeof(get_req), iters)
               : k == 1 ? bench_parse(content, content_len, iters)
               : k == 2 ? bench_parse(block_req, sizeof(block_req), iters)
               : k == 3 ? bench_parse(empty_ack, sizeof(empty_ack), iters)
                        : bench_build(iters);
    printf("RESULT op%d=%.1f\n", k, t);
    coap_cleanup();
    return 0;
  }
  for (int round = 0; round < 5; round++) {
    double r[5] = {bench_parse(get_req, sizeof(get_req), iters), bench_parse(content, content_len, iters),
                   bench_parse(block_req, sizeof(block_req), iters),
                   bench_parse(empty_ack, sizeof(empty_ack), iters), bench_build(iters)};
    for (int k = 0; k < 5; k++)
      if (r[k] < best[k])
        best[k] = r[k];
  }
  printf("RESULT parse_get=%.1f parse_content=%.1f parse_block=%.1f parse_ack=%.1f build_response=%.1f\n",
         best[0], best[1], best[2], best[3], best[4]);
  coap_cleanup();
  return 0;
}
