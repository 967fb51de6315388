// The `aster` tool's conventions, run as a user runs it (issue 13, points 3, 5 and 7): exit
// codes (0 ok, 1 failure, 2 usage error; a bare group prints its help and exits 1, as
// aster-cli 0.1.2 does), one `error:` line, `--timeout` validation, and help in plain words.
// No peer needed: every command here fails before dialling, or only prints help.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "reference_peer.hpp"

namespace aster::interop {
namespace {

const std::string kAster = std::string(ASTER_BINARY_DIR) + "/cli/aster";
// A valid ed25519 key (an old producer's id); nothing listens for it.
const std::string kSomeId = "b83c22e4c752a1831a21fe131444864bb8510567856421edd6f313322c20c1d7";

CommandResult aster(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), kAster);
  return run_command(args, std::chrono::seconds(60), env);
}

size_t lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

void expect_usage_error(const std::vector<std::string>& args, std::string_view needle) {
  auto result = aster(args);
  std::string shown;
  for (const auto& a : args) shown += a + " ";
  EXPECT_EQ(result.exit_code, 2) << shown << "\n" << result.err;
  EXPECT_EQ(lines(result.err), 1u) << shown << "\n" << result.err;
  EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << shown << "\n" << result.err;
  EXPECT_NE(result.err.find(needle), std::string::npos) << shown << "\n" << result.err;
  EXPECT_TRUE(result.out.empty()) << shown << "\n" << result.out;
}

TEST(CliExitCodes, HelpAndVersionSucceed) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--help"}, {"service", "ls", "--help"}, {"fory", "decode", "--help"}, {"call", "--help"},
           {"--version"}}) {
    auto result = aster(args);
    EXPECT_EQ(result.exit_code, 0) << args[0] << "\n" << result.err;
    EXPECT_FALSE(result.out.empty());
  }
}

TEST(CliExitCodes, ABareGroupPrintsItsHelpAndExits1) {
  // aster-cli 0.1.2: `aster` and `aster contract` print help on stdout and exit 1.
  for (auto args :
       std::vector<std::vector<std::string>>{{}, {"service"}, {"fory"}, {"contract"}}) {
    auto result = aster(args);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.out.find("Usage:"), std::string::npos) << result.out;
    EXPECT_TRUE(result.err.empty()) << result.err;
  }
}

TEST(CliExitCodes, UsageErrorsExit2WithOneLine) {
  expect_usage_error({"nosuchcommand"}, "nosuchcommand");
  expect_usage_error({"service", "ls", "--bogus", kSomeId}, "--bogus");
  expect_usage_error({"service", "ls", kSomeId, "extra"}, "extra");
  expect_usage_error({"service", "ls", "--timeout"}, "--timeout");
  expect_usage_error({"fory", "decode", "00"}, "--manifest");
  // Every usage error says where to look.
  expect_usage_error({"service", "ls", "--bogus"}, "(see 'aster service ls --help')");
}

TEST(CliExitCodes, NoAddressIsAUsageError) {
  auto result = aster({"service", "ls"}, {"ASTER_ENDPOINT_ADDR="});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(lines(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("ASTER_ENDPOINT_ADDR"), std::string::npos) << result.err;
}

TEST(CliExitCodes, RuntimeFailuresExit1WithOneLine) {
  auto result = aster({"service", "ls", "aster1notbase58!"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(lines(result.err), 1u) << result.err;
  EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << result.err;
}

TEST(CliTimeout, RejectsNonsenseAsUsageErrors) {
  // Each used to print "timed out after -9223372036854775808 ms", overflow under UBSan, or
  // print a 309-digit number.
  for (const char* value : {"nan", "inf", "1e300", "1e10", "0", "-5", "10s", "0x10"}) {
    expect_usage_error({"service", "ls", "--timeout", value, kSomeId},
                       "expected a number of seconds from 0.001 to 86400, got '" +
                           std::string(value) + "'");
  }
}

// The lines of `help` under a section header ("Options:", "Positionals:", "Subcommands:").
std::vector<std::string> described_lines(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.empty()) {
      in_section = false;
    } else if (line.back() == ':' && line[0] != ' ') {
      in_section = line == "Options:" || line == "Positionals:" || line == "Subcommands:";
    } else if (in_section && line.rfind("  ", 0) == 0) {
      out.push_back(line);
    }
  }
  return out;
}

TEST(CliHelp, EveryCommandSpeaksPlainWordsWithExamples) {
  for (auto args : std::vector<std::vector<std::string>>{{},
                                                         {"service"},
                                                         {"service", "ls"},
                                                         {"fory"},
                                                         {"fory", "decode"},
                                                         {"fory", "encode"},
                                                         {"contract"},
                                                         {"contract", "export"},
                                                         {"contract", "verify"}}) {
    std::string shown = "aster";
    for (const auto& a : args) shown += " " + a;
    args.push_back("--help");
    auto result = aster(args);
    ASSERT_EQ(result.exit_code, 0) << shown;
    const std::string& help = result.out;
    for (const char* jargon :
         {"FLOAT", "TEXT", "REQUIRED", ":POSITIVE", "=10", "Env:", "--help HELP", "--json JSON"}) {
      EXPECT_EQ(help.find(jargon), std::string::npos) << shown << ": " << jargon << "\n" << help;
    }
    if (args.size() != 2 ||
        (args[0] != "service" && args[0] != "fory" && args[0] != "contract")) {
      EXPECT_NE(help.find("Examples:"), std::string::npos) << shown << "\n" << help;
    }
    // One style: descriptions start with a capital letter.
    for (const auto& line : described_lines(help)) {
      const auto gap = line.find("  ", line.find_first_not_of(' '));
      if (gap == std::string::npos) continue;  // a name whose description wrapped below it
      const auto text_at = line.find_first_not_of(' ', gap);
      if (text_at == std::string::npos) continue;
      // A description may open with a file name or identifier ("manifest.json of …").
      const auto word = line.substr(text_at, line.find(' ', text_at) - text_at);
      if (word.find_first_of("._") != std::string::npos) continue;
      EXPECT_FALSE(std::islower(static_cast<unsigned char>(line[text_at])))
          << shown << ": " << line;
    }
  }
}

TEST(CliHelp, ListsTheEnvironmentVariables) {
  for (auto args : std::vector<std::vector<std::string>>{{"--help"}, {"service", "ls", "--help"}}) {
    auto result = aster(args);
    EXPECT_NE(result.out.find("ASTER_ENDPOINT_ADDR"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("ASTER_RELAY_MODE"), std::string::npos) << result.out;
  }
  auto root = aster({"--help"});
  EXPECT_NE(root.out.find("Exit status: 0 success, 1 failure, 2 usage error"), std::string::npos)
      << root.out;
}

}  // namespace
}  // namespace aster::interop
