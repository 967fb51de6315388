// Blobs and documents over the bridge (bridge/include/aster_iroh.h "blobs and docs",
// bridge/src/content.rs). Packed payloads are decoded here with bounds checks: a short or
// inconsistent payload is kDataLoss, never an overread.
#include "aster/transport/content.hpp"

#include <cstring>

#include "runtime_core.hpp"

namespace aster::transport {

using detail::BridgeEvent;

struct ContentAccess {
  static const detail::BridgeHandle& handle(const Endpoint& ep) { return ep.handle_; }
  static Doc doc(detail::BridgeHandle h) { return Doc(std::move(h)); }
  static const detail::BridgeHandle& handle(const Doc& d) { return d.handle_; }
};

std::string to_hex(const std::array<uint8_t, 32>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

Result<std::array<uint8_t, 32>> parse_hex32(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<uint8_t, 32> out{};
  if (hex.size() != 64) {
    return Status(StatusCode::kInvalidArgument, "expected 64 hex digits, got " +
                                                    std::to_string(hex.size()) + " characters");
  }
  for (size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Status(StatusCode::kInvalidArgument, "not hex: " + std::string(hex));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

namespace {

// Reads the little-endian packing of bridge/src/content.rs.
class PackedReader {
 public:
  explicit PackedReader(std::string_view data) : data_(data) {}
  bool u32(uint32_t& v) { return fixed(&v, 4); }
  bool u64(uint64_t& v) { return fixed(&v, 8); }
  bool bytes32(std::array<uint8_t, 32>& v) { return fixed(v.data(), 32); }
  bool text(std::string& v, size_t n) {
    if (data_.size() - pos_ < n) return false;
    v.assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }

 private:
  bool fixed(void* out, size_t n) {
    if (data_.size() - pos_ < n) return false;
    std::memcpy(out, data_.data() + pos_, n);  // little-endian hosts only (x86_64, aarch64)
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

Status malformed(std::string_view what) {
  return Status(StatusCode::kDataLoss, "malformed " + std::string(what) + " from the bridge");
}

Result<std::array<uint8_t, 32>> id_of(const BridgeEvent& ev, std::string_view what) {
  std::array<uint8_t, 32> out{};
  if (ev.payload.size() != 32) return malformed(what);
  std::memcpy(out.data(), ev.payload.data(), 32);
  return out;
}

// A connect config naming `peer` (the ALPN is not used by content operations).
struct PeerConfig {
  explicit PeerConfig(const EndpointAddr& peer, std::chrono::milliseconds timeout) {
    for (const auto& a : peer.direct_addresses) addrs.push_back(detail::bridge_address_of(a));
    cfg.struct_size = sizeof cfg;
    cfg.timeout_ms = static_cast<uint32_t>(std::max<int64_t>(0, timeout.count()));
    std::copy(peer.id.bytes.begin(), peer.id.bytes.end(), cfg.endpoint_id);
    relay = peer.relay_url;
    cfg.relay_url = relay.empty() ? nullptr : relay.c_str();
    cfg.addrs = addrs.data();
    cfg.addrs_len = addrs.size();
  }
  std::vector<aster_iroh_sockaddr> addrs;
  std::string relay;
  aster_iroh_connect_cfg cfg{};
};

aster_iroh_bytes bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

asio::awaitable<Result<ContentHash>> add_blob(const Endpoint& ep, std::span<const uint8_t> data,
                                              std::string_view tag) {
  const aster_iroh_bytes tag_bytes = bytes_of(tag);
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(ContentAccess::handle(ep), "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_blob_add(rt, h, data.data(), data.size(),
                                                           &tag_bytes, ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return id_of(ev, "blob hash");
}

asio::awaitable<Result<ContentHash>> add_collection(
    const Endpoint& ep, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& entries,
    std::string_view tag) {
  std::vector<aster_iroh_bytes> names, datas;
  for (const auto& [name, data] : entries) {
    names.push_back(bytes_of(name));
    datas.push_back({data.data(), data.size()});
  }
  const aster_iroh_bytes tag_bytes = bytes_of(tag);
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(ContentAccess::handle(ep), "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_blob_add_collection(
                                    rt, h, names.data(), datas.data(), names.size(), &tag_bytes,
                                    ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return id_of(ev, "collection hash");
}

asio::awaitable<Result<std::vector<uint8_t>>> read_blob(const Endpoint& ep,
                                                        const ContentHash& hash, size_t max) {
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(ContentAccess::handle(ep), "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_blob_read(rt, h, hash.data(), max, ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return std::vector<uint8_t>(ev.payload.begin(), ev.payload.end());
}

asio::awaitable<Status> download_blob(const Endpoint& ep, const EndpointAddr& peer,
                                      const ContentHash& hash, bool collection,
                                      std::chrono::milliseconds timeout,
                                      DownloadProgress progress) {
  PeerConfig pc(peer, timeout);
  const uint32_t flags = (collection ? ASTER_IROH_DOWNLOAD_HASH_SEQ : 0u) |
                         (progress ? ASTER_IROH_DOWNLOAD_PROGRESS : 0u);
  auto ev = co_await detail::run_on(
      ContentAccess::handle(ep), "endpoint",
      [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
        return aster_iroh_blob_download(rt, h, &pc.cfg, hash.data(), flags, ud, op);
      },
      std::move(progress));
  if (!ev.is_ok()) co_return ev.status();
  co_return detail::status_of(*ev);
}

asio::awaitable<Result<uint64_t>> remote_blob_size(const Endpoint& ep, const EndpointAddr& peer,
                                                   const ContentHash& hash,
                                                   std::chrono::milliseconds timeout) {
  PeerConfig pc(peer, timeout);
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(ContentAccess::handle(ep), "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_blob_remote_size(rt, h, &pc.cfg, hash.data(),
                                                                   ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return ev.code;
}

asio::awaitable<Result<std::vector<CollectionEntry>>> list_collection(const Endpoint& ep,
                                                                      const ContentHash& hash) {
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(ContentAccess::handle(ep), "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_collection_list(rt, h, hash.data(), ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  PackedReader r(ev.payload);
  uint32_t n = 0;
  if (!r.u32(n)) co_return malformed("collection listing");
  std::vector<CollectionEntry> out;
  for (uint32_t i = 0; i < n; ++i) {
    CollectionEntry e;
    uint32_t len = 0;
    if (!r.u32(len) || !r.text(e.name, len) || !r.bytes32(e.hash) || !r.u64(e.size)) {
      co_return malformed("collection listing");
    }
    out.push_back(std::move(e));
  }
  co_return out;
}

Result<std::string> blob_ticket(const Endpoint& ep, const ContentHash& hash, bool collection) {
  std::string out(512, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    size_t len = 0;
    Status st = detail::call_on(ContentAccess::handle(ep), "endpoint",
                                [&](aster_iroh_rt* rt, uint64_t h) {
                                  return aster_iroh_blob_ticket(
                                      rt, h, hash.data(), collection ? 1 : 0,
                                      reinterpret_cast<uint8_t*>(out.data()), out.size(), &len);
                                });
    if (st.is_ok()) {
      out.resize(len);
      return out;
    }
    if (st.code() != StatusCode::kOutOfRange || attempt == 1) return st;  // BUFFER_TOO_SMALL
    out.resize(len);
  }
  return Status(StatusCode::kInternal, "blob ticket");
}

asio::awaitable<Result<Doc>> create_doc(const Endpoint& ep) {
  const auto& handle = ContentAccess::handle(ep);
  auto core = handle.core();
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(handle, "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_doc_create(rt, h, ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return ContentAccess::doc(detail::BridgeHandle(core, ev.h1, detail::HandleKind::kDoc));
}

asio::awaitable<Result<AuthorId>> create_author(const Endpoint& ep) {
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(ContentAccess::handle(ep), "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_author_create(rt, h, ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return id_of(ev, "author id");
}

asio::awaitable<Result<JoinedDoc>> join_doc(const Endpoint& ep, const NamespaceId& ns,
                                            const EndpointAddr& peer,
                                            std::chrono::milliseconds wait) {
  const auto& handle = ContentAccess::handle(ep);
  auto core = handle.core();
  PeerConfig pc(peer, wait);
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(handle, "endpoint",
                              [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op,
                                  aster_iroh_event*) {
                                return aster_iroh_doc_join(rt, h, &pc.cfg, ns.data(), ud, op);
                              }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  JoinedDoc out;
  out.doc = ContentAccess::doc(detail::BridgeHandle(core, ev.h1, detail::HandleKind::kDoc));
  out.sync_finished = (ev.code & ASTER_IROH_JOIN_SYNC_FINISHED) != 0;
  out.content_ready = (ev.code & ASTER_IROH_JOIN_CONTENT_READY) != 0;
  if ((ev.code & ASTER_IROH_JOIN_SYNC_FAILED) != 0) out.sync_error = ev.payload;
  co_return out;
}

Result<NamespaceId> Doc::namespace_id() const {
  NamespaceId id{};
  ASTER_RETURN_IF_ERROR(detail::call_on(handle_, "doc", [&](aster_iroh_rt* rt, uint64_t h) {
    return aster_iroh_doc_id(rt, h, id.data());
  }));
  return id;
}

asio::awaitable<Result<ContentHash>> Doc::set(const AuthorId& author, std::string_view key,
                                              std::span<const uint8_t> value) {
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(
          handle_, "doc",
          [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
            return aster_iroh_doc_set(rt, h, author.data(),
                                      reinterpret_cast<const uint8_t*>(key.data()), key.size(),
                                      value.data(), value.size(), ud, op);
          }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  co_return id_of(ev, "content hash");
}

asio::awaitable<Status> Doc::open_sync() {
  auto ev = co_await detail::run_on(
      handle_, "doc",
      [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
        return aster_iroh_doc_open_sync(rt, h, ud, op);
      });
  if (!ev.is_ok()) co_return ev.status();
  co_return detail::status_of(*ev);
}

asio::awaitable<Result<std::vector<DocEntry>>> Doc::query(std::string_view key, KeyMatch match,
                                                          uint64_t limit) {
  ASTER_CO_ASSIGN_OR_RETURN(
      BridgeEvent ev,
      co_await detail::run_on(
          handle_, "doc",
          [&](aster_iroh_rt* rt, uint64_t h, uint64_t ud, aster_iroh_op* op, aster_iroh_event*) {
            return aster_iroh_doc_query(rt, h, reinterpret_cast<const uint8_t*>(key.data()),
                                        key.size(), match == KeyMatch::kPrefix ? 1 : 0, limit, ud,
                                        op);
          }));
  if (ev.status != ASTER_IROH_OK) co_return detail::status_of(ev);
  PackedReader r(ev.payload);
  uint32_t n = 0;
  if (!r.u32(n)) co_return malformed("doc entries");
  std::vector<DocEntry> out;
  for (uint32_t i = 0; i < n; ++i) {
    DocEntry e;
    uint32_t len = 0;
    if (!r.bytes32(e.author) || !r.u32(len) || !r.text(e.key, len) ||
        !r.bytes32(e.content_hash) || !r.u64(e.content_len) || !r.u64(e.timestamp_us)) {
      co_return malformed("doc entries");
    }
    out.push_back(std::move(e));
  }
  co_return out;
}

}  // namespace aster::transport
