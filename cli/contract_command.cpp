// `aster contract export` and `aster contract verify`: aster-cli 0.1.2's portable contract files
// (aster-rpc@0972ac9:cli/aster_cli/contract.py `_export_command`, `_verify_command`), the same
// files, lines and exit codes; plus what a native tool can do without Python: export the
// contracts a live producer publishes (its registry, or 0.1.2's manifest cache), verify a file
// against what a producer offers, and recompute the contract id from the file's contents and
// the type blobs (contract_export.hpp). docs/cli.md "aster contract".
#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "aster/contract/collection.hpp"
#include "aster/contract/manifest.hpp"
#include "commands.hpp"
#include "contract_export.hpp"
#include "peer_catalog.hpp"
#include "seconds_option.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFileBytes = 8u << 20;  // as a manifest (contract::ManifestLimits)
const char* const kDefaultManifest = ".aster/manifest.json";

struct ExportOptions {
  std::string peer;
  std::string service;
  int32_t version = 0;
  std::string manifest = kDefaultManifest;
  bool manifest_given = false;
  std::string out;
  bool json = false;
  bool no_registry = false;
  std::string timeout = "10";
};

struct VerifyOptions {
  std::string file;
  std::string peer;
  std::string manifest = kDefaultManifest;
  bool manifest_given = false;
  std::string types;
  bool json = false;
  std::string timeout = "10";
};

