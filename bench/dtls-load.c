/*
 * DTLS-PSK load generator for `make bench` on OpenSSL alone (no libcoap), so
 * that the load side costs less than either server and the server is what
 * limits the figures. (A load client on libcoap's API needed more CPU per
 * request than either server, so both servers measured the same.)
 *
 *   dtls-load [-p dtls_port] [-n sessions] [-c concurrency] [-w window]
 *             [-d seconds] [-S server_pid] [-P path] [-u identity] [-k key]
 *             [-C cipher_list]
 *
 * Phases:
 * - handshakes: -n sessions, at most -c handshaking at a time, each on its
 *   own UDP socket (so its own session at the server). A handshake counts
 *   as done when the CON GET sent right after it is answered with 2.05 (so
 *   the time covers cookie exchange, handshake and one request). Sessions
 *   stay open until the end, then each sends close_notify.
 * - requests (-d > 0): the first session keeps -w CON GETs in flight for -d
 *   seconds. Datagrams are read with recvmmsg and the requests that answers
 *   make room for leave with one sendmmsg, so a request costs this side
 *   about one record encryption, one decryption and a share of two calls.
 * The ClientHello is OpenSSL's default DTLS 1.2 one with a PSK callback, as
 * libcoap's client sends it (the servers pick ECDHE-PSK-CHACHA20-POLY1305).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WINDOW 64
#define BATCH 64
#define DGRAM 1500

typedef struct {
  int fd;
  SSL *ssl;
  BIO *rbio, *wbio; /* memory BIOs: this program does the socket I/O */
  int state;        /* 0 unused, 1 handshaking, 2 GET sent, 3 established, 4 failed */
  double started;
  uint64_t hs_token;
} peer_t;

static peer_t *peers;
static int handshaking, hs_done, hs_failed;
static double *hs_times;
static const char *identity = "dtls-load", *key = "secretkey", *uri_path = "", *ciphers = NULL;
static uint16_t next_mid = 1;
static uint64_t next_token = 1;
static int reused; /* abbreviated handshakes: there should be none */

/* Outgoing datagrams of one pass, sent with one sendmmsg per socket. */
static unsigned char out_buf[BATCH][DGRAM];
static struct iovec out_iov[BATCH];
static struct mmsghdr out_msg[BATCH];
static int out_n, out_fd = -1;

/* Request phase. */
static int measuring;
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

static void send_out(void) {
  int done = 0;
  while (done < out_n) {
    int r = sendmmsg(out_fd, out_msg + done, (unsigned)(out_n - done), 0);
    if (r <= 0)
      break; /* dropped; CON requests of this program are not retransmitted */
    done += r;
  }
  out_n = 0;
}

/* Moves what OpenSSL wrote into one outgoing datagram. */
static void collect(peer_t *p) {
  int pending = (int)BIO_ctrl_pending(p->wbio);
  if (pending <= 0)
    return;
  if (out_n == BATCH || (out_n && out_fd != p->fd))
    send_out();
  out_fd = p->fd;
  if (pending > DGRAM) {
    /* Larger than a datagram (not in a PSK handshake): send it as it is. */
    unsigned char big[16384];
    int n = BIO_read(p->wbio, big, sizeof(big));
    if (n > 0 && send(p->fd, big, (size_t)n, 0) < 0)
      perror("send");
    return;
  }
  int n = BIO_read(p->wbio, out_buf[out_n], DGRAM);
  if (n <= 0)
    return;
  out_iov[out_n].iov_base = out_buf[out_n];
  out_iov[out_n].iov_len = (size_t)n;
  memset(&out_msg[out_n], 0, sizeof(out_msg[out_n]));
  out_msg[out_n].msg_hdr.msg_iov = &out_iov[out_n];
  out_msg[out_n].msg_hdr.msg_iovlen = 1;
  out_n++;
}

