#!/usr/bin/env bash
# Q-Block (RFC 9177) client side against a real Q-Block server: Debian's
# libcoap 4.3.4 coap-client-openssl running on our library talks to
# 4.3.4's coap-server-openssl on 4.3.4's own library (tools/libcoap-434).
# Also the fallback: the same client against Debian's 4.3.1 server, which
# has no Q-Block, must end up doing Block1/Block2.
# Prints "ok NAME" / "FAIL NAME" lines and "skip ..." when 4.3.4 cannot be
# fetched.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
t434=$top/tools/libcoap-434
export OURS_LIB_DIR=$top/build
if ! "$t434" fetch >/dev/null 2>&1; then
  echo "skip Q-Block client interop: Debian's libcoap 4.3.4 could not be fetched"
  exit 0
fi
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
base=$((41000 + RANDOM % 20000))
q=$base plain=$((base + 1)) lossy=$((base + 2))
"$t434" run coap-server-openssl -A 127.0.0.1 -p $q -L 5 >/dev/null 2>&1 & pids+=($!)
env -u LD_LIBRARY_PATH coap-server-openssl -A 127.0.0.1 -p $plain >/dev/null 2>&1 & pids+=($!)
# Drops 4.3.4 server datagrams 5 and 20: two gaps in the first download.
"$t434" run coap-server-openssl -A 127.0.0.1 -p $lossy -L 5 -l 5,20 >/dev/null 2>&1 & pids+=($!)
# Both ends on our library.
both=$((base + 3))
"$t434" ours coap-server-openssl -A 127.0.0.1 -p $both -L 5 >/dev/null 2>&1 & pids+=($!)
sleep 0.5
head -c 100000 /dev/urandom > "$work/body"

result() { if [ "$2" = 0 ]; then echo "ok $1"; else echo "FAIL $1"; sed 's/^/  /' "$work/log" | tail -n 15; fi; }
ours() { timeout "$1" "$t434" ours coap-client-openssl "${@:2}" >"$work/log" 2>&1; }

# put_get NAME PORT ARGS...: PUT the body, GET it back, identical.
put_get() {
  local name=$1 port=$2 rc=0
  shift 2
  rm -f "$work/got"
  local t0=$(date +%s%N)
  ours 30 "$@" -m put -f "$work/body" coap://127.0.0.1:$port/example_data || rc=1
  ours 30 "$@" -o "$work/got" coap://127.0.0.1:$port/example_data || rc=1
  cmp -s "$work/body" "$work/got" || rc=1
  echo "time $(( ($(date +%s%N) - t0) / 1000000 )) ms" >> "$work/log"
  result "$name" $rc
  [ -n "${QB_TIMES:-}" ] && tail -n 1 "$work/log"
}
for type in NON CON; do
  flag=; [ $type = NON ] && flag=-N
  for size in 16 256 1024; do
    put_get "4.3.4 client on our .so -> 4.3.4 server, Q-Block $type PUT+GET 100 kB at $size" $q -L 5 -b $size $flag
  done
done

for type in NON CON; do
  flag=; [ $type = NON ] && flag=-N
  for size in 16 1024; do
    put_get "4.3.4 client and server both on our .so, Q-Block $type PUT+GET 100 kB at $size" $both -L 5 -b $size $flag
  done
done
ours 20 -L 5 -b 256 -N -v 7 -m put -f "$work/body" coap://127.0.0.1:$q/example_data
grep -q "Q-Block1:1/M/256" "$work/log"; result "the application's block size (-b 256) is kept" $?

# The probe's answer decides; the debug log says which way it went.
ours 10 -L 5 -v 7 coap://127.0.0.1:$q/
grep -q "Q-Block support available" "$work/log"; result "probe finds Q-Block at a 4.3.4 server" $?
ours 10 -L 5 -v 7 coap://127.0.0.1:$both/
grep -q "Q-Block support available" "$work/log"; result "probe finds Q-Block at 4.3.4's server program on our .so" $?
ours 10 -L 5 -v 7 coap://127.0.0.1:$plain/
grep -q "Q-Block support not available" "$work/log"; result "probe falls back at a 4.3.1 server" $?
put_get "4.3.4 client on our .so -> 4.3.1 server (no Q-Block), falls back to Block1/Block2 at 256" $plain -L 5 -b 256 -N

# Loss: our client drops its 4th and 13th datagram (pieces 2 and 11); the
# server's 4.08 missing-blocks list brings them back.
rc=0
ours 40 -L 5 -b 1024 -N -l 4,13 -m put -f "$work/body" coap://127.0.0.1:$q/example_data || rc=1
rm -f "$work/got"
timeout 20 "$t434" run coap-client-openssl -o "$work/got" coap://127.0.0.1:$q/example_data >/dev/null 2>&1 || rc=1
cmp -s "$work/body" "$work/got" || rc=1
result "Q-Block1 upload with 2 pieces lost, recovered from the 4.08 list" $rc

# The lossy server loses two pieces of its answer: asked for again. Its
# drop list is spent after that, so a second GET gives the reference.
rc=0
rm -f "$work/got" "$work/ref"
ours 40 -L 5 -b 16 -N -o "$work/got" coap://127.0.0.1:$lossy/example_data || rc=1
timeout 20 "$t434" run coap-client-openssl -o "$work/ref" coap://127.0.0.1:$lossy/example_data >/dev/null 2>&1 || rc=1
[ -s "$work/ref" ] && cmp -s "$work/ref" "$work/got" || rc=1
result "Q-Block2 download with 2 pieces lost, gaps asked for again" $rc

# Observe with Q-Block2: the registration answer, a 100 kB notification
# made by a PUT, and the answer to the deregistration GET each arrive
# whole (the last one used to reach the application as its first block).
head -c 100000 /dev/urandom > "$work/body2"
cat "$work/body" "$work/body2" "$work/body2" > "$work/want"
for flag in -N ""; do
  rc=0
  rm -f "$work/got"
  timeout 20 "$t434" run coap-client-openssl -L 5 $flag -m put -f "$work/body" coap://127.0.0.1:$q/example_data >/dev/null 2>&1 || rc=1
  ours 30 -L 5 $flag -s 3 -o "$work/got" coap://127.0.0.1:$q/example_data & obs=$!
  sleep 1
  timeout 20 "$t434" run coap-client-openssl -L 5 $flag -m put -f "$work/body2" coap://127.0.0.1:$q/example_data >/dev/null 2>&1 || rc=1
  wait $obs || rc=1
  cmp -s "$work/want" "$work/got" || rc=1
  result "observe of a 100 kB ${flag:-CON} Q-Block2 body: notification and deregistration answer whole" $rc
done
