/* Runs every C API suite against the built library, as a user program would
 * link it. */
#include "capi.h"
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int capi_log_calls;
coap_log_t capi_log_level;
char capi_log_text[2048];

static void capture(coap_log_t level, const char *message) {
  capi_log_calls++;
  capi_log_level = level;
  snprintf(capi_log_text, sizeof(capi_log_text), "%s", message);
}

void capi_log_capture_start(void) {
  capi_log_calls = 0;
  capi_log_text[0] = '\0';
  coap_set_log_handler(capture);
}

void capi_log_capture_stop(void) { coap_set_log_handler(NULL); }

int capi_log_contains(const char *needle) { return strstr(capi_log_text, needle) != NULL; }

void capi_cpsk(coap_dtls_cpsk_t *setup, const char *identity, const char *key) {
  memset(setup, 0, sizeof(*setup));
  setup->version = COAP_DTLS_CPSK_SETUP_VERSION;
  setup->psk_info.identity.s = (const uint8_t *)identity;
  setup->psk_info.identity.length = strlen(identity);
  setup->psk_info.key.s = (const uint8_t *)key;
  setup->psk_info.key.length = strlen(key);
}

void capi_loopback(coap_address_t *a, uint16_t port) {
  coap_address_init(a);
  a->addr.sin.sin_family = AF_INET;
  a->addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a->addr.sin.sin_port = htons(port);
  a->size = sizeof(struct sockaddr_in);
}

void capi_copy_body(const coap_pdu_t *pdu, char *out, size_t size) {
  const uint8_t *data;
  size_t len;
  out[0] = '\0';
  if (coap_get_data(pdu, &len, &data) && len < size) {
    memcpy(out, data, len);
    out[len] = '\0';
  }
}

void capi_keep_body(const coap_pdu_t *pdu, uint8_t **stored, size_t *stored_len) {
  const uint8_t *data;
  size_t len;
  if (!coap_get_data(pdu, &len, &data))
    len = 0;
  free(*stored);
  *stored = malloc(len ? len : 1);
  if (len)
    memcpy(*stored, data, len);
  *stored_len = len;
}

void capi_free_client_server(coap_session_t *session, coap_context_t *client, coap_context_t *server) {
  coap_session_release(session);
  coap_free_context(client);
  coap_free_context(server);
}

coap_pdu_t *capi_request(coap_session_t *session, coap_pdu_type_t type, coap_pdu_code_t code, const char *path) {
  coap_pdu_t *pdu = coap_new_pdu(type, code, session);
  uint8_t token[8];
  size_t tlen;
  if (!pdu)
    return NULL;
  coap_session_new_token(session, &tlen, token);
  coap_add_token(pdu, tlen, token);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(path), (const uint8_t *)path);
  return pdu;
}

void capi_add_suite(const char *name, const capi_test_t *tests) {
  CU_pSuite suite = CU_add_suite(name, NULL, NULL);
  if (!suite) {
    fprintf(stderr, "cannot add suite %s\n", name);
    exit(2);
  }
  for (; tests->name; tests++) {
    if (!CU_add_test(suite, tests->name, tests->fn)) {
      fprintf(stderr, "cannot add test %s\n", tests->name);
      exit(2);
    }
  }
}

int main(int argc, char **argv) {
  unsigned int failed;
  /* `capi-tests mcast`: only the suite that needs multicast routing (run
   * inside a network namespace by capi-tests/mcast-netns.sh). */
  int wire = argc > 1 && strcmp(argv[1], "mcast") == 0;

  coap_startup();
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  if (wire) {
    register_mcast_wire();
    goto run;
  }
  register_logging();
  register_tls_library();
  register_time_prng();
  register_string();
  register_encode();
  register_address();
  register_mem();
  register_pdu();
  register_session();
  register_uri();
  register_block();
  register_block_large();
  register_qblock_server();
  register_qblock_client();
  register_show_pdu();
  register_observe();
  register_resource();
  register_cache();
  register_resolve();
  register_error_response();
  register_dtls();
  register_persist();
  register_mcast();
  register_io();
  register_wellknown();
run:
  CU_basic_set_mode(CU_BRM_NORMAL);
  CU_basic_run_tests();
  failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  coap_cleanup();
  return failed ? 1 : 0;
}
