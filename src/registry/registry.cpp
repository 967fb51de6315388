// The 0.1.2 registry over transport/content.hpp (include/aster/registry/registry.hpp has the
// layout and the 0.1.2 sources it follows).
#include "aster/registry/registry.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace aster::registry {

namespace {

bool is_hex_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void say(const FetchOptions& o, const std::string& line) {
  if (o.debug) o.debug(line);
}

}  // namespace

std::string contract_key(std::string_view contract_id) {
  return "contracts/" + std::string(contract_id);
}
std::string manifest_key(std::string_view contract_id) {
  return "manifests/" + std::string(contract_id);
}
std::string version_key(std::string_view service, int32_t version) {
  return "services/" + std::string(service) + "/versions/v" + std::to_string(version);
}
std::string collection_tag(std::string_view collection_hash_hex) {
  return "aster-collection/" + std::string(collection_hash_hex.substr(0, 16));
}

// ---- ArtifactRef ----------------------------------------------------------------------------

std::string ArtifactRef::to_json() const {
  nlohmann::ordered_json j;
  auto optional = [](const std::optional<std::string>& v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
  };
  j["contract_id"] = contract_id;
  j["collection_hash"] = collection_hash;
  j["provider_endpoint_id"] = optional(provider_endpoint_id);
  j["relay_url"] = optional(relay_url);
  j["ticket"] = optional(ticket);
  j["published_by"] = published_by;
  j["published_at_epoch_ms"] = published_at_epoch_ms;
  j["collection_format"] = collection_format;
  return j.dump(-1, ' ', /*ensure_ascii=*/true);  // Python's json.dumps default
}

Result<ArtifactRef> ArtifactRef::from_json(std::string_view json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::kDataLoss, std::string("ArtifactRef is not JSON: ") + e.what());
  }
  if (!j.is_object()) return Status(StatusCode::kDataLoss, "ArtifactRef is not a JSON object");
  ArtifactRef ref;
  auto text = [&](const char* key, std::string& out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end()) {
      return required ? Status(StatusCode::kDataLoss, std::string("ArtifactRef lacks ") + key)
                      : Status::ok();
    }
    if (!it->is_string()) {
      return Status(StatusCode::kDataLoss, std::string("ArtifactRef ") + key + " is not a string");
    }
    out = it->get<std::string>();
    return Status::ok();
  };
  auto optional = [&](const char* key, std::optional<std::string>& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return Status::ok();
    if (!it->is_string()) {
      return Status(StatusCode::kDataLoss, std::string("ArtifactRef ") + key + " is not a string");
    }
    out = it->get<std::string>();
    return Status::ok();
  };
  ASTER_RETURN_IF_ERROR(text("contract_id", ref.contract_id, true));
  ASTER_RETURN_IF_ERROR(text("collection_hash", ref.collection_hash, true));
  ASTER_RETURN_IF_ERROR(optional("provider_endpoint_id", ref.provider_endpoint_id));
  ASTER_RETURN_IF_ERROR(optional("relay_url", ref.relay_url));
  ASTER_RETURN_IF_ERROR(optional("ticket", ref.ticket));
  ASTER_RETURN_IF_ERROR(text("published_by", ref.published_by, false));
  ASTER_RETURN_IF_ERROR(text("collection_format", ref.collection_format, false));
  if (auto it = j.find("published_at_epoch_ms"); it != j.end()) {
    if (!it->is_number_integer()) {
      return Status(StatusCode::kDataLoss, "ArtifactRef published_at_epoch_ms is not an integer");
    }
    ref.published_at_epoch_ms = it->get<int64_t>();
  }
  static constexpr std::string_view kKnown[] = {
      "contract_id", "collection_hash", "provider_endpoint_id", "relay_url",
      "ticket",      "published_by",    "published_at_epoch_ms", "collection_format"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return Status(StatusCode::kDataLoss, "ArtifactRef has an unknown key: " + key);
    }
  }
  return ref;
}

// ---- producer -------------------------------------------------------------------------------

