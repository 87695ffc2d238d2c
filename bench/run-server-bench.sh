#!/usr/bin/env bash
# The same server program (examples/server.c) built against this library
# and against Debian's libcoap, driven by the same load generator
# (bench/coap-bench.c) in the same run. Server on CPU 0, load on CPU 1.
# Prints each figure and the ratio ours / libcoap.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench
secs=${BENCH_SECS:-3}
idle=${BENCH_IDLE:-10000}
mkdir -p "$out"
if [ ! -e /usr/include/coap3/coap.h ]; then
  echo "server-bench: Debian's libcoap3-dev is not installed; skipped"; exit 0
fi
cc -O2 -o "$out/coap-bench" "$top/bench/coap-bench.c"
cc -O2 -I"$top/include" -o "$out/server-ours" "$top/examples/server.c" -L"$top/build" -lcoap-3-openssl \
  -Wl,-rpath,"$top/build"
cc -O2 -o "$out/server-libcoap" "$top/examples/server.c" -lcoap-3-openssl
port=$((30000 + RANDOM % 20000))

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# run IMPL ARGS...: one fresh server, one load run; prints the RESULT line
# plus the server's RSS growth in kB.
run() {
  local impl=$1; shift
  taskset -c 0 "$out/server-$impl" -A 127.0.0.1 -p $port & local pid=$!
  sleep 0.3
  local before; before=$(rss_kb $pid)
  local line; line=$(taskset -c 1 "$out/coap-bench" -p $port "$@" | grep '^RESULT')
  local after; after=$(rss_kb $pid)
  kill $pid; wait $pid 2>/dev/null || true
  port=$((port + 1))
  echo "$line rss_growth_kb=$((after - before))"
}

declare -A R
for impl in ours libcoap; do
  R[$impl,1x1]=$(run $impl -s 1 -w 1 -d "$secs")
  R[$impl,1x16]=$(run $impl -s 1 -w 16 -d "$secs")
  R[$impl,64x4]=$(run $impl -s 64 -w 4 -d "$secs")
  R[$impl,idle]=$(run $impl -s 1 -w 16 -d "$secs" -i "$idle")
done
python3 - "$idle" \
  "${R[ours,1x1]}" "${R[ours,1x16]}" "${R[ours,64x4]}" "${R[ours,idle]}" \
  "${R[libcoap,1x1]}" "${R[libcoap,1x16]}" "${R[libcoap,64x4]}" "${R[libcoap,idle]}" <<'PY'
import sys
idle = int(sys.argv[1])
def kv(line): return dict(x.split('=') for x in line.split()[1:])
o = [kv(l) for l in sys.argv[2:6]]
t = [kv(l) for l in sys.argv[6:10]]
rows = [
  ('req/s 1x1', float(o[0]['rps']), float(t[0]['rps'])),
  ('p50 us 1x1', float(o[0]['p50']), float(t[0]['p50'])),
  ('req/s 1x16', float(o[1]['rps']), float(t[1]['rps'])),
  ('p99 us 1x16', float(o[1]['p99']), float(t[1]['p99'])),
  ('req/s 64x4', float(o[2]['rps']), float(t[2]['rps'])),
  ('req/s 1x16, %d idle' % idle, float(o[3]['rps']), float(t[3]['rps'])),
  ('idle/busy throughput', float(o[3]['rps']) / float(o[1]['rps']), float(t[3]['rps']) / float(t[1]['rps'])),
  ('RSS kB per idle session', float(o[3]['rss_growth_kb']) / idle, float(t[3]['rss_growth_kb']) / idle),
  ('new sessions/s', float(o[3]['new_sessions_per_s']), float(t[3]['new_sessions_per_s'])),
]
print('%-28s %12s %12s %8s' % ('server (examples/server.c)', 'ours', 'libcoap', 'ratio'))
for name, a, b in rows:
    ratio = a / b if b else float('inf')
    print('%-28s %12.2f %12.2f %7.2fx' % (name, a, b, ratio))
PY
