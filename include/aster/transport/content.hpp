// Blobs and documents on an endpoint: the iroh-blobs store (in memory), iroh-gossip and the
// iroh-docs engine that an endpoint created with EndpointConfig::serve_content runs next to
// its ALPNs, as every aster-rpc 0.1.2 node does (aster-rpc@0972ac9:core/src/lib.rs
// `CoreNode::finalize`; bridge/include/aster_iroh.h "blobs and docs"). Generic operations
// only; the registry (include/aster/registry/) gives keys and blobs their meaning.
// Io-thread only, like the rest of the transport.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aster/status.hpp"
#include "aster/transport/endpoint.hpp"

namespace aster::transport {

// A BLAKE3 content hash (iroh-blobs Hash), a document namespace id or an author id.
using ContentHash = std::array<uint8_t, 32>;
using NamespaceId = std::array<uint8_t, 32>;
using AuthorId = std::array<uint8_t, 32>;

std::string to_hex(const std::array<uint8_t, 32>& bytes);
// 64 hex digits (either case) → 32 bytes; kInvalidArgument otherwise.
Result<std::array<uint8_t, 32>> parse_hex32(std::string_view hex);

struct CollectionEntry {
  std::string name;
  ContentHash hash{};
  uint64_t size = 0;  // 0 when the blob is not local
};

struct DocEntry {
  AuthorId author{};
  std::string key;
  ContentHash content_hash{};
  uint64_t content_len = 0;
  uint64_t timestamp_us = 0;
};

enum class KeyMatch { kExact, kPrefix };

// A document of the endpoint's docs engine (RAII: releases the bridge handle).
class Doc {
 public:
  Doc() = default;
  bool valid() const { return static_cast<bool>(handle_); }
  Result<NamespaceId> namespace_id() const;
  // Sets `key` (non-empty) to `value` as `author`; returns the content hash.
  asio::awaitable<Result<ContentHash>> set(const AuthorId& author, std::string_view key,
                                           std::span<const uint8_t> value);
  // Lets any peer that knows the namespace sync it (iroh-docs' Doc::share does this too).
  asio::awaitable<Status> open_sync();
  // Entries for `key` (or under it), all authors, at most `limit` (0 = all).
  asio::awaitable<Result<std::vector<DocEntry>>> query(std::string_view key, KeyMatch match,
                                                       uint64_t limit);

 private:
  friend struct ContentAccess;
  explicit Doc(detail::BridgeHandle h) : handle_(std::move(h)) {}
  detail::BridgeHandle handle_;
};

// What joining a namespace found within the wait.
struct JoinedDoc {
  Doc doc;
  bool sync_finished = false;  // the first sync with the peer ended
  bool content_ready = false;  // and the content it announced was fetched (or failed)
  std::string sync_error;      // why that sync failed, if it did
};

// Every call needs an endpoint made with EndpointConfig::serve_content (else kInvalidArgument).
// Adds a raw blob; `tag` (empty = none) keeps it from garbage collection.
asio::awaitable<Result<ContentHash>> add_blob(const Endpoint& ep, std::span<const uint8_t> data,
                                              std::string_view tag = {});
// Adds named blobs and an iroh-blobs Collection over them, in this order; returns its root.
asio::awaitable<Result<ContentHash>> add_collection(
    const Endpoint& ep, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& entries,
    std::string_view tag);
// A complete local blob of at most `max` bytes (kNotFound when absent or partial).
asio::awaitable<Result<std::vector<uint8_t>>> read_blob(const Endpoint& ep,
                                                        const ContentHash& hash, size_t max);
// Bytes of a download present so far (local ones included), reported on the io thread while
// it runs, at most every 50 ms (bridge/src/content.rs `download`).
using DownloadProgress = std::function<void(uint64_t bytes)>;
// Fetches a blob, or a collection with all its children (`collection`), from `peer`.
asio::awaitable<Status> download_blob(const Endpoint& ep, const EndpointAddr& peer,
                                      const ContentHash& hash, bool collection,
                                      std::chrono::milliseconds timeout,
                                      DownloadProgress progress = {});
// The size of a blob at `peer`, verified from its last chunk (one small request): the total
// for a progress bar before download_blob. A peer without the blob fails it (kUnavailable).
asio::awaitable<Result<uint64_t>> remote_blob_size(const Endpoint& ep, const EndpointAddr& peer,
                                                   const ContentHash& hash,
                                                   std::chrono::milliseconds timeout);
// The entries of a local collection.
asio::awaitable<Result<std::vector<CollectionEntry>>> list_collection(const Endpoint& ep,
                                                                      const ContentHash& hash);
// The iroh-blobs ticket ("blob…") for `hash` at this endpoint's current address.
Result<std::string> blob_ticket(const Endpoint& ep, const ContentHash& hash, bool collection);
asio::awaitable<Result<Doc>> create_doc(const Endpoint& ep);
asio::awaitable<Result<AuthorId>> create_author(const Endpoint& ep);
// Joins `ns` read-only with `peer` as sync peer and waits up to `wait` for the first sync.
asio::awaitable<Result<JoinedDoc>> join_doc(const Endpoint& ep, const NamespaceId& ns,
                                            const EndpointAddr& peer,
                                            std::chrono::milliseconds wait);

}  // namespace aster::transport
