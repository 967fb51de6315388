// `aster service ls [ADDR]` — admission on `aster.consumer_admission` and the list of offered
// services. 0.1.2's aster-cli documents `aster service ls` but ships it commented out
// (cli-and-shell.md §2.3); this is our one-shot version of the shell's services table.
#include <fmt/core.h>

#include <cstdlib>
#include <iostream>

#include "aster/trust/consumer_admission.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "commands.hpp"
#include "text_table.hpp"

namespace aster::cli {
namespace {

struct ServiceLsOptions {
  std::string address;
  bool json = false;
  double timeout_seconds = 10.0;
};

std::string render_services(const trust::ConsumerAdmissionResponse& response, bool style) {
  TextTable table({"Service", "Version", "Scope", "Contract id"});
  for (const auto& service : response.services) {
    const bool session = service.pattern == "session";
    table.add_row({service.name + (session ? " (session)" : ""),
                   "v" + std::to_string(service.version), service.pattern, service.contract_id});
  }
  std::string out = table.empty() ? "(no services offered)\n" : table.render(style);
  out += "Registry namespace: " +
         (response.registry_namespace.empty() ? std::string("(none published)")
                                              : response.registry_namespace) +
         "\n";
  return out;
}

int run_service_ls(const ServiceLsOptions& options) {
  std::string address_text = options.address;
  if (address_text.empty()) {
    if (const char* env = std::getenv("ASTER_ENDPOINT_ADDR")) address_text = env;
  }
  if (address_text.empty()) {
    std::cerr << "error: no peer address: pass ADDR (aster1… ticket, base64 NodeAddr or endpoint "
                 "id) or set ASTER_ENDPOINT_ADDR\n";
    return 1;
  }
  auto address = transport::parse_endpoint_addr(address_text);
  if (!address) {
    std::cerr << "error: invalid peer address: " << address.status().message() << "\n";
    return 1;
  }
  auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
  auto response = trust::blocking_consumer_admission(*address, trust::ConsumerAdmissionRequest{},
                                                     timeout);
  if (!response) {
    std::cerr << "error: " << response.status().message() << "\n";
    return 1;
  }
  if (!response->admitted) {
    std::cerr << "error: admission denied by " << address->id.to_hex().substr(0, 16) << "…\n";
    return 1;
  }
  if (options.json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    doc["services"] = response->services_as_sent;
    doc["registry_namespace"] = response->registry_namespace;
    doc["root_pubkey"] = response->root_pubkey;
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << render_services(*response, stdout_wants_style());
  }
  return 0;
}

}  // namespace

void add_service_commands(CLI::App& app, CommandContext& context) {
  auto* service = app.add_subcommand("service", "Inspect the services a producer offers");
  service->require_subcommand(1);
  auto options = std::make_shared<ServiceLsOptions>();
  auto* ls = service->add_subcommand(
      "ls", "Run consumer admission against a producer and list the services it offers");
  ls->add_option("ADDR", options->address,
                 "Producer address: aster1… ticket, base64 NodeAddr, or 64-hex endpoint id "
                 "(default: $ASTER_ENDPOINT_ADDR)");
  ls->add_flag("--json", options->json,
               "Print one JSON object: the admission response's services as sent, plus "
               "registry_namespace and root_pubkey");
  ls->add_option("--timeout", options->timeout_seconds,
                 "Seconds to wait for the connection and the admission reply")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  ls->callback([options, &context] { context.exit_code = run_service_ls(*options); });
}

}  // namespace aster::cli
