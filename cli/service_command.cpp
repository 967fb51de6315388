// `aster service ls [ADDR]` — admission on `aster.consumer_admission` and the list of offered
// services. 0.1.2's aster-cli has the generator for `aster service ls` but leaves it commented
// out in `main` (aster-rpc@0972ac9:cli/aster_cli/shell/plugin.py, register_cli_subcommands);
// this is our one-shot version of the shell's services table.
#include <cstdlib>
#include <iostream>

#include "aster/hex.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "aster/trust/consumer_admission.hpp"
#include "commands.hpp"
#include "peer_admission.hpp"
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
  ASTER_ASSIGN_OR_RETURN(auto response, admit_to_producer(*address, {}, admission));
  if (!response.admitted) {
    return Status(StatusCode::kPermissionDenied,
                  "admission denied by " + short_id(address->id.to_hex()));
  }
  if (options.json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    doc["services"] = response.services_as_sent;
    doc["registry_namespace"] = response.registry_namespace;
    doc["root_pubkey"] = response.root_pubkey;
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << render_services(response, stdout_wants_style());
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
      "  NO_COLOR             Set to print the table without bold headers");
  ls->callback([options, &context] { context.finish(run_service_ls(*options, context)); });
}

}  // namespace aster::cli
