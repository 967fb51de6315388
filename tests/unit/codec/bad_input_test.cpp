// Hostile input: every truncation and many mutations of valid messages decode to a Status,
// never a crash (run under the asan preset), and the limits hold.
#include <gtest/gtest.h>

#include <random>

#include "aster/codec/fory.hpp"
#include "aster/wire/messages.hpp"

namespace {

namespace bad {
struct Leaf {
  std::string s;
  aster::codec::Bytes b;
  std::vector<std::optional<std::string>> l;
  std::map<std::string, std::optional<int64_t>> m;
  std::optional<double> d;
};
ASTER_MESSAGE(Leaf, "bad/Leaf", ASTER_FIELD(s), ASTER_FIELD(b), ASTER_FIELD(l), ASTER_FIELD(m),
              ASTER_FIELD(d))
struct Chain {
  int64_t v = 0;
  std::unique_ptr<Chain> next;
  std::vector<Leaf> leaves;
  aster::Value any;
};
ASTER_MESSAGE(Chain, "bad/Chain", ASTER_FIELD(v), ASTER_FIELD(next), ASTER_FIELD(leaves),
              ASTER_FIELD(any))
}  // namespace bad

std::vector<uint8_t> sample() {
  bad::Chain c;
  c.v = -7;
  c.next = std::make_unique<bad::Chain>();
  c.next->v = 1;
  c.leaves.push_back({"héllo 日本 😀", {1, 2, 3}, {"a", std::nullopt}, {{"k", 1}, {"n", std::nullopt}}, 2.5});
  c.any = aster::Value(aster::Value::List{1, "x", nullptr, aster::Value::Map{{"k", 2.0}}});
  return aster::codec::fory_encode(c).value();
}

void decode_all_ways(std::span<const uint8_t> data) {
  auto s = aster::codec::fory_decode<bad::Chain>(data);
  if (!s.is_ok()) {
    EXPECT_FALSE(s.status().message().empty());
  }
  auto type = aster::codec::type_desc<bad::Chain>();
  auto d = aster::codec::fory_decode_value(data, *type);
  if (!d.is_ok()) {
    EXPECT_FALSE(d.status().message().empty());
  }
  aster::codec::TypeRegistry reg;
  reg.add_static(aster::codec::struct_desc<bad::Chain>());
  (void)aster::codec::fory_decode_any(data, reg);
  (void)aster::codec::fory_decode<aster::wire::StreamHeader>(data);
}

TEST(BadInput, EveryTruncationFails) {
  auto bytes = sample();
  ASSERT_TRUE(aster::codec::fory_decode<bad::Chain>(bytes).is_ok());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::span<const uint8_t> prefix(bytes.data(), n);
    auto r = aster::codec::fory_decode<bad::Chain>(prefix);
    EXPECT_FALSE(r.is_ok()) << n;
    decode_all_ways(prefix);
  }
}

TEST(BadInput, MutationsNeverCrash) {
  auto bytes = sample();
  std::mt19937 rng(1234);
  for (int round = 0; round < 4000; ++round) {
    auto m = bytes;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) m[rng() % m.size()] = static_cast<uint8_t>(rng());
    decode_all_ways(m);
  }
}

TEST(BadInput, HugeCountsAreRejectedBeforeAllocating) {
  // StreamHeader with metadataKeys claiming 2^32-1 elements.
  auto ok = aster::codec::fory_encode(aster::wire::StreamHeader{}).value();
  ok.resize(ok.size() - 2);
  for (uint8_t b : {0xff, 0xff, 0xff, 0xff, 0x0f, 0x0c}) ok.push_back(b);
  auto r = aster::codec::fory_decode<aster::wire::StreamHeader>(ok);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("exceeds"), std::string::npos) << r.status().message();
  // A string claiming 1 GiB.
  std::vector<uint8_t> s = aster::codec::fory_encode(aster::wire::RpcStatus{}).value();
  size_t msg_at = s.size() - 3;  // code, message, detailKeys, detailValues: message is 3rd-last
  s.resize(msg_at);
  for (uint8_t b : {0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00}) s.push_back(b);
  auto r2 = aster::codec::fory_decode<aster::wire::RpcStatus>(s);
  ASSERT_FALSE(r2.is_ok());
}

