#include "shell_display.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>

#include "terminal_text.hpp"

namespace aster::cli {
namespace {

constexpr const char* kDim = "2";
constexpr const char* kBold = "1";
constexpr const char* kGreen = "32";
constexpr const char* kCyanBold = "1;36";
constexpr const char* kYellow = "33";
constexpr const char* kMagenta = "35";

size_t width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

struct Cell {
  std::string text;   // escaped, unstyled
  std::string style;  // SGR code or ""
  bool right = false;
};

// json.dumps(value) with Python's default separators (", ", ": "), ASCII only: what 0.1.2's
// raw mode prints for tables and stream items.
std::string python_dumps(const Json& v) {
  if (v.is_object()) {
    std::string s = "{";
    bool first = true;
    for (const auto& [k, x] : v.items()) {
      s += (first ? "" : ", ") + Json(k).dump(-1, ' ', true) + ": " + python_dumps(x);
      first = false;
    }
    return s + "}";
  }
  if (v.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + python_dumps(v[i]);
    return s + "]";
  }
  return v.dump(-1, ' ', true);
}

}  // namespace

std::string ShellDisplay::style(const std::string& text, const std::string& code) const {
  if (!colour_ || code.empty()) return text;
  return "\033[" + code + "m" + text + "\033[0m";
}

void ShellDisplay::print(const std::string& line) const {
  if (!raw_) out(line + "\n");
}
void ShellDisplay::info(const std::string& message) const {
  print(style(escape_for_terminal(message), kDim));
}
void ShellDisplay::success(const std::string& message) const {
  print(style(escape_for_terminal(message), kGreen));
}
void ShellDisplay::error(const std::string& message) const {
  // A message may hold its own hint lines (0.1.2's "…\n  Try: cd …",
  // aster-rpc@0972ac9:cli/aster_cli/shell/app.py): each line is escaped, the breaks are kept.
  std::string text;
  size_t start = 0;
  while (true) {
    const size_t nl = message.find('\n', start);
    text += escape_for_terminal(message.substr(start, nl == std::string::npos ? nl : nl - start));
    if (nl == std::string::npos) break;
    text += '\n';
    start = nl + 1;
  }
  out(style("error:", "1;31") + " " + text + "\n");
}
void ShellDisplay::warning(const std::string& message) const {
  out(style("warning:", kYellow) + " " + escape_for_terminal(message) + "\n");
}

std::string ShellDisplay::highlighted(const Json& value, int indent) const {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<size_t>(indent + 1) * 2, ' ');
  auto scalar = [&](const Json& v) {
    const std::string text = v.dump(-1, ' ', /*ensure_ascii=*/true);
    if (v.is_string()) return style(text, kGreen);
    if (v.is_number()) return style(text, "36");
    if (v.is_boolean() || v.is_null()) return style(text, "3;35");
    return text;
  };
  if (value.is_object()) {
    if (value.empty()) return "{}";
    std::string s = "{\n";
    size_t i = 0;
    for (const auto& [k, v] : value.items()) {
      s += inner + style(Json(k).dump(-1, ' ', true), "1;34") + ": " + highlighted(v, indent + 1);
      s += ++i < value.size() ? ",\n" : "\n";
    }
    return s + pad + "}";
  }
  if (value.is_array()) {
    if (value.empty()) return "[]";
    std::string s = "[\n";
    for (size_t i = 0; i < value.size(); ++i) {
      s += inner + highlighted(value[i], indent + 1) + (i + 1 < value.size() ? ",\n" : "\n");
    }
    return s + pad + "]";
  }
  return scalar(value);
}

void ShellDisplay::json_value(const Json& value) const {
  // json.dumps(data, indent=2): 2 spaces, ASCII only.
  if (raw_ || !colour_) {
    out(value.dump(2, ' ', /*ensure_ascii=*/true) + "\n");
  } else {
    out(highlighted(value, 0) + "\n");
  }
}

void ShellDisplay::stream_item(size_t index, const Json& value) const {
  if (raw_) {
    out(python_dumps(value) + "\n");  // one item per line for scripts
    return;
  }
  out(style("#" + std::to_string(index), kDim) + " " +
      (colour_ ? highlighted(value, 0) : value.dump(2, ' ', true)) + "\n");
}

