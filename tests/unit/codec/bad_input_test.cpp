// Hostile input: every truncation and many mutations of valid messages decode to a Status
// or to a value that re-encodes and decodes to itself, never a crash (run under the asan
// preset), and the limits hold without large allocations (counted by allocation_probe.cpp).
#include <gtest/gtest.h>

#include <random>

#include "aster/codec/fory.hpp"
#include "allocation_probe.hpp"

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
// Shaped like _aster/RpcStatus (an int, a string, two string lists), kept local so the codec's
// tests do not depend on Aster's protocol messages.
struct Status {
  int64_t code = 0;
  std::string message;
  std::vector<std::string> keys;
  std::vector<std::string> values;
};
ASTER_MESSAGE(Status, "bad/Status", ASTER_FIELD(code), ASTER_FIELD(message), ASTER_FIELD(keys),
              ASTER_FIELD(values))
struct Other {
  int64_t code = 0;
};
ASTER_MESSAGE(Other, "bad/Other", ASTER_FIELD(code))
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

struct Outcomes {
  int decoded = 0;
  int rejected = 0;
};

// Every path either rejects `data` with a message, or yields a value that re-encodes, and
// whose encoding decodes to the same value (the property the fuzzers check too).
void decode_all_ways(std::span<const uint8_t> data, Outcomes& out) {
  auto s = aster::codec::fory_decode<bad::Chain>(data);
  if (s.is_ok()) {
    ++out.decoded;
    auto re = aster::codec::fory_encode(*s);
    ASSERT_TRUE(re.is_ok()) << re.status().to_string();
    auto again = aster::codec::fory_decode<bad::Chain>(*re);
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    EXPECT_EQ(aster::codec::fory_encode(*again).value(), *re);
  } else {
    ++out.rejected;
    EXPECT_FALSE(s.status().message().empty());
  }
  auto type = aster::codec::type_desc<bad::Chain>();
  auto d = aster::codec::fory_decode_value(data, *type);
  if (d.is_ok()) {
    auto re = aster::codec::fory_encode_value(*d, *type);
    ASSERT_TRUE(re.is_ok()) << re.status().to_string();
    auto again = aster::codec::fory_decode_value(*re, *type);
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    EXPECT_EQ(*again, *d);
  } else {
    EXPECT_FALSE(d.status().message().empty());
  }
  aster::codec::TypeRegistry reg;
  reg.add_static(aster::codec::struct_desc<bad::Chain>());
  auto any = aster::codec::fory_decode_any(data, reg);
  if (!any.is_ok()) {
    EXPECT_FALSE(any.status().message().empty());
  }
  auto st = aster::codec::fory_decode<bad::Status>(data);
  EXPECT_FALSE(st.is_ok());  // never a bad::Status: the type info names bad/Chain
}

TEST(BadInput, EveryTruncationFails) {
  auto bytes = sample();
  ASSERT_TRUE(aster::codec::fory_decode<bad::Chain>(bytes).is_ok());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::span<const uint8_t> prefix(bytes.data(), n);
    auto r = aster::codec::fory_decode<bad::Chain>(prefix);
    EXPECT_FALSE(r.is_ok()) << n;
    Outcomes outcomes;
    decode_all_ways(prefix, outcomes);
    EXPECT_EQ(outcomes.decoded, 0) << n;
  }
}

TEST(BadInput, MutationsNeverCrash) {
  auto bytes = sample();
  std::mt19937 rng(1234);
  Outcomes outcomes;
  for (int round = 0; round < 4000; ++round) {
    auto m = bytes;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) m[rng() % m.size()] = static_cast<uint8_t>(rng());
    decode_all_ways(m, outcomes);
    if (HasFatalFailure()) return;
  }
  // Both outcomes occur: mutations inside string payloads or ints still decode (and then
  // must round-trip), mutations in headers and lengths are rejected.
  EXPECT_GT(outcomes.decoded, 0);
  EXPECT_GT(outcomes.rejected, 0);
}