asio::awaitable<Result<Publication>> publish_contracts(
    const transport::Endpoint& endpoint, std::span<const contract::ContractArtifacts> services,
    PublishOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(transport::Doc doc, co_await transport::create_doc(endpoint));
  ASTER_CO_ASSIGN_OR_RETURN(transport::AuthorId author,
                            co_await transport::create_author(endpoint));
  const std::string author_hex = transport::to_hex(author);
  Publication out;
  for (const auto& service : services) {
    const auto entries = service.collection_entries();
    // The tag needs the hash, which needs the collection: add it untagged, then tag it with
    // the same call once more (the second add finds every blob present; same root).
    ASTER_CO_ASSIGN_OR_RETURN(transport::ContentHash root,
                              co_await transport::add_collection(endpoint, entries, {}));
    const std::string root_hex = transport::to_hex(root);
    ASTER_CO_ASSIGN_OR_RETURN(
        root, co_await transport::add_collection(endpoint, entries, collection_tag(root_hex)));
    ArtifactRef ref;
    ref.contract_id = service.contract_id;
    ref.collection_hash = root_hex;
    ASTER_CO_ASSIGN_OR_RETURN(std::string ticket, transport::blob_ticket(endpoint, root, true));
    ref.ticket = std::move(ticket);
    ref.published_by = author_hex;
    ref.published_at_epoch_ms =
        options.now_epoch_ms.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    ref.collection_format = "index";
    const std::string ref_json = ref.to_json();
    const std::string key = contract_key(service.contract_id);
    ASTER_CO_RETURN_IF_ERROR((co_await doc.set(author, key, bytes_of(ref_json))).status());
    const std::string mkey = manifest_key(service.contract_id);
    ASTER_CO_RETURN_IF_ERROR(
        (co_await doc.set(author, mkey, bytes_of(service.manifest_json))).status());
    const std::string vkey = version_key(service.manifest.service, service.manifest.version);
    ASTER_CO_RETURN_IF_ERROR(
        (co_await doc.set(author, vkey, bytes_of(service.contract_id))).status());
    out.collection_hashes.push_back(root_hex);
  }
  ASTER_CO_RETURN_IF_ERROR(co_await doc.open_sync());
  ASTER_CO_ASSIGN_OR_RETURN(transport::NamespaceId ns, doc.namespace_id());
  out.namespace_id = transport::to_hex(ns);
  co_return out;
}

// ---- consumer -------------------------------------------------------------------------------

asio::awaitable<Result<RegistryReader>> RegistryReader::join(const transport::Endpoint& endpoint,
                                                             transport::EndpointAddr producer,
                                                             std::string_view namespace_hex,
                                                             FetchOptions options) {
  if (namespace_hex.empty()) {
    co_return Status(StatusCode::kNotFound, "the producer publishes no registry (empty namespace)");
  }
  auto ns = transport::parse_hex32(namespace_hex);
  if (!ns.is_ok()) {
    co_return Status(StatusCode::kInvalidArgument,
                     "registry namespace: " + ns.status().message());
  }
  say(options, "joining registry " + std::string(namespace_hex.substr(0, 16)) + "…");
  // A sync that fails is tried again while the wait lasts, three times in all: 0.1.2's shell
  // makes three attempts too (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_fetch_manifests`).
  const auto deadline = std::chrono::steady_clock::now() + options.sync_wait;
  transport::JoinedDoc joined;
  for (int attempt = 1;; ++attempt) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ASTER_CO_ASSIGN_OR_RETURN(joined, co_await transport::join_doc(
                                          endpoint, *ns, producer,
                                          std::max(left, std::chrono::milliseconds(1))));
    if (joined.sync_error.empty()) break;
    if (attempt == 3 || std::chrono::steady_clock::now() >= deadline) {
      co_return Status(StatusCode::kUnavailable,
                       "registry sync with the producer failed: " + joined.sync_error);
    }
    say(options, "registry sync failed (" + joined.sync_error + "); trying again");
  }
  say(options, std::string("registry sync ") +
                   (joined.sync_finished ? "finished" : "not finished within the wait") +
                   (joined.content_ready ? ", content ready" : ""));
  RegistryReader r;
  r.endpoint_ = &endpoint;
  r.producer_ = std::move(producer);
  r.doc_ = std::move(joined.doc);
  r.options_ = std::move(options);
  r.synced_ = joined.sync_finished;
  co_return r;
}