/* A CON GET with an 8-byte token, as one record. */
static uint64_t get(peer_t *p) {
  unsigned char pdu[300];
  size_t len = strlen(uri_path), n = 0;
  uint64_t token = next_token++;
  uint16_t mid = next_mid++;
  pdu[n++] = 0x48; /* version 1, CON, token length 8 */
  pdu[n++] = 0x01; /* GET */
  pdu[n++] = (unsigned char)(mid >> 8);
  pdu[n++] = (unsigned char)mid;
  memcpy(pdu + n, &token, 8);
  n += 8;
  if (len > 0 && len < 13) {
    pdu[n++] = (unsigned char)(0xb0 | len); /* Uri-Path */
  } else if (len >= 13 && len < 269) {
    pdu[n++] = 0xbd;
    pdu[n++] = (unsigned char)(len - 13);
  }
  if (len < 269) {
    memcpy(pdu + n, uri_path, len);
    n += len;
  }
  if (SSL_write(p->ssl, pdu, (int)n) <= 0)
    return 0;
  collect(p);
  return token;
}

/* SSL objects of finished handshakes, cleared for the next ones: what the
 * server sees is the same full handshake, and this side skips SSL_new. */
static SSL *spare[256];
static int spares;
static int epfd;

static void handshake_over(peer_t *p, int ok) {
  if (p->state != 1 && p->state != 2)
    return;
  handshaking--;
  if (ok) {
    p->state = 3;
    hs_times[hs_done++] = mono() - p->started;
  } else {
    p->state = 4;
    hs_failed++;
  }
}

/* After its handshake and first GET: the socket stays open, so the server
 * keeps its session, but this side needs nothing more of it. */
static void retire(peer_t *p) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, p->fd, NULL);
  if (spares < (int)(sizeof(spare) / sizeof(spare[0])) && SSL_clear(p->ssl)) {
    BIO_reset(p->rbio);
    BIO_reset(p->wbio);
    spare[spares++] = p->ssl;
  } else {
    SSL_free(p->ssl);
  }
  p->ssl = NULL;
  p->rbio = p->wbio = NULL;
}

static int window_slot(uint64_t token) {
  for (int i = 0; i < MAX_WINDOW; i++)
    if (win_token[i] == token)
      return i;
  return -1;
}

/* One CoAP message from the server. */
static void on_coap(peer_t *p, const unsigned char *m, int len) {
  int type, tkl, ok;
  uint64_t token = 0;
  if (len < 4 || (m[0] >> 6) != 1)
    return;
  type = (m[0] >> 4) & 3;
  tkl = m[0] & 15;
  if (m[1] == 0) /* empty ACK: a separate response follows */
    return;
  if (type == 0) { /* CON response: acknowledge it */
    unsigned char ack[4] = {0x60, 0, m[2], m[3]};
    if (SSL_write(p->ssl, ack, 4) > 0)
      collect(p);
  }
  if (tkl != 8 || len < 12)
    return;
  memcpy(&token, m + 4, 8);
  ok = m[1] == 0x45;
  if (p->state == 2 && token == p->hs_token) {
    handshake_over(p, ok);
  } else if (measuring && p == &peers[0]) {
    int slot = window_slot(token);
    if (slot < 0)
      return;
    record(mono() - win_sent[slot]);
    win_token[slot] = 0;
    in_flight--;
    if (ok)
      answered++;
    else
      failed++;
  }
}

/* Drives the handshake, then reads records, after new input. */
static void progress(peer_t *p) {
  unsigned char buf[DGRAM];
  int n;
  if (p->state == 1) {
    n = SSL_do_handshake(p->ssl);
    collect(p);
    if (n == 1) {
      if (SSL_session_reused(p->ssl))
        reused++;
      p->state = 2;
      if (!(p->hs_token = get(p)))
        handshake_over(p, 0);
    } else if (SSL_get_error(p->ssl, n) != SSL_ERROR_WANT_READ) {
      handshake_over(p, 0);
      return;
    }
  }
  if (p->state < 2 || p->state > 3)
    return;
  while ((n = SSL_read(p->ssl, buf, sizeof(buf))) > 0)
    on_coap(p, buf, n);
  collect(p);
  if (p->state == 2 && SSL_get_error(p->ssl, n) != SSL_ERROR_WANT_READ)
    handshake_over(p, 0);
  if (p->state == 3 && p != &peers[0])
    retire(p);
}

