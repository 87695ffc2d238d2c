/*
 * DTLS-PSK load generator for `make bench`, written on the public libcoap-3
 * API. Build it against Debian's libcoap so that the load side is the same
 * program whatever server it drives; only the server changes between runs.
 *
 *   dtls-bench [-p dtls_port] [-n sessions] [-c concurrency] [-w window]
 *              [-d seconds] [-S server_pid] [-P path] [-u identity] [-k key]
 *
 * Handshake phase: opens -n client sessions, at most -c of them still
 * handshaking at a time; each sends one CON GET as soon as it is made, and
 * its handshake counts as done when that GET's 2.05 arrives (so the time
 * covers cookie exchange, handshake and one request). All sessions stay
 * open until the end.
 * Request phase (-d > 0): the first session keeps -w CON GETs in flight for
 * -d seconds.
 * With -S, the server's CPU time (/proc/PID/schedstat) per handshake and
 * per request and its RSS growth per live session are measured too; this
 * program's own CPU time per handshake and per request always is (when it
 * nears the elapsed time per operation, the load side is the limit).
 * Output: one "RESULT key=value ..." line.
 */
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_WINDOW 64

typedef struct {
  coap_session_t *session;
  int state; /* 0 unused, 1 handshaking, 2 established, 3 failed */
  double started;
} peer_t;

static peer_t *peers;
static int handshaking, hs_done, hs_failed;
static long hs_loops; /* coap_io_process() calls during the handshake phase */
static double *hs_times;

/* The request phase: one session, a window of tokens. */
static int measuring;
static uint64_t next_token = 1;
static uint64_t win_token[MAX_WINDOW];
static double win_sent[MAX_WINDOW];
static int in_flight;
static long answered, failed;
static uint32_t *lat_us;
static size_t lat_n, lat_cap;

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Server CPU time in seconds, 0 when unknown. */
static double server_cpu(int pid) {
  char name[64];
  unsigned long long ns = 0;
  FILE *f;
  if (pid <= 0)
    return 0;
  snprintf(name, sizeof(name), "/proc/%d/schedstat", pid);
  if (!(f = fopen(name, "r")))
    return 0;
  if (fscanf(f, "%llu", &ns) != 1)
    ns = 0;
  fclose(f);
  return (double)ns * 1e-9;
}

/* This process's CPU time in seconds. */
static double own_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
}

static long server_rss_kb(int pid) {
  char name[64], line[256];
  long kb = 0;
  FILE *f;
  if (pid <= 0)
    return 0;
  snprintf(name, sizeof(name), "/proc/%d/status", pid);
  if (!(f = fopen(name, "r")))
    return 0;
  while (fgets(line, sizeof(line), f))
    if (sscanf(line, "VmRSS: %ld", &kb) == 1)
      break;
  fclose(f);
  return kb;
}

static const char *uri_path = "";

/* A CON GET with an 8-byte token; returns the token or 0. */
static uint64_t get(coap_session_t *s) {
  uint64_t token = next_token++;
  uint8_t bytes[8];
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, coap_new_message_id(s),
                                  coap_session_max_pdu_size(s));
  if (!pdu)
    return 0;
  memcpy(bytes, &token, sizeof(bytes));
  if (!coap_add_token(pdu, sizeof(bytes), bytes)) {
    coap_delete_pdu(pdu);
    return 0;
  }
  if (*uri_path)
    coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(uri_path), (const uint8_t *)uri_path);
  if (coap_send(s, pdu) == COAP_INVALID_MID)
    return 0;
  return token;
}

static void record(double seconds) {
  if (lat_n == lat_cap) {
    lat_cap = lat_cap ? 2 * lat_cap : 1 << 16;
    lat_us = realloc(lat_us, lat_cap * sizeof(*lat_us));
    if (!lat_us) {
      perror("realloc");
      exit(1);
    }
  }
  lat_us[lat_n++] = (uint32_t)(seconds * 1e6);
}

static void handshake_over(peer_t *p, int ok) {
  if (p->state != 1)
    return;
  handshaking--;
  if (ok) {
    p->state = 2;
    hs_times[hs_done++] = mono() - p->started;
  } else {
    p->state = 3;
    hs_failed++;
  }
}

