// The trust commands' pure parts: expiry text as 0.1.2 reads and prints it, and
// ~/.aster/config.toml in 0.1.2's layout.
#include <gtest/gtest.h>

#include "credential_time.hpp"
#include "operator_config.hpp"

namespace aster::cli {
namespace {

TEST(CredentialTime, Iso8601AsPythonFromisoformat) {
  // Values from Python 3.11: int(datetime.fromisoformat(s).timestamp()) (naive read as UTC).
  EXPECT_EQ(*parse_iso8601("2031-02-03T04:05:06Z"), 1927857906);
  EXPECT_EQ(*parse_iso8601("2031-02-03T04:05:06+00:00"), 1927857906);
  EXPECT_EQ(*parse_iso8601("2031-02-03T06:05:06+02:00"), 1927857906);
  EXPECT_EQ(*parse_iso8601("2031-02-03 04:05:06.123456"), 1927857906);
  EXPECT_EQ(*parse_iso8601("2030-01-01"), 1893456000);
  EXPECT_EQ(*parse_iso8601("20300101"), 1893456000);
  EXPECT_EQ(*parse_iso8601("2030-01-01T00:00"), 1893456000);
  for (const char* bad : {"", "2030", "2030-13-01", "2030-02-30", "2030-01-01T25:00", "tomorrow",
                          "2030-01-01T00:00:00+", "2030-01-01X"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

TEST(CredentialTime, RelativeExpiryAndFormat) {
  EXPECT_EQ(*parse_expiry("30d", 1000), 1000 + 30 * 86400);
  EXPECT_EQ(*parse_expiry(" 24h ", 1000), 1000 + 24 * 3600);
  EXPECT_EQ(*parse_expiry("2030-01-01", 1000), 1893456000);
  EXPECT_FALSE(parse_expiry("d", 0));
  EXPECT_FALSE(parse_expiry("1.5d", 0));
  EXPECT_FALSE(parse_expiry("99999999999999d", 0));
  EXPECT_EQ(format_utc_iso8601(1893456000), "2030-01-01T00:00:00+00:00");
  EXPECT_EQ(format_utc_iso8601(1927857906), "2031-02-03T04:05:06+00:00");
}

TEST(OperatorConfig, WritesThe012LayoutAndKeepsOtherTables) {
  auto config = OperatorConfig::parse(
      "active_profile = \"prod\"\n[profiles.prod]\nroot_pubkey = \"ab\"\n"
      "[shell]\nfirst_time = false\n");
  ASSERT_TRUE(config) << config.status().to_string();
  EXPECT_EQ(config->active_profile(), "prod");
  config->profile("dev")["root_pubkey"] = "cd\"\n";
  const std::string text = config->to_toml();
  EXPECT_TRUE(text.starts_with("active_profile = \"prod\"\n\n[aster_service]\nenabled = true\n"))
      << text;
  EXPECT_NE(text.find("[profiles.dev]\nroot_pubkey = \"cd\\\"\\n\"\nhandle = \"\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[shell]\nfirst_time = false\n"), std::string::npos) << text;
  auto back = OperatorConfig::parse(text);
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(back->profile("dev")["root_pubkey"], "cd\"\n");
  EXPECT_EQ(back->profile_names(), (std::vector<std::string>{"dev", "prod"}));
  EXPECT_FALSE(OperatorConfig::parse("active_profile = [unclosed"));
}

// 0.1.2's print_active_profile_hint: only with more than one profile, naming active_profile.
TEST(OperatorConfig, ProfileHintOnlyWithSeveralProfiles) {
  EXPECT_EQ(active_profile_hint(*OperatorConfig::parse("")), std::nullopt);
  auto one = OperatorConfig::parse("active_profile = \"prod\"\n[profiles.prod]\n");
  ASSERT_TRUE(one);
  EXPECT_EQ(active_profile_hint(*one), std::nullopt);
  one->profile("dev");
  EXPECT_EQ(active_profile_hint(*one), "[profile: prod]");
  // The active profile need not be one of them (0.1.2 prints it as set).
  auto other = OperatorConfig::parse("[profiles.a]\n[profiles.b]\n");
  ASSERT_TRUE(other);
  EXPECT_EQ(active_profile_hint(*other), "[profile: default]");
}

}  // namespace
}  // namespace aster::cli
