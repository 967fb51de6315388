// Fory XLANG codec: byte-exact against the worked examples of fory-xlang.md (the protocol
// message vectors are checked in tests/unit/wire/messages_test.cpp).
#include <gtest/gtest.h>

#include "aster/hex.hpp"

#include "aster/codec/fory.hpp"
#include "aster/codec/json.hpp"

namespace {

using aster::codec::Bytes;
using aster::codec::fory_decode;
using aster::codec::fory_encode;
using aster::codec::struct_desc;

std::string hex(std::span<const uint8_t> b) { return aster::to_hex(b); }

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
