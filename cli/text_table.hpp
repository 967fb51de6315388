// Borderless tables with a bold header row, the 0.1.2 shell style
// (aster-rpc@0972ac9:cli/aster_cli/shell/display.py `Display`). Bold only when writing to a
// terminal and NO_COLOR is unset, so piped output stays plain text.
#pragma once

#include <string>
#include <vector>

namespace aster::cli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }

  // Columns padded to their widest cell (counted in UTF-8 code points), separated by two spaces.
  std::string render(bool bold_header) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// True when stdout is a terminal and NO_COLOR is not set.
bool stdout_wants_style();

}  // namespace aster::cli