asio::awaitable<Result<std::vector<transport::DocEntry>>> RegistryReader::entries(
    std::string_view prefix, uint64_t limit) {
  co_return co_await doc_.query(prefix, transport::KeyMatch::kPrefix, limit);
}

asio::awaitable<Result<std::vector<uint8_t>>> RegistryReader::content(
    const transport::DocEntry& entry) {
  if (entry.content_len > options_.max_manifest_bytes) {
    co_return Status(StatusCode::kResourceExhausted,
                     "entry " + entry.key + " holds " + std::to_string(entry.content_len) +
                         " bytes, more than " + std::to_string(options_.max_manifest_bytes));
  }
  auto local = co_await transport::read_blob(*endpoint_, entry.content_hash,
                                             options_.max_manifest_bytes);
  if (local.is_ok() || local.status().code() != StatusCode::kNotFound) co_return local;
  // Docs content sync has not fetched it (yet): ask the producer's blob store directly.
  say(options_, "fetching the content of " + entry.key + " from the producer");
  ASTER_CO_RETURN_IF_ERROR(co_await transport::download_blob(
      *endpoint_, producer_, entry.content_hash, false, options_.download_timeout));
  co_return co_await transport::read_blob(*endpoint_, entry.content_hash,
                                          options_.max_manifest_bytes);
}

namespace {

// The manifest's own contract_id must be the one asked for (0.1.2 does not check; a stale or
// foreign manifest would mis-encode every call).
Result<std::string> checked_manifest(std::vector<uint8_t> bytes, std::string_view contract_id,
                                     std::string_view where) {
  std::string text(bytes.begin(), bytes.end());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::kDataLoss, std::string(where) + " is not JSON: " + e.what());
  }
  if (!j.is_object()) {
    return Status(StatusCode::kDataLoss, std::string(where) + " is not an object");
  }
  auto it = j.find("contract_id");
  if (it != j.end() && it->is_string() && it->get<std::string>() != contract_id) {
    return Status(StatusCode::kDataLoss, std::string(where) + " describes contract " +
                                             it->get<std::string>() + ", not " +
                                             std::string(contract_id));
  }
  return text;
}

}  // namespace

namespace {

// contracts/<id> → its ArtifactRef (the first entry, as 0.1.2's shell takes it).
asio::awaitable<Result<ArtifactRef>> artifact_ref(RegistryReader& reader, transport::Doc& doc,
                                                  std::string_view contract_id, bool synced) {
  const std::string ckey = contract_key(contract_id);
  ASTER_CO_ASSIGN_OR_RETURN(auto refs, co_await doc.query(ckey, transport::KeyMatch::kExact, 3));
  if (refs.empty()) {
    co_return Status(StatusCode::kNotFound,
                     "the producer's registry has no " + ckey +
                         (synced ? "" : " (sync with the producer did not finish in time)"));
  }
  ASTER_CO_ASSIGN_OR_RETURN(auto ref_bytes, co_await reader.content(refs.front()));
  co_return ArtifactRef::from_json(
      std::string_view(reinterpret_cast<const char*>(ref_bytes.data()), ref_bytes.size()));
}

}  // namespace

