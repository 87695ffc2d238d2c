/* Q-Block (RFC 9177) at a server set to COAP_BLOCK_USE_LIBCOAP |
 * COAP_BLOCK_TRY_Q_BLOCK, driven by hand-made datagrams from a plain UDP
 * socket (no client library in the way): the NON and CON flows as libcoap
 * 4.3.4 runs them, and the bad input a server must survive. */
#include "capi.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint16_t port;
static coap_context_t *server;
static int sock = -1;
static struct sockaddr_in to;

static uint8_t *stored;
static size_t stored_len;
static int put_calls;

#define BODY 3000
static uint8_t body[BODY];

/* Responses received, parsed. */
#define MAX_RX 64
static coap_pdu_t *rx[MAX_RX];
static int nrx;

static void hnd_put(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  (void)r, (void)s, (void)q;
  put_calls++;
  capi_keep_body(req, &stored, &stored_len);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
}

static void hnd_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data_large_response(r, s, req, resp, q, COAP_MEDIATYPE_TEXT_PLAIN, -1, 0, stored_len, stored, NULL, NULL);
}

/* Short timers on every new session, so the 4.08 cases take ms, not s. */
static int on_event(coap_session_t *s, coap_event_t ev) {
  if (ev == COAP_EVENT_SERVER_SESSION_NEW) {
    coap_fixed_point_t t = {0, 150};
    coap_session_set_non_receive_timeout(s, t);
    coap_session_set_non_max_retransmit(s, 2);
  }
  return 0;
}

static int setup(void) {
  coap_address_t a;
  coap_resource_t *r;
  port = (uint16_t)(20000 + (getpid() + 29) % 20000);
  capi_loopback(&a, port);
  server = coap_new_context(&a);
  if (!server)
    return 1;
  coap_context_set_block_mode(server, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_TRY_Q_BLOCK);
  coap_register_event_handler(server, on_event);
  r = coap_resource_init(coap_make_str_const("data"), 0);
  coap_register_request_handler(r, COAP_REQUEST_PUT, hnd_put);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_get);
  coap_add_resource(server, r);
  for (size_t i = 0; i < BODY; i++)
    body[i] = (uint8_t)(i * 7 + i / 251);
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  return 0;
}

static void clear_rx(void) {
  for (int i = 0; i < nrx; i++)
    coap_delete_pdu(rx[i]);
  nrx = 0;
}

/* A fresh client socket: a new session at the server. */
static void pump(int ms);
static void raw_send(const uint8_t *m, size_t len);
static void new_peer(void) {
  struct timeval tv = {0, 1000};
  static const uint8_t ping[4] = {0x40, 0, 0x12, 0x34};
  if (sock >= 0)
    close(sock);
  sock = socket(AF_INET, SOCK_DGRAM, 0);
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  /* A ping opens the session, so its short timers are set before the
   * first block arrives. */
  raw_send(ping, sizeof(ping));
  pump(10);
  clear_rx();
}

static int teardown(void) {
  clear_rx();
  if (sock >= 0)
    close(sock);
  sock = -1;
  coap_free_context(server);
  free(stored);
  stored = NULL;
  return 0;
}

typedef struct {
  uint16_t num;
  size_t len;
  const uint8_t *val;
} opt_t;

/* Encodes a message; options must be given in ascending order. */
static size_t build(uint8_t *out, int type, int code, uint16_t mid, uint8_t tok, const opt_t *opts, int n,
                    const uint8_t *data, size_t dlen) {
  size_t at = 0;
  uint16_t last = 0;
  out[at++] = (uint8_t)(0x40 | (type << 4) | 1);
  out[at++] = (uint8_t)code;
  out[at++] = (uint8_t)(mid >> 8);
  out[at++] = (uint8_t)mid;
  out[at++] = tok;
  for (int i = 0; i < n; i++) {
    unsigned d = opts[i].num - last, l = (unsigned)opts[i].len;
    uint8_t *h = &out[at++];
    last = opts[i].num;
    *h = 0;
    if (d < 13) {
      *h |= (uint8_t)(d << 4);
    } else if (d < 269) {
      *h |= 13 << 4;
      out[at++] = (uint8_t)(d - 13);
    } else {
      *h |= 14 << 4;
      out[at++] = (uint8_t)((d - 269) >> 8);
      out[at++] = (uint8_t)(d - 269);
    }
    if (l < 13) {
      *h |= (uint8_t)l;
    } else {
      *h |= 13;
      out[at++] = (uint8_t)(l - 13);
    }
    memcpy(out + at, opts[i].val, opts[i].len);
    at += opts[i].len;
  }
  if (dlen) {
    out[at++] = 0xff;
    memcpy(out + at, data, dlen);
    at += dlen;
  }
  return at;
}

