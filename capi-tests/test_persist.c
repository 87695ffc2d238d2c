/* coap_persist(3): observers, Observe numbers and dynamic resources kept
 * over a server restart, through the application's call-backs and through
 * the library's own files; a real restart (a server process killed and
 * started again while the client keeps its session); corrupt files; misuse. */
#include "capi.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static char obs_file[128], cnt_file[128], dyn_file[128];

/* ------------------------------------------------------------ the server */

static void hnd_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp) {
  (void)r, (void)s, (void)req, (void)q;
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(resp, 2, (const uint8_t *)"hi");
}

/* The unknown-resource handler: a PUT makes an observable resource. */
static int unknown_calls;
static void hnd_put_unknown(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req, const coap_string_t *q,
                            coap_pdu_t *resp) {
  coap_string_t *path = coap_get_uri_path(req);
  coap_resource_t *made;
  (void)r, (void)q;
  unknown_calls++;
  if (!path) {
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_BAD_REQUEST);
    return;
  }
  made = coap_resource_init(coap_new_str_const(path->s, path->length), COAP_RESOURCE_FLAGS_RELEASE_URI);
  coap_delete_string(path);
  coap_register_request_handler(made, COAP_REQUEST_GET, hnd_get);
  coap_resource_set_get_observable(made, 1);
  coap_add_resource(coap_session_get_context(s), made);
  coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CREATED);
}

static coap_address_t server_addr(uint16_t port) {
  coap_address_t a;
  coap_address_init(&a);
  a.addr.sin.sin_family = AF_INET;
  a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.addr.sin.sin_port = htons(port);
  a.size = sizeof(struct sockaddr_in);
  return a;
}

/* A server on `port` with an observable "obs" and an unknown handler. */
static coap_context_t *new_server(uint16_t port, coap_resource_t **obs) {
  coap_address_t a = server_addr(port);
  coap_context_t *ctx = coap_new_context(&a);
  coap_resource_t *r, *u;
  if (!ctx)
    return NULL;
  r = coap_resource_init(coap_make_str_const("obs"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_get);
  coap_resource_set_get_observable(r, 1);
  coap_add_resource(ctx, r);
  u = coap_resource_unknown_init(hnd_put_unknown);
  coap_add_resource(ctx, u);
  if (obs)
    *obs = r;
  return ctx;
}

/* ------------------------------------------------------------ the client */

static coap_context_t *client;
static coap_session_t *session;
static int responses;
static uint32_t last_seq;
static int last_has_observe, last_code;

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  coap_opt_iterator_t oi;
  coap_opt_t *opt = coap_check_option(received, COAP_OPTION_OBSERVE, &oi);
  (void)s, (void)sent, (void)mid;
  responses++;
  last_code = coap_pdu_get_code(received);
  last_has_observe = opt != NULL;
  if (opt)
    last_seq = coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
  return COAP_RESPONSE_OK;
}

static void new_client(uint16_t port) {
  coap_address_t a = server_addr(port);
  client = coap_new_context(NULL);
  coap_register_response_handler(client, on_response);
  session = coap_new_client_session(client, NULL, &a, COAP_PROTO_UDP);
}

static void free_client(void) {
  coap_session_release(session);
  coap_free_context(client);
  client = NULL;
  session = NULL;
}

static void send_req(coap_pdu_code_t code, const char *path, const char *token, int observe) {
  coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, code, session);
  uint8_t buf[4];
  coap_add_token(pdu, strlen(token), (const uint8_t *)token);
  if (observe >= 0)
    coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(buf, sizeof(buf), (unsigned)observe), buf);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(path), (const uint8_t *)path);
  coap_send(session, pdu);
}

/* Runs both sides until `want` responses arrived (server may be NULL). */
static void pump(coap_context_t *server, int want) {
  for (int i = 0; i < 300 && responses < want; i++) {
    if (server)
      coap_io_process(server, 5);
    coap_io_process(client, 5);
  }
  if (server) /* let the server finish what it started (dispatch, files) */
    coap_io_process(server, COAP_IO_NO_WAIT);
}

/* -------------------------------------------------------- the call-backs */

