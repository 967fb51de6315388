// JSON mode: Python json.dumps formatting and our documented choices (docs/codec.md).
#include <gtest/gtest.h>

#include <cmath>

#include "aster/codec/json.hpp"
#include "aster/wire/messages.hpp"

namespace {

using aster::Value;
using aster::codec::json_decode_value;
using aster::codec::json_encode_value;
using aster::codec::TypeDesc;
using aster::codec::TypeKind;

std::string enc(const Value& v, aster::codec::TypeRef t = nullptr) {
  auto r = json_encode_value(v, t.get());
  EXPECT_TRUE(r.is_ok());
  return r.is_ok() ? *r : "";
}

TEST(JsonMode, FloatsAsPythonRepr) {
  EXPECT_EQ(enc(1.0), "1.0");
  EXPECT_EQ(enc(1e16), "1e+16");
  EXPECT_EQ(enc(1e15), "1000000000000000.0");
  EXPECT_EQ(enc(0.0001), "0.0001");
  EXPECT_EQ(enc(0.00001), "1e-05");
  EXPECT_EQ(enc(-0.0), "-0.0");
  EXPECT_EQ(enc(123.456), "123.456");
  EXPECT_EQ(enc(1.5e-7), "1.5e-07");
  EXPECT_EQ(enc(2.5e300), "2.5e+300");
  EXPECT_EQ(enc(1234567890123456789.0), "1.2345678901234568e+18");
  EXPECT_EQ(enc(0.1), "0.1");
  EXPECT_EQ(enc(std::nan("")), "\"NaN\"");
  EXPECT_EQ(enc(INFINITY), "\"Infinity\"");
  EXPECT_EQ(enc(-INFINITY), "\"-Infinity\"");
}

TEST(JsonMode, StringsEscapedLikeEnsureAscii) {
  EXPECT_EQ(enc(Value("é😀\x01\x7f\"\\\n\t/")),
            R"("\u00e9\ud83d\ude00\u0001\u007f\"\\\n\t/")");
}

TEST(JsonMode, OurChoices) {
  EXPECT_EQ(enc(Value(aster::codec::Bytes{'h', 'i', '!'})), "\"aGkh\"");
  auto f = TypeDesc::scalar(TypeKind::kFloat64);
  // Bare NaN/Infinity (what 0.1.2 writes) and the quoted forms both read back.
  for (std::string_view in : {"NaN", "\"NaN\""}) EXPECT_TRUE(std::isnan(json_decode_value(in, *f)->as_float()));
  EXPECT_EQ(json_decode_value("-Infinity", *f)->as_float(), -INFINITY);
  auto b = TypeDesc::scalar(TypeKind::kBytes);
  EXPECT_EQ(json_decode_value("\"aGkh\"", *b)->as_bytes(), (aster::codec::Bytes{'h', 'i', '!'}));
  auto d = TypeDesc::scalar(TypeKind::kDate);
  EXPECT_EQ(enc(Value(int64_t{19724}), d), "\"2024-01-02\"");
  EXPECT_EQ(json_decode_value("\"2024-01-02\"", *d)->as_int(), 19724);
  auto ts = TypeDesc::scalar(TypeKind::kTimestamp);
  EXPECT_EQ(enc(Value(int64_t{1704164645123456}), ts), "\"2024-01-02T03:04:05.123456Z\"");
  EXPECT_EQ(json_decode_value("\"2024-01-02T03:04:05.123456Z\"", *ts)->as_int(), 1704164645123456);
  // The date part's length comes from the parse: a five-digit year (what we write past 9999)
  // and one-digit months and days read back (a fuzz find: "19600-6-07T08:09:10.000001Z" read,
  // but its re-encoding "19600-06-07T..." did not).
  for (std::string_view in : {"\"19600-6-07T08:09:10.000001Z\"", "\"2024-1-2T03:04:05Z\""}) {
    auto once = json_decode_value(in, *ts);
    ASSERT_TRUE(once.is_ok()) << in;
    auto again = json_decode_value(enc(*once, ts), *ts);
    ASSERT_TRUE(again.is_ok()) << enc(*once, ts);
    EXPECT_EQ(again->as_int(), once->as_int());
  }
  EXPECT_EQ(json_decode_value("\"2024-1-2T03:04:05Z\"", *ts)->as_int(), 1704164645000000);
  EXPECT_FALSE(json_decode_value("\"2024-01-02X03:04:05Z\"", *ts).is_ok());
  auto si = TypeDesc::set_of(TypeDesc::scalar(TypeKind::kInt64));
  EXPECT_EQ(enc(Value(Value::List{1, 2}), si), "[1,2]");
  auto m = TypeDesc::map_of(TypeDesc::scalar(TypeKind::kInt64), TypeDesc::scalar(TypeKind::kString));
  EXPECT_EQ(enc(Value(Value::Map{{1, "a"}}), m), R"({"1":"a"})");
  EXPECT_EQ(json_decode_value(R"({"1":"a"})", *m)->as_map()[0].first.as_int(), 1);
}

TEST(JsonMode, StrictLikePython) {
  auto t = aster::codec::type_desc<aster::wire::RpcStatus>();
  auto bad = json_decode_value(R"({"code":1,"bogus":2})", *t);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), aster::StatusCode::kContractViolation);
  EXPECT_NE(bad.status().message().find("unexpected JSON field(s) ['bogus']"), std::string::npos);
  // Missing keys take defaults.
  auto partial = aster::codec::json_decode<aster::wire::RpcStatus>(R"({"message":"m"})");
  ASSERT_TRUE(partial.is_ok());
  EXPECT_EQ(partial->code, 0);
  EXPECT_EQ(partial->message, "m");
  EXPECT_FALSE(json_decode_value("{", *t).is_ok());
  EXPECT_FALSE(json_decode_value(R"({"code":"x"})", *t).is_ok());
}

}  // namespace

