// Address forms against vectors printed by a running aster-rpc 0.1.2 producer
// (AsterServer.address / endpoint_addr_b64) and by its AsterTicket class.
#include "aster/transport/endpoint_addr.hpp"

#include <cstdlib>
#include <fstream>

#include "aster/transport/endpoint.hpp"

#include <gtest/gtest.h>

namespace aster::transport {
namespace {

constexpr std::string_view kId = "b83c22e4c752a1831a21fe131444864bb8510567856421edd6f313322c20c1d7";
// AsterServer.address of a 0.1.2 producer in a loopback-only namespace.
constexpr std::string_view kServerTicket =
    "aster18Q2DCaQeus5oSpHVqjj2m7Sn2t85ysDyLgvbEyz3zTDDZC2YQDJooiLHccu2ZCg2TR29Ghr6AGgEBfkyV";
// Its endpoint_addr_b64: "<id>\n\n127.0.0.1:44599\n[::1]:36808".
constexpr std::string_view kServerB64 =
    "YjgzYzIyZTRjNzUyYTE4MzFhMjFmZTEzMTQ0NDg2NGJiODUxMDU2Nzg1NjQyMWVkZDZmMzEzMzIyYzIwYzFkNwoKMTI3"
    "LjAuMC4xOjQ0NTk5Cls6OjFdOjM2ODA4";
// AsterTicket(id, relay_addr="203.0.113.7:3340",
//             direct_addrs=["127.0.0.1:44599","[::1]:36808","10.1.2.3:7"]).to_string()
constexpr std::string_view kRelayTicket =
    "aster1cjaJsQKnduzDzvSEi55moHG91WXzu7TuLWXeTC4JBeq1quqj1wxBpVFk4tcnYpFSf1R8RYeZtDWvxRvMJi9GNCbF"
    "9B6RQAcgn";
// AsterTicket(id, relay_addr="[2001:db8::1]:443", credential_type="registry_read",
//             credential_data=bytes(range(32))).to_string()
constexpr std::string_view kCredentialTicket =
    "aster1LUdAD3SqY6SboLh5PTCXoAuM5aSh9y3WHSwXf78Q1tDNV7MUZXizY3Yxh18huY1psjkc6Kcypg1YSgo7kXfY1xMd"
    "35TAXzR18PmAc6aMuVapGyYeaCk6sP4";

SocketAddress addr(const char* ip, uint16_t port) {
  return SocketAddress(asio::ip::make_address(ip), port);
}

TEST(EndpointAddr, ParsesServerTicketAndBase64Alike) {
  auto from_ticket = parse_endpoint_addr(kServerTicket);
  ASSERT_TRUE(from_ticket) << from_ticket.status().to_string();
  EXPECT_EQ(from_ticket->id.to_hex(), kId);
  ASSERT_EQ(from_ticket->direct_addresses.size(), 2u);
  EXPECT_EQ(from_ticket->direct_addresses[0], addr("127.0.0.1", 44599));
  EXPECT_EQ(from_ticket->direct_addresses[1], addr("::1", 36808));

  auto from_b64 = parse_endpoint_addr(kServerB64);
  ASSERT_TRUE(from_b64) << from_b64.status().to_string();
  EXPECT_EQ(*from_b64, *from_ticket);
  EXPECT_EQ(from_b64->to_node_addr_b64(), kServerB64);
}

TEST(AsterTicket, EncodesByteIdenticallyToPython) {
  auto id = EndpointId::from_hex(kId);
  ASSERT_TRUE(id);
  AsterTicket ticket{*id, addr("203.0.113.7", 3340),
                     {addr("127.0.0.1", 44599), addr("::1", 36808), addr("10.1.2.3", 7)},
                     std::nullopt};
  EXPECT_EQ(*ticket.to_string(), kRelayTicket);
  auto decoded = AsterTicket::from_string(kRelayTicket);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, ticket);