static int added_calls, deleted_calls, value_calls, dyn_calls, resdel_calls;
static coap_subscription_t *added_key, *deleted_key;
static coap_session_t *added_session, *deleted_session;
static coap_proto_t added_proto;
static coap_address_t added_listen;
static coap_addr_tuple_t added_tuple;
static uint8_t added_raw[1500];
static size_t added_raw_len;
static uint32_t value_seen;
static char value_name[64], resdel_name[64], dyn_name[64];
static int marker;
static void *seen_user_data;

static void copy_name(char *dst, size_t n, const coap_str_const_t *s) {
  snprintf(dst, n, "%.*s", (int)s->length, (const char *)s->s);
}

static int cb_added(coap_session_t *s, coap_subscription_t *key, coap_proto_t proto, coap_address_t *listen,
                    coap_addr_tuple_t *tuple, coap_bin_const_t *raw, coap_bin_const_t *oscore, void *user_data) {
  added_calls++;
  added_session = s;
  added_key = key;
  added_proto = proto;
  added_listen = *listen;
  added_tuple = *tuple;
  added_raw_len = raw->length < sizeof(added_raw) ? raw->length : sizeof(added_raw);
  memcpy(added_raw, raw->s, added_raw_len);
  CU_ASSERT_PTR_NULL(oscore);
  seen_user_data = user_data;
  return 1;
}

static int cb_deleted(coap_session_t *s, coap_subscription_t *key, void *user_data) {
  deleted_calls++;
  deleted_session = s;
  deleted_key = key;
  seen_user_data = user_data;
  return 1;
}

static int cb_value(coap_context_t *c, coap_str_const_t *name, uint32_t n, void *user_data) {
  (void)c;
  value_calls++;
  value_seen = n;
  copy_name(value_name, sizeof(value_name), name);
  seen_user_data = user_data;
  return 1;
}

static int cb_dyn(coap_session_t *s, coap_str_const_t *name, coap_bin_const_t *raw, void *user_data) {
  (void)s;
  dyn_calls++;
  copy_name(dyn_name, sizeof(dyn_name), name);
  CU_ASSERT(raw->length >= 4);
  seen_user_data = user_data;
  return 1;
}

static int cb_resdel(coap_context_t *c, coap_str_const_t *name, void *user_data) {
  (void)c;
  resdel_calls++;
  copy_name(resdel_name, sizeof(resdel_name), name);
  seen_user_data = user_data;
  return 1;
}

static void reset_calls(void) {
  added_calls = deleted_calls = value_calls = dyn_calls = resdel_calls = 0;
  added_key = deleted_key = NULL;
}

static uint16_t test_port(int n) { return (uint16_t)(20000 + (getpid() + 31 + n * 7) % 20000); }

/* ---------------------------------------------------------------- tests */

