#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "help_format.hpp"
#include "seconds_option.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

TEST(EscapeForTerminal, PrintableUtf8PassesThrough) {
  EXPECT_EQ(escape_for_terminal("HelloService v1 (session)"), "HelloService v1 (session)");
  EXPECT_EQ(escape_for_terminal("Grüße, 世界 🚀"), "Grüße, 世界 🚀");
}

TEST(EscapeForTerminal, ControlCharactersCannotReachTheTerminal) {
  // Clear screen, set the window title, forge a row, ring the bell.
  EXPECT_EQ(escape_for_terminal("\x1b[2J\x1b]0;pwned\x07"), "\\x1b[2J\\x1b]0;pwned\\x07");
  EXPECT_EQ(escape_for_terminal("a\rFake\nRow\tx"), "a\\rFake\\nRow\\tx");
  EXPECT_EQ(escape_for_terminal(std::string("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
  EXPECT_EQ(escape_for_terminal("back\\slash"), "back\\\\slash");  // unambiguous
}

TEST(EscapeForTerminal, C1ControlsBidiOverridesAndBadUtf8AreEscaped) {
  EXPECT_EQ(escape_for_terminal("\xc2\x9b" "2J"), "\\u009b2J");  // 8-bit CSI
  EXPECT_EQ(escape_for_terminal("abc\xe2\x80\xae" "fed"), "abc\\u202efed");  // RLO
  EXPECT_EQ(escape_for_terminal("\xe2\x81\xa6x"), "\\u2066x");  // LRI
  EXPECT_EQ(escape_for_terminal("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_for_terminal("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_for_terminal("\xe4\xb8"), "\\xe4\\xb8");          // cut sequence
}

TEST(Seconds, AcceptsDecimalNumbersInRange) {
  EXPECT_EQ(parse_seconds("10").value(), 10.0);
  EXPECT_EQ(parse_seconds("0.5").value(), 0.5);
  EXPECT_EQ(parse_seconds("2e1").value(), 20.0);
  EXPECT_EQ(parse_seconds("0.001").value(), 0.001);
  EXPECT_EQ(parse_seconds("86400").value(), 86400.0);
}

TEST(Seconds, RejectsWhatIsNotASaneDuration) {
  for (const char* text : {"nan", "NaN", "inf", "-inf", "1e300", "1e10", "0", "-1", "0.0001",
                           "86401", "", " 10", "10s", "0x10", "ten"}) {
    auto parsed = parse_seconds(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.status().message(),
              std::string("expected a number of seconds from 0.001 to 86400, got '") + text +
                  "'");
  }
  // A long argument is cut in the message.
  auto long_text = parse_seconds(std::string(5000, '9'));
  ASSERT_FALSE(long_text);
  EXPECT_LT(long_text.status().message().size(), 100u);
}

TEST(Seconds, ConversionSaturates) {
  using std::chrono::milliseconds;
  EXPECT_EQ(saturating_milliseconds(10), milliseconds(10'000));
  EXPECT_EQ(saturating_milliseconds(0.0015), milliseconds(2));
  EXPECT_EQ(saturating_milliseconds(1e300), milliseconds::max());
  EXPECT_EQ(saturating_milliseconds(1e10), milliseconds(10'000'000'000'000));
  EXPECT_EQ(saturating_milliseconds(-1e300), milliseconds::min());
  EXPECT_EQ(saturating_milliseconds(std::numeric_limits<double>::infinity()), milliseconds::max());
  EXPECT_EQ(saturating_milliseconds(std::nan("")), milliseconds(0));
}

TEST(HelpFormatter, SpeaksPlainWords) {
  CLI::App app{"demo", "demo"};
  double timeout = 10;
  std::string path;
  std::string input;
  app.add_option("--timeout", timeout, "seconds to wait")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--manifest", path, "the manifest")->required();
  app.add_option("--keep", path, "manifest.json as written");
  app.add_option("input", input, "what to read")->required();
  apply_help_style(app);
  const std::string help = app.help();
  EXPECT_EQ(help.find("FLOAT"), std::string::npos) << help;
  EXPECT_EQ(help.find("POSITIVE"), std::string::npos) << help;
  EXPECT_EQ(help.find("REQUIRED"), std::string::npos) << help;
  EXPECT_EQ(help.find("=10"), std::string::npos) << help;
  EXPECT_NE(help.find("--timeout NUMBER"), std::string::npos) << help;
  EXPECT_NE(help.find("--manifest MANIFEST"), std::string::npos) << help;
  EXPECT_NE(help.find("Seconds to wait (default: 10)"), std::string::npos) << help;
  EXPECT_NE(help.find("The manifest (required)"), std::string::npos) << help;
  EXPECT_NE(help.find("What to read"), std::string::npos) << help;
  EXPECT_NE(help.find("manifest.json as written"), std::string::npos) << help;
}

}  // namespace
}  // namespace aster::cli
