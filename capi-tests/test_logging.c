/* coap_logging(3): levels, handler, default sink, formats. */
#include <syslog.h> /* before coap.h: the LOG_* names must coexist */
#include "capi.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void test_default_levels(void) {
  CU_ASSERT_EQUAL(coap_get_log_level(), COAP_LOG_WARN);
  CU_ASSERT_EQUAL(coap_dtls_get_log_level(), COAP_LOG_EMERG);
  CU_ASSERT_EQUAL(LOG_WARNING, COAP_LOG_WARN);
  CU_ASSERT_EQUAL(LOG_DEBUG, COAP_LOG_DEBUG);
}

static void test_set_get_level(void) {
  coap_set_log_level(COAP_LOG_DEBUG);
  CU_ASSERT_EQUAL(coap_get_log_level(), COAP_LOG_DEBUG);
  coap_dtls_set_log_level(COAP_LOG_INFO);
  CU_ASSERT_EQUAL(coap_dtls_get_log_level(), COAP_LOG_INFO);
  /* Out-of-range levels are kept (as libcoap does) and must not crash. */
  coap_set_log_level((coap_log_t)12);
  CU_ASSERT_EQUAL((int)coap_get_log_level(), 12);
  capi_log_capture_start();
  coap_log_impl((coap_log_t)11, "odd level %d\n", 11);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
  coap_set_log_level(COAP_LOG_WARN);
  coap_dtls_set_log_level(COAP_LOG_EMERG);
}

static void test_handler_gets_formatted_message(void) {
  capi_log_capture_start();
  coap_log_warn("hello %s %d\n", "world", 42);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(capi_log_level, COAP_LOG_WARN);
  CU_ASSERT_STRING_EQUAL(capi_log_text, "hello world 42\n");
  capi_log_capture_stop();
}

static void test_level_filters(void) {
  capi_log_capture_start();
  coap_log_debug("not shown\n");
  coap_log_info("not shown\n");
  CU_ASSERT_EQUAL(capi_log_calls, 0);
  coap_log_err("shown\n");
  coap_log(COAP_LOG_EMERG, "shown %d\n", 2);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT_EQUAL(capi_log_level, COAP_LOG_EMERG);
  coap_set_log_level(COAP_LOG_DEBUG);
  coap_log_debug("now shown\n");
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  /* As in 4.3.3 the macros test the level; coap_log_impl() itself logs
   * (so that coap_dtls_log() can follow the DTLS level alone). */
  coap_set_log_level(COAP_LOG_WARN);
  coap_log_impl(COAP_LOG_DEBUG, "direct call\n");
  CU_ASSERT_EQUAL(capi_log_calls, 4);
  coap_set_log_level(COAP_LOG_WARN);
  capi_log_capture_stop();
}

static void test_dtls_log_uses_dtls_level(void) {
  capi_log_capture_start();
  coap_dtls_log(COAP_LOG_WARN, "dtls hidden\n");
  CU_ASSERT_EQUAL(capi_log_calls, 0);
  coap_dtls_set_log_level(COAP_LOG_WARN);
  coap_dtls_log(COAP_LOG_WARN, "dtls shown\n");
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  coap_dtls_set_log_level(COAP_LOG_EMERG);
  capi_log_capture_stop();
}

/* coap_dtls_log() is shown when the DTLS level allows it, whatever the
 * general level (coap_logging(3)). */
static void test_dtls_level_alone_decides(void) {
  capi_log_capture_start();
  coap_set_log_level(COAP_LOG_WARN);
  coap_dtls_set_log_level(COAP_LOG_DEBUG);
  coap_dtls_log(COAP_LOG_INFO, "dtls info %d\n", 3);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("dtls info 3"));
  coap_dtls_set_log_level(COAP_LOG_EMERG);
  capi_log_capture_stop();
}

static void test_null_format_and_long_message(void) {
  char big[3000];
  capi_log_capture_start();
  coap_log_impl(COAP_LOG_ERR, NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("NULL"));
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  coap_log_err("%s", big);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  /* The capture buffer holds 2047 bytes: the message was delivered whole. */
  CU_ASSERT_EQUAL(strlen(capi_log_text), sizeof(capi_log_text) - 1);
  capi_log_capture_stop();
}

static int depth;
static int reentered;
static void reentrant(coap_log_t level, const char *message) {
  (void)level;
  (void)message;
  if (depth++ == 0) {
    coap_log_warn("from inside the handler\n");
    coap_set_log_level(COAP_LOG_WARN);
  } else {
    reentered++;
  }
  depth--;
}

static void test_handler_may_log(void) {
  coap_set_log_handler(reentrant);
  coap_log_warn("outer\n");
  coap_set_log_handler(NULL);
  CU_ASSERT_EQUAL(reentered, 1);
}

/* The default sink writes "Mon DD HH:MM:SS.mmm LEVL message" to stdout for
 * ERR and above-numbered levels, stderr for CRIT and below. */