static int window_slot(const coap_pdu_t *pdu) {
  coap_bin_const_t t = coap_pdu_get_token(pdu);
  uint64_t token;
  if (t.length != 8)
    return -1;
  memcpy(&token, t.s, 8);
  for (int i = 0; i < MAX_WINDOW; i++)
    if (win_token[i] == token)
      return i;
  return -1;
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *received,
                                   const coap_mid_t mid) {
  peer_t *p = coap_session_get_app_data(s);
  int ok = coap_pdu_get_code(received) == COAP_RESPONSE_CODE(205);
  int slot;
  (void)sent, (void)mid;
  if (!p)
    return COAP_RESPONSE_OK;
  if (p->state == 1) {
    handshake_over(p, ok);
  } else if (measuring && (slot = window_slot(received)) >= 0) {
    record(mono() - win_sent[slot]);
    win_token[slot] = 0;
    in_flight--;
    if (ok)
      answered++;
    else
      failed++;
  }
  return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason, const coap_mid_t mid) {
  peer_t *p = coap_session_get_app_data(s);
  int slot;
  (void)reason, (void)mid;
  if (!p)
    return;
  if (p->state == 1) {
    handshake_over(p, 0);
  } else if (measuring && sent && (slot = window_slot(sent)) >= 0) {
    win_token[slot] = 0;
    in_flight--;
    failed++;
  }
}

static int on_event(coap_session_t *s, const coap_event_t event) {
  peer_t *p = coap_session_get_app_data(s);
  if (p && (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_SESSION_FAILED))
    handshake_over(p, 0);
  return 0;
}