  AsterTicket plain{*id, std::nullopt, {addr("127.0.0.1", 44599), addr("::1", 36808)}, {}};
  EXPECT_EQ(*plain.to_string(), kServerTicket);
}

TEST(AsterTicket, CarriesRelayV6AndCredential) {
  auto decoded = AsterTicket::from_string(kCredentialTicket);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  ASSERT_TRUE(decoded->relay);
  EXPECT_EQ(*decoded->relay, addr("2001:db8::1", 443));
  ASSERT_TRUE(decoded->credential);
  EXPECT_EQ(decoded->credential->kind, TicketCredential::Kind::kRegistryRead);
  ASSERT_EQ(decoded->credential->payload.size(), 32u);
  EXPECT_EQ(decoded->credential->payload[31], 31);
  EXPECT_EQ(*decoded->to_string(), kCredentialTicket);
  // The parser dials id + direct addresses only, as 0.1.2 does.
  auto dial = parse_endpoint_addr(kCredentialTicket);
  ASSERT_TRUE(dial);
  EXPECT_TRUE(dial->relay_url.empty());
  EXPECT_TRUE(dial->direct_addresses.empty());
}

TEST(AsterTicket, LeadingZeroBytesSurviveBase58) {
  auto decoded = AsterTicket::from_string("aster111111111111111111111111111111111Crna3UMB49eg");
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->id.to_hex(), std::string(64, '0'));
  EXPECT_EQ(decoded->direct_addresses.at(0), addr("127.0.0.1", 1));
}

