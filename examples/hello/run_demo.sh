#!/usr/bin/env bash
# Starts the C++ hello producer, calls it with the C++ hello consumer, stops the producer.
# Usage: examples/hello/run_demo.sh <build dir>   (prints the consumer's output: Hello, World!)
set -euo pipefail
build="${1:?build dir}"
export ASTER_RELAY_MODE="${ASTER_RELAY_MODE:-disabled}"
out="$(mktemp)"
"$build/examples/hello/hello_producer" > "$out" &
producer=$!
trap 'kill "$producer" 2>/dev/null; wait "$producer" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 300); do
  [ -s "$out" ] && break
  kill -0 "$producer" 2>/dev/null || { echo "producer exited" >&2; exit 1; }
  sleep 0.1
done
address="$(head -n1 "$out")"
[ -n "$address" ] || { echo "producer printed no address" >&2; exit 1; }
"$build/examples/hello/hello_consumer" "$address"
