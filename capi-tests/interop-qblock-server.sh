#!/usr/bin/env bash
# Q-Block (RFC 9177) at the server: Debian's libcoap 4.3.4 coap-server
# program on OUR library with -L 5 (USE_LIBCOAP|TRY_Q_BLOCK), and the real
# 4.3.4 coap-client-openssl -L 5 against it, over loopback. Debian's 4.3.1
# has no Q-Block, hence 4.3.4 (tools/libcoap-434). Prints "ok NAME" or
# "FAIL NAME" per case, or "skip REASON" when 4.3.4 cannot be had.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
q434=$top/tools/libcoap-434
export OURS_LIB_DIR=$top/build
if ! out=$("$q434" fetch 2>&1); then
  echo "skip Q-Block server interop: could not fetch libcoap 4.3.4 ($(tail -n 1 <<<"$out"))"
  exit 0
fi
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
base=$((20000 + RANDOM % 20000))
q=$base plain=$((base + 1)) ref=$((base + 2)) lossy=$((base + 3))
srv() { "$q434" ours coap-server-openssl -A 127.0.0.1 "$@" >/dev/null 2>&1 & pids+=($!); }
srv -p $q -L 5
srv -p $plain -L 1
# The reference: 4.3.4's server on 4.3.4's own library.
"$q434" run coap-server-openssl -A 127.0.0.1 -p $ref -L 5 >/dev/null 2>&1 & pids+=($!)
# Drops its 6th and 16th datagram: blocks 2 and (after block 2 came
# again) 11 of the GET below.
srv -p $lossy -L 5 -l 6,16
sleep 0.5
cli=("$q434" run coap-client-openssl -L 5)

pass() { echo "ok $1"; }
fail() { printf 'FAIL %s\n%s\n' "$1" "${2:-}"; }

# The probe (CON GET /, Q-Block2:0/_/16) answered as 4.3.4 answers it:
# the same PDU but for message id and token.
probe() { timeout 10 "${cli[@]}" -v 7 "coap://127.0.0.1:$1/" 2>&1; }
strip() { grep -m1 '^v:1 t:ACK c:2.05' | sed 's/ i:[0-9a-f]* {[0-9a-f]*}//'; }
ours=$(probe $q) theirs=$(probe $ref)
if grep -q "Q-Block support available" <<<"$ours" && [ -n "$(strip <<<"$ours")" ] &&
  [ "$(strip <<<"$ours")" = "$(strip <<<"$theirs")" ]; then
  pass "Q-Block probe answered as 4.3.4 does"
else
  fail "Q-Block probe answered as 4.3.4 does" "ours:   $(strip <<<"$ours")
4.3.4:  $(strip <<<"$theirs")"
fi
if probe $plain | grep -q "Q-Block support not available"; then
  pass "without TRY_Q_BLOCK the probe fails (4.02)"
else
  fail "without TRY_Q_BLOCK the probe fails (4.02)"
fi

head -c 100000 /dev/urandom >"$tmp/body"
# roundtrip NAME PORT CLIENT-ARGS...: PUT then GET of the body, identical.
roundtrip() {
  local name=$1 port=$2
  shift 2
  rm -f "$tmp/got"
  if timeout 30 "$@" -m put -f "$tmp/body" "coap://127.0.0.1:$port/example_data" >"$tmp/log" 2>&1 &&
    timeout 30 "$@" -o "$tmp/got" "coap://127.0.0.1:$port/example_data" >>"$tmp/log" 2>&1 &&
    cmp -s "$tmp/body" "$tmp/got"; then
    pass "$name"
  else
    fail "$name" "$(tail -n 5 "$tmp/log")"
  fi
}
for size in 16 256 1024; do
  roundtrip "4.3.4 client Q-Block CON 100 kB at $size" $q "${cli[@]}" -b $size
  roundtrip "4.3.4 client Q-Block NON 100 kB at $size" $q "${cli[@]}" -N -b $size
done
# Without -b the client asks for no block; a session that probed still
# gets Q-Block2 sets, as from 4.3.4's server (compared on the first answer).
for flag in -N ""; do
  roundtrip "4.3.4 client Q-Block ${flag:-CON} 100 kB, no block size asked" $q "${cli[@]}" $flag
  first() { timeout 20 "${cli[@]}" $flag -v 7 -o /dev/null "coap://127.0.0.1:$1/example_data" 2>&1 |
    grep -m1 '^v:1 t:[A-Z]* c:2.05' | grep -o '\[.*\]' | sed 's/ETag:0x[0-9a-f]*, //'; }
  timeout 20 "${cli[@]}" -m put -f "$tmp/body" "coap://127.0.0.1:$ref/example_data" >/dev/null 2>&1
  a=$(first $q) b=$(first $ref)
  if [ -n "$a" ] && [ "$a" = "$b" ] && grep -q "Q-Block2:0/M" <<<"$a"; then
    pass "unasked ${flag:-CON} GET of a Q-Block peer answered with Q-Block2 as by 4.3.4"
  else
    fail "unasked ${flag:-CON} GET of a Q-Block peer answered with Q-Block2 as by 4.3.4" "ours:   $a
