#include "aster/trust/admission_messages.hpp"

namespace aster::trust {
namespace {

using json = nlohmann::ordered_json;

// Python's json.dumps default: ASCII only, so non-ASCII text travels as \uXXXX escapes.
std::string dump_compact(const json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::strict);
}

Status malformed(std::string_view what, std::string_view path) {
  return {StatusCode::kInvalidArgument,
          "malformed admission " + std::string(what) + ": " + std::string(path)};
}

// Admission messages are flat; anything nested deeper than this is hostile. Checked before
// parsing, because copying and printing a JSON value recurse once per level.
constexpr size_t kMaxNesting = 64;

Status check_nesting(std::string_view text, std::string_view what) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting) {
        return malformed(what, "nested deeper than " + std::to_string(kMaxNesting) + " levels");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::ok();
}

Result<std::string> optional_string(const json& object, const char* key, std::string_view what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return malformed(what, std::string(key) + " is not a string");
  return it->get<std::string>();
}

}  // namespace

std::string ConsumerAdmissionRequest::to_json() const {
  json value = json::object();
  value["credential_json"] = credential_json;
  value["iid_token"] = iid_token;
  return dump_compact(value);
}

Result<ConsumerAdmissionRequest> ConsumerAdmissionRequest::from_json(std::string_view text) {
  ASTER_RETURN_IF_ERROR(check_nesting(text, "request"));
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return malformed("request", "not a JSON object");
  auto credential = value.find("credential_json");
  if (credential == value.end() || !credential->is_string()) {
    return malformed("request", "credential_json missing or not a string");
  }
  auto iid = optional_string(value, "iid_token", "request");
  if (!iid) return iid.status();
  return ConsumerAdmissionRequest{credential->get<std::string>(), *iid};
}

json ServiceSummary::to_json() const {
  json value = json::object();
  value["name"] = name;
  value["version"] = version;
  value["contract_id"] = contract_id;
  value["channels"] = json::object();
  for (const auto& [channel, address] : channels) value["channels"][channel] = address;
  value["pattern"] = pattern;
  value["serialization_modes"] = serialization_modes;
  return value;
}

Result<ServiceSummary> ServiceSummary::from_json(const json& value, std::string_view path) {
  const std::string at(path);
  if (!value.is_object()) return malformed("response", at + " is not an object");
  ServiceSummary summary;
  auto name = value.find("name");
  if (name == value.end() || !name->is_string()) {
    return malformed("response", at + ".name missing or not a string");
  }
  summary.name = name->get<std::string>();
  auto version = value.find("version");
  if (version == value.end() || !version->is_number_integer()) {
    return malformed("response", at + ".version missing or not an integer");
  }
  summary.version = version->get<int64_t>();
  auto contract_id = value.find("contract_id");
  if (contract_id == value.end() || !contract_id->is_string()) {
    return malformed("response", at + ".contract_id missing or not a string");
  }
  summary.contract_id = contract_id->get<std::string>();
  if (auto channels = value.find("channels"); channels != value.end() && !channels->is_null()) {
    if (!channels->is_object()) return malformed("response", at + ".channels is not an object");
    for (const auto& [channel, address] : channels->items()) {
      if (!address.is_string()) {
        return malformed("response", at + ".channels." + channel + " is not a string");
      }
      summary.channels[channel] = address.get<std::string>();
    }
  }
  if (auto pattern = value.find("pattern"); pattern != value.end() && !pattern->is_null()) {
    if (!pattern->is_string()) return malformed("response", at + ".pattern is not a string");
    if (!pattern->get<std::string>().empty()) summary.pattern = pattern->get<std::string>();
  }
  if (auto modes = value.find("serialization_modes"); modes != value.end() && !modes->is_null()) {
    if (!modes->is_array()) {
      return malformed("response", at + ".serialization_modes is not an array");
    }
    for (size_t i = 0; i < modes->size(); ++i) {
      if (!(*modes)[i].is_string()) {
        return malformed("response",
                         at + ".serialization_modes[" + std::to_string(i) + "] is not a string");
      }
      summary.serialization_modes.push_back((*modes)[i].get<std::string>());
    }
  }
  return summary;
}

std::string ConsumerAdmissionResponse::to_json() const {
  json value = json::object();
  value["admitted"] = admitted;
  value["attributes"] = attributes;
  value["services"] = json::array();
  for (const auto& service : services) value["services"].push_back(service.to_json());
  value["registry_namespace"] = registry_namespace;
  value["root_pubkey"] = root_pubkey;
  value["reason"] = "";  // never leak a reason on the wire (0.1.2)
  if (!gossip_topic.empty()) value["gossip_topic"] = gossip_topic;
  return dump_compact(value);
}

Result<ConsumerAdmissionResponse> ConsumerAdmissionResponse::from_json(std::string_view text) {
  ASTER_RETURN_IF_ERROR(check_nesting(text, "response"));
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return malformed("response", "not valid JSON");
  if (!value.is_object()) return malformed("response", "not a JSON object");
  ConsumerAdmissionResponse response;
  auto admitted = value.find("admitted");
  if (admitted == value.end()) return malformed("response", "admitted missing");
  if (!admitted->is_boolean()) return malformed("response", "admitted is not a boolean");
  response.admitted = admitted->get<bool>();
  if (auto attributes = value.find("attributes");
      attributes != value.end() && !attributes->is_null()) {
    if (!attributes->is_object()) return malformed("response", "attributes is not an object");
    response.attributes = *attributes;
  }
  if (auto services = value.find("services"); services != value.end() && !services->is_null()) {
    if (!services->is_array()) return malformed("response", "services is not an array");
    const size_t count = std::min(services->size(), kMaxServices);
    for (size_t i = 0; i < count; ++i) {
      auto summary =
          ServiceSummary::from_json((*services)[i], "services[" + std::to_string(i) + "]");
      if (!summary) return summary.status();
      response.services.push_back(std::move(*summary));
      response.services_as_sent.push_back((*services)[i]);
    }
  }
  for (auto [field, target] : {std::pair{"root_pubkey", &response.root_pubkey},
                               std::pair{"gossip_topic", &response.gossip_topic},
                               std::pair{"reason", &response.reason}}) {
    auto text_value = optional_string(value, field, "response");
    if (!text_value) return text_value.status();
    *target = *text_value;
  }
  auto namespace_id = optional_string(value, "registry_namespace", "response");
  if (!namespace_id) return namespace_id.status();
  response.registry_namespace = *namespace_id;
  if (response.registry_namespace.empty()) {  // 0.1.2 falls back to the older key
    auto ticket = optional_string(value, "registry_ticket", "response");
    if (!ticket) return ticket.status();
    response.registry_namespace = *ticket;
  }
  return response;
}

}  // namespace aster::trust
