// Gate 3: a service's and a method's `requires` against the caller's admission attributes, as a
// 0.1.2 producer checks them before a call reaches its handler
// (aster-rpc@0972ac9:bindings/python/aster/interceptors/capability.py `CapabilityInterceptor`,
// trust/rcan.py `evaluate_capability`).
//
// The caller's capabilities are the attribute `aster.role` split on ",", each trimmed, empties
// dropped (`aster enroll node -c ops.status,ops.logs`). A requirement of kind
//   kRole  holds when its first role is among them (0.1.2 reads only roles[0]);
//   kAnyOf holds when one of its roles is among them;
//   kAllOf holds when all of its roles are.
// A requirement with no roles always holds. The service-level and the method-level requirement
// must both hold; a denial is PERMISSION_DENIED (7) with 0.1.2's message. On an open gate the
// attributes are empty, so every `requires` denies.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "aster/contract/service_desc.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

using PeerAttributes = std::map<std::string, std::string>;

std::set<std::string> caller_roles(const PeerAttributes& attributes);

bool satisfies(const contract::CapabilityRequirement& requirement,
               const PeerAttributes& attributes);

// OK, or PERMISSION_DENIED "capability check failed for service 'S'" (service level first) /
// "capability check failed for method 'S.m'". `method` may be null (no method-level check).
Status check_capabilities(const contract::ServiceDesc& service, const contract::MethodDesc* method,
                          const PeerAttributes& attributes);

}  // namespace aster::rpc