void ShellDisplay::result(const Json& value, double elapsed_ms) const {
  info(fmt::format("({:.0f}ms)", elapsed_ms));
  json_value(value);
}

void ShellDisplay::welcome(const std::string& peer, size_t services,
                           std::optional<size_t> blobs) const {
  if (raw_) return;  // 0.1.2 prints it even in --json mode, which breaks scripts reading stdout
  const std::vector<std::pair<std::string, std::string>> lines = {
      {"Connected to " + escape_for_terminal(peer), kBold},
      {blobs ? fmt::format("{} services, {} blobs", services, *blobs)
             : fmt::format("{} services", services),
       kDim}};
  size_t w = 0;
  for (const auto& [text, st] : lines) w = std::max(w, width(text));
  std::string rule;
  for (size_t i = 0; i < w + 4; ++i) rule += "─";
  std::string s = "\n" + style("╭" + rule + "╮", "36") + "\n";
  for (const auto& [text, st] : lines) {
    s += style("│", "36") + "  " + style(text, st) + std::string(w - width(text) + 2, ' ') +
         style("│", "36") + "\n";
  }
  s += style("╰" + rule + "╯", "36") + "\n\n";
  out(s);
}

namespace {

std::string render_table(const ShellDisplay& d, const std::vector<std::string>& headers,
                         const std::vector<std::vector<Cell>>& rows, const std::string& title) {
  std::vector<size_t> widths(headers.size(), 0);
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = width(headers[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], width(row[i].text));
    }
  }
  std::string s;
  if (!title.empty()) {
    size_t total = 0;
    for (size_t w : widths) total += w + 2;
    total = total > 2 ? total - 2 : 0;
    const size_t left = total > width(title) ? (total - width(title)) / 2 : 0;
    s += std::string(left, ' ') + d.style(title, "1;3") + "\n";
  }
  auto line = [&](const std::vector<Cell>& cells) {
    std::string l;
    for (size_t i = 0; i < widths.size(); ++i) {
      const Cell c = i < cells.size() ? cells[i] : Cell{};
      const std::string fill(widths[i] - width(c.text), ' ');
      l += c.right ? fill + d.style(c.text, c.style) : d.style(c.text, c.style) + fill;
      if (i + 1 < widths.size()) l += "  ";
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  std::vector<Cell> header_cells;
  for (const auto& h : headers) header_cells.push_back({h, kBold});
  s += line(header_cells);
  for (const auto& row : rows) s += line(row);
  return s;
}

}  // namespace

void ShellDisplay::directory_listing(
    const std::vector<std::pair<std::string, std::string>>& dirs) const {
  if (raw_) {
    Json entries = Json::array();
    for (const auto& [name, detail] : dirs) {
      entries.push_back({{"name", name}, {"kind", "dir"}, {"detail", detail}});
    }
    out(python_dumps(entries) + "\n");
    return;
  }
  for (const auto& [name, detail] : dirs) {
    out("  " + style(escape_for_terminal(name) + "/", kCyanBold) +
        (detail.empty() ? "" : "    " + style(detail, kDim)) + "\n");
  }
}

void ShellDisplay::service_table(const std::vector<ShellService>& services) const {
  if (raw_) {
    Json rows = Json::array();
    for (const auto& s : services) {
      rows.push_back({{"name", s.vfs_name},
                      {"method_count", s.methods.size()},
                      {"version", s.version},
                      {"scoped", s.scope}});
    }
    out(python_dumps(rows) + "\n");
    return;
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& s : services) {
    const std::string name = escape_for_terminal(s.vfs_name);
    // A session-scoped name is coloured after layout (below): cyan, then a yellow "(session)".
    const Cell name_cell =
        s.session_scoped() ? Cell{name + " (session)", ""} : Cell{name, kCyanBold};
    rows.push_back({name_cell,
                    {s.described_by.empty() ? "?" : std::to_string(s.methods.size()), "", true},
                    {"v" + std::to_string(s.version), kDim, true},
                    {escape_for_terminal(s.scope), kDim}});
  }
  std::string table = render_table(*this, {"Service", "Methods", "Version", "Scope"}, rows, "");
  if (colour_) {
    // Colour the names after layout (widths are counted on plain text).
    for (const auto& s : services) {
      const std::string name = escape_for_terminal(s.vfs_name);
      const std::string plain = s.session_scoped() ? name + " (session)" : "";
      if (!plain.empty()) {
        if (auto at = table.find(plain); at != std::string::npos) {
          table.replace(at, plain.size(),
                        style(name, kCyanBold) + " " + style("(session)", kYellow));
        }
      }
    }
  }
  out(table);
}

