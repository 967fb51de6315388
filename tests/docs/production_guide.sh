#!/usr/bin/env bash
# Runs docs/production.md's ```sh blocks in order, as a reader would, with our `aster` and the
# hello and mission_control example producers on PATH, in a scratch directory with its own HOME.
# usage: production_guide.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
source_dir=$1
binary_dir=$2
work=$(mktemp -d /tmp/aster-production-guide-XXXXXX)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home PATH=$binary_dir/cli:$binary_dir/examples/hello:$binary_dir/examples/mission_control:$PATH
export ASTER_RELAY_MODE=disabled
mkdir -p "$HOME"
cd "$work"
python3 - "$source_dir/docs/production.md" > guide.sh <<'PY'
import re, sys
text = open(sys.argv[1]).read()
print("\n".join(re.findall(r"```sh\n(.*?)```", text, re.S)))
PY
source ./guide.sh
echo "production guide: all steps ran"
