#include "aster/trust/ed25519.hpp"

#include <sodium.h>

#include <stdexcept>

#include "aster/hex.hpp"

namespace aster::trust {
namespace {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

template <size_t N>
Result<std::array<uint8_t, N>> fixed_from_hex(std::string_view hex, std::string_view what) {
  if (hex.size() != 2 * N) {
    return Status(StatusCode::kInvalidArgument, std::string(what) + " must be " +
                                                    std::to_string(2 * N) + " hex digits, got " +
                                                    std::to_string(hex.size()));
  }
  auto bytes = from_hex(hex);
  if (!bytes) {
    return Status(StatusCode::kInvalidArgument,
                  std::string(what) + ": " + bytes.status().message());
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return out;
}

}  // namespace

SecretSeed SecretSeed::generate() {
  ensure_sodium();
  SecretSeed seed;
  randombytes_buf(seed.seed_.data(), seed.seed_.size());
  return seed;
}

Result<SecretSeed> SecretSeed::from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != 32) {
    return Status(StatusCode::kInvalidArgument,
                  "an ed25519 secret key is 32 bytes, got " + std::to_string(bytes.size()));
  }
  SecretSeed seed;
  std::copy(bytes.begin(), bytes.end(), seed.seed_.begin());
  return seed;
}

Result<SecretSeed> SecretSeed::from_hex(std::string_view hex) {
  ASTER_ASSIGN_OR_RETURN(auto bytes, fixed_from_hex<32>(hex, "private key"));
  auto seed = from_bytes(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return seed;
}

Result<SecretSeed> SecretSeed::from_base64(std::string_view text) {
  ensure_sodium();
  std::array<uint8_t, 64> buffer{};
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(buffer.data(), buffer.size(), text.data(), text.size(), nullptr, &length,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return Status(StatusCode::kInvalidArgument, "secret key is not valid base64");
  }
  auto seed = from_bytes(std::span<const uint8_t>(buffer.data(), length));
  sodium_memzero(buffer.data(), buffer.size());
  return seed;
}

SecretSeed::~SecretSeed() { sodium_memzero(seed_.data(), seed_.size()); }

std::string SecretSeed::to_hex() const { return ::aster::to_hex(seed_); }

std::string SecretSeed::to_base64() const {
  ensure_sodium();
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(out, sizeof out, seed_.data(), seed_.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string text(out);
  sodium_memzero(out, sizeof out);
  return text;
}

PublicKey SecretSeed::public_key() const {
  ensure_sodium();
  PublicKey pk{};
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk.data(), sk, seed_.data());
  sodium_memzero(sk, sizeof sk);
  return pk;
}

Signature SecretSeed::sign(std::span<const uint8_t> message) const {
  ensure_sodium();
  PublicKey pk{};
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk.data(), sk, seed_.data());
  Signature signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), sk);
  sodium_memzero(sk, sizeof sk);
  return signature;
}

bool verify_signature(const PublicKey& key, std::span<const uint8_t> message,
                      const Signature& signature) {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

Nonce random_nonce() {
  ensure_sodium();
  Nonce nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

Result<PublicKey> public_key_from_hex(std::string_view hex, std::string_view what) {
  return fixed_from_hex<32>(hex, what);
}
Result<Signature> signature_from_hex(std::string_view hex, std::string_view what) {
  return fixed_from_hex<64>(hex, what);
}
Result<Nonce> nonce_from_hex(std::string_view hex, std::string_view what) {
  return fixed_from_hex<32>(hex, what);
}

}  // namespace aster::trust
