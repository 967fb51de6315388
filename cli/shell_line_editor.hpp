// The interactive line editor of `aster shell` on a terminal: libedit (BSD licence; GNU
// readline is GPL) with emacs keys, tab completion, Ctrl-C that interrupts the line, and the
// history file ~/.aster/shell_history in prompt_toolkit's FileHistory format, which aster-cli
// 0.1.2 writes to the same file (`\n# <time>\n+<line>\n` per entry), so both shells share it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace aster::cli {

class LineEditor {
 public:
  // Candidates for the word under the cursor: `before` is the line up to the cursor, `word`
  // its last word (set by the editor). A candidate replaces `word`; one ending in '/' or '='
  // is not followed by a space.
  using Completer = std::function<std::vector<std::string>(const std::string& before,
                                                           const std::string& word)>;
  LineEditor(std::string history_path, Completer completer);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  enum class End { kLine, kEof, kInterrupted };
  // `prompt` may hold SGR sequences between '\1' markers (not counted as width).
  End read(const std::string& prompt, std::string& line);
  void remember(const std::string& line);  // history, and appended to the history file

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Splits off the word under the cursor (after the last unquoted space).
std::string last_word(const std::string& before);

}  // namespace aster::cli
