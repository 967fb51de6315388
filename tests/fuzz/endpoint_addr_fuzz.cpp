// libFuzzer target: the address forms a user types (issue 13, point 2). parse_endpoint_addr on
// arbitrary text must answer with an address or a status, in time linear in the input; a ticket
// that decodes must encode back to bytes that decode to the same ticket, and an address that
// parses must survive its own NodeAddr text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "aster/transport/endpoint_addr.hpp"

using namespace aster::transport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto addr = parse_endpoint_addr(text); addr.is_ok()) {
    if (!addr->id.is_valid_public_key()) std::abort();
    auto again = EndpointAddr::from_node_addr_b64(addr->to_node_addr_b64());
    if (!again.is_ok() || again->id != addr->id ||
        again->direct_addresses != addr->direct_addresses) {
      std::abort();
    }
  }

  // The same bytes as a binary ticket, and as its aster1 text.
  if (auto ticket = AsterTicket::decode(std::span(data, size)); ticket.is_ok()) {
    auto bytes = ticket->encode();
    if (!bytes.is_ok()) std::abort();
    auto back = AsterTicket::decode(*bytes);
    if (!back.is_ok() || !(*back == *ticket)) std::abort();
    auto printed = ticket->to_string();
    if (!printed.is_ok()) std::abort();
    auto reparsed = AsterTicket::from_string(*printed);
    if (!reparsed.is_ok() || !(*reparsed == *ticket)) std::abort();
  }

  if (size <= AsterTicket::kMaxBase58Length) {
    if (auto decoded = base58_decode(text); decoded.is_ok()) {
      auto round = base58_decode(base58_encode(*decoded));
      if (!round.is_ok() || *round != *decoded) std::abort();
    }
  }
  return 0;
}
