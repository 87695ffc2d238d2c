/* coap_address(3), and coap_print_addr / coap_print_ip_addr (coap_logging(3)). */
#include "capi.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

static coap_address_t v4(const char *ip, uint16_t port) {
  coap_address_t a;
  coap_address_init(&a);
  a.size = sizeof(struct sockaddr_in);
  a.addr.sin.sin_family = AF_INET;
  a.addr.sin.sin_port = htons(port);
  CU_ASSERT_EQUAL(inet_pton(AF_INET, ip, &a.addr.sin.sin_addr), 1);
  return a;
}

static coap_address_t v6(const char *ip, uint16_t port) {
  coap_address_t a;
  coap_address_init(&a);
  a.size = sizeof(struct sockaddr_in6);
  a.addr.sin6.sin6_family = AF_INET6;
  a.addr.sin6.sin6_port = htons(port);
  CU_ASSERT_EQUAL(inet_pton(AF_INET6, ip, &a.addr.sin6.sin6_addr), 1);
  return a;
}

static coap_address_t unix_addr(const char *uri_host) {
  coap_address_t a;
  coap_address_init(&a);
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)uri_host, strlen(uri_host)), 1);
  return a;
}

static void test_init(void) {
  coap_address_t a;
  memset(&a, 0xab, sizeof(a));
  coap_address_init(&a);
  CU_ASSERT_EQUAL(a.size, sizeof(a.addr));
  CU_ASSERT_EQUAL(a.addr.sa.sa_family, AF_UNSPEC);
  const unsigned char *p = (const unsigned char *)&a.addr;
  int nonzero = 0;
  for (size_t i = 0; i < sizeof(a.addr); i++)
    nonzero += p[i] != 0;
  CU_ASSERT_EQUAL(nonzero, 0);
  CU_ASSERT_FALSE(coap_address_isany(&a)); /* AF_UNSPEC is not "any" */
}

static void test_null_args(void) {
  coap_address_t a = v4("10.0.0.1", 1);
  capi_log_capture_start();
  coap_address_init(NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  coap_address_copy(NULL, &a);
  coap_address_copy(&a, NULL);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  CU_ASSERT_EQUAL(coap_address_equals(NULL, &a), 0);
  CU_ASSERT_EQUAL(coap_address_equals(&a, NULL), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 5);
  CU_ASSERT_EQUAL(coap_address_get_port(NULL), 0);
  coap_address_set_port(NULL, 5);
  CU_ASSERT_EQUAL(capi_log_calls, 7);
  CU_ASSERT_EQUAL(coap_is_mcast(NULL), 0);
  CU_ASSERT_EQUAL(coap_is_bcast(NULL), 0);
  CU_ASSERT_EQUAL(coap_is_af_unix(NULL), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 10);
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(NULL, (const uint8_t *)"/x", 2), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 11);
  CU_ASSERT_EQUAL(coap_host_is_unix_domain(NULL), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 12);
  CU_ASSERT_EQUAL(capi_log_level, COAP_LOG_WARN);
  capi_log_capture_stop();
  /* Nothing was changed by the refused copy. */
  CU_ASSERT_EQUAL(coap_address_get_port(&a), 1);
}

static void test_ports(void) {
  coap_address_t a = v4("192.0.2.1", 5683);
  CU_ASSERT_EQUAL(coap_address_get_port(&a), 5683); /* host byte order */
  coap_address_set_port(&a, 1234);
  CU_ASSERT_EQUAL(a.addr.sin.sin_port, htons(1234));
  CU_ASSERT_EQUAL(coap_address_get_port(&a), 1234);
  coap_address_t b = v6("2001:db8::1", 0);
  CU_ASSERT_EQUAL(coap_address_get_port(&b), 0);
  coap_address_set_port(&b, 65535);
  CU_ASSERT_EQUAL(b.addr.sin6.sin6_port, htons(65535));
  CU_ASSERT_EQUAL(coap_address_get_port(&b), 65535);
  /* Setting the port touches nothing else. */
  coap_address_t c = v6("2001:db8::1", 65535);
  CU_ASSERT(memcmp(&b, &c, sizeof(b)) == 0);
}

