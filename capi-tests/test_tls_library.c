/* coap_tls_library(3) and the other *_is_supported() answers of this build. */
#include "capi.h"
#include <openssl/crypto.h>
#include <string.h>
#include <syslog.h> /* after coap.h: the LOG_* names must coexist */

static void test_supported_answers(void) {
  /* DTLS with PSK and PKI through OpenSSL; the rest is not built yet. */
  CU_ASSERT_EQUAL(coap_dtls_is_supported(), 1);
  CU_ASSERT_EQUAL(coap_tls_is_supported(), 0);
  CU_ASSERT_EQUAL(coap_dtls_psk_is_supported(), 1);
  CU_ASSERT_EQUAL(coap_dtls_pki_is_supported(), 1);
  CU_ASSERT_EQUAL(coap_dtls_pkcs11_is_supported(), 0);
  CU_ASSERT_EQUAL(coap_dtls_rpk_is_supported(), 0);
  CU_ASSERT_EQUAL(coap_tcp_is_supported(), 0);
  CU_ASSERT_EQUAL(coap_ws_is_supported(), 0);
  CU_ASSERT_EQUAL(coap_wss_is_supported(), 0);
  CU_ASSERT_EQUAL(coap_oscore_is_supported(), 0);
  CU_ASSERT_EQUAL(coap_q_block_is_supported(), 1);
}

static void test_library_version(void) {
  coap_tls_version_t *v = coap_get_tls_library_version();
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(v->type, COAP_TLS_LIBRARY_OPENSSL);
  CU_ASSERT_EQUAL(v->version, (uint64_t)OpenSSL_version_num());
  CU_ASSERT(v->built_version >= 0x10101000); /* OpenSSL 1.1.1 or later */
  CU_ASSERT_PTR_EQUAL(coap_get_tls_library_version(), v);
}

static void test_strings(void) {
  char buf[128];
  CU_ASSERT_PTR_EQUAL(coap_string_tls_version(buf, sizeof(buf)), buf);
  /* libcoap's text: "runtime 3.0.0s-dev" for OpenSSL 3.0.19 (0x30000130). */
  {
    unsigned long v = OpenSSL_version_num();
    char want[64], sub[2] = {0, 0};
    const char *status = (v & 0xf) == 0 ? "-dev" : (v & 0xf) == 0xf ? "" : NULL;
    if ((v >> 4) & 0xff)
      sub[0] = (char)('a' + ((v >> 4) & 0xff) - 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(status);
    snprintf(want, sizeof(want), "TLS Library: OpenSSL - runtime %lu.%lu.%lu%s%s, ", v >> 28, (v >> 20) & 0xff,
             (v >> 12) & 0xff, sub, status);
    CU_ASSERT_NSTRING_EQUAL(buf, want, strlen(want));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, ", libcoap built for "));
  }
  CU_ASSERT_PTR_EQUAL(coap_string_tls_support(buf, sizeof(buf)), buf);
  CU_ASSERT_STRING_EQUAL(buf, "(DTLS and no TLS support; PSK, PKI, no PKCS11, and no RPK support)\n(No OSCORE)\n(No WebSockets)");
}

static void test_small_and_null_buffers(void) {
  char buf[8];
  memset(buf, 'z', sizeof(buf));
  CU_ASSERT_PTR_EQUAL(coap_string_tls_version(buf, 5), buf);
  CU_ASSERT_STRING_EQUAL(buf, "TLS ");
  CU_ASSERT_EQUAL(buf[5], 'z');
  memset(buf, 'z', sizeof(buf));
  CU_ASSERT_PTR_EQUAL(coap_string_tls_support(buf, 0), buf);
  CU_ASSERT_EQUAL(buf[0], 'z');
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_string_tls_version(NULL, 10));
  CU_ASSERT_PTR_NULL(coap_string_tls_support(NULL, 10));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  capi_log_capture_stop();
}

static void test_show_version_logs(void) {
  capi_log_capture_start();
  coap_show_tls_version(LOG_WARNING);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("TLS Library: OpenSSL"));
  coap_show_tls_version(COAP_LOG_DEBUG); /* below the current level */
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
}

/* OSCORE and WebSockets are not built: their calls fail as in a libcoap
 * configured without them, with a log line saying so. */
static void test_unbuilt_features_fail(void) {
  coap_context_t *ctx = coap_new_context(NULL);
  coap_address_t a;
  coap_str_const_t conf = {0, NULL};
  uint8_t id[1] = {1};
  coap_bin_const_t rid = {1, id};
  coap_address_init(&a);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_oscore_is_supported(), 0);
  CU_ASSERT_PTR_NULL(coap_new_oscore_conf(conf, NULL, NULL, 0));
  CU_ASSERT_PTR_NULL(coap_new_client_session_oscore(ctx, NULL, &a, COAP_PROTO_UDP, NULL));
  CU_ASSERT_PTR_NULL(coap_new_client_session_oscore_psk(ctx, NULL, &a, COAP_PROTO_DTLS, NULL, NULL));
  CU_ASSERT_PTR_NULL(coap_new_client_session_oscore_pki(ctx, NULL, &a, COAP_PROTO_DTLS, NULL, NULL));
  CU_ASSERT_EQUAL(coap_context_oscore_server(ctx, NULL), 0);
  CU_ASSERT_EQUAL(coap_new_oscore_recipient(ctx, &rid), 0);
  CU_ASSERT_EQUAL(coap_delete_oscore_recipient(ctx, &rid), 0);
  CU_ASSERT_EQUAL(coap_delete_oscore_conf(NULL), 0);
  CU_ASSERT_EQUAL(coap_ws_set_host_request(NULL, NULL), 0);
  CU_ASSERT(capi_log_calls >= 7);
  capi_log_capture_stop();
  coap_free_context(ctx);
}

void register_tls_library(void) {
  static const capi_test_t tests[] = {
      {"is_supported answers", test_supported_answers},
      {"library version", test_library_version},
      {"version and support strings", test_strings},
      {"small and NULL buffers", test_small_and_null_buffers},
      {"coap_show_tls_version logs", test_show_version_logs},
      {"OSCORE and WebSockets calls fail as unbuilt", test_unbuilt_features_fail},
      {NULL, NULL}};
  capi_add_suite("tls_library", tests);
}