/* Reads what waits on a peer's socket. */
static void on_readable(peer_t *p) {
  static unsigned char in_buf[BATCH][DGRAM];
  static struct iovec iov[BATCH];
  static struct mmsghdr msg[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = in_buf[i];
      iov[i].iov_len = DGRAM;
      memset(&msg[i], 0, sizeof(msg[i]));
      msg[i].msg_hdr.msg_iov = &iov[i];
      msg[i].msg_hdr.msg_iovlen = 1;
    }
    int r = recvmmsg(p->fd, msg, BATCH, MSG_DONTWAIT, NULL);
    if (r <= 0)
      return;
    for (int i = 0; i < r && p->ssl; i++) {
      BIO_write(p->rbio, in_buf[i], (int)msg[i].msg_len);
      progress(p);
    }
    if (!p->ssl) /* retired: what else came is not needed */
      return;
    if (p->state != 3)
      send_out(); /* a handshake step: the server need not wait for the next peer's */
    if (r < BATCH)
      return;
  }
}

static unsigned int psk_cb(SSL *ssl, const char *hint, char *id, unsigned int id_len, unsigned char *psk,
                           unsigned int psk_len) {
  size_t il = strlen(identity), kl = strlen(key);
  (void)ssl, (void)hint;
  if (il + 1 > id_len || kl > psk_len)
    return 0;
  memcpy(id, identity, il + 1);
  memcpy(psk, key, kl);
  return (unsigned int)kl;
}

static int start(SSL_CTX *ctx, peer_t *p, const struct sockaddr_in *dst, int ep) {
  struct epoll_event ev;
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0 || connect(p->fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0)
    return 0;
  if (spares) {
    p->ssl = spare[--spares];
    p->rbio = SSL_get_rbio(p->ssl);
    p->wbio = SSL_get_wbio(p->ssl);
  } else {
    if (!(p->ssl = SSL_new(ctx)) || !(p->rbio = BIO_new(BIO_s_mem())) || !(p->wbio = BIO_new(BIO_s_mem())))
      return 0;
    BIO_set_mem_eof_return(p->rbio, -1);
    BIO_set_mem_eof_return(p->wbio, -1);
    SSL_set_bio(p->ssl, p->rbio, p->wbio);
    SSL_set_options(p->ssl, SSL_OP_NO_QUERY_MTU);
  }
  DTLS_set_link_mtu(p->ssl, 1400);
  SSL_set_connect_state(p->ssl);
  ev.events = EPOLLIN;
  ev.data.u64 = (uint64_t)(p - peers);
  if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev) < 0)
    return 0;
  p->state = 1;
  p->started = mono();
  handshaking++;
  progress(p);
  return 1;
}

/* Handshake retransmission, from OpenSSL's own timers. */
static void timeouts(int made) {
  for (int i = 0; i < made; i++)
    if (peers[i].state == 1 && DTLSv1_handle_timeout(peers[i].ssl) > 0)
      collect(&peers[i]);
  send_out();
}

