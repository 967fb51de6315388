// ServiceDesc and MethodDesc: the runtime form of a service declaration (see service.hpp for
// the typed way to write one, and how it is used). Depends only on the codec's type
// descriptions, not on its declaration machinery.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aster/codec/type_desc.hpp"
#include "aster/contract/definitions.hpp"

namespace aster::contract {

struct MethodDesc {
  std::string name;
  MethodPattern pattern = MethodPattern::kUnary;
  codec::TypeRef request;   // a kStruct (a bare primitive is allowed, as in 0.1.2)
  codec::TypeRef response;  // for streams: the element type of the stream
  bool is_idempotent = false;
  std::optional<double> timeout_seconds;  // default deadline; 0.0 in the contract when unset
  std::optional<CapabilityRequirement> requires_;  // runtime check only; never in contract_id

  // `@rpc(requires=…)`: the caller's `aster.role` must satisfy it (rpc/capability.hpp).
  MethodDesc& requires_capability(CapabilityRequirement r) & {
    requires_ = std::move(r);
    return *this;
  }
  MethodDesc&& requires_capability(CapabilityRequirement r) && {
    return std::move(requires_capability(std::move(r)));
  }
  MethodDesc& timeout(double seconds) & {
    timeout_seconds = seconds;
    return *this;
  }
  MethodDesc&& timeout(double seconds) && { return std::move(timeout(seconds)); }
  MethodDesc& idempotent(bool value = true) & {
    is_idempotent = value;
    return *this;
  }
  MethodDesc&& idempotent(bool value = true) && { return std::move(idempotent(value)); }
};

class ServiceDesc {
 public:
  ServiceDesc() = default;
  explicit ServiceDesc(std::string name) : name_(std::move(name)) {}

  ServiceDesc& version(int32_t v) & {
    version_ = v;
    return *this;
  }
  ServiceDesc&& version(int32_t v) && { return std::move(version(v)); }
  ServiceDesc& scope(ScopeKind s) & {
    scope_ = s;
    return *this;
  }
  ServiceDesc&& scope(ScopeKind s) && { return std::move(scope(s)); }
  // Mode names as 0.1.2 writes them: "xlang" (default), "native", "row", "json"; order kept.
  ServiceDesc& serialization_modes(std::vector<std::string> m) & {
    modes_ = std::move(m);
    return *this;
  }
  ServiceDesc&& serialization_modes(std::vector<std::string> m) && {
    return std::move(serialization_modes(std::move(m)));
  }
  ServiceDesc& method(MethodDesc m) & {
    methods_.push_back(std::move(m));
    return *this;
  }
  ServiceDesc&& method(MethodDesc m) && { return std::move(method(std::move(m))); }
  // `@service(requires=…)`: checked on every method, before the method's own requirement.
  ServiceDesc& requires_capability(CapabilityRequirement r) & {
    requires_ = std::move(r);
    return *this;
  }
  ServiceDesc&& requires_capability(CapabilityRequirement r) && {
    return std::move(requires_capability(std::move(r)));
  }

  const std::string& name() const { return name_; }
  int32_t version() const { return version_; }
  ScopeKind scope() const { return scope_; }
  const std::vector<std::string>& serialization_modes() const { return modes_; }
  const std::vector<MethodDesc>& methods() const { return methods_; }
  const std::optional<CapabilityRequirement>& required_capability() const { return requires_; }
  const MethodDesc* find_method(std::string_view name) const {
    for (const auto& m : methods_) {
      if (m.name == name) return &m;
    }
    return nullptr;
  }

 private:
  std::string name_;
  int32_t version_ = 1;
  ScopeKind scope_ = ScopeKind::kShared;
  std::vector<std::string> modes_{"xlang"};
  std::vector<MethodDesc> methods_;
  std::optional<CapabilityRequirement> requires_;
};

// A method from runtime type descriptions (shell, tests, manifests).
inline MethodDesc method_desc(std::string name, MethodPattern pattern, codec::TypeRef request,
                              codec::TypeRef response) {
  MethodDesc m;
  m.name = std::move(name);
  m.pattern = pattern;
  m.request = std::move(request);
  m.response = std::move(response);
  return m;
}

}  // namespace aster::contract
