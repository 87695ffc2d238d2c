/* coap_cache(3): keys, entries, recorded PDUs, app data and its release
 * callback (exactly once: on delete, idle expiry, session death and
 * context free), and the refusals of bad arguments. Key bytes themselves
 * are compared with Debian's libcoap by make check-cache-compare. */
#include "capi.h"
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

static coap_context_t *ctx;
static coap_session_t *sess;
static char released[8][32];
static int nreleased;

static void on_release(void *data) {
  if (nreleased < 8)
    snprintf(released[nreleased], sizeof(released[0]), "%s", (const char *)data);
  nreleased++;
}

static coap_session_t *new_session(void) {
  coap_address_t a;
  coap_address_init(&a);
  a.addr.sin.sin_family = AF_INET;
  a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.addr.sin.sin_port = htons(5683);
  a.size = sizeof(struct sockaddr_in);
  return coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
}

static coap_pdu_t *get_pdu(const char *path) {
  coap_pdu_t *p = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 7, 200);
  coap_add_token(p, 2, (const uint8_t *)"tk");
  coap_add_option(p, COAP_OPTION_URI_PATH, strlen(path), (const uint8_t *)path);
  return p;
}

/* A fresh context and session for every test. */
static void setup(void) {
  nreleased = 0;
  ctx = coap_new_context(NULL);
  sess = ctx ? new_session() : NULL;
}

static void teardown(void) {
  coap_session_release(sess);
  coap_free_context(ctx);
  ctx = NULL;
  sess = NULL;
}

static void test_keys(void) {
  coap_pdu_t *a = get_pdu("a"), *b = get_pdu("b"), *empty = coap_pdu_init(COAP_MESSAGE_CON, 1, 1, 10);
  coap_cache_key_t *ka = coap_cache_derive_key(sess, a, COAP_CACHE_NOT_SESSION_BASED);
  coap_cache_key_t *kb = coap_cache_derive_key(sess, b, COAP_CACHE_NOT_SESSION_BASED);
  coap_cache_key_t *ks = coap_cache_derive_key(sess, a, COAP_CACHE_IS_SESSION_BASED);
  uint16_t path = COAP_OPTION_URI_PATH;
  coap_cache_key_t *ia = coap_cache_derive_key_w_ignore(NULL, a, COAP_CACHE_NOT_SESSION_BASED, &path, 1);
  coap_cache_key_t *ib = coap_cache_derive_key_w_ignore(sess, b, COAP_CACHE_NOT_SESSION_BASED, &path, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ka);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
  CU_ASSERT(memcmp(ka, kb, 32) != 0);
  CU_ASSERT(memcmp(ka, ks, 32) != 0);
  CU_ASSERT(memcmp(ia, ib, 32) == 0);
  /* The context-wide list applies to coap_cache_derive_key. */
  CU_ASSERT_EQUAL(coap_cache_ignore_options(ctx, &path, 1), 1);
  coap_delete_cache_key(kb);
  kb = coap_cache_derive_key(sess, b, COAP_CACHE_NOT_SESSION_BASED);
  CU_ASSERT(memcmp(kb, ia, 32) == 0);
  CU_ASSERT_EQUAL(coap_cache_ignore_options(ctx, NULL, 0), 1);
  /* Nothing after the token: no key (as libcoap). */
  CU_ASSERT_PTR_NULL(coap_cache_derive_key(sess, empty, COAP_CACHE_NOT_SESSION_BASED));
  CU_ASSERT_PTR_NULL(coap_new_cache_entry(sess, empty, COAP_CACHE_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0));
  coap_delete_cache_key(ka);
  coap_delete_cache_key(kb);
  coap_delete_cache_key(ks);
  coap_delete_cache_key(ia);
  coap_delete_cache_key(ib);
  coap_delete_pdu(a);
  coap_delete_pdu(b);
  coap_delete_pdu(empty);
}