static int poll_once(int ep, int ms) {
  struct epoll_event evs[256];
  int n = epoll_wait(ep, evs, 256, ms);
  for (int i = 0; i < n; i++)
    on_readable(&peers[evs[i].data.u64]);
  return n;
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
  int port = 5684, n = 1000, concurrency = 10, window = 16, pid = 0, opt, made = 0, ep;
  double seconds = 0;
  struct sockaddr_in dst;
  struct rlimit rl;
  SSL_CTX *ctx;

  while ((opt = getopt(argc, argv, "p:n:c:w:d:S:P:u:k:C:")) != -1) {
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
    case 'C': ciphers = optarg; break;
    default:
      fprintf(stderr, "usage: %s [-p port] [-n sessions] [-c concurrency] [-w window] [-d s] [-S pid] [-P path]"
                      " [-u identity] [-k key] [-C ciphers]\n",
              argv[0]);
      return 2;
    }
  }
  if (n < 1 || concurrency < 1 || window < 1 || window > MAX_WINDOW || strlen(uri_path) >= 269) {
    fprintf(stderr, "need sessions >= 1, concurrency >= 1, window 1..%d, path < 269 bytes\n", MAX_WINDOW);
    return 2;
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (!(ctx = SSL_CTX_new(DTLS_client_method())) || !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
      (ep = epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
    fprintf(stderr, "no DTLS client context\n");
    return 1;
  }
  SSL_CTX_set_psk_client_callback(ctx, psk_cb);
  if (ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers)) {
    fprintf(stderr, "cipher list %s: none usable\n", ciphers);
    return 2;
  }
  memset(&dst, 0, sizeof(dst));
  dst.sin_family = AF_INET;
  dst.sin_port = htons((uint16_t)port);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  peers = calloc((size_t)n, sizeof(*peers));
  hs_times = calloc((size_t)n, sizeof(*hs_times));
  if (!peers || !hs_times) {
    perror("calloc");
    return 1;
  }

  /* ---- handshakes ---- */
  long rss0 = server_rss_kb(pid);
  double cpu0 = server_cpu(pid), own0 = own_cpu(), t0 = mono(), deadline = t0 + 60, swept = t0;
  while (hs_done + hs_failed < n && mono() < deadline) {
    while (handshaking < concurrency && made < n) {
      peer_t *p = &peers[made++];
      if (!start(ctx, p, &dst, ep)) {
        p->state = 4;
        hs_failed++;
      }
    }
    send_out();
    int got = poll_once(ep, 10);
    send_out();
    if (got == 0 || mono() - swept > 0.01) {
      timeouts(made);
      swept = mono();
    }
  }
  double t1 = mono(), cpu1 = server_cpu(pid), own1 = own_cpu();
  long rss1 = server_rss_kb(pid);
  double hs_secs = t1 - t0;
  qsort(hs_times, (size_t)hs_done, sizeof(*hs_times), by_double);
  for (int i = 0; i < made; i++)
    if (peers[i].state == 1 || peers[i].state == 2)
      handshake_over(&peers[i], 0);

  /* ---- requests over the first session, if it is established ---- */
  double rps = 0, cpu_per_req = 0, own_per_req = 0;
  if (seconds > 0 && peers[0].state == 3) {
    peer_t *p = &peers[0];
    double cpu2 = server_cpu(pid), own2 = own_cpu(), begin = mono(), end = begin + seconds, t;
    measuring = 1;
    while ((t = mono()) < end) {
      for (int i = 0; i < window; i++) {
        if (win_token[i] && t - win_sent[i] > 2.0) { /* lost: free the slot */
          win_token[i] = 0;
          in_flight--;
          failed++;
        }
        if (!win_token[i]) {
          win_sent[i] = t;
          if (!(win_token[i] = get(p))) {
            failed++;
            break;
          }
          in_flight++;
        }
      }
      send_out();
      poll_once(ep, 20);
      send_out();
    }
    double elapsed = mono() - begin;
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
         " server_us_per_req=%.2f client_us_per_hs=%.1f client_us_per_req=%.2f cipher=%s resumed=%d\n",
         n, concurrency, hs_done, hs_failed, hs_done / hs_secs, hs_done ? hs_times[(hs_done - 1) / 2] * 1e3 : 0,
         hs_done ? hs_times[(size_t)((hs_done - 1) * 0.99)] * 1e3 : 0,
         hs_done && pid ? (cpu1 - cpu0) * 1e6 / hs_done : 0,
         hs_done && pid ? (double)(rss1 - rss0) / hs_done : 0, window, rps,
         lat_n ? lat_us[(lat_n - 1) / 2] : 0, lat_n ? lat_us[(size_t)((lat_n - 1) * 0.99)] : 0, failed,
         cpu_per_req * 1e6, hs_done ? (own1 - own0) * 1e6 / hs_done : 0, own_per_req * 1e6,
         peers[0].ssl ? SSL_get_cipher_name(peers[0].ssl) : "none", reused);
  fflush(stdout);
  for (int i = 0; i < spares; i++)
    SSL_free(spare[i]);
  for (int i = 0; i < made; i++) {
    if (peers[i].state == 3 && peers[i].ssl) {
      SSL_shutdown(peers[i].ssl);
      collect(&peers[i]);
      send_out();
    }
    if (peers[i].ssl)
      SSL_free(peers[i].ssl);
    if (peers[i].fd > 0)
      close(peers[i].fd);
  }
  SSL_CTX_free(ctx);
  return hs_done ? 0 : 1;
}
