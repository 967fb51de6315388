#include "aster/status.hpp"

#include <gtest/gtest.h>

namespace aster {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return {StatusCode::kInvalidArgument, "not positive"};
  return v;
}

Status chain(int v) {
  ASTER_RETURN_IF_ERROR(parse_positive(v));
  return Status::ok();
}

TEST(Status, OkByDefaultAndPrintsCodeName) {
  EXPECT_TRUE(Status().is_ok());
  Status s(StatusCode::kContractViolation, "bad");
  EXPECT_EQ(s.to_string(), "CONTRACT_VIOLATION: bad");
  EXPECT_EQ(static_cast<int>(s.code()), 101);
}

TEST(Result, CarriesValueOrStatusAndPropagates) {
  EXPECT_EQ(*parse_positive(3), 3);
  EXPECT_EQ(parse_positive(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(chain(1).is_ok());
  EXPECT_EQ(chain(-1).message(), "not positive");
}

}  // namespace
}  // namespace aster
