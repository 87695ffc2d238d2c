/*
 * The variadic half of coap_logging(3). Stable Rust cannot define C-variadic
 * functions, so coap_log_impl formats here and hands the text to Rust
 * (src/ffi/logging.rs). Names not starting with coap_ stay local to the
 * shared library through its version script.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void rs_coap_log_deliver(unsigned int level, const char *msg, size_t len);
void rs_coap_log_install(void);

__attribute__((visibility("default"))) void
coap_log_impl(unsigned int level, const char *format, ...) {
  char small[512];
  va_list ap, again;
  int n;

  /* No level test here: the coap_log()/coap_dtls_log() macros test the
   * general or the DTLS level before calling, as with libcoap. */
  if (!format) {
    static const char missing[] = "coap_log_impl: format is NULL\n";
    rs_coap_log_deliver(level, missing, sizeof(missing) - 1);
    return;
  }
  va_start(ap, format);
  va_copy(again, ap);
  n = vsnprintf(small, sizeof(small), format, ap);
  va_end(ap);
  if (n < 0) {
    static const char bad[] = "coap_log_impl: cannot format message\n";
    rs_coap_log_deliver(level, bad, sizeof(bad) - 1);
  } else if ((size_t)n < sizeof(small)) {
    rs_coap_log_deliver(level, small, (size_t)n);
  } else {
    /* Long messages are delivered whole, as libcoap's fprintf path does. */
    char *big = malloc((size_t)n + 1);
    if (big) {
      vsnprintf(big, (size_t)n + 1, format, again);
      rs_coap_log_deliver(level, big, (size_t)n);
      free(big);
    } else {
      rs_coap_log_deliver(level, small, sizeof(small) - 1);
    }
  }
  va_end(again);
}

/* Default sink: C stdio, so log lines interleave with the program's own
 * printf output exactly as with libcoap. */
void rs_coap_log_write(int to_stderr, const char *text, size_t len) {
  FILE *f = to_stderr ? stderr : stdout;
  fwrite(text, 1, len, f);
  fflush(f);
}

__attribute__((constructor)) static void coap_rs_shim_init(void) {
  rs_coap_log_install();
}
