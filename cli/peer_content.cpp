#include "peer_content.hpp"

#include <algorithm>
#include <cctype>

#include "aster/transport/content.hpp"
#include "shell_interrupt.hpp"

namespace aster::cli {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string short_hash(const std::string& hash) { return hash.substr(0, 16) + "…"; }

}  // namespace

Result<std::string> match_hash(const std::string& text, const std::vector<std::string>& known) {
  const std::string want = lower(text);
  if (want.empty() || want.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status(StatusCode::kInvalidArgument, "not a blob hash: " + text);
  }
  if (want.size() == 64) return want;
  if (want.size() > 64) return Status(StatusCode::kInvalidArgument, "not a blob hash: " + text);
  std::vector<std::string> matches;
  for (const auto& k : known) {
    const std::string h = lower(k);
    if (h.rfind(want, 0) == 0 && std::find(matches.begin(), matches.end(), h) == matches.end()) {
      matches.push_back(h);
    }
  }
  if (matches.empty()) {
    return Status(StatusCode::kNotFound,
                  "no blob " + text + " (give the full 64-hex hash, or a prefix of one listed)");
  }
  if (matches.size() > 1) {
    return Status(StatusCode::kInvalidArgument, "blob prefix " + text + " is ambiguous (" +
                                                    std::to_string(matches.size()) +
                                                    " blobs match): give more digits");
  }
  return matches.front();
}

std::string collection_name(const std::string& contract_id,
                            const std::vector<trust::ServiceSummary>& offered) {
  for (const auto& s : offered) {
    if (s.contract_id == contract_id) return s.name + ".v" + std::to_string(s.version);
  }
  return contract_id.substr(0, 12);
}

Result<registry::RegistryReader*> PeerContent::reader() {
  auto r = peer_.registry();
  if (!r.is_ok()) return Status(r.status().code(), "registry: " + r.status().message());
  return r;
}

