// The shell's output, in aster-cli 0.1.2's shell style (aster-rpc@0972ac9:
// cli/aster_cli/shell/display.py `Display`): dim info, green success, red `error:`, yellow
// `warning:`, 2-space highlighted JSON, borderless tables with bold headers, the contract tree.
// Colour only on a terminal with NO_COLOR unset. `--json` (raw) mode: info and decoration
// vanish, tables and trees are one-line JSON, values 2-space JSON, stream items one per line.
// Text from the producer is escaped (terminal_text.hpp) outside JSON.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shell_peer.hpp"

namespace aster::cli {

class ShellDisplay {
 public:
  ShellDisplay(bool raw, bool colour) : raw_(raw), colour_(colour) {}
  bool raw() const { return raw_; }
  bool colour() const { return colour_; }

  // `code` is an SGR parameter list ("1;36", "38;2;120;166;255"); no-op without colour.
  std::string style(const std::string& text, const std::string& code) const;

  void print(const std::string& line) const;  // plain line (suppressed in raw mode)
  void info(const std::string& message) const;
  void success(const std::string& message) const;
  void error(const std::string& message) const;  // also in raw mode (as 0.1.2)
  void warning(const std::string& message) const;

  void json_value(const Json& value) const;
  void stream_item(size_t index, const Json& value) const;
  void result(const Json& value, double elapsed_ms) const;

  // `blobs` unknown (the registry is not read yet): the panel leaves the count out.
  void welcome(const std::string& peer, size_t services, std::optional<size_t> blobs) const;
  void directory_listing(const std::vector<std::pair<std::string, std::string>>& dirs) const;
  void service_table(const std::vector<ShellService>& services) const;
  void method_table(const ShellService& service) const;
  void blob_table(const std::vector<ShellBlob>& blobs, bool entries) const;
  void doc_table(const std::vector<ShellDocEntry>& docs) const;
  void contract_tree(const ShellService& service) const;
  // A blob's or registry entry's bytes as `cat` shows them (view_content): JSON 2-space (and
  // highlighted), text as is, else `(binary data, N bytes)` and a hex dump of the start.
  // Raw mode: JSON and text exact; binary as one JSON line {"binary", "size", "head_hex"}.
  void content(std::span<const uint8_t> bytes) const;

 private:
  std::string highlighted(const Json& value, int indent) const;
  bool raw_;
  bool colour_;
};

std::string method_signature(const ShellMethod& m);
// A field's type as the shell shows it: `string`, `list[Part]`, `map[string, int]`,
// `enum Kind`, `Dimensions`, `optional …`.
std::string field_kind(const contract::FieldSchema& f);
// Field `i` of `m`: the type blob's type where ShellMethod::blob_types has one, else the
// manifest's kind.
std::string field_kind(const ShellMethod& m, size_t i);
// 1024-based, one decimal: `512 B`, `1.2 KB`, `1.2 MB`, `1.0 GB` (0.1.2's `_format_size`).
std::string format_size(uint64_t bytes);

// What `cat` makes of bytes, in 0.1.2's order (`_display_bytes`): valid UTF-8 that parses as
// JSON, else valid UTF-8 text, else binary.
struct ContentView {
  enum class Kind { kJson, kText, kBinary };
  Kind kind = Kind::kBinary;
  Json json;         // kJson
  std::string text;  // kText
  size_t size = 0;
};
ContentView view_content(std::span<const uint8_t> bytes);
bool is_valid_utf8(std::string_view text);
// `xxd`-style lines (offset, 16 hex bytes, ASCII) for the first `max` bytes, and a last line
// `… N more bytes` when there are more.
std::string hex_dump(std::span<const uint8_t> bytes, size_t max = 256);
// JSON for a method's metadata (`ls <method>`, raw tables).
Json method_json(const ShellMethod& m);

}  // namespace aster::cli
