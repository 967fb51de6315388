// StreamHeader / CallHeader / RpcStatus: byte-exact against aster-rpc 0.1.2's
// conformance/vectors/protocol-payloads.json (Fory XLANG and JSON), and the sniffing decoders.
#include <gtest/gtest.h>

#include "aster/hex.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/wire/messages.hpp"

namespace {

using aster::codec::fory_decode;
using aster::codec::fory_encode;
using aster::codec::struct_desc;
namespace protocol = aster::wire;

std::string hex(std::span<const uint8_t> b) { return aster::to_hex(b); }
std::vector<uint8_t> unhex(std::string_view s) { return aster::from_hex(s).value(); }

nlohmann::json vectors() {
  std::ifstream in(std::string(ASTER_TEST_DATA_DIR) + "/protocol-payloads.json");
  return nlohmann::json::parse(in);
}

std::vector<std::string> strings(const nlohmann::json& j) {
  return j.get<std::vector<std::string>>();
}

TEST(ForyProtocolVectors, AllTenEncodeDecodeAndJson) {
  auto doc = vectors();
  ASSERT_EQ(doc["vectors"].size(), 10u);
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const auto& in = v["input"];
    std::string type = v["type"];
    std::vector<uint8_t> want = unhex(v["xlang_hex"].get<std::string>());
    std::string want_json = v["json_utf8"];
    if (type == "StreamHeader") {
      protocol::StreamHeader h{in["service"], in["method"], in["version"], in["callId"],
                               in["deadlineEpochMs"], in["serializationMode"],
                               strings(in["metadataKeys"]), strings(in["metadataValues"])};
      auto got = fory_encode(h);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      EXPECT_EQ(hex(*got), hex(want));
      auto back = fory_decode<protocol::StreamHeader>(want);
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      EXPECT_EQ(*back, h);
      EXPECT_EQ(aster::codec::json_encode(h).value(), want_json);
      EXPECT_EQ(*aster::codec::json_decode<protocol::StreamHeader>(want_json), h);
    } else if (type == "CallHeader") {
      protocol::CallHeader h{in["method"], in["callId"], in["deadlineEpochMs"],
                             strings(in["metadataKeys"]), strings(in["metadataValues"])};
      auto got = fory_encode(h);
      ASSERT_TRUE(got.is_ok());
      EXPECT_EQ(hex(*got), hex(want));
      auto back = fory_decode<protocol::CallHeader>(want);
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      EXPECT_EQ(*back, h);
      EXPECT_EQ(aster::codec::json_encode(h).value(), want_json);
      EXPECT_EQ(*aster::codec::json_decode<protocol::CallHeader>(want_json), h);
    } else {
      ASSERT_EQ(type, "RpcStatus");
      protocol::RpcStatus s{in["code"], in["message"], strings(in["detailKeys"]),
                            strings(in["detailValues"])};
      auto got = fory_encode(s);
      ASSERT_TRUE(got.is_ok());
      EXPECT_EQ(hex(*got), hex(want));
      auto back = fory_decode<protocol::RpcStatus>(want);
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      EXPECT_EQ(*back, s);
      EXPECT_EQ(aster::codec::json_encode(s).value(), want_json);
      EXPECT_EQ(*aster::codec::json_decode<protocol::RpcStatus>(want_json), s);
    }
    EXPECT_EQ(want.size(), v["xlang_length"].get<size_t>());
  }
}

TEST(ForyProtocolVectors, DynamicPathWritesTheSameBytes) {
  auto doc = vectors();
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    std::vector<uint8_t> want = unhex(v["xlang_hex"].get<std::string>());
    std::string type = v["type"];
    aster::codec::TypeRef t;
    if (type == "StreamHeader") t = aster::codec::type_desc<protocol::StreamHeader>();
    if (type == "CallHeader") t = aster::codec::type_desc<protocol::CallHeader>();
    if (type == "RpcStatus") t = aster::codec::type_desc<protocol::RpcStatus>();
    auto value = aster::codec::fory_decode_value(want, *t);
    ASSERT_TRUE(value.is_ok()) << value.status().to_string();
    auto again = aster::codec::fory_encode_value(*value, *t);
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    EXPECT_EQ(hex(*again), hex(want));
    // JSON through the dynamic path too.
    EXPECT_EQ(aster::codec::json_encode_value(*value, t.get()).value(), v["json_utf8"]);
  }
}

