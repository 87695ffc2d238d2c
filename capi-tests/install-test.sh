#!/usr/bin/env bash
# `make install` into a temporary prefix, then build and run a program the
# way a user does: cc app.c $(pkg-config --cflags --libs libcoap-3-openssl).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/opt/coap-install-test
make -s -C "$top" install PREFIX=$prefix DESTDIR="$tmp" >/dev/null
root="$tmp$prefix"
for f in lib/libcoap-3-openssl.so.3.1.0 lib/libcoap-3-openssl.so.3 lib/libcoap-3-openssl.so \
         lib/pkgconfig/libcoap-3-openssl.pc lib/pkgconfig/libcoap-3.pc \
         include/coap3/coap.h include/coap3/coap_pdu.h include/coap3/coap_debug.h; do
  [ -e "$root/$f" ] || { echo "install-test: $f missing"; exit 1; }
done
[ "$(readlink "$root/lib/libcoap-3-openssl.so.3")" = libcoap-3-openssl.so.3.1.0 ] || {
  echo "install-test: bad soname link"; exit 1; }

cat > "$tmp/app.c" <<'C'
/* Tunables a program may set before the include, as libcoap's own
   coap-server.c does with COAP_RESOURCE_CHECK_TIME: no redefinition warning. */
#define COAP_RESOURCE_CHECK_TIME 1
#define COAP_DEFAULT_MTU 1280
#define COAP_ERR_FD stdout
#define COAP_UNUSED __attribute__((unused))
#define COAP_MAX_LOGGING_LEVEL 4
#include <coap3/coap_debug.h>
#include <coap3/coap.h>
#include <stdio.h>
#include <string.h>
#if COAP_RESOURCE_CHECK_TIME != 1 || COAP_DEFAULT_MTU != 1280 || COAP_MAX_BLOCK_SZX != 6
#error "a tunable set before the include was overridden, or one left alone is missing"
#endif
/* Declared, never defined: the coap_log_debug() below must compile away. */
int never_defined(void);
int main(void) {
  coap_str_const_t *s;
  coap_startup();
  coap_set_log_level(LOG_WARNING); /* the syslog name older programs use */
  coap_log(LOG_DEBUG, "below the level\n");
  coap_log_debug("above COAP_MAX_LOGGING_LEVEL %d\n", never_defined());
  coap_set_log_level(COAP_LOG_INFO);
  s = coap_new_str_const((const uint8_t *)"hi", 2);
  if (!s || s->length != 2 || strcmp(coap_package_version(), "4.3.3") != 0)
    return 1;
  coap_delete_str_const(s);
  printf("installed %s %s\n", coap_package_name(), coap_package_version());
  coap_cleanup();
  return 0;
}
C
# pkg-config must see only the temporary prefix: rewrite its prefix line.
sed -i "s|^prefix=.*|prefix=$root|; s|^libdir=.*|libdir=$root/lib|" \
  "$root/lib/pkgconfig/libcoap-3-openssl.pc" "$root/lib/pkgconfig/libcoap-3.pc"
export PKG_CONFIG_PATH="$root/lib/pkgconfig" PKG_CONFIG_LIBDIR="$root/lib/pkgconfig"
for pc in libcoap-3-openssl libcoap-3; do
  # shellcheck disable=SC2046
  ${CC:-cc} -Wall -Werror -o "$tmp/app-$pc" "$tmp/app.c" $(pkg-config --cflags --libs $pc)
  out=$(LD_LIBRARY_PATH="$root/lib" "$tmp/app-$pc")
  [ "$out" = "installed libcoap 4.3.3" ] || { echo "install-test: $pc app printed: $out"; exit 1; }
  # C++ programs include the same header.
  if command -v ${CXX:-c++} >/dev/null; then
    # shellcheck disable=SC2046
    ${CXX:-c++} -x c++ -Wall -Werror -o "$tmp/app-cxx" "$tmp/app.c" $(pkg-config --cflags --libs $pc)
    [ "$(LD_LIBRARY_PATH="$root/lib" "$tmp/app-cxx")" = "installed libcoap 4.3.3" ] || {
      echo "install-test: C++ build of the app failed to run"; exit 1; }
    # Every exported function is declared with C linkage: a C++ program
    # taking each one's address links against the library.
    { echo '#include <coap3/coap.h>'; echo 'void *fns[] = {'
      nm -D --defined-only "$root/lib/libcoap-3-openssl.so.3" | awk '$2 == "T" && $3 ~ /^coap_/ {print $3}' |
        sed 's/@.*//; s/.*/  (void *)\&&,/' | sort -u
      echo '};'; echo 'int main() { return fns[0] == 0; }'; } > "$tmp/allfns.cc"
    # shellcheck disable=SC2046
    ${CXX:-c++} -Wall -Werror -o "$tmp/allfns" "$tmp/allfns.cc" $(pkg-config --cflags --libs $pc)
    LD_LIBRARY_PATH="$root/lib" "$tmp/allfns"
  fi
  # It must run on the installed library, not on a system libcoap.
  LD_LIBRARY_PATH="$root/lib" ldd "$tmp/app-$pc" | grep -q "$root/lib/libcoap-3-openssl.so.3" || {
    echo "install-test: $pc app did not load the installed library"; exit 1; }
done
echo "install-test: make install + pkg-config build and run: ok"