std::string method_signature(const ShellMethod& m) {
  if (!m.request_type.empty() && !m.response_type.empty()) {
    return "(" + m.request_type + ") ->" + m.response_type;
  }
  if (!m.request_type.empty()) return "(" + m.request_type + ") ->…";
  if (!m.response_type.empty()) return "() ->" + m.response_type;
  return "";
}

std::string field_kind(const contract::FieldSchema& f) {
  std::string kind = f.kind;
  if (f.kind == "ref" && f.ref_name) kind = *f.ref_name;
  if (f.kind == "enum" && f.ref_name) kind = "enum " + *f.ref_name;
  if (f.kind == "list") {
    kind = "list[" + (f.item_ref ? *f.item_ref : f.item_kind.value_or("string")) + "]";
  }
  if (f.kind == "map") {
    kind = "map[" + f.key_kind.value_or("string") + ", " +
           (f.value_ref ? *f.value_ref : f.value_kind.value_or("string")) + "]";
  }
  return f.nullable ? "optional " + kind : kind;
}

std::string field_kind(const ShellMethod& m, size_t i) {
  if (i < m.blob_types.size() && !m.blob_types[i].empty()) return m.blob_types[i];
  return field_kind(m.fields[i]);
}

std::string format_size(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024ull * 1024) return fmt::format("{:.1f} KB", b / 1024);
  if (bytes < 1024ull * 1024 * 1024) return fmt::format("{:.1f} MB", b / (1024 * 1024));
  return fmt::format("{:.1f} GB", b / (1024.0 * 1024 * 1024));
}

Json method_json(const ShellMethod& m) {
  Json j = {{"name", m.name},
            {"pattern", m.pattern},
            {"request_type", m.request_type},
            {"response_type", m.response_type},
            {"timeout", m.timeout ? Json(*m.timeout) : Json(nullptr)}};
  Json fields = Json::array();
  for (const auto& f : m.fields) fields.push_back(contract::to_json(f));
  j["fields"] = std::move(fields);
  return j;
}

void ShellDisplay::method_table(const ShellService& service) const {
  if (raw_) {
    Json rows = Json::array();
    for (const auto& m : service.methods) {
      rows.push_back({{"name", m.name},
                      {"pattern", m.pattern},
                      {"signature", method_signature(m)},
                      {"timeout", m.timeout ? Json(*m.timeout) : Json(nullptr)}});
    }
    out(python_dumps(rows) + "\n");
    return;
  }
  if (service.methods.empty()) {
    info(service.described_by.empty()
             ? "no description of " + service.name + " v" + std::to_string(service.version) +
                   " found (give --collection/--manifest, or fill ~/.aster/cache/manifests/)"
             : "(no methods)");
    return;
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& m : service.methods) {
    std::string timeout;
    if (m.timeout && *m.timeout > 0) timeout = fmt::format("{}s", *m.timeout);
    if (m.timeout && *m.timeout == static_cast<double>(static_cast<int64_t>(*m.timeout))) {
      timeout = fmt::format("{:.1f}s", *m.timeout);  // Python prints 30.0
    }
    rows.push_back({{escape_for_terminal(m.name), kGreen},
                    {m.pattern, kDim},
                    {escape_for_terminal(method_signature(m)), ""},
                    {timeout, kDim, true}});
  }
  out(render_table(*this, {"Method", "Pattern", "Signature", "Timeout"}, rows,
                   escape_for_terminal(service.vfs_name)));
}

