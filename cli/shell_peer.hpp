// What `aster shell` talks to: a live producer (LivePeer: admission, manifests, calls through
// the raw transport) or the offline demo peer (DemoPeer, aster-cli 0.1.2's `DemoConnection`,
// aster-rpc@0972ac9:cli/aster_cli/shell/app.py). The shell's commands see only this interface,
// as 0.1.2's shell sees its duck-typed connection adapters.
//
// Every call blocks the calling (main) thread and returns kCancelled when Ctrl-C interrupted it
// (shell_interrupt.hpp). Requests and replies are JSON in the codec's conventions
// (docs/codec.md): the live peer turns them into aster::Value with the service's manifest.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aster/contract/manifest.hpp"
#include "aster/status.hpp"
#include "peer_catalog.hpp"

namespace aster::cli {

using Json = nlohmann::ordered_json;

struct ShellMethod {
  std::string name;
  std::string pattern = "unary";  // unary|server_stream|client_stream|bidi_stream
  std::string request_type;
  std::string response_type;
  std::optional<double> timeout;
  std::vector<contract::FieldSchema> fields;  // request fields, declaration order
  // Per field (same order; "" for most): the type its type blob gives where 0.1.2's manifest
  // says "string" for a type it cannot classify, a set[str] among them (blob_field_types).
  std::vector<std::string> blob_types = {};
};

struct ShellService {
  std::string name;     // the name the producer offers
  std::string vfs_name; // the directory name: `name`, or `name@vN` when several versions
  int64_t version = 1;
  std::string scope = "shared";  // shared|session
  std::string contract_id;
  std::vector<ShellMethod> methods;  // sorted by name; empty when no description was found
  std::vector<std::pair<std::string, std::string>> types;  // (name, hash) for `describe`
  std::string described_by;  // where the manifest came from; "" when none was found
  const ShellMethod* find_method(std::string_view method) const;
  bool session_scoped() const { return scope == "session" || scope == "stream"; }
};

struct ShellBlob {
  std::string name;  // `<Service>.v<N>` for a collection, an entry's name, or the short hash
  std::string hash;  // full hex
  uint64_t size = 0;  // 0: unknown (collections)
  bool is_collection = false;
};

struct ShellDocEntry {
  std::string key;
  std::string author;  // full hex (tables shorten it)
  std::string hash;    // full hex
  uint64_t size = 0;
};

// Where a download stands, for `save`'s progress bar. update() may be called from the io
// thread while the calling thread waits.
class TransferProgress {
 public:
  virtual ~TransferProgress() = default;
  virtual void begin(const std::string& hash, std::optional<uint64_t> total) = 0;
  virtual void update(uint64_t bytes) = 0;
  virtual void end(bool ok) = 0;
};

using ItemSink = std::function<void(const Json&)>;
// The next input line of a bidi call; nullopt ends the input (empty line, EOF, Ctrl-C or
// `stop()` turning true while waiting: the producer ended the call).
using LineSource = std::function<std::optional<std::string>(const std::function<bool()>& stop)>;
// Turns one input line into a request (JSON object), or the reason it cannot.
using LineParser = std::function<Result<Json>(const std::string&)>;

// Where calls go: one stateless service, or one open session.
class CallTarget {
 public:
  virtual ~CallTarget() = default;
  virtual Result<Json> unary(const std::string& method, const Json& request) = 0;
  // Items reach `sink` as they arrive; returns the call's end.
  virtual Status server_stream(const std::string& method, const Json& request,
                               const ItemSink& sink) = 0;
  virtual Result<Json> client_stream(const std::string& method,
                                     const std::vector<Json>& requests) = 0;
  // Sends `first` (when given) and then each line from `lines` while replies reach `sink`.
  virtual Status bidi(const std::string& method, const std::optional<Json>& first,
                      const LineSource& lines, const LineParser& parse, const ItemSink& sink) = 0;
  // Sessions: ends the session (FIN). No-op for stateless targets.
  virtual Status close() { return Status::ok(); }
};

class ShellPeer {
 public:
  virtual ~ShellPeer() = default;
  virtual std::string display_name() const = 0;
  virtual const std::vector<ShellService>& services() const = 0;
  // Looks the descriptions up again (the cache may have been filled meanwhile).
  virtual Status refresh() = 0;
  // Blobs and registry documents. The live peer reads them from the producer's registry,
  // joined on first use (so the shell starts without waiting for it) and cached until refresh.
  virtual Result<std::vector<ShellBlob>> blobs() = 0;
  virtual Result<std::vector<ShellBlob>> collection_entries(const std::string& collection) = 0;
  virtual Result<std::vector<ShellDocEntry>> docs() = 0;
  // The blob count for the welcome panel if known without asking the producer.
  virtual std::optional<size_t> known_blob_count() = 0;
  // The content of the registry entry `key` (kNotFound when there is none).
  virtual Result<std::vector<uint8_t>> read_doc(const std::string& key) = 0;
  // A blob by full hash or a unique prefix of a listed one; `progress` (optional) follows a
  // download. `max` bounds the bytes (kResourceExhausted beyond it).
  virtual Result<std::vector<uint8_t>> read_blob(const std::string& hash, size_t max,
                                                 TransferProgress* progress = nullptr) = 0;
  virtual Result<std::unique_ptr<CallTarget>> stateless(const ShellService& service) = 0;
  virtual Result<std::unique_ptr<CallTarget>> open_session(const ShellService& service) = 0;
};

std::unique_ptr<ShellPeer> make_demo_peer();

struct LivePeerOptions {
  std::string address;
  std::string display;  // the peer's name from .aster-identity (peer_name.hpp), "" = none
  std::chrono::milliseconds timeout{10000};
  DescriptionFlags descriptions;
  DebugSink debug;
  bool use_registry = true;  // read manifests from the producer's registry when not cached
  trust::ConsumerIdentity identity;  // --rcan / --identity
};
// Connects and admits; kInvalidArgument / kPermissionDenied / kUnavailable as PeerConnection.
Result<std::unique_ptr<ShellPeer>> connect_live_peer(const LivePeerOptions& options);

// The shell's directory name for each offered service (ShellService::vfs_name).
void assign_vfs_names(std::vector<ShellService>& services);

}  // namespace aster::cli
