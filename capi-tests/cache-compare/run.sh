#!/bin/sh
# Builds capi-tests/cache-compare/keys.c against this library and against
# Debian's libcoap, runs both and diffs the cache keys and entry behaviour
# they print. Table entries Debian's 4.3.1 cannot build print "skip" and are
# left out.
set -eu
cd "$(dirname "$0")/../.."
out=build/cache-compare
mkdir -p "$out"
if [ ! -e /usr/include/coap3/coap.h ] || ! ls /usr/lib/*/libcoap-3-openssl.so >/dev/null 2>&1; then
  echo "check-cache-compare: Debian's libcoap3-dev is not installed; skipped"
  exit 0
fi
# SHA256_* are deprecated in OpenSSL 3 but are the shortest way to state the rule.
flags="-std=gnu11 -O1 -Wall -Wextra -Werror -Wno-deprecated-declarations"
cc $flags -DHAVE_URI_INTO_OPTIONS -Iinclude -o "$out/ours" capi-tests/cache-compare/keys.c \
  -Lbuild -lcoap-3-openssl -lcrypto -Wl,-rpath,"$(pwd)/build"
cc $flags -o "$out/debian" capi-tests/cache-compare/keys.c -lcoap-3-openssl -lcrypto
LD_LIBRARY_PATH="$(pwd)/build" "$out/ours" > "$out/ours.txt"
env -u LD_LIBRARY_PATH "$out/debian" > "$out/debian.txt"
skipped=$(awk '$2 == "skip" { print $1 }' "$out/debian.txt")
filter() {
  awk -v skip=" $(echo $skipped) " 'index(skip, " " $1 " ") == 0' "$1"
}
filter "$out/ours.txt" > "$out/ours.cmp"
filter "$out/debian.txt" > "$out/debian.cmp"
if grep -q ' skip$' "$out/ours.cmp"; then
  echo "check-cache-compare: this library refused an entry Debian's libcoap builds"; exit 1
fi
if ! diff -u "$out/debian.cmp" "$out/ours.cmp"; then
  echo "check-cache-compare: cache keys or entries differ from Debian's libcoap (see above)"; exit 1
fi
if grep -q 'session-rule=0' "$out/ours.cmp"; then
  echo "check-cache-compare: a session-based key does not follow the rule"; exit 1
fi
n=$(grep -c ' key=' "$out/ours.cmp")
echo "check-cache-compare: $n PDUs x 3 keys identical to Debian's libcoap, session-based keys follow its rule, $(grep -vc ' key=' "$out/ours.cmp") entry-behaviour lines identical"
