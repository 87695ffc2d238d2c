/* coap_show_pdu(3) and coap_response_phrase(): the text of a table of PDUs
 * must be what Debian's libcoap 4.3.1 prints, byte for byte. The expected
 * strings were recorded from Debian's library by building this file with
 * -DSHOW_PDU_GENERATE (see the end of the file) and linking it there. */
#ifndef SHOW_PDU_GENERATE
#include "capi.h"
#else
#include <coap3/coap.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numeric levels: Debian's 4.3.1 header names them LOG_*, 4.3.3 COAP_LOG_*. */
#define L_ERR ((coap_log_t)3)
#define L_WARN ((coap_log_t)4)
#define L_INFO ((coap_log_t)6)
#define L_DEBUG ((coap_log_t)7)

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

static void opt(coap_pdu_t *p, uint16_t num, const char *v, size_t n) {
  coap_add_option(p, num, n, u8(v));
}

static void uintopt(coap_pdu_t *p, uint16_t num, unsigned v) {
  uint8_t b[4];
  coap_add_option(p, num, coap_encode_var_safe(b, sizeof(b), v), b);
}

/* Builds PDU number i of the table and says at which level to show it and
 * what the log level is meanwhile; NULL past the end. */
static coap_pdu_t *make(int i, coap_log_t *level, coap_log_t *global) {
  static char big[3000];
  coap_pdu_t *p = NULL;
  int k;
  *level = L_WARN;
  *global = L_DEBUG;
  switch (i) {
  case 0: case 1:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1234, 1000);
    coap_add_token(p, 4, u8("\x01\x02\xab\xff"));
    opt(p, COAP_OPTION_URI_HOST, "localhost", 9);
    opt(p, COAP_OPTION_URI_PATH, "abc", 3);
    opt(p, COAP_OPTION_URI_PATH, "x y\x01z", 5);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 50);
    opt(p, COAP_OPTION_URI_QUERY, "a=1", 3);
    opt(p, COAP_OPTION_BLOCK2, "\x1e", 1);
    coap_add_data(p, 5, u8("hello"));
    if (i == 1)
      *level = L_DEBUG;
    break;
  case 2:
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(205), 0xffff, 1000);
    coap_add_data(p, 20, u8("\x00\x01\x02hello\xff\xfe world\x7f\x80!!!"));
    break;
  case 3:
    p = coap_pdu_init(COAP_MESSAGE_RST, 0, 7, 100);
    break;
  case 4:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_RESPONSE_CODE(404), 0x0102, 1000);
    coap_add_token(p, 1, u8("\x7f"));
    opt(p, COAP_OPTION_IF_MATCH, "", 0);
    opt(p, COAP_OPTION_IF_MATCH, "\x01\x02\x03", 3);
    opt(p, COAP_OPTION_ETAG, "\xde\xad\xbe\xef\x00\x11\x22\x33", 8);
    opt(p, COAP_OPTION_ECHO, "echo-value", 10);
    opt(p, COAP_OPTION_RTAG, "\x00", 1);
    break;
  case 5:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 5, 1000);
    opt(p, COAP_OPTION_IF_NONE_MATCH, "", 0);
    opt(p, COAP_OPTION_OBSERVE, "\x12\x34\x56", 3);
    break;
  case 6:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, 6, 1000);
    uintopt(p, COAP_OPTION_URI_PORT, 61616);
    uintopt(p, COAP_OPTION_MAXAGE, 0xfffffffe);
    uintopt(p, COAP_OPTION_HOP_LIMIT, 5);
    uintopt(p, COAP_OPTION_SIZE2, 1);
    uintopt(p, COAP_OPTION_SIZE1, 0x10000);
    break;
  case 7:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 7, 1000);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 11060);
    uintopt(p, COAP_OPTION_ACCEPT, 60);
    coap_add_data(p, 2, u8("hi"));
    break;
  case 8:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 8, 1000);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 0);
    uintopt(p, COAP_OPTION_ACCEPT, 0);
    coap_add_data(p, 5, u8("a\nb\x7f\x01"));
    break;
  case 9:
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(201), 9, 1000);
    opt(p, COAP_OPTION_LOCATION_PATH, "a\"b\\c'", 6);
    opt(p, COAP_OPTION_LOCATION_PATH, "", 0);
    opt(p, COAP_OPTION_LOCATION_QUERY, "q=\xc3\xa9", 4);
    break;
  case 10:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 10, 1000);
    uintopt(p, COAP_OPTION_HOP_LIMIT, 16);
    opt(p, COAP_OPTION_PROXY_URI, "coap://h/x?y", 12);
    break;
  case 11:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT, 11, 1000);
    opt(p, COAP_OPTION_BLOCK2, "\xff\xff\xfe", 3);
    opt(p, COAP_OPTION_BLOCK1, "", 0);
    coap_add_data(p, 3, u8("abc"));
    break;
  case 12:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, 12, 1000);
    opt(p, 2, "ab", 2);
    opt(p, 13, "\x01", 1);
    opt(p, 2049, "", 0);
    opt(p, 65000, "xyz", 3);
    break;
  case 13:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_FETCH, 13, 1000);
    opt(p, 9, "\x09\x00", 2);
    opt(p, 19, "\x0a", 1);
    opt(p, 31, "\x1b", 1);
    opt(p, COAP_OPTION_NORESPONSE, "\x1a", 1);
    break;
  case 14:
    p = coap_pdu_init(COAP_MESSAGE_NON, 8, 14, 1000);
    coap_add_token(p, 8, u8("\x00\x11\x22\x33\x44\x55\x66\x77"));
    break;
  case 15:
    p = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE(503), 15, 1000);
    coap_add_data(p, 10, u8("it's \"q\" \\"));
    break;
  case 16:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_SIGNALING_CODE_CSM, 16, 1000);
    uintopt(p, COAP_SIGNALING_OPTION_MAX_MESSAGE_SIZE, 1152);
    opt(p, COAP_SIGNALING_OPTION_BLOCK_WISE_TRANSFER, "", 0);
    opt(p, 6, "zz", 2);
    break;
  case 17:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_SIGNALING_CODE_RELEASE, 17, 1000);
    opt(p, COAP_SIGNALING_OPTION_ALTERNATIVE_ADDRESS, "coap+tcp://h", 12);
    uintopt(p, COAP_SIGNALING_OPTION_HOLD_OFF, 30);
    break;
  case 18:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_SIGNALING_CODE_ABORT, 18, 1000);
    uintopt(p, COAP_SIGNALING_OPTION_BAD_CSM_OPTION, 4);
    break;
  case 19:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_SIGNALING_CODE_PING, 19, 1000);
    opt(p, COAP_SIGNALING_OPTION_CUSTODY, "", 0);
    break;
  case 20:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 20, 1000);
    coap_add_data(p, 3, u8("\x00" "ab"));
    break;
  case 21: case 22: case 23:
    memset(big, 'A', sizeof(big));
    if (i == 22)
      big[0] = 1;
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), i, 4000);
    coap_add_data(p, i == 23 ? 3000 : 1100, u8(big));
    break;
  case 24:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_IPATCH, 24, 1000);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 40);
    coap_add_data(p, 9, u8("</x>;ct=0"));
    break;
  case 25:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_PATCH, 25, 1000);
    *level = L_INFO;
    break;
  case 26:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_DELETE, 26, 1000);
    *level = L_DEBUG;
    *global = L_WARN; /* not shown */
    break;
  case 27:
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_RESPONSE_CODE(205), 27, 1000);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 60);
    coap_add_data(p, 4, u8("text"));
    *level = L_ERR;
    break;
  case 28:
    memset(big, 'p', 255);
    big[100] = '\x02';
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 28, 4000);
    for (k = 0; k < 10; k++)
      opt(p, COAP_OPTION_URI_PATH, big, 255);
    coap_add_data(p, 2, u8("zz"));
    break;
  case 29:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(731), 29, 1000);
    opt(p, 2, "ab", 2);
    break;
  case 30:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(205), 30, 1000);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 0xffff);
    uintopt(p, COAP_OPTION_ACCEPT, 16);
    coap_add_data(p, 1, u8("x"));
    break;
  default:
    return NULL;
  }
  return p;
}

