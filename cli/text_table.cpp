#include "text_table.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace aster::cli {
namespace {

size_t display_width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // count UTF-8 lead bytes only
  }));
}

}  // namespace

std::string TextTable::render(bool bold_header) const {
  std::vector<size_t> widths(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = display_width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  auto render_row = [&](const std::vector<std::string>& cells, bool bold) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      const bool last = i + 1 == widths.size();
      if (bold) line += "\033[1m";
      line += cell;
      if (bold) line += "\033[0m";
      if (!last) line += std::string(widths[i] - display_width(cell) + 2, ' ');
    }
    return line + "\n";
  };
  std::string out = render_row(headers_, bold_header);
  for (const auto& row : rows_) out += render_row(row, false);
  return out;
}

bool stdout_wants_style() {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
}

}  // namespace aster::cli
