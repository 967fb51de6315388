// What the tool knows about a producer's services: the offered summaries (consumer admission)
// and, per service, the manifest that describes its methods and types. Shared by `aster call`,
// `aster service ls/describe` and `aster shell`.
//
// Where a manifest comes from, first match wins (find_types):
//   1. descriptions given on the command line (--collection / --manifest / --types);
//   2. aster-cli 0.1.2's shell cache, ~/.aster/cache/manifests/<contract_id>.json
//      (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_load_cached_manifests`);
//   3. the producer's registry over iroh-docs — NOT YET: see the marked place in
//      peer_catalog.cpp (`fetch_published_manifest`), where src/registry plugs in.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aster/contract/collection.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/contract/manifest_types.hpp"
#include "aster/rpc/client.hpp"
#include "aster/status.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/trust/admission_messages.hpp"

namespace aster::cli {

using DebugSink = std::function<void(std::string_view)>;

// Descriptions given on the command line: collections, manifest files, type blob directories.
struct LocalDescriptions {
  std::vector<contract::ContractManifest> manifests;
  std::vector<contract::TypeBlob> blobs;
};

struct DescriptionFlags {
  std::vector<std::string> collections;
  std::vector<std::string> manifests;
  std::vector<std::string> types_dirs;
};

Result<LocalDescriptions> load_local(const DescriptionFlags& flags);

// The types of one offered service and where they came from (for debug lines and errors).
struct FoundTypes {
  std::shared_ptr<contract::ManifestTypes> types;  // null: no description found
  std::string source;
};

// The manifest of `offered`: from `local`, else 0.1.2's shell cache, else (later) the network.
// A manifest for the same name and version but another contract id describes another contract:
// refused (kFailedPrecondition) rather than used to encode.
Result<FoundTypes> find_types(const LocalDescriptions& local,
                              const trust::ServiceSummary& offered, const DebugSink& debug);

// The offered summary for `name` (and `version`, 0 = the only one offered). Errors list what
// is offered; `version_hint` is how the user picks a version (e.g. "--version N").
Result<const trust::ServiceSummary*> choose_service(
    const std::vector<trust::ServiceSummary>& services, const std::string& name,
    int32_t version, std::string_view version_hint);

// One admitted connection to a producer, driven from a thread that is not the io thread (the
// tool's main thread): run() waits for a coroutine on the runtime's io thread.
class PeerConnection {
 public:
  // Parses the address, runs admission (timeout bounds it, retries included).
  // kInvalidArgument (address), kPermissionDenied (refused), kUnavailable (unreachable).
  static Result<std::unique_ptr<PeerConnection>> connect(const std::string& address,
                                                        std::chrono::milliseconds timeout,
                                                        DebugSink debug);
  ~PeerConnection();

  transport::BlockingRuntime& blocking() { return *runtime_; }
  rpc::Client& client() { return *client_; }
  const std::vector<trust::ServiceSummary>& services() const { return client_->services(); }

 private:
  PeerConnection() = default;
  std::unique_ptr<transport::BlockingRuntime> runtime_;
  std::unique_ptr<rpc::Client> client_;
};

}  // namespace aster::cli
