#!/usr/bin/env bash
# The README's test command: installs and builds what it needs, then runs every test —
# unit, transport and interop (against the real aster-rpc/aster-cli 0.1.2 from PyPI) in the
# default build, the network tests (our relay and two NATs in namespaces: tests/network), unit +
# transport again under ASan/UBSan, and the fuzz smoke runs — inside a loopback-only network
# namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start ))s] $*"; }

stamp "bootstrap (Debian packages, Rust toolchain check)"
scripts/bootstrap.sh
stamp "reference peers (aster-rpc 0.1.2, aster-cli 0.1.2 venv)"
venv=$(scripts/reference-peers.sh)

export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/aster/ccache}"
presets=(default asan fuzz)
[ -n "${ASTER_TEST_PRESETS:-}" ] && read -r -a presets <<<"$ASTER_TEST_PRESETS"
for preset in "${presets[@]}"; do
  stamp "configure + build ($preset)"
  cmake --preset "$preset" -DASTER_REFERENCE_VENV="$venv" >/dev/null
  targets=()
  # asan runs only the unit + transport tests (below): build just their executables.
  [ "$preset" = asan ] && targets=(--target aster_all_unit_tests)
  cmake --build --preset "$preset" "${targets[@]}"
done

if [[ " ${presets[*]} " == *" default "* ]]; then
  # The network tests' own relay (iroh-relay 0.97.0), built once into ~/.cache/aster/relay
  # before any test runs, so a cold build does not compete with timing-sensitive tests.
  stamp "our relay for tests/network (cached)"
  tests/network/relay_setup.sh >/dev/null
fi

status=0
for preset in "${presets[@]}"; do
  case "$preset" in
    default) labels="" ;;                       # everything
    asan) labels="-L unit|transport" ;;         # sanitizers over unit + transport tests
    fuzz) labels="-L fuzz-smoke" ;;
  esac
  stamp "ctest ($preset) ${labels}"
  matrix="$root/build/$preset/interop-matrix.txt"
  rm -f "$matrix"
  # shellcheck disable=SC2086
  ASTER_INTEROP_MATRIX_FILE="$matrix" \
    scripts/netns-run ctest --preset "$preset" $labels -j2 --timeout 600 || status=1
  if [ "$preset" = default ]; then
    tests/interop/print_matrix.py "$matrix" || status=1
  fi
done
stamp "done (status $status)"
exit $status
