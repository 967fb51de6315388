#!/usr/bin/env bash
# Builds tests/consumer the three ways a user would consume Aster C++ and runs each build:
# (a) find_package(aster CONFIG) against an install prefix, (b) pkg-config against the same
# prefix, (c) add_subdirectory of the source tree. Run by ctest (label consumer).
# Usage: check.sh <aster source dir> <aster build dir> <scratch dir>
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix="$work/prefix"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

echo "== install into $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null

echo "== (a) find_package(aster CONFIG REQUIRED)"
cmake -S "$src/tests/consumer" -B "$work/find_package" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >/dev/null
cmake --build "$work/find_package" >/dev/null
"$work/find_package/consumer"

echo "== (b) pkg-config"
mkdir -p "$work/pkg-config"
# shellcheck disable=SC2046
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" c++ -O2 "$src/tests/consumer/main.cpp" \
    -o "$work/pkg-config/consumer" $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs aster)
"$work/pkg-config/consumer"

echo "== (c) add_subdirectory"
cmake -S "$src/tests/consumer" -B "$work/subdirectory" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DASTER_CONSUMER_MODE=subdirectory -DASTER_SOURCE_DIR="$src" "${launcher[@]}" >/dev/null
cmake --build "$work/subdirectory" --target consumer >/dev/null
"$work/subdirectory/consumer"

strip -o "$work/consumer.stripped" "$work/find_package/consumer"
echo "consumer sizes: $(stat -c %s "$work/find_package/consumer") bytes, stripped $(stat -c %s "$work/consumer.stripped") bytes"
