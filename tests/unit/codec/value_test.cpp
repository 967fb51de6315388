// aster::Value and the static ↔ dynamic bridge.
#include <gtest/gtest.h>

#include <cmath>

#include "aster/codec/fory.hpp"

namespace {

using aster::Value;

namespace demo {
enum class Mood { kCalm, kBusy };
ASTER_ENUM(Mood, "demo.types/Mood", ASTER_ENUMERATOR(kCalm, "CALM"), ASTER_ENUMERATOR(kBusy, "BUSY"))
struct Tree {
  std::string label;
  std::optional<Mood> mood;
  std::vector<Tree> kids;
  std::map<std::string, std::optional<int64_t>> tags;
};
ASTER_MESSAGE(Tree, "demo/Tree", ASTER_FIELD(label), ASTER_FIELD(mood), ASTER_FIELD(kids),
              ASTER_FIELD(tags))
}  // namespace demo

TEST(Value, EqualityTreatsNanAsEqualAndSignedZeroAsDistinct) {
  EXPECT_EQ(Value(std::nan("")), Value(std::nan("")));
  EXPECT_NE(Value(0.0), Value(-0.0));
  EXPECT_EQ(Value(uint64_t{5}), Value(int64_t{5}));
  EXPECT_EQ(Value(UINT64_MAX).kind(), Value::Kind::kUint);
  Value a(Value::List{1, "x"});
  Value b = a;
  b.mutable_list().push_back(nullptr);
  EXPECT_EQ(a.as_list().size(), 2u);  // copy-on-write
}

TEST(Value, StaticAndDynamicWriteTheSameBytes) {
  demo::Tree t{"root", demo::Mood::kBusy, {{"leaf", std::nullopt, {}, {{"a", 1}, {"b", std::nullopt}}}}, {}};
  auto bytes = aster::codec::fory_encode(t);
  ASSERT_TRUE(bytes.is_ok());
  Value v = aster::codec::to_value(t);
  EXPECT_EQ(v.as_struct().fields[1].second.as_string(), "BUSY");
  auto type = aster::codec::type_desc<demo::Tree>();
  auto dyn = aster::codec::fory_encode_value(v, *type);
  ASSERT_TRUE(dyn.is_ok()) << dyn.status().to_string();
  EXPECT_EQ(*dyn, *bytes);
  auto back = aster::codec::fory_decode_value(*bytes, *type);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, v);
  auto t2 = aster::codec::from_value<demo::Tree>(*back);
  ASSERT_TRUE(t2.is_ok());
  EXPECT_EQ(*aster::codec::fory_encode(*t2), *bytes);
  // A registry resolves the root by name.
  aster::codec::TypeRegistry reg;
  reg.add_static(aster::codec::struct_desc<demo::Tree>());
  auto any = aster::codec::fory_decode_any(*bytes, reg);
  ASSERT_TRUE(any.is_ok()) << any.status().to_string();
  EXPECT_EQ(*any, v);
}

TEST(Value, RuntimeRegistryDescribesRecursiveTypes) {
  aster::codec::TypeRegistry reg;
  auto& node = reg.declare_struct("demo/Tree");
  const auto& mood = reg.add_enum("demo.types/Mood", {"CALM", "BUSY"});
  using aster::codec::TypeDesc;
  using aster::codec::TypeKind;
  node.set_fields({{"label", TypeDesc::scalar(TypeKind::kString)},
                   {"mood", TypeDesc::optional_of(TypeDesc::enum_ref(mood))},
                   {"kids", TypeDesc::list_of(TypeDesc::struct_ref(node))},
                   {"tags", TypeDesc::map_of(TypeDesc::scalar(TypeKind::kString),
                                             TypeDesc::optional_of(TypeDesc::scalar(TypeKind::kInt64)))}});
  node.finalize();
  const auto& st = aster::codec::struct_desc<demo::Tree>();
  EXPECT_EQ(node.struct_hash(), st.struct_hash());
  EXPECT_EQ(node.wire_order(), st.wire_order());
  demo::Tree t{"r", std::nullopt, {{"k", demo::Mood::kCalm, {}, {}}}, {{"x", 3}}};
  auto v = aster::codec::to_value(t);
  auto dyn = aster::codec::fory_encode_value(v, *TypeDesc::struct_ref(node));
  ASSERT_TRUE(dyn.is_ok()) << dyn.status().to_string();
  EXPECT_EQ(*dyn, *aster::codec::fory_encode(t));
}

struct Loose {
  aster::Value anything;
};
ASTER_MESSAGE(Loose, "demo/Loose", ASTER_FIELD(anything))

TEST(Value, UntypedValuesRoundTripIncludingBigUnsigned) {
  // Found by the fuzzer: a VAR_UINT64 above INT64_MAX in an untyped position must re-encode
  // (as VAR_UINT64; Python's int type id VARINT64 cannot carry it).
  Loose l{Value(Value::List{Value(UINT64_MAX), 1, "x", nullptr, 2.5, Value(Value::Map{{"k", true}})})};
  auto bytes = aster::codec::fory_encode(l);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  auto back = aster::codec::fory_decode<Loose>(*bytes);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->anything, l.anything);
  auto dyn = aster::codec::fory_encode_value(aster::codec::to_value(l), *aster::codec::type_desc<Loose>());
  ASSERT_TRUE(dyn.is_ok());
  EXPECT_EQ(*dyn, *bytes);
}

TEST(Value, EncodeErrorsAreStatuses) {
  using aster::codec::TypeDesc;
  using aster::codec::TypeKind;
  auto type = aster::codec::type_desc<demo::Tree>();
  Value wrong = Value::make_struct("demo/Tree", {{"label", 5}});
  EXPECT_FALSE(aster::codec::fory_encode_value(wrong, *type).is_ok());
  Value bad_enum = Value::make_struct("demo/Tree", {{"mood", "ANGRY"}});
  auto r = aster::codec::fory_encode_value(bad_enum, *type);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("ANGRY"), std::string::npos);
  std::string invalid_utf8 = "\xff\xfe";
  EXPECT_FALSE(aster::codec::fory_encode_value(Value::make_struct("demo/Tree", {{"label", invalid_utf8}}), *type).is_ok());
  auto i8 = TypeDesc::scalar(TypeKind::kInt8);
  EXPECT_FALSE(aster::codec::fory_encode_value(Value(300), *i8).is_ok());
}

}  // namespace
