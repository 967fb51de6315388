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

Result<int> doubled(int v) {
  ASTER_ASSIGN_OR_RETURN(int p, parse_positive(v));
  return p * 2;
}

Result<std::string> moved_only(int v) {
  std::string s;
  ASTER_ASSIGN_OR_RETURN(s, Result<std::string>(std::string(static_cast<size_t>(v), 'x')));
  return s;
}

TEST(Result, AssignOrReturnUnwrapsOrPropagates) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(-4).status().message(), "not positive");
  EXPECT_EQ(*moved_only(3), "xxx");
}

TEST(Result, DefaultIsAnErrorNotAnEmptyOk) {
  Result<int> r;
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnknown);
}

TEST(Result, OkStatusWithoutValueBecomesInternal) {
  Result<int> r = Status::ok();
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  Result<int> r2(StatusCode::kOk, "");
  EXPECT_EQ(r2.status().code(), StatusCode::kInternal);
}

TEST(Result, ValueOr) {
  EXPECT_EQ(parse_positive(5).value_or(-1), 5);
  EXPECT_EQ(parse_positive(0).value_or(-1), -1);
}

}  // namespace
}  // namespace aster
