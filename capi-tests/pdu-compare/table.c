/* Byte-for-byte comparison of PDUs built through the public API: compiled
 * once against this library and once against Debian's libcoap, each run
 * prints one hex line per PDU, and run.sh diffs the two outputs.
 *
 * Each line is the UDP encoding rebuilt through public accessors only: the
 * 4-byte header from type, code, message id and token length (RFC 8974
 * extended lengths included), the token, the raw option bytes from the first
 * option to the end of the last one, then 0xFF and the payload. Entries
 * only libcoap 4.3.3 can build (extended tokens) print "skip" where the
 * library refuses them; run.sh leaves those out of the comparison. */
#include <coap3/coap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

static int fails;

static void opt(coap_pdu_t *p, uint16_t num, const void *v, size_t n) {
  if (coap_add_option(p, num, n, (const uint8_t *)v) == 0)
    fails++;
}

static void uintopt(coap_pdu_t *p, uint16_t num, unsigned v) {
  uint8_t b[4];
  opt(p, num, b, coap_encode_var_safe(b, sizeof(b), v));
}

static void data(coap_pdu_t *p, const void *d, size_t n) {
  if (!coap_add_data(p, n, (const uint8_t *)d))
    fails++;
}

static void token(coap_pdu_t *p, const void *t, size_t n) {
  if (!coap_add_token(p, n, (const uint8_t *)t))
    fails++;
}

static void hex(const uint8_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    printf("%02x", b[i]);
}

__attribute__((unused)) static void dump(int id, coap_pdu_t *p) {
  coap_bin_const_t tok = coap_pdu_get_token(p);
  coap_opt_iterator_t oi;
  coap_opt_t *o, *first = NULL, *last = NULL;
  const uint8_t *d;
  size_t len;
  int mid = coap_pdu_get_mid(p);
  uint8_t h[6];
  size_t hl = 4;
  unsigned tkl = (unsigned)tok.length;
  if (tkl > 268) {
    h[0] = 14;
    h[4] = (uint8_t)((tkl - 269) >> 8);
    h[5] = (uint8_t)(tkl - 269);
    hl = 6;
  } else if (tkl > 12) {
    h[0] = 13;
    h[4] = (uint8_t)(tkl - 13);
    hl = 5;
  } else {
    h[0] = (uint8_t)tkl;
  }
  h[0] |= (uint8_t)(0x40 | (coap_pdu_get_type(p) << 4));
  h[1] = (uint8_t)coap_pdu_get_code(p);
  h[2] = (uint8_t)(mid >> 8);
  h[3] = (uint8_t)mid;
  printf("%02d fails=%d ", id, fails);
  hex(h, hl);
  hex(tok.s, tok.length);
  if (coap_option_iterator_init(p, &oi, COAP_OPT_ALL)) {
    while ((o = coap_option_next(&oi))) {
      if (!first)
        first = o;
      last = o;
    }
  }
  if (first)
    hex(first, (size_t)(last - first) + coap_opt_size(last));
  if (coap_get_data(p, &len, &d)) {
    printf("ff");
    hex(d, len);
  }
  printf("\n");
}

/* Port, path and query into options (no destination: no Uri-Host):
 * coap_uri_into_options where the library has it (4.3.3), else the 4.3.1
 * way through coap_split_path/coap_split_query. */
static void uri_options(coap_pdu_t *p, const char *uri) {
  coap_uri_t u;
  coap_optlist_t *chain = NULL;
  uint8_t buf[256];
  if (coap_split_uri(u8(uri), strlen(uri), &u) != 0) {
    fails++;
    return;
  }
#ifdef HAVE_URI_INTO_OPTIONS
  if (coap_uri_into_options(&u, NULL, &chain, 1, buf, sizeof(buf)) != 0)
    fails++;
#else
  {
    size_t buflen;
    int n;
    uint8_t *b;
    if (u.port != 5683) {
      uint8_t pb[4];
      coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PORT, coap_encode_var_safe(pb, 4, u.port), pb));
    }
    if (u.path.length) {
      buflen = sizeof(buf);
      n = coap_split_path(u.path.s, u.path.length, buf, &buflen);
      for (b = buf; n-- > 0; b += coap_opt_size(b))
        coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PATH, coap_opt_length(b), coap_opt_value(b)));
    }
    if (u.query.length) {
      buflen = sizeof(buf);
      n = coap_split_query(u.query.s, u.query.length, buf, &buflen);
      for (b = buf; n-- > 0; b += coap_opt_size(b))
        coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_QUERY, coap_opt_length(b), coap_opt_value(b)));
    }
  }
