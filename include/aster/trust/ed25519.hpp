// Ed25519 keys, signatures and nonces for Aster's trust layer, from libsodium (never our own
// arithmetic). 0.1.2 keeps every key as the 32-byte RFC 8032 seed ("raw private bytes",
// aster-rpc@0972ac9:bindings/python/aster/trust/signing.py `generate_root_keypair`), and an
// iroh endpoint id is the public key of the node's seed, so one seed type serves root keys and
// node keys alike.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "aster/status.hpp"

namespace aster::trust {

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;
using Nonce = std::array<uint8_t, 32>;

// A 32-byte ed25519 seed. Wiped when destroyed; never printed (no to_string): only
// `to_hex`/`to_base64` for the files 0.1.2 writes them into.
class SecretSeed {
 public:
  static SecretSeed generate();
  static Result<SecretSeed> from_bytes(std::span<const uint8_t> bytes);
  static Result<SecretSeed> from_hex(std::string_view hex);
  // Standard base64 with padding (`.aster-identity` [node] secret_key, ASTER_SECRET_KEY).
  static Result<SecretSeed> from_base64(std::string_view text);

  SecretSeed(const SecretSeed& other) = default;
  SecretSeed& operator=(const SecretSeed& other) = default;
  ~SecretSeed();

  const std::array<uint8_t, 32>& bytes() const { return seed_; }
  std::string to_hex() const;
  std::string to_base64() const;
  PublicKey public_key() const;
  Signature sign(std::span<const uint8_t> message) const;

 private:
  SecretSeed() = default;
  std::array<uint8_t, 32> seed_{};
};

// libsodium's crypto_sign_verify_detached: rejects non-canonical signatures and small-order
// keys, as OpenSSL (0.1.2's verifier) does for the former.
bool verify_signature(const PublicKey& key, std::span<const uint8_t> message,
                      const Signature& signature);

// 32 random bytes from the OS generator (`secrets.token_bytes(32)` in 0.1.2).
Nonce random_nonce();

// Exactly 64 / 128 / 64 hex digits (either case); errors name `what` (a field name).
Result<PublicKey> public_key_from_hex(std::string_view hex, std::string_view what);
Result<Signature> signature_from_hex(std::string_view hex, std::string_view what);
Result<Nonce> nonce_from_hex(std::string_view hex, std::string_view what);

}  // namespace aster::trust
