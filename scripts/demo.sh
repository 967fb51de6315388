#!/usr/bin/env bash
# The README's main job: builds the native `aster` tool, starts a producer on loopback (for now
# the real Python aster-rpc 0.1.2 HelloService producer; our own C++ producer replaces it once
# the RPC runtime lands) and lists its services with `aster service ls`, as a table and as JSON.
# Everything runs inside a loopback-only network namespace with relays off.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "${ASTER_IN_NETNS:-}" != 1 ]; then
  scripts/bootstrap.sh
  venv=$(scripts/reference-peers.sh)
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/aster/ccache}"
  echo "== building the aster tool (first run also compiles the Rust iroh bridge: several minutes)"
  cmake --preset default -DASTER_REFERENCE_VENV="$venv" >/dev/null
  cmake --build --preset default --target aster
  export ASTER_REFERENCE_VENV="$venv"
  exec scripts/netns-run "$0" "$@"
fi

export ASTER_RELAY_MODE=disabled
aster="$root/build/default/cli/aster"
info=$(mktemp)
exec 3> >("$ASTER_REFERENCE_VENV/bin/python" -u tests/interop/py/hello_producer.py --many >"$info" 2>/dev/null)
producer_pid=$!
trap 'exec 3>&-; wait $producer_pid 2>/dev/null || true; rm -f "$info"' EXIT
for _ in $(seq 1 300); do [ -s "$info" ] && break; sleep 0.1; done
[ -s "$info" ] || { echo "demo: the Python producer did not start" >&2; exit 1; }
ticket=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ticket"])' "$info")

echo "== a Python aster-rpc 0.1.2 producer is serving HelloService and MissionControl at"
echo "   $ticket"
echo
echo "\$ aster service ls <ticket>"
"$aster" service ls "$ticket"
echo
echo "\$ aster service ls --json <ticket>"
"$aster" service ls --json "$ticket"
