// Declaring an Aster service once in C++: the same declaration gives the contract_id, the
// canonical type blobs and manifest.json (here), and later drives server dispatch and the typed
// client (src/rpc). Everything that enters the 0.1.2 contract is here
// (aster-rpc@0972ac9:bindings/python/aster/contract/identity.py `from_service_info`): service
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

#include <string>
#include <utility>

#include "aster/codec/declare.hpp"
#include "aster/contract/service_desc.hpp"

namespace aster::contract {

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
