#include "aster/rpc/capability.hpp"

#include <algorithm>

namespace aster::rpc {

namespace {

std::string_view trimmed(std::string_view s) {
  // Python's str.strip(): ASCII whitespace is what matters for role names.
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

}  // namespace

std::set<std::string> caller_roles(const PeerAttributes& attributes) {
  std::set<std::string> roles;
  auto it = attributes.find("aster.role");
  if (it == attributes.end()) return roles;
  std::string_view rest = it->second;
  while (true) {
    const size_t comma = rest.find(',');
    std::string_view role = trimmed(rest.substr(0, comma));
    if (!role.empty()) roles.emplace(role);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return roles;
}

bool satisfies(const contract::CapabilityRequirement& requirement,
               const PeerAttributes& attributes) {
  if (requirement.roles.empty()) return true;
  const std::set<std::string> roles = caller_roles(attributes);
  auto held = [&](const std::string& role) { return roles.count(role) != 0; };
  switch (requirement.kind) {
    case contract::CapabilityKind::kRole:
      return held(requirement.roles.front());
    case contract::CapabilityKind::kAnyOf:
      return std::any_of(requirement.roles.begin(), requirement.roles.end(), held);
    case contract::CapabilityKind::kAllOf:
      return std::all_of(requirement.roles.begin(), requirement.roles.end(), held);
  }
  return false;  // an unknown kind fails closed, as in 0.1.2
}

Status check_capabilities(const contract::ServiceDesc& service, const contract::MethodDesc* method,
                          const PeerAttributes& attributes) {
  if (const auto& required = service.required_capability();
      required && !satisfies(*required, attributes)) {
    return Status(StatusCode::kPermissionDenied,
                  "capability check failed for service '" + service.name() + "'");
  }
  if (method != nullptr && method->requires_ && !satisfies(*method->requires_, attributes)) {
    return Status(StatusCode::kPermissionDenied, "capability check failed for method '" +
                                                     service.name() + "." + method->name + "'");
  }
  return Status::ok();
}

}  // namespace aster::rpc
