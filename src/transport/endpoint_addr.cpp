#include "aster/transport/endpoint_addr.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include <asio/ip/address.hpp>

#include "aster/hex.hpp"

namespace aster::transport {
namespace {

constexpr std::string_view kBase58Alphabet =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

Status invalid(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}

// User text quoted in an error: at most 40 bytes of it, so a 4 KiB paste stays one short line.
std::string quoted(std::string_view text) {
  constexpr size_t kShown = 40;
  if (text.size() <= kShown) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kShown)) + "…' (" + std::to_string(text.size()) +
         " characters)";
}

Status corrupt_ticket(std::string_view what) {
  return invalid("corrupt aster1 ticket: " + std::string(what));
}

bool is_hex_id(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// "1.2.3.4:5" or "[::1]:5", as iroh's SocketAddr Display writes them.
Result<SocketAddress> parse_socket_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid("bad IPv6 socket address " + quoted(text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid("socket address " + quoted(text) + " has no port");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint16_t port_number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty()) {
    return invalid("bad port in socket address " + quoted(text));
  }
  asio::error_code address_error;
  auto address = asio::ip::make_address(std::string(host), address_error);
  if (address_error) {
    return invalid("bad IP address in socket address " + quoted(text));
  }
  return SocketAddress(address, port_number);
}

void append_socket_address(std::vector<uint8_t>& out, const SocketAddress& address) {
  if (address.address().is_v4()) {
    auto octets = address.address().to_v4().to_bytes();
    out.insert(out.end(), octets.begin(), octets.end());
  } else {
    auto octets = address.address().to_v6().to_bytes();
    out.insert(out.end(), octets.begin(), octets.end());
  }
  out.push_back(static_cast<uint8_t>(address.port() >> 8));
  out.push_back(static_cast<uint8_t>(address.port() & 0xff));
}

// Reads an IPv4 (6 bytes) or IPv6 (18 bytes) address + big-endian port at `pos`.
Result<SocketAddress> read_socket_address(std::span<const uint8_t> bytes, size_t& pos, bool v6,
                                          std::string_view what) {
  const size_t need = v6 ? 18 : 6;
  if (pos + need > bytes.size()) {
    return invalid("truncated in " + std::string(what) + " at byte " +
                   std::to_string(pos));
  }
  asio::ip::address address;
  if (v6) {
    asio::ip::address_v6::bytes_type octets;
    std::copy_n(bytes.begin() + pos, 16, octets.begin());
    address = asio::ip::address_v6(octets);
  } else {
    asio::ip::address_v4::bytes_type octets;
    std::copy_n(bytes.begin() + pos, 4, octets.begin());
    address = asio::ip::address_v4(octets);
  }
  const size_t port_at = pos + need - 2;
  const auto port = static_cast<uint16_t>((bytes[port_at] << 8) | bytes[port_at + 1]);
  pos += need;
  return SocketAddress(address, port);
}

}  // namespace

std::string to_string(const SocketAddress& address) {
  if (address.address().is_v6()) {
    return "[" + address.address().to_string() + "]:" + std::to_string(address.port());
  }
  return address.address().to_string() + ":" + std::to_string(address.port());
}

Result<EndpointId> EndpointId::from_hex(std::string_view hex) {
  if (!is_hex_id(hex)) {
    return invalid("endpoint id must be 64 hex characters, got " + quoted(hex));
  }
  auto bytes = ::aster::from_hex(hex);
  if (!bytes.is_ok() || bytes->size() != 32) return invalid("endpoint id is not valid hex");
  EndpointId id;
  std::copy(bytes->begin(), bytes->end(), id.bytes.begin());
  return id;
}

bool EndpointId::is_valid_public_key() const {
  static const bool sodium_ready = sodium_init() >= 0;
  return sodium_ready && crypto_core_ed25519_is_valid_point(bytes.data()) == 1;
}

std::string EndpointId::to_hex() const { return ::aster::to_hex(bytes); }

std::string EndpointAddr::to_node_addr_text() const {
  std::string text = id.to_hex();
  text += '\n';
  text += relay_url;
  for (const auto& address : direct_addresses) {
    text += '\n';
    text += to_string(address);
  }
  return text;
}

Result<EndpointAddr> EndpointAddr::from_node_addr_text(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  EndpointAddr addr;
  auto id = EndpointId::from_hex(lines[0]);
  if (!id) return invalid("NodeAddr: " + id.status().message());
  addr.id = *id;
  if (lines.size() > 1) addr.relay_url = std::string(lines[1]);
  for (size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto socket_address = parse_socket_address(lines[i]);
    if (!socket_address) return invalid("NodeAddr: " + socket_address.status().message());
    addr.direct_addresses.push_back(*socket_address);
  }
  return addr;
}

