/* Cache keys (coap_cache(3)) compared with Debian's libcoap: compiled once
 * against this library and once against Debian's, run.sh diffs the output.
 *
 * For every PDU of pdu-compare/table.c and the cache-specific ones below it
 * prints the key bytes (plain, with an ignore list, with context-wide
 * ignored options) and whether a session-based key is SHA-256 over the
 * session pointer followed by the plain key's material (the pointer value
 * differs between runs, the rule must not). Then a few lines on how entries
 * behave (newest wins, session death, app-data callbacks). The key bytes
 * are read through the opaque pointer: libcoap's coap_cache_key_t is 32
 * bytes of digest. */
#define PDU_TABLE_ONLY
#include "../pdu-compare/table.c"
#include <openssl/sha.h>

static coap_pdu_t *cache_pdu(int i) {
  coap_pdu_t *p;
  static const uint8_t wire[] = {0x42, 0x05, 0x00, 0x01, 't', 'k', 0xb1, 'x', 0xd1, 0x02, 'y', 0x60,
                                 0xe1, 0x00, 0x00, 'z', 0xff, 'q', 'u', 'e', 'r', 'y'};
  switch (i) {
  case 0: /* NoCacheKey numbers: (n & 0x1e) == 0x1c */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 300);
    opt(p, COAP_OPTION_URI_PATH, "nk", 2);
    opt(p, 28, "a", 1);
    opt(p, 29, "b", 1);
    opt(p, 30, "c", 1);
    opt(p, 31, "d", 1);
    opt(p, 32, "e", 1);
    uintopt(p, COAP_OPTION_SIZE1, 60);
    opt(p, 92, "f", 1);
    opt(p, 2076, "g", 1);
    return p;
  case 1: /* same as 0 without the NoCacheKey options */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 300);
    opt(p, COAP_OPTION_URI_PATH, "nk", 2);
    opt(p, 32, "e", 1);
    return p;
  case 2: /* Observe is never part of the key */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 2, 300);
    uintopt(p, COAP_OPTION_OBSERVE, 1);
    opt(p, COAP_OPTION_URI_PATH, "nk", 2);
    opt(p, 32, "e", 1);
    return p;
  case 3: /* FETCH: the body is part of the key */
  case 4:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_FETCH, 3, 300);
    opt(p, COAP_OPTION_URI_PATH, "f", 1);
    uintopt(p, COAP_OPTION_CONTENT_FORMAT, 50);
    data(p, i == 3 ? "{\"a\":1}" : "{\"a\":2}", 7);
    return p;
  case 5: /* FETCH without a body */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_FETCH, 5, 300);
    opt(p, COAP_OPTION_URI_PATH, "f", 1);
    return p;
  case 6: /* other methods: the body is not */
  case 7:
    p = coap_pdu_init(COAP_MESSAGE_CON, i == 6 ? COAP_REQUEST_CODE_POST : COAP_REQUEST_CODE_PUT, 6, 300);
    opt(p, COAP_OPTION_URI_PATH, "f", 1);
    data(p, i == 6 ? "one" : "two", 3);
    return p;
  case 8: /* values are not length-prefixed: "ab" and "a","b" */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 8, 300);
    opt(p, COAP_OPTION_URI_PATH, "ab", 2);
    return p;
  case 9:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 9, 300);
    opt(p, COAP_OPTION_URI_PATH, "a", 1);
    opt(p, COAP_OPTION_URI_PATH, "b", 1);
    return p;
  case 10: /* type, code, mid and token are not part of the key */
    p = coap_pdu_init(COAP_MESSAGE_NON, COAP_RESPONSE_CODE(205), 0x4242, 300);
    token(p, "differen", 8);
    opt(p, COAP_OPTION_URI_PATH, "ab", 2);
    return p;
  case 11: /* parsed FETCH with unknown options */
    p = coap_pdu_init(COAP_MESSAGE_CON, 0, 0, 300);
    if (!coap_pdu_parse(COAP_PROTO_UDP, wire, sizeof(wire), p))
      fails++;
    return p;
  case 12: /* block options, ignored by the context list below */
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 12, 300);
    opt(p, COAP_OPTION_URI_PATH, "big", 3);
    uintopt(p, COAP_OPTION_BLOCK2, 0x16);
    uintopt(p, COAP_OPTION_SIZE2, 0);
    return p;
  case 13:
    p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 13, 300);
    opt(p, COAP_OPTION_URI_PATH, "big", 3);
    uintopt(p, COAP_OPTION_BLOCK2, 0x26);
    return p;
  default:
    return NULL;
  }
}

