#!/usr/bin/env bash
# How many of N parallel `aster service ls` runs against one real aster-rpc 0.1.2 producer fail
# (issue 13, point 1: the producer's implicit close can overtake its admission reply). One fresh
# producer (tests/interop/py/hello_producer.py --many) per N. Loopback only, so run it inside
# the private network namespace:
#
#   scripts/netns-run tests/interop/parallel_admission.sh build/default/cli/aster 10 20 50 200
#
# Prints one line per N: failures, and the distinct error lines with their counts.
set -euo pipefail
aster=$(realpath "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
venv=${ASTER_REFERENCE_VENV:-$HOME/.cache/aster/venv-aster-0.1.2}
export ASTER_RELAY_MODE=disabled
work=$(mktemp -d)
producer=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$producer" ]; then kill "$producer" 2>/dev/null || true; wait "$producer" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for n in "$@"; do
  rm -f "$work"/*
  mkfifo "$work/stdin"
  "$venv/bin/python" "$here/py/hello_producer.py" --many <"$work/stdin" >"$work/info" 2>"$work/producer.log" &
  producer=$!
  exec 3>"$work/stdin"  # the producer serves until this closes
  for _ in $(seq 600); do [ -s "$work/info" ] && break; sleep 0.1; done
  ticket=$("$venv/bin/python" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["ticket"])' "$work/info")
  pids=()
  for i in $(seq "$n"); do
    "$aster" service ls --json "$ticket" >/dev/null 2>"$work/err.$i" &
    pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  printf 'N=%-4s failed=%s' "$n" "$failed"
  if [ "$failed" -gt 0 ]; then
    printf '  [%s]' "$(cat "$work"/err.* | sed -E 's/[0-9a-f]{16}…/<id>…/g' | sort | uniq -c | sed -E 's/^ +//' | paste -sd ';' -)"
  fi
  printf '\n'
  exec 3>&-
  kill "$producer" 2>/dev/null || true
  wait "$producer" 2>/dev/null || true
  producer=""
done
