#!/usr/bin/env bash
# Multicast interop (RFC 7252 §8) with Debian's libcoap 4.3.1, both ways,
# inside a private network namespace where lo routes 224.0.0.0/4 (the host's
# routes stay untouched). Prints "ok NAME" / "FAIL NAME ..." lines and
# "skip REASON" when no namespace can be made. Called by interop.sh.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" != inner ]; then
  for how in -n -rn; do
    if unshare $how true 2>/dev/null; then
      exec unshare $how "$0" inner
    fi
  done
  echo "skip network namespaces are not available (unshare -n and -rn fail)"
  exit 0
fi
ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo || {
  echo "FAIL cannot route 224.0.0.0/4 on lo in the namespace"
  exit 0
}
bin=$top/build/examples
export LD_LIBRARY_PATH=$top/build
g=224.0.1.187 ours=5683 deb=5690 debso=5700
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
"$bin/server" -A 0.0.0.0 -p $ours -g $g & pids+=($!)
env -u LD_LIBRARY_PATH coap-server-openssl -A 0.0.0.0 -p $deb -g $g >/dev/null 2>&1 & pids+=($!)
# Debian's server binary as built, on our library.
coap-server-openssl -A 0.0.0.0 -p $debso -g $g >/dev/null 2>&1 & pids+=($!)
sleep 0.5
dc=(env -u LD_LIBRARY_PATH coap-client-openssl)
tmp=$(mktemp -d)
# run NAME WANT(1: PATTERN must match, 0: must not) PATTERN COMMAND...: in
# the background (each waits out the 5 s leisure).
n=0 jobs_=()
run() {
  local name=$1 want=$2 pattern=$3
  shift 3
  n=$((n + 1))
  (
    out=$(timeout 15 "$@" 2>&1)
    if grep -Eq -- "$pattern" <<<"$out"; then got=1; else got=0; fi
    if [ $got -eq "$want" ]; then echo "ok $name"; else printf 'FAIL %s\n  command: %s\n  output: %s\n' "$name" "$*" "$out"; fi
  ) >"$tmp/$n" &
  jobs_+=($!)
}
run "deb client multicast GET / -> our server" 1 "Example server" "${dc[@]}" -N -B 6 coap://$g:$ours/
run "deb client multicast GET unknown -> our server: 4.04 suppressed" 0 "4\.04|Not Found" \
  "${dc[@]}" -N -B 6 coap://$g:$ours/nope
run "deb client multicast GET, No-Response 0 -> our server: 4.04 sent" 1 "4\.04" \
  "${dc[@]}" -N -B 6 -O 258,0 coap://$g:$ours/nope
run "our client multicast GET / -> Debian server" 1 "test server made with libcoap" "$bin/client" -w 6 coap://$g:$deb/
run "our client multicast GET / -> our server" 1 "Example server" "$bin/client" -w 6 coap://$g:$ours/
run "deb client multicast GET / -> Debian coap-server binary on our .so" 1 "test server made with libcoap" \
  "${dc[@]}" -N -B 6 coap://$g:$debso/
wait "${jobs_[@]}"
cat "$tmp"/*
rm -rf "$tmp"