asio::awaitable<Result<std::vector<std::pair<std::string, std::vector<uint8_t>>>>>
RegistryReader::collection(std::string_view contract_id) {
  if (!is_hex_id(contract_id)) {
    co_return Status(StatusCode::kInvalidArgument,
                     "contract id is not lowercase hex: " + std::string(contract_id));
  }
  ASTER_CO_ASSIGN_OR_RETURN(ArtifactRef ref,
                            co_await artifact_ref(*this, doc_, contract_id, synced_));
  auto root = transport::parse_hex32(ref.collection_hash);
  if (!root.is_ok()) {
    co_return Status(StatusCode::kDataLoss,
                     contract_key(contract_id) + " collection_hash: " + root.status().message());
  }
  say(options_, "downloading collection " + ref.collection_hash.substr(0, 16) + "…");
  ASTER_CO_RETURN_IF_ERROR(co_await transport::download_blob(*endpoint_, producer_, *root, true,
                                                             options_.download_timeout));
  ASTER_CO_ASSIGN_OR_RETURN(auto listing, co_await transport::list_collection(*endpoint_, *root));
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  for (const auto& e : listing) {
    if (e.name.starts_with("types/") && e.name.ends_with(".bin") &&
        e.name.substr(6, e.name.size() - 10) != transport::to_hex(e.hash)) {
      co_return Status(StatusCode::kDataLoss, "collection " + ref.collection_hash.substr(0, 16) +
                                                  ": " + e.name + " is blob " +
                                                  transport::to_hex(e.hash));
    }
    ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await transport::read_blob(
                                              *endpoint_, e.hash, options_.max_manifest_bytes));
    out.emplace_back(e.name, std::move(bytes));
  }
  co_return out;
}

asio::awaitable<Result<std::string>> RegistryReader::manifest(std::string_view contract_id,
                                                              std::string* source) {
  if (!is_hex_id(contract_id)) {
    co_return Status(StatusCode::kInvalidArgument,
                     "contract id is not lowercase hex: " + std::string(contract_id));
  }
  // Fast path: manifests/<id>. 0.1.2 takes the first entry of at most 3 (any author).
  const std::string mkey = manifest_key(contract_id);
  ASTER_CO_ASSIGN_OR_RETURN(auto fast, co_await doc_.query(mkey, transport::KeyMatch::kExact, 3));
  std::string fast_error;
  if (!fast.empty()) {
    auto bytes = co_await content(fast.front());
    if (bytes.is_ok()) {
      auto text = checked_manifest(std::move(*bytes), contract_id, mkey);
      if (text.is_ok()) {
        if (source) *source = mkey;
        say(options_, "manifest from " + mkey);
        co_return text;
      }
      fast_error = text.status().message();
    } else {
      fast_error = bytes.status().message();
    }
    say(options_, mkey + ": " + fast_error + "; trying the collection");
  }
  // Slow path: contracts/<id> → ArtifactRef → collection → manifest.json.
  auto entries = co_await collection(contract_id);
  if (!entries.is_ok()) {
    Status st = entries.status();
    if (!fast_error.empty()) {
      st = Status(st.code(), st.message() + "; " + mkey + ": " + fast_error);
    } else if (fast.empty() && st.code() == StatusCode::kNotFound) {
      st = Status(st.code(), "no " + mkey + ", and " + st.message());
    }
    co_return st;
  }
  for (auto& [name, bytes] : *entries) {
    if (name != "manifest.json") continue;
    const std::string where = "manifest.json of the collection of " + contract_key(contract_id);
    auto text = checked_manifest(std::move(bytes), contract_id, where);
    if (text.is_ok() && source) *source = "the collection of " + contract_key(contract_id);
    co_return text;
  }
  co_return Status(StatusCode::kNotFound,
                   "the collection of " + contract_key(contract_id) + " holds no manifest.json");
}

asio::awaitable<Result<std::vector<ArtifactRef>>> RegistryReader::artifacts() {
  ASTER_CO_ASSIGN_OR_RETURN(auto found, co_await doc_.query("contracts/",
                                                            transport::KeyMatch::kPrefix, 0));
  std::vector<ArtifactRef> out;
  std::string last_key;
  for (const auto& e : found) {
    if (e.key == last_key) continue;  // another author's entry for the same contract
    last_key = e.key;
    auto bytes = co_await content(e);
    if (!bytes.is_ok()) {
      say(options_, e.key + ": " + bytes.status().message());
      continue;
    }
    auto ref = ArtifactRef::from_json(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!ref.is_ok()) {
      say(options_, e.key + ": " + ref.status().message());
      continue;
    }
    out.push_back(std::move(*ref));
  }
  co_return out;
}