TEST(BadInput, HugeCountsAreRejectedBeforeAllocating) {
  // `keys` claiming 2^32-1 elements: the decoder must refuse by what is left in the input,
  // before reserving anything of that size.
  auto ok = aster::codec::fory_encode(bad::Status{}).value();
  ok.resize(ok.size() - 2);
  for (uint8_t b : {0xff, 0xff, 0xff, 0xff, 0x0f, 0x0c}) ok.push_back(b);
  aster::testing::AllocationProbe probe;
  auto r = aster::codec::fory_decode<bad::Status>(ok);
  auto r_dynamic = aster::codec::fory_decode_value(ok, *aster::codec::type_desc<bad::Status>());
  size_t largest = probe.largest();
  ASSERT_FALSE(r.is_ok());
  ASSERT_FALSE(r_dynamic.is_ok());
  EXPECT_NE(r.status().message().find("exceeds"), std::string::npos) << r.status().message();
  EXPECT_LT(largest, 4096u) << "a hostile count made the decoder allocate " << largest << " bytes";

  // A string claiming 1 GiB.
  std::vector<uint8_t> s = aster::codec::fory_encode(bad::Status{}).value();
  size_t msg_at = s.size() - 3;  // code, message, keys, values: message is 3rd-last
  s.resize(msg_at);
  for (uint8_t b : {0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00}) s.push_back(b);
  aster::testing::AllocationProbe probe2;
  auto r2 = aster::codec::fory_decode<bad::Status>(s);
  auto r2_dynamic = aster::codec::fory_decode_value(s, *aster::codec::type_desc<bad::Status>());
  largest = probe2.largest();
  ASSERT_FALSE(r2.is_ok());
  ASSERT_FALSE(r2_dynamic.is_ok());
  EXPECT_LT(largest, 4096u) << "a hostile length made the decoder allocate " << largest << " bytes";
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
  auto type = aster::codec::type_desc<bad::Status>();
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
  auto bytes = aster::codec::fory_encode(bad::Status{0, "", {"a"}, {}}).value();
  // ... 00 (code) 00 (message) | 01 0c 04 61 (detailKeys) | 00
  ASSERT_EQ(bytes[bytes.size() - 4], 0x0c);
  bytes[bytes.size() - 4] = 0x08;                           // SAME_TYPE, not declared
  bytes.insert(bytes.end() - 3, 0x03);                      // type info: INT16
  auto s = aster::codec::fory_decode<bad::Status>(bytes);
  EXPECT_FALSE(s.is_ok());
  auto d = aster::codec::fory_decode_value(bytes, *aster::codec::type_desc<bad::Status>());
  ASSERT_FALSE(d.is_ok());
  EXPECT_NE(d.status().message().find("does not match the declared string"), std::string::npos)
      << d.status().message();
  // The same header with STRING type info is a valid (if unusual) encoding: accepted.
  bytes[bytes.size() - 4] = 0x15;
  EXPECT_TRUE(aster::codec::fory_decode<bad::Status>(bytes).is_ok());
  EXPECT_TRUE(aster::codec::fory_decode_value(bytes, *aster::codec::type_desc<bad::Status>()).is_ok());
}

TEST(BadInput, ClearMessages) {
  std::vector<uint8_t> wrong_hash = aster::codec::fory_encode(bad::Status{}).value();
  // The 4-byte struct hash sits right before the four empty fields (00 00 00 00).
  wrong_hash[wrong_hash.size() - 5] ^= 1;
  auto r = aster::codec::fory_decode<bad::Status>(wrong_hash);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("struct hash mismatch for bad/Status"), std::string::npos)
      << r.status().message();
  auto as_other = aster::codec::fory_decode<bad::Other>(
      aster::codec::fory_encode(bad::Status{}).value());
  ASSERT_FALSE(as_other.is_ok());
  EXPECT_NE(as_other.status().message().find("expected type bad/Other, found bad/Status"),
            std::string::npos)
      << as_other.status().message();
  std::vector<uint8_t> none_root{0x03, 0xfd};
  EXPECT_FALSE(aster::codec::fory_decode<bad::Status>(none_root).is_ok());
  std::vector<uint8_t> trailing = aster::codec::fory_encode(bad::Status{}).value();
  trailing.push_back(0);
  auto t = aster::codec::fory_decode<bad::Status>(trailing);
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("trailing"), std::string::npos);
}

}  // namespace
