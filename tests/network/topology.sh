#!/usr/bin/env bash
# Builds (and tears down) the issue-14 network topology out of network namespaces, so two
# endpoints can meet through our own relay, behind NATs, without a packet leaving the machine:
#
#        a (10.0.1.2)                                        b (10.0.2.2)
#            | lan                                               | lan
#        nata (10.0.1.1 | wan 198.51.100.2)          natb (10.0.2.1 | wan 203.0.113.2)
#            \ masquerade + silent drop                          / masquerade + silent drop
#             \___________ router (198.51.100.1, 203.0.113.1, 192.0.2.1) __________/
#                                         |
#                                  relay (192.0.2.2)
#
# None of these namespaces is linked to the host's namespace and none has a route out, so
# nothing can reach the real network. The "public" addresses are the RFC 5737 documentation
# ranges. With --block-direct the router drops everything between the two home WANs, so a and
# b can only talk through the relay.
#
# Each NAT box masquerades its LAN behind its WAN address and silently drops unsolicited
# inbound traffic (to itself and forwarded): without the drop, the kernel answers a hole-punch
# packet that arrives before our own outbound one with an ICMP port unreachable, that reply
# creates a conntrack entry, masquerade then picks another port for our outbound flow and the
# hole punch fails (issue 14, "What was found").
#
# usage: topology.sh up [--block-direct]   build it (tears down an old one first)
#        topology.sh down                  kill what runs inside, delete the namespaces
#        topology.sh exec NS cmd...        run cmd in NS (a, b, nata, natb, router, relay)
#        topology.sh block-direct | unblock-direct
#        topology.sh status
#        topology.sh run [--block-direct] -- cmd...   up, run cmd on the host side, down on exit
#
# Namespace names carry a prefix (ASTER_TOPO_PREFIX, default "aster14-") so several
# engineers' topologies on one machine do not collide. Needs root (or sudo), iproute2, nftables.
set -euo pipefail

prefix="${ASTER_TOPO_PREFIX:-aster14-}"
nodes=(a b nata natb router relay)
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"

ns() { echo "${prefix}$1"; }
in_ns() {
  local n="$1"
  shift
  $sudo_cmd ip netns exec "$(ns "$n")" "$@"
}

need_tools() {
  local missing=()
  command -v ip >/dev/null || missing+=(iproute2)
  command -v nft >/dev/null || missing+=(nftables)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "topology.sh: missing ${missing[*]} (scripts/bootstrap.sh installs them)" >&2
    exit 2
  fi
}

exists() { $sudo_cmd ip netns list | awk '{print $1}' | grep -qx "$(ns "$1")"; }

down() {
  local n pids
  for n in "${nodes[@]}"; do
    exists "$n" || continue
    # Only processes inside our own namespaces: they were started through this topology.
    pids="$($sudo_cmd ip netns pids "$(ns "$n")" 2>/dev/null || true)"
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      $sudo_cmd kill $pids 2>/dev/null || true
      sleep 0.2
      pids="$($sudo_cmd ip netns pids "$(ns "$n")" 2>/dev/null || true)"
      # shellcheck disable=SC2086
      [ -n "$pids" ] && $sudo_cmd kill -9 $pids 2>/dev/null || true
    fi
    $sudo_cmd ip netns delete "$(ns "$n")"
  done
}

# link NS1 IF1 NS2 IF2: a veth pair created straight inside the two namespaces (never in the
# host's namespace, so interface names cannot clash with anyone else's).
link() {
  $sudo_cmd ip link add "$2" netns "$(ns "$1")" type veth peer name "$4" netns "$(ns "$3")"
}
addr() { in_ns "$1" ip addr add "$3" dev "$2" && in_ns "$1" ip link set "$2" up; }

nat_box() {
  local n="$1"
  in_ns "$n" sysctl -qw net.ipv4.ip_forward=1
  in_ns "$n" nft -f - <<'EOF'
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade
  }
}
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" drop
  }
}
EOF
}

block_direct() {
  in_ns router nft -f - <<'EOF'
table inet direct {
  chain forward {
    type filter hook forward priority filter; policy accept;
    ip saddr 198.51.100.0/24 ip daddr 203.0.113.0/24 drop
    ip saddr 203.0.113.0/24 ip daddr 198.51.100.0/24 drop
  }
}
EOF
}
unblock_direct() { in_ns router nft delete table inet direct 2>/dev/null || true; }

up() {
  local block=0
  [ "${1:-}" = "--block-direct" ] && block=1
  need_tools
  down
  trap 'echo "topology.sh: setup failed, tearing down" >&2; down' ERR
  local n
  for n in "${nodes[@]}"; do
    $sudo_cmd ip netns add "$(ns "$n")"
    in_ns "$n" ip link set lo up
    # IPv4 only: keeps the candidate address sets (and traces) small; link-local IPv6 could
    # not cross the routers anyway.
    in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    in_ns "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  done
  link a lan nata lan
  link b lan natb lan
  link nata wan router wana
  link natb wan router wanb
  link relay wan router wanr
  addr a lan 10.0.1.2/24
  addr nata lan 10.0.1.1/24
  addr b lan 10.0.2.2/24
  addr natb lan 10.0.2.1/24
  addr nata wan 198.51.100.2/24
  addr router wana 198.51.100.1/24
  addr natb wan 203.0.113.2/24
  addr router wanb 203.0.113.1/24
  addr relay wan 192.0.2.2/24
  addr router wanr 192.0.2.1/24
  in_ns a ip route add default via 10.0.1.1
  in_ns b ip route add default via 10.0.2.1
  in_ns nata ip route add default via 198.51.100.1
  in_ns natb ip route add default via 203.0.113.1
  in_ns relay ip route add default via 192.0.2.1
  in_ns router sysctl -qw net.ipv4.ip_forward=1
  nat_box nata
  nat_box natb
  [ "$block" = 1 ] && block_direct
  trap - ERR
  echo "topology.sh: up (prefix ${prefix}, direct path $([ "$block" = 1 ] && echo blocked || echo open));" \
    "relay at 192.0.2.2, a 10.0.1.2 behind 198.51.100.2, b 10.0.2.2 behind 203.0.113.2" >&2
}

status() {
  local n
  for n in "${nodes[@]}"; do
    if exists "$n"; then
      echo "== $(ns "$n")"
      in_ns "$n" ip -br addr show | grep -v '^lo'
      in_ns "$n" nft list tables 2>/dev/null | sed 's/^/   nft: /'
    else
      echo "== $(ns "$n") (absent)"
    fi
  done
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  exec)
    [ $# -ge 2 ] || { echo "usage: topology.sh exec NS cmd..." >&2; exit 2; }
    n="$1"
    shift
    exec $sudo_cmd ip netns exec "$(ns "$n")" "$@"
    ;;
  block-direct) unblock_direct; block_direct ;;
  unblock-direct) unblock_direct ;;
  status) status ;;
  run)
    opt=""
    if [ "${1:-}" = "--block-direct" ]; then opt=--block-direct; shift; fi
    [ "${1:-}" = "--" ] && shift
    [ $# -ge 1 ] || { echo "usage: topology.sh run [--block-direct] -- cmd..." >&2; exit 2; }
    trap down EXIT
    up $opt
    "$@"
    ;;
  *)
    sed -n '/^# usage:/,/^# Namespace/p' "$0" | sed 's/^# \{0,1\}//' | head -n -1 >&2
    exit 2
    ;;
esac
