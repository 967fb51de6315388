// The typed declaration path (ASTER_MESSAGE + unary<Req, Resp>) gives vector D's contract_id
// (the Echo twin of tests/interop/py/aster_twins.py), the id aster-rpc 0.1.2 computes for the
// same Python service.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aster/contract/contract.hpp"
#include "aster/contract/service.hpp"

namespace vector_d {

struct EchoRequest {
  std::string message;
};
ASTER_MESSAGE(EchoRequest, "demo/EchoRequest", ASTER_FIELD(message));
struct EchoResponse {
  std::string reply;
};
ASTER_MESSAGE(EchoResponse, "demo/EchoResponse", ASTER_FIELD(reply));
struct Mixed {
  int64_t n = 0;
  std::vector<std::string> tags;
  std::map<std::string, double> scores;
  std::optional<std::string> note;
  std::optional<EchoRequest> child;
};
ASTER_MESSAGE(Mixed, "demo/Mixed", ASTER_FIELD(n), ASTER_FIELD(tags), ASTER_FIELD(scores),
              ASTER_FIELD(note), ASTER_FIELD(child));

}  // namespace vector_d

// The same enum declared twice: with the Python values of `class Shape(Enum): CIRCLE =
// "circle"` / `class Level(IntEnum): LOW = 10`, and by position only.
namespace valued_enums {
enum class Shape { kCircle, kSquare };
ASTER_ENUM(Shape, "shop/Shape", ASTER_ENUMERATOR_VALUE(kCircle, "CIRCLE", "circle"),
           ASTER_ENUMERATOR_VALUE(kSquare, "SQUARE", "square"));
enum class Level { kLow, kHigh };
ASTER_ENUM(Level, "shop/Level", ASTER_ENUMERATOR_VALUE(kLow, "LOW", 10),
           ASTER_ENUMERATOR_VALUE(kHigh, "HIGH", 20));
struct Part {
  Shape shape = Shape::kCircle;
  Level level = Level::kLow;
};
ASTER_MESSAGE(Part, "shop/Part", ASTER_FIELD(shape), ASTER_FIELD(level));
}  // namespace valued_enums
namespace positional_enums {
enum class Shape { kCircle, kSquare };
ASTER_ENUM(Shape, "shop/Shape", ASTER_ENUMERATOR(kCircle, "CIRCLE"),
           ASTER_ENUMERATOR(kSquare, "SQUARE"));
enum class Level { kLow, kHigh };
ASTER_ENUM(Level, "shop/Level", ASTER_ENUMERATOR(kLow, "LOW"), ASTER_ENUMERATOR(kHigh, "HIGH"));
struct Part {
  Shape shape = Shape::kCircle;
  Level level = Level::kLow;
};
ASTER_MESSAGE(Part, "shop/Part", ASTER_FIELD(shape), ASTER_FIELD(level));
}  // namespace positional_enums

namespace aster::contract {
namespace {

TEST(TypedService, VectorDFromDeclarations) {
  using namespace vector_d;  // NOLINT
  static const ServiceDesc desc =
      ServiceDesc("Echo")
          .method(unary<EchoRequest, EchoResponse>("echo"))
          .method(unary<Mixed, EchoResponse>("mixed").timeout(2.5).idempotent());
  auto a = build_contract_artifacts(desc);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->contract_id, "b428dbd8b1bc491b1d9b3d21a447d0346d9ca5c28f9b00e4be4b982e5b40c36c");
  const MethodDesc* m = desc.find_method("mixed");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->request->struct_type->tag(), "demo/Mixed");
  EXPECT_EQ(m->timeout_seconds, 2.5);
  EXPECT_EQ(desc.find_method("nope"), nullptr);
}

}  // namespace
}  // namespace aster::contract

namespace defaults_manifest {
struct Status {
  std::string status = "idle";
  int64_t uptime = 7;
  bool accepted = true;
  double load = 0.5;
  aster::Value tags = aster::Value::Map{};
  aster::Value caps = aster::Value::List{};
  aster::Value anything;
};
ASTER_MESSAGE(Status, "defaults/Status", ASTER_FIELD(status), ASTER_FIELD(uptime),
              ASTER_FIELD(accepted), ASTER_FIELD(load), ASTER_FIELD(tags), ASTER_FIELD(caps),
              ASTER_FIELD(anything))
}  // namespace defaults_manifest

namespace aster::contract {
namespace {

// Member initializers are the manifest's defaults, as 0.1.2 reports dataclass defaults; an
// aster::Value initialized to a map/list is a bare dict/list (tests/interop/
// mission_control_test.cpp checks the same against the real 0.1.2 for upstream's example).
TEST(TypedService, ManifestReportsMemberInitializers) {
  std::vector<FieldSchema> f;
  for (const auto& field : codec::struct_desc<defaults_manifest::Status>().fields())
    f.push_back(field_schema_for(field));
  ASSERT_EQ(f.size(), 7u);
  EXPECT_EQ(f[0].default_value, "idle");
  EXPECT_EQ(f[1].default_value, 7);
  EXPECT_EQ(f[2].default_value, true);
  EXPECT_EQ(f[3].default_value, 0.5);
  EXPECT_EQ(f[4].kind, "map");
  EXPECT_EQ(f[4].default_kind, "empty_map");
  EXPECT_EQ(f[4].key_kind, "string");
  EXPECT_EQ(f[5].kind, "list");
  EXPECT_EQ(f[5].default_kind, "empty_list");
  EXPECT_EQ(f[5].item_kind, "string");
  EXPECT_EQ(f[6].kind, "string");
  EXPECT_EQ(f[6].default_value, nullptr);
}


// Python enum values never enter the contract_id (0.1.2 hashes enum fields as ANY); the
// manifest lists them as 0.1.2's `[e.value for e in Shape]` does, ordinals when none is given.
TEST(TypedService, EnumValuesReachTheManifestNotTheContractId) {
  static const ServiceDesc valued =
      ServiceDesc("Shop").method(unary<valued_enums::Part, valued_enums::Part>("fit"));
  static const ServiceDesc positional =
      ServiceDesc("Shop").method(unary<positional_enums::Part, positional_enums::Part>("fit"));
  auto a = build_contract_artifacts(valued);
  auto b = build_contract_artifacts(positional);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ(a->contract_id, b->contract_id);
  auto fields = [](const std::string& manifest) {
    return nlohmann::json::parse(manifest)["methods"][0]["fields"];
  };
  auto va = fields(a->manifest_json), vb = fields(b->manifest_json);
  EXPECT_EQ(va[0]["enum_values"], nlohmann::json({"circle", "square"})) << va.dump();
  EXPECT_EQ(va[1]["enum_values"], nlohmann::json({10, 20})) << va.dump();
  EXPECT_EQ(vb[0]["enum_values"], nlohmann::json({0, 1})) << vb.dump();
}

}  // namespace
}  // namespace aster::contract
