#include "blob_access.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "peer_content.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

std::string strip_prefix(std::string text, std::string_view prefix) {
  if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
  return text;
}

}  // namespace

Result<BlobTarget> find_blob_target(ShellPeer& peer, const std::string& text) {
  if (text.empty()) return Status(StatusCode::kInvalidArgument, "no blob, collection or key");
  if (text.rfind("/docs/", 0) == 0) {
    return BlobTarget{BlobTarget::Kind::kDoc, text.substr(6), ""};
  }
  const std::string path = strip_prefix(text, "/blobs/");
  const bool under_blobs = path.size() != text.size();
  const size_t slash = path.find('/');
  const std::string first = path.substr(0, slash);
  // A collection (`HelloWorld.v1`, or its hash) or one of its entries
  // (`HelloWorld.v1/types/<hash>.bin`).
  auto collections = peer.blobs();
  if (collections.is_ok()) {
    for (const auto& c : *collections) {
      if (c.name != first && c.hash != first) continue;
      if (slash == std::string::npos) {
        return BlobTarget{c.is_collection ? BlobTarget::Kind::kCollection : BlobTarget::Kind::kBlob,
                          c.name, c.hash};
      }
      const std::string entry = path.substr(slash + 1);
      ASTER_ASSIGN_OR_RETURN(auto entries, peer.collection_entries(c.name));
      for (const auto& e : entries) {
        if (e.name == entry) return BlobTarget{BlobTarget::Kind::kBlob, e.name, e.hash};
      }
      return Status(StatusCode::kNotFound, "no entry " + entry + " in " + c.name);
    }
  }
  // A registry key (`manifests/<contract id>`).
  if (!under_blobs && slash != std::string::npos) {
    if (auto docs = peer.docs(); docs.is_ok()) {
      for (const auto& d : *docs) {
        if (d.key == text) return BlobTarget{BlobTarget::Kind::kDoc, d.key, ""};
      }
    }
  }
  // Else a hash: full, or a prefix read_blob matches against what is listed.
  if (slash == std::string::npos && !path.empty() &&
      path.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    return BlobTarget{BlobTarget::Kind::kBlob, path, path};
  }
  if (!collections.is_ok()) return collections.status();
  return Status(StatusCode::kNotFound, "no such blob, collection or registry key: " + text);
}

Status cat_target(ShellPeer& peer, const ShellDisplay& display, const BlobTarget& target) {
  switch (target.kind) {
    case BlobTarget::Kind::kCollection: {
      ASTER_ASSIGN_OR_RETURN(auto entries, peer.collection_entries(target.name));
      display.blob_table(entries, true);
      return Status::ok();
    }
    case BlobTarget::Kind::kDoc: {
      auto bytes = peer.read_doc(target.name);
      if (!bytes.is_ok()) {
        return Status(bytes.status().code(),
                      "failed to read doc entry: " + bytes.status().message());
      }
      display.content(*bytes);
      return Status::ok();
    }
    case BlobTarget::Kind::kBlob: {
      auto bytes = peer.read_blob(target.hash, kMaxCatBytes);
      if (!bytes.is_ok()) {
        if (bytes.status().code() == StatusCode::kResourceExhausted) {
          return Status(bytes.status().code(), bytes.status().message() + " (use save)");
        }
        return bytes.status();
      }
      display.content(*bytes);
      return Status::ok();
    }
  }
  return Status::ok();
}

Result<uint64_t> save_target(ShellPeer& peer, const BlobTarget& target, const std::string& path,
                             TransferProgress* progress) {
  if (target.kind == BlobTarget::Kind::kCollection) {
    return Status(StatusCode::kInvalidArgument,
                  target.name + " is a collection: save one of its entries (" + target.name +
                      "/<entry>)");
  }
  if (path.empty()) return Status(StatusCode::kInvalidArgument, "no file to save to");
  // Can we write there at all? Checked first, without truncating what is there.
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  if (std::filesystem::is_directory(path, ec)) {
    return Status(StatusCode::kInvalidArgument, "cannot write " + path + ": is a directory");
  }
  if (std::FILE* f = std::fopen(path.c_str(), "ab"); f != nullptr) {
    std::fclose(f);
  } else {
    return Status(StatusCode::kPermissionDenied,
                  "cannot write " + path + ": " + std::strerror(errno));
  }
  auto forget = [&] {
    if (!existed) std::filesystem::remove(path, ec);
  };
  Result<std::vector<uint8_t>> bytes = target.kind == BlobTarget::Kind::kDoc
                                           ? peer.read_doc(target.name)
                                           : peer.read_blob(target.hash, kMaxSaveBytes, progress);
  if (!bytes.is_ok()) {
    forget();
    return bytes.status();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
  out.close();
  if (!out) {
    forget();
    return Status(StatusCode::kUnavailable, "cannot write " + path + ": " + std::strerror(errno));
  }
  return static_cast<uint64_t>(bytes->size());
}

// ---- progress bar ----

std::string ProgressBar::frame(const std::string& hash, uint64_t bytes,
                               std::optional<uint64_t> total, double seconds, bool colour) {
  constexpr int kWidth = 30;
  auto styled = [&](const std::string& text, const char* sgr) {
    return colour ? fmt::format("\033[{}m{}\033[0m", sgr, text) : text;
  };
  std::string line = "Downloading " + hash.substr(0, 12) + "… ";
  const double rate = seconds > 0 ? static_cast<double>(bytes) / seconds : 0.0;
  if (total && *total > 0) {
    const double fraction = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(*total));
    const int done = static_cast<int>(fraction * kWidth);
    std::string filled, rest;
    for (int i = 0; i < done; ++i) filled += "━";
    for (int i = done; i < kWidth; ++i) rest += "━";
    line += styled(filled, "38;2;249;38;114") + styled(rest, "38;2;58;58;58");
    line += fmt::format(" {:3.0f}% {}/{}", fraction * 100, format_size(bytes),
                        format_size(*total));
  } else if (total) {
    std::string filled;
    for (int i = 0; i < kWidth; ++i) filled += "━";
    line += styled(filled, "38;2;249;38;114") + " 100% 0 B/0 B";
  } else {
    line += format_size(bytes);
  }
  if (rate > 0) line += " " + format_size(static_cast<uint64_t>(rate)) + "/s";
  return line;
}

void ProgressBar::begin(const std::string& hash, std::optional<uint64_t> total) {
  std::lock_guard lock(mu_);
  hash_ = hash;
  total_ = total;
  bytes_ = 0;
  start_ = std::chrono::steady_clock::now();
  if (terminal_) {
    draw();
  } else {
    fmt::print(stderr, "Downloading {}…{}\n", hash.substr(0, 12),
               total ? " (" + format_size(*total) + ")" : "");
  }
}

void ProgressBar::update(uint64_t bytes) {
  std::lock_guard lock(mu_);
  bytes_ = std::max(bytes_, bytes);
  if (terminal_) draw();
}

void ProgressBar::draw() {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  fmt::print(stderr, "\r\033[K{}", frame(hash_, bytes_, total_, seconds, colour_));
  std::fflush(stderr);
}

void ProgressBar::end(bool ok) {
  std::lock_guard lock(mu_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (terminal_) {
    draw();
    fmt::print(stderr, "\n");
  } else if (ok) {
    fmt::print(stderr, "Downloaded {} in {:.1f}s\n", format_size(bytes_), seconds);
  }
  std::fflush(stderr);
}

}  // namespace aster::cli
