#!/usr/bin/env bash
# The issue-14 scenario matrix in one command: builds (once, cached) our own iroh-relay 0.97.0,
# makes a throw-away CA + relay certificate (IP SAN 192.0.2.2), brings up topology.sh, starts a
# plain-HTTP dev relay (:3340) and a TLS relay (:443, QAD on UDP 7842) in namespace `relay`, and
# runs aster_net_echo (serve in b, dial from a) in each scenario; tears everything down on exit.
#
# usage: run_scenarios.sh NET_ECHO [--runs N] [--sizes 1,10] [--timeout S] [--only NAME,...]
# scenarios: dev-blocked, tls-blocked, tls-nat (direct open: both NATed, hole punching)
# Needs root (namespaces), nftables, openssl, cargo. Our endpoints trust the TLS relay through
# ASTER_RELAY_CA=<the throw-away CA> (transport::apply_relay_mode_from_env).
# Output: one line per run; logs under $ASTER_NET_LOGDIR (default /tmp/aster-net-scenarios).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
net_echo="$(realpath "$1")"
shift
runs=1 sizes=1,10 timeout=20 only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
relay_root="$("$here/relay_setup.sh")"
relay_bin="$relay_root/bin/iroh-relay"
logdir="${ASTER_NET_LOGDIR:-/tmp/aster-net-scenarios}"
topo="$here/topology.sh"
mkdir -p "$logdir"

# --dev alone binds [::]:3340, which fails with IPv6 off in the namespaces: bind explicitly.
cat >"$logdir/dev.toml" <<EOF
enable_relay = true
http_bind_addr = "192.0.2.2:3340"
enable_quic_addr_discovery = false
enable_metrics = false
EOF

trap '"$topo" down' EXIT
"$topo" up
"$topo" exec relay "$relay_bin" --dev -c "$logdir/dev.toml" >"$logdir/relay-dev.log" 2>&1 &
"$topo" exec relay "$relay_bin" -c "$relay_root/tls.toml" >"$logdir/relay-tls.log" 2>&1 &
sleep 1
export ASTER_RELAY_CA="$relay_root/tls/ca.der"

wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }
scenario() {  # name relay-url block(0/1)
  local name="$1" url="$2" block="$3" i
  wanted "$name" || return 0
  if [ "$block" = 1 ]; then "$topo" block-direct; else "$topo" unblock-direct; fi
  for i in $(seq 1 "$runs"); do
    local out
    out="$("$here/echo_scenario.sh" "$net_echo" "$url" "$logdir/$name-$i" --sizes "$sizes" \
      --timeout "$timeout" 2>&1 || true)"
    echo "$name #$i: $(echo "$out" | grep -E '^(connected|connect failed|echo)' | tr '\n' ' ')"
  done
}
scenario dev-blocked http://192.0.2.2:3340 1
scenario tls-blocked https://192.0.2.2 1
scenario tls-nat https://192.0.2.2 0