static void test_track_funcs(void) {
  uint16_t port = test_port(1);
  coap_resource_t *obs;
  coap_context_t *server = new_server(port, &obs);
  coap_binary_t token = {3, (uint8_t *)"tk1"};
  coap_bin_const_t raw;
  coap_subscription_t *again;
  CU_ASSERT_PTR_NOT_NULL_FATAL(server);
  new_client(port);
  reset_calls();
  coap_persist_track_funcs(server, cb_added, cb_deleted, cb_value, cb_dyn, cb_resdel, 2, &marker);

  responses = 0;
  send_req(COAP_REQUEST_CODE_GET, "obs", "tk1", COAP_OBSERVE_ESTABLISH);
  pump(server, 1);
  CU_ASSERT_EQUAL_FATAL(responses, 1);
  CU_ASSERT(last_has_observe);
  CU_ASSERT_EQUAL(added_calls, 1);
  CU_ASSERT_PTR_NOT_NULL(added_key);
  CU_ASSERT_PTR_NOT_NULL(added_session);
  CU_ASSERT_EQUAL(added_proto, COAP_PROTO_UDP);
  CU_ASSERT_PTR_EQUAL(seen_user_data, &marker);
  CU_ASSERT_EQUAL(coap_address_get_port(&added_listen), port);
  CU_ASSERT_EQUAL(coap_address_get_port(&added_tuple.remote), coap_address_get_port(coap_session_get_addr_local(session)));
  /* The registering GET as it came on the wire: CoAP v1, GET, token "tk1". */
  CU_ASSERT_FATAL(added_raw_len >= 4 + 3);
  CU_ASSERT_EQUAL(added_raw[0] >> 6, 1);
  CU_ASSERT_EQUAL(added_raw[0] & 0x0f, 3);
  CU_ASSERT_EQUAL(added_raw[1], COAP_REQUEST_CODE_GET);
  CU_ASSERT_EQUAL(memcmp(added_raw + 4, "tk1", 3), 0);
  CU_ASSERT_EQUAL(value_calls, 1); /* the number in use at registration */
  CU_ASSERT_STRING_EQUAL(value_name, "obs");

  /* The client refreshing its interest keeps the subscription. */
  send_req(COAP_REQUEST_CODE_GET, "obs", "tk1", COAP_OBSERVE_ESTABLISH);
  pump(server, 2);
  CU_ASSERT_EQUAL(responses, 2);
  CU_ASSERT_EQUAL(added_calls, 1);
  CU_ASSERT_EQUAL(deleted_calls, 0);
  responses = 1;

  /* Numbers 1, 2, 3: only every second one (save_freq 2) is reported. */
  for (int n = 2; n <= 4; n++) {
    CU_ASSERT_EQUAL(coap_resource_notify_observers(obs, NULL), 1);
    pump(server, n);
  }
  CU_ASSERT_EQUAL(responses, 4);
  CU_ASSERT_EQUAL(last_seq, 3);
  CU_ASSERT_EQUAL(value_calls, 2);
  CU_ASSERT_EQUAL(value_seen, 2);

  /* Re-adding what is already observed gives that subscription back. */
  raw.s = added_raw;
  raw.length = added_raw_len;
  again = coap_persist_observe_add(server, COAP_PROTO_UDP, &added_listen, &added_tuple, &raw, NULL);
  CU_ASSERT_PTR_EQUAL(again, added_key);
  CU_ASSERT_EQUAL(added_calls, 1);

  /* The client cancels: the observer goes, with the key it came with. */
  CU_ASSERT_EQUAL(coap_cancel_observe(session, &token, COAP_MESSAGE_CON), 1);
  pump(server, 5);
  CU_ASSERT_EQUAL(deleted_calls, 1);
  CU_ASSERT_PTR_EQUAL(deleted_key, added_key);
  CU_ASSERT_PTR_EQUAL(deleted_session, added_session);

  /* The saved form re-creates it (what a restarted server does). */
  again = coap_persist_observe_add(server, COAP_PROTO_UDP, &added_listen, &added_tuple, &raw, NULL);
  CU_ASSERT_PTR_NOT_NULL(again);
  CU_ASSERT_EQUAL(added_calls, 2);
  CU_ASSERT_PTR_EQUAL(added_key, again);

  /* A PUT to the unknown resource makes an observable resource. */
  send_req(COAP_REQUEST_CODE_PUT, "dyn", "pu1", -1);
  pump(server, 6);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CREATED);
  CU_ASSERT_EQUAL(dyn_calls, 1);
  CU_ASSERT_STRING_EQUAL(dyn_name, "dyn");

  /* Deleting a resource reports it, and its observers going. */
  CU_ASSERT_EQUAL(coap_delete_resource(server, obs), 1);
  CU_ASSERT_EQUAL(resdel_calls, 1);
  CU_ASSERT_STRING_EQUAL(resdel_name, "obs");
  CU_ASSERT_EQUAL(deleted_calls, 2);
  CU_ASSERT_PTR_EQUAL(deleted_key, again);

  /* After coap_persist_stop() nothing is reported, not even the freeing. */
  coap_persist_stop(server);
  coap_free_context(server);
  CU_ASSERT_EQUAL(resdel_calls, 1);
  CU_ASSERT_EQUAL(deleted_calls, 2);
  free_client();
}

/* Freed and made again in this process on the same port, with the same
 * files: the observer is back and its next number is above the old ones. */