std::string EndpointAddr::to_node_addr_b64() const {
  const std::string text = to_node_addr_text();
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                    text.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<EndpointAddr> EndpointAddr::from_node_addr_b64(std::string_view b64) {
  std::string text(b64.size(), '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(text.data()), text.size(), b64.data(),
                        b64.size(), nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size()) {
    return invalid("not an aster1 ticket, a 64-hex endpoint id, or base64 NodeAddr text");
  }
  text.resize(length);
  // Short base64-looking words ("aaaa", a typo'd id) decode to bytes that are no NodeAddr:
  // say what was expected rather than complain about the bytes.
  if (!is_hex_id(std::string_view(text).substr(0, text.find('\n')))) {
    return invalid("not an aster1 ticket, a 64-hex endpoint id, or base64 NodeAddr text");
  }
  return from_node_addr_text(text);
}

std::string base58_encode(std::span<const uint8_t> bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // log(256)/log(58) ≈ 1.37 digits per byte.
  std::vector<uint8_t> digits((bytes.size() - zeros) * 138 / 100 + 1, 0);
  size_t used = 0;
  for (size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = bytes[i];
    size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  auto it = std::find_if(digits.begin(), digits.end(), [](uint8_t d) { return d != 0; });
  std::string out(zeros, '1');
  for (; it != digits.end(); ++it) out += kBase58Alphabet[*it];
  return out;
}

Result<std::vector<uint8_t>> base58_decode(std::string_view text) {
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  std::vector<uint8_t> bytes((text.size() - zeros) * 733 / 1000 + 1, 0);
  size_t used = 0;
  for (size_t i = zeros; i < text.size(); ++i) {
    auto digit = kBase58Alphabet.find(text[i]);
    if (digit == std::string_view::npos) {
      return invalid("invalid base58 character '" + std::string(1, text[i]) + "' at position " +
                     std::to_string(i));
    }
    unsigned carry = static_cast<unsigned>(digit);
    size_t j = 0;
    for (auto it = bytes.rbegin(); (carry != 0 || j < used) && it != bytes.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = j;
  }
  auto it = std::find_if(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
  std::vector<uint8_t> out(zeros, 0);
  out.insert(out.end(), it, bytes.end());
  return out;
}

Result<std::vector<uint8_t>> AsterTicket::encode() const {
  if (direct_addresses.size() > kMaxDirectAddresses) {
    return invalid("too many direct addresses (max 15)");
  }
  std::vector<uint8_t> out(id.bytes.begin(), id.bytes.end());
  const uint8_t relay_type = !relay ? 0 : relay->address().is_v4() ? 1 : 2;
  out.push_back(static_cast<uint8_t>((1 << 4) | (relay_type << 2)));
  if (relay) append_socket_address(out, *relay);
  const size_t count = direct_addresses.size();
  out.push_back(static_cast<uint8_t>(count << 4));
  if (count > 0) {
    const size_t bitfield_at = out.size();
    out.resize(out.size() + (count * 2 + 7) / 8, 0);
    for (size_t i = 0; i < count; ++i) {
      if (direct_addresses[i].address().is_v6()) {
        out[bitfield_at + i * 2 / 8] |= static_cast<uint8_t>(1 << (6 - (i * 2) % 8));
      }
    }
    for (const auto& address : direct_addresses) append_socket_address(out, address);
  }
  if (credential) {
    if (credential->payload.size() > kMaxCredentialPayload) {
      return invalid("ticket credential payload too large (max 220 bytes)");
    }
    out.push_back(static_cast<uint8_t>(credential->kind));
    out.push_back(static_cast<uint8_t>(credential->payload.size() >> 8));
    out.push_back(static_cast<uint8_t>(credential->payload.size() & 0xff));
    out.insert(out.end(), credential->payload.begin(), credential->payload.end());
  }
  if (out.size() > kMaxWireSize) return invalid("encoded ticket exceeds 256 bytes");
  return out;
}

Result<AsterTicket> AsterTicket::decode(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxWireSize) {
    return invalid("too large (" + std::to_string(bytes.size()) + " bytes, at most 256)");
  }
  if (bytes.size() < 34) {
    return invalid("too short (" + std::to_string(bytes.size()) + " bytes, at least 34)");
  }
  AsterTicket ticket;
  std::copy_n(bytes.begin(), 32, ticket.id.bytes.begin());
  size_t pos = 32;
  const uint8_t header = bytes[pos++];
  if ((header >> 4) != 1) {
    // No checksum in the format: a mistyped or cut ticket usually shows up here first.
    return invalid("header says version " + std::to_string(header >> 4) +
                   ", and version 1 is the only one");
  }
  switch ((header >> 2) & 0x3) {
    case 0: break;
    case 1:
    case 2: {
      auto relay = read_socket_address(bytes, pos, ((header >> 2) & 0x3) == 2, "relay address");
      if (!relay) return relay.status();
      ticket.relay = *relay;
      break;
    }
    default: return invalid("reserved relay type 3 in the header");
  }
  if (pos >= bytes.size()) return invalid("truncated before the direct address count");
  const size_t count = bytes[pos++] >> 4;
  if (count > 0) {
    const size_t bitfield_bytes = (count * 2 + 7) / 8;
    if (pos + bitfield_bytes > bytes.size()) return invalid("truncated in the address types");
    const auto bitfield = bytes.subspan(pos, bitfield_bytes);
    pos += bitfield_bytes;
    for (size_t i = 0; i < count; ++i) {
      const unsigned type = (bitfield[i * 2 / 8] >> (6 - (i * 2) % 8)) & 0x3;
      if (type > 1) return invalid("reserved address type " + std::to_string(type));
      auto address = read_socket_address(bytes, pos, type == 1, "direct address");
      if (!address) return address.status();
      ticket.direct_addresses.push_back(*address);
    }
  }
  if (pos < bytes.size()) {
    if (pos + 3 > bytes.size()) return invalid("truncated in the credential header");
    const uint8_t kind = bytes[pos];
    const size_t length = (static_cast<size_t>(bytes[pos + 1]) << 8) | bytes[pos + 2];
    pos += 3;
    if (kind > 3) return invalid("unknown credential type " + std::to_string(kind));
    if (length > kMaxCredentialPayload) return invalid("credential payload too large (" + std::to_string(length) + " bytes, at most 220)");
    if (pos + length > bytes.size()) return invalid("truncated in the credential payload");
    if (kind == 3 && length != 32) return invalid("registry_read credential must be 32 bytes");
    ticket.credential = TicketCredential{static_cast<TicketCredential::Kind>(kind),
                                         {bytes.begin() + pos, bytes.begin() + pos + length}};
    pos += length;
  }
  if (pos != bytes.size()) {
    return invalid(std::to_string(bytes.size() - pos) + " trailing bytes");
  }
  return ticket;
}

Result<std::string> AsterTicket::to_string() const {
  auto bytes = encode();
  if (!bytes) return bytes.status();
  return std::string(kPrefix) + base58_encode(*bytes);
}

Result<AsterTicket> AsterTicket::from_string(std::string_view text) {
  if (!text.starts_with(kPrefix)) return invalid("ticket does not start with 'aster1'");
  const auto base58 = text.substr(kPrefix.size());
  if (base58.size() > kMaxBase58Length) {
    return corrupt_ticket("too long (" + std::to_string(text.size()) + " characters, at most " +
                          std::to_string(kPrefix.size() + kMaxBase58Length) + ")");
  }
  auto bytes = base58_decode(base58);
  if (!bytes) return corrupt_ticket(bytes.status().message());
  auto ticket = decode(*bytes);
  if (!ticket) return corrupt_ticket(ticket.status().message());
  return ticket;
}

namespace {

Result<EndpointAddr> parse_any_form(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return invalid("empty peer address");
  if (text.starts_with(AsterTicket::kPrefix)) {
    ASTER_ASSIGN_OR_RETURN(auto ticket, AsterTicket::from_string(text));
    if (!ticket.id.is_valid_public_key()) {
      return corrupt_ticket("its endpoint id " + ticket.id.to_hex() +
                            " is not a valid ed25519 public key");
    }
    // 0.1.2 discards the ticket's relay and credential and dials id + direct addresses.
    return EndpointAddr{ticket.id, "", ticket.direct_addresses};
  }
  EndpointAddr addr;
  if (is_hex_id(text)) {
    ASTER_ASSIGN_OR_RETURN(addr.id, EndpointId::from_hex(text));
  } else {
    ASTER_ASSIGN_OR_RETURN(addr, EndpointAddr::from_node_addr_b64(text));
  }
  if (!addr.id.is_valid_public_key()) {
    return invalid("endpoint id " + addr.id.to_hex() + " is not a valid ed25519 public key");
  }
  return addr;
}

}  // namespace

Result<EndpointAddr> parse_endpoint_addr(std::string_view text) {
  // Before anything else: every decoder below is linear, but base58 is quadratic and error
  // messages copy parts of the text.
  if (text.size() > kMaxEndpointAddrText) {
    return invalid("peer address too long (" + std::to_string(text.size()) +
                   " characters, at most " + std::to_string(kMaxEndpointAddrText) + ")");
  }
  return parse_any_form(text);
}

}  // namespace aster::transport