static void test_ports_other_families(void) {
  coap_address_t u = unix_addr("%2Ftmp%2Fsock");
  coap_address_t before = u;
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_address_get_port(&u), 0);
  coap_address_set_port(&u, 80);
  CU_ASSERT_EQUAL(capi_log_calls, 0); /* a Unix address just has no port */
  CU_ASSERT(memcmp(&u, &before, sizeof(u)) == 0);

  coap_address_t a;
  coap_address_init(&a);
  CU_ASSERT_EQUAL(coap_address_get_port(&a), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  coap_address_set_port(&a, 80);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT_EQUAL(coap_address_get_port(&a), 0);
  capi_log_capture_stop();
}

static void test_copy(void) {
  coap_address_t a = v6("fe80::1", 5683), b;
  a.addr.sin6.sin6_scope_id = 3;
  memset(&b, 0x11, sizeof(b));
  coap_address_copy(&b, &a);
  CU_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
  CU_ASSERT_TRUE(coap_address_equals(&a, &b));
  coap_address_t u = unix_addr("/tmp/u"), v;
  coap_address_copy(&v, &u);
  CU_ASSERT_TRUE(coap_is_af_unix(&v));
  CU_ASSERT_STRING_EQUAL(v.addr.cun.sun_path, "/tmp/u");
}

/* Which fields count was checked against libcoap 4.3.1. */
static void test_equals(void) {
  coap_address_t a = v4("192.0.2.1", 5683), b = a;
  CU_ASSERT_TRUE(coap_address_equals(&a, &b));
  memset(b.addr.sin.sin_zero, 1, sizeof(b.addr.sin.sin_zero));
  CU_ASSERT_TRUE(coap_address_equals(&a, &b));
  b = v4("192.0.2.1", 5684);
  CU_ASSERT_FALSE(coap_address_equals(&a, &b));
  b = v4("192.0.2.2", 5683);
  CU_ASSERT_FALSE(coap_address_equals(&a, &b));
  b = a;
  b.size = sizeof(b.addr);
  CU_ASSERT_FALSE(coap_address_equals(&a, &b));

  coap_address_t x = v6("fe80::1", 1), y = x;
  y.addr.sin6.sin6_scope_id = 7;
  y.addr.sin6.sin6_flowinfo = htonl(9);
  CU_ASSERT_TRUE(coap_address_equals(&x, &y));
  y = v6("fe80::2", 1);
  CU_ASSERT_FALSE(coap_address_equals(&x, &y));
  y = v6("::ffff:192.0.2.1", 5683);
  CU_ASSERT_FALSE(coap_address_equals(&a, &y)); /* different families */

  coap_address_t u1 = unix_addr("/tmp/a"), u2 = unix_addr("%2Ftmp%2Fa"), u3 = unix_addr("/tmp/b");
  CU_ASSERT_TRUE(coap_address_equals(&u1, &u2));
  CU_ASSERT_FALSE(coap_address_equals(&u1, &u3));

  coap_address_t n1, n2;
  coap_address_init(&n1);
  coap_address_init(&n2);
  CU_ASSERT_FALSE(coap_address_equals(&n1, &n2)); /* AF_UNSPEC never equals */
}

static void test_set_unix_domain(void) {
  coap_address_t a = v4("1.2.3.4", 5);
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)"%2Ftmp%2fcoap.sock", 18), 1);
  CU_ASSERT_EQUAL(a.addr.cun.sun_family, AF_UNIX);
  CU_ASSERT_STRING_EQUAL(a.addr.cun.sun_path, "/tmp/coap.sock");
  CU_ASSERT_EQUAL(a.size, sizeof(a.addr));
  CU_ASSERT_TRUE(coap_is_af_unix(&a));
  /* Only the given length counts. */
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)"/tmp/abcdef", 6), 1);
  CU_ASSERT_STRING_EQUAL(a.addr.cun.sun_path, "/tmp/a");
  /* A stray % stays as it is. */
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)"/a%2", 4), 1);
  CU_ASSERT_STRING_EQUAL(a.addr.cun.sun_path, "/a%2");
}

static void test_set_unix_domain_lengths(void) {
  char host[64];
  coap_address_t a;
  coap_address_init(&a);
  /* 25 bytes and the NUL fill sun_path[26]. */
  memset(host, 'p', 25);
  host[0] = '/';
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)host, 25), 1);
  CU_ASSERT_EQUAL(strlen(a.addr.cun.sun_path), 25);
  CU_ASSERT_EQUAL(a.addr.cun.sun_path[25], '\0');
  /* The limit applies after %2F decoding. */
  strcpy(host, "%2F");
  memset(host + 3, 'q', 24);
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)host, 27), 1);
  CU_ASSERT_EQUAL(strlen(a.addr.cun.sun_path), 25);
  CU_ASSERT_EQUAL(a.addr.cun.sun_path[0], '/');

  coap_address_t before = a;
  memset(host, 'r', sizeof(host));
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)host, 26), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT(capi_log_contains("too long"));
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)host, sizeof(host)), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT(memcmp(&a, &before, sizeof(a)) == 0); /* unchanged on failure */
  capi_log_capture_stop();
}