static void test_entries(void) {
  coap_pdu_t *a = get_pdu("a");
  coap_cache_entry_t *e1 = coap_new_cache_entry(sess, a, COAP_CACHE_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_cache_entry_t *e2 = coap_new_cache_entry(sess, a, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_IS_SESSION_BASED, 0);
  coap_cache_key_t *k = coap_cache_derive_key(sess, a, COAP_CACHE_NOT_SESSION_BASED);
  const coap_pdu_t *rec;
  coap_pdu_t *dup;
  uint16_t mid;
  CU_ASSERT_PTR_NOT_NULL_FATAL(e1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(e2);
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_key(ctx, k), e1);
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_NOT_SESSION_BASED), e1);
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_IS_SESSION_BASED), e2);
  /* A copy of the PDU, which survives the original. */
  rec = coap_cache_get_pdu(e1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
  CU_ASSERT_PTR_NULL(coap_cache_get_pdu(e2));
  coap_delete_pdu(a);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(rec), 7);
  CU_ASSERT_EQUAL(coap_pdu_get_token(rec).length, 2);
  /* The copy to send is the session's own message, with the next id. */
  mid = coap_new_message_id(sess);
  dup = coap_pdu_duplicate(rec, sess, 2, (const uint8_t *)"xy", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
  CU_ASSERT_EQUAL(coap_pdu_get_mid(dup), (coap_mid_t)(uint16_t)(mid + 1));
  coap_delete_pdu(dup);
  /* App data, replaced without release; callback once on delete. */
  coap_cache_set_app_data(e1, "old", on_release);
  coap_cache_set_app_data(e1, "e1", on_release);
  CU_ASSERT_STRING_EQUAL(coap_cache_get_app_data(e1), "e1");
  coap_delete_cache_entry(ctx, e1);
  CU_ASSERT_EQUAL(nreleased, 1);
  CU_ASSERT_STRING_EQUAL(released[0], "e1");
  CU_ASSERT_PTR_NULL(coap_cache_get_by_key(ctx, k));
  /* NULL data: no callback. */
  coap_cache_set_app_data(e2, NULL, on_release);
  coap_delete_cache_entry(ctx, e2);
  CU_ASSERT_EQUAL(nreleased, 1);
  coap_delete_cache_key(k);
}

static void test_newest_wins(void) {
  coap_pdu_t *a = get_pdu("a");
  coap_cache_entry_t *e1 = coap_new_cache_entry(sess, a, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_cache_entry_t *e2 = coap_new_cache_entry(sess, a, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_NOT_SESSION_BASED), e2);
  coap_delete_cache_entry(ctx, e2);
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_NOT_SESSION_BASED), e1);
  coap_delete_pdu(a);
}

/* Every entry made on a session goes with it, session based or not. */
static void test_session_death(void) {
  coap_session_t *s2 = new_session();
  coap_pdu_t *a = get_pdu("a");
  coap_cache_entry_t *keep = coap_new_cache_entry(sess, a, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_cache_entry_t *e1 = coap_new_cache_entry(s2, a, COAP_CACHE_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_cache_entry_t *e2 = coap_new_cache_entry(s2, a, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_IS_SESSION_BASED, 0);
  coap_cache_set_app_data(keep, "keep", on_release);
  coap_cache_set_app_data(e1, "s2-plain", on_release);
  coap_cache_set_app_data(e2, "s2-session", on_release);
  coap_session_release(s2);
  CU_ASSERT_EQUAL(nreleased, 2);
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_NOT_SESSION_BASED), keep);
  /* The dead entries' handles are refused, not used. */
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_cache_get_app_data(e1));
  CU_ASSERT(capi_log_contains("not a live coap_cache_entry_t"));
  coap_delete_cache_entry(ctx, e2);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(nreleased, 2);
  coap_delete_pdu(a);
}

static void test_idle_expiry(void) {
  coap_pdu_t *a = get_pdu("a"), *b = get_pdu("b");
  coap_cache_entry_t *ea = coap_new_cache_entry(sess, a, COAP_CACHE_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 1);
  coap_cache_entry_t *eb = coap_new_cache_entry(sess, b, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 1);
  coap_cache_entry_t *forever = coap_new_cache_entry(sess, b, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_cache_set_app_data(ea, "a", on_release);
  coap_cache_set_app_data(eb, "b", on_release);
  coap_cache_set_app_data(forever, "forever", on_release);
  usleep(600 * 1000);
  /* A lookup restarts a's idle time; the newer entry with b's key shields eb. */
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_NOT_SESSION_BASED), ea);
  usleep(600 * 1000);
  coap_io_process(ctx, COAP_IO_NO_WAIT);
  CU_ASSERT_EQUAL(nreleased, 1);
  CU_ASSERT_STRING_EQUAL(released[0], "b");
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_NOT_SESSION_BASED), ea);
  usleep(1100 * 1000);
  /* Lookups expire too, without waiting for coap_io_process. */
  CU_ASSERT_PTR_NULL(coap_cache_get_by_pdu(sess, a, COAP_CACHE_NOT_SESSION_BASED));
  CU_ASSERT_EQUAL(nreleased, 2);
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_pdu(sess, b, COAP_CACHE_NOT_SESSION_BASED), forever);
  coap_delete_pdu(a);
  coap_delete_pdu(b);
}

