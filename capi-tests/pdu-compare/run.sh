#!/bin/sh
# Builds capi-tests/pdu-compare/table.c against this library and against
# Debian's libcoap, runs both and diffs the PDUs they print (see table.c).
# Entries Debian's 4.3.1 cannot build print "skip" and are left out.
set -eu
cd "$(dirname "$0")/../.."
out=build/pdu-compare
mkdir -p "$out"
if [ ! -e /usr/include/coap3/coap.h ] || ! ls /usr/lib/*/libcoap-3-openssl.so >/dev/null 2>&1; then
  echo "check-pdu-compare: Debian's libcoap3-dev is not installed; skipped"
  exit 0
fi
cc -std=gnu11 -O1 -Wall -Wextra -Werror -DHAVE_URI_INTO_OPTIONS -Iinclude -o "$out/ours" \
  capi-tests/pdu-compare/table.c -Lbuild -lcoap-3-openssl -Wl,-rpath,"$(pwd)/build"
# Debian's header and library from the system paths (no -Iinclude here).
cc -std=gnu11 -O1 -Wall -Wextra -Werror -o "$out/debian" capi-tests/pdu-compare/table.c -lcoap-3-openssl
LD_LIBRARY_PATH="$(pwd)/build" "$out/ours" > "$out/ours.txt"
env -u LD_LIBRARY_PATH "$out/debian" > "$out/debian.txt"
skipped=$(awk '$2 == "skip" { print $1 }' "$out/debian.txt")
filter() {
  awk -v skip=" $(echo $skipped) " 'index(skip, " " $1 " ") == 0' "$1"
}
filter "$out/ours.txt" > "$out/ours.cmp"
filter "$out/debian.txt" > "$out/debian.cmp"
if grep -q ' skip$' "$out/ours.cmp"; then
  echo "check-pdu-compare: this library refused an entry Debian's libcoap builds"; exit 1
fi
if ! diff -u "$out/debian.cmp" "$out/ours.cmp"; then
  echo "check-pdu-compare: PDUs differ from Debian's libcoap (see above)"; exit 1
fi
n=$(wc -l < "$out/ours.cmp")
echo "check-pdu-compare: $n PDUs identical to Debian's libcoap ($(echo $skipped | wc -w) 4.3.3-only entries not compared)"