static char captured[16384];

static void capture_all(coap_log_t level, const char *message) {
  size_t n = strlen(captured);
  snprintf(captured + n, sizeof(captured) - n, "[%d]%s", (int)level, message);
}

/* The text coap_show_pdu() logs for table entry i (empty past the end). */
static const char *show(int i, int *found) {
  coap_log_t level, global, old = coap_get_log_level();
  coap_pdu_t *p = make(i, &level, &global);
  captured[0] = '\0';
  *found = p != NULL;
  if (!p)
    return captured;
  coap_set_log_handler(capture_all);
  coap_set_show_pdu_output(0);
  coap_set_log_level(global);
  coap_show_pdu(level, p);
  coap_set_log_level(old);
  coap_set_show_pdu_output(1);
  coap_set_log_handler(NULL);
  coap_delete_pdu(p);
  return captured;
}

#ifdef SHOW_PDU_GENERATE
/* Prints the expected[] table as C source. */
int main(void) {
  int i, found;
  coap_startup();
  printf("static const char *const expected[] = {\n");
  for (i = 0;; i++) {
    const char *s = show(i, &found);
    if (!found)
      break;
    printf("  /* %d */ \"", i);
    for (; *s; s++) {
      unsigned char c = (unsigned char)*s;
      if (c == '"' || c == '\\')
        printf("\\%c", c);
      else if (c == '\n')
        printf("\\n\"\n    \"");
      else if (c < 0x20 || c > 0x7e)
        printf("\\%03o", c);
      else
        putchar(c);
    }
    printf("\",\n");
  }
  printf("};\n");
  return 0;
}
#else
/* Recorded from Debian's libcoap 4.3.1 (-DSHOW_PDU_GENERATE). */
static const char *const expected[] = {
  /* 0 */ "[4]v:1 t:CON c:GET i:04d2 {0102abff} [ Uri-Host:localhost, Uri-Path:abc, Uri-Path:x y\\x01z, Content-Format:application/json, Uri-Query:a=1, Block2:1/M/1024 ] :: 'hello'\n",
  /* 1 */ "[7]v:1 t:CON c:GET i:04d2 {0102abff} [ Uri-Host:localhost, Uri-Path:abc, Uri-Path:x y\\x01z, Content-Format:application/json, Uri-Query:a=1, Block2:1/M/1024 ] :: 'hello'\n",
  /* 2 */ "[4]v:1 t:ACK c:2.05 i:ffff {} [ ] :: binary data length 20\n"
    "[4]<<00010268656c6c6ffffe20776f726c647f802121>>\n"
    "[4]<<. . . h e l l o . .   w o r l d . . ! ! >>\n",
  /* 3 */ "[4]v:1 t:RST c:0.00 i:0007 {} [ ]\n",
  /* 4 */ "[4]v:1 t:NON c:4.04 i:0102 {7f} [ If-Match:0x, If-Match:0x010203, ETag:0xdeadbeef00112233, Echo:0x6563686f2d76616c7565, Request-Tag:0x00 ]\n",
  /* 5 */ "[4]v:1 t:CON c:GET i:0005 {} [ If-None-Match:, Observe:1193046 ]\n",
  /* 6 */ "[4]v:1 t:CON c:POST i:0006 {} [ Uri-Port:61616, Max-Age:4294967294, Hop-Limit:5, Size2:1, Size1:65536 ]\n",
  /* 7 */ "[4]v:1 t:CON c:2.05 i:0007 {} [ Content-Format:11060, Accept:application/cbor ] :: binary data length 2\n"
    "[4]<<6869>>\n"
    "[4]<<h i >>\n",
  /* 8 */ "[4]v:1 t:CON c:2.05 i:0008 {} [ Content-Format:text/plain, Accept:text/plain ] :: 'a\\x0Ab\\x7F\\x01'\n",
  /* 9 */ "[4]v:1 t:ACK c:2.01 i:0009 {} [ Location-Path:a\"b\\c', Location-Path:, Location-Query:q=\\xC3\\xA9 ]\n",
  /* 10 */ "[4]v:1 t:CON c:GET i:000a {} [ Hop-Limit:16, Proxy-Uri:coap://h/x?y ]\n",
  /* 11 */ "[4]v:1 t:CON c:PUT i:000b {} [ Block2:1048575/M/1024, Block1:0/_/16 ] :: 'abc'\n",
  /* 12 */ "[4]v:1 t:NON c:GET i:000c {} [ 2:\\x61\\x62, 13:\\x01, 2049:, 65000:\\x78\\x79\\x7A ]\n",
  /* 13 */ "[4]v:1 t:CON c:FETCH i:000d {} [ 9:\\x09\\x00, Q-Block1:0/M/64, Q-Block2:1/M/128, No-Response:0x1a ]\n",
  /* 14 */ "[4]v:1 t:NON c:0.08 i:000e {0011223344556677} [ ]\n",
  /* 15 */ "[4]v:1 t:ACK c:5.03 i:000f {} [ ] :: 'it's \"q\" \\'\n",
  /* 16 */ "[4]v:1 t:CON c:CSM i:0010 {} [ Max-Message-Size:1152, Block-Wise-Transfer:, 6: ]\n",
  /* 17 */ "[4]v:1 t:CON c:Release i:0011 {} [ Alternative-Address:coap+tcp://h, Hold-Off:30 ]\n",
  /* 18 */ "[4]v:1 t:CON c:Abort i:0012 {} [ Bad-CSM-Option:4 ]\n",
  /* 19 */ "[4]v:1 t:CON c:Ping i:0013 {} [ Custody: ]\n",
  /* 20 */ "[4]v:1 t:CON c:2.05 i:0014 {} [ ] :: binary data length 3\n"
    "[4]<<006162>>\n"
    "[4]<<. a b >>\n",
  /* 21 */ "[4]v:1 t:CON c:2.05 i:0015 {} [ ] :: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'\n",
  /* 22 */ "[4]v:1 t:CON c:2.05 i:0016 {} [ ] :: binary data length 1100\n"
    "[4]<<0141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414[4]<<. A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A \n",
  /* 23 */ "[4]v:1 t:CON c:2.05 i:0017 {} [ ] :: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
  /* 24 */ "[4]v:1 t:CON c:iPATCH i:0018 {} [ Content-Format:application/link-format ] :: '</x>;ct=0'\n",
  /* 25 */ "[6]v:1 t:NON c:PATCH i:0019 {} [ ]\n",
  /* 26 */ "",
  /* 27 */ "[3]v:1 t:NON c:2.05 i:001b {} [ Content-Format:application/cbor ] :: binary data length 4\n"
    "[3]<<74657874>>\n"
    "[3]<<t e x t >>\n",
  /* 28 */ "[4]v:1 t:CON c:GET i:001c {} [ Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, Uri-Path:pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\\x02pppppppppppppppppppppppppppppp\n",
  /* 29 */ "[4]v:1 t:CON c:7.31 i:001d {} [ 2:\\x61\\x62 ]\n",
  /* 30 */ "[4]v:1 t:CON c:2.05 i:001e {} [ Content-Format:65535, Accept:application/cose; cose-type=\"cose-encrypt0\" ] :: binary data length 1\n"
    "[4]<<78>>\n"
    "[4]<<x >>\n",
};