std::string text(const OrderedJson& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

Result<std::vector<OrderedJson>> load_manifest_file(const std::string& path) {
  if (!fs::exists(path)) {
    return Status(StatusCode::kNotFound,
                  "manifest not found at " + path +
                      " (run `aster contract gen` of aster-cli, or pass --manifest PATH)");
  }
  ASTER_ASSIGN_OR_RETURN(std::string body, contract::read_file_capped(path, kMaxFileBytes));
  auto manifests = manifests_in_file(body);
  if (!manifests.is_ok()) {
    return Status(StatusCode::kInvalidArgument, path + ": " + manifests.status().message());
  }
  return manifests;
}

struct Exported {
  std::string service;
  OrderedJson version;
  std::string contract_id;  // "blake3:…"
  std::string path;
};

Status write_export(const OrderedJson& manifest, const std::string& out_dir,
                    const std::string& where, std::vector<Exported>& done) {
  auto doc = export_form(manifest);
  if (!doc.is_ok()) return Status(StatusCode::kInvalidArgument, where + doc.status().message());
  const std::string service = (*doc)["service"].get<std::string>();
  ASTER_ASSIGN_OR_RETURN(std::string name, export_file_name(service));
  std::string path = name;
  if (!out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) return Status(StatusCode::kUnavailable, out_dir + ": " + ec.message());
    path = (fs::path(out_dir) / name).string();
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  const std::string body = export_text(*doc);
  f.write(body.data(), static_cast<std::streamsize>(body.size()));
  f.close();
  if (!f) return Status(StatusCode::kUnavailable, "cannot write " + path);
  done.push_back(Exported{service, (*doc)["version"], (*doc)["contract_id"], path});
  return Status::ok();
}

// The manifests a live producer publishes for the services it offers (all, or SERVICE).
Result<std::vector<OrderedJson>> manifests_of_peer(const ExportOptions& o,
                                                   const CommandContext& context) {
  const DebugSink debug = [&context](std::string_view line) { context.debug(line); };
  ASTER_ASSIGN_OR_RETURN(
      auto peer, PeerConnection::connect(
                     o.peer, saturating_milliseconds(parse_seconds(o.timeout).value()), debug));
  std::vector<const trust::ServiceSummary*> chosen;
  if (!o.service.empty()) {
    ASTER_ASSIGN_OR_RETURN(const trust::ServiceSummary* s,
                           choose_service(peer->services(), o.service, o.version, "--version N"));
    chosen.push_back(s);
  } else {
    for (const auto& s : peer->services()) chosen.push_back(&s);
  }
  std::vector<OrderedJson> out;
  std::map<std::string, int64_t> names;  // one file per service name, as 0.1.2 names them
  for (const auto* s : chosen) {
    if (auto [it, fresh] = names.emplace(s->name, s->version); !fresh) {
      return Status(StatusCode::kFailedPrecondition,
                    "the producer offers " + s->name + " v" + std::to_string(it->second) +
                        " and v" + std::to_string(s->version) + ", which would both be " +
                        s->name + ".aster.json: export one with " + s->name + " --version N");
    }
    ASTER_ASSIGN_OR_RETURN(FoundTypes found, peer->find_types({}, *s, !o.no_registry));
    const contract::ContractManifest* m =
        found.types ? found.types->find_manifest(s->name, static_cast<int32_t>(s->version))
                    : nullptr;
    if (m == nullptr) {
      return Status(StatusCode::kNotFound,
                    "no published manifest of " + s->name + " v" + std::to_string(s->version) +
                        " (not in the producer's registry nor in ~/.aster/cache/manifests)");
    }
    context.debug("manifest of " + s->name + " v" + std::to_string(s->version) + " from " +
                  found.source);
    out.push_back(contract::to_json(*m));
  }
  return out;
}

Status run_export(const ExportOptions& o, const CommandContext& context) {
  if (!o.peer.empty() && o.manifest_given) {
    throw UsageError("give either PEER or --manifest, not both");
  }
  if (o.peer.empty() && (!o.service.empty() || o.version != 0)) {
    throw UsageError("SERVICE and --version choose among a PEER's services");
  }
  std::vector<OrderedJson> manifests;
  if (!o.peer.empty()) {
    ASTER_ASSIGN_OR_RETURN(manifests, manifests_of_peer(o, context));
  } else {
    ASTER_ASSIGN_OR_RETURN(manifests, load_manifest_file(o.manifest));
  }
  std::vector<Exported> done;
  for (size_t i = 0; i < manifests.size(); ++i) {
    const std::string where =
        o.peer.empty() ? o.manifest + (manifests.size() > 1 ? "[" + std::to_string(i) + "]" : "") +
                             ": "
                       : "";
    ASTER_RETURN_IF_ERROR(write_export(manifests[i], o.out, where, done));
    if (!o.json) {
      // 0.1.2's two lines per file: the path, then the service and the id's first 15 digits.
      const Exported& e = done.back();
      std::cout << "Exported: " << escape_for_terminal(e.path) << "\n"
                << "  " << escape_for_terminal(e.service) << " v"
                << escape_for_terminal(text(e.version))
                << "  contract_id=" << escape_for_terminal(e.contract_id.substr(0, 22)) << "...\n";
    }
  }
  if (o.json) {
    OrderedJson list = OrderedJson::array();
    for (const auto& e : done) {
      list.push_back({{"service", e.service},
                      {"version", e.version},
                      {"contract_id", e.contract_id},
                      {"path", e.path}});
    }
    std::cout << list.dump(2) << "\n";
  }
  return Status::ok();
}

struct Check {
  std::string against;  // manifest | peer | contents
  std::string source;   // the manifest's path, the peer, the types directory
  std::string contract_id;
  bool match = false;
  std::string note;
};

int verify_file(const VerifyOptions& o, const CommandContext& context);

// Exit 0 when every check matched, 1 otherwise (0.1.2: OK / MISMATCH).
int run_verify(const VerifyOptions& o, const CommandContext& context) {
  try {
    return verify_file(o, context);
  } catch (const nlohmann::json::exception& e) {
    // A key of the wrong JSON type in the file or the manifest (nlohmann's value() throws).
    std::string what = e.what();
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    print_error(o.file + ": " + what);
    return kExitFailure;
  }
}

int verify_file(const VerifyOptions& o, const CommandContext& context) {
  auto fail = [](const std::string& message) {
    print_error(message);
    return kExitFailure;
  };
  if (!fs::exists(o.file)) return fail("file not found: " + o.file);
  auto body = contract::read_file_capped(o.file, kMaxFileBytes);
  if (!body.is_ok()) return fail(body.status().message());
  OrderedJson doc;
  try {
    doc = OrderedJson::parse(*body);
  } catch (const nlohmann::json::exception&) {
    return fail(o.file + ": not JSON");
  }
  if (!doc.is_object() || !doc.contains("aster_contract")) {
    return fail(o.file + ": not an .aster.json file (no aster_contract)");
  }
  std::string file_id = doc.value("contract_id", "");
  if (file_id.rfind("blake3:", 0) == 0) file_id = file_id.substr(7);
  const std::string service = doc.value("service", "");
  const OrderedJson version_json = doc.value("version", OrderedJson(1));
  const int64_t version = version_json.is_number_integer() ? version_json.get<int64_t>() : 1;

  std::vector<Check> checks;
  if (!o.peer.empty()) {
    const DebugSink debug = [&context](std::string_view line) { context.debug(line); };
    auto peer = PeerConnection::connect(
        o.peer, saturating_milliseconds(parse_seconds(o.timeout).value()), debug);
    if (!peer.is_ok()) return fail(peer.status().message());
    auto offered = choose_service((*peer)->services(), service, static_cast<int32_t>(version),
                                  "the file's version");
    if (!offered.is_ok()) return fail(offered.status().message());
    checks.push_back(Check{"peer", o.peer, (*offered)->contract_id,
                           (*offered)->contract_id == file_id, ""});
  }
  // The manifest, as 0.1.2 (default .aster/manifest.json); with PEER or --types, only when
  // --manifest is given.
  const bool other_checks = !o.peer.empty() || !o.types.empty();
  if (o.manifest_given || !other_checks) {
    auto manifests = load_manifest_file(o.manifest);
    if (!manifests.is_ok()) return fail(manifests.status().message());
    // 0.1.2 takes the first manifest of the service; we prefer the file's version among them.
    const OrderedJson* match = nullptr;
    for (const auto& m : *manifests) {
      if (!m.is_object() || m.value("service", OrderedJson()) != OrderedJson(service)) continue;
      if (match == nullptr) match = &m;
      if (m.value("version", OrderedJson(1)) == version_json) {
        match = &m;
        break;
      }
    }
    if (match == nullptr) return fail("service '" + service + "' not found in " + o.manifest);
    const std::string local = text(match->value("contract_id", OrderedJson("")));
    checks.push_back(Check{"manifest", o.manifest, local, local == file_id, ""});
  }
  if (!o.types.empty()) {
    contract::CollectionReadOptions read;
    read.verify = true;  // every blob's hash is checked against its name
    auto blobs = contract::read_type_blobs(o.types, read);
    if (!blobs.is_ok()) return fail(blobs.status().message());
    auto recomputed = recompute_contract_id(doc, *blobs);
    if (!recomputed.is_ok()) return fail(o.file + ": " + recomputed.status().message());
    checks.push_back(Check{"contents", o.types,
                           recomputed->matches_claim ? file_id : recomputed->contract_id,
                           recomputed->matches_claim, recomputed->variant});
  }

  bool all = true;
  for (const auto& c : checks) all = all && c.match;
  if (o.json) {
    OrderedJson out = OrderedJson::object();
    out["service"] = service;
    out["version"] = version_json;
    out["contract_id"] = "blake3:" + file_id;
    out["match"] = all;
    out["checks"] = OrderedJson::array();
    for (const auto& c : checks) {
      OrderedJson j = {{"against", c.against},
                       {"source", c.source},
                       {"contract_id", "blake3:" + c.contract_id},
                       {"match", c.match}};
      if (!c.note.empty()) j["note"] = c.note;
      out["checks"].push_back(std::move(j));
    }
    std::cout << out.dump(2) << "\n";
    return all ? kExitOk : kExitFailure;
  }
  const std::string shown = escape_for_terminal(service);
  if (all) {
    // 0.1.2's two lines, then one line per further check.
    std::cout << "OK: " << shown << " contract matches.\n"
              << "  contract_id=blake3:" << escape_for_terminal(file_id.substr(0, 16)) << "...\n";
    for (const auto& c : checks) {
      if (c.against == "manifest") continue;
      std::cout << "  "
                << (c.against == "peer" ? "offered by " : "recomputed from the contents and ")
                << escape_for_terminal(c.source)
                << (c.note.empty() ? "" : " (" + c.note + ")") << "\n";
    }
    return kExitOk;
  }
  std::cerr << "MISMATCH: " << shown << " contract has changed.\n"
            << "  Export:  blake3:" << escape_for_terminal(file_id) << "\n";
  for (const auto& c : checks) {
    const char* label = c.against == "manifest" ? "  Local:   "
                        : c.against == "peer"   ? "  Peer:    "
                                                : "  Content: ";
    std::cerr << label << "blake3:" << escape_for_terminal(c.contract_id)
              << (c.match || checks.size() == 1 ? "" : "  (differs)") << "\n";
  }
  return kExitFailure;
}

}  // namespace

void add_contract_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("contract", "Portable contract files (.aster.json)");

  auto e = std::make_shared<ExportOptions>();
  auto* exp = group->add_subcommand(
      "export", "Write each service's contract as <Service>.aster.json (aster-cli 0.1.2's format)");
  exp->add_option("PEER", e->peer,
                  "Export what this producer publishes instead of a manifest file: aster1… "
                  "ticket, base64 NodeAddr or 64-hex endpoint id");
  exp->add_option("SERVICE", e->service, "With PEER: only this service (default: every one)");
  exp->add_option("--version", e->version, "With PEER and SERVICE: the version to export")
      ->type_name("N")
      ->check(CLI::Range(1, INT32_MAX));
  auto* manifest = exp->add_option("--manifest", e->manifest,
                                   "Source manifest: one object or an array (aster-cli's "
                                   "`aster contract gen` writes it)")
                       ->type_name("PATH")
                       ->capture_default_str();
  exp->add_option("-o,--out", e->out, "Output directory (default: the current directory)")
      ->type_name("DIR");
  exp->add_flag("--json", e->json,
                "Print one JSON array of {service, version, contract_id, path} instead of lines");
  exp->add_flag("--no-registry", e->no_registry,
                "With PEER: use only 0.1.2's manifest cache, not the producer's registry");
  exp->add_option("--timeout", e->timeout,
                  "With PEER: seconds to wait for the connection and the admission reply")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(seconds_in_range());
  exp->footer(
      "Examples:\n"
      "  aster contract export                  # .aster/manifest.json → ./<Svc>.aster.json\n"
      "  aster contract export --manifest m.json -o contracts/\n"
      "  aster contract export aster18Q2DCaQe… Catalog --version 2 -o contracts/\n"
      "\n"
      "The file is byte for byte what aster-cli 0.1.2's `aster contract export` writes: keys in\n"
      "its order, methods and fields sorted by name, 2-space indent, UTF-8 kept, final newline.\n"
      "Prints `Exported: PATH` and `  Service vN  contract_id=blake3:…` per file.\n"
      "\n"
      "Exit status: 0 written; 1 no manifest, a bad manifest, unreachable peer or unwritable\n"
      "file (`error: …` on stderr); 2 usage error.");
  exp->callback([e, manifest, &context] {
    e->manifest_given = manifest->count() > 0;
    context.finish(run_export(*e, context));
  });

  auto v = std::make_shared<VerifyOptions>();
  auto* ver = group->add_subcommand(
      "verify", "Check an .aster.json against the local manifest, a producer, or its own contents");
  ver->add_option("FILE", v->file, "The .aster.json file")->required();
  ver->add_option("PEER", v->peer,
                  "Also compare with the contract this producer offers for the file's service and "
                  "version");
  auto* vmanifest = ver->add_option("--manifest", v->manifest,
                                    "Local manifest to compare against (one object or an array)")
                        ->type_name("PATH")
                        ->capture_default_str();
  ver->add_option("--types", v->types,
                  "Recompute the contract id from the file's contents and these type blobs (a "
                  "collection directory or its types/)")
      ->type_name("DIR");
  ver->add_flag("--json", v->json,
                "Print one JSON object: the file's id, each check (manifest, peer, contents) and "
                "whether all matched");
  ver->add_option("--timeout", v->timeout,
                  "With PEER: seconds to wait for the connection and the admission reply")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(seconds_in_range());
  ver->footer(
      "Examples:\n"
      "  aster contract verify Catalog.aster.json                 # against .aster/manifest.json\n"
      "  aster contract verify Catalog.aster.json --types coll/Catalog.v2\n"
      "  aster contract verify Catalog.aster.json aster18Q2DCaQe…  # what the producer offers\n"
      "\n"
      "Success: `OK: Service contract matches.` on stdout. A difference: `MISMATCH: …` and both\n"
      "ids on stderr. Without PEER or --types the manifest is required, as in aster-cli 0.1.2.\n"
      "--types recomputes the id the file's methods imply: an export lists its types' hashes\n"
      "but not which method uses which, so the type blobs are needed.\n"
      "\n"
      "Exit status: 0 every check matched; 1 a mismatch, or a file that cannot be read; 2 usage.");
  ver->callback([v, vmanifest, &context] {
    v->manifest_given = vmanifest->count() > 0;
    context.exit_code = run_verify(*v, context);
  });
}

}  // namespace aster::cli
