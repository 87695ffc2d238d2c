#!/usr/bin/env bash
# Interop over loopback with Debian's libcoap 4.3.1 programs, both ways:
# Debian's coap-client-openssl against our example server, and our example
# client against Debian's coap-server-openssl. Every request is bounded in
# time. Prints "interop: N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/examples
export LD_LIBRARY_PATH=$top/build
if ! command -v coap-client-openssl >/dev/null || ! command -v coap-server-openssl >/dev/null; then
  echo "interop: Debian's libcoap3-bin is not installed; skipped"
  exit 0
fi
base=$((20000 + RANDOM % 20000))
ours=$base deb=$((base + 1)) deb6=$((base + 2))
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
"$bin/server" -A :: -p $ours & pids+=($!)
# Debian's server on its own library (not ours): unset the library path.
env -u LD_LIBRARY_PATH coap-server-openssl -A 127.0.0.1 -p $deb >/dev/null 2>&1 & pids+=($!)
env -u LD_LIBRARY_PATH coap-server-openssl -A ::1 -p $deb6 >/dev/null 2>&1 & pids+=($!)
sleep 0.5

passed=0 failed=0
# check NAME PATTERN COMMAND...: passes when the output (stdout+stderr)
# matches the extended regex PATTERN.
check() {
  local name=$1 pattern=$2 out
  shift 2
  out=$(timeout 20 "$@" 2>&1)
  if grep -Eq -- "$pattern" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s\n  command: %s\n  output: %s\n' "$name" "$*" "$out"
  fi
}
# Debian's client on Debian's library; our example client on ours.
dc=(env -u LD_LIBRARY_PATH coap-client-openssl)
oc=("$bin/client")

# Debian's client -> our server.
check "deb client GET /" "Example server" "${dc[@]}" coap://127.0.0.1:$ours/
check "deb client GET /time" "^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$" "${dc[@]}" coap://127.0.0.1:$ours/time
check "deb client PUT /data" "^$" "${dc[@]}" -m put -e hello coap://127.0.0.1:$ours/data
check "deb client GET /data" "^hello$" "${dc[@]}" coap://127.0.0.1:$ours/data
check "deb client DELETE /data" "^$" "${dc[@]}" -m delete coap://127.0.0.1:$ours/data
check "deb client GET deleted /data" "4\.04" "${dc[@]}" coap://127.0.0.1:$ours/data
check "deb client GET unknown path" "4\.04 Not Found" "${dc[@]}" coap://127.0.0.1:$ours/nope
check "deb client POST without handler" "4\.05" "${dc[@]}" -m post coap://127.0.0.1:$ours/time
check "deb client NON GET" "Example server" "${dc[@]}" -N coap://127.0.0.1:$ours/
check "deb client IPv6 GET" "Example server" "${dc[@]}" "coap://[::1]:$ours/"
check "deb client .well-known/core" '</time>;[^,]*rt="ticks"' "${dc[@]}" coap://127.0.0.1:$ours/.well-known/core
check "deb client query" "^[0-9]+$" "${dc[@]}" "coap://127.0.0.1:$ours/time?ticks"
check "deb client observes /time (3 s)" "(([0-9]{2}:){2}[0-9]{2}.*){3}" "${dc[@]}" -s 3 coap://127.0.0.1:$ours/time
check "deb client retransmits (first datagram lost)" "Example server" "${dc[@]}" -l 1 coap://127.0.0.1:$ours/

# Our client -> Debian's server.
check "our client GET /" "test server made with libcoap" "${oc[@]}" coap://127.0.0.1:$deb/
check "our client GET /time" "^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$" "${oc[@]}" coap://127.0.0.1:$deb/time
check "our client PUT /example_data" "^$" "${oc[@]}" -m put -e xyzzy coap://127.0.0.1:$deb/example_data
check "our client GET /example_data" "^xyzzy$" "${oc[@]}" coap://127.0.0.1:$deb/example_data
# Debian's example server offers no DELETE there: its 4.05 must reach us.
check "our client DELETE (4.05 from Debian)" "4\.05 Method Not Allowed" "${oc[@]}" -m delete coap://127.0.0.1:$deb/example_data
check "our client GET unknown path" "4\.04 Not Found" "${oc[@]}" coap://127.0.0.1:$deb/nope
check "our client NON GET" "test server made with libcoap" "${oc[@]}" -N coap://127.0.0.1:$deb/
check "our client IPv6 GET" "test server made with libcoap" "${oc[@]}" "coap://[::1]:$deb6/"
check "our client .well-known/core" '</time>;' "${oc[@]}" coap://127.0.0.1:$deb/.well-known/core
check "our client retransmits (first datagram lost)" "test server made with libcoap" "${oc[@]}" -L 1 coap://127.0.0.1:$deb/
check "our client NACK when the port is closed" "NACK reason 4" "${oc[@]}" -w 5 coap://127.0.0.1:$((base + 9))/