void ShellDisplay::blob_table(const std::vector<ShellBlob>& blobs, bool entries) const {
  if (raw_) {
    Json rows = Json::array();
    for (const auto& b : blobs) {
      rows.push_back({{"name", b.name},
                      {"hash", b.hash},
                      {"size", b.size},
                      {"is_collection", b.is_collection}});
    }
    out(python_dumps(rows) + "\n");
    return;
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& b : blobs) {
    const std::string hash = entries || b.hash.size() <= 16 ? b.hash : b.hash.substr(0, 16) + "…";
    rows.push_back({{escape_for_terminal(b.name) + (b.is_collection ? "/" : ""),
                     b.is_collection ? kCyanBold : (entries ? kGreen : "")},
                    {b.size > 0 ? format_size(b.size) : "", "", true},
                    {escape_for_terminal(hash), kDim}});
  }
  out(render_table(*this, {"Name", "Size", "Hash"}, rows, ""));
}

void ShellDisplay::doc_table(const std::vector<ShellDocEntry>& docs) const {
  if (raw_) {
    Json rows = Json::array();
    for (const auto& e : docs) {
      rows.push_back({{"key", e.key}, {"author", e.author}, {"hash", e.hash}, {"size", e.size}});
    }
    out(python_dumps(rows) + "\n");
    return;
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& e : docs) {
    // 0.1.2 (`list_doc_entries`): author 12 characters + `…`, hash 16 + `…`.
    auto shortened = [](const std::string& h, size_t n) {
      return h.size() > n + 1 ? h.substr(0, n) + "…" : h;
    };
    rows.push_back({{escape_for_terminal(e.key), "36"},
                    {e.size > 0 ? format_size(e.size) : "", "", true},
                    {escape_for_terminal(shortened(e.author, 12)), kDim},
                    {escape_for_terminal(shortened(e.hash, 16)), kDim}});
  }
  out(render_table(*this, {"Key", "Size", "Author", "Hash"}, rows, ""));
}

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  auto cont = [&](size_t k) {
    return k < n && (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80;
  };
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(i + 1)) return false;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(i + 1) || !cont(i + 2)) return false;
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      // Overlong forms and UTF-16 surrogates are not UTF-8 (Python's decode refuses them too).
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F)) return false;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return false;
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

ContentView view_content(std::span<const uint8_t> bytes) {
  ContentView v;
  v.size = bytes.size();
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!is_valid_utf8(text)) return v;
  // Python's json.loads accepts any JSON value; so does this (a bare number is JSON too).
  try {
    v.json = Json::parse(text);
    v.kind = ContentView::Kind::kJson;
    return v;
  } catch (const std::exception&) {
  }
  v.kind = ContentView::Kind::kText;
  v.text = std::string(text);
  return v;
}

std::string hex_dump(std::span<const uint8_t> bytes, size_t max) {
  std::string out;
  const size_t shown = std::min(bytes.size(), max);
  for (size_t off = 0; off < shown; off += 16) {
    std::string hex, ascii;
    for (size_t i = 0; i < 16; ++i) {
      if (off + i < shown) {
        const uint8_t b = bytes[off + i];
        hex += fmt::format("{:02x}", b);
        ascii += b >= 0x20 && b < 0x7F ? static_cast<char>(b) : '.';
      } else {
        hex += "  ";
      }
      if (i % 2 == 1) hex += ' ';
    }
    out += fmt::format("{:08x}: {} {}\n", off, hex, ascii);
  }
  if (bytes.size() > shown) out += fmt::format("… {} more bytes\n", bytes.size() - shown);
  return out;
}