TEST(BadInput, NestingIsBounded) {
  bad::Chain root;
  bad::Chain* cur = &root;
  for (int i = 0; i < 200; ++i) {
    cur->next = std::make_unique<bad::Chain>();
    cur = cur->next.get();
  }
  auto bytes = aster::codec::fory_encode(root).value();
  auto r = aster::codec::fory_decode<bad::Chain>(bytes);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("nesting deeper"), std::string::npos);
  auto d = aster::codec::fory_decode_value(bytes, *aster::codec::type_desc<bad::Chain>());
  ASSERT_FALSE(d.is_ok());
  // Avoid deep recursive destruction in the test itself.
  while (root.next) root.next = std::move(root.next->next);
}

TEST(BadInput, NoneRootRoundTripsOnTheDynamicPath) {
  // Found by the fuzzer: `02 fd` decodes to None, which encodes as pyfory's `03 fd`, which must
  // decode again (the None flag after the header is consumed, not "trailing bytes").
  auto type = aster::codec::type_desc<aster::wire::RpcStatus>();
  std::vector<uint8_t> in{0x02, 0xfd};
  auto v = aster::codec::fory_decode_value(in, *type);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_TRUE(v->is_null());
  auto out = aster::codec::fory_encode_value(*v, *type);
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(*out, (std::vector<uint8_t>{0x03, 0xfd}));
  auto again = aster::codec::fory_decode_value(*out, *type);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_TRUE(again->is_null());
}

TEST(BadInput, UndeclaredElementTypeMustMatchTheDeclaredOne) {
  // Found by the fuzzer: a list<string> field whose header carries element type info (SAME_TYPE
  // without DECL) for int16. Both paths must reject it, not produce ints in a list<string>.
  auto bytes = aster::codec::fory_encode(aster::wire::RpcStatus{0, "", {"a"}, {}}).value();
  // ... 00 (code) 00 (message) | 01 0c 04 61 (detailKeys) | 00
  ASSERT_EQ(bytes[bytes.size() - 4], 0x0c);
  bytes[bytes.size() - 4] = 0x08;                           // SAME_TYPE, not declared
  bytes.insert(bytes.end() - 3, 0x03);                      // type info: INT16
  auto s = aster::codec::fory_decode<aster::wire::RpcStatus>(bytes);
  EXPECT_FALSE(s.is_ok());
  auto d = aster::codec::fory_decode_value(bytes, *aster::codec::type_desc<aster::wire::RpcStatus>());
  ASSERT_FALSE(d.is_ok());
  EXPECT_NE(d.status().message().find("does not match the declared string"), std::string::npos)
      << d.status().message();
  // The same header with STRING type info is a valid (if unusual) encoding: accepted.
  bytes[bytes.size() - 4] = 0x15;
  EXPECT_TRUE(aster::codec::fory_decode<aster::wire::RpcStatus>(bytes).is_ok());
  EXPECT_TRUE(aster::codec::fory_decode_value(bytes, *aster::codec::type_desc<aster::wire::RpcStatus>()).is_ok());
}

TEST(BadInput, ClearMessages) {
  std::vector<uint8_t> wrong_hash = aster::codec::fory_encode(aster::wire::RpcStatus{}).value();
  wrong_hash[19] ^= 1;
  auto r = aster::codec::fory_decode<aster::wire::RpcStatus>(wrong_hash);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("struct hash mismatch for _aster/RpcStatus"), std::string::npos)
      << r.status().message();
  auto as_other = aster::codec::fory_decode<aster::wire::CallHeader>(
      aster::codec::fory_encode(aster::wire::RpcStatus{}).value());
  ASSERT_FALSE(as_other.is_ok());
  EXPECT_NE(as_other.status().message().find("expected type _aster/CallHeader, found _aster/RpcStatus"),
            std::string::npos)
      << as_other.status().message();
  std::vector<uint8_t> none_root{0x03, 0xfd};
  EXPECT_FALSE(aster::codec::fory_decode<aster::wire::RpcStatus>(none_root).is_ok());
  std::vector<uint8_t> trailing = aster::codec::fory_encode(aster::wire::RpcStatus{}).value();
  trailing.push_back(0);
  auto t = aster::codec::fory_decode<aster::wire::RpcStatus>(trailing);
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("trailing"), std::string::npos);
}

}  // namespace