# Block-wise (RFC 7959): a 100 kB body PUT and read back at every block
# size, byte-identical, in both directions; the library does the blocks.
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
head -c 100000 /dev/urandom >"$tmp/body"
# roundtrip NAME PUT-COMMAND... -- GET-COMMAND...: both succeed and the GET
# writes $tmp/got identical to $tmp/body.
roundtrip() {
  local name=$1 put=() get=()
  shift
  while [ "$1" != "--" ]; do put+=("$1"); shift; done
  shift
  get=("$@")
  rm -f "$tmp/got"
  if timeout 30 "${put[@]}" >/dev/null 2>&1 && timeout 30 "${get[@]}" >/dev/null 2>&1 && cmp -s "$tmp/body" "$tmp/got"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s\n  put: %s\n  get: %s\n' "$name" "${put[*]}" "${get[*]}"
  fi
}
for size in 16 32 64 128 256 512 1024; do
  roundtrip "deb client 100 kB block-wise at $size" \
    "${dc[@]}" -b $size -m put -f "$tmp/body" coap://127.0.0.1:$ours/data -- \
    "${dc[@]}" -b $size -o "$tmp/got" coap://127.0.0.1:$ours/data
  roundtrip "our client 100 kB block-wise at $size" \
    "${oc[@]}" -b $size -m put -f "$tmp/body" coap://127.0.0.1:$deb/example_data -- \
    "${oc[@]}" -b $size -o "$tmp/got" coap://127.0.0.1:$deb/example_data
done
roundtrip "deb client 100 kB block-wise over NON" \
  "${dc[@]}" -N -m put -f "$tmp/body" coap://127.0.0.1:$ours/data -- \
  "${dc[@]}" -N -o "$tmp/got" coap://127.0.0.1:$ours/data

# 1 MB each way with a quarter of our datagrams lost, against Debian's
# server: retransmission per block (short ACK_TIMEOUT keeps it to seconds).
head -c 1048576 /dev/urandom >"$tmp/big"
rm -f "$tmp/got"
if timeout 90 "${oc[@]}" -L 25% -T 10 -r 20 -w 80 -m put -f "$tmp/big" coap://127.0.0.1:$deb/example_data >/dev/null 2>&1 &&
  timeout 90 "${oc[@]}" -L 25% -T 10 -r 20 -w 80 -o "$tmp/got" coap://127.0.0.1:$deb/example_data >/dev/null 2>&1 &&
  cmp -s "$tmp/big" "$tmp/got"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL our client 1 MB block-wise under 25% loss against Debian's server"
fi

# Debian's own programs as built, running on our library (binary drop-in).
dco=(coap-client-openssl)
roundtrip "Debian coap-client binary on our .so, 100 kB" \
  "${dco[@]}" -m put -f "$tmp/body" coap://127.0.0.1:$deb/example_data -- \
  "${dco[@]}" -o "$tmp/got" coap://127.0.0.1:$deb/example_data
check "Debian coap-client binary on our .so, GET" "Example server" "${dco[@]}" coap://127.0.0.1:$ours/
# NON block-wise GET: no pending copy of the request exists to ask for
# block 1 from (this once stopped after block 0).
roundtrip "Debian coap-client binary on our .so, 100 kB over NON at 256" \
  "${dco[@]}" -N -b 256 -m put -f "$tmp/body" coap://127.0.0.1:$deb/example_data -- \
  "${dco[@]}" -N -b 256 -o "$tmp/got" coap://127.0.0.1:$deb/example_data
