// `aster shell [PEER]` — browse a producer like a filesystem and call its methods with no local
// types, as aster-cli 0.1.2's shell (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_run_shell`,
// commands.py, invoker.py, completer.py): the same virtual filesystem, commands, argument
// syntax, prompt, colours, piped-stdin scripting and `--json` raw mode. Where ours differs
// (docs/compatibility.md): requests are typed from the manifest (nested structs, enums, bytes,
// optionals; any offered version), bidi works against live peers, and the demo has sessions.
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/core.h>

#include "blob_access.hpp"
#include "commands.hpp"
#include "identity_options.hpp"
#include "peer_name.hpp"
#include "seconds_option.hpp"
#include "shell_call_args.hpp"
#include "shell_display.hpp"
#include "shell_interrupt.hpp"
#include "shell_line_editor.hpp"
#include "shell_peer.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct ShellOptions {
  std::string peer;
  bool demo = false;
  bool json = false;
  bool no_registry = false;
  DescriptionFlags descriptions;
  std::string timeout = "10";
  IdentityFlags identity;  // --rcan, --identity
};

// ── Virtual filesystem ──

enum class NodeKind { kRoot, kServices, kService, kMethod, kBlobs, kCollection, kEntry, kDocs,
                      kDocEntry, kGossip };

struct Node {
  NodeKind kind = NodeKind::kRoot;
  std::string path = "/";
  const ShellService* service = nullptr;
  const ShellMethod* method = nullptr;
  std::string name;  // blob / collection / entry / doc key
  std::string collection;  // kEntry inside a collection: the collection's name
  bool is_dir() const {
    return kind != NodeKind::kMethod && kind != NodeKind::kEntry && kind != NodeKind::kDocEntry;
  }
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  return parts;
}

class Vfs {
 public:
  explicit Vfs(ShellPeer& peer) : peer_(peer) {}

