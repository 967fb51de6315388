// The typed declaration path (ASTER_MESSAGE + unary<Req, Resp>) gives vector D's contract_id
// (the Echo twin of tests/interop/py/aster_twins.py), the id aster-rpc 0.1.2 computes for the
// same Python service.
#include <gtest/gtest.h>

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