static void test_files_restart_in_process(void) {
  uint16_t port = test_port(2);
  coap_resource_t *obs;
  coap_context_t *server = new_server(port, &obs);
  struct stat st;
  uint32_t before;
  CU_ASSERT_PTR_NOT_NULL_FATAL(server);
  CU_ASSERT_EQUAL(coap_persist_startup(server, dyn_file, obs_file, cnt_file, 3), 1);
  new_client(port);
  responses = 0;
  send_req(COAP_REQUEST_CODE_GET, "obs", "ob1", COAP_OBSERVE_ESTABLISH);
  pump(server, 1);
  CU_ASSERT_EQUAL_FATAL(responses, 1);
  for (int n = 2; n <= 5; n++) {
    coap_resource_notify_observers(obs, NULL);
    pump(server, n);
  }
  CU_ASSERT_EQUAL_FATAL(responses, 5);
  before = last_seq;
  CU_ASSERT_EQUAL(before, 4);
  send_req(COAP_REQUEST_CODE_PUT, "made", "pu2", -1);
  pump(server, 6);
  CU_ASSERT_EQUAL(last_code, COAP_RESPONSE_CODE_CREATED);
  CU_ASSERT_EQUAL(stat(obs_file, &st), 0);
  CU_ASSERT_EQUAL(stat(cnt_file, &st), 0);
  CU_ASSERT_EQUAL(stat(dyn_file, &st), 0);
  coap_persist_stop(server);
  coap_free_context(server);

  unknown_calls = 0;
  server = new_server(port, &obs);
  CU_ASSERT_PTR_NOT_NULL_FATAL(server);
  CU_ASSERT_EQUAL(coap_persist_startup(server, dyn_file, obs_file, cnt_file, 3), 1);
  /* The dynamic resource was made again by the unknown handler. */
  CU_ASSERT_EQUAL(unknown_calls, 1);
  CU_ASSERT_PTR_NOT_NULL(coap_get_resource_from_uri_path(server, coap_make_str_const("made")));
  /* The observer is back: a change reaches the client, numbered higher. */
  CU_ASSERT_EQUAL(coap_resource_notify_observers(obs, NULL), 1);
  pump(server, 7);
  CU_ASSERT_EQUAL(responses, 7);
  CU_ASSERT(last_has_observe);
  CU_ASSERT(last_seq > before);

  /* Freeing without coap_persist_stop() counts as deleting it all. */
  coap_free_context(server);
  server = new_server(port, &obs);
  CU_ASSERT_EQUAL(coap_persist_startup(server, dyn_file, obs_file, cnt_file, 3), 1);
  CU_ASSERT_EQUAL(coap_resource_notify_observers(obs, NULL), 0);
  CU_ASSERT_PTR_NULL(coap_get_resource_from_uri_path(server, coap_make_str_const("made")));
  coap_free_context(server);
  free_client();
  unlink(obs_file), unlink(cnt_file), unlink(dyn_file);
}

/* A child process serves and notifies every 50 ms. */
static void serve_forever(uint16_t port) {
  coap_resource_t *obs;
  coap_context_t *server = new_server(port, &obs);
  struct timespec last, now;
  if (!server || !coap_persist_startup(server, NULL, obs_file, cnt_file, 1))
    _exit(3);
  clock_gettime(CLOCK_MONOTONIC, &last);
  for (;;) {
    coap_io_process(server, 10);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 >= 50) {
      coap_resource_notify_observers(obs, NULL);
      last = now;
    }
  }
}

static pid_t start_server_process(uint16_t port) {
  pid_t pid;
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    coap_set_log_level(COAP_LOG_ERR);
    serve_forever(port);
  }
  return pid;
}