TEST(EndpointAddr, BareHexIsIdOnly) {
  auto parsed = parse_endpoint_addr(std::string("  ") + std::string(kId) + "\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id.to_hex(), kId);
  EXPECT_TRUE(parsed->direct_addresses.empty());
}

TEST(EndpointAddr, BadInputNamesTheProblem) {
  auto check = [](std::string_view text, std::string_view needle) {
    auto parsed = parse_endpoint_addr(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(needle), std::string::npos)
        << parsed.status().message();
  };
  check("", "empty");
  check("aster10OIl", "invalid base58 character '0'");
  check("aster1abc", "too short");
  auto valid = AsterTicket::from_string(kServerTicket)->encode().value();
  for (uint8_t b : {0x00, 0x00, 0x00, 0xff}) valid.push_back(b);  // open credential + 1 byte
  check(std::string(AsterTicket::kPrefix) + base58_encode(valid), "1 trailing bytes");
  check("not an address!", "not an aster1 ticket");
  check("dGhpcyBpcyBub3QgYW4gaWQ=", "not an aster1 ticket");  // "this is not an id"
  check("aaaa", "not an aster1 ticket");                       // base64 of 3 odd bytes
  // A NodeAddr whose id is fine but whose address is not: "<kId>\n\n127.0.0.1:x".
  check("YjgzYzIyZTRjNzUyYTE4MzFhMjFmZTEzMTQ0NDg2NGJiODUxMDU2Nzg1NjQyMWVkZDZmMzEzMzIyYzIwYzFkNwoKMTI3LjAuMC4xOng=", "NodeAddr: bad port in socket address '127.0.0.1:x'");
  // A ticket with version 2 in its header.
  std::vector<uint8_t> bad(34, 0);
  bad[32] = 0x20;
  check(std::string(AsterTicket::kPrefix) + base58_encode(bad),
        "corrupt aster1 ticket: header says version 2, and version 1 is the only one");
  // Truncated IPv4 direct address: count 1, bitfield, 3 of 6 bytes.
  std::vector<uint8_t> cut(32, 7);
  for (uint8_t b : {0x10, 0x10, 0x00, 127, 0, 0}) cut.push_back(b);
  check(std::string(AsterTicket::kPrefix) + base58_encode(cut), "truncated in direct address");
}

// Issue 13, point 2: bounded before decoding, corrupt tickets say so, keys must be on the curve.
TEST(EndpointAddr, OverlongTextIsRefusedBeforeDecoding) {
  for (const std::string& text : {"aster1" + std::string(100'000, 'z'),
                                  std::string(100'000, 'Q'), std::string(5000, 'a')}) {
    auto parsed = parse_endpoint_addr(text);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.status().message().rfind("peer address too long (", 0), 0u)
        << parsed.status().message();
  }
  // A ticket is at most 350 base58 characters (256 bytes).
  auto ticket = parse_endpoint_addr("aster1" + std::string(351, 'z'));
  ASSERT_FALSE(ticket);
  EXPECT_EQ(ticket.status().message(),
            "corrupt aster1 ticket: too long (357 characters, at most 356)");
  // Just below the overall cap, the other forms stay linear and quote only a prefix.
  auto b64 = parse_endpoint_addr(std::string(4096, 'Q'));
  ASSERT_FALSE(b64);
  EXPECT_LT(b64.status().message().size(), 200u) << b64.status().message();
}

TEST(EndpointAddr, CorruptTicketsSaySo) {
  std::string ticket(kServerTicket);
  for (size_t i = AsterTicket::kPrefix.size(); i < ticket.size(); i += 7) {
    std::string changed = ticket;
    changed[i] = changed[i] == 'z' ? 'y' : 'z';
    auto parsed = parse_endpoint_addr(changed);
    if (parsed) continue;  // the change landed in an address or port: still a valid ticket
    EXPECT_EQ(parsed.status().message().rfind("corrupt aster1 ticket: ", 0), 0u)
        << i << ": " << parsed.status().message();
  }
  auto cut = parse_endpoint_addr(ticket.substr(0, 40));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.status().message().rfind("corrupt aster1 ticket: ", 0), 0u)
      << cut.status().message();
}

TEST(EndpointAddr, KeysMustBeValidEd25519Points) {
  const std::string not_on_curve(64, 'a');
  const std::string small_order(64, '0');  // y = 0 is a point of order 4
  for (const std::string& id : {not_on_curve, small_order}) {
    auto from_hex = parse_endpoint_addr(id);
    ASSERT_FALSE(from_hex) << id;
    EXPECT_EQ(from_hex.status().message(),
              "endpoint id " + id + " is not a valid ed25519 public key");
    EndpointAddr addr;
    addr.id = EndpointId::from_hex(id).value();  // the bare codec accepts any 32 bytes
    EXPECT_FALSE(addr.id.is_valid_public_key());
    auto from_b64 = parse_endpoint_addr(addr.to_node_addr_b64());
    ASSERT_FALSE(from_b64);
    EXPECT_NE(from_b64.status().message().find("is not a valid ed25519 public key"),
              std::string::npos);
    auto ticket = AsterTicket{addr.id, std::nullopt, {}, std::nullopt}.to_string().value();
    auto from_ticket = parse_endpoint_addr(ticket);
    ASSERT_FALSE(from_ticket);
    EXPECT_EQ(from_ticket.status().message(), "corrupt aster1 ticket: its endpoint id " + id +
                                                  " is not a valid ed25519 public key");
  }
  EXPECT_TRUE(EndpointId::from_hex(kId)->is_valid_public_key());
}

TEST(Base58, RoundTripsArbitraryBytes) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 120; ++i) {
    bytes.push_back(static_cast<uint8_t>(i * 37));
    auto back = base58_decode(base58_encode(bytes));
    ASSERT_TRUE(back);
    ASSERT_EQ(*back, bytes);
  }
}

TEST(EndpointConfig, RelayModeComesFromTheEnvironment) {
  auto mode_for = [](const char* value) {
    if (value) {
      setenv("ASTER_RELAY_MODE", value, 1);
    } else {
      unsetenv("ASTER_RELAY_MODE");
    }
    EndpointConfig config;
    EXPECT_TRUE(apply_relay_mode_from_env(config).is_ok());
    return config;
  };
  EXPECT_EQ(mode_for("disabled").relay_mode, RelayMode::kDisabled);
  EXPECT_EQ(mode_for("off").relay_mode, RelayMode::kDisabled);
  EXPECT_EQ(mode_for("staging").relay_mode, RelayMode::kStaging);
  EXPECT_EQ(mode_for(nullptr).relay_mode, RelayMode::kDefault);
  auto custom = mode_for("http://127.0.0.1:3340");
  EXPECT_EQ(custom.relay_mode, RelayMode::kCustom);
  EXPECT_EQ(custom.relay_url, "http://127.0.0.1:3340");
  unsetenv("ASTER_RELAY_MODE");
}

