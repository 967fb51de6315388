// Fory XLANG codec: byte-exact against aster-rpc 0.1.2's conformance vectors and the worked
// examples of fory-xlang.md.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"
#include "aster/codec/protocol_messages.hpp"

namespace {

using aster::codec::Bytes;
using aster::codec::fory_decode;
using aster::codec::fory_encode;
using aster::codec::struct_desc;
namespace protocol = aster::protocol;

std::string hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}
std::vector<uint8_t> unhex(std::string_view s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  return out;
}

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

std::string meta_hex(std::string_view s, bool ns) {
  auto m = aster::codec::encode_meta_string(s, ns);
  std::string h = hex({reinterpret_cast<const uint8_t*>(m.bytes.data()), m.bytes.size()});
  return std::to_string(m.encoding) + ":" + h;
}

TEST(ForyMetaString, SheetExamples) {
  EXPECT_EQ(meta_hex("_aster", true), "1:6c129922");
  EXPECT_EQ(meta_hex("StreamHeader", false), "4:76538900ce9c801922");
  EXPECT_EQ(meta_hex("CallHeader", false), "2:380165c220018888");
  EXPECT_EQ(meta_hex("RpcStatus", false), "2:56785626026a24");
  EXPECT_EQ(meta_hex("mission", true), "1:3112921cd0");
  EXPECT_EQ(meta_hex("StatusResponse", false), "4:f65304e92ec4927b9b2200");
  EXPECT_EQ(meta_hex("Invoice", false), "3:21b5720440");
  EXPECT_EQ(meta_hex("X", false), "3:5c");
  EXPECT_EQ(meta_hex("a1", false), "2:01a8");
  for (std::string_view s : {"_aster", "StreamHeader", "CallHeader", "RpcStatus", "mission",
                             "StatusResponse", "Invoice", "X", "a1", "examples.mission_control.types",
                             "Foo$Bar", "v2.api_x"}) {
    for (bool ns : {true, false}) {
      auto m = aster::codec::encode_meta_string(s, ns);
      auto back = aster::codec::decode_meta_string(m.encoding, m.bytes, ns);
      ASSERT_TRUE(back.is_ok());
      EXPECT_EQ(*back, s) << ns;
    }
  }
  auto long_ns = aster::codec::encode_meta_string("examples.mission_control.types", true);
  EXPECT_EQ(long_ns.bytes.size(), 19u);
  EXPECT_EQ(long_ns.long_hash & 0xff, 1);
}

struct StatusResponse {
  std::string agent_id;
  std::string status;
  int64_t uptime_secs = 0;
  friend bool operator==(const StatusResponse&, const StatusResponse&) = default;
};
ASTER_MESSAGE(StatusResponse, "mission/StatusResponse", ASTER_FIELD(agent_id),
              ASTER_FIELD(status), ASTER_FIELD(uptime_secs))

TEST(ForyStruct, UserTypeFromTheSheet) {
  StatusResponse r{"a1", "idle", 42};
  EXPECT_EQ(hex(fory_encode(r).value()),
            "02ff1d0a013112921cd01604f65304e92ec4927b9b2200e416bc2554086131106964"
            "6c65");
}

TEST(ForyStrings, EncodingFollowsCPythonKind) {
  aster::codec::ForyWriter w;
  w.put_string("héllo");
  w.put_string("日本");
  w.put_string("😀");
  w.put_string("");
  EXPECT_EQ(hex(w.bytes()), "1468e96c6c6f" "11e5652c67" "12f09f9880" "00");
  aster::codec::ForyReader r(w.bytes());
  EXPECT_EQ(r.get_string(), "héllo");
  EXPECT_EQ(r.get_string(), "日本");
  EXPECT_EQ(r.get_string(), "😀");
  EXPECT_EQ(r.get_string(), "");
  EXPECT_TRUE(r.ok());
}

TEST(ForyVarints, Examples) {
  aster::codec::ForyWriter w;
  for (int64_t v : {0, -1, 1, 2, 3, 5}) w.put_varint64(v);
  w.put_varint64(1712764800000);
  w.put_varuint64(UINT64_MAX);
  EXPECT_EQ(hex(w.bytes()), "00010204060a" "80b0e68bd963" "ffffffffffffffffff");
  aster::codec::ForyReader r(w.bytes());
  for (int64_t v : {0, -1, 1, 2, 3, 5}) EXPECT_EQ(r.get_varint64(), v);
  EXPECT_EQ(r.get_varint64(), 1712764800000);
  EXPECT_EQ(r.get_varuint64(), UINT64_MAX);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace
