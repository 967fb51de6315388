// What the tool knows about a producer's services: the offered summaries (consumer admission)
// and, per service, the manifest that describes its methods and types. Shared by `aster call`,
// `aster service ls/describe` and `aster shell`.
//
// Where a manifest comes from, first match wins (find_types):
//   1. descriptions given on the command line (--collection / --manifest / --types);
//   2. aster-cli 0.1.2's shell cache, ~/.aster/cache/manifests/<contract_id>.json
//      (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_load_cached_manifests`);
//   3. the producer's registry over iroh-docs (fetch_from_registry: `manifests/<cid>`, else the
//      collection's manifest.json; aster-rpc@0972ac9:cli/aster_cli/shell/app.py
//      `_fetch_manifests`), then cached where 0.1.2's shell caches it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aster/contract/collection.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/contract/manifest_types.hpp"
#include "aster/registry/registry.hpp"
#include "aster/rpc/client.hpp"
#include "aster/status.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/trust/admission_messages.hpp"
#include "aster/trust/consumer_identity.hpp"

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

// A method the manifest of `offered` names but whose request or response type cannot be
// described from what 0.1.2 publishes (a datetime, a container in a container, a type blob
// that is not there: contract::ManifestTypes says which field). `aster call` and the shell
// then call it in JSON mode, as 0.1.2 does (docs/cli.md "aster call", step 5). nullopt when
// the method is described, or not in the manifest at all (the caller names the methods).
struct DescriptionGap {
  std::string pattern;  // the manifest's: unary|server_stream|client_stream|bidi_stream
  std::string reason;   // which type and field
};
std::optional<DescriptionGap> description_gap(contract::ManifestTypes& types,
                                              const trust::ServiceSummary& offered,
                                              const std::string& method);

// For each request field of `method` (manifest order): "" or, where the manifest says
// "string" and the type blobs say otherwise (a set[str]: 0.1.2's `_classify_type` has no
// set), the blobs' type as `describe` writes types (`set[string]`). All "" when the method
// cannot be described (contract::ManifestTypes::method_desc refuses it).
std::vector<std::string> blob_field_types(contract::ManifestTypes& types,
                                          const contract::ContractManifest& manifest,
                                          const contract::MethodDescriptor& method);

// The `types` branch of `describe`: the methods' request and response types in order (as
// 0.1.2 lists them), each with its type hash when a type blob names it, then the other hashes
// of `manifest.type_hashes` under their wire tags (nested types), or "type" without a blob.
std::vector<std::pair<std::string, std::string>> described_types(
    const contract::ContractManifest& manifest, const contract::ManifestTypes& types);

// The manifest of `offered`: from `local`, else 0.1.2's shell cache (with type blobs a registry
// fetch saved beside it). The network is PeerConnection::find_types / fetch_from_registry.
// A manifest for the same name and version but another contract id describes another contract:
// refused (kFailedPrecondition) rather than used to encode.
Result<FoundTypes> find_types(const LocalDescriptions& local,
                              const trust::ServiceSummary& offered, const DebugSink& debug);

// The description of `offered` from the producer's registry (admission's registry_namespace):
// its manifest and the type blobs of its collection (nested types). The manifest goes to 0.1.2's
// cache, the type blobs beside it (registry::save_type_blob_to_cache). Runs on the io thread;
// `client` must have been created with ClientOptions::serve_content.
asio::awaitable<Result<FoundTypes>> fetch_from_registry(rpc::Client& client,
                                                        const trust::ServiceSummary& offered,
                                                        const DebugSink& debug);
// The same from a registry already joined (join_producer_registry), for several services.
asio::awaitable<Result<FoundTypes>> fetch_from_registry(registry::RegistryReader& reader,
                                                        const trust::ServiceSummary& offered,
                                                        const DebugSink& debug);
// Joins the producer's registry read-only; kNotFound when the producer publishes none.
asio::awaitable<Result<registry::RegistryReader>> join_producer_registry(rpc::Client& client,
                                                                        const DebugSink& debug);

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
                                                        DebugSink debug,
                                                        trust::ConsumerIdentity identity = {});
  ~PeerConnection();

  transport::BlockingRuntime& blocking() { return *runtime_; }
  rpc::Client& client() { return *client_; }
  const std::vector<trust::ServiceSummary>& services() const { return client_->services(); }

  // cli::find_types, then (use_registry) the producer's registry. A registry that cannot be read
  // is not an error: the result has no types and the reason goes to the debug sink.
  Result<FoundTypes> find_types(const LocalDescriptions& local,
                                const trust::ServiceSummary& offered, bool use_registry = true);

  // The producer's registry, joined on first use and kept (kNotFound when it publishes none;
  // a failed join is tried again on the next call). Use it on the io thread (blocking().run).
  Result<registry::RegistryReader*> registry();
  bool registry_joined() const { return registry_.has_value(); }

 private:
  PeerConnection() = default;
  std::unique_ptr<transport::BlockingRuntime> runtime_;
  std::unique_ptr<rpc::Client> client_;
  DebugSink debug_;
  std::optional<registry::RegistryReader> registry_;  // joined on first use (find_types)
};

}  // namespace aster::cli
