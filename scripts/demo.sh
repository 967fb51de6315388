#!/usr/bin/env bash
# The README's main job: builds the native `aster` tool and the C++ hello example, starts our
# C++ HelloService producer on loopback, calls it with our C++ consumer, lists it with
# `aster service ls` and calls it with `aster call`; then does the same against the real
# Python aster-rpc 0.1.2 producer, and ends in our `aster shell` against our producer (a piped
# session, then an interactive one when run on a terminal). Everything runs inside a
# loopback-only network namespace with relays off.
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
  cmake --build --preset default --target aster hello_producer hello_consumer
  export ASTER_REFERENCE_VENV="$venv"
  exec scripts/netns-run "$0" "$@"
fi

export ASTER_RELAY_MODE=disabled
aster="$root/build/default/cli/aster"
hello="$root/build/default/examples/hello"
cpp_info=$(mktemp) py_info=$(mktemp)
"$hello/hello_producer" >"$cpp_info" &
cpp_pid=$!
exec 3> >("$ASTER_REFERENCE_VENV/bin/python" -u tests/interop/py/hello_producer.py --many >"$py_info" 2>/dev/null)
py_pid=$!
trap 'kill $cpp_pid 2>/dev/null; exec 3>&-; wait $cpp_pid $py_pid 2>/dev/null || true; rm -f "$cpp_info" "$py_info"' EXIT
for _ in $(seq 1 300); do [ -s "$cpp_info" ] && [ -s "$py_info" ] && break; sleep 0.1; done
[ -s "$cpp_info" ] || { echo "demo: the C++ producer did not start" >&2; exit 1; }
[ -s "$py_info" ] || { echo "demo: the Python producer did not start" >&2; exit 1; }
cpp_ticket=$(head -n1 "$cpp_info")
py_ticket=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ticket"])' "$py_info")

echo "== our C++ producer (examples/hello/hello_producer) is serving HelloService at"
echo "   $cpp_ticket"
echo
echo "\$ hello_consumer <ticket>        # our C++ typed client: admission, then say_hello"
"$hello/hello_consumer" "$cpp_ticket"
echo
echo "\$ aster service ls <ticket>"
"$aster" service ls "$cpp_ticket"
echo
echo "\$ aster call <ticket> HelloService.say_hello '{\"name\": \"World\"}'"
"$aster" call "$cpp_ticket" HelloService.say_hello '{"name": "World"}'
echo
echo "== a Python aster-rpc 0.1.2 producer is serving HelloService and MissionControl at"
echo "   $py_ticket"
echo
echo "\$ hello_consumer <ticket>        # the same C++ client against the Python producer"
"$hello/hello_consumer" "$py_ticket"
echo
echo "\$ aster service ls --json <ticket>"
"$aster" service ls --json "$py_ticket"
echo
echo "\$ aster call <ticket> HelloService.say_hello '{\"name\": \"Python\"}'"
"$aster" call "$py_ticket" HelloService.say_hello '{"name": "Python"}'
echo
echo "== our native shell against our C++ producer (manifests from the producer's registry)"
shell_script='ls
cd /services/HelloService
ls
describe
./say_hello name="Shell"'
echo "\$ aster shell <ticket>   # commands piped in:"
printf '%s\n' "$shell_script" | sed 's/^/    /'
printf '%s\n' "$shell_script" | "$aster" shell "$cpp_ticket"
if [ -t 0 ] && [ -t 1 ]; then
  echo
  echo "== now yours: the same shell, interactive (Tab completes, 'help' lists commands, 'exit' quits)"
  "$aster" shell "$cpp_ticket"
fi