static void hexkey(const coap_cache_key_t *k) {
  if (k)
    hex((const uint8_t *)k, 32);
  else
    printf("NULL");
}

/* The key material per the rule found against Debian: each cache-key
 * option's number (native u16) and value, then a FETCH body. */
static int in_key(uint16_t n, const uint16_t *ign, size_t nign) {
  size_t i;
  if ((n & 0x1e) == 0x1c || n == COAP_OPTION_OBSERVE)
    return 0;
  for (i = 0; i < nign; i++)
    if (ign[i] == n)
      return 0;
  return 1;
}

static int session_rule_holds(coap_session_t *s, coap_pdu_t *p, const coap_cache_key_t *k) {
  SHA256_CTX c;
  uint8_t md[32];
  coap_opt_iterator_t oi;
  coap_opt_t *o;
  const uint8_t *d;
  size_t len;
  if (!k)
    return -1; /* no key at all (nothing after the token) */
  SHA256_Init(&c);
  SHA256_Update(&c, &s, sizeof(s));
  coap_option_iterator_init(p, &oi, COAP_OPT_ALL);
  while ((o = coap_option_next(&oi))) {
    if (in_key(oi.number, NULL, 0)) {
      SHA256_Update(&c, &oi.number, sizeof(oi.number));
      SHA256_Update(&c, coap_opt_value(o), coap_opt_length(o));
    }
  }
  if (coap_pdu_get_code(p) == COAP_REQUEST_CODE_FETCH && coap_get_data(p, &len, &d))
    SHA256_Update(&c, d, len);
  SHA256_Final(md, &c);
  return memcmp(md, k, 32) == 0;
}

static void keys(const char *set, int id, coap_context_t *ctx, coap_session_t *s, coap_pdu_t *p) {
  static const uint16_t ign[] = {COAP_OPTION_URI_PATH, COAP_OPTION_ETAG};
  static const uint16_t blocks[] = {COAP_OPTION_BLOCK1, COAP_OPTION_BLOCK2, COAP_OPTION_SIZE2};
  coap_cache_key_t *k = coap_cache_derive_key(s, p, COAP_CACHE_NOT_SESSION_BASED);
  coap_cache_key_t *ks = coap_cache_derive_key(s, p, COAP_CACHE_IS_SESSION_BASED);
  coap_cache_key_t *ki = coap_cache_derive_key_w_ignore(NULL, p, COAP_CACHE_NOT_SESSION_BASED, ign, 2);
  coap_cache_key_t *kc;
  coap_cache_ignore_options(ctx, blocks, 3);
  kc = coap_cache_derive_key(s, p, COAP_CACHE_NOT_SESSION_BASED);
  coap_cache_ignore_options(ctx, NULL, 0);
  printf("%s%02d fails=%d key=", set, id, fails);
  hexkey(k);
  printf(" ignore=");
  hexkey(ki);
  printf(" ctx-ignore=");
  hexkey(kc);
  printf(" session-rule=%d\n", session_rule_holds(s, p, ks));
  coap_delete_cache_key(k);
  coap_delete_cache_key(ks);
  coap_delete_cache_key(ki);
  coap_delete_cache_key(kc);
}

static int freed;
static void free_cb(void *d) {
  freed++;
  printf("free %s\n", (const char *)d);
}

