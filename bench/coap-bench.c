/*
 * Closed-loop CoAP/UDP load generator for `make bench`: S sockets (one
 * server session each), W confirmable GETs in flight per socket, for D
 * seconds. Loopback only. Prints one "RESULT" line: requests/s and latency
 * percentiles in microseconds.
 *
 *   coap-bench [-p port] [-s sockets] [-w window] [-d seconds] [-P path]
 *              [-i idle_sessions]
 *
 * -i first opens that many extra sessions that each complete one request
 * and then stay silent (idle server sessions), before measuring.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WINDOW 64
#define MAX_SAMPLES (1 << 22)

typedef struct {
  int fd;
  uint16_t next_mid;
  uint64_t sent_at[MAX_WINDOW]; /* by mid % MAX_WINDOW */
  uint16_t slot_mid[MAX_WINDOW];
  int in_flight;
} conn_t;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct sockaddr_in server;
static const char *path = "time";
static uint32_t *samples;
static size_t nsamples;

static int open_conn(conn_t *c, uint16_t seed) {
  c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&server, sizeof(server)) < 0)
    return -1;
  c->next_mid = seed;
  c->in_flight = 0;
  return 0;
}

/* CON GET with a 2-byte token equal to the message id, one Uri-Path. */
static int send_get(conn_t *c) {
  uint8_t msg[64];
  size_t plen = strlen(path), n = 0;
  uint16_t mid = c->next_mid++;
  msg[n++] = 0x42; /* ver 1, CON, TKL 2 */
  msg[n++] = 0x01; /* GET */
  msg[n++] = (uint8_t)(mid >> 8);
  msg[n++] = (uint8_t)mid;
  msg[n++] = (uint8_t)(mid >> 8);
  msg[n++] = (uint8_t)mid;
  if (plen) {
    msg[n++] = (uint8_t)(0xb0 | plen); /* Uri-Path, length < 13 */
    memcpy(msg + n, path, plen);
    n += plen;
  }
  c->slot_mid[mid % MAX_WINDOW] = mid;
  c->sent_at[mid % MAX_WINDOW] = now_us();
  c->in_flight++;
  return send(c->fd, msg, n, 0) == (ssize_t)n ? 0 : -1;
}

/* Reads every waiting response; returns how many completed. */
static int drain(conn_t *c, int record) {
  uint8_t buf[1500];
  int done = 0;
  for (;;) {
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n < 0)
      return done;
    if (n < 4 || (buf[0] >> 4) != 0x6) /* ver 1, ACK */
      continue;
    uint16_t mid = (uint16_t)(buf[2] << 8 | buf[3]);
    if (c->slot_mid[mid % MAX_WINDOW] != mid || !c->sent_at[mid % MAX_WINDOW])
      continue;
    if (record && nsamples < MAX_SAMPLES)
      samples[nsamples++] = (uint32_t)(now_us() - c->sent_at[mid % MAX_WINDOW]);
    c->sent_at[mid % MAX_WINDOW] = 0;
    c->in_flight--;
    done++;
  }
}

static int cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int port = 5683, sockets = 1, window = 1, secs = 5, idle = 0, opt;
  while ((opt = getopt(argc, argv, "p:s:w:d:P:i:")) != -1) {
    switch (opt) {
    case 'p': port = atoi(optarg); break;
    case 's': sockets = atoi(optarg); break;
    case 'w': window = atoi(optarg); break;
    case 'd': secs = atoi(optarg); break;
    case 'P': path = optarg; break;
    case 'i': idle = atoi(optarg); break;
    default:
      fprintf(stderr, "usage: %s [-p port] [-s sockets] [-w window] [-d s] [-P path] [-i idle]\n", argv[0]);
      return 2;
    }
  }
  if (window < 1 || window > MAX_WINDOW || sockets < 1 || strlen(path) > 12) {
    fprintf(stderr, "window 1..%d, sockets >= 1, path up to 12 bytes\n", MAX_WINDOW);
    return 2;
  }
  memset(&server, 0, sizeof(server));
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  samples = malloc(sizeof(uint32_t) * MAX_SAMPLES);

  /* Idle sessions: one request each, in batches, then closed. */
  uint64_t idle_start = now_us();
  for (int i = 0; i < idle;) {
    conn_t batch[200];
    int k = 0;
    for (; k < 200 && i < idle; k++, i++) {
      if (open_conn(&batch[k], (uint16_t)i) < 0 || send_get(&batch[k]) < 0) {
        perror("idle session");
        return 1;
      }
    }
    uint64_t deadline = now_us() + 2000000;
    int left = k;
    while (left > 0 && now_us() < deadline) {
      for (int j = 0; j < k; j++)
        if (batch[j].in_flight)
          left -= drain(&batch[j], 0);
      usleep(100);
    }
    for (int j = 0; j < k; j++)
      close(batch[j].fd);
  }

  double idle_secs = (double)(now_us() - idle_start) / 1e6;
  conn_t *conns = calloc((size_t)sockets, sizeof(conn_t));
  int ep = epoll_create1(0);
  for (int i = 0; i < sockets; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (open_conn(&conns[i], (uint16_t)(i * 1000)) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0) {
      perror("socket");
      return 1;
    }
  }
  uint64_t warm = now_us() + 500000, start = 0, end = warm + (uint64_t)secs * 1000000u;
  long completed = 0, resent = 0;
  for (int i = 0; i < sockets; i++)
    for (int w = 0; w < window; w++)
      send_get(&conns[i]);
  while (now_us() < end) {
    struct epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, 100);
    uint64_t t = now_us();
    int measuring = t >= warm;
    if (measuring && !start)
      start = t, completed = 0, nsamples = 0;
    for (int e = 0; e < n; e++) {
      conn_t *c = &conns[evs[e].data.u32];
      int got = drain(c, measuring);
      completed += got;
      while (c->in_flight < window)
        send_get(c);
    }
    /* Lost datagrams: forget anything older than a second and re-send. */
    for (int i = 0; i < sockets && n == 0; i++) {
      conn_t *c = &conns[i];
      for (int s = 0; s < MAX_WINDOW; s++)
        if (c->sent_at[s] && t - c->sent_at[s] > 1000000) {
          c->sent_at[s] = 0;
          c->in_flight--;
          resent++;
        }
      while (c->in_flight < window)
        send_get(c);
    }
  }
  double elapsed = (double)(now_us() - start) / 1e6;
  qsort(samples, nsamples, sizeof(uint32_t), cmp);
  uint32_t p50 = nsamples ? samples[nsamples / 2] : 0, p99 = nsamples ? samples[nsamples * 99 / 100] : 0;
  printf("RESULT sockets=%d window=%d idle=%d rps=%.0f p50=%u p99=%u lost=%ld new_sessions_per_s=%.0f\n", sockets,
         window, idle, completed / elapsed, p50, p99, resent, idle ? idle / idle_secs : 0.0);
  return 0;
}
