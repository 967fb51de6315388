#!/usr/bin/env bash
# Installs what building Aster C++ needs on a Debian 12 machine: the C++ libraries as Debian
# packages (only those missing), and checks for the Rust toolchain that builds bridge/.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config ccache git iproute2 nftables util-linux tmux python3-venv
  libasio-dev libsodium-dev libzstd-dev libmurmurhash-dev nlohmann-json3-dev libcli11-dev
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libedit-dev libicu-dev libtomlplusplus-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc openssl
  libtcmalloc-minimal4
  clang-14 libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  echo "bootstrap: cargo (Rust >= 1.89) is required to build bridge/; install rustup's stable toolchain" >&2
  exit 1
fi
