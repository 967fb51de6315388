#!/usr/bin/env bash
# One issue-14 echo scenario in the namespace topology: aster_net_echo serves in namespace b,
# the client runs in namespace a, both with ASTER_RELAY_MODE=<relay URL>. The topology and the
# relay must already be up (topology.sh up [--block-direct]; the relay started in `relay`).
#
# usage: echo_scenario.sh NET_ECHO RELAY_URL LOGDIR [client options: --sizes 1,10 --wait S ...]
# Env passed through to both sides: ASTER_IROH_TRACE, ASTER_RELAY_CA.
# Logs: LOGDIR/serve.err, LOGDIR/client.out, LOGDIR/client.err. Exit status: the client's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
net_echo="$1" relay_url="$2" logdir="$3"
shift 3
mkdir -p "$logdir"
topo="$here/topology.sh"
envs=(ASTER_RELAY_MODE="$relay_url")
[ -n "${ASTER_IROH_TRACE:-}" ] && envs+=(ASTER_IROH_TRACE="$ASTER_IROH_TRACE")
[ -n "${ASTER_RELAY_CA:-}" ] && envs+=(ASTER_RELAY_CA="$ASTER_RELAY_CA")

"$topo" exec b env "${envs[@]}" "$net_echo" serve >"$logdir/serve.out" 2>"$logdir/serve.err" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true; wait $serve_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$logdir/serve.out" ] && break
  sleep 0.1
done
addr="$(head -1 "$logdir/serve.out")"
[ -n "$addr" ] || { echo "echo_scenario: server printed no address" >&2; exit 1; }
echo "server: $(echo "$addr" | base64 -d | tr '\n' ' ')"
rc=0
"$topo" exec a env "${envs[@]}" "$net_echo" client "$addr" "$@" \
  >"$logdir/client.out" 2>"$logdir/client.err" || rc=$?
cat "$logdir/client.out"
exit $rc
