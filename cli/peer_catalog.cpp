#include "peer_catalog.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "aster/contract/canonical_reader.hpp"
#include "aster/registry/registry.hpp"
#include "aster/rpc/errors.hpp"
#include "aster/transport/content.hpp"
#include "aster/transport/endpoint_addr.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;
using contract::ContractManifest;
using contract::ManifestTypes;

constexpr size_t kMaxManifestBytes = 8u << 20;
// 0.1.2's shell keeps fetched manifests here for 30 days, keyed by contract id
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_MANIFEST_CACHE_DIR`,
// `_MANIFEST_CACHE_MAX_AGE_DAYS`).
constexpr auto kManifestCacheMaxAge = std::chrono::hours(24 * 30);

Status with_context(const Status& st, const std::string& context) {
  return Status(st.code(), context + ": " + st.message());
}

std::string name_version(const trust::ServiceSummary& s) {
  return s.name + " v" + std::to_string(s.version);
}

Result<std::optional<FoundTypes>> from_shell_cache(const trust::ServiceSummary& offered,
                                                   const DebugSink& debug) {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0' || offered.contract_id.empty() ||
      offered.contract_id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::optional<FoundTypes>();
  }
  const fs::path cached =
      fs::path(home) / ".aster" / "cache" / "manifests" / (offered.contract_id + ".json");
  std::error_code ec;
  const auto mtime = fs::last_write_time(cached, ec);
  if (ec) return std::optional<FoundTypes>();
  if (fs::file_time_type::clock::now() - mtime > kManifestCacheMaxAge) {
    if (debug) debug("ignoring " + cached.string() + ": older than 30 days");
    return std::optional<FoundTypes>();
  }
  auto text = contract::read_file_capped(cached, kMaxManifestBytes);
  if (!text.is_ok()) return with_context(text.status(), cached.string());
  auto parsed = contract::parse_manifest(*text);
  if (!parsed.is_ok()) return with_context(parsed.status(), cached.string());
  if (parsed->service != offered.name || parsed->version != offered.version) {
    return Status(StatusCode::kFailedPrecondition,
                  cached.string() + " describes " + parsed->service + " v" +
                      std::to_string(parsed->version) + ", not " + name_version(offered));
  }
  std::vector<contract::TypeBlob> blobs;
  const fs::path types_dir = registry::type_cache_dir(home);
  if (!parsed->type_hashes.empty() && fs::is_directory(types_dir, ec)) {
    // Type blobs a registry fetch saved beside the manifest (fetch_from_registry): nested
    // types of a cached manifest stay describable on the next call.
    for (const auto& h : parsed->type_hashes) {
      auto bytes = contract::read_file_capped(types_dir / (h + ".bin"), kMaxManifestBytes);
      if (!bytes.is_ok()) continue;
      auto hash = transport::parse_hex32(h);
      auto def = contract::read_type_def(
          {reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()});
      if (hash.is_ok() && def.is_ok()) blobs.push_back(contract::TypeBlob{*hash, std::move(*def)});
    }
  }
  return std::optional<FoundTypes>(
      FoundTypes{std::make_shared<ManifestTypes>(std::vector<ContractManifest>{*parsed},
                                                 std::move(blobs)),
                 cached.string()});
}

}  // namespace

Result<LocalDescriptions> load_local(const DescriptionFlags& flags) {
  LocalDescriptions out;
  for (const auto& dir : flags.collections) {
    auto c = contract::read_collection(dir);
    if (!c.is_ok()) return with_context(c.status(), "--collection " + dir);
    out.manifests.push_back(std::move(c->manifest));
    for (auto& b : c->types) out.blobs.push_back(std::move(b));
  }
  for (const auto& file : flags.manifests) {
    auto text = contract::read_file_capped(file, kMaxManifestBytes);
    if (!text.is_ok()) return with_context(text.status(), "--manifest " + file);
    auto parsed = contract::parse_manifest_file(*text);
    if (!parsed.is_ok()) return with_context(parsed.status(), "--manifest " + file);
    for (auto& m : *parsed) out.manifests.push_back(std::move(m));
  }
  for (const auto& dir : flags.types_dirs) {
    auto more = contract::read_type_blobs(dir);
    if (!more.is_ok()) return with_context(more.status(), "--types " + dir);
    for (auto& b : *more) out.blobs.push_back(std::move(b));
  }
  return out;
}

Result<FoundTypes> find_types(const LocalDescriptions& local,
                              const trust::ServiceSummary& offered, const DebugSink& debug) {
  for (const auto& m : local.manifests) {
    if (m.service != offered.name || m.version != offered.version) continue;
    if (!m.contract_id.empty() && !offered.contract_id.empty() &&
        m.contract_id != offered.contract_id) {
      return Status(StatusCode::kFailedPrecondition,
                    "the manifest given for " + name_version(offered) + " is contract " +
                        m.contract_id + ", the producer offers " + offered.contract_id);
    }
    return FoundTypes{
        std::make_shared<ManifestTypes>(std::vector<ContractManifest>{m}, local.blobs),
        "the command line"};
  }
  ASTER_ASSIGN_OR_RETURN(auto cached, from_shell_cache(offered, debug));
  if (cached) {
    // Type blobs given on the command line still describe nested types of a cached manifest.
    if (!local.blobs.empty()) {
      cached->types = std::make_shared<ManifestTypes>(cached->types->manifests(), local.blobs);
    }
    return std::move(*cached);
  }
  return FoundTypes{};
}

asio::awaitable<Result<registry::RegistryReader>> join_producer_registry(rpc::Client& client,
                                                                        const DebugSink& debug) {
  if (client.registry_namespace().empty()) {
    co_return Status(StatusCode::kNotFound, "the producer publishes no registry");
  }
  registry::FetchOptions options;
  options.debug = debug;
  co_return co_await client.join_registry(options);
}

asio::awaitable<Result<FoundTypes>> fetch_from_registry(rpc::Client& client,
                                                        const trust::ServiceSummary& offered,
                                                        const DebugSink& debug) {
  ASTER_CO_ASSIGN_OR_RETURN(auto reader, co_await join_producer_registry(client, debug));
  co_return co_await fetch_from_registry(reader, offered, debug);
}

asio::awaitable<Result<FoundTypes>> fetch_from_registry(registry::RegistryReader& reader,
                                                        const trust::ServiceSummary& offered,
                                                        const DebugSink& debug) {
  ASTER_CO_ASSIGN_OR_RETURN(std::string text, co_await reader.manifest(offered.contract_id));
  auto parsed = contract::parse_manifest(text);
  if (!parsed.is_ok()) co_return with_context(parsed.status(), "the registry's manifest");
  if (parsed->service != offered.name || parsed->version != offered.version) {
    co_return Status(StatusCode::kFailedPrecondition,
                     "the registry's manifest describes " + parsed->service + " v" +
                         std::to_string(parsed->version) + ", not " + name_version(offered));
  }
  const char* home_env = std::getenv("HOME");
  const std::string home = home_env != nullptr ? home_env : "";
  std::vector<contract::TypeBlob> blobs;
  if (!parsed->type_hashes.empty()) {
    auto entries = co_await reader.collection(offered.contract_id);
    if (!entries.is_ok()) {
      if (debug) debug("type blobs: " + entries.status().message());
    } else {
      for (const auto& [name, bytes] : *entries) {
        if (!name.starts_with("types/") || !name.ends_with(".bin")) continue;
        const std::string hash_hex = name.substr(6, name.size() - 10);
        auto hash = transport::parse_hex32(hash_hex);
        auto def = contract::read_type_def(bytes);
        if (!hash.is_ok() || !def.is_ok()) {
          co_return Status(StatusCode::kDataLoss,
                           "the registry's " + name + ": " +
                               (hash.is_ok() ? def.status() : hash.status()).message());
        }
        blobs.push_back(contract::TypeBlob{*hash, std::move(*def)});
        if (!home.empty()) {
          Status saved = registry::save_type_blob_to_cache(home, hash_hex, bytes);
          if (!saved.is_ok() && debug) debug("not cached: " + saved.message());
        }
      }
    }
  }
  if (!home.empty()) {
    Status saved = registry::save_manifest_to_cache(home, offered.contract_id, text);
    if (!saved.is_ok() && debug) debug("not cached: " + saved.message());
  }
  co_return FoundTypes{
      std::make_shared<ManifestTypes>(std::vector<ContractManifest>{*parsed}, std::move(blobs)),
      "the producer's registry"};
}

Result<const trust::ServiceSummary*> choose_service(
    const std::vector<trust::ServiceSummary>& services, const std::string& name,
    int32_t version, std::string_view version_hint) {
  std::string versions;
  for (const auto& s : services) {
    if (s.name == name) versions += (versions.empty() ? "" : ", ") + std::to_string(s.version);
  }
  if (versions.empty()) {
    std::string offered;
    for (const auto& s : services) offered += (offered.empty() ? "" : ", ") + name_version(s);
    return Status(StatusCode::kNotFound,
                  "service '" + name + "' is not offered by the producer (offered: " +
                      (offered.empty() ? "none" : offered) + ")");
  }
  const trust::ServiceSummary* chosen = nullptr;
  int matches = 0;
  for (const auto& s : services) {
    if (s.name != name || (version != 0 && s.version != version)) continue;
    chosen = &s;
    ++matches;
  }
  if (version != 0 && chosen == nullptr) {
    return Status(StatusCode::kNotFound, "service '" + name + "' v" + std::to_string(version) +
                                             " is not offered (versions offered: " + versions +
                                             ")");
  }
  if (matches > 1) {
    return Status(StatusCode::kInvalidArgument,
                  "the producer offers '" + name + "' in versions " + versions +
                      ": choose one with " + std::string(version_hint));
  }
  return chosen;
}

Result<std::unique_ptr<PeerConnection>> PeerConnection::connect(
    const std::string& address, std::chrono::milliseconds timeout, DebugSink debug,
    trust::ConsumerIdentity identity) {
  if (address.empty()) return Status(StatusCode::kInvalidArgument, "no producer address");
  if (auto parsed = transport::parse_endpoint_addr(address); !parsed.is_ok()) {
    return Status(StatusCode::kInvalidArgument,
                  "invalid producer address: " + parsed.status().message());
  }
  std::unique_ptr<PeerConnection> peer(new PeerConnection());
  ASTER_ASSIGN_OR_RETURN(peer->runtime_, transport::BlockingRuntime::create());
  rpc::ClientOptions options;
  options.admission_timeout = timeout;
  options.debug = debug;
  options.serve_content = true;  // to read the producer's registry, as 0.1.2 nodes do
  options.identity = std::move(identity);
  peer->debug_ = std::move(debug);
  peer->client_ = std::make_unique<rpc::Client>(peer->runtime_->runtime(), address, options);
  auto& client = *peer->client_;
  Status st = peer->runtime_->run([&client]() -> asio::awaitable<Status> {
    try {
      co_await client.connect();
    } catch (const PermissionError& e) {
      co_return Status(StatusCode::kPermissionDenied, e.what());
    } catch (const std::invalid_argument& e) {
      co_return Status(StatusCode::kInvalidArgument,
                       std::string("invalid producer address: ") + e.what());
    } catch (const std::exception& e) {
      co_return Status(StatusCode::kUnavailable, e.what());
    }
    co_return Status::ok();
  }());
  if (!st.is_ok()) return st;
  return peer;
}

Result<FoundTypes> PeerConnection::find_types(const LocalDescriptions& local,
                                              const trust::ServiceSummary& offered,
                                              bool use_registry) {
  ASTER_ASSIGN_OR_RETURN(FoundTypes found, cli::find_types(local, offered, debug_));
  if (found.types || !use_registry) return found;
  auto reader = registry();
  if (!reader.is_ok()) {
    if (debug_) debug_("registry: " + reader.status().message());
    return FoundTypes{};
  }
  auto fetched = runtime_->run(fetch_from_registry(**reader, offered, debug_));
  if (fetched.is_ok()) return std::move(*fetched);
  // No description anywhere: the caller lists the service without methods (the shell) or says
  // what it could not find; the registry's reason goes to the debug line.
  if (debug_) debug_("registry: " + fetched.status().message());
  return FoundTypes{};
}

Result<registry::RegistryReader*> PeerConnection::registry() {
  // One join per connection: the shell asks for every offered service in turn (and then for
  // blobs and documents), and each join waits for a sync with the producer. A failed join is
  // tried again next time (refresh).
  if (!registry_) {
    auto joined = runtime_->run(join_producer_registry(*client_, debug_));
    if (!joined.is_ok()) return joined.status();
    registry_ = std::move(*joined);
  }
  return &*registry_;
}

PeerConnection::~PeerConnection() {
  if (runtime_ && client_) {
    // The client's connections belong to the io thread: close and drop them there.
    runtime_->run([this]() -> asio::awaitable<void> {
      registry_.reset();  // its doc handles, before the endpoint they live on
      client_->close();
      client_.reset();
      co_return;
    }());
  }
}

namespace {

// A type as `describe` writes the manifest's kinds (shell_display.cpp `field_kind`).
std::string type_text(const codec::TypeDesc& t) {
  using codec::TypeKind;
  switch (t.kind) {
    case TypeKind::kBool: return "bool";
    case TypeKind::kFloat32:
    case TypeKind::kFloat64: return "float";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kDate: return "date";
    case TypeKind::kTimestamp: return "datetime";
    case TypeKind::kList: return "list[" + type_text(*t.element) + "]";
    case TypeKind::kSet: return "set[" + type_text(*t.element) + "]";
    case TypeKind::kMap: return "map[" + type_text(*t.key) + ", " + type_text(*t.element) + "]";
    case TypeKind::kOptional: return "optional " + type_text(*t.element);
    case TypeKind::kEnum: return "enum " + t.enum_type->wire_name().name;
    case TypeKind::kStruct: return t.struct_type->wire_name().name;
    case TypeKind::kAny: return "any";
    default: return "int";  // the integer kinds
  }
}

}  // namespace

std::vector<std::string> blob_field_types(contract::ManifestTypes& types,
                                          const contract::ContractManifest& manifest,
                                          const contract::MethodDescriptor& method) {
  std::vector<std::string> out(method.fields.size());
  auto desc = types.method_desc(manifest, method.name);
  if (!desc.is_ok() || !desc->request || desc->request->kind != codec::TypeKind::kStruct) {
    return out;
  }
  const auto& fields = desc->request->struct_type->fields();
  for (size_t i = 0; i < method.fields.size(); ++i) {
    if (method.fields[i].kind != "string") continue;
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const auto& f) { return f.name == method.fields[i].name; });
    if (it == fields.end() || !it->type) continue;
    const codec::TypeKind kind = it->type->unwrapped().kind;
    if (kind != codec::TypeKind::kString && kind != codec::TypeKind::kAny) {
      out[i] = type_text(*it->type);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> described_types(
    const contract::ContractManifest& manifest, const contract::ManifestTypes& types) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const auto& m : manifest.methods) {
    for (const auto& [t, tag] : {std::pair(m.request_type, m.request_wire_tag),
                                 std::pair(m.response_type, m.response_wire_tag)}) {
      // `-> int`, `-> list[Point]`: a builtin, not a type of the service
      if (tag.empty() && contract::python_builtin_type(t)) continue;
      if (!t.empty() && seen.insert(t).second) out.emplace_back(t, "");
    }
  }
  const size_t named = out.size();
  for (const auto& hash : manifest.type_hashes) {
    const auto tag = types.tag_of_type_hash(hash);
    if (!tag) {
      out.emplace_back("type", hash);
      continue;
    }
    const std::string name = tag->substr(tag->rfind('/') + 1);  // npos + 1 == 0
    auto it = std::find_if(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(named),
                           [&](const auto& e) { return e.first == name && e.second.empty(); });
    if (it != out.begin() + static_cast<std::ptrdiff_t>(named)) {
      it->second = hash;
    } else {
      out.emplace_back(*tag, hash);
    }
  }
  return out;
}

std::optional<DescriptionGap> description_gap(contract::ManifestTypes& types,
                                              const trust::ServiceSummary& offered,
                                              const std::string& method) {
  const contract::ContractManifest* manifest =
      types.find_manifest(offered.name, static_cast<int32_t>(offered.version));
  if (manifest == nullptr) return std::nullopt;
  auto named = std::find_if(manifest->methods.begin(), manifest->methods.end(),
                            [&](const auto& m) { return m.name == method; });
  if (named == manifest->methods.end()) return std::nullopt;
  auto desc = types.method_desc(*manifest, method);
  if (desc.is_ok() || desc.status().code() != StatusCode::kNotFound) return std::nullopt;
  return DescriptionGap{named->pattern, desc.status().message()};
}

}  // namespace aster::cli
