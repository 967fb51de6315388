// The pure parts of the shell's `cat`/`save` and `aster blob` (cli/shell_display.hpp,
// cli/peer_content.hpp, cli/blob_access.hpp): sizes as aster-cli 0.1.2's `_format_size`
// prints them, 0.1.2's `_display_bytes` order (JSON, else UTF-8 text, else binary), hash
// prefixes, and the progress bar's frame.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "blob_access.hpp"
#include "peer_content.hpp"
#include "shell_display.hpp"

namespace aster::cli {
namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(FormatSize, As012sFormatSize) {
  // python -c 'from aster_cli.shell.display import _format_size as f; print([f(n) for n in
  //   (0, 1023, 1024, 1536, 340, 1258291, 1048575, 1048576, 1073741824, 5*1024**4)])'
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(340), "340 B");
  EXPECT_EQ(format_size(1023), "1023 B");
  EXPECT_EQ(format_size(1024), "1.0 KB");
  EXPECT_EQ(format_size(1536), "1.5 KB");
  EXPECT_EQ(format_size(1048575), "1024.0 KB");
  EXPECT_EQ(format_size(1048576), "1.0 MB");
  EXPECT_EQ(format_size(1258291), "1.2 MB");
  EXPECT_EQ(format_size(1073741824), "1.0 GB");
  EXPECT_EQ(format_size(5ull << 40), "5120.0 GB");
}

TEST(ViewContent, JsonFirstThenTextThenBinary) {
  auto json = view_content(bytes(R"({"service": "Hello", "version": 1})"));
  ASSERT_EQ(json.kind, ContentView::Kind::kJson);
  EXPECT_EQ(json.json["service"], "Hello");
  // Any JSON value, as Python's json.loads: a bare number or string is JSON too.
  EXPECT_EQ(view_content(bytes("42")).kind, ContentView::Kind::kJson);
  auto text = view_content(bytes("Hello from the mesh!\n\nGrüße"));
  ASSERT_EQ(text.kind, ContentView::Kind::kText);
  EXPECT_EQ(text.text, "Hello from the mesh!\n\nGrüße");
  EXPECT_EQ(view_content(bytes("a1b2c3d4e5f6")).kind, ContentView::Kind::kText);
  EXPECT_EQ(view_content({}).kind, ContentView::Kind::kText);  // b"".decode() == ""
  const std::vector<uint8_t> bin = {0x3c, 0x75, 0x30, 0xbd, 0xff, 0x00};
  auto b = view_content(bin);
  EXPECT_EQ(b.kind, ContentView::Kind::kBinary);
  EXPECT_EQ(b.size, 6u);
}

TEST(ViewContent, Utf8ValidityIsStrictAsPythonsDecode) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x9a\x80"));  // 世界 🚀
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe4\xb8"));          // cut short
  EXPECT_FALSE(is_valid_utf8("\x80"));              // a lone continuation byte
}

TEST(HexDump, OffsetsHexAndAsciiThenWhatIsLeft) {
  std::vector<uint8_t> data;
  for (int i = 0; i < 40; ++i) data.push_back(static_cast<uint8_t>(0x41 + i));
  EXPECT_EQ(hex_dump(data, 32),
            "00000000: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50  ABCDEFGHIJKLMNOP\n"
            "00000010: 5152 5354 5556 5758 595a 5b5c 5d5e 5f60  QRSTUVWXYZ[\\]^_`\n"
            "… 8 more bytes\n");
  const std::vector<uint8_t> odd = {0x00, 0x7f, 0x20};
  EXPECT_EQ(hex_dump(odd), "00000000: 007f 20                                  .. \n");
}

TEST(MatchHash, FullHashesPassUniquePrefixesResolve) {
  const std::string a = std::string(63, 'a') + "1";
  const std::string b = "ab" + std::string(62, '0');
  const std::string c = "abc" + std::string(61, '1');
  const std::vector<std::string> known = {a, b, c};
  EXPECT_EQ(*match_hash(a, {}), a);  // a full hash needs no listing
  EXPECT_EQ(*match_hash("AAAA", known), a);  // case-insensitive
  EXPECT_EQ(*match_hash("abc", known), c);
  EXPECT_EQ(match_hash("ab", known).status().code(), StatusCode::kInvalidArgument);  // 2 match
  EXPECT_NE(match_hash("ab", known).status().message().find("ambiguous"), std::string::npos);
  EXPECT_EQ(match_hash("ff", known).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(match_hash("xyz", known).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(match_hash("", known).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(match_hash(a + "0", known).status().code(), StatusCode::kInvalidArgument);
}

TEST(CollectionName, ServiceAndVersionElseTheContractIdsStart) {
  trust::ServiceSummary s;
  s.name = "HelloService";
  s.version = 3;
  s.contract_id = std::string(64, 'c');
  EXPECT_EQ(collection_name(std::string(64, 'c'), {s}), "HelloService.v3");
  EXPECT_EQ(collection_name(std::string(64, 'd'), {s}), std::string(12, 'd'));
}

TEST(ProgressBar, FrameShowsPercentBytesAndRate) {
  const std::string hash = "1a2b3c4d5e6f7a8b9c0d";
  const std::string half = ProgressBar::frame(hash, 1u << 20, 2u << 20, 0.5, false);
  EXPECT_EQ(half.rfind("Downloading 1a2b3c4d5e6f… ", 0), 0u) << half;
  EXPECT_NE(half.find(" 50% 1.0 MB/2.0 MB 2.0 MB/s"), std::string::npos) << half;
  const std::string done = ProgressBar::frame(hash, 2u << 20, 2u << 20, 1.0, false);
  EXPECT_NE(done.find("100% 2.0 MB/2.0 MB"), std::string::npos) << done;
  // Size unknown: bytes so far, no percent.
  const std::string open = ProgressBar::frame(hash, 1536, std::nullopt, 0, false);
  EXPECT_EQ(open, "Downloading 1a2b3c4d5e6f… 1.5 KB");
  // Colour only when asked.
  EXPECT_EQ(half.find('\033'), std::string::npos);
  EXPECT_NE(ProgressBar::frame(hash, 1, 2, 1, true).find('\033'), std::string::npos);
}

}  // namespace
}  // namespace aster::cli