  // The children of a directory: (name, is_dir), sorted.
  std::vector<std::pair<std::string, bool>> children(const Node& n) const {
    std::vector<std::pair<std::string, bool>> out;
    switch (n.kind) {
      case NodeKind::kRoot:
        out = {{"blobs", true}, {"docs", true}, {"gossip", true}, {"services", true}};
        break;
      case NodeKind::kServices:
        for (const auto& s : peer_.services()) out.emplace_back(s.vfs_name, true);
        break;
      case NodeKind::kService:
        for (const auto& m : n.service->methods) out.emplace_back(m.name, false);
        break;
      // A listing that fails (the registry cannot be read) has no children here; `ls` says why.
      case NodeKind::kBlobs:
        if (auto blobs = peer_.blobs(); blobs.is_ok()) {
          for (const auto& b : *blobs) out.emplace_back(b.name, b.is_collection);
        }
        break;
      case NodeKind::kCollection:
        if (auto entries = peer_.collection_entries(n.name); entries.is_ok()) {
          for (const auto& e : *entries) out.emplace_back(e.name, false);
        }
        break;
      case NodeKind::kDocs:
        if (auto docs = peer_.docs(); docs.is_ok()) {
          for (const auto& d : *docs) out.emplace_back(d.key, false);
        }
        break;
      default:
        break;
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Exact match first, then case-insensitive (0.1.2's resolve_path). nullopt: no such path.
  std::optional<Node> resolve(const std::string& cwd, const std::string& target) const {
    const std::string joined = !target.empty() && target[0] == '/' ? target : cwd + "/" + target;
    const auto parts = split_path(joined);
    Node node;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (!node.is_dir()) return std::nullopt;
      // Collection entries and doc keys hold '/': the rest of the path is one name.
      std::string want = parts[i];
      if (node.kind == NodeKind::kCollection || node.kind == NodeKind::kDocs) {
        for (size_t k = i + 1; k < parts.size(); ++k) want += "/" + parts[k];
        i = parts.size() - 1;
      }
      std::optional<std::string> found;
      const auto kids = children(node);
      for (const auto& [name, dir] : kids) {
        if (name == want) found = name;
      }
      if (!found) {
        for (const auto& [name, dir] : kids) {
          if (iequals(name, want)) {
            found = name;
            break;
          }
        }
      }
      if (!found && node.kind == NodeKind::kServices) {
        if (const ShellService* s = find_service(want)) found = s->vfs_name;
      }
      if (!found) return std::nullopt;
      node = child(node, *found);
    }
    return node;
  }

  Node child(const Node& parent, const std::string& name) const {
    Node n;
    n.path = (parent.path == "/" ? "" : parent.path) + "/" + name;
    n.name = name;
    n.service = parent.service;
    switch (parent.kind) {
      case NodeKind::kRoot:
        n.kind = name == "services" ? NodeKind::kServices
                 : name == "blobs"  ? NodeKind::kBlobs
                 : name == "docs"   ? NodeKind::kDocs
                                    : NodeKind::kGossip;
        break;
      case NodeKind::kServices:
        n.kind = NodeKind::kService;
        n.service = find_service(name);
        break;
      case NodeKind::kService:
        n.kind = NodeKind::kMethod;
        n.method = parent.service->find_method(name);
        break;
      case NodeKind::kBlobs: {
        n.kind = NodeKind::kEntry;
        if (auto blobs = peer_.blobs(); blobs.is_ok()) {
          for (const auto& b : *blobs) {
            if (b.name == name && b.is_collection) n.kind = NodeKind::kCollection;
          }
        }
        break;
      }
      case NodeKind::kCollection:
        n.kind = NodeKind::kEntry;
        n.collection = parent.name;
        break;
      default:
        n.kind = NodeKind::kDocEntry;
        break;
    }
    return n;
  }

  const ShellService* find_service(const std::string& name) const {
    for (const auto& s : peer_.services()) {
      if (s.vfs_name == name) return &s;
    }
    for (const auto& s : peer_.services()) {
      if (iequals(s.vfs_name, name)) return &s;
    }
    // `Catalog@2` is `Catalog@v2`. A bare `Catalog` when only `Catalog@v1`/`Catalog@v2` exist
    // is v1, the version 0.1.2's shell calls for it (it lists the name twice and always sends
    // version 1: aster-rpc@0972ac9:bindings/python/aster/transport/iroh.py); the prompt then
    // shows which one. Without a v1 it matches nothing.
    std::string_view base = name;
    int64_t version = 1;
    if (const auto at = name.rfind('@'); at != std::string::npos) {
      std::string_view digits = base.substr(at + 1);
      if (!digits.empty() && (digits[0] == 'v' || digits[0] == 'V')) digits.remove_prefix(1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        return nullptr;
      }
      base = base.substr(0, at);
    }
    for (const auto& s : peer_.services()) {
      if (iequals(s.name, base) && s.version == version) return &s;
    }
    return nullptr;
  }

  // The blob a kEntry node stands for (from its collection's listing, or /blobs itself).
  std::optional<ShellBlob> blob_of(const Node& n) const {
    auto listed = n.collection.empty() ? peer_.blobs() : peer_.collection_entries(n.collection);
    if (!listed.is_ok()) return std::nullopt;
    for (const auto& b : *listed) {
      if (b.name == n.name) return b;
    }
    return std::nullopt;
  }

  std::optional<ShellDocEntry> doc_of(const Node& n) const {
    auto docs = peer_.docs();
    if (!docs.is_ok()) return std::nullopt;
    for (const auto& d : *docs) {
      if (d.key == n.name) return d;
    }
    return std::nullopt;
  }

 private:
  ShellPeer& peer_;
};

// ── The shell ──

struct CommandSpec {
  std::string name;
  std::string description;
  std::vector<std::string> contexts;  // fnmatch globs ('*' crosses '/'); empty: anywhere
};

const std::vector<CommandSpec>& command_specs() {
  static const std::vector<CommandSpec> specs = {
      {"cat", "Display file or blob content", {}},
      {"cd", "Change directory", {}},
      {"describe", "Show detailed contract info for a service", {"/services", "/services/*"}},
      {"exit", "Exit the shell", {}},
      {"help", "Show available commands", {}},
      {"invoke", "Invoke an RPC method", {"/services/*"}},
      {"ls", "List contents of the current or specified path", {}},
      {"pwd", "Print current path", {}},
      {"refresh", "Re-fetch data from the peer", {}},
      {"save", "Download a blob to a local file", {"/blobs", "/blobs/*"}},
      {"session", "Open a session subshell for a session-scoped service",
       {"/services", "/services/*"}},
  };
  return specs;
}

bool valid_at(const CommandSpec& spec, const std::string& cwd) {
  if (spec.contexts.empty()) return true;
  return std::any_of(spec.contexts.begin(), spec.contexts.end(), [&](const std::string& glob) {
    return ::fnmatch(glob.c_str(), cwd.c_str(), 0) == 0;
  });
}

std::string summarize_args(const Json& payload) {
  if (!payload.is_object()) {  // a builtin request: the value itself
    std::string v = payload.dump(-1, ' ', true);
    return v.size() > 40 ? v.substr(0, 37) + "…" : v;
  }
  std::string s;
  size_t i = 0;
  for (auto it = payload.begin(); it != payload.end() && i < 3; ++it, ++i) {
    std::string v = it.value().is_string() ? "'" + it.value().get<std::string>() + "'"
                                           : it.value().dump(-1, ' ', true);
    if (it.value().is_string() && it.value().get<std::string>().size() > 20) {
      v = "'" + it.value().get<std::string>().substr(0, 17) + "…'";
    }
    s += (s.empty() ? "" : ", ") + it.key() + "=" + v;
  }
  if (payload.size() > 3) s += fmt::format(", … +{} more", payload.size() - 3);
  return s;
}

class Shell {
 public:
  Shell(ShellPeer& peer, bool raw)
      : peer_(peer), vfs_(peer), interactive_(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)),
        display_(raw, interactive_ && stdout_colour()) {}

  int run() {
    install_interrupt_handler();
    // The blob count only when known without waiting for the producer's registry.
    display_.welcome(peer_.display_name(), peer_.services().size(), peer_.known_blob_count());
    if (interactive_) {
      std::string history;
      if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        std::error_code ec;
        fs::create_directories(fs::path(home) / ".aster", ec);
        history = (fs::path(home) / ".aster" / "shell_history").string();
      }
      editor_.emplace(history, [this](const std::string& before, const std::string& word) {
        return complete(before, word);
      });
    }
    Clock::time_point last_ctrl_c{};
    while (true) {
      std::string line;
      const auto end = read_line(prompt(), line);
      if (end == LineEnd::kInterrupted) {
        if (Clock::now() - last_ctrl_c < std::chrono::milliseconds(1500)) {
          display_.print("");
          display_.info("Disconnecting...");
          return 0;
        }
        last_ctrl_c = Clock::now();
        display_.print("");
        display_.info("Press Ctrl+C again to exit");
        continue;
      }
      if (end == LineEnd::kEof) {
        display_.print("");
        display_.info("Disconnecting...");
        return 0;
      }
      last_ctrl_c = {};
      line = trim(line);
      if (line.empty()) continue;
      if (editor_) editor_->remember(line);
      // A command that throws (a bug of ours) is reported and the shell goes on: the session,
      // its connection and the user's cwd are worth more than the one command.
      bool go_on = true;
      try {
        go_on = dispatch(line);
      } catch (const std::exception& e) {
        display_.error(std::string("internal error: ") + e.what());
      }
      if (!go_on) return 0;
    }
  }