// Two throw-away self-signed P-256 CA certificates (openssl req -x509 -newkey ec, CA:TRUE).
const char* const kCaPem1 =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBlzCCAT2gAwIBAgIUZca5NAaq+cRuQ5YCZlITo2UC46UwCgYIKoZIzj0EAwIw\n"
    "IDEeMBwGA1UEAwwVYXN0ZXIgdGVzdCByZWxheSBDQSAxMCAXDTI2MTIwMTA2MDcx\n"
    "MloYDzIxMjYxMTA3MDYwNzEyWjAgMR4wHAYDVQQDDBVhc3RlciB0ZXN0IHJlbGF5\n"
    "IENBIDEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATq3WIyTiAQ32aGf3R8jjk5\n"
    "erMNeoJFIjK/C7YDSGMWeN6iVW3do2kbWRza8UrSqPfE19jx7YSq/gfIk0mXXTl2\n"
    "o1MwUTAdBgNVHQ4EFgQU1xAwwofo5srHVFfWQUyeTlGuxr4wHwYDVR0jBBgwFoAU\n"
    "1xAwwofo5srHVFfWQUyeTlGuxr4wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n"
    "AgNIADBFAiEA0omqvnTqJISQLdDgfg61cEaVsubbxWrB0GFRDDZMfVsCIBFAjeBH\n"
    "UZi8I9WluowdASgAFaxWm8pTTWS60Qbxe6tj\n"
    "-----END CERTIFICATE-----\n";
const char* const kCaPem2 =
    "-----BEGIN CERTIFICATE-----\r\n"
    "MIIBlzCCAT2gAwIBAgIUfvz7+zBlASBqIc1qf75HGK76FagwCgYIKoZIzj0EAwIw\r\n"
    "IDEeMBwGA1UEAwwVYXN0ZXIgdGVzdCByZWxheSBDQSAyMCAXDTI2MTIwMTA2MDcx\r\n"
    "MloYDzIxMjYxMTA3MDYwNzEyWjAgMR4wHAYDVQQDDBVhc3RlciB0ZXN0IHJlbGF5\r\n"
    "IENBIDIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ6qUnIIT1c500QM1aR8T+j\r\n"
    "9SVlQ0MNGUs+Kr/eNaoxHCF1alxNn5ZDgDHaLahHm2lPVz8+XkVK8TsvMBfupMEX\r\n"
    "o1MwUTAdBgNVHQ4EFgQUwAg1tIKVpdb46vd5INpIqxw07vwwHwYDVR0jBBgwFoAU\r\n"
    "wAg1tIKVpdb46vd5INpIqxw07vwwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\r\n"
    "AgNIADBFAiBdLJxaCO6Q3O6z4FQv0p6DyhIvTuJyGGgMrg38RtDdYgIhAIp1lW50\r\n"
    "cBQ3+rdvpedO8qRxXtPP+Ib38RLfgvrksrtx\r\n"
    "-----END CERTIFICATE-----\r\n";

std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(CaCertificates, PemWithTwoCertificatesAndOtherBlocks) {
  const std::string pem = std::string("Bag attributes: ignored text\n") + kCaPem1 +
                          "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
                          "-----END EC PARAMETERS-----\n" +
                          kCaPem2;
  auto certs = parse_ca_certificates(pem);
  ASSERT_TRUE(certs.is_ok()) << certs.status().to_string();
  ASSERT_EQ(certs->size(), 2u);
  for (const auto& der : *certs) {
    EXPECT_EQ(der.size(), 411u);  // `openssl x509 -outform der | wc -c`
    EXPECT_EQ(static_cast<uint8_t>(der[0]), 0x30);
  }
  EXPECT_NE((*certs)[0], (*certs)[1]);
}

