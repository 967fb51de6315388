// `aster service ls [ADDR]` — admission on `aster.consumer_admission` and the list of offered
// services. 0.1.2's aster-cli has the generator for `aster service ls` but leaves it commented
// out in `main` (aster-rpc@0972ac9:cli/aster_cli/shell/plugin.py, register_cli_subcommands);
// this is our one-shot version of the shell's services table.
#include <fmt/core.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "aster/hex.hpp"
#include "aster/transport/endpoint.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "aster/trust/consumer_admission.hpp"
#include "commands.hpp"
#include "peer_admission.hpp"
#include "peer_catalog.hpp"
#include "shell_display.hpp"
#include "seconds_option.hpp"
#include "terminal_text.hpp"
#include "text_table.hpp"

namespace aster::cli {
namespace {

struct ServiceLsOptions {
  std::string address;
  bool json = false;
  std::string timeout = "10";  // validated by seconds_in_range() while parsing
};

// Every cell comes from the producer: escaped (terminal_text.hpp).
std::string render_services(const trust::ConsumerAdmissionResponse& response, bool style) {
  TextTable table({"Service", "Version", "Scope", "Contract id"});
  for (const auto& service : response.services) {
    const bool session = service.pattern == "session";
    table.add_row({escape_for_terminal(service.name) + (session ? " (session)" : ""),
                   "v" + std::to_string(service.version), escape_for_terminal(service.pattern),
                   escape_for_terminal(service.contract_id)});
  }
  std::string out = table.empty() ? "(no services offered)\n" : table.render(style);
  out += "Registry namespace: " +
         (response.registry_namespace.empty() ? std::string("(none published)")
                                              : escape_for_terminal(response.registry_namespace)) +
         "\n";
  return out;
}

// `--json -v`: {"kind": "direct", "address": "203.0.113.2:41236", "rtt_us": 312} or
// {"kind": "relay", "url": "https://192.0.2.2/", "rtt_us": null}.
nlohmann::ordered_json path_json(const transport::ConnectionPath& path) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["kind"] = std::string(transport::to_string(path.kind));
  if (path.kind == transport::ConnectionPath::Kind::kDirect) {
    j["address"] = transport::to_string(path.address);
  } else if (path.kind == transport::ConnectionPath::Kind::kRelay) {
    j["url"] = path.relay_url;
  }
  j["rtt_us"] =
      path.rtt ? nlohmann::ordered_json(path.rtt->count()) : nlohmann::ordered_json(nullptr);
  return j;
}

Status run_service_ls(const ServiceLsOptions& options, const CommandContext& context) {
  std::string address_text = options.address;
  if (address_text.empty()) {
    if (const char* env = std::getenv("ASTER_ENDPOINT_ADDR")) address_text = env;
  }
  if (address_text.empty()) {
    throw UsageError(
        "no producer address: pass ADDR (aster1… ticket, base64 NodeAddr or endpoint id) or "
        "set ASTER_ENDPOINT_ADDR");
  }
  auto address = transport::parse_endpoint_addr(address_text);
  if (!address) {
    return Status(StatusCode::kInvalidArgument,
                  "invalid producer address: " + address.status().message());
  }
  trust::ConsumerAdmissionOptions admission;
  admission.timeout = saturating_milliseconds(parse_seconds(options.timeout).value());
  admission.debug = [&context](std::string_view line) { context.debug(line); };
  // -v: the network path the admission reply came on (direct address or relay URL).
  std::optional<transport::ConnectionPath> path;
  if (context.verbose) {
    admission.on_reply = [&path](const transport::Connection& c) {
      if (auto p = c.path(); p.is_ok()) path = *p;
    };
  }
  ASTER_ASSIGN_OR_RETURN(auto response, admit_to_producer(*address, {}, admission));
  if (path) fmt::print(stderr, "connection: {}\n", escape_for_terminal(path->describe()));
  if (!response.admitted) {
    return Status(StatusCode::kPermissionDenied,
                  "admission denied by " + short_id(address->id.to_hex()));
  }
  if (options.json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    doc["services"] = response.services_as_sent;
    doc["registry_namespace"] = response.registry_namespace;
    doc["root_pubkey"] = response.root_pubkey;
    if (context.verbose) doc["path"] = path ? path_json(*path) : nlohmann::ordered_json(nullptr);
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << render_services(response, stdout_wants_style());
  }
  return Status::ok();
}

struct ServiceDescribeOptions {
  std::string address;
  std::string service;
  int32_t version = 0;
  bool json = false;
  bool no_registry = false;
  DescriptionFlags descriptions;
  std::string timeout = "10";
};

// `aster service describe ADDR Service`: the offered summary and, when a description is found
// (peer_catalog.hpp), the contract tree the shell's `describe` prints.
Status run_service_describe(const ServiceDescribeOptions& o, const CommandContext& context) {
  std::string address = o.address;
  if (address.empty()) {
    if (const char* env = std::getenv("ASTER_ENDPOINT_ADDR")) address = env;
  }
  ASTER_ASSIGN_OR_RETURN(auto local, load_local(o.descriptions));
  const DebugSink debug = [&context](std::string_view line) { context.debug(line); };
  ASTER_ASSIGN_OR_RETURN(
      auto peer, PeerConnection::connect(
                     address, saturating_milliseconds(parse_seconds(o.timeout).value()), debug));
  ASTER_ASSIGN_OR_RETURN(const trust::ServiceSummary* offered,
                         choose_service(peer->services(), o.service, o.version, "--version N"));
  ASTER_ASSIGN_OR_RETURN(FoundTypes found, peer->find_types(local, *offered, !o.no_registry));
  const contract::ContractManifest* manifest =
      found.types ? found.types->find_manifest(offered->name,
                                               static_cast<int32_t>(offered->version))
                  : nullptr;
  if (o.json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    doc["service"] = offered->to_json();
    doc["described_by"] = found.source.empty() ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(found.source);
    doc["manifest"] = manifest ? contract::to_json(*manifest) : nlohmann::ordered_json(nullptr);
    std::cout << doc.dump(2) << "\n";
    return Status::ok();
  }
  ShellService s;
  s.name = s.vfs_name = offered->name;
  s.version = offered->version;
  s.scope = offered->pattern;
  s.contract_id = offered->contract_id;
  if (manifest != nullptr) {
    s.described_by = found.source;
    for (const auto& m : manifest->methods) {
      s.methods.push_back(ShellMethod{m.name, m.pattern, m.request_type, m.response_type,
                                      m.timeout, m.fields,
                                      blob_field_types(*found.types, *manifest, m)});
    }
    s.types = described_types(*manifest, *found.types);
  }
  ShellDisplay(false, stdout_wants_style()).contract_tree(s);
  std::cout << "scope: " << escape_for_terminal(offered->pattern) << "\n";
  if (manifest == nullptr) {
    std::cout << "methods: unknown (no published description found: give --collection DIR or "
                 "--manifest FILE, or let ~/.aster/cache/manifests/ hold it)\n";
  } else {
    std::cout << "described by: " << escape_for_terminal(found.source) << "\n";
  }
  return Status::ok();
}

}  // namespace

