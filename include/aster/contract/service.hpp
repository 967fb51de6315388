// Declaring an Aster service once in C++: the same declaration gives the contract_id, the
// canonical type blobs and manifest.json (here), and later drives server dispatch and the typed
// client (src/rpc). Everything that enters the 0.1.2 contract is here (sheet §0, §4): service
// name, version, scope, serialization modes, and per method its name, pattern, request and
// response types, idempotent flag and timeout. `requires` is kept for the runtime's capability
// check but, as in 0.1.2, never enters the contract.
//
//   // Message types are declared for the codec (aster/codec/declare.hpp):
//   struct EchoRequest { std::string message; };
//   ASTER_MESSAGE(EchoRequest, "demo/EchoRequest", ASTER_FIELD(message));
//   ...
//   using namespace aster::contract;
//   const ServiceDesc& echo_service() {
//     static const ServiceDesc desc = ServiceDesc("Echo")                 // @service(name=…)
//         .version(1)                                                     // default 1
//         .scope(ScopeKind::kShared)                                      // or kSession
//         .method(unary<EchoRequest, EchoResponse>("echo"))               // @rpc
//         .method(unary<Mixed, EchoResponse>("mixed").timeout(2.5).idempotent())
//         .method(server_stream<Watch, Item>("watch"))                    // @server_stream
//         .method(client_stream<Chunk, Summary>("upload"))                // @client_stream
//         .method(bidi_stream<ChatMessage, ChatMessage>("chat"));         // @bidi_stream
//     return desc;
//   }
//   Result<ContractArtifacts> a = build_contract_artifacts(echo_service());   // contract.hpp
//   a->contract_id;      // == the Python twin's contract_id
//   a->manifest_json;    // == what a 0.1.2 producer publishes at manifests/<contract_id>
//
// For the RPC runtime: a CallHeader/StreamHeader names service + method; dispatch looks the
// method up with ServiceDesc::find_method(name) and reads `pattern` (which stream shape to
// run), `request`/`response` (the codec TypeDescs: decode the request, encode the response;
// for typed handlers the same Req/Resp template arguments give fory_decode<Req>), `timeout`
// (default deadline) and `idempotent` (client retry policy). A typed server binding can pair a
// ServiceDesc with handlers by method name, e.g. `server.add(echo_service(), impl)`, checking
// at registration that every declared method has exactly one handler of the right shape.
// The method name is the Python attribute name (0.1.2 ignores @rpc(name=…) for the contract).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aster/codec/declare.hpp"
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

  ServiceDesc& version(int32_t v) & { version_ = v; return *this; }
  ServiceDesc&& version(int32_t v) && { return std::move(version(v)); }
  ServiceDesc& scope(ScopeKind s) & { scope_ = s; return *this; }
  ServiceDesc&& scope(ScopeKind s) && { return std::move(scope(s)); }
  // Mode names as 0.1.2 writes them: "xlang" (default), "native", "row", "json"; order kept.
  ServiceDesc& serialization_modes(std::vector<std::string> m) & {
    modes_ = std::move(m);
    return *this;
  }
  ServiceDesc&& serialization_modes(std::vector<std::string> m) && {
    return std::move(serialization_modes(std::move(m)));
  }
  ServiceDesc& method(MethodDesc m) & { methods_.push_back(std::move(m)); return *this; }
  ServiceDesc&& method(MethodDesc m) && { return std::move(method(std::move(m))); }
  ServiceDesc& requires_capability(CapabilityRequirement r) & {
    requires_ = std::move(r);
    return *this;
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

// Typed methods: Req/Resp are declared messages (ASTER_MESSAGE) or supported scalars.
template <typename Req, typename Resp>
MethodDesc unary(std::string name) {
  return method_desc(std::move(name), MethodPattern::kUnary, codec::type_desc<Req>(),
                     codec::type_desc<Resp>());
}
template <typename Req, typename Resp>
MethodDesc server_stream(std::string name) {
  return method_desc(std::move(name), MethodPattern::kServerStream, codec::type_desc<Req>(),
                     codec::type_desc<Resp>());
}
template <typename Req, typename Resp>
MethodDesc client_stream(std::string name) {
  return method_desc(std::move(name), MethodPattern::kClientStream, codec::type_desc<Req>(),
                     codec::type_desc<Resp>());
}
template <typename Req, typename Resp>
MethodDesc bidi_stream(std::string name) {
  return method_desc(std::move(name), MethodPattern::kBidiStream, codec::type_desc<Req>(),
                     codec::type_desc<Resp>());
}

}  // namespace aster::contract