/* coap_free_context releases what is left, callbacks once each. */
static void test_free_context(void) {
  coap_context_t *c2 = coap_new_context(NULL);
  coap_session_t *s;
  coap_pdu_t *a = get_pdu("a");
  coap_context_t *saved = ctx;
  ctx = c2;
  s = new_session();
  ctx = saved;
  coap_cache_set_app_data(coap_new_cache_entry(s, a, COAP_CACHE_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0), "x", on_release);
  coap_cache_set_app_data(coap_new_cache_entry(s, a, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_IS_SESSION_BASED, 5), "y", on_release);
  coap_free_context(c2);
  CU_ASSERT_EQUAL(nreleased, 2);
  coap_delete_pdu(a);
}

static void test_bad_arguments(void) {
  coap_pdu_t *a = get_pdu("a");
  coap_cache_key_t *k = coap_cache_derive_key(sess, a, COAP_CACHE_NOT_SESSION_BASED);
  coap_cache_entry_t *e = coap_new_cache_entry(sess, a, COAP_CACHE_NOT_RECORD_PDU, COAP_CACHE_NOT_SESSION_BASED, 0);
  coap_context_t *other = coap_new_context(NULL);
  uint8_t fake[64] = {0};
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_cache_derive_key(NULL, a, COAP_CACHE_NOT_SESSION_BASED));
  CU_ASSERT_PTR_NULL(coap_cache_derive_key(sess, NULL, COAP_CACHE_NOT_SESSION_BASED));
  CU_ASSERT_PTR_NULL(coap_cache_derive_key_w_ignore(NULL, a, COAP_CACHE_IS_SESSION_BASED, NULL, 0));
  CU_ASSERT_PTR_NULL(coap_cache_derive_key_w_ignore(sess, a, COAP_CACHE_NOT_SESSION_BASED, NULL, 3));
  CU_ASSERT_EQUAL(coap_cache_ignore_options(NULL, NULL, 0), 0);
  CU_ASSERT_EQUAL(coap_cache_ignore_options(ctx, NULL, 2), 0);
  CU_ASSERT_PTR_NULL(coap_new_cache_entry(NULL, a, 0, 0, 0));
  CU_ASSERT_PTR_NULL(coap_new_cache_entry(sess, NULL, 0, 0, 0));
  CU_ASSERT_PTR_NULL(coap_cache_get_by_key(ctx, NULL));
  CU_ASSERT_PTR_NULL(coap_cache_get_by_key(NULL, k));
  CU_ASSERT_PTR_NULL(coap_cache_get_by_key(ctx, (coap_cache_key_t *)fake));
  CU_ASSERT(capi_log_contains("not a live coap_cache_key_t"));
  CU_ASSERT_PTR_NULL(coap_cache_get_by_pdu(NULL, a, 0));
  CU_ASSERT_PTR_NULL(coap_cache_get_pdu(NULL));
  CU_ASSERT_PTR_NULL(coap_cache_get_app_data(NULL));
  coap_cache_set_app_data(NULL, fake, on_release);
  coap_delete_cache_entry(ctx, NULL);
  /* An entry deleted through the wrong context stays where it is. */
  coap_delete_cache_entry(other, e);
  CU_ASSERT(capi_log_contains("another context"));
  CU_ASSERT_PTR_EQUAL(coap_cache_get_by_key(ctx, k), e);
  coap_delete_cache_entry(ctx, e);
  coap_delete_cache_entry(ctx, e); /* twice: refused */
  CU_ASSERT(capi_log_contains("not a live coap_cache_entry_t"));
  /* Keys: deleting twice, or a key we never made, is refused. */
  coap_delete_cache_key(k);
  capi_log_text[0] = '\0';
  coap_delete_cache_key(k);
  CU_ASSERT(capi_log_contains("not a live coap_cache_key_t"));
  coap_delete_cache_key((coap_cache_key_t *)fake);
  coap_delete_cache_key(NULL);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(nreleased, 0);
  coap_free_context(other);
  coap_delete_pdu(a);
}

void register_cache(void) {
  static const capi_test_t tests[] = {
      {"keys: session based, ignored options, empty PDU", test_keys},
      {"entries, recorded PDU and app data", test_entries},
      {"the newest entry with a key wins", test_newest_wins},
      {"entries die with their session", test_session_death},
      {"idle expiry", test_idle_expiry},
      {"coap_free_context releases entries", test_free_context},
      {"bad arguments and dead handles", test_bad_arguments},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite_with_setup_and_teardown("cache", NULL, NULL, setup, teardown);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
