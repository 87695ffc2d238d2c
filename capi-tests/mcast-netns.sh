#!/bin/sh
# Runs the multicast wire tests (`capi-tests mcast`) inside a private network
# namespace: there lo may route 224.0.0.0/4 and a veth pair may carry
# ff02::fd (Linux does not loop IPv6 multicast back on lo) without touching
# the host's network. Skips, saying why, only when no namespace can be made.
#   usage: capi-tests/mcast-netns.sh BUILD/capi-tests
set -u
bin=$1
if [ "${2:-}" != inner ]; then
  if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
    echo "check-mcast: SKIPPED: needs unshare (util-linux) and ip (iproute2)"
    exit 0
  fi
  # root: a plain network namespace; otherwise one inside a user namespace.
  for how in -n -rn; do
    if unshare $how true 2>/dev/null; then
      exec unshare $how "$0" "$bin" inner
    fi
  done
  echo "check-mcast: SKIPPED: network namespaces are not available here (unshare -n and -rn both fail)"
  exit 0
fi
ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo || {
  echo "check-mcast: cannot route 224.0.0.0/4 on lo in the namespace"
  exit 1
}
# IPv6: a veth pair (when the kernel has veth), without duplicate address
# detection so its link-local address is usable at once.
echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad 2>/dev/null
if ip link add mc0 type veth peer name mc1 2>/dev/null && ip link set mc0 up && ip link set mc1 up; then
  i=0
  while [ $i -lt 30 ] && ! ip -6 addr show dev mc0 scope link | grep -q inet6; do sleep 0.1; i=$((i + 1)); done
  export CAPI_MCAST_IF6=mc0
else
  echo "check-mcast: no veth in this kernel: IPv6 multicast not tested"
fi
exec "$bin" mcast
