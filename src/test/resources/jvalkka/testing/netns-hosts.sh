#!/usr/bin/env bash
# Test "hosts" as network namespaces (used by jvalkka.testing.NetHosts; needs root and iproute2).
#
#   netns-hosts.sh up OWNER RND N   make N hosts, print their addresses, then keep them until
#                                   stdin ends (the test JVM closed it, or died); then remove all
#   netns-hosts.sh sweep            remove the runs whose owner process is gone (leftovers)
#   netns-hosts.sh list [OWNER]     name the namespaces and links of this harness (of OWNER's runs)
#
# A run is named jvn-OWNER-RND (OWNER: the test JVM's pid, RND: 5 random hex digits), so parallel
# runs and leftovers are told apart. Layout: namespace jvn-OWNER-RND-br holds a bridge; host i is
# namespace jvn-OWNER-RND-hI, joined to the bridge by a veth pair (jvRNDhI inside the host, named
# eth0 there, and jvRNDbI on the bridge); the driver (the test JVM, in the root namespace) is
# joined by jvRNDd (root side) and jvRNDD (bridge side). Addresses come from 192.0.2.0/24
# (TEST-NET-1, no route out), or from TEST-NET-2 or -3 where this machine's own network is
# 192.0.2.0/24; the run takes a free /27 slot S, the driver NET.(32S+1) and host i NET.(32S+1+i). Nothing binds here; processes are started in the namespaces by
# NetHosts. Every loop is bounded.
set -u
export LC_ALL=C

runs() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^jvn-[0-9]+-[0-9a-f]{5}-(br|h[0-9]+)$' || true; }

# remove_run RUN RND: kill every process in the run's namespaces, then remove links and namespaces
remove_run() {
  local run=$1 rnd=$2 ns pid i
  for ns in $(runs | grep "^$run-"); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  for i in $(seq 1 50); do   # up to 5 s for the killed processes to go
    local left=0
    for ns in $(runs | grep "^$run-"); do
      [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && left=1
    done
    [ $left = 0 ] && break
    sleep 0.1
  done
  ip link del "jv${rnd}d" 2>/dev/null
  for ns in $(runs | grep "^$run-"); do ip netns del "$ns" 2>/dev/null; done
  true
}

case "${1:-}" in
list)
  if [ -n "${2:-}" ]; then runs | grep "^jvn-$2-" || true; else runs; fi
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^jv[0-9a-f]{5}d$' \
    | while read -r l; do [ -z "${2:-}" ] && echo "$l" || { runs | grep -q "^jvn-$2-${l:2:5}-" && echo "$l"; }; done
  exit 0
  ;;
sweep)
  for run in $(runs | cut -d- -f1-3 | sort -u); do
    owner=$(echo "$run" | cut -d- -f2); rnd=$(echo "$run" | cut -d- -f3)
    if [ ! -d "/proc/$owner" ]; then remove_run "$run" "$rnd"; echo "swept $run"; fi
  done
  # a driver link whose run has no namespace left
  for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^jv[0-9a-f]{5}d$'); do
    runs | grep -q -- "-${l:2:5}-" || { ip link del "$l" 2>/dev/null; echo "swept $l"; }
  done
  ;;
up)
  owner=$2; rnd=$3; n=$4
  run="jvn-$owner-$rnd"; br="$run-br"
  trap 'remove_run "$run" "$rnd"' EXIT
  trap 'exit 1' INT TERM HUP
  fail() { echo "error $*"; exit 1; }
  exec 9>/run/lock/jvalkka-netns.lock || fail "cannot open /run/lock/jvalkka-netns.lock"
  flock -w 10 9 || fail "another run holds the slot lock"
  # the test network: the first of the three documentation networks that this machine's own
  # interfaces and routes do not use (a machine may sit on 192.0.2.0/24 itself: then taking an
  # address or a route there would shadow its own address or gateway)
  net=
  for cand in 192.0.2 198.51.100 203.0.113; do
    re="${cand//./\\.}\\."
    ip -4 -o addr show | grep -v -E ' jv[0-9a-f]{5}d ' | awk '{print $4}' | grep -q -E "^$re" && continue
    ip -4 route show | grep -v -E 'dev jv[0-9a-f]{5}d' | grep -q -E "(^| )$re" && continue
    net=$cand; break
  done
  [ -n "$net" ] || fail "192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 are all in use on this machine"
  slot=-1
  used=$(ip -4 -o addr show 2>/dev/null | awk '{print $4}')
  for s in 0 1 2 3 4 5 6 7; do
    echo "$used" | grep -q "^$net\.$((32 * s + 1))/" || { slot=$s; break; }
  done
  [ $slot -ge 0 ] || fail "all eight /27 slots of $net.0/24 are in use"
  base=$((32 * slot))
  ip netns add "$br" || fail "ip netns add $br"
  ip -n "$br" link set lo up
  ip -n "$br" link add br0 type bridge && ip -n "$br" link set br0 up || fail "bridge"
  ip link add "jv${rnd}d" type veth peer name "jv${rnd}D" netns "$br" || fail "driver link"
  ip -n "$br" link set "jv${rnd}D" master br0 up
  ip addr add "$net.$((base + 1))/27" dev "jv${rnd}d" && ip link set "jv${rnd}d" up || fail "driver address"
  flock -u 9
  echo "driver $net.$((base + 1))"
  for i in $(seq 1 "$n"); do
    h="$run-h$i"
    ip netns add "$h" || fail "ip netns add $h"
    ip -n "$h" link set lo up
    ip link add "jv${rnd}h$i" netns "$h" type veth peer name "jv${rnd}b$i" netns "$br" || fail "host $i link"
    ip -n "$h" link set "jv${rnd}h$i" name eth0
    ip -n "$h" addr add "$net.$((base + 1 + i))/27" dev eth0
    ip -n "$h" link set eth0 up
    ip -n "$br" link set "jv${rnd}b$i" master br0 up || fail "host $i on the bridge"
    echo "host $i $h $net.$((base + 1 + i)) jv${rnd}b$i"
  done
  echo "bridge $br"
  echo ready
  # keep the run until stdin ends; bounded by the caller's lifetime, not by a loop count
  while read -r _; do :; done
  ;;
*)
  echo "usage: netns-hosts.sh up OWNER RND N | sweep | list [OWNER]" >&2; exit 2 ;;
esac