static void kill_server_process(pid_t pid) {
  int status;
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

/* Waits (up to 30 s: the child may run under valgrind) for `want`. */
static void wait_responses(int want) {
  for (int i = 0; i < 1500 && responses < want; i++)
    coap_io_process(client, 20);
}

/* A real restart: the server process is killed (no chance to save
 * anything more) and started again; the client keeps its session and
 * hears on, with Observe numbers above everything it saw before. */
static void test_real_restart(void) {
  uint16_t port = test_port(3);
  pid_t pid = start_server_process(port);
  uint32_t before;
  int got;
  CU_ASSERT_FATAL(pid > 0);
  new_client(port);
  responses = 0;
  /* The child may still be starting: ask until it answers. */
  for (int i = 0; i < 30 && responses == 0; i++) {
    send_req(COAP_REQUEST_CODE_GET, "obs", "rr1", COAP_OBSERVE_ESTABLISH);
    for (int j = 0; j < 50 && responses == 0; j++)
      coap_io_process(client, 20);
  }
  CU_ASSERT_FATAL(responses > 0);
  wait_responses(responses + 3);
  CU_ASSERT_FATAL(last_has_observe);
  kill_server_process(pid);
  /* Drain what was in flight, then note the highest number seen. */
  for (int i = 0; i < 5; i++)
    coap_io_process(client, 10);
  before = last_seq;
  got = responses;

  pid = start_server_process(port);
  CU_ASSERT_FATAL(pid > 0);
  wait_responses(got + 2);
  CU_ASSERT(responses >= got + 2);
  CU_ASSERT(last_has_observe);
  CU_ASSERT(last_seq > before);
  kill_server_process(pid);
  free_client();
  unlink(obs_file), unlink(cnt_file);
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
  fclose(f);
}

static void test_corrupt_files(void) {
  uint16_t port = test_port(4);
  coap_context_t *server;
  char aside[160];
  static const char garbage[] = "COAPPSTO\001 not really a persist file";
  uint8_t good[4096];
  size_t good_len;
  FILE *f;
  struct stat st;

  /* Garbage in every file: logged, moved aside, a fresh start. */
  write_file(obs_file, garbage, sizeof(garbage));
  write_file(cnt_file, "\x00\x01", 2);
  write_file(dyn_file, garbage, 5);
  server = new_server(port, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(server);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_persist_startup(server, dyn_file, obs_file, cnt_file, 1), 1);
  CU_ASSERT(capi_log_calls >= 3);
  CU_ASSERT(capi_log_contains("rejected"));
  capi_log_capture_stop();
  snprintf(aside, sizeof(aside), "%s.corrupt", obs_file);
  CU_ASSERT_EQUAL(stat(aside, &st), 0);
  unlink(aside);
  snprintf(aside, sizeof(aside), "%s.corrupt", cnt_file);
  unlink(aside);
  snprintf(aside, sizeof(aside), "%s.corrupt", dyn_file);
  unlink(aside);

  /* A good file, then the same cut short by one byte. */
  new_client(port);
  responses = 0;
  send_req(COAP_REQUEST_CODE_GET, "obs", "cf1", COAP_OBSERVE_ESTABLISH);
  pump(server, 1);
  CU_ASSERT_EQUAL(responses, 1);
  coap_persist_stop(server);
  coap_free_context(server);
  f = fopen(obs_file, "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  good_len = fread(good, 1, sizeof(good), f);
  fclose(f);
  CU_ASSERT_FATAL(good_len > 20);
  write_file(obs_file, good, good_len - 1);
  server = new_server(port, NULL);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_persist_startup(server, NULL, obs_file, NULL, 1), 1);
  CU_ASSERT(capi_log_contains("rejected"));
  capi_log_capture_stop();
  coap_persist_stop(server);
  coap_free_context(server);
  snprintf(aside, sizeof(aside), "%s.corrupt", obs_file);
  unlink(aside);

  /* A good file whose resource no longer exists: that entry is dropped. */
  write_file(obs_file, good, good_len);
  {
    coap_address_t a = server_addr(port);
    server = coap_new_context(&a);
  }
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_persist_startup(server, NULL, obs_file, NULL, 1), 1);
  CU_ASSERT(capi_log_contains("not defined"));
  capi_log_capture_stop();
  coap_free_context(server);
  free_client();
  unlink(obs_file), unlink(cnt_file), unlink(dyn_file);
}

static void test_set_observe_num(void) {
  uint16_t port = test_port(5);
  coap_resource_t *obs;
  coap_context_t *server = new_server(port, &obs);
  CU_ASSERT_PTR_NOT_NULL_FATAL(server);
  coap_persist_set_observe_num(obs, 100);
  new_client(port);
  responses = 0;
  send_req(COAP_REQUEST_CODE_GET, "obs", "sn1", COAP_OBSERVE_ESTABLISH);
  pump(server, 1);
  CU_ASSERT_EQUAL(last_seq, 100);
  coap_resource_notify_observers(obs, NULL);
  pump(server, 2);
  CU_ASSERT_EQUAL(last_seq, 101);
  coap_persist_set_observe_num(obs, 0x1FFFFFF); /* 24 bits kept */
  coap_resource_notify_observers(obs, NULL);
  pump(server, 3);
  CU_ASSERT_EQUAL(last_seq, 0);
  coap_free_context(server);
  free_client();
}