static void test_table_matches_libcoap(void) {
  int i, found;
  char name[32];
  for (i = 0; i < (int)(sizeof(expected) / sizeof(expected[0])); i++) {
    const char *got = show(i, &found);
    CU_ASSERT_TRUE_FATAL(found);
    if (strcmp(got, expected[i]) != 0) {
      snprintf(name, sizeof(name), "entry %d", i);
      fprintf(stderr, "\n%s differs:\n got: %s\nwant: %s\n", name, got, expected[i]);
    }
    CU_ASSERT_STRING_EQUAL(got, expected[i]);
  }
  CU_ASSERT_FALSE(show(i, &found)[0] || found);
}

static void test_null_pdu_is_refused(void) {
  capi_log_capture_start();
  coap_show_pdu(COAP_LOG_ERR, NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("coap_show_pdu"));
  capi_log_capture_stop();
}

static void test_response_phrases(void) {
  CU_ASSERT_STRING_EQUAL(coap_response_phrase(COAP_RESPONSE_CODE(205)), "Content");
  CU_ASSERT_STRING_EQUAL(coap_response_phrase(COAP_RESPONSE_CODE(231)), "Continue");
  CU_ASSERT_STRING_EQUAL(coap_response_phrase(COAP_RESPONSE_CODE(404)), "Not Found");
  CU_ASSERT_STRING_EQUAL(coap_response_phrase(COAP_RESPONSE_CODE(415)), "Unsupported Content-Format");
  CU_ASSERT_STRING_EQUAL(coap_response_phrase(COAP_RESPONSE_CODE(429)), "Too Many Requests");
  CU_ASSERT_STRING_EQUAL(coap_response_phrase(COAP_RESPONSE_CODE(508)), "Hop Limit Reached");
  CU_ASSERT_PTR_NULL(coap_response_phrase(0));
  CU_ASSERT_PTR_NULL(coap_response_phrase(COAP_REQUEST_CODE_GET));
  CU_ASSERT_PTR_NULL(coap_response_phrase(COAP_RESPONSE_CODE(407)));
  CU_ASSERT_PTR_NULL(coap_response_phrase(COAP_RESPONSE_CODE(509)));
  CU_ASSERT_PTR_NULL(coap_response_phrase(COAP_SIGNALING_CODE_CSM));
}

void register_show_pdu(void) {
  static const capi_test_t tests[] = {
      {"table matches Debian's libcoap", test_table_matches_libcoap},
      {"NULL pdu is refused", test_null_pdu_is_refused},
      {"response phrases", test_response_phrases},
      {NULL, NULL},
  };
  capi_add_suite("show_pdu", tests);
}
#endif