static size_t uintv(uint8_t *b, unsigned v) { return coap_encode_var_safe(b, 4, v); }

static void raw_send(const uint8_t *m, size_t len) {
  sendto(sock, m, len, 0, (const struct sockaddr *)&to, sizeof(to));
}

/* Runs the server and collects datagrams for `ms` milliseconds. */
static void pump(int ms) {
  coap_tick_t start, now;
  coap_ticks(&start);
  do {
    uint8_t buf[1500];
    ssize_t got;
    coap_io_process(server, COAP_IO_NO_WAIT);
    while ((got = recv(sock, buf, sizeof(buf), 0)) > 0 && nrx < MAX_RX) {
      coap_pdu_t *p = coap_pdu_init(0, 0, 0, 1500);
      if (coap_pdu_parse(COAP_PROTO_UDP, buf, (size_t)got, p))
        rx[nrx++] = p;
      else
        coap_delete_pdu(p);
    }
    coap_io_process(server, 2);
    coap_ticks(&now);
  } while (now - start < (coap_tick_t)ms);
}

/* Pumps until *counter reaches `want` (at most max_ms), then a little
 * longer to catch anything unexpected; true if it was reached. Waiting on
 * a count, not a time, keeps the tests steady under valgrind. */
static int wait_for(const int *counter, int want, int max_ms) {
  coap_tick_t start, now;
  coap_ticks(&start);
  do {
    pump(5);
    coap_ticks(&now);
  } while (*counter < want && now - start < (coap_tick_t)max_ms);
  pump(20);
  return *counter >= want;
}

/* Q-Block1 block `num` of `body` at size 16 << szx, with Size1 BODY. */
static void send_q1(int type, uint32_t num, int szx, const char *rtag, uint16_t mid) {
  uint8_t m[1400], qb[4], s1[4];
  size_t size = (size_t)16 << szx, off = (size_t)num * size;
  size_t len = off >= BODY ? 0 : (BODY - off < size ? BODY - off : size);
  int more = off + len < BODY;
  opt_t o[] = {{COAP_OPTION_URI_PATH, 4, (const uint8_t *)"data"},
               {COAP_OPTION_Q_BLOCK1, uintv(qb, (num << 4) | (unsigned)(more << 3) | (unsigned)szx), qb},
               {COAP_OPTION_SIZE1, uintv(s1, BODY), s1},
               {COAP_OPTION_RTAG, strlen(rtag), (const uint8_t *)rtag}};
  raw_send(m, build(m, type, COAP_REQUEST_CODE_PUT, mid, (uint8_t)(0x80 | (num & 0x7f)), o, 4, body + off, len));
}

static int code_of(int i) { return i < nrx ? (int)coap_pdu_get_code(rx[i]) : -1; }
static uint8_t token_of(int i) {
  coap_bin_const_t t = coap_pdu_get_token(rx[i]);
  return t.length == 1 ? t.s[0] : 0;
}
static int block_of(int i, uint16_t opt, coap_block_b_t *b) { return i < nrx && coap_get_block_b(NULL, rx[i], opt, b); }