 private:
  enum class LineEnd { kLine, kEof, kInterrupted };

  static bool stdout_colour() {
    const char* no_color = std::getenv("NO_COLOR");
    return no_color == nullptr || *no_color == '\0';
  }

  static std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
  }

  // A coloured prompt for libedit: each escape sequence between '\1' markers (not counted as
  // width). libedit 3.1 mishandles two marked sequences in a row and a marked sequence at the
  // very end, so every segment starts with its own reset and the last reset precedes a space.
  std::string coloured_prompt(const std::vector<std::pair<std::string, std::string>>& parts,
                              const std::string& tail) const {
    std::string out;
    for (const auto& [text, sgr] : parts) {
      out += display_.colour() ? "\1\033[0;" + sgr + "m\1" + text : text;
    }
    if (display_.colour()) out += "\1\033[0m\1";
    return out + tail;
  }

  std::string prompt() const {
    // 0.1.2's SHELL_STYLE: peer #78A6FF bold, ':' #666666, path #61D6C2, '$' #E6C06B.
    return coloured_prompt({{escape_for_terminal(peer_.display_name()), "1;38;2;120;166;255"},
                            {":", "38;2;102;102;102"},
                            {escape_for_terminal(cwd_), "38;2;97;214;194"},
                            {"$", "38;2;230;192;107"}},
                           " ");
  }

  LineEnd read_line(const std::string& prompt_text, std::string& line) {
    if (editor_) {
      switch (editor_->read(prompt_text, line)) {
        case LineEditor::End::kLine:
          return LineEnd::kLine;
        case LineEditor::End::kEof:
          return LineEnd::kEof;
        case LineEditor::End::kInterrupted:
          return LineEnd::kInterrupted;
      }
    }
    switch (standard_input().read(line)) {  // piped: no prompt, as 0.1.2
      case LineInput::End::kLine:
        return LineEnd::kLine;
      case LineInput::End::kInterrupted:
        return LineEnd::kInterrupted;
      default:
        return LineEnd::kEof;
    }
  }

  // A line typed for a prompt inside a command (fields, stream input): a terminal's own line
  // discipline on a TTY, plain lines when piped (no prompt text then).
  LineInput::End read_input(std::string& line, const std::string& prompt_text,
                            const std::function<bool()>& stop = {}) {
    return standard_input().read(line, interactive_ ? prompt_text : "", stop);
  }

  const CommandSpec* spec(const std::string& name) const {
    for (const auto& s : command_specs()) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  // false: leave the shell.
  bool dispatch(const std::string& line) {
    auto parts = tokenize(line);
    if (parts.empty()) return true;
    std::string cmd = parts[0];
    std::vector<std::string> args(parts.begin() + 1, parts.end());
    if (cmd.rfind("./", 0) == 0) {
      auto node = vfs_.resolve(cwd_, ".");
      if (!node || node->kind != NodeKind::kService) {
        display_.error("direct invocation requires being in a service directory");
        return true;
      }
      invoke(*node->service, cmd.substr(2), call_args_of_line(line), nullptr);
      return true;
    }
    if (cmd == "quit" || cmd == "q") cmd = "exit";
    const CommandSpec* s = spec(cmd);
    if (s == nullptr) {
      auto node = vfs_.resolve(cwd_, ".");
      if (node && node->kind == NodeKind::kService && node->service->find_method(cmd)) {
        invoke(*node->service, cmd, call_args_of_line(line), nullptr);
        return true;
      }
      display_.error("unknown command: " + cmd + " (try 'help')");
      return true;
    }
    if (!valid_at(*s, cwd_)) {
      std::string valid = s->contexts[0];
      while (!valid.empty() && (valid.back() == '*' || valid.back() == '/')) valid.pop_back();
      std::string rest;
      for (const auto& a : args) rest += " " + a;
      display_.error("'" + cmd + "' is not available at " + cwd_ + "\n  Try: cd " +
                     (valid.empty() ? "/" : valid) + " && " + cmd + rest);
      return true;
    }
    if (cmd == "exit") return false;
    if (cmd == "ls") ls(args.empty() ? "." : args[0]);
    if (cmd == "cd") cd(args.empty() ? "/" : args[0]);
    if (cmd == "pwd") display_.print(cwd_);
    if (cmd == "help") help();
    if (cmd == "refresh") {
      Status st = peer_.refresh();
      if (st.is_ok()) {
        display_.success("Cache cleared -- next listing will fetch fresh data");
      } else {
        display_.error(st.message());
      }
    }
    if (cmd == "describe") describe(args);
    if (cmd == "invoke") {
      auto node = vfs_.resolve(cwd_, ".");
      if (args.empty()) {
        display_.error("usage: invoke <method> [key=value ...] or <method> '{json}'");
      } else {
        // The line without `invoke`: its first word is the method.
        const size_t word = line.find_first_not_of(" \t");
        const size_t after = line.find_first_of(" \t", word);
        invoke(*node->service, args[0],
               call_args_of_line(after == std::string::npos ? "" : line.substr(after)), nullptr);
      }
    }
    if (cmd == "session") session(args);
    if (cmd == "cat") cat(args);
    if (cmd == "save") save(args);
    return true;
  }

  // The target of `cat`/`save`: a node of the virtual filesystem (relative to cwd), else a
  // collection/entry/registry key/hash as find_blob_target reads it.
  Result<BlobTarget> target_of(const std::string& text) {
    auto node = vfs_.resolve(cwd_, text);
    if (!node) return find_blob_target(peer_, text);
    switch (node->kind) {
      case NodeKind::kCollection:
        return BlobTarget{BlobTarget::Kind::kCollection, node->name, ""};
      case NodeKind::kDocEntry:
        return BlobTarget{BlobTarget::Kind::kDoc, node->name, ""};
      case NodeKind::kEntry: {
        auto blob = vfs_.blob_of(*node);
        if (!blob) return Status(StatusCode::kNotFound, "no such blob: " + node->path);
        return BlobTarget{BlobTarget::Kind::kBlob, blob->name, blob->hash};
      }
      case NodeKind::kMethod:
        return Status(StatusCode::kInvalidArgument,
                      node->path + " is a method: invoke it, or `ls " + text + "`");
      default:
        return Status(StatusCode::kInvalidArgument, node->path + " is a directory");
    }
  }

  void cat(const std::vector<std::string>& args) {
    if (args.empty()) {
      display_.error("usage: cat <entry | doc key | collection | blob hash>");
      return;
    }
    auto target = target_of(args[0]);
    if (!target.is_ok()) {
      display_.error(target.status().message());
      return;
    }
    take_interrupt();
    Status st = cat_target(peer_, display_, *target);
    if (st.code() == StatusCode::kCancelled) {
      display_.info("(cancelled)");
    } else if (!st.is_ok()) {
      display_.error(st.message());
    }
  }

  void save(const std::vector<std::string>& args) {
    if (args.size() != 2) {
      display_.error("usage: save <hash | entry> <file>");
      return;
    }
    auto target = target_of(args[0]);
    if (!target.is_ok()) {
      display_.error(target.status().message());
      return;
    }
    std::optional<ProgressBar> bar;
    if (!display_.raw()) bar.emplace(isatty(STDERR_FILENO) != 0, display_.colour());
    take_interrupt();
    auto saved = save_target(peer_, *target, args[1], bar ? &*bar : nullptr);
    if (!saved.is_ok()) {
      if (saved.status().code() == StatusCode::kCancelled) {
        display_.info("(cancelled)");
      } else {
        display_.error("failed to save blob: " + saved.status().message());
      }
      return;
    }
    if (display_.raw()) {
      display_.json_value(Json{{"path", args[1]}, {"size", *saved}});
    } else {
      display_.success(fmt::format("Saved to {} ({} bytes)", args[1], *saved));
    }
  }

  void ls(const std::string& target) {
    auto node = vfs_.resolve(cwd_, target);
    if (!node) {
      display_.error("no such path: " + normalized(target));
      return;
    }
    switch (node->kind) {
      case NodeKind::kRoot:
        display_.directory_listing({{"blobs", "content-addressed storage"},
                                    {"docs", "registry documents"},
                                    {"gossip", "pub/sub topics"},
                                    {"services", "RPC services"}});
        break;
      case NodeKind::kServices: {
        auto services = peer_.services();
        std::sort(services.begin(), services.end(),
                  [](const auto& a, const auto& b) { return a.vfs_name < b.vfs_name; });
        display_.service_table(services);
        break;
      }
      case NodeKind::kService:
        display_.method_table(*node->service);
        break;
      case NodeKind::kMethod:
        display_.json_value(method_json(*node->method));
        break;
      case NodeKind::kBlobs: {
        auto blobs = peer_.blobs();
        if (!blobs.is_ok()) {
          display_.error(blobs.status().message());
        } else {
          display_.blob_table(*blobs, false);
        }
        break;
      }
      case NodeKind::kCollection: {
        auto entries = peer_.collection_entries(node->name);
        if (!entries.is_ok()) {
          display_.error(entries.status().message());
        } else {
          display_.blob_table(*entries, true);
        }
        break;
      }
      case NodeKind::kDocs: {
        auto docs = peer_.docs();
        if (!docs.is_ok()) {
          display_.error(docs.status().message());
        } else {
          display_.doc_table(*docs);
        }
        break;
      }
      case NodeKind::kGossip:
        display_.info("Gossip topics -- use 'tail' to listen to the producer mesh");
        display_.print("  " + display_.style("mesh", "36") + "    " +
                       display_.style("producer mesh topic (derived from root key + salt)", "2"));
        break;
      case NodeKind::kEntry: {
        auto blob = vfs_.blob_of(*node);
        Json j = {{"name", node->name}};
        if (blob) {
          j["hash"] = blob->hash;
          j["size"] = blob->size;
        }
        display_.json_value(j);
        break;
      }
      case NodeKind::kDocEntry: {
        auto doc = vfs_.doc_of(*node);
        Json j = {{"key", node->name}};
        if (doc) {
          j["author"] = doc->author;
          j["hash"] = doc->hash;
          j["size"] = doc->size;
        }
        display_.json_value(j);
        break;
      }
    }
  }

  std::string normalized(const std::string& target) const {
    const std::string joined = !target.empty() && target[0] == '/' ? target : cwd_ + "/" + target;
    std::string out;
    for (const auto& p : split_path(joined)) out += "/" + p;
    return out.empty() ? "/" : out;
  }

  void cd(const std::string& target) {
    auto node = vfs_.resolve(cwd_, target);
    if (!node) {
      display_.error("no such path: " + normalized(target));
      return;
    }
    if (!node->is_dir()) {
      display_.error(node->path + " is not a directory");
      return;
    }
    cwd_ = node->path;
  }

  void help() {
    display_.print(display_.style("Available commands:", "1"));
    for (const auto& s : command_specs()) {
      if (!valid_at(s, cwd_)) continue;
      display_.print("  " + display_.style(fmt::format("{:16s}", s.name), "32") + " " +
                     s.description);
    }
    auto node = vfs_.resolve(cwd_, ".");
    if (node && node->kind == NodeKind::kService && !node->service->methods.empty()) {
      display_.print("");
      display_.print(display_.style("Direct invocation:", "1"));
      for (const auto& m : node->service->methods) {
        const std::string name = fmt::format("./{:14s}", escape_for_terminal(m.name));
        display_.print("  " + display_.style(name, "32") +
                       " " + escape_for_terminal(method_signature(m)));
      }
    }
  }

  void describe(const std::vector<std::string>& args) {
    // The named service, else the one whose directory we are in. There 0.1.2 ignores the
    // name; we take a method of this service (`describe draw`) for this service, and still
    // refuse a name that is neither (a mistyped service should not show another one).
    auto node = vfs_.resolve(cwd_, ".");
    const bool in_service = node && node->kind == NodeKind::kService;
    const ShellService* service = nullptr;
    if (!args.empty()) {
      service = vfs_.find_service(args[0]);
      if (service == nullptr && in_service) {
        for (const auto& m : node->service->methods)
          if (m.name == args[0]) service = node->service;
      }
      if (service == nullptr) {
        display_.error("no contract found for " + args[0]);
        return;
      }
    } else if (in_service) {
      service = node->service;
    } else {
      display_.error("usage: describe <service>");
      return;
    }
    display_.contract_tree(*service);
  }

  // Prompts for each field (0.1.2 `_prompt_for_args`); nullopt when cancelled.
  std::optional<Json> prompt_fields(const ShellMethod& m) {
    Json result = Json::object();
    display_.print(display_.style("Enter arguments (Ctrl+C to cancel):", "2"));
    for (size_t i = 0; i < m.fields.size(); ++i) {
      const auto& f = m.fields[i];
      std::string p = "  ▸ " + f.name + " (" + field_kind(m, i) + ")";
      const bool has_default = f.default_kind == "value" && !f.default_value.is_null();
      if (has_default && f.default_value != Json("")) {
        p += " [" + (f.default_value.is_string() ? f.default_value.get<std::string>()
                                                 : f.default_value.dump()) + "]";
      }
      p += ": ";
      std::string value;
      const auto end = read_input(value, p);
      if (end != LineInput::End::kLine) {
        if (end == LineInput::End::kInterrupted) std::fputs("\n", stdout);
        display_.info("(cancelled)");
        return std::nullopt;
      }
      value = trim(value);
      if (value.empty()) {
        if (has_default) {
          result[f.name] = f.default_value;
          continue;
        }
        if (!f.required) continue;
        display_.error(f.name + " is required");
        return std::nullopt;
      }
      try {
        result[f.name] = Json::parse(value);
      } catch (const std::exception&) {
        result[f.name] = value;
      }
    }
    return result;
  }

  // One line of stream input: a JSON object, or key=value arguments.
  static Result<Json> parse_line(const std::string& line) {
    const std::string t = trim(line);
    if (!t.empty() && t[0] == '{') {
      try {
        Json j = Json::parse(t);
        if (j.is_object()) return j;
      } catch (const std::exception&) {
      }
      return Status(StatusCode::kInvalidArgument, "invalid JSON: " + t);
    }
    auto parsed = parse_call_args(argument_tokens(t));
    if (!parsed.is_ok()) return parsed.status();
    if (parsed->contains("_positional") || parsed->contains("_arg0")) {
      return Status(StatusCode::kInvalidArgument,
                    "enter a JSON object or key=value arguments, got: " + t);
    }
    return parsed;
  }

  void report(const Status& st, const ShellService& service, const std::string& method) {
    if (st.code() == StatusCode::kCancelled && st.message() == "cancelled") {
      display_.info("(cancelled)");
      return;
    }
    const std::string& msg = st.message();
    if (msg.rfind("[", 0) != 0) {  // not the producer's status: the request or the connection
      display_.error(msg);
      return;
    }
    if (st.code() == StatusCode::kUnavailable) {
      display_.error("RPC failed: " + msg + " (the connection may have dropped; try: refresh)");
    } else if (st.code() == StatusCode::kPermissionDenied) {
      display_.error("RPC failed: permission denied for " + service.name + "." + method + ": " +
                     msg);
    } else {
      display_.error("RPC failed: " + msg);
    }
  }

  static double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }

  void invoke(const ShellService& service, const std::string& method_name,
              const std::vector<std::string>& args, CallTarget* session) {
    const ShellMethod* m = service.find_method(method_name);
    if (m == nullptr) {
      if (service.methods.empty()) {
        display_.error("no methods known for " + service.name + " v" +
                       std::to_string(service.version) +
                       ": no description found (give --collection DIR or --manifest FILE)");
        return;
      }
      std::string names;
      for (const auto& x : service.methods) names += (names.empty() ? "" : ", ") + x.name;
      display_.error("no method '" + method_name + "' in " + service.vfs_name + " (methods: " +
                     names + ")");
      return;
    }
    auto parsed = parse_call_args(args);
    if (!parsed.is_ok()) {
      display_.error(parsed.status().message());
      return;
    }
    Json payload = std::move(*parsed);
    const bool takes_input = m->pattern == "client_stream" || m->pattern == "bidi_stream";
    if (payload.empty() && interactive_ && !m->fields.empty() && !takes_input) {
      auto prompted = prompt_fields(*m);
      if (!prompted) return;
      payload = std::move(*prompted);
    }
    payload = fit_to_fields(std::move(payload), *m);
    std::unique_ptr<CallTarget> owned;
    CallTarget* target = session;
    if (target == nullptr) {
      if (service.session_scoped()) {
        display_.error("'" + service.name + "' is session-scoped: use  cd /services && session " +
                       service.vfs_name);
        return;
      }
      auto t = peer_.stateless(service);
      if (!t.is_ok()) {
        display_.error(t.status().message());
        return;
      }
      owned = std::move(*t);
      target = owned.get();
    }
    display_.info("-> " + service.name + "." + m->name + "(" + summarize_args(payload) + ")");
    take_interrupt();  // a Ctrl-C typed before the call started does not cancel it
    const auto t0 = Clock::now();
    if (m->pattern == "server_stream") {
      size_t count = 0;
      Status st = target->server_stream(m->name, payload, [&](const Json& item) {
        display_.stream_item(count++, item);
      });
      if (!st.is_ok()) report(st, service, m->name);
      display_.info(fmt::format("({} items, {:.0f}ms)", count, ms_since(t0)));
      return;
    }
    if (m->pattern == "client_stream") {
      display_.info("Enter values (JSON, one per line). Empty line to send:");
      std::vector<Json> items;
      if (!payload.empty()) items.push_back(payload);
      while (true) {
        std::string line;
        const auto end = read_input(line, "  > ");
        if (end == LineInput::End::kInterrupted) {
          std::fputs("\n", stdout);
          display_.info("(cancelled)");
          return;
        }
        if (end != LineInput::End::kLine || trim(line).empty()) break;
        auto item = parse_line(line);
        if (!item.is_ok()) {
          display_.error(item.status().message());
          continue;
        }
        items.push_back(fit_to_fields(std::move(*item), *m));
      }
      const auto t1 = Clock::now();
      auto reply = target->client_stream(m->name, items);
      if (!reply.is_ok()) {
        report(reply.status(), service, m->name);
        return;
      }
      display_.result(*reply, ms_since(t1));
      return;
    }
    if (m->pattern == "bidi_stream") {
      display_.info(
          "Bidi stream open. Type JSON values to send, Ctrl+D or empty line to close input.");
      std::string rule;
      for (int i = 0; i < 40; ++i) rule += "─";
      display_.info(rule);
      size_t count = 0;
      std::atomic<bool> prompt_redrawn{false};  // our prompt is the last thing on the screen
      LineSource lines = [&](const std::function<bool()>& stop) -> std::optional<std::string> {
        std::string line;
        const auto end = read_input(line, "  ⇢ ", stop);
        prompt_redrawn = false;
        if (end == LineInput::End::kInterrupted) raise_interrupt();
        if (end != LineInput::End::kLine || trim(line).empty()) return std::nullopt;
        return line;
      };
      LineParser parse = [&](const std::string& line) -> Result<Json> {
        ASTER_ASSIGN_OR_RETURN(Json j, parse_line(line));
        return fit_to_fields(std::move(j), *m);
      };
      std::optional<Json> first;
      if (!payload.empty()) first = payload;
      // Replies arrive while the input prompt is showing: on a terminal, each one replaces the
      // prompt line and the prompt is drawn again after it.
      const bool redraw = interactive_ && !display_.raw();
      Status st = target->bidi(m->name, first, lines, parse, [&](const Json& item) {
        if (redraw) std::fputs("\r\033[K", stdout);
        display_.stream_item(count++, item);
        if (redraw) {
          std::fputs("  ⇢ ", stdout);
          std::fflush(stdout);
          prompt_redrawn = true;
        }
      });
      if (prompt_redrawn) std::fputs("\r\033[K", stdout);  // drawn after the last reply
      if (!st.is_ok()) report(st, service, m->name);
      display_.info(fmt::format("(bidi stream closed, {:.0f}ms)", ms_since(t0)));
      return;
    }
    auto reply = target->unary(m->name, payload);
    if (!reply.is_ok()) {
      report(reply.status(), service, m->name);
      return;
    }
    display_.result(*reply, ms_since(t0));
  }

  void session(const std::vector<std::string>& args) {
    auto node = vfs_.resolve(cwd_, ".");
    const ShellService* service = nullptr;
    if (node && node->kind == NodeKind::kService) {
      service = node->service;
    } else if (!args.empty()) {
      service = vfs_.find_service(args[0]);
      if (service == nullptr) {
        display_.error("no such service: " + args[0]);
        return;
      }
    } else {
      display_.error("usage: session <service>");
      return;
    }
    if (!service->session_scoped()) {
      display_.warning(service->vfs_name + " is not session-scoped (scoped=" + service->scope +
                       ")");
      display_.info("Session subshell is designed for session-scoped services.");
      display_.info("Shared services don't maintain per-connection state.");
      return;
    }
    auto opened = peer_.open_session(*service);
    if (!opened.is_ok()) {
      display_.error("Failed to open session for " + service->vfs_name + ": " +
                     opened.status().message());
      return;
    }
    std::unique_ptr<CallTarget> target = std::move(*opened);
    display_.print("");
    const std::string shown = escape_for_terminal(service->vfs_name);
    display_.print(display_.style("Session opened: " + shown, "1;36"));
    display_.info("This is a dedicated session -- state persists across calls.");
    display_.info("Type 'end' to close the session and return to the main shell.");
    display_.print("");
    const std::string saved_cwd = cwd_;
    cwd_ = "/services/" + service->vfs_name;
    in_session_ = service;
    const std::string sub_prompt = coloured_prompt(
        {{escape_for_terminal(service->vfs_name), "38;2;230;192;107"}, {"~", "38;2;102;102;102"}},
        " ");
    while (true) {
      std::string line;
      const auto end = read_line(sub_prompt, line);
      if (end == LineEnd::kInterrupted) {
        display_.print("");
        continue;  // Ctrl-C re-prompts inside a session
      }
      if (end == LineEnd::kEof) break;
      line = trim(line);
      if (line.empty()) continue;
      if (editor_) editor_->remember(line);
      if (line == "end" || line == "exit" || line == "quit") break;
      auto parts = tokenize(line);
      if (parts.empty()) continue;
      std::string name = parts[0];
      if (name.rfind("./", 0) == 0) name = name.substr(2);
      if (service->find_method(name)) {
        invoke(*service, name, call_args_of_line(line), target.get());
        continue;
      }
      if (name == "help") {
        display_.print(display_.style("Session commands:", "1"));
        display_.print("  " + display_.style("end", "32") + "              Close this session");
        display_.print("  " + display_.style("help", "32") + "             Show this help");
        display_.print("  " + display_.style("ls", "32") + "               List available methods");
        display_.print("  " + display_.style("<method> args", "32") +
                       "    Invoke a method (./method also works)");
        display_.print("");
        display_.print(display_.style("Available methods:", "1"));
        for (const auto& m : service->methods) {
          display_.print("  " + display_.style(fmt::format("{:20s}", m.name), "32") + " " +
                         fmt::format("{:15s}", m.pattern) + " " + m.request_type);
        }
        continue;
      }
      if (name == "ls") {
        display_.method_table(*service);
        continue;
      }
      display_.error("unknown method: " + name + " (try 'help')");
    }
    Status closed = target->close();
    target.reset();
    in_session_ = nullptr;
    cwd_ = saved_cwd;
    if (!closed.is_ok()) display_.warning("closing the session: " + closed.message());
    display_.print(display_.style("Session closed: " + shown, "2"));
  }

  // ── Completion (0.1.2's ShellCompleter, case-insensitive) ──

  std::vector<std::string> complete(const std::string& before, const std::string& word) {
    const std::string prefix = before.substr(0, before.size() - word.size());
    const auto words = tokenize(prefix);
    std::vector<std::string> out;
    auto add = [&](const std::string& c) {
      if (istarts(c, word)) out.push_back(c);
    };
    auto node = vfs_.resolve(cwd_, ".");
    const ShellService* here = node && node->kind == NodeKind::kService ? node->service : nullptr;
    auto add_fields = [&](const ShellMethod* m) {
      if (m == nullptr) return;
      for (const auto& f : m->fields) {
        bool given = false;
        for (const auto& w : words) given = given || w.rfind(f.name + "=", 0) == 0;
        if (!given) add(f.name + "=");
      }
    };
    if (in_session_ != nullptr) {
      if (words.empty()) {
        for (const auto& c : {"end", "help", "ls"}) add(c);
        for (const auto& m : in_session_->methods) add(m.name);
      } else {
        std::string name = words[0].rfind("./", 0) == 0 ? words[0].substr(2) : words[0];
        add_fields(in_session_->find_method(name));
      }
      return out;
    }
    if (words.empty()) {
      for (const auto& s : command_specs()) {
        if (valid_at(s, cwd_)) add(s.name);
      }
      if (here != nullptr) {
        for (const auto& m : here->methods) add("./" + m.name);
      }
      std::sort(out.begin(), out.end());
      return out;
    }
    const std::string& cmd = words[0];
    if (cmd == "cd" || cmd == "ls" || cmd == "cat" || (cmd == "save" && words.size() == 1)) {
      return complete_path(word, cmd == "cd");
    }
    if (cmd == "describe" || cmd == "session") {
      if (words.size() == 1) {
        for (const auto& s : peer_.services()) {
          if (cmd == "describe" || s.session_scoped()) add(s.vfs_name);
        }
      }
      return out;
    }
    if (here == nullptr) return out;
    if (cmd == "invoke") {
      if (words.size() == 1) {
        for (const auto& m : here->methods) add(m.name);
      } else {
        add_fields(here->find_method(words[1]));
      }
      return out;
    }
    const std::string method = cmd.rfind("./", 0) == 0 ? cmd.substr(2) : cmd;
    add_fields(here->find_method(method));
    return out;
  }

  std::vector<std::string> complete_path(const std::string& word, bool dirs_only) {
    const size_t slash = word.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : word.substr(0, slash + 1);
    const std::string partial = slash == std::string::npos ? word : word.substr(slash + 1);
    auto node = vfs_.resolve(cwd_, dir.empty() ? "." : dir);
    std::vector<std::string> out;
    if (!node || !node->is_dir()) return out;
    for (const auto& [name, is_dir] : vfs_.children(*node)) {
      if (dirs_only && !is_dir) continue;
      if (istarts(name, partial)) out.push_back(dir + name + (is_dir ? "/" : ""));
    }
    return out;
  }

  ShellPeer& peer_;
  Vfs vfs_;
  bool interactive_;
  ShellDisplay display_;
  std::optional<LineEditor> editor_;
  std::string cwd_ = "/";
  const ShellService* in_session_ = nullptr;
};