static void test_misuse(void) {
  uint16_t port = test_port(6);
  coap_context_t *server = new_server(port, NULL);
  coap_address_t listen = server_addr(port);
  coap_addr_tuple_t tuple;
  static const uint8_t put[] = {0x40, 0x03, 0x00, 0x01, 0xb3, 'o', 'b', 's'};
  static const uint8_t get_no_observe[] = {0x40, 0x01, 0x00, 0x01, 0xb3, 'o', 'b', 's'};
  coap_bin_const_t raw = {3, put};
  CU_ASSERT_PTR_NOT_NULL_FATAL(server);
  tuple.remote = server_addr(40000);
  tuple.local = listen;
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_persist_startup(NULL, NULL, obs_file, NULL, 1), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_persist_startup(server, "", NULL, NULL, 1), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  coap_persist_stop(NULL);
  coap_persist_track_funcs(NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL);
  coap_persist_set_observe_num(NULL, 5);
  CU_ASSERT_EQUAL(capi_log_calls, 5);
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(NULL, COAP_PROTO_UDP, &listen, &tuple, &raw, NULL));
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_UDP, NULL, &tuple, &raw, NULL));
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_UDP, &listen, NULL, &raw, NULL));
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_UDP, &listen, &tuple, NULL, NULL));
  CU_ASSERT_EQUAL(capi_log_calls, 9);
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_DTLS, &listen, &tuple, &raw, NULL));
  CU_ASSERT_EQUAL(capi_log_calls, 10);
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_UDP, &listen, &tuple, &raw, NULL)); /* short */
  CU_ASSERT(capi_log_contains("malformed"));
  raw.length = sizeof(put);
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_UDP, &listen, &tuple, &raw, NULL)); /* PUT */
  CU_ASSERT(capi_log_contains("malformed"));
  raw.s = get_no_observe;
  raw.length = sizeof(get_no_observe);
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_UDP, &listen, &tuple, &raw, NULL));
  CU_ASSERT(capi_log_contains("malformed"));
  listen = server_addr((uint16_t)(port + 1)); /* no endpoint there */
  CU_ASSERT_PTR_NULL(coap_persist_observe_add(server, COAP_PROTO_UDP, &listen, &tuple, &raw, NULL));
  CU_ASSERT_EQUAL(capi_log_calls, 14);
  capi_log_capture_stop();
  /* Stopping what never started, and twice, is harmless. */
  coap_persist_stop(server);
  coap_persist_stop(server);
  coap_free_context(server);
}

static int suite_init(void) {
  snprintf(dir, sizeof(dir), "/tmp/capi-persist-XXXXXX");
  if (!mkdtemp(dir))
    return 1;
  snprintf(obs_file, sizeof(obs_file), "%s/observe", dir);
  snprintf(cnt_file, sizeof(cnt_file), "%s/obs_cnt", dir);
  snprintf(dyn_file, sizeof(dyn_file), "%s/dyn_resource", dir);
  return 0;
}

static int suite_clean(void) {
  unlink(obs_file), unlink(cnt_file), unlink(dyn_file);
  return rmdir(dir) == 0 ? 0 : 1;
}

void register_persist(void) {
  static const capi_test_t tests[] = {
      {"call-backs on observe add, delete, numbers, dynamic and deleted resources", test_track_funcs},
      {"files: a new context restores observers, numbers and dynamic resources", test_files_restart_in_process},
      {"files: a killed server process restarts and its observer hears on", test_real_restart},
      {"corrupt, short and stale files are rejected with a log line", test_corrupt_files},
      {"coap_persist_set_observe_num", test_set_observe_num},
      {"NULL and misuse", test_misuse},
      {NULL, NULL}};
  CU_pSuite suite = CU_add_suite("persist", suite_init, suite_clean);
  for (const capi_test_t *t = tests; t->name; t++)
    CU_add_test(suite, t->name, t->fn);
}
