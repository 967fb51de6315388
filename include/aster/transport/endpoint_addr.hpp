// How a user names a peer, exactly as aster-rpc 0.1.2 prints and parses it
// (aster-rpc@0972ac9:bindings/python/aster/runtime.py `_coerce_node_addr`, core/src/ticket.rs,
// bindings/python/rust/src/net.rs `to_bytes`/`from_bytes`):
//   * `aster1…`  — base58 (Bitcoin alphabet) compact ticket, core/src/ticket.rs v1;
//   * 64 hex     — a bare endpoint id (ed25519 public key);
//   * otherwise  — standard base64 of the NodeAddr text `id LF relay-url-or-empty LF addr…`.
// Parsers discard the ticket's relay and credential, as 0.1.2 does, and dial id + addresses.
//
// Everything here is plain C++ without coroutines: the fuzz preset (clang-14) builds it alone
// as `aster_endpoint_addr` (tests/fuzz/endpoint_addr_fuzz.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <asio/ip/udp.hpp>

#include "aster/status.hpp"

namespace aster::transport {

// An iroh endpoint id: the 32-byte ed25519 public key, printed as 64 lowercase hex.
struct EndpointId {
  std::array<uint8_t, 32> bytes{};

  static Result<EndpointId> from_hex(std::string_view hex);
  std::string to_hex() const;
  // True when the bytes are a canonical ed25519 point of prime order (libsodium's
  // crypto_core_ed25519_is_valid_point): the only keys an iroh endpoint can hold. The bare
  // parsers above accept any 32 bytes; parse_endpoint_addr() insists on this.
  bool is_valid_public_key() const;
  friend bool operator==(const EndpointId&, const EndpointId&) = default;
};

using SocketAddress = asio::ip::udp::endpoint;

// "1.2.3.4:5" / "[::1]:5", as iroh prints socket addresses in NodeAddr text.
std::string to_string(const SocketAddress& address);

// Where to dial a peer: what the bridge's connect takes.
struct EndpointAddr {
  EndpointId id;
  std::string relay_url;                     // empty when none
  std::vector<SocketAddress> direct_addresses;

  // The LF text form 0.1.2 base64-encodes (`IrohNode.node_addr_info().to_bytes()`).
  std::string to_node_addr_text() const;
  static Result<EndpointAddr> from_node_addr_text(std::string_view text);
  // Standard base64 (with padding) of the LF text form: 0.1.2's `endpoint_addr_b64`.
  std::string to_node_addr_b64() const;
  static Result<EndpointAddr> from_node_addr_b64(std::string_view b64);

  friend bool operator==(const EndpointAddr&, const EndpointAddr&) = default;
};

// The credential TLV a ticket may carry (unused by 0.1.2 peers; kept for round trips).
struct TicketCredential {
  enum class Kind : uint8_t { kOpen = 0, kConsumerRcan = 1, kEnrollment = 2, kRegistryRead = 3 };
  Kind kind = Kind::kOpen;
  std::vector<uint8_t> payload;  // ≤ 220 bytes; exactly 32 for kRegistryRead
  friend bool operator==(const TicketCredential&, const TicketCredential&) = default;
};

// The `aster1…` compact ticket (≤ 256 bytes before base58).
struct AsterTicket {
  static constexpr std::string_view kPrefix = "aster1";
  static constexpr size_t kMaxWireSize = 256;
  // 256 bytes are at most 350 base58 characters (256 · log 256 / log 58 = 349.6, and a leading
  // zero byte is one '1'); longer text is rejected before the quadratic base58 decode.
  static constexpr size_t kMaxBase58Length = 350;
  static constexpr size_t kMaxDirectAddresses = 15;
  static constexpr size_t kMaxCredentialPayload = 220;

  EndpointId id;
  std::optional<SocketAddress> relay;  // the relay's resolved IP:port, not its URL
  std::vector<SocketAddress> direct_addresses;
  std::optional<TicketCredential> credential;

  Result<std::vector<uint8_t>> encode() const;
  static Result<AsterTicket> decode(std::span<const uint8_t> bytes);
  Result<std::string> to_string() const;
  static Result<AsterTicket> from_string(std::string_view text);

  friend bool operator==(const AsterTicket&, const AsterTicket&) = default;
};

// Longest address text parse_endpoint_addr() looks at (a NodeAddr with a relay URL and a few
// dozen socket addresses is far below this); longer input is rejected before any decoding.
inline constexpr size_t kMaxEndpointAddrText = 4096;

// Parses any of the three forms a user types, in 0.1.2's order (`_coerce_node_addr`), and
// checks that the endpoint id is a valid ed25519 public key. kInvalidArgument errors name the
// form that was recognised and what is wrong with it ("corrupt aster1 ticket: …"). Linear in
// the input; they quote at most a short prefix of it.
Result<EndpointAddr> parse_endpoint_addr(std::string_view text);

// Bitcoin-alphabet base58, as the `bs58` crate 0972ac9 uses. Exposed for tests. Quadratic in
// the length: callers bound it (AsterTicket::from_string does).
std::string base58_encode(std::span<const uint8_t> bytes);
Result<std::vector<uint8_t>> base58_decode(std::string_view text);

}  // namespace aster::transport