Status run_shell(const ShellOptions& o, const CommandContext& context, int& exit_code) {
  std::unique_ptr<ShellPeer> peer;
  std::string address = o.peer;
  if (o.demo || address.empty()) {
    peer = make_demo_peer();
  } else {
    LivePeerOptions live;
    ASTER_ASSIGN_OR_RETURN(ResolvedPeer resolved,
                           resolve_peer_argument(address, std::filesystem::current_path()));
    live.address = resolved.address;
    live.display = resolved.display;
    live.timeout = saturating_milliseconds(parse_seconds(o.timeout).value());
    live.descriptions = o.descriptions;
    live.debug = [&context](std::string_view line) { context.debug(line); };
    live.use_registry = !o.no_registry;
    ASTER_ASSIGN_OR_RETURN(live.identity, load_identity(o.identity));
    ASTER_ASSIGN_OR_RETURN(peer, connect_live_peer(live));
  }
  Shell shell(*peer, o.json);
  exit_code = shell.run();
  return Status::ok();
}

}  // namespace

void add_shell_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ShellOptions>();
  auto* shell = app.add_subcommand(
      "shell", "Browse a producer's services like a filesystem and call their methods");
  shell->add_option("PEER", options->peer,
                    "Producer address: aster1… ticket, base64 NodeAddr, 64-hex endpoint id, or "
                    "a peer name from ./.aster-identity (none: the offline demo)");
  shell->add_flag("--demo", options->demo, "Explore the offline demo peer (no network)");
  shell->add_flag("--json", options->json,
                  "Raw mode for scripts: values as JSON, tables as one-line JSON, no decoration");
  shell->add_flag("--no-registry", options->no_registry,
                  "Do not fetch manifests from the producer's registry (flags and cache only)");
  shell->add_option("--collection", options->descriptions.collections,
                    "A service's published collection directory (manifest.json, types/); "
                    "repeatable")
      ->type_name("DIR")
      ->allow_extra_args(false);
  shell->add_option("--manifest", options->descriptions.manifests,
                    "A manifest.json (one object or an array); repeatable")
      ->type_name("FILE")
      ->allow_extra_args(false);
  shell->add_option("--types", options->descriptions.types_dirs,
                    "A directory of type blobs (<hash>.bin) for nested types; repeatable")
      ->type_name("DIR")
      ->allow_extra_args(false);
  shell->add_option("--timeout", options->timeout,
                    "Seconds to wait for the connection and the admission reply")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(seconds_in_range());
  add_identity_options(*shell, options->identity);
  shell->footer(
      "Examples:\n"
      "  aster shell --demo                        # The offline demo peer\n"
      "  aster shell aster18Q2DCaQe…               # A producer (the ticket it prints)\n"
      "  aster shell \"$ADDR\" --collection coll/Catalog.v2\n"
      "  printf 'cd /services/Hello\\n./say_hello name=World\\n' | aster shell --json \"$ADDR\"\n"
      "\n"
      "Inside: ls, cd, pwd, describe, invoke, ./method key=value …, session <Service>, cat,\n"
      "save <hash|entry> <file> (in /blobs), refresh, help, exit. Tab completes commands,\n"
      "paths, methods and field names. History: ~/.aster/shell_history. Ctrl-C cancels a\n"
      "running call; twice at the prompt exits. /blobs and /docs come from the producer's\n"
      "registry, read when first visited.\n"
      "Method descriptions come from --collection/--manifest/--types, else from the manifest\n"
      "cache ~/.aster/cache/manifests/<contract_id>.json that aster-cli 0.1.2's shell fills.\n"
      "When stdin is not a terminal, lines are read as commands (no prompt) until EOF.\n"
      "\n"
      "Environment:\n"
      "  ASTER_RELAY_MODE  disabled | default | staging | <relay URL> (default: default)\n"
      "  NO_COLOR          Set to print without colours\n"
      "\n"
      "Exit status: 0 normal exit; 1 the producer could not be reached or refused admission.");
  shell->callback([options, &context] {
    int exit_code = kExitOk;
    Status st = run_shell(*options, context, exit_code);
    if (!st.is_ok()) {
      context.finish(st);
      return;
    }
    context.exit_code = exit_code;
  });
}

}  // namespace aster::cli
