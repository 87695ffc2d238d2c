#!/usr/bin/env bash
# Builds bench/pdu-bench.c against this library and against Debian's
# libcoap, runs both (best of 5 rounds each) and prints ns per PDU and the
# ratio libcoap / ours (above 1 means we are faster).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench
mkdir -p "$out"
iters=${PDU_BENCH_ITERS:-300000}
if [ ! -e /usr/include/coap3/coap.h ]; then
  echo "pdu-bench: Debian's libcoap3-dev is not installed; skipped"; exit 0
fi
cc -O2 -I"$top/include" -o "$out/pdu-bench-ours" "$top/bench/pdu-bench.c" \
  -L"$top/build" -lcoap-3-openssl -Wl,-rpath,"$top/build"
cc -O2 -o "$out/pdu-bench-libcoap" "$top/bench/pdu-bench.c" -lcoap-3-openssl
ours=$(taskset -c 0 "$out/pdu-bench-ours" "$iters" | grep '^RESULT')
theirs=$(taskset -c 0 "$out/pdu-bench-libcoap" "$iters" | grep '^RESULT')
python3 - "$ours" "$theirs" <<'PY'
import sys
def parse(line):
    return dict(kv.split('=') for kv in line.split()[1:])
ours, theirs = parse(sys.argv[1]), parse(sys.argv[2])
print('%-16s %12s %12s %8s' % ('ns per PDU', 'ours', 'libcoap', 'ratio'))
for k in ours:
    o, t = float(ours[k]), float(theirs[k])
    print('%-16s %12.1f %12.1f %7.2fx' % (k, o, t, t / o))
PY