static void test_non_upload_in_sets(void) {
  coap_block_b_t b;
  new_peer();
  put_calls = 0;
  for (uint32_t n = 0; n < 10; n++)
    send_q1(COAP_MESSAGE_NON, n, 4, "s1", (uint16_t)(0x100 + n));
  wait_for(&nrx, 1, 2000);
  /* Silence for blocks 0..8, then 2.31 for the complete set. */
  CU_ASSERT_EQUAL_FATAL(nrx, 1);
  CU_ASSERT_EQUAL(code_of(0), COAP_RESPONSE_CODE_CONTINUE);
  CU_ASSERT(block_of(0, COAP_OPTION_Q_BLOCK1, &b) && b.num == 9 && b.m);
  CU_ASSERT_EQUAL(token_of(0), 0x89);
  clear_rx();
  send_q1(COAP_MESSAGE_NON, 10, 4, "s1", 0x10a);
  send_q1(COAP_MESSAGE_NON, 11, 4, "s1", 0x10b);
  wait_for(&put_calls, 1, 2000);
  CU_ASSERT_EQUAL_FATAL(nrx, 1);
  CU_ASSERT_EQUAL(code_of(0), COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT_EQUAL(token_of(0), 0x8b);
  CU_ASSERT_EQUAL(put_calls, 1);
  CU_ASSERT(stored_len == BODY && memcmp(stored, body, BODY) == 0);
}

static void test_duplicates_out_of_order_and_size_change(void) {
  static const uint32_t order[] = {1, 0, 0, 3, 2, 5, 4, 6, 7, 9, 8, 9, 11, 10};
  new_peer();
  put_calls = 0;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
    send_q1(COAP_MESSAGE_NON, order[i], 4, "s2", (uint16_t)(0x200 + i));
  wait_for(&put_calls, 1, 2000);
  CU_ASSERT_EQUAL(put_calls, 1);
  CU_ASSERT(stored_len == BODY && memcmp(stored, body, BODY) == 0);
  CU_ASSERT_EQUAL(code_of(nrx - 1), COAP_RESPONSE_CODE_CHANGED);

  /* 256-byte blocks 0 and 1, then the rest in 128-byte blocks (4..23):
   * put together by offset, delivered once. */
  clear_rx();
  put_calls = 0;
  send_q1(COAP_MESSAGE_NON, 0, 4, "s3", 0x300);
  send_q1(COAP_MESSAGE_NON, 1, 4, "s3", 0x301);
  for (uint32_t n = 4; n < 24; n++)
    send_q1(COAP_MESSAGE_NON, n, 3, "s3", (uint16_t)(0x300 + n));
  wait_for(&put_calls, 1, 2000);
  CU_ASSERT_EQUAL(put_calls, 1);
  CU_ASSERT(stored_len == BODY && memcmp(stored, body, BODY) == 0);
}

static void test_missing_blocks_get_408(void) {
  const uint8_t *data;
  size_t len;
  new_peer();
  put_calls = 0;
  for (uint32_t n = 0; n < 12; n++)
    if (n != 2 && n != 11)
      send_q1(COAP_MESSAGE_NON, n, 4, "m1", (uint16_t)(0x400 + n));
  wait_for(&nrx, 1, 3000);
  /* NON_RECEIVE_TIMEOUT (150 ms here) after the last block: 4.08 with
   * the CBOR list of the missing blocks, with the last block's token. */
  CU_ASSERT_FATAL(nrx >= 1);
  CU_ASSERT_EQUAL(code_of(0), COAP_RESPONSE_CODE_INCOMPLETE);
  CU_ASSERT_EQUAL(token_of(0), 0x8a);
  CU_ASSERT(coap_get_data(rx[0], &len, &data) && len == 2 && data[0] == 2 && data[1] == 11);
  {
    coap_opt_iterator_t it;
    coap_opt_t *cf = coap_check_option(rx[0], COAP_OPTION_CONTENT_FORMAT, &it);
    CU_ASSERT(cf && coap_decode_var_bytes(coap_opt_value(cf), coap_opt_length(cf)) == 272);
  }
  clear_rx();
  send_q1(COAP_MESSAGE_NON, 2, 4, "m1", 0x412);
  send_q1(COAP_MESSAGE_NON, 11, 4, "m1", 0x413);
  wait_for(&put_calls, 1, 2000);
  CU_ASSERT_EQUAL(code_of(nrx - 1), COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT(put_calls == 1 && stored_len == BODY && memcmp(stored, body, BODY) == 0);

  /* Nobody sends the gap: 4.08 again after twice the wait, then (at
   * NON_MAX_RETRANSMIT, 2 here) the body is given up. */
  clear_rx();
  put_calls = 0;
  for (uint32_t n = 0; n < 12; n++)
    if (n != 5)
      send_q1(COAP_MESSAGE_NON, n, 4, "m2", (uint16_t)(0x500 + n));
  wait_for(&nrx, 2, 5000);
  pump(400);
  CU_ASSERT_EQUAL(nrx, 2);
  CU_ASSERT(code_of(0) == COAP_RESPONSE_CODE_INCOMPLETE && code_of(1) == COAP_RESPONSE_CODE_INCOMPLETE);
  clear_rx();
  send_q1(COAP_MESSAGE_NON, 5, 4, "m2", 0x520);
  pump(50);
  CU_ASSERT_EQUAL(put_calls, 0);
}

static void test_con_upload(void) {
  new_peer();
  put_calls = 0;
  for (uint32_t n = 0; n < 12; n++) {
    send_q1(COAP_MESSAGE_CON, n, 4, "c1", (uint16_t)(0x600 + n));
    wait_for(&nrx, (int)n + 1, 2000);
  }
  CU_ASSERT_EQUAL_FATAL(nrx, 12);
  for (int i = 0; i < 11; i++)
    CU_ASSERT(code_of(i) == 0 && coap_pdu_get_type(rx[i]) == COAP_MESSAGE_ACK);
  CU_ASSERT_EQUAL(code_of(11), COAP_RESPONSE_CODE_CHANGED);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(rx[11]), 0x60b);
  CU_ASSERT(put_calls == 1 && stored_len == BODY && memcmp(stored, body, BODY) == 0);
  /* The last block again (its 2.01 lost): the same 2.01, no second run. */
  send_q1(COAP_MESSAGE_CON, 11, 4, "c1", 0x60b);
  wait_for(&nrx, 13, 2000);
  CU_ASSERT_EQUAL_FATAL(nrx, 13);
  CU_ASSERT(code_of(12) == COAP_RESPONSE_CODE_CHANGED && coap_pdu_get_mid(rx[12]) == 0x60b);
  CU_ASSERT_EQUAL(put_calls, 1);
}

static void test_bad_q_block1(void) {
  uint8_t m[1400], s1[4], big[4] = {0x10, 0x00, 0x00, 0x0e};
  coap_opt_iterator_t it;
  new_peer();
  put_calls = 0;
  /* Size1 beyond the largest body taken: 4.13 with Size1, nothing kept. */
  {
    opt_t o[] = {{COAP_OPTION_URI_PATH, 4, (const uint8_t *)"data"},
                 {COAP_OPTION_Q_BLOCK1, 1, (const uint8_t *)"\x0e"},
                 {COAP_OPTION_SIZE1, uintv(s1, 1u << 30), s1}};
    raw_send(m, build(m, COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 0x700, 1, o, 3, body, 1024));
  }
  /* NUM beyond 20 bits (a 4-byte value): the message is malformed (the
   * option's length is out of range) and refused with RST, as a Block1
   * of that length is. */
  {
    opt_t o[] = {{COAP_OPTION_URI_PATH, 4, (const uint8_t *)"data"}, {COAP_OPTION_Q_BLOCK1, 4, big}};
    raw_send(m, build(m, COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 0x701, 2, o, 2, body, 16));
  }
  /* The largest NUM at 1 KiB points past the largest body: 4.13. */
  {
    opt_t o[] = {{COAP_OPTION_URI_PATH, 4, (const uint8_t *)"data"}, {COAP_OPTION_Q_BLOCK1, 3, (const uint8_t *)"\xff\xff\xfe"}};
    raw_send(m, build(m, COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 0x702, 3, o, 2, body, 1024));
  }
  wait_for(&nrx, 3, 2000);
  CU_ASSERT_EQUAL_FATAL(nrx, 3);
  CU_ASSERT_EQUAL(code_of(0), COAP_RESPONSE_CODE_REQUEST_TOO_LARGE);
  CU_ASSERT_PTR_NOT_NULL(coap_check_option(rx[0], COAP_OPTION_SIZE1, &it));
  CU_ASSERT(code_of(1) == 0 && coap_pdu_get_type(rx[1]) == COAP_MESSAGE_RST);
  CU_ASSERT_EQUAL(code_of(2), COAP_RESPONSE_CODE_REQUEST_TOO_LARGE);
  CU_ASSERT_EQUAL(put_calls, 0);

  /* More bodies at once than a session keeps: the oldest go, the newest
   * still completes. */
  clear_rx();
  for (int i = 0; i < 40; i++) {
    char tag[8];
    snprintf(tag, sizeof(tag), "x%d", i);
    send_q1(COAP_MESSAGE_NON, 0, 6, tag, (uint16_t)(0x800 + i));
  }
  send_q1(COAP_MESSAGE_NON, 1, 6, "x39", 0x900);
  send_q1(COAP_MESSAGE_NON, 2, 6, "x39", 0x901);
  wait_for(&put_calls, 1, 2000);
  CU_ASSERT(put_calls == 1 && stored_len == BODY && memcmp(stored, body, BODY) == 0);
}

/* A GET with the given Q-Block2 options (NUM/M at 256 bytes). */
static void send_q2(int type, uint16_t mid, uint8_t tok, const unsigned *vals, int n) {
  uint8_t m[1400], v[256][4];
  opt_t o[257];
  o[0] = (opt_t){COAP_OPTION_URI_PATH, 4, (const uint8_t *)"data"};
  for (int i = 0; i < n && i < 256; i++)
    o[i + 1] = (opt_t){COAP_OPTION_Q_BLOCK2, uintv(v[i], vals[i]), v[i]};
  raw_send(m, build(m, type, COAP_REQUEST_CODE_GET, mid, tok, o, n < 256 ? n + 1 : 257, NULL, 0));
}
#define Q2(num, m) ((unsigned)(num) << 4 | (unsigned)(m) << 3 | 4)

static void test_non_download(void) {
  coap_block_b_t b;
  coap_opt_iterator_t it;
  free(stored);
  stored = malloc(BODY);
  memcpy(stored, body, BODY);
  stored_len = BODY;
  new_peer();
  /* Block 0 with M: the first set, all with the request's token. */
  send_q2(COAP_MESSAGE_NON, 0xa00, 0x41, (unsigned[]){Q2(0, 1)}, 1);
  wait_for(&nrx, 10, 2000);
  CU_ASSERT_EQUAL_FATAL(nrx, 10);
  for (int i = 0; i < 10; i++) {
    CU_ASSERT(block_of(i, COAP_OPTION_Q_BLOCK2, &b) && b.num == (unsigned)i && b.m && b.szx == 4);
    CU_ASSERT_EQUAL(token_of(i), 0x41);
    CU_ASSERT_PTR_NOT_NULL(coap_check_option(rx[i], COAP_OPTION_ETAG, &it));
  }
  /* The next set: with the first request's token, as 4.3.4 sends it. */
  clear_rx();
  send_q2(COAP_MESSAGE_NON, 0xa01, 0x42, (unsigned[]){Q2(10, 1)}, 1);
  wait_for(&nrx, 2, 2000);
  CU_ASSERT_EQUAL_FATAL(nrx, 2);
  CU_ASSERT(block_of(1, COAP_OPTION_Q_BLOCK2, &b) && b.num == 11 && !b.m);
  CU_ASSERT(token_of(0) == 0x41 && token_of(1) == 0x41);
  /* Missing ones asked for, several options in one request. */
  clear_rx();
  send_q2(COAP_MESSAGE_NON, 0xa02, 0x43, (unsigned[]){Q2(1, 0), Q2(3, 0)}, 2);
  wait_for(&nrx, 2, 2000);
  CU_ASSERT_EQUAL_FATAL(nrx, 2);
  CU_ASSERT(block_of(0, COAP_OPTION_Q_BLOCK2, &b) && b.num == 1);
  CU_ASSERT(block_of(1, COAP_OPTION_Q_BLOCK2, &b) && b.num == 3);
  CU_ASSERT(token_of(0) == 0x43 && token_of(1) == 0x43);
  /* Past the end: 4.00. */
  clear_rx();
  send_q2(COAP_MESSAGE_NON, 0xa03, 0x44, (unsigned[]){Q2(50, 0)}, 1);
  wait_for(&nrx, 1, 2000);
  CU_ASSERT_EQUAL(nrx, 1);
  CU_ASSERT_EQUAL(code_of(0), COAP_RESPONSE_CODE_BAD_REQUEST);
  /* A flood of options: no more than MAX_PAYLOADS blocks go out. */
  clear_rx();
  {
    unsigned many[200];
    for (int i = 0; i < 200; i++)
      many[i] = Q2(i % 12, i & 1);
    send_q2(COAP_MESSAGE_NON, 0xa04, 0x45, many, 200);
  }
  wait_for(&nrx, 1, 2000);
  pump(50);
  CU_ASSERT(nrx >= 1 && nrx <= 10);
}

static void test_con_download_and_small_bodies(void) {
  coap_block_b_t b;
  coap_opt_iterator_t it;
  new_peer();
  /* CON: block 0 in the ACK, then each further block as a CON once the
   * previous one is acknowledged. */
  send_q2(COAP_MESSAGE_CON, 0xb00, 0x51, (unsigned[]){Q2(0, 1)}, 1);
  for (int round = 0, acked = 0; round < 500 && nrx < 12; round++) {
    pump(10);
    /* One CON at a time: never two unacknowledged ones (NSTART 1). */
    CU_ASSERT(nrx <= acked + 2);
    for (; acked < nrx; acked++) {
      if (coap_pdu_get_type(rx[acked]) == COAP_MESSAGE_CON) {
        uint8_t ack[4] = {0x60, 0, 0, 0};
        coap_mid_t mid = coap_pdu_get_mid(rx[acked]);
        ack[2] = (uint8_t)(mid >> 8), ack[3] = (uint8_t)mid;
        raw_send(ack, 4);
      }
    }
  }
  CU_ASSERT_EQUAL_FATAL(nrx, 12);
  CU_ASSERT_EQUAL(coap_pdu_get_type(rx[0]), COAP_MESSAGE_ACK);
  for (int i = 1; i < 12; i++) {
    CU_ASSERT_EQUAL(coap_pdu_get_type(rx[i]), COAP_MESSAGE_CON);
    CU_ASSERT(block_of(i, COAP_OPTION_Q_BLOCK2, &b) && b.num == (unsigned)i && b.m == (i < 11));
  }

  /* A body that fits one block: Q-Block2 0/_/ echoed when asked with it,
   * nothing block-wise otherwise. */
  free(stored);
  stored = malloc(10);
  memcpy(stored, "small body", 10);
  stored_len = 10;
  new_peer(); /* a session without the copy of the large body */
  send_q2(COAP_MESSAGE_CON, 0xb10, 0x52, (unsigned[]){Q2(0, 0)}, 1);
  send_q2(COAP_MESSAGE_CON, 0xb11, 0x53, NULL, 0);
  wait_for(&nrx, 2, 2000);
  CU_ASSERT_EQUAL_FATAL(nrx, 2);
  CU_ASSERT(block_of(0, COAP_OPTION_Q_BLOCK2, &b) && b.num == 0 && !b.m);
  CU_ASSERT_PTR_NULL(coap_check_option(rx[1], COAP_OPTION_Q_BLOCK2, &it));
  CU_ASSERT_PTR_NULL(coap_check_option(rx[1], COAP_OPTION_BLOCK2, &it));
}

void register_qblock_server(void) {
  static const capi_test_t tests[] = {
      {"NON Q-Block1 upload: 2.31 per set, body once", test_non_upload_in_sets},
      {"Q-Block1 duplicates, reordering, a size change", test_duplicates_out_of_order_and_size_change},
      {"Q-Block1 gaps: 4.08 with the missing list, bounded", test_missing_blocks_get_408},
      {"CON Q-Block1 upload: empty ACKs, piggybacked 2.01", test_con_upload},
      {"Q-Block1 bad input: too large, NUM beyond 20 bits, many bodies", test_bad_q_block1},
      {"NON Q-Block2 download: sets, tokens, missing blocks, flood", test_non_download},
      {"CON Q-Block2 chain and bodies that fit one block", test_con_download_and_small_bodies},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite("qblock_server", setup, teardown);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