#endif
  if (!coap_add_optlist_pdu(p, &chain))
    fails++;
  coap_delete_optlist(chain);
}

static void write_block(coap_pdu_t *p, uint16_t num, unsigned bnum, unsigned szx, size_t total, int add) {
  static uint8_t body[4096];
  coap_block_t b;
  size_t i;
  for (i = 0; i < sizeof(body); i++)
    body[i] = (uint8_t)(i * 7);
  memset(&b, 0, sizeof(b));
  b.num = bnum;
  b.szx = szx;
  if (coap_write_block_opt(&b, num, p, total) != 1)
    fails++;
  else if (add && !coap_add_block(p, total, body, b.num, (unsigned char)b.szx))
    fails++;
}

static coap_pdu_t *build(int i, int *skip) {
  static uint8_t big[2000];
  coap_pdu_t *p;
  coap_optlist_t *chain = NULL;
  uint8_t *after;
  size_t k;
  for (k = 0; k < sizeof(big); k++)
    big[k] = (uint8_t)k;
  *skip = 0;
  switch (i) {
  case 0:
    return coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 100);
  case 1:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_POST, 0x1234, 100);
    token(p, "\x42", 1);
    data(p, "payload", 7);
    return p;
  case 2:
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(205), 0xabcd, 200);
    token(p, "12345678", 8);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 50);
    data(p, "{\"a\":1}", 7);
    return p;
  case 3:
    return coap_pdu_init(COAP_MESSAGE_RST, 0, 0xffff, 0);
  case 4:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 4, 300);
    token(p, "tk", 2);
    opt(p, COAP_OPTION_URI_HOST, "example.net", 11);
    uintopt(p, COAP_OPTION_URI_PORT, 61616);
    opt(p, COAP_OPTION_URI_PATH, ".well-known", 11);
    opt(p, COAP_OPTION_URI_PATH, "core", 4);
    opt(p, COAP_OPTION_URI_QUERY, "rt=temp", 7);
    opt(p, COAP_OPTION_URI_QUERY, "if=sensor", 9);
    return p;
  case 5: /* out of order: each insert re-encodes its neighbour */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 5, 300);
    opt(p, COAP_OPTION_URI_QUERY, "q=1", 3);
    opt(p, COAP_OPTION_URI_PATH, "b", 1);
    opt(p, COAP_OPTION_URI_HOST, "h", 1);
    opt(p, COAP_OPTION_URI_PATH, "c", 1);
    uintopt(p, COAP_OPTION_ACCEPT, 40);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 0);
    data(p, "x", 1);
    return p;
  case 6: /* option deltas needing 1- and 2-byte extensions */
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, 6, 300);
    opt(p, 100, "a", 1);
    opt(p, 2049, "bb", 2);
    opt(p, 65000, "", 0);
    return p;
  case 7: /* option lengths around the 13 and 269 boundaries */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, 7, 2000);
    opt(p, 2049, big, 12);
    opt(p, 2049, big, 13);
    opt(p, 2049, big, 268);
    opt(p, 2049, big, 269);
    opt(p, 2049, big, 500);
    return p;
  case 8:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 8, 100);
    opt(p, COAP_OPTION_IF_MATCH, "", 0);
    opt(p, COAP_OPTION_IF_MATCH, "\x01\x02", 2);
    opt(p, COAP_OPTION_IF_NONE_MATCH, "", 0);
    return p;
  case 9:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 9, 100);
    token(p, "obs", 3);
    uintopt(p, COAP_OPTION_OBSERVE, 0);
    opt(p, COAP_OPTION_URI_PATH, "obs", 3);
    return p;
  case 10:
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(205), 10, 100);
    uintopt(p, COAP_OPTION_OBSERVE, 0x123456);
    opt(p, COAP_OPTION_ETAG, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    opt(p, COAP_OPTION_ETAG, "\x09", 1);
    uintopt(p, COAP_OPTION_MAXAGE, 0xfffffffe);
    return p;
  case 11:
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(205), 11, 1200);
    token(p, "b2", 2);
    write_block(p, COAP_OPTION_BLOCK2, 0, 6, 100, 1);
    return p;
  case 12:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 12, 1200);
    opt(p, COAP_OPTION_URI_PATH, "up", 2);
    write_block(p, COAP_OPTION_BLOCK1, 3, 2, 500, 1);
    return p;
  case 13: /* last block, shorter than the block size */
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(205), 13, 1200);
    write_block(p, COAP_OPTION_BLOCK2, 1, 6, 2000, 1);
    return p;
  case 14: /* block too big for the PDU: reduced (option only) */
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(205), 14, 200);
    token(p, "tokn", 4);
    write_block(p, COAP_OPTION_BLOCK2, 1, 6, 2000, 0);
    return p;
  case 15: /* option list, inserted unsorted */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 15, 300);
    coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_QUERY, 3, u8("a=b")));
    coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PATH, 5, u8("first")));
    coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_ACCEPT, 1, u8("\x3c")));
    coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_PATH, 6, u8("second")));
    coap_insert_optlist(&chain, coap_new_optlist(COAP_OPTION_URI_HOST, 4, u8("host")));
    if (!coap_add_optlist_pdu(p, &chain))
      fails++;
    coap_delete_optlist(chain);
    return p;
  case 16:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 16, 300);
    token(p, "u", 1);
    uri_options(p, "coap://example.com:5700/a/b%20c/./d?x=1&y=%26");
    return p;
  case 17:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, 17, 300);
    uri_options(p, "coap://h/path/../other");
    data(p, "body", 4);
    return p;
  case 18:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_RESPONSE_CODE(205), 18, 300);
    data(p, big, 256);
    return p;
  case 19:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_RESPONSE_CODE(205), 19, 2000);
    token(p, "big", 3);
    data(p, big, 1500);
    return p;
  case 20:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(404), 20, 100);
    token(p, "\x00\x00", 2);
    data(p, "Not here", 8);
    return p;
  case 21:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_FETCH, 21, 100);
    uintopt(p, COAP_OPTION_SIZE1, 70000);
    uintopt(p, COAP_OPTION_SIZE2, 0);
    uintopt(p, COAP_OPTION_HOP_LIMIT, 3);
    return p;
  case 22:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 22, 600);
    opt(p, COAP_OPTION_URI_PATH, big + 1, 255);
    return p;
  case 23: /* the same number inserted between equal ones */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 23, 300);
    opt(p, COAP_OPTION_URI_PATH, "1", 1);
    opt(p, COAP_OPTION_URI_QUERY, "q", 1);
    opt(p, COAP_OPTION_URI_PATH, "2", 1);
    opt(p, COAP_OPTION_URI_PATH, "3", 1);
    return p;
  case 24: /* header fields changed after creation */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 24, 100);
    coap_pdu_set_type(p, COAP_MESSAGE_NON);
    coap_pdu_set_code(p, COAP_RESPONSE_CODE(503));
    coap_pdu_set_mid(p, 0x7777);
    return p;
  case 25:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 25, 100);
    opt(p, COAP_OPTION_CONTENT_FORMAT, "", 0);
    after = coap_add_data_after(p, 5);
    if (after)
      memcpy(after, "after", 5);
    else
      fails++;
    return p;
  case 26:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, 26, 200);
    opt(p, COAP_OPTION_ECHO, big, 40);
    opt(p, COAP_OPTION_RTAG, "\x01\x02\x03", 3);
    opt(p, COAP_OPTION_NORESPONSE, "\x1a", 1);
    return p;
  case 27:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 27, 200);
    uintopt(p, COAP_OPTION_HOP_LIMIT, 16);
    opt(p, COAP_OPTION_PROXY_URI, "coap://other/x", 14);
    return p;
  case 28:
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(201), 28, 200);
    opt(p, COAP_OPTION_LOCATION_PATH, "new", 3);
    opt(p, COAP_OPTION_LOCATION_PATH, "42", 2);
    opt(p, COAP_OPTION_LOCATION_QUERY, "v=1", 3);
    return p;
  case 29: /* far out of order across delta boundaries */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 29, 300);
    opt(p, 2049, "z", 1);
    opt(p, COAP_OPTION_URI_HOST, "h", 1);
    opt(p, 300, "y", 1);
    opt(p, COAP_OPTION_CONTENT_FORMAT, "\x01", 1);
    opt(p, 14, "", 0);
    return p;
  case 30: { /* parsed from the wire */
    static const uint8_t wire[] = {0x44, 0x01, 0x12, 0x34, 't', 'o', 'k', 'n', 0xb4, 't', 'e', 's', 't',
                                   0x43, 'a', 'b', 'c', 0xff, 'h', 'i'};
    p = coap_pdu_init(COAP_MESSAGE_CON, 0, 0, 100);
    if (!coap_pdu_parse(COAP_PROTO_UDP, wire, sizeof(wire), p))
      fails++;
    return p;
  }
  case 31:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_RESPONSE_CODE(205), 31, 1200);
    write_block(p, COAP_OPTION_BLOCK2, 0, 0, 0, 1);
    return p;
  case 32: /* extended tokens (RFC 8974): 4.3.3 only */
  case 33:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, i, 1000);
    if (!coap_add_token(p, i == 32 ? 20 : 300, big)) {
      *skip = 1;
      return p;
    }
    opt(p, COAP_OPTION_URI_PATH, "ext", 3);
    data(p, "t", 1);
    return p;
  case 34: /* error responses built from a request */
  case 35:
  case 36: {
    coap_opt_filter_t f;
    coap_pdu_t *req = coap_pdu_init(i == 36 ? COAP_MESSAGE_NON : COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 0x3456, 300);
    token(req, "errtok", 6);
    opt(req, COAP_OPTION_URI_PATH, "abc", 3);
    uintopt(req, COAP_OPTION_CONTENT_FORMAT, 0);
    opt(req, 2049, "zz", 2);
    data(req, "body", 4);
    coap_option_filter_clear(&f);
    if (i != 34) {
      coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
      coap_option_filter_set(&f, COAP_OPTION_CONTENT_FORMAT);
      coap_option_filter_set(&f, 2049);
    }
    p = coap_new_error_response(req, i == 34 ? COAP_RESPONSE_CODE(404) : i == 35 ? COAP_RESPONSE_CODE(402) : COAP_RESPONSE_CODE(500), &f);
    coap_delete_pdu(req);
    if (!p) {
      fails++;
      p = coap_pdu_init(COAP_MESSAGE_CON, 0, 0, 0);
    }
    return p;
  }
  case 37: /* a request naming a proxy gets Hop-Limit 16 unless it has one */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 37, 200);
    opt(p, COAP_OPTION_PROXY_URI, "coap://other/x", 14);
    return p;
  case 38:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_PUT, 38, 200);
    opt(p, COAP_OPTION_URI_HOST, "other", 5);
    opt(p, COAP_OPTION_PROXY_SCHEME, "coap", 4);
    return p;
  case 39: /* not in a response */
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(205), 39, 200);
    opt(p, COAP_OPTION_PROXY_URI, "coap://other/x", 14);
    return p;
  default:
    return NULL;
  }
}

#ifndef PDU_TABLE_ONLY /* cache-compare/keys.c reuses the table */
int main(void) {
  int i, skip;
  coap_pdu_t *p;
  coap_startup();
  coap_set_log_level((coap_log_t)0); /* refusals are counted, not logged */
  for (i = 0; (fails = 0, p = build(i, &skip)) != NULL; i++) {
    if (skip)
      printf("%02d skip\n", i);
    else
      dump(i, p);
    coap_delete_pdu(p);
  }
  coap_cleanup();
  return 0;
}
#endif
