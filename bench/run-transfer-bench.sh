#!/usr/bin/env bash
# Block-wise and observe throughput, each program built once against this
# library and once against Debian's libcoap and run in the same session:
#  - 1 MB PUT then GET block-wise (1024-byte blocks) between the example
#    client and server, best of a few runs;
#  - the same 1 MB over Q-Block (RFC 9177, NON bursts) between Debian's
#    libcoap 4.3.4 coap-client and coap-server (tools/libcoap-434), run on
#    4.3.4's library and then both on ours (4.3.1 has no Q-Block);
#  - notifications per second to 1,000 observers (bench/observe-bench.c).
# Prints each figure and the ratio (higher is better for ours).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench
runs=${BENCH_RUNS:-3}
mkdir -p "$out"
if [ ! -e /usr/include/coap3/coap.h ]; then
  echo "transfer-bench: Debian's libcoap3-dev is not installed; skipped"; exit 0
fi
for prog in server client; do
  cc -O2 -I"$top/include" -o "$out/$prog-ours" "$top/examples/$prog.c" -L"$top/build" -lcoap-3-openssl \
    -Wl,-rpath,"$top/build"
  cc -O2 -o "$out/$prog-libcoap" "$top/examples/$prog.c" -lcoap-3-openssl
done
cc -O2 -I"$top/include" -o "$out/observe-ours" "$top/bench/observe-bench.c" -L"$top/build" -lcoap-3-openssl \
  -Wl,-rpath,"$top/build"
cc -O2 -o "$out/observe-libcoap" "$top/bench/observe-bench.c" -lcoap-3-openssl
head -c 1048576 /dev/urandom >"$out/1mb"
port=$((30000 + RANDOM % 20000))
ulimit -n 4096

# best UNIT CMD...: the best time of `runs` runs of CMD, in ns / UNIT.
best() {
  local unit=$1 b=
  shift
  for _ in $(seq "$runs"); do
    local t0 t1 v
    t0=$(date +%s%N)
    "$@" || return 1
    t1=$(date +%s%N)
    v=$(((t1 - t0) / unit))
    if [ -z "$b" ] || [ "$v" -lt "$b" ]; then b=$v; fi
  done
  echo "$b"
}
# putget CLIENT... -- PATH: PUT the 1 MB body, GET it back, identical.
putget() {
  local c=()
  while [ "$1" != "--" ]; do c+=("$1"); shift; done
  rm -f "$out/got"
  "${c[@]}" -m put -f "$out/1mb" "$2" >/dev/null 2>&1 && "${c[@]}" -o "$out/got" "$2" >/dev/null 2>&1 &&
    cmp -s "$out/1mb" "$out/got" || { echo "transfer-bench: body differs (${c[*]})" >&2; return 1; }
}
# measure SERVER-CMD -- CLIENT-CMD: "best ms of PUT+GET, best tenths of ms of
# a one-block GET" (process and library start-up plus one round trip, to
# take out of the figure).
measure() {
  local srv=()
  while [ "$1" != "--" ]; do srv+=("$1"); shift; done
  shift
  taskset -c 0 "${srv[@]}" >/dev/null 2>&1 & local pid=$!
  sleep 0.3
  local t b
  t=$(best 1000000 putget taskset -c 1 "$@" -- coap://127.0.0.1:$port/$path) || { kill $pid; exit 1; }
  b=$(best 100000 taskset -c 1 "$@" -o /dev/null coap://127.0.0.1:$port/time) || { kill $pid; exit 1; }
  kill $pid; wait $pid 2>/dev/null || true
  port=$((port + 1))
  echo "$t $b"
}
# transfer IMPL: the example programs, CON, 1024-byte blocks.
transfer() {
  path=data measure "$out/server-$1" -A 127.0.0.1 -p $port -- "$out/client-$1" -b 1024
}
# qtransfer run|ours: libcoap 4.3.4's programs over Q-Block, NON, on 4.3.4
# or both on ours.
qtransfer() {
  path=example_data measure "$t434" $1 coap-server-openssl -A 127.0.0.1 -p $port -L 5 -- \
    "$t434" $1 coap-client-openssl -L 5 -N -b 1024
}
observe() {
  local impl=$1
  taskset -c 0 "$out/observe-$impl" -p $port -n 1000 -d 3 | sed -n 's/.*notifications_per_s=//p'
  port=$((port + 1))
}
t_ours=$(transfer ours); t_lib=$(transfer libcoap)
t434=$top/tools/libcoap-434 q_ours="0 0" q_lib="0 0"
if "$t434" fetch >/dev/null 2>&1; then
  export OURS_LIB_DIR=$top/build
  q_ours=$(qtransfer ours); q_lib=$(qtransfer run)
else
  echo "transfer-bench: libcoap 4.3.4 not available; Q-Block transfer skipped"
fi
o_ours=$(observe ours); o_lib=$(observe libcoap)
python3 - $t_ours $t_lib $q_ours $q_lib "$o_ours" "$o_lib" <<'PY'
import sys
# Transfer figures: best ms of PUT+GET, and best tenths of ms of a one-block
# GET (process start-up, library start-up, one round trip), which the net
# rows take out twice (two processes per PUT+GET).
t_o, b_o, t_l, b_l, q_o, qb_o, q_l, qb_l, o_o, o_l = map(float, sys.argv[1:])
row = lambda name, a, b, r: print('%-46s %10.1f %10.1f %7.2fx' % (name, a, b, r))
print('%-46s %10s %10s %8s' % ('block-wise and observe', 'ours', 'libcoap', 'ratio'))
row('1 MB PUT+GET, 1024-byte blocks, ms', t_o, t_l, t_l / t_o)
n_o, n_l = t_o - 2 * b_o / 10, t_l - 2 * b_l / 10
row('  net of 2 process start-ups, ms', n_o, n_l, n_l / n_o)
if q_o and q_l:
    row('1 MB PUT+GET, Q-Block NON 1024 (4.3.4), ms', q_o, q_l, q_l / q_o)
    n_o, n_l = q_o - 2 * qb_o / 10, q_l - 2 * qb_l / 10
    row('  net of 2 process start-ups, ms', n_o, n_l, n_l / n_o)
row('notifications/s, 1000 observers', o_o, o_l, o_o / o_l)
PY