static const char *which(coap_cache_entry_t *e, coap_cache_entry_t *a, coap_cache_entry_t *b) {
  return e == NULL ? "none" : e == a ? "first" : e == b ? "second" : "other";
}

/* How entries behave: lookups, deletion, session death, app data. */
static void entries(coap_context_t *ctx, coap_session_t *s, coap_session_t *s2) {
  coap_pdu_t *p = cache_pdu(1);
  coap_cache_key_t *k = coap_cache_derive_key(s, p, COAP_CACHE_NOT_SESSION_BASED);
  coap_cache_entry_t *e1 = coap_new_cache_entry(s, p, COAP_CACHE_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_cache_entry_t *e2 = coap_new_cache_entry(s, p, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_cache_entry_t *e3, *e4;
  const coap_pdu_t *rec = coap_cache_get_pdu(e1);
  printf("duplicate key: lookup finds %s\n", which(coap_cache_get_by_key(ctx, k), e1, e2));
  printf("recorded: first %s (a copy: %d, same mid: %d), second %s\n", rec ? "yes" : "no", rec != p,
         rec && coap_pdu_get_mid(rec) == coap_pdu_get_mid(p), coap_cache_get_pdu(e2) ? "yes" : "no");
  coap_cache_set_app_data(e1, "first", free_cb);
  coap_cache_set_app_data(e2, NULL, free_cb);
  printf("app data: %s\n", (const char *)coap_cache_get_app_data(e1));
  coap_delete_cache_entry(ctx, e2);
  printf("deleted second (NULL data): callbacks %d, lookup finds %s\n", freed, which(coap_cache_get_by_key(ctx, k), e1, e2));
  printf("session-based lookup: %s\n", which(coap_cache_get_by_pdu(s, p, COAP_CACHE_IS_SESSION_BASED), e1, e2));
  e3 = coap_new_cache_entry(s2, p, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  e4 = coap_new_cache_entry(s2, p, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_IS_SESSION_BASED, 0);
  coap_cache_set_app_data(e3, "third (not session based)", free_cb);
  coap_cache_set_app_data(e4, "fourth (session based)", free_cb);
  printf("by pdu, session based on s2: %s\n", which(coap_cache_get_by_pdu(s2, p, COAP_CACHE_IS_SESSION_BASED), e3, e4));
  printf("by pdu, not session based: %s\n", which(coap_cache_get_by_pdu(s, p, COAP_CACHE_NOT_SESSION_BASED), e3, e4));
  coap_session_release(s2);
  printf("released s2: callbacks %d, lookup finds %s\n", freed, which(coap_cache_get_by_key(ctx, k), e1, e2));
  coap_delete_cache_key(k);
  coap_delete_pdu(p);
}

int main(void) {
  int i, skip;
  coap_pdu_t *p;
  coap_context_t *ctx;
  coap_session_t *s, *s2;
  coap_address_t a;
  coap_startup();
  coap_set_log_level((coap_log_t)0);
  ctx = coap_new_context(NULL);
  coap_address_init(&a);
  a.addr.sin.sin_family = AF_INET;
  a.addr.sin.sin_port = htons(5683);
  a.addr.sin.sin_addr.s_addr = htonl(0x7f000001);
  a.size = sizeof(a.addr.sin);
  s = coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
  s2 = coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
  if (!ctx || !s || !s2) {
    printf("setup failed\n");
    return 1;
  }
  for (i = 0; (fails = 0, p = build(i, &skip)) != NULL; i++) {
    if (skip)
      printf("table%02d skip\n", i);
    else
      keys("table", i, ctx, s, p);
    coap_delete_pdu(p);
  }
  for (i = 0; (fails = 0, p = cache_pdu(i)) != NULL; i++) {
    keys("cache", i, ctx, s, p);
    coap_delete_pdu(p);
  }
  entries(ctx, s, s2);
  coap_free_context(ctx);
  printf("freed context: callbacks %d\n", freed);
  coap_cleanup();
  return 0;
}