TEST(CaCertificates, DerFileAndEnvironment) {
  auto pem = parse_ca_certificates(kCaPem1);
  ASSERT_TRUE(pem.is_ok());
  const std::string der = pem->at(0);
  auto again = parse_ca_certificates(der);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->at(0), der);

  // ASTER_RELAY_CA names a DER or PEM file; its certificates are appended to relay_ca_roots.
  const std::string der_path = write_temp("relay-ca.der", der);
  const std::string pem_path = write_temp("relay-ca.pem", std::string(kCaPem1) + kCaPem2);
  unsetenv("ASTER_RELAY_MODE");
  setenv("ASTER_RELAY_CA", der_path.c_str(), 1);
  EndpointConfig config;
  ASSERT_TRUE(apply_relay_mode_from_env(config).is_ok());
  EXPECT_EQ(config.relay_ca_roots, std::vector<std::string>{der});
  setenv("ASTER_RELAY_CA", pem_path.c_str(), 1);
  EndpointConfig two;
  ASSERT_TRUE(apply_relay_mode_from_env(two).is_ok());
  EXPECT_EQ(two.relay_ca_roots.size(), 2u);
  setenv("ASTER_RELAY_CA", "", 1);  // empty = unset
  EndpointConfig none;
  ASSERT_TRUE(apply_relay_mode_from_env(none).is_ok());
  EXPECT_TRUE(none.relay_ca_roots.empty());
  unsetenv("ASTER_RELAY_CA");
}

TEST(CaCertificates, GarbageIsAClearError) {
  for (const std::string& bad : {std::string("hello"), std::string(""),
                                std::string("\x30\x05\x02\x01", 4),  // DER length past the end
                                std::string("\x30\x01\x00\x00", 4),  // bytes after the SEQUENCE
                                std::string("-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                            "-----END PRIVATE KEY-----\n"),
                                std::string("-----BEGIN CERTIFICATE-----\nnot base64!\n"
                                            "-----END CERTIFICATE-----\n"),
                                std::string("-----BEGIN CERTIFICATE-----\nMIIB\n")}) {
    auto certs = parse_ca_certificates(bad);
    EXPECT_FALSE(certs.is_ok()) << bad;
    EXPECT_EQ(certs.status().code(), StatusCode::kInvalidArgument);
  }
  const std::string garbage = write_temp("relay-ca.garbage", "garbage");
  for (const std::string& path : {garbage, std::string("/nonexistent/relay-ca.pem")}) {
    setenv("ASTER_RELAY_CA", path.c_str(), 1);
    EndpointConfig config;
    Status st = apply_relay_mode_from_env(config);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("ASTER_RELAY_CA=" + path), std::string::npos) << st.message();
  }
  unsetenv("ASTER_RELAY_CA");
}

TEST(ConnectionPath, Text) {
  ConnectionPath none;
  EXPECT_EQ(none.to_string(), "none");
  EXPECT_EQ(none.describe(), "none");
  ConnectionPath direct;
  direct.kind = ConnectionPath::Kind::kDirect;
  direct.address = SocketAddress(asio::ip::make_address("203.0.113.2"), 41236);
  EXPECT_EQ(direct.to_string(), "direct 203.0.113.2:41236");
  direct.rtt = std::chrono::microseconds(312);
  EXPECT_EQ(direct.describe(), "direct 203.0.113.2:41236 (rtt 0.3 ms)");
  ConnectionPath relay;
  relay.kind = ConnectionPath::Kind::kRelay;
  relay.relay_url = "https://192.0.2.2/";
  EXPECT_EQ(relay.describe(), "relay https://192.0.2.2/");
  EXPECT_FALSE(relay.same_route(direct));
  ConnectionPath direct2 = direct;
  direct2.rtt = std::chrono::microseconds(900);
  EXPECT_TRUE(direct.same_route(direct2));
  EXPECT_FALSE(direct == direct2);
}

}  // namespace
}  // namespace aster::transport