Result<std::vector<ShellBlob>> PeerContent::collections() {
  if (collections_) return *collections_;
  ASTER_ASSIGN_OR_RETURN(registry::RegistryReader * r, reader());
  ASTER_ASSIGN_OR_RETURN(auto refs, run_interruptible<std::vector<registry::ArtifactRef>>(
                                        peer_.blocking(), r->artifacts()));
  std::vector<ShellBlob> out;
  for (const auto& ref : refs) {
    out.push_back(ShellBlob{collection_name(ref.contract_id, peer_.services()),
                            lower(ref.collection_hash), 0, true});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  collections_ = out;
  return out;
}

Result<std::vector<ShellBlob>> PeerContent::entries(const std::string& collection) {
  ASTER_ASSIGN_OR_RETURN(auto all, collections());
  const ShellBlob* found = nullptr;
  for (const auto& c : all) {
    if (c.name == collection || c.hash == lower(collection)) found = &c;
  }
  if (found == nullptr) return Status(StatusCode::kNotFound, "no collection " + collection);
  if (auto it = entries_.find(found->hash); it != entries_.end()) return it->second;
  ASTER_ASSIGN_OR_RETURN(auto root, transport::parse_hex32(found->hash));
  ASTER_ASSIGN_OR_RETURN(registry::RegistryReader * r, reader());
  ASTER_ASSIGN_OR_RETURN(auto listing, run_interruptible<std::vector<transport::CollectionEntry>>(
                                           peer_.blocking(), r->list_collection(root)));
  std::vector<ShellBlob> out;
  for (const auto& e : listing) {
    out.push_back(ShellBlob{e.name, transport::to_hex(e.hash), e.size, false});
  }
  entries_[found->hash] = out;
  return out;
}

Result<std::vector<ShellDocEntry>> PeerContent::docs() {
  if (docs_) return *docs_;
  ASTER_ASSIGN_OR_RETURN(registry::RegistryReader * r, reader());
  ASTER_ASSIGN_OR_RETURN(auto found, run_interruptible<std::vector<transport::DocEntry>>(
                                         peer_.blocking(), r->entries("", 0)));
  std::vector<ShellDocEntry> out;
  for (const auto& e : found) {
    out.push_back(ShellDocEntry{e.key, transport::to_hex(e.author),
                                transport::to_hex(e.content_hash), e.content_len});
  }
  docs_ = out;
  return out;
}

std::optional<size_t> PeerContent::known_collection_count() const {
  if (collections_) return collections_->size();
  return std::nullopt;
}

Result<std::vector<uint8_t>> PeerContent::read_doc(const std::string& key) {
  ASTER_ASSIGN_OR_RETURN(registry::RegistryReader * r, reader());
  return run_interruptible<std::vector<uint8_t>>(
      peer_.blocking(), [&]() -> asio::awaitable<Result<std::vector<uint8_t>>> {
        ASTER_CO_ASSIGN_OR_RETURN(auto found, co_await r->entries(key, 0));
        for (const auto& e : found) {
          if (e.key == key) co_return co_await r->content(e);
        }
        co_return Status(StatusCode::kNotFound, "no registry entry " + key);
      }());
}

Result<std::vector<std::string>> PeerContent::known_hashes() {
  std::vector<std::string> out;
  ASTER_ASSIGN_OR_RETURN(auto all, collections());
  for (const auto& c : all) {
    out.push_back(c.hash);
    auto listed = entries(c.name);
    if (!listed.is_ok()) continue;  // a collection that cannot be fetched names no entries
    for (const auto& e : *listed) out.push_back(e.hash);
  }
  if (auto d = docs(); d.is_ok()) {
    for (const auto& e : *d) out.push_back(e.hash);
  }
  return out;
}

Result<std::vector<uint8_t>> PeerContent::read_blob(const std::string& text, size_t max,
                                                    TransferProgress* progress) {
  std::string hex = lower(text);
  if (hex.size() != 64) {
    ASTER_ASSIGN_OR_RETURN(auto known, known_hashes());
    ASTER_ASSIGN_OR_RETURN(hex, match_hash(text, known));
  }
  ASTER_ASSIGN_OR_RETURN(auto hash, transport::parse_hex32(hex));
  ASTER_ASSIGN_OR_RETURN(registry::RegistryReader * r, reader());
  auto& blocking = peer_.blocking();
  auto local = run_interruptible<std::vector<uint8_t>>(blocking, r->local_blob(hash, max));
  if (local.is_ok()) {
    if (progress != nullptr) {
      progress->begin(hex, local->size());
      progress->update(local->size());
      progress->end(true);
    }
    return local;
  }
  if (local.status().code() != StatusCode::kNotFound) return local.status();
  // Not here: its size at the producer first (a blob it does not hold fails here, quickly),
  // then the download with progress.
  auto size = run_interruptible<uint64_t>(blocking, r->blob_size(hash));
  if (!size.is_ok()) {
    if (size.status().code() == StatusCode::kCancelled) return size.status();
    return Status(StatusCode::kNotFound, "the producer has no blob " + short_hash(hex) + " (" +
                                             size.status().message() + ")");
  }
  if (*size > max) {
    return Status(StatusCode::kResourceExhausted,
                  "blob " + short_hash(hex) + " has " + std::to_string(*size) +
                      " bytes, more than " + std::to_string(max));
  }
  if (progress != nullptr) progress->begin(hex, *size);
  transport::DownloadProgress report;
  if (progress != nullptr) report = [progress](uint64_t bytes) { progress->update(bytes); };
  auto bytes = run_interruptible<std::vector<uint8_t>>(blocking, r->blob(hash, max, report));
  if (progress != nullptr) {
    if (bytes.is_ok()) progress->update(bytes->size());
    progress->end(bytes.is_ok());
  }
  return bytes;
}

void PeerContent::clear() {
  collections_.reset();
  entries_.clear();
  docs_.reset();
}

}  // namespace aster::cli
