#!/usr/bin/env bash
# DTLS-PSK figures: the same server program (examples/server.c, -k key:
# coaps on port+1) built against this library and against Debian's libcoap,
# driven by the same load generator (bench/dtls-load.c, on OpenSSL alone, so
# only the server side changes and the load side costs less than either
# server) in the same run. Handshakes are measured with the cipher suite
# OpenSSL's defaults pick (what libcoap's client gets:
# ECDHE-PSK-CHACHA20-POLY1305) and with CoAP's mandatory PSK suite
# (RFC 7252 9.1.3.1, TLS_PSK_WITH_AES_128_CCM_8). Server on CPU 0, load on
# CPU 1. Each figure is the median of $BENCH_RUNS runs, each on a fresh
# server; ratios are ours / libcoap.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench
secs=${BENCH_SECS:-3}
runs=${BENCH_RUNS:-3}
sessions=${BENCH_DTLS_SESSIONS:-1000}
mkdir -p "$out"
if [ ! -e /usr/include/coap3/coap.h ]; then
  echo "dtls-bench: Debian's libcoap3-dev is not installed; skipped"; exit 0
fi
cc -O2 -o "$out/dtls-load" "$top/bench/dtls-load.c" -lssl -lcrypto
cc -O2 -I"$top/include" -o "$out/server-ours" "$top/examples/server.c" -L"$top/build" -lcoap-3-openssl \
  -Wl,-rpath,"$top/build"
cc -O2 -o "$out/server-libcoap" "$top/examples/server.c" -lcoap-3-openssl
port=$((30000 + RANDOM % 20000))
ulimit -n "$(ulimit -Hn)"

# run IMPL ARGS...: one fresh server, one load run; prints the RESULT line.
run() {
  local impl=$1; shift
  taskset -c 0 "$out/server-$impl" -A 127.0.0.1 -p $port -k secretkey & local pid=$!
  sleep 0.3
  local line
  line=$(taskset -c 1 "$out/dtls-load" -p $((port + 1)) -S $pid "$@" | grep '^RESULT') || line=RESULT
  kill $pid; wait $pid 2>/dev/null || true
  port=$((port + 2))
  echo "$line"
}

results=()
for _ in $(seq "$runs"); do
  for impl in ours libcoap; do
    results+=("$impl hs10 $(run $impl -n "$sessions" -c 10)")
    results+=("$impl hs50 $(run $impl -n "$sessions" -c 50)")
    results+=("$impl ccm10 $(run $impl -n "$sessions" -c 10 -C PSK-AES128-CCM8)")
    results+=("$impl ccm50 $(run $impl -n "$sessions" -c 50 -C PSK-AES128-CCM8)")
    results+=("$impl req1 $(run $impl -n 1 -w 1 -d "$secs")")
    results+=("$impl req16 $(run $impl -n 1 -w 16 -d "$secs")")
  done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
sessions = int(sys.argv[1])
runs = {}
for line in sys.stdin:
    impl, kind, _, *kvs = line.split()
    d = dict(x.split("=") for x in kvs)
    runs.setdefault((impl, kind), []).append(d)
def med(impl, kind, key):
    vals = [float(d[key]) for d in runs[(impl, kind)] if key in d]
    return statistics.median(vals) if vals else float("nan")
rows = [
  ("ECDHE handshakes/s, c=10", "hs10", "hs_per_s"),
  ("ECDHE handshake p50 ms, c=10", "hs10", "hs_p50_ms"),
  ("ECDHE server us per hs", "hs10", "server_us_per_hs"),
  ("ECDHE load client us per hs", "hs10", "client_us_per_hs"),
  ("ECDHE handshakes/s, c=50", "hs50", "hs_per_s"),
  ("CCM_8 handshakes/s, c=10", "ccm10", "hs_per_s"),
  ("CCM_8 handshakes/s, c=50", "ccm50", "hs_per_s"),
  ("CCM_8 server us per hs", "ccm10", "server_us_per_hs"),
  ("CCM_8 load client us per hs", "ccm10", "client_us_per_hs"),
  ("RSS kB per live session", "hs10", "rss_kb_per_session"),
  ("req/s 1x1", "req1", "rps"),
  ("p50 us 1x1", "req1", "p50_us"),
  ("req/s 1x16", "req16", "rps"),
  ("p99 us 1x16", "req16", "p99_us"),
  ("server us per request 1x16", "req16", "server_us_per_req"),
  ("load client us per req 1x16", "req16", "client_us_per_req"),
]
print("%-28s %12s %12s %8s" % ("DTLS-PSK (%d sessions)" % sessions, "ours", "libcoap", "ratio"))
for name, kind, key in rows:
    a, b = med("ours", kind, key), med("libcoap", kind, key)
    print("%-28s %12.2f %12.2f %7.2fx" % (name, a, b, a / b if b else float("inf")))
# What the server could do with a whole CPU: a wall-clock rate above is
# capped by the load client (one CPU) whenever its CPU per operation nears
# the time per operation, as with ECDHE, where both sides do the same
# key exchange.
for name, kind, key in [("ECDHE capacity hs/CPU-s", "hs10", "server_us_per_hs"),
                        ("CCM_8 capacity hs/CPU-s", "ccm10", "server_us_per_hs"),
                        ("server capacity req/CPU-s", "req16", "server_us_per_req")]:
    a, b = 1e6 / med("ours", kind, key), 1e6 / med("libcoap", kind, key)
    print("%-28s %12.0f %12.0f %7.2fx" % (name, a, b, a / b))
fails = sum(int(d.get("hs_failed", 0)) + int(d.get("req_failed", 0)) for v in runs.values() for d in v)
if fails:
    print("failed handshakes or requests over all runs: %d" % fails)
' "$sessions"