asio::awaitable<Result<std::vector<transport::CollectionEntry>>> RegistryReader::list_collection(
    const transport::ContentHash& root) {
  // Always through the downloader: it asks the producer only for what is missing here.
  say(options_, "downloading collection " + transport::to_hex(root).substr(0, 16) + "…");
  ASTER_CO_RETURN_IF_ERROR(co_await transport::download_blob(*endpoint_, producer_, root, true,
                                                             options_.download_timeout));
  co_return co_await transport::list_collection(*endpoint_, root);
}

asio::awaitable<Result<std::vector<uint8_t>>> RegistryReader::local_blob(
    const transport::ContentHash& hash, size_t max) {
  co_return co_await transport::read_blob(*endpoint_, hash, max);
}

asio::awaitable<Result<std::vector<uint8_t>>> RegistryReader::blob(
    const transport::ContentHash& hash, size_t max, transport::DownloadProgress progress) {
  auto local = co_await transport::read_blob(*endpoint_, hash, max);
  if (local.is_ok() || local.status().code() != StatusCode::kNotFound) co_return local;
  say(options_, "downloading blob " + transport::to_hex(hash).substr(0, 16) + "…");
  ASTER_CO_RETURN_IF_ERROR(co_await transport::download_blob(
      *endpoint_, producer_, hash, false, options_.download_timeout, std::move(progress)));
  co_return co_await transport::read_blob(*endpoint_, hash, max);
}

asio::awaitable<Result<uint64_t>> RegistryReader::blob_size(const transport::ContentHash& hash) {
  co_return co_await transport::remote_blob_size(*endpoint_, producer_, hash,
                                                 options_.download_timeout);
}

asio::awaitable<Result<std::string>> fetch_manifest(const transport::Endpoint& endpoint,
                                                    const transport::EndpointAddr& producer,
                                                    std::string_view namespace_hex,
                                                    std::string_view contract_id,
                                                    FetchOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      RegistryReader reader,
      co_await RegistryReader::join(endpoint, producer, namespace_hex, std::move(options)));
  co_return co_await reader.manifest(contract_id);
}

// ---- manifest cache -------------------------------------------------------------------------

Result<std::filesystem::path> manifest_cache_path(const std::filesystem::path& home,
                                                  std::string_view contract_id) {
  if (!is_hex_id(contract_id)) {
    return Status(StatusCode::kInvalidArgument,
                  "contract id is not lowercase hex: " + std::string(contract_id));
  }
  return home / ".aster" / "cache" / "manifests" / (std::string(contract_id) + ".json");
}

Status save_manifest_to_cache(const std::filesystem::path& home, std::string_view contract_id,
                              std::string_view manifest_json) {
  ASTER_ASSIGN_OR_RETURN(auto path, manifest_cache_path(home, contract_id));
  std::string text;
  try {
    // aster_cli/shell/app.py `_save_manifests_to_cache`: json.dumps(manifest, indent=2).
    text = nlohmann::ordered_json::parse(manifest_json).dump(2, ' ', /*ensure_ascii=*/true);
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::kInvalidArgument, std::string("manifest is not JSON: ") + e.what());
  }
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return Status(StatusCode::kUnavailable, path.parent_path().string() + ": " + ec.message());
  }
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Status(StatusCode::kUnavailable, "cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status(StatusCode::kUnavailable, path.string() + ": " + ec.message());
  return Status::ok();
}

std::filesystem::path type_cache_dir(const std::filesystem::path& home) {
  return home / ".aster" / "cache" / "types";
}

Status save_type_blob_to_cache(const std::filesystem::path& home, std::string_view hash_hex,
                               std::span<const uint8_t> bytes) {
  if (hash_hex.size() != 64 || !is_hex_id(hash_hex)) {
    return Status(StatusCode::kInvalidArgument,
                  "type hash is not 64 hex: " + std::string(hash_hex));
  }
  const auto dir = type_cache_dir(home);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(StatusCode::kUnavailable, dir.string() + ": " + ec.message());
  const auto path = dir / (std::string(hash_hex) + ".bin");
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) return Status(StatusCode::kUnavailable, "cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status(StatusCode::kUnavailable, path.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace aster::registry
