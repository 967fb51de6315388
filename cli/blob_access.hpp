// `cat` and `save` of the shell and `aster blob cat|save`: one path for both, over ShellPeer.
// aster-cli 0.1.2: aster-rpc@0972ac9:cli/aster_cli/shell/commands.py `CatCommand`,
// `SaveCommand`, `_display_bytes`.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "shell_display.hpp"
#include "shell_peer.hpp"

namespace aster::cli {

// What `cat`/`save` name: a collection (cat lists it), a blob, or a registry entry.
struct BlobTarget {
  enum class Kind { kCollection, kBlob, kDoc };
  Kind kind = Kind::kBlob;
  std::string name;  // collection name, entry name, doc key, or the hash text given
  std::string hash;  // kBlob: a full hash, or the text to match (prefix)
};

// Reads `text` as a path under /blobs (`HelloWorld.v1`, `HelloWorld.v1/manifest.json`, a
// leading `/blobs/` allowed), a registry key (`/docs/…` or an existing key), else a blob hash
// (full, or a prefix of a listed one). kNotFound when it is none of them.
Result<BlobTarget> find_blob_target(ShellPeer& peer, const std::string& text);

// Bounds on what cat prints and save writes (blobs are read whole into memory).
inline constexpr size_t kMaxCatBytes = 16u << 20;
inline constexpr size_t kMaxSaveBytes = size_t{1} << 30;

// cat: a collection's entries table; a blob or entry's content (ShellDisplay::content).
Status cat_target(ShellPeer& peer, const ShellDisplay& display, const BlobTarget& target);

// save: downloads the blob (progress meanwhile) and writes it to `path`; the byte count.
// An unwritable `path` fails before anything is downloaded; a failed download leaves no file
// that was not there before.
Result<uint64_t> save_target(ShellPeer& peer, const BlobTarget& target, const std::string& path,
                             TransferProgress* progress);

// `save`'s progress on stderr: on a terminal a bar redrawn in place (hash, bar, percent,
// bytes, rate), else one line when the download starts and one when it ends; nothing in
// --json mode (make none then).
class ProgressBar : public TransferProgress {
 public:
  ProgressBar(bool terminal, bool colour) : terminal_(terminal), colour_(colour) {}
  void begin(const std::string& hash, std::optional<uint64_t> total) override;
  void update(uint64_t bytes) override;
  void end(bool ok) override;

  // One frame of the bar (pure; for tests), e.g.
  //   Downloading 1a2b3c4d5e6f… ━━━━━━━━━━━━━━━━━━  61% 1.2 MB/2.0 MB 4.1 MB/s
  static std::string frame(const std::string& hash, uint64_t bytes,
                           std::optional<uint64_t> total, double seconds, bool colour);

 private:
  void draw();
  bool terminal_;
  bool colour_;
  std::mutex mu_;
  std::string hash_;
  std::optional<uint64_t> total_;
  uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace aster::cli