4.3.4:  $b"
  fi
done
# Plain Block1/Block2 still work with Q-Block on: 4.3.4 without -L 4, and
# Debian's 4.3.1 client.
roundtrip "4.3.4 client plain blocks against a Q-Block server" $q "$q434" run coap-client-openssl -b 256
if command -v coap-client-openssl >/dev/null; then
  roundtrip "4.3.1 client blocks against a Q-Block server" $q env -u LD_LIBRARY_PATH coap-client-openssl -b 256
fi
roundtrip "4.3.4 client Q-Block falls back to blocks without TRY_Q_BLOCK" $plain "${cli[@]}" -N -b 256

# Upload with the client's blocks 2 and 11 lost: the server asks for them
# with 4.08 and a missing-blocks list after NON_RECEIVE_TIMEOUT (4 s).
head -c 3000 /dev/urandom >"$tmp/small"
rm -f "$tmp/got"
if timeout 30 "${cli[@]}" -v 7 -N -b 256 -l 4,13 -m put -f "$tmp/small" "coap://127.0.0.1:$q/example_data" >"$tmp/log" 2>&1 &&
  grep -q "Q-Block1: Missing block 2" "$tmp/log" && grep -q "Q-Block1: Missing block 11" "$tmp/log" &&
  timeout 30 "${cli[@]}" -N -b 256 -o "$tmp/got" "coap://127.0.0.1:$q/example_data" >/dev/null 2>&1 &&
  cmp -s "$tmp/small" "$tmp/got"; then
  pass "NON Q-Block1 upload recovers lost blocks through 4.08"
else
  fail "NON Q-Block1 upload recovers lost blocks through 4.08" "$(grep -E '^v:|Missing' "$tmp/log" | cut -c1-150 | tail -n 8)"
fi
# Download with the server's blocks 2 and 11 lost: the client asks for
# them again with Q-Block2 requests, answered from the kept copy.
rm -f "$tmp/got"
if timeout 30 "${cli[@]}" -N -b 1024 -m put -f "$tmp/small" "coap://127.0.0.1:$lossy/example_data" >/dev/null 2>&1 &&
  timeout 30 "${cli[@]}" -v 7 -N -b 256 -o "$tmp/got" "coap://127.0.0.1:$lossy/example_data" >"$tmp/log" 2>&1 &&
  grep -q 'NON c:GET.*Q-Block2:2/_/256' "$tmp/log" && grep -q 'NON c:GET.*Q-Block2:11/_/256' "$tmp/log" &&
  cmp -s "$tmp/small" "$tmp/got"; then
  pass "NON Q-Block2 download recovers lost blocks"
else
  fail "NON Q-Block2 download recovers lost blocks" "$(grep -E '^v:' "$tmp/log" | sed 's/ :: .*//' | tail -n 8)"
fi
# Observe: a 100 kB notification goes out in Q-Block2 sets (NON) or as a
# CON chain, each block carrying the notification's Observe value. The
# observer's file holds the registration answer, the notification made by
# the PUT, and the answer to its deregistration GET.
head -c 100000 /dev/urandom >"$tmp/body2"
cat "$tmp/body" "$tmp/body2" "$tmp/body2" >"$tmp/want"
for flag in -N ""; do
  name="4.3.4 client observes a 100 kB ${flag:-CON} Q-Block2 notification"
  rm -f "$tmp/got"
  timeout 30 "${cli[@]}" $flag -m put -f "$tmp/body" "coap://127.0.0.1:$q/example_data" >/dev/null 2>&1
  timeout 30 "${cli[@]}" $flag -s 3 -o "$tmp/got" "coap://127.0.0.1:$q/example_data" >"$tmp/log" 2>&1 & obs=$!
  sleep 1
  timeout 20 "${cli[@]}" $flag -m put -f "$tmp/body2" "coap://127.0.0.1:$q/example_data" >/dev/null 2>&1
  if wait $obs && cmp -s "$tmp/want" "$tmp/got"; then
    pass "$name"
  else
    fail "$name" "observer got $(stat -c %s "$tmp/got" 2>/dev/null || echo no) bytes, want 300000"
  fi
done