dsrv=$((base + 3)) drd=$((base + 4))
coap-server-openssl -A 127.0.0.1 -p $dsrv >/dev/null 2>&1 & pids+=($!)
coap-rd-openssl -A 127.0.0.1 -p $drd >/dev/null 2>&1 & pids+=($!)
sleep 0.5
check "Debian coap-server binary on our .so, GET" "test server made with libcoap" "${dc[@]}" coap://127.0.0.1:$dsrv/
check "Debian coap-server binary on our .so, observe (3 s)" "(([0-9]{2}:){2}[0-9]{2}.*){3}" \
  "${dc[@]}" -s 3 coap://127.0.0.1:$dsrv/time
check "Debian coap-server binary on our .so, async" "^done$" "${dc[@]}" "coap://127.0.0.1:$dsrv/async?1"
roundtrip "Debian coap-server binary on our .so, 100 kB" \
  "${dc[@]}" -b 256 -m put -f "$tmp/body" coap://127.0.0.1:$dsrv/example_data -- \
  "${dc[@]}" -b 256 -o "$tmp/got" coap://127.0.0.1:$dsrv/example_data
check "Debian coap-rd binary on our .so, register" "^$" \
  "${dc[@]}" -m post -e '</sensors/temp>;rt="temperature"' "coap://127.0.0.1:$drd/rd?ep=node1&lt=60"
check "Debian coap-rd binary on our .so, registered endpoint listed" '</rd/[^>]+>' \
  "${dc[@]}" coap://127.0.0.1:$drd/.well-known/core

# aiocoap, an independent implementation, against our example server.
if out=$(timeout 120 python3 "$top/capi-tests/interop_aiocoap.py" $ours 2>&1); then
  passed=$((passed + $(grep -c '^ok ' <<<"$out")))
else
  failed=$((failed + 1))
  printf 'FAIL aiocoap against our server\n%s\n' "$out"
fi

# DTLS (coaps://): PSK and certificates both ways, with a CA and
# certificates made here with the openssl CLI.
# nocheck NAME PATTERN COMMAND...: passes when the command fails (non-zero
# exit or no output matching PATTERN, the success text) - a failure reported.
nocheck() {
  local name=$1 pattern=$2 out rc
  shift 2
  out=$(timeout 20 "$@" 2>&1); rc=$?
  if [ $rc -ne 0 ] || ! grep -Eq -- "$pattern" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s (succeeded, should not)\n  command: %s\n  output: %s\n' "$name" "$*" "$out"
  fi
}
pki=$tmp/pki
mkdir -p "$pki"
mk() { openssl "$@" >/dev/null 2>&1; }
mk req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=interop-ca \
  -keyout "$pki/ca.key" -out "$pki/ca.pem"
for n in server client; do
  mk req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$n -keyout "$pki/$n.key" -out "$pki/$n.csr"
  mk x509 -req -in "$pki/$n.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -out "$pki/$n.pem"
done
# Servers listen for DTLS on port+1.
ourd=$((base + 10)) debpsk=$((base + 12)) debpki=$((base + 14))
"$bin/server" -A 127.0.0.1 -p $ourd -k sesame -h interop -c "$pki/server.pem" -j "$pki/server.key" -R "$pki/ca.pem" \
  & pids+=($!)
env -u LD_LIBRARY_PATH coap-server-openssl -A 127.0.0.1 -p $debpsk -k sesame -h interop >/dev/null 2>&1 & pids+=($!)
env -u LD_LIBRARY_PATH coap-server-openssl -A 127.0.0.1 -p $debpki -c "$pki/server.pem" -j "$pki/server.key" \
  -R "$pki/ca.pem" >/dev/null 2>&1 & pids+=($!)
sleep 0.5
ours_s=coaps://127.0.0.1:$((ourd + 1)) debpsk_s=coaps://127.0.0.1:$((debpsk + 1)) debpki_s=coaps://127.0.0.1:$((debpki + 1))
cli_pki=(-c "$pki/client.pem" -j "$pki/client.key" -R "$pki/ca.pem")