TEST(ForyStructDesc, HashesAndOrderMatchTheSheet) {
  const auto& sh = struct_desc<protocol::StreamHeader>();
  EXPECT_EQ(sh.fingerprint(),
            "callId,21,0,0;deadlineEpochMs,7,0,0;metadataKeys,22,0,0;metadataValues,22,0,0;"
            "method,21,0,0;serializationMode,7,0,0;service,21,0,0;version,7,0,0;");
  EXPECT_EQ(static_cast<uint32_t>(sh.struct_hash()), 0xde1805a4u);
  std::vector<std::string> order;
  for (uint32_t i : sh.wire_order()) order.push_back(sh.fields()[i].name);
  EXPECT_EQ(order, (std::vector<std::string>{"deadlineEpochMs", "serializationMode", "version",
                                             "callId", "method", "service", "metadataKeys",
                                             "metadataValues"}));
  EXPECT_EQ(sh.fields()[3].name, "callId");  // declaration order kept
}

TEST(WireMessages, SniffingDecodersReadBothForms) {
  auto doc = vectors();
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    std::vector<uint8_t> fory = unhex(v["xlang_hex"].get<std::string>());
    std::string js = v["json_utf8"];
    std::vector<uint8_t> json(js.begin(), js.end());
    std::string type = v["type"];
    if (type == "StreamHeader") {
      auto a = protocol::decode_stream_header(fory);
      auto b = protocol::decode_stream_header(json);
      ASSERT_TRUE(a.is_ok() && b.is_ok());
      EXPECT_EQ(*a, *b);
      EXPECT_EQ(hex(protocol::encode_message(*a, false).value()), hex(fory));
      EXPECT_EQ(protocol::encode_message(*a, true).value(), json);
    } else if (type == "CallHeader") {
      auto a = protocol::decode_call_header(fory);
      auto b = protocol::decode_call_header(json);
      ASSERT_TRUE(a.is_ok() && b.is_ok());
      EXPECT_EQ(*a, *b);
      EXPECT_EQ(protocol::encode_message(*a, true).value(), json);
    } else {
      auto a = protocol::decode_rpc_status(fory);
      auto b = protocol::decode_rpc_status(json);
      ASSERT_TRUE(a.is_ok() && b.is_ok());
      EXPECT_EQ(*a, *b);
      EXPECT_EQ(hex(protocol::encode_message(*a, false).value()), hex(fory));
    }
  }
}

TEST(WireMessages, BadPayloadsAreErrors) {
  EXPECT_FALSE(protocol::decode_rpc_status({}).is_ok());  // 0.1.2 fails on an empty trailer too
  std::vector<uint8_t> junk = {'{', 'x'};
  EXPECT_FALSE(protocol::decode_stream_header(junk).is_ok());
  std::vector<uint8_t> unknown_key(std::string_view(R"({"code":0,"bogus":1})").begin(),
                                   std::string_view(R"({"code":0,"bogus":1})").end());
  EXPECT_FALSE(protocol::decode_rpc_status(unknown_key).is_ok());
}

TEST(WireMessages, StatusConversion) {
  auto s = protocol::to_rpc_status(aster::Status(aster::StatusCode::kNotFound, "nope"));
  EXPECT_EQ(s.code, 5);
  EXPECT_EQ(s.message, "nope");
  EXPECT_TRUE(protocol::to_status(protocol::RpcStatus{}).is_ok());
  EXPECT_EQ(protocol::to_status(s).code(), aster::StatusCode::kNotFound);
  // The NOT_FOUND trailer of aster-rpc@0972ac9 conformance: message tail `0a 58 "service Echo
  // not found" 00 00`.
  auto bytes = protocol::encode_message(protocol::RpcStatus{5, "service Echo not found", {}, {}},
                                        false);
  ASSERT_TRUE(bytes.is_ok());
  EXPECT_EQ(hex(*bytes).substr(hex(*bytes).size() - 2 * 26),
            "0a58" + hex(std::vector<uint8_t>(std::string_view("service Echo not found").begin(),
                                              std::string_view("service Echo not found").end())) +
                "0000");
}

}  // namespace
