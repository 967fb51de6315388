// Text from peers and users on its way to a terminal. A producer chooses its service names,
// contract ids and namespace; printed raw, `\x1b]0;…\a` retitles the window, `\x1b[2J` clears
// it, `\r` and `\n` forge table rows, U+202E reverses what follows. Every human-readable line
// the tool prints goes through escape_for_terminal(); JSON output is exact (nlohmann escapes
// control characters itself).
#pragma once

#include <string>
#include <string_view>

namespace aster::cli {

// Printable UTF-8 passes through. Escaped, in the style of Python's repr: C0 controls and DEL
// (`\n`, `\r`, `\t`, else `\xNN`), the backslash itself (`\\`), C1 controls and the Unicode
// bidirectional/invisible formatting characters (`\u202e` …), and bytes that are not valid
// UTF-8 (`\xNN`).
std::string escape_for_terminal(std::string_view text);

}  // namespace aster::cli
