// The contract registry as aster-rpc 0.1.2 publishes and reads it (docs/registry.md): an
// iroh-docs document on the producer's endpoint, holding per service
//
//   contracts/<contract_id>              ArtifactRef JSON → the blob collection
//                                        (contract.bin, types/<hash>.bin…, manifest.json)
//   manifests/<contract_id>              the manifest.json bytes (the readers' fast path)
//   services/<name>/versions/v<version>  the contract id
//
// whose namespace id the admission response carries as `registry_namespace`
// (aster-rpc@0972ac9:bindings/python/aster/runtime.py `_publish_contracts`; readers:
// cli/aster_cli/shell/app.py `PeerConnection._fetch_manifests`).
//
// Producer:  auto ns = co_await registry::publish_contracts(endpoint, artifacts);
// Consumer:  auto manifest = co_await registry::fetch_manifest(endpoint, producer, ns, cid);
// Both need an endpoint made with EndpointConfig::serve_content (aster/transport/content.hpp).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aster/contract/contract.hpp"
#include "aster/status.hpp"
#include "aster/transport/content.hpp"
#include "aster/transport/endpoint.hpp"

namespace aster::registry {

// Registry keys (aster-rpc@0972ac9:bindings/python/aster/registry/keys.py).
std::string contract_key(std::string_view contract_id);             // contracts/<id>
std::string manifest_key(std::string_view contract_id);             // manifests/<id>
std::string version_key(std::string_view service, int32_t version);  // services/<n>/versions/v<v>

// The blob tag 0.1.2 keeps a published collection under: aster-collection/<first 16 hex>
// (aster-rpc@0972ac9:core/src/lib.rs `CoreBlobsClient::add_collection`).
std::string collection_tag(std::string_view collection_hash_hex);

// Docs pointer to a contract's blob collection (registry/models.py `ArtifactRef`).
struct ArtifactRef {
  std::string contract_id;
  std::string collection_hash;  // hex of the collection's HashSeq root
  std::optional<std::string> provider_endpoint_id;
  std::optional<std::string> relay_url;
  std::optional<std::string> ticket;  // a HashSeq BlobTicket; readers do not use it
  std::string published_by;           // author id hex
  int64_t published_at_epoch_ms = 0;
  std::string collection_format = "raw";  // "index" for the multi-file collections 0.1.2 writes

  // Compact JSON in 0.1.2's key order (`json.dumps(asdict(self), separators=(",", ":"))`).
  std::string to_json() const;
  // As 0.1.2 reads it: `collection_format` defaults to "raw"; contract_id and collection_hash
  // are required; unknown keys are refused (0.1.2: `ArtifactRef(**data)` raises TypeError).
  static Result<ArtifactRef> from_json(std::string_view json);
};

// ---- producer ----

struct PublishOptions {
  // Wall clock for published_at_epoch_ms; the current time when unset (tests pin it).
  std::optional<int64_t> now_epoch_ms;
};

// What publication made: the namespace (64 hex) for the admission response, and per service
// its collection hash, in the order given.
struct Publication {
  std::string namespace_id;
  std::vector<std::string> collection_hashes;
};

// Creates a document and an author, and per service the collection, `contracts/<id>`,
// `manifests/<id>` and the version pointer; then opens the document for read sync.
asio::awaitable<Result<Publication>> publish_contracts(
    const transport::Endpoint& endpoint, std::span<const contract::ContractArtifacts> services,
    PublishOptions options = {});

// ---- consumer ----

struct FetchOptions {
  // How long joining waits for the first sync with the producer (and the content it
  // announced). 0.1.2's shell waits up to 3 + 6 + 9 s.
  std::chrono::milliseconds sync_wait{9000};
  // Bound on each blob download from the producer (entry content, the collection).
  std::chrono::milliseconds download_timeout{10000};
  size_t max_manifest_bytes = 4u << 20;
  std::function<void(std::string_view)> debug;  // one line per step (aster -v)
};

// The producer's registry, joined read-only over an endpoint that serves content.
class RegistryReader {
 public:
  // Joins `namespace_hex` (from the admission response) with `producer` as sync peer.
  static asio::awaitable<Result<RegistryReader>> join(const transport::Endpoint& endpoint,
                                                      transport::EndpointAddr producer,
                                                      std::string_view namespace_hex,
                                                      FetchOptions options = {});