void add_service_commands(CLI::App& app, CommandContext& context) {
  auto* service = app.add_subcommand("service", "Inspect the services a producer offers");
  auto options = std::make_shared<ServiceLsOptions>();
  auto* ls = service->add_subcommand(
      "ls", "Run consumer admission against a producer and list the services it offers");
  ls->add_option("ADDR", options->address,
                 "Producer address: aster1… ticket, base64 NodeAddr or 64-hex endpoint id "
                 "(default: $ASTER_ENDPOINT_ADDR)");
  ls->add_flag("--json", options->json,
               "Print one JSON object: the admission response's services as sent, plus "
               "registry_namespace and root_pubkey");
  ls->add_option("--timeout", options->timeout,
                 "Seconds to wait for the connection and the admission reply, retries included")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(seconds_in_range());
  ls->footer(
      "Examples:\n"
      "  aster service ls aster18Q2DCaQe…        # The ticket a producer prints\n"
      "  aster service ls --json \"$NODE_ADDR\"     # Exact JSON, for scripts\n"
      "  ASTER_ENDPOINT_ADDR=aster1… aster service ls --timeout 30\n"
      "\n"
      "Environment:\n"
      "  ASTER_ENDPOINT_ADDR  Producer address used when ADDR is not given\n"
      "  ASTER_RELAY_MODE     disabled | default | staging | <relay URL> (default: default)\n"
      "  ASTER_RELAY_CA       PEM or DER file of a CA to trust for a self-hosted TLS relay\n"
      "  NO_COLOR             Set to print the table without bold headers\n"
      "\n"
      "With -v, a line on stderr names the network path the admission reply came on:\n"
      "  connection: direct 203.0.113.2:41236 (rtt 0.3 ms)   or   connection: relay https://…/\n"
      "(and --json -v adds a \"path\" field).");
  ls->callback([options, &context] { context.finish(run_service_ls(*options, context)); });

  auto d = std::make_shared<ServiceDescribeOptions>();
  auto* describe = service->add_subcommand(
      "describe", "Show one service's contract: methods, their patterns, request fields, types");
  describe->add_option("ADDR", d->address,
                       "Producer address: aster1… ticket, base64 NodeAddr or 64-hex endpoint id")
      ->required();
  describe->add_option("SERVICE", d->service, "The service's name, e.g. Catalog")->required();
  describe->add_option("--version", d->version,
                       "Service version (default: the one offered; needed when it offers several)")
      ->type_name("N")
      ->check(CLI::Range(1, INT32_MAX));
  describe->add_flag("--json", d->json,
                     "Print one JSON object: the offered summary (service), where the manifest "
                     "came from (described_by) and the manifest itself (or null)");
  describe->add_flag("--no-registry", d->no_registry,
                     "Do not read the manifest from the producer's registry");
  describe->add_option("--collection", d->descriptions.collections,
                       "The service's published collection directory; repeatable")
      ->type_name("DIR");
  describe->add_option("--manifest", d->descriptions.manifests,
                       "A manifest.json (one object or an array); repeatable")
      ->type_name("FILE");
  describe->add_option("--types", d->descriptions.types_dirs,
                       "A directory of type blobs (<hash>.bin); repeatable")
      ->type_name("DIR");
  describe->add_option("--timeout", d->timeout,
                       "Seconds to wait for the connection and the admission reply")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(seconds_in_range());
  describe->footer(
      "Examples:\n"
      "  aster service describe aster18Q2DCaQe… HelloService\n"
      "  aster service describe \"$ADDR\" Catalog --version 2 --collection coll/Catalog.v2\n"
      "  aster service describe --json \"$ADDR\" Catalog --version 1 | jq .manifest.methods\n"
      "\n"
      "The manifest comes from --collection/--manifest, else from the cache that aster-cli\n"
      "0.1.2's shell fills (~/.aster/cache/manifests/<contract_id>.json); without one, only\n"
      "the offered summary is shown.\n"
      "\n"
      "Exit status: 0 success; 1 unreachable, refused, or no such service/version; 2 usage.");
  describe->callback([d, &context] { context.finish(run_service_describe(*d, context)); });
}

}  // namespace aster::cli