static int by_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int by_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *identity = "dtls-bench", *key = "secretkey";
  int port = 5684, n = 1000, concurrency = 10, window = 16, pid = 0, opt, made = 0;
  double seconds = 0;
  coap_address_t dst;
  coap_dtls_cpsk_t psk;
  coap_context_t *ctx;
  struct rlimit rl;

  while ((opt = getopt(argc, argv, "p:n:c:w:d:S:P:u:k:")) != -1) {
    switch (opt) {
    case 'p': port = atoi(optarg); break;
    case 'n': n = atoi(optarg); break;
    case 'c': concurrency = atoi(optarg); break;
    case 'w': window = atoi(optarg); break;
    case 'd': seconds = atof(optarg); break;
    case 'S': pid = atoi(optarg); break;
    case 'P': uri_path = optarg; break;
    case 'u': identity = optarg; break;
    case 'k': key = optarg; break;
    default:
      fprintf(stderr, "usage: %s [-p port] [-n sessions] [-c concurrency] [-w window] [-d s] [-S pid] [-P path]"
                      " [-u identity] [-k key]\n",
              argv[0]);
      return 2;
    }
  }
  if (n < 1 || concurrency < 1 || window < 1 || window > MAX_WINDOW) {
    fprintf(stderr, "need sessions >= 1, concurrency >= 1, window 1..%d\n", MAX_WINDOW);
    return 2;
  }
  /* One UDP socket per client session. */
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  coap_startup();
  coap_set_log_level(LOG_EMERG);
  coap_dtls_set_log_level(LOG_EMERG);
  if (!coap_dtls_is_supported() || !(ctx = coap_new_context(NULL))) {
    fprintf(stderr, "no DTLS client context\n");
    return 1;
  }
  coap_register_response_handler(ctx, on_response);
  coap_register_nack_handler(ctx, on_nack);
  coap_register_event_handler(ctx, on_event);

  coap_address_init(&dst);
  dst.size = sizeof(dst.addr.sin);
  dst.addr.sin.sin_family = AF_INET;
  dst.addr.sin.sin_port = htons((uint16_t)port);
  dst.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  memset(&psk, 0, sizeof(psk));
  psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
  psk.psk_info.identity.s = (const uint8_t *)identity;
  psk.psk_info.identity.length = strlen(identity);
  psk.psk_info.key.s = (const uint8_t *)key;
  psk.psk_info.key.length = strlen(key);

  peers = calloc((size_t)n, sizeof(*peers));
  hs_times = calloc((size_t)n, sizeof(*hs_times));
  if (!peers || !hs_times) {
    perror("calloc");
    return 1;
  }

  /* ---- handshakes ---- */
  long rss0 = server_rss_kb(pid);
  double cpu0 = server_cpu(pid), own0 = own_cpu(), t0 = mono(), deadline = t0 + 60;
  while (hs_done + hs_failed < n && mono() < deadline) {
    while (handshaking < concurrency && made < n) {
      peer_t *p = &peers[made++];
      p->started = mono();
      p->session = coap_new_client_session_psk2(ctx, NULL, &dst, COAP_PROTO_DTLS, &psk);
      if (!p->session) {
        p->state = 3;
        hs_failed++;
        continue;
      }
      coap_session_set_app_data(p->session, p);
      coap_session_set_nstart(p->session, (uint16_t)window);
      p->state = 1;
      handshaking++;
      if (!get(p->session))
        handshake_over(p, 0);
    }
    coap_io_process(ctx, 20);
    hs_loops++;
  }
  double t1 = mono(), cpu1 = server_cpu(pid), own1 = own_cpu();
  long rss1 = server_rss_kb(pid);
  double hs_secs = t1 - t0;
  qsort(hs_times, (size_t)hs_done, sizeof(*hs_times), by_double);

  /* ---- requests over the first established session ---- */
  double rps = 0, cpu_per_req = 0, own_per_req = 0;
  peer_t *p = NULL;
  for (int i = 0; i < made && !p; i++)
    if (peers[i].state == 2)
      p = &peers[i];
  if (seconds > 0 && p) {
    double cpu2 = server_cpu(pid), own2 = own_cpu(), start = mono(), end = start + seconds, t;
    measuring = 1;
    while ((t = mono()) < end) {
      for (int i = 0; i < window && in_flight < window; i++) {
        if (win_token[i])
          continue;
        win_sent[i] = mono();
        if (!(win_token[i] = get(p->session))) {
          failed++;
          break;
        }
        in_flight++;
      }
      coap_io_process(ctx, 20);
    }
    double elapsed = mono() - start;
    rps = (double)answered / elapsed;
    if (answered) {
      cpu_per_req = (server_cpu(pid) - cpu2) / (double)answered;
      own_per_req = (own_cpu() - own2) / (double)answered;
    }
    measuring = 0;
    qsort(lat_us, lat_n, sizeof(*lat_us), by_u32);
  }

  printf("RESULT sessions=%d concurrency=%d hs_ok=%d hs_failed=%d hs_per_s=%.1f hs_p50_ms=%.2f hs_p99_ms=%.2f"
         " server_us_per_hs=%.1f rss_kb_per_session=%.2f window=%d rps=%.1f p50_us=%u p99_us=%u req_failed=%ld"
         " server_us_per_req=%.2f client_us_per_hs=%.1f client_us_per_req=%.2f loops_per_hs=%.2f\n",
         n, concurrency, hs_done, hs_failed, hs_done / hs_secs, hs_done ? hs_times[(hs_done - 1) / 2] * 1e3 : 0,
         hs_done ? hs_times[(size_t)((hs_done - 1) * 0.99)] * 1e3 : 0,
         hs_done && pid ? (cpu1 - cpu0) * 1e6 / hs_done : 0,
         hs_done && pid ? (double)(rss1 - rss0) / hs_done : 0, window, rps,
         lat_n ? lat_us[(lat_n - 1) / 2] : 0, lat_n ? lat_us[(size_t)((lat_n - 1) * 0.99)] : 0, failed,
         cpu_per_req * 1e6, hs_done ? (own1 - own0) * 1e6 / hs_done : 0, own_per_req * 1e6,
         hs_done ? (double)hs_loops / hs_done : 0);
  fflush(stdout);
  for (int i = 0; i < made; i++)
    if (peers[i].session) {
      coap_session_set_app_data(peers[i].session, NULL);
      coap_session_release(peers[i].session);
    }
  coap_free_context(ctx);
  coap_cleanup();
  return hs_done ? 0 : 1;
}