void ShellDisplay::content(std::span<const uint8_t> bytes) const {
  const ContentView v = view_content(bytes);
  switch (v.kind) {
    case ContentView::Kind::kJson:
      json_value(v.json);
      return;
    case ContentView::Kind::kText: {
      if (raw_) {
        out(v.text.empty() || v.text.back() == '\n' ? v.text : v.text + "\n");
        return;
      }
      // Line by line, each escaped (a producer's text must not drive the terminal).
      size_t start = 0;
      std::string shown;
      while (start < v.text.size()) {
        size_t nl = v.text.find('\n', start);
        if (nl == std::string::npos) nl = v.text.size();
        shown += escape_for_terminal(v.text.substr(start, nl - start)) + "\n";
        start = nl + 1;
      }
      out(shown);
      return;
    }
    case ContentView::Kind::kBinary:
      if (raw_) {
        std::string head;
        for (size_t i = 0; i < std::min<size_t>(bytes.size(), 100); ++i) {
          head += fmt::format("{:02x}", bytes[i]);
        }
        Json j = {{"binary", true}, {"size", v.size}, {"head_hex", head}};
        out(j.dump() + "\n");
        return;
      }
      info(fmt::format("(binary data, {} bytes)", v.size));
      out(hex_dump(bytes));
      return;
  }
}

void ShellDisplay::contract_tree(const ShellService& s) const {
  if (raw_) {
    Json methods = Json::array();
    for (const auto& m : s.methods) methods.push_back(method_json(m));
    Json types = Json::array();
    for (const auto& [name, hash] : s.types) types.push_back({{"name", name}, {"hash", hash}});
    Json doc = {{"name", s.name},       {"version", s.version}, {"contract_id", s.contract_id},
                {"scoped", s.scope},    {"methods", methods},   {"types", types}};
    out(python_dumps(doc) + "\n");
    return;
  }
  std::string t = style(escape_for_terminal(s.name), kCyanBold) + " v" +
                  std::to_string(s.version) + "\n";
  const bool has_types = !s.types.empty();
  const bool has_methods = !s.methods.empty();
  const std::string cid =
      s.contract_id.size() > 16 ? s.contract_id.substr(0, 16) + "…" : s.contract_id;
  t += std::string(has_methods || has_types ? "├── " : "└── ") + style("contract_id:", kDim) +
       " " + escape_for_terminal(cid) + "\n";
  if (has_methods) {
    t += std::string(has_types ? "├── " : "└── ") + style("methods", kBold) + "\n";
    const std::string stem = has_types ? "│   " : "    ";
    for (size_t i = 0; i < s.methods.size(); ++i) {
      const auto& m = s.methods[i];
      const bool last = i + 1 == s.methods.size();
      t += stem + (last ? "└── " : "├── ") + style(escape_for_terminal(m.name), kGreen) + " (" +
           m.pattern + ")  " + style(escape_for_terminal(method_signature(m)), kDim) + "\n";
      const std::string fstem = stem + (last ? "    " : "│   ");
      for (size_t k = 0; k < m.fields.size(); ++k) {
        const auto& f = m.fields[k];
        const std::string kind = field_kind(m, k);
        std::string extra = f.required ? " required" : "";
        if (f.default_kind == "value" && !f.default_value.is_null()) {
          // 0.1.2 writes a default that is not JSON-safe as Python's str() of it (`b''`,
          // `Color.RED`: aster-rpc@0972ac9:bindings/python/aster/contract/manifest.py
          // `build_field_v1`): shown as Python wrote it. A str field's default stays quoted.
          const bool python_text = f.default_value.is_string() && f.kind != "string";
          extra += " = " + (python_text ? f.default_value.get<std::string>()
                                        : f.default_value.dump(-1, ' ', true));
        }
        t += fstem + (k + 1 == m.fields.size() ? "└── " : "├── ") +
             escape_for_terminal(f.name) + ": " + style(escape_for_terminal(kind), kMagenta) +
             style(escape_for_terminal(extra), kDim) + "\n";
      }
    }
  }
  if (has_types) {
    t += "└── " + style("types", kBold) + "\n";
    for (size_t i = 0; i < s.types.size(); ++i) {
      const auto& [name, hash] = s.types[i];
      const std::string short_hash = hash.size() > 12 ? hash.substr(0, 12) + "…" : hash;
      t += std::string("    ") + (i + 1 == s.types.size() ? "└── " : "├── ") +
           style(escape_for_terminal(name), kMagenta) +
           (hash.empty() ? "" : "  " + style(escape_for_terminal(short_hash), kDim)) +
           "\n";
    }
  }
  out(t);
}

}  // namespace aster::cli
