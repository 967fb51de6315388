#include "shell_line_editor.hpp"

#include <histedit.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <ctime>
#include <cwchar>
#include <fstream>
#include <sstream>

#include "shell_interrupt.hpp"

namespace aster::cli {

struct LineEditor::State {
  EditLine* el = nullptr;
  History* history = nullptr;
  std::string history_path;
  Completer completer;
  std::string prompt;
  bool interrupted = false;
};

namespace {

LineEditor::State* state_of(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<LineEditor::State*>(data);
}

char* prompt_of(EditLine* el) { return state_of(el)->prompt.data(); }

// One key: a byte from the terminal (UTF-8 decoded), or -1 after Ctrl-C so that el_gets
// returns and the shell can say "Press Ctrl+C again to exit".
int read_key(EditLine* el, wchar_t* out) {
  auto* st = state_of(el);
  unsigned char bytes[4];
  size_t have = 0, need = 1;
  while (have < need) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {interrupt_fd(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno != EINTR) return -1;
    if (take_interrupt()) {
      st->interrupted = true;
      errno = EINTR;
      return -1;
    }
    if (ready <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t n = ::read(STDIN_FILENO, bytes + have, 1);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (have == 0) {
      const unsigned char b = bytes[0];
      need = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    }
    ++have;
  }
  std::mbstate_t mb{};
  wchar_t wc = 0;
  const size_t r = std::mbrtowc(&wc, reinterpret_cast<const char*>(bytes), have, &mb);
  *out = (r == static_cast<size_t>(-1) || r == static_cast<size_t>(-2)) ? L'?' : wc;
  return 1;
}

size_t utf8_chars(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string common_prefix(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string p = items[0];
  for (const auto& s : items) {
    size_t i = 0;
    while (i < p.size() && i < s.size() && std::tolower(static_cast<unsigned char>(p[i])) ==
                                               std::tolower(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
    p.resize(i);
  }
  while (!p.empty() && (static_cast<unsigned char>(p.back()) & 0xC0) == 0x80) p.pop_back();
  if (!p.empty() && (static_cast<unsigned char>(p.back()) & 0xC0) == 0xC0) p.pop_back();
  return p;
}

unsigned char complete(EditLine* el, int) {
  auto* st = state_of(el);
  const LineInfo* li = el_line(el);
  const std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  const std::string word = last_word(before);
  std::vector<std::string> candidates = st->completer(before, word);
  if (candidates.empty()) return CC_REFRESH_BEEP;
  std::string insert;
  if (candidates.size() == 1) {
    insert = candidates[0];
    const char last = insert.empty() ? ' ' : insert.back();
    if (last != '/' && last != '=') insert += ' ';
  } else {
    insert = common_prefix(candidates);
    if (utf8_chars(insert) <= utf8_chars(word)) insert = word;
  }
  if (insert != word) {
    el_deletestr(el, static_cast<int>(utf8_chars(word)));
    el_insertstr(el, insert.c_str());
  }
  if (candidates.size() == 1) return CC_REFRESH;
  // Several: list them under the line, in columns, as a shell does.
  size_t w = 0;
  for (const auto& c : candidates) w = std::max(w, utf8_chars(c));
  const size_t columns = std::max<size_t>(1, 100 / (w + 2));
  std::string out = "\n";
  for (size_t i = 0; i < candidates.size(); ++i) {
    out += candidates[i];
    if ((i + 1) % columns == 0 || i + 1 == candidates.size()) {
      out += "\n";
    } else {
      out += std::string(w + 2 - utf8_chars(candidates[i]), ' ');
    }
  }
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

// prompt_toolkit's FileHistory: entries separated by "# <time>" lines, each line "+<text>".
std::vector<std::string> load_history(const std::string& path) {
  std::vector<std::string> entries;
  std::ifstream in(path);
  std::string line, current;
  bool have = false;
  auto flush = [&] {
    if (have && !current.empty()) entries.push_back(current);
    current.clear();
    have = false;
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '+') {
      if (have) current += "\n";
      current += line.substr(1);
      have = true;
    } else {
      flush();
    }
  }
  flush();
  return entries;
}

}  // namespace

std::string last_word(const std::string& before) {
  // The text after the last space outside quotes.
  size_t start = 0;
  char quote = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    const char c = before[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == ' ' || c == '\t') {
      start = i + 1;
    }
  }
  return before.substr(start);
}

LineEditor::LineEditor(std::string history_path, Completer completer)
    : state_(std::make_unique<State>()) {
  std::setlocale(LC_CTYPE, "");
  state_->history_path = std::move(history_path);
  state_->completer = std::move(completer);
  state_->history = history_init();
  HistEvent ev;
  history(state_->history, &ev, H_SETSIZE, 2000);
  history(state_->history, &ev, H_SETUNIQUE, 1);
  for (const auto& entry : load_history(state_->history_path)) {
    history(state_->history, &ev, H_ENTER, entry.c_str());
  }
  state_->el = el_init("aster", stdin, stdout, stderr);
  el_set(state_->el, EL_CLIENTDATA, state_.get());
  el_set(state_->el, EL_EDITOR, "emacs");
  el_set(state_->el, EL_PROMPT_ESC, prompt_of, '\1');
  el_set(state_->el, EL_HIST, history, state_->history);
  el_set(state_->el, EL_GETCFN, read_key);
  // The wide call with static strings: libedit 3.1's narrow EL_ADDFN wcsdup()s both and never
  // frees them (eln.c: "XXX: The two strdup's leak"), which LeakSanitizer reports.
  el_wset(state_->el, EL_ADDFN, L"aster-complete", L"Complete a command, path or argument",
          complete);
  el_set(state_->el, EL_BIND, "^I", "aster-complete", nullptr);
}

LineEditor::~LineEditor() {
  if (state_->el) el_end(state_->el);
  if (state_->history) history_end(state_->history);
}

LineEditor::End LineEditor::read(const std::string& prompt, std::string& line) {
  state_->prompt = prompt;
  state_->interrupted = false;
  int count = 0;
  const char* text = el_gets(state_->el, &count);
  if (state_->interrupted) {
    // Forget what was typed: the next prompt starts on an empty line.
    el_reset(state_->el);
    std::fputs("^C", stdout);
    return End::kInterrupted;
  }
  if (text == nullptr || count <= 0) return End::kEof;
  line.assign(text, static_cast<size_t>(count));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return End::kLine;
}

void LineEditor::remember(const std::string& line) {
  HistEvent ev;
  history(state_->history, &ev, H_ENTER, line.c_str());
  if (state_->history_path.empty()) return;
  std::ofstream out(state_->history_path, std::ios::app);
  if (!out) return;
  char stamp[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S.000000", &tm);
  out << "\n# " << stamp << "\n";
  std::istringstream lines(line);
  std::string l;
  while (std::getline(lines, l)) out << "+" << l << "\n";
}

}  // namespace aster::cli