static void read_stream(FILE *stream, int fd, void (*emit)(void), char *out, size_t len) {
  char path[] = "/tmp/capi-log-XXXXXX";
  int tmp = mkstemp(path);
  int saved;
  ssize_t n;
  CU_ASSERT_FATAL(tmp >= 0);
  fflush(stream);
  saved = dup(fd);
  dup2(tmp, fd);
  emit();
  fflush(stream);
  dup2(saved, fd);
  close(saved);
  n = pread(tmp, out, len - 1, 0);
  out[n > 0 ? n : 0] = '\0';
  close(tmp);
  unlink(path);
}

static void emit_warn(void) { coap_log_warn("to stdout %d\n", 7); }
static void emit_crit(void) { coap_log_crit("to stderr\n"); }

static void test_default_sink_format(void) {
  char out[256];
  int mon_ok;
  read_stream(stdout, STDOUT_FILENO, emit_warn, out, sizeof(out));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, " WARN to stdout 7\n"));
  /* "Nov 25 09:17:33.080 " */
  mon_ok = strlen(out) > 20 && out[3] == ' ' && out[6] == ' ' && out[9] == ':' && out[15] == '.';
  CU_ASSERT(mon_ok);
  read_stream(stderr, STDERR_FILENO, emit_crit, out, sizeof(out));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, " CRIT to stderr\n"));
}

/* A NON GET to a loopback port nobody reads: the library dumps the PDU
 * it sends at debug level. */
static void emit_send(void) {
  coap_address_t a;
  coap_context_t *ctx = coap_new_context(NULL);
  capi_loopback(&a, 9);
  coap_session_t *s = coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, s);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"dump");
  coap_set_log_level(COAP_LOG_DEBUG);
  coap_send(s, pdu);
  coap_set_log_level(COAP_LOG_WARN);
  coap_session_release(s);
  coap_free_context(ctx);
}

static int dumps_to_handler;
static void count_dumps(coap_log_t level, const char *message) {
  (void)level;
  if (strstr(message, "v:1 t:NON c:GET"))
    dumps_to_handler++;
}

/* The line of `out` holding `needle`, if that line starts with it. */
static int line_starts_with(const char *out, const char *needle) {
  const char *hit = strstr(out, needle);
  return hit && (hit == out || hit[-1] == '\n');
}

/* The library's own PDU dumps go where coap_show_pdu() output goes: bare
 * lines on stdout by default (as libcoap's coap-client -v 7 shows them),
 * through coap_log and its handler after coap_set_show_pdu_output(0). */
static void test_pdu_dumps_follow_show_pdu_output(void) {
  char out[1024];
  dumps_to_handler = 0;
  coap_set_log_handler(count_dumps);
  read_stream(stdout, STDOUT_FILENO, emit_send, out, sizeof(out));
  CU_ASSERT(line_starts_with(out, "v:1 t:NON c:GET "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "Uri-Path:dump ]\n"));
  CU_ASSERT_EQUAL(dumps_to_handler, 0);
  coap_set_show_pdu_output(0);
  read_stream(stdout, STDOUT_FILENO, emit_send, out, sizeof(out));
  coap_set_show_pdu_output(1);
  CU_ASSERT_PTR_NULL(strstr(out, "v:1 t:NON"));
  CU_ASSERT_EQUAL(dumps_to_handler, 1);
  coap_set_log_handler(NULL);
}

static void test_package_strings(void) {
  CU_ASSERT_STRING_EQUAL(coap_package_name(), "libcoap");
  CU_ASSERT_STRING_EQUAL(coap_package_version(), "4.3.3");
  CU_ASSERT_PTR_NOT_NULL(coap_package_build());
  CU_ASSERT_EQUAL(LIBCOAP_VERSION, 4003003);
  CU_ASSERT_STRING_EQUAL(LIBCOAP_PACKAGE_VERSION, "4.3.3");
  coap_set_show_pdu_output(0);
  coap_set_show_pdu_output(1);
}

void register_logging(void) {
  static const capi_test_t tests[] = {
      {"default levels", test_default_levels},
      {"set and get levels", test_set_get_level},
      {"handler gets the formatted message", test_handler_gets_formatted_message},
      {"levels filter messages", test_level_filters},
      {"coap_dtls_log uses the DTLS level", test_dtls_log_uses_dtls_level},
      {"coap_dtls_log follows the DTLS level alone", test_dtls_level_alone_decides},
      {"NULL format, long message", test_null_format_and_long_message},
      {"handler may log and set levels", test_handler_may_log},
      {"default sink format", test_default_sink_format},
      {"the library's PDU dumps follow coap_set_show_pdu_output()", test_pdu_dumps_follow_show_pdu_output},
      {"package strings", test_package_strings},
      {NULL, NULL}};
  capi_add_suite("logging", tests);
}