check "deb client DTLS PSK GET /" "Example server" "${dc[@]}" -B 10 -k sesame -u alice $ours_s/
check "deb client DTLS PSK GET /time" "^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$" "${dc[@]}" -B 10 -k sesame -u alice $ours_s/time
check "deb client DTLS PKI GET /" "Example server" "${dc[@]}" -B 10 "${cli_pki[@]}" $ours_s/
nocheck "deb client DTLS wrong key fails" "Example server" "${dc[@]}" -B 4 -k wrong -u alice $ours_s/
nocheck "deb client DTLS PKI without a certificate fails" "Example server" "${dc[@]}" -B 4 $ours_s/
check "our client DTLS PSK GET / (Debian server)" "test server made with libcoap" "${oc[@]}" -k sesame -u alice $debpsk_s/
check "our client DTLS PKI GET / (Debian server)" "test server made with libcoap" "${oc[@]}" "${cli_pki[@]}" $debpki_s/
check "our client DTLS PSK GET /time (our server)" "^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$" "${oc[@]}" -k sesame -u bob $ours_s/time
check "our client DTLS PKI GET / (our server)" "Example server" "${oc[@]}" "${cli_pki[@]}" $ours_s/
nocheck "our client DTLS wrong key fails (Debian server)" "test server made with libcoap" "${oc[@]}" -w 4 -k wrong -u alice $debpsk_s/
nocheck "our client DTLS untrusted server fails" "test server made with libcoap" \
  "${oc[@]}" -w 4 -c "$pki/client.pem" -j "$pki/client.key" -R "$pki/client.pem" $debpki_s/
roundtrip "deb client 100 kB block-wise over DTLS PSK" \
  "${dc[@]}" -B 20 -k sesame -u alice -m put -f "$tmp/body" $ours_s/data -- \
  "${dc[@]}" -B 20 -k sesame -u alice -o "$tmp/got" $ours_s/data
roundtrip "our client 100 kB block-wise over DTLS PSK (Debian server)" \
  "${oc[@]}" -k sesame -u alice -m put -f "$tmp/body" $debpsk_s/example_data -- \
  "${oc[@]}" -k sesame -u alice -o "$tmp/got" $debpsk_s/example_data
roundtrip "our client 100 kB block-wise over DTLS PKI (our server)" \
  "${oc[@]}" "${cli_pki[@]}" -m put -f "$tmp/body" $ours_s/data -- \
  "${oc[@]}" "${cli_pki[@]}" -o "$tmp/got" $ours_s/data
check "Debian coap-client binary on our .so, DTLS PSK GET" "Example server" "${dco[@]}" -B 10 -k sesame -u alice $ours_s/
# Debian's coap-server binary on our library, over DTLS, for Debian's client.
dsrvd=$((base + 16))
coap-server-openssl -A 127.0.0.1 -p $dsrvd -k sesame -h interop -c "$pki/server.pem" -j "$pki/server.key" \
  -R "$pki/ca.pem" >/dev/null 2>&1 & pids+=($!)
sleep 0.5
check "Debian coap-server binary on our .so, DTLS PSK" "test server made with libcoap" \
  "${dc[@]}" -B 10 -k sesame -u alice coaps://127.0.0.1:$((dsrvd + 1))/
check "Debian coap-server binary on our .so, DTLS PKI" "test server made with libcoap" \
  "${dc[@]}" -B 10 "${cli_pki[@]}" coaps://127.0.0.1:$((dsrvd + 1))/

# Q-Block against Debian's libcoap 4.3.4 (interop-qblock-client.sh).
out=$(timeout 120 "$top/capi-tests/interop-qblock-client.sh" 2>&1) || out="$out
FAIL Q-Block client interop did not finish (status $?)"
passed=$((passed + $(grep -c '^ok ' <<<"$out")))
failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
grep -v '^ok ' <<<"$out" | sed 's/^skip /interop: Q-Block SKIPPED: /'

# Multicast both ways, in a private network namespace (interop-mcast.sh).
out=$(timeout 60 "$top/capi-tests/interop-mcast.sh" 2>&1) || out="$out
FAIL multicast interop did not finish (status $?)"
passed=$((passed + $(grep -c '^ok ' <<<"$out")))
failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
grep -v '^ok ' <<<"$out" | sed 's/^skip /interop: multicast SKIPPED: /'

# Q-Block (RFC 9177) at our server against libcoap 4.3.4's client
# (interop-qblock-server.sh; fetches 4.3.4 first, says so when it cannot).
out=$(timeout 90 "$top/capi-tests/interop-qblock-server.sh" 2>&1) || out="$out
FAIL Q-Block server interop did not finish (status $?)"
passed=$((passed + $(grep -c '^ok ' <<<"$out")))
failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
grep -v '^ok ' <<<"$out" | sed 's/^skip /interop: Q-Block server SKIPPED: /'

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
