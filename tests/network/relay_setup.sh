#!/usr/bin/env bash
# Makes what the network tests need from outside the clone, once, cached under
# ${ASTER_CACHE_DIR:-~/.cache/aster}/relay:
#   * our own relay: the iroh-relay 0.97.0 binary (crates.io, feature `server`, the crate's own
#     published Cargo.lock via --locked) — the same iroh line as the bridge; ≈4–6 min cold,
#     ≈650 MB of cargo output in the cache, nothing in the clone;
#   * a throw-away CA and a relay certificate it signs (P-256, IP SAN 192.0.2.2), for the TLS
#     relay with QUIC address discovery (webpki refuses a CA:TRUE certificate as the server's).
# Writes the TLS relay's config (tls.toml) there too. Prints the relay directory on stdout. Needs cargo and openssl.
set -euo pipefail
cache="${ASTER_CACHE_DIR:-$HOME/.cache/aster}"
relay_root="$cache/relay"
relay_bin="$relay_root/bin/iroh-relay"
tls="$relay_root/tls"
mkdir -p "$tls"

if [ ! -x "$relay_bin" ]; then
  echo "relay_setup: building iroh-relay 0.97.0 into $relay_root (once; a few minutes)" >&2
  start=$(date +%s)
  CARGO_HOME="${CARGO_HOME:-$cache/cargo-home}" cargo install iroh-relay --version =0.97.0 \
    --features server --locked --root "$relay_root" --target-dir "$cache/relay-target" >&2
  echo "relay_setup: built in $(( $(date +%s) - start )) s" >&2
fi

if [ ! -s "$tls/ca.der" ] || [ ! -s "$tls/default.key" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -keyout "$work/ca.key" -out "$work/ca.crt" -subj "/CN=aster network-test relay CA" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$work/default.key" -out "$work/leaf.csr" -subj "/CN=192.0.2.2" 2>/dev/null
  printf 'subjectAltName=IP:192.0.2.2\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' \
    >"$work/leaf.ext"
  openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
    -CAcreateserial -out "$work/default.crt" -days 3650 -extfile "$work/leaf.ext" 2>/dev/null
  openssl x509 -in "$work/ca.crt" -outform DER -out "$work/ca.der"
  # Move into place together, the DER last: its presence says the set is complete.
  cp "$work/ca.key" "$work/ca.crt" "$work/default.key" "$work/default.crt" "$tls/"
  cp "$work/ca.der" "$tls/ca.der"
fi
# The TLS relay with QUIC address discovery, as topology.sh's `relay` namespace runs it.
cat >"$relay_root/tls.toml" <<EOF
enable_relay = true
http_bind_addr = "192.0.2.2:80"
enable_quic_addr_discovery = true
enable_metrics = false
[tls]
https_bind_addr = "192.0.2.2:443"
quic_bind_addr = "192.0.2.2:7842"
cert_mode = "Manual"
manual_cert_path = "$tls/default.crt"
manual_key_path = "$tls/default.key"
EOF
echo "$relay_root"