namespace defaults_test {
enum class Level { kDebug, kInfo };
ASTER_ENUM(Level, "defaults/Level", ASTER_ENUMERATOR(kDebug, "DEBUG"),
           ASTER_ENUMERATOR(kInfo, "INFO"));
struct Tail {
  std::string agent_id;
  std::string level = "info";
  int64_t limit = 100;
  Level min = Level::kInfo;
};
ASTER_MESSAGE(Tail, "defaults/Tail", ASTER_FIELD(agent_id), ASTER_FIELD(level),
              ASTER_FIELD(limit), ASTER_FIELD(min))
}  // namespace defaults_test

// A JSON request that leaves fields out gets the declared member initializers, as a 0.1.2
// producer gives the dataclass defaults (`level: str = "info"`), not zero values.
TEST(JsonMode, MissingFieldsTakeDeclaredDefaults) {
  auto t = aster::codec::json_decode<defaults_test::Tail>(R"({"agent_id":"a"})");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->agent_id, "a");
  EXPECT_EQ(t->level, "info");
  EXPECT_EQ(t->limit, 100);
  EXPECT_EQ(t->min, defaults_test::Level::kInfo);
}

namespace valued_test {
// Python: class Shape(Enum): CIRCLE = "circle"; SQUARE = "square" and
// class Priority(IntEnum): LOW = 10; HIGH = 20.
enum class Shape { kCircle, kSquare };
ASTER_ENUM(Shape, "valued/Shape", ASTER_ENUMERATOR_VALUE(kCircle, "CIRCLE", "circle"),
           ASTER_ENUMERATOR_VALUE(kSquare, "SQUARE", "square"));
enum class Priority { kLow, kHigh };
ASTER_ENUM(Priority, "valued/Priority", ASTER_ENUMERATOR_VALUE(kLow, "LOW", 10),
           ASTER_ENUMERATOR_VALUE(kHigh, "HIGH", 20));
struct Job {
  Shape shape = Shape::kCircle;
  Priority priority = Priority::kLow;
  std::vector<Shape> more;
};
ASTER_MESSAGE(Job, "valued/Job", ASTER_FIELD(shape), ASTER_FIELD(priority), ASTER_FIELD(more))
}  // namespace valued_test

// An enum declared with its Python values is written by value, as 0.1.2's JSON mode does
// (`json.dumps` of an IntEnum is its value; a producer maps a value back with `Shape(value)`),
// and read by value or by member name; an IntEnum's number is its value, never an ordinal.
TEST(JsonMode, EnumsDeclaredWithPythonValuesTravelByValue) {
  using namespace valued_test;
  Job job{Shape::kSquare, Priority::kHigh, {Shape::kCircle}};
  auto text = aster::codec::json_encode(job);
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  EXPECT_EQ(*text, R"({"shape":"square","priority":20,"more":["circle"]})");
  auto by_value = aster::codec::json_decode<Job>(R"({"shape":"square","priority":20})");
  ASSERT_TRUE(by_value.is_ok()) << by_value.status().to_string();
  EXPECT_EQ(by_value->shape, Shape::kSquare);
  EXPECT_EQ(by_value->priority, Priority::kHigh);
  auto by_name = aster::codec::json_decode<Job>(R"({"shape":"SQUARE","priority":"HIGH"})");
  ASSERT_TRUE(by_name.is_ok()) << by_name.status().to_string();
  EXPECT_EQ(by_name->shape, Shape::kSquare);
  EXPECT_EQ(by_name->priority, Priority::kHigh);
  auto ordinal = aster::codec::json_decode<Job>(R"({"priority":1})");
  ASSERT_FALSE(ordinal.is_ok());
  EXPECT_NE(ordinal.status().message().find("expected one of: 10, 20"), std::string::npos)
      << ordinal.status().message();
  EXPECT_FALSE(aster::codec::json_decode<Job>(R"({"shape":"hexagon"})").is_ok());
  // The values are JSON only: Fory carries the ordinals.
  const auto& d = aster::codec::enum_desc<Priority>();
  EXPECT_EQ(d.members(), (std::vector<std::string>{"LOW", "HIGH"}));
  EXPECT_EQ(d.json_values(), (std::vector<std::string>{"10", "20"}));
  EXPECT_EQ(aster::codec::enum_ordinal(Priority::kHigh), 1);
}
