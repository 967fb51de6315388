#!/usr/bin/env bash
# Creates (once) the venv with the real reference peers: aster-rpc 0.1.2 and aster-cli 0.1.2
# from PyPI, in one pip call (aster-cli alone would pull a newer aster-rpc). pyfory 0.16.0
# comes with them. aster-cli 0.1.2 crashes at start with mcp 2.x, so mcp<2 goes in the same
# call. Prints the venv's path on stdout.
set -euo pipefail
cache="${ASTER_CACHE:-$HOME/.cache/aster}"
venv="${ASTER_REFERENCE_VENV:-$cache/venv-aster-0.1.2}"
stamp="$venv/.aster-reference-ok-2"  # bump when the pip line changes
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check \
      "aster-rpc==0.1.2" "aster-cli==0.1.2" "mcp<2" >&2
  "$venv/bin/python" -c 'import aster, pyfory; assert pyfory.__version__ == "0.16.0", pyfory.__version__' >&2
  "$venv/bin/aster" --help >/dev/null  # aster-cli starts (fails with mcp 2.x)
  touch "$stamp"
fi
echo "$venv"