static void test_set_unix_domain_bad(void) {
  coap_address_t a;
  coap_address_init(&a);
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)"", 0), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, NULL, 0), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, NULL, 5), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  CU_ASSERT_EQUAL(coap_address_set_unix_domain(&a, (const uint8_t *)"/a\0b", 4), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 4);
  capi_log_capture_stop();
  CU_ASSERT_EQUAL(a.addr.sa.sa_family, AF_UNSPEC);
}

static int host_is_unix(const char *s) {
  coap_str_const_t h = {strlen(s), (const uint8_t *)s};
  return coap_host_is_unix_domain(&h);
}

static void test_host_is_unix_domain(void) {
  CU_ASSERT_EQUAL(host_is_unix("%2Ftmp%2Fsock"), 1);
  CU_ASSERT_EQUAL(host_is_unix("%2ftmp"), 1);
  CU_ASSERT_EQUAL(host_is_unix("%2F"), 1);
  CU_ASSERT_EQUAL(host_is_unix("/tmp/sock"), 1);
  CU_ASSERT_EQUAL(host_is_unix("localhost"), 0);
  CU_ASSERT_EQUAL(host_is_unix("%2"), 0);
  CU_ASSERT_EQUAL(host_is_unix("%3Ftmp"), 0);
  CU_ASSERT_EQUAL(host_is_unix("tmp%2Fsock"), 0);
  CU_ASSERT_EQUAL(host_is_unix(""), 0);
  coap_str_const_t empty = {0, NULL};
  CU_ASSERT_EQUAL(coap_host_is_unix_domain(&empty), 0);
  capi_log_capture_start();
  coap_str_const_t bad = {3, NULL};
  CU_ASSERT_EQUAL(coap_host_is_unix_domain(&bad), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  capi_log_capture_stop();
}

static void test_is_mcast(void) {
  coap_address_t a = v4("224.0.1.187", 5683);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 1);
  a = v4("224.0.0.0", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 1);
  a = v4("239.255.255.255", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 1);
  a = v4("223.255.255.255", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  a = v4("240.0.0.0", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  a = v4("255.255.255.255", 0); /* broadcast is not multicast (as 4.3.1) */
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  a = v4("127.0.0.1", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  a = v6("ff02::fd", 5683);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 1);
  a = v6("ff05::fd", 5683);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 1);
  a = v6("fe02::1", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  a = v6("::1", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  a = v6("::ffff:224.0.1.187", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 1);
  a = v6("::ffff:192.0.1.187", 0);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  a = unix_addr("/tmp/m");
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
  coap_address_init(&a);
  CU_ASSERT_EQUAL(coap_is_mcast(&a), 0);
}

static void test_is_bcast(void) {
  coap_address_t a = v4("255.255.255.255", 5683);
  CU_ASSERT_EQUAL(coap_is_bcast(&a), 1);
  a = v6("::ffff:255.255.255.255", 5683);
  CU_ASSERT_EQUAL(coap_is_bcast(&a), 1);
  a = v4("127.0.0.1", 0); /* loopback has no broadcast */
  CU_ASSERT_EQUAL(coap_is_bcast(&a), 0);
  a = v4("224.0.1.187", 0);
  CU_ASSERT_EQUAL(coap_is_bcast(&a), 0);
  a = v6("ff02::1", 0);
  CU_ASSERT_EQUAL(coap_is_bcast(&a), 0);
  a = unix_addr("/tmp/b");
  CU_ASSERT_EQUAL(coap_is_bcast(&a), 0);
  coap_address_init(&a);
  CU_ASSERT_EQUAL(coap_is_bcast(&a), 0);
}

/* A directed broadcast address of one of this host's interfaces, if any. */
static void test_is_bcast_interface(void) {
  struct ifaddrs *ifa, *i;
  int checked = 0;
  CU_ASSERT_EQUAL_FATAL(getifaddrs(&ifa), 0);
  for (i = ifa; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_BROADCAST) ||
        !i->ifa_netmask)
      continue;
    uint32_t ip = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
    uint32_t mask = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr;
    if (mask == 0xffffffff)
      continue;
    coap_address_t a;
    coap_address_init(&a);
    a.size = sizeof(struct sockaddr_in);
    a.addr.sin.sin_family = AF_INET;
    a.addr.sin.sin_addr.s_addr = ip | ~mask;
    CU_ASSERT_EQUAL(coap_is_bcast(&a), 1);
    a.addr.sin.sin_addr.s_addr = ip;
    CU_ASSERT_EQUAL(coap_is_bcast(&a), 0);
    checked++;
  }
  freeifaddrs(ifa);
  (void)checked; /* a host without broadcast interfaces checks nothing here */
}

static void test_is_af_unix(void) {
  coap_address_t a = unix_addr("/tmp/x");
  CU_ASSERT_EQUAL(coap_is_af_unix(&a), 1);
  a = v4("1.2.3.4", 1);
  CU_ASSERT_EQUAL(coap_is_af_unix(&a), 0);
  a = v6("::1", 1);
  CU_ASSERT_EQUAL(coap_is_af_unix(&a), 0);
  coap_address_init(&a);
  CU_ASSERT_EQUAL(coap_is_af_unix(&a), 0);
}

static void test_isany_inline(void) {
  coap_address_t a = v4("0.0.0.0", 5683);
  CU_ASSERT_TRUE(coap_address_isany(&a));
  a = v6("::", 5683);
  CU_ASSERT_TRUE(coap_address_isany(&a));
  a = v6("::1", 5683);
  CU_ASSERT_FALSE(coap_address_isany(&a));
}

/* Prints into a buffer of `len` bytes followed by guard bytes; checks the
 * guard and NUL termination. */
static size_t print(const coap_address_t *a, size_t len, char *out) {
  unsigned char buf[80];
  memset(buf, '#', sizeof(buf));
  size_t r = coap_print_addr(a, buf, len);
  CU_ASSERT(memchr(buf, '\0', len) != NULL);
  for (size_t i = len; i < sizeof(buf); i++)
    CU_ASSERT_EQUAL(buf[i], '#');
  strcpy(out, (char *)buf);
  return r;
}

/* Text, return values and truncation as libcoap 4.3.1 does them. */
static void test_print_addr_ipv4(void) {
  char out[80];
  coap_address_t a = v4("192.168.1.20", 5683);
  CU_ASSERT_EQUAL(print(&a, 64, out), 17);
  CU_ASSERT_STRING_EQUAL(out, "192.168.1.20:5683");
  CU_ASSERT_EQUAL(print(&a, 18, out), 17);
  CU_ASSERT_STRING_EQUAL(out, "192.168.1.20:5683");
  CU_ASSERT_EQUAL(print(&a, 17, out), 16); /* the port is cut */
  CU_ASSERT_STRING_EQUAL(out, "192.168.1.20:568");
  CU_ASSERT_EQUAL(print(&a, 16, out), 0); /* IPv4 needs 17 bytes */
  CU_ASSERT_STRING_EQUAL(out, "");
  CU_ASSERT_EQUAL(print(&a, 1, out), 0);
  CU_ASSERT_STRING_EQUAL(out, "");
  a = v4("0.0.0.0", 0);
  CU_ASSERT_EQUAL(print(&a, 17, out), 9);
  CU_ASSERT_STRING_EQUAL(out, "0.0.0.0:0");
  a = v4("255.255.255.255", 65535);
  CU_ASSERT_EQUAL(print(&a, 17, out), 16);
  CU_ASSERT_STRING_EQUAL(out, "255.255.255.255:");
  CU_ASSERT_EQUAL(print(&a, 22, out), 21);
  CU_ASSERT_STRING_EQUAL(out, "255.255.255.255:65535");
}

static void test_print_addr_ipv6(void) {
  char out[80];
  coap_address_t a = v6("::1", 5684);
  CU_ASSERT_EQUAL(print(&a, 64, out), 10);
  CU_ASSERT_STRING_EQUAL(out, "[::1]:5684");
  CU_ASSERT_EQUAL(print(&a, 49, out), 10);
  CU_ASSERT_EQUAL(print(&a, 48, out), 0); /* IPv6 needs 49 bytes */
  CU_ASSERT_STRING_EQUAL(out, "");
  a = v6("2001:db8:1234:5678:9abc:def0:1234:5678", 65535);
  CU_ASSERT_EQUAL(print(&a, 64, out), 46);
  CU_ASSERT_STRING_EQUAL(out, "[2001:db8:1234:5678:9abc:def0:1234:5678]:65535");
  a = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
  CU_ASSERT_EQUAL(print(&a, 49, out), 47);
  CU_ASSERT_STRING_EQUAL(out, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  a = v6("::ffff:192.0.2.1", 65535);
  CU_ASSERT_EQUAL(print(&a, 64, out), 24);
  CU_ASSERT_STRING_EQUAL(out, "[::ffff:192.0.2.1]:65535");
  a = v6("fe80::1", 1);
  a.addr.sin6.sin6_scope_id = 2; /* not printed */
  CU_ASSERT_EQUAL(print(&a, 64, out), 11);
  CU_ASSERT_STRING_EQUAL(out, "[fe80::1]:1");
  a = v6("::", 0);
  CU_ASSERT_EQUAL(print(&a, 64, out), 6);
  CU_ASSERT_STRING_EQUAL(out, "[::]:0");
}

static void test_print_addr_unix_and_unknown(void) {
  char out[80];
  coap_address_t a = unix_addr("%2Ftmp%2Fsock");
  CU_ASSERT_EQUAL(print(&a, 64, out), 11);
  CU_ASSERT_STRING_EQUAL(out, "'/tmp/sock'");
  CU_ASSERT_EQUAL(print(&a, 5, out), 4);
  CU_ASSERT_STRING_EQUAL(out, "'/tm");
  CU_ASSERT_EQUAL(print(&a, 1, out), 0);
  CU_ASSERT_STRING_EQUAL(out, "");

  coap_address_init(&a);
  CU_ASSERT_EQUAL(print(&a, 64, out), 22);
  CU_ASSERT_STRING_EQUAL(out, "(unknown address type)");
  CU_ASSERT_EQUAL(print(&a, 23, out), 22);
  CU_ASSERT_EQUAL(print(&a, 22, out), 22); /* 4.3.1 returns the buffer size when cut */
  CU_ASSERT_STRING_EQUAL(out, "(unknown address type");
  CU_ASSERT_EQUAL(print(&a, 5, out), 5);
  CU_ASSERT_STRING_EQUAL(out, "(unk");
  CU_ASSERT_EQUAL(print(&a, 1, out), 1);
  CU_ASSERT_STRING_EQUAL(out, "");
  a.addr.sa.sa_family = 99;
  CU_ASSERT_EQUAL(print(&a, 64, out), 22);
  /* As 4.3.1, the last byte of the buffer is cleared too. */
  unsigned char big[30];
  memset(big, '#', sizeof(big));
  CU_ASSERT_EQUAL(coap_print_addr(&a, big, sizeof(big)), 22);
  CU_ASSERT_EQUAL(big[22], '\0');
  CU_ASSERT_EQUAL(big[23], '#');
  CU_ASSERT_EQUAL(big[29], '\0');
}

static void test_print_addr_bad(void) {
  unsigned char buf[8];
  coap_address_t a = v4("1.2.3.4", 5);
  memset(buf, '#', sizeof(buf));
  capi_log_capture_start();
  CU_ASSERT_EQUAL(coap_print_addr(NULL, buf, sizeof(buf)), 0);
  CU_ASSERT_EQUAL(buf[0], '\0');
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_EQUAL(coap_print_addr(&a, NULL, 64), 0);
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  buf[0] = '#';
  CU_ASSERT_EQUAL(coap_print_addr(&a, buf, 0), 0);
  CU_ASSERT_EQUAL(buf[0], '#'); /* nothing written */
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
}

static const char *print_ip(const coap_address_t *a, size_t len, char *buf) {
  memset(buf, '#', 80);
  const char *r = coap_print_ip_addr(a, buf, len);
  CU_ASSERT_PTR_EQUAL(r, buf);
  CU_ASSERT(memchr(buf, '\0', len) != NULL);
  for (size_t i = len; i < 80; i++)
    CU_ASSERT_EQUAL(buf[i], '#');
  return r ? r : "";
}

static void test_print_ip_addr(void) {
  char buf[80];
  coap_address_t a = v4("10.20.30.40", 5683);
  CU_ASSERT_STRING_EQUAL(print_ip(&a, 64, buf), "10.20.30.40");
  CU_ASSERT_STRING_EQUAL(print_ip(&a, INET_ADDRSTRLEN, buf), "10.20.30.40");
  CU_ASSERT_STRING_EQUAL(print_ip(&a, INET_ADDRSTRLEN - 1, buf), "");
  a = v6("2001:db8::1", 5683);
  CU_ASSERT_STRING_EQUAL(print_ip(&a, INET6_ADDRSTRLEN, buf), "2001:db8::1");
  CU_ASSERT_STRING_EQUAL(print_ip(&a, INET6_ADDRSTRLEN - 1, buf), "");
  a = unix_addr("/tmp/sock");
  CU_ASSERT_STRING_EQUAL(print_ip(&a, 64, buf), "'/tmp/sock'");
  CU_ASSERT_STRING_EQUAL(print_ip(&a, 4, buf), "'/t");
  coap_address_init(&a);
  CU_ASSERT_STRING_EQUAL(print_ip(&a, 64, buf), "(unknown address type)");
  CU_ASSERT_STRING_EQUAL(print_ip(&a, 8, buf), "(unknow");
  CU_ASSERT_STRING_EQUAL(print_ip(&a, 1, buf), "");
}

/* IPv6 text must be what inet_ntop() gives. */
static void test_print_ip_addr_matches_inet_ntop(void) {
  static const char *ips[] = {"::", "::1", "::2", "1::", "::1:0:0:0:1", "1:0:0:1::",
                              "2001:db8:0:1:0:0:0:1", "2001:0:0:1:1:0:0:1",
                              "2001:db8:1:1:1:1:0:1", "::ffff:192.0.2.1", "::1.2.3.4",
                              "::ffff:0:1.2.3.4", "64:ff9b::1.2.3.4", "fe80::1:2:3:4",
                              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0:0:1::"};
  char buf[80], expect[INET6_ADDRSTRLEN];
  for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
    coap_address_t a = v6(ips[i], 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inet_ntop(AF_INET6, &a.addr.sin6.sin6_addr, expect, sizeof(expect)));
    CU_ASSERT_STRING_EQUAL(print_ip(&a, sizeof(buf), buf), expect);
  }
}

static void test_print_ip_addr_bad(void) {
  char buf[8];
  coap_address_t a = v4("1.2.3.4", 5);
  memset(buf, '#', sizeof(buf));
  capi_log_capture_start();
  CU_ASSERT_PTR_NULL(coap_print_ip_addr(NULL, buf, sizeof(buf)));
  CU_ASSERT_EQUAL(buf[0], '\0');
  CU_ASSERT_EQUAL(capi_log_calls, 1);
  CU_ASSERT_PTR_NULL(coap_print_ip_addr(&a, NULL, 64));
  CU_ASSERT_EQUAL(capi_log_calls, 2);
  buf[0] = '#';
  CU_ASSERT_PTR_NULL(coap_print_ip_addr(&a, buf, 0));
  CU_ASSERT_EQUAL(buf[0], '#');
  CU_ASSERT_EQUAL(capi_log_calls, 3);
  capi_log_capture_stop();
}

void register_address(void) {
  static const capi_test_t tests[] = {
      {"coap_address_init", test_init},
      {"NULL arguments", test_null_args},
      {"get/set port", test_ports},
      {"ports of AF_UNIX and AF_UNSPEC", test_ports_other_families},
      {"coap_address_copy", test_copy},
      {"coap_address_equals", test_equals},
      {"coap_address_set_unix_domain", test_set_unix_domain},
      {"coap_address_set_unix_domain lengths", test_set_unix_domain_lengths},
      {"coap_address_set_unix_domain bad input", test_set_unix_domain_bad},
      {"coap_host_is_unix_domain", test_host_is_unix_domain},
      {"coap_is_mcast", test_is_mcast},
      {"coap_is_bcast", test_is_bcast},
      {"coap_is_bcast of interface broadcasts", test_is_bcast_interface},
      {"coap_is_af_unix", test_is_af_unix},
      {"coap_address_isany (inline)", test_isany_inline},
      {"coap_print_addr IPv4", test_print_addr_ipv4},
      {"coap_print_addr IPv6", test_print_addr_ipv6},
      {"coap_print_addr AF_UNIX and unknown", test_print_addr_unix_and_unknown},
      {"coap_print_addr bad arguments", test_print_addr_bad},
      {"coap_print_ip_addr", test_print_ip_addr},
      {"coap_print_ip_addr matches inet_ntop", test_print_ip_addr_matches_inet_ntop},
      {"coap_print_ip_addr bad arguments", test_print_ip_addr_bad},
      {NULL, NULL}};
  capi_add_suite("address", tests);
}
