// CA certificates for trusting a self-hosted relay (EndpointConfig::relay_ca_roots): the PEM or
// DER file ASTER_RELAY_CA names, split into DER certificates. Only the framing is checked here
// (PEM armour and base64, RFC 7468; the outer DER SEQUENCE, X.690 §8.1); the bridge checks
// each certificate as a trust anchor when the endpoint is created (bridge/src/node.rs).
#include <sodium.h>

#include <fstream>
#include <iterator>

#include "aster/transport/endpoint.hpp"

namespace aster::transport {
namespace {

constexpr size_t kMaxCaFile = 1 << 20;
constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// True when `der` is exactly one DER SEQUENCE (tag 0x30, definite length) — what every X.509
// certificate is.
bool is_one_der_sequence(std::string_view der) {
  if (der.size() < 2 || static_cast<uint8_t>(der[0]) != 0x30) return false;
  const auto first = static_cast<uint8_t>(der[1]);
  size_t header = 2;
  uint64_t length = first;
  if (first & 0x80) {
    const size_t n = first & 0x7f;
    if (n == 0 || n > 4 || der.size() < 2 + n) return false;  // indefinite or absurd length
    length = 0;
    for (size_t i = 0; i < n; ++i) length = (length << 8) | static_cast<uint8_t>(der[2 + i]);
    header += n;
  }
  return header + length == der.size();
}

Result<std::string> decode_base64(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \t\r\n", &length, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return invalid("bad base64");
  }
  out.resize(length);
  return out;
}

}  // namespace

Result<std::vector<std::string>> parse_ca_certificates(std::string_view bytes) {
  if (bytes.find(kBegin) == std::string_view::npos) {
    if (!is_one_der_sequence(bytes)) {
      return invalid(
          "not a certificate: expected PEM (-----BEGIN CERTIFICATE-----) or one DER "
          "certificate");
    }
    return std::vector<std::string>{std::string(bytes)};
  }
  std::vector<std::string> certs;
  size_t pos = 0;
  int block = 0;
  while ((pos = bytes.find(kBegin, pos)) != std::string_view::npos) {
    ++block;
    const size_t label_at = pos + kBegin.size();
    const size_t label_end = bytes.find(kDashes, label_at);
    if (label_end == std::string_view::npos) {
      return invalid("PEM block " + std::to_string(block) + ": unterminated BEGIN line");
    }
    const std::string label(bytes.substr(label_at, label_end - label_at));
    const size_t body_at = label_end + kDashes.size();
    const std::string end_line = std::string(kEnd) + label + std::string(kDashes);
    const size_t body_end = bytes.find(end_line, body_at);
    if (body_end == std::string_view::npos) {
      return invalid("PEM block " + std::to_string(block) + " (" + label + "): no '" + end_line +
                     "' line");
    }
    pos = body_end + end_line.size();
    if (label != "CERTIFICATE") continue;  // e.g. a key or parameters next to the certificate
    auto der = decode_base64(bytes.substr(body_at, body_end - body_at));
    if (!der.is_ok() || !is_one_der_sequence(*der)) {
      return invalid("PEM block " + std::to_string(block) +
                     " (CERTIFICATE): not a DER certificate in base64");
    }
    certs.push_back(std::move(*der));
  }
  if (certs.empty()) return invalid("no CERTIFICATE block in the PEM text");
  return certs;
}

Result<std::vector<std::string>> read_ca_certificates(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid(path + ": cannot open");
  std::string bytes;
  bytes.resize(kMaxCaFile + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) return invalid(path + ": cannot read");
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (bytes.size() > kMaxCaFile) return invalid(path + ": larger than 1 MiB");
  if (bytes.empty()) return invalid(path + ": empty");
  auto certs = parse_ca_certificates(bytes);
  if (!certs.is_ok()) return invalid(path + ": " + certs.status().message());
  return certs;
}

}  // namespace aster::transport