  // The manifest.json text for `contract_id`: `manifests/<id>` (fast path), else
  // `contracts/<id>` → ArtifactRef → collection download → `manifest.json` (slow path).
  // The manifest's own contract_id must be `contract_id`. `source` (optional) says which path.
  asio::awaitable<Result<std::string>> manifest(std::string_view contract_id,
                                                std::string* source = nullptr);
  // The whole collection of `contract_id` (contracts/<id> → ArtifactRef → download), as
  // (name, bytes) in collection order: contract.bin, types/<hash>.bin…, manifest.json. Each
  // `types/<hash>.bin` must be the blob of that hash (iroh-blobs hashes are BLAKE3, like
  // type hashes), else kDataLoss.
  asio::awaitable<Result<std::vector<std::pair<std::string, std::vector<uint8_t>>>>> collection(
      std::string_view contract_id);
  // Entries under `prefix`, every author (at most `limit`, 0 = all).
  asio::awaitable<Result<std::vector<transport::DocEntry>>> entries(std::string_view prefix,
                                                                    uint64_t limit = 0);
  // The content of one entry (read locally, else fetched from the producer).
  asio::awaitable<Result<std::vector<uint8_t>>> content(const transport::DocEntry& entry);

  // Every `contracts/<id>` entry's ArtifactRef, in key order (the first entry of each key, as
  // 0.1.2's shell takes it). Entries whose content is not an ArtifactRef are skipped (their
  // reason goes to the debug sink): one bad entry does not hide the others.
  asio::awaitable<Result<std::vector<ArtifactRef>>> artifacts();
  // The entries of one of the producer's collections (name, hash, size), downloading it
  // (root and children) unless it is complete here. The registry's collections are small
  // (a contract, its type blobs, the manifest), so listing fetches them whole, as 0.1.2's
  // slow manifest path does.
  asio::awaitable<Result<std::vector<transport::CollectionEntry>>> list_collection(
      const transport::ContentHash& root);
  // One of the producer's blobs, at most `max` bytes: read here, else downloaded (then
  // `progress` sees the bytes so far). A blob the producer does not hold fails the download.
  asio::awaitable<Result<std::vector<uint8_t>>> blob(const transport::ContentHash& hash,
                                                     size_t max,
                                                     transport::DownloadProgress progress = {});
  // A blob held here completely, at most `max` bytes; kNotFound when it is not.
  asio::awaitable<Result<std::vector<uint8_t>>> local_blob(const transport::ContentHash& hash,
                                                           size_t max);
  // The size of a blob at the producer (verified from its last chunk).
  asio::awaitable<Result<uint64_t>> blob_size(const transport::ContentHash& hash);

  bool synced() const { return synced_; }

 private:
  RegistryReader() = default;
  const transport::Endpoint* endpoint_ = nullptr;
  transport::EndpointAddr producer_;
  transport::Doc doc_;
  FetchOptions options_;
  bool synced_ = false;
};

// Joins and fetches one manifest: the one call the shell and `aster call` make.
asio::awaitable<Result<std::string>> fetch_manifest(const transport::Endpoint& endpoint,
                                                    const transport::EndpointAddr& producer,
                                                    std::string_view namespace_hex,
                                                    std::string_view contract_id,
                                                    FetchOptions options = {});

// ---- aster-cli 0.1.2's manifest cache (~/.aster/cache/manifests/<contract_id>.json) ----

// <home>/.aster/cache/manifests/<contract_id>.json; kInvalidArgument for an id that is not hex.
Result<std::filesystem::path> manifest_cache_path(const std::filesystem::path& home,
                                                  std::string_view contract_id);
// Writes the manifest as 0.1.2's shell does (`json.dumps(manifest, indent=2)`), creating the
// directory; the file's mtime is its age for the 30-day rule.
Status save_manifest_to_cache(const std::filesystem::path& home, std::string_view contract_id,
                              std::string_view manifest_json);
// Our addition beside it: type blobs by hash, <home>/.aster/cache/types/<hash>.bin, so that a
// cached manifest with nested types still encodes (0.1.2 caches only manifests).
std::filesystem::path type_cache_dir(const std::filesystem::path& home);
Status save_type_blob_to_cache(const std::filesystem::path& home, std::string_view hash_hex,
                               std::span<const uint8_t> bytes);

}  // namespace aster::registry
