// Raw transport: calls by service and method name with aster::Value payloads, the types coming
// from a run-time service description (contract::ServiceDesc built with method_desc() and a
// codec::TypeRegistry, or a static declaration) instead of C++ types. Result-based, no
// exceptions: what a shell or a CLI needs.
//
//   rpc::RawTransport raw(channel, desc, /*version=*/1);
//   Result<Value> reply = co_await raw.unary("say_hello",
//       Value::make_struct("demo.hello/HelloRequest", {{"name", "World"}}));
//
// When no C++ type exists, the description comes from what the producer publishes — its
// manifest and type blobs (contract::ManifestTypes) — as `aster call` does:
//
//   auto types = std::make_shared<contract::ManifestTypes>(collection);  // or manifests + blobs
//   ASTER_CO_ASSIGN_OR_RETURN(auto raw, rpc::RawTransport::from_manifest(channel, types,
//                                                                        "Catalog", 2));
//   ASTER_CO_ASSIGN_OR_RETURN(Value item,
//                             types->from_json("demo.catalog/Item", R"({"name":"x"})"));
//   Result<Value> reply = co_await raw.unary("echo", std::move(item));
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "aster/codec/value.hpp"
#include "aster/contract/manifest_types.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/rpc/call.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

class RawServerStream {
 public:
  RawServerStream(ServerStreamCall call, codec::TypeRef type, bool json,
                  const codec::TypeRegistry* registry = nullptr)
      : call_(std::move(call)), type_(std::move(type)), json_(json), registry_(registry) {}
  // The next response; nullopt after the producer's OK trailer.
  asio::awaitable<Result<std::optional<Value>>> next();
  void cancel() { call_.cancel(); }

 private:
  ServerStreamCall call_;
  codec::TypeRef type_;
  bool json_;
  const codec::TypeRegistry* registry_;  // for kAny replies (decode_value_payload)
};

class RawClientStream {
 public:
  RawClientStream(ClientStreamCall call, codec::TypeRef request, codec::TypeRef response, bool json,
                  const codec::TypeRegistry* registry = nullptr)
      : call_(std::move(call)), request_(std::move(request)), response_(std::move(response)),
        json_(json), registry_(registry) {}
  asio::awaitable<Status> write(const Value& request);
  // Ends the input; the producer's response.
  asio::awaitable<Result<Value>> finish();
  void cancel() { call_.cancel(); }

 private:
  ClientStreamCall call_;
  codec::TypeRef request_, response_;
  bool json_;
  const codec::TypeRegistry* registry_;
};

class RawBidiStream {
 public:
  RawBidiStream(BidiCall call, codec::TypeRef request, codec::TypeRef response, bool json,
                const codec::TypeRegistry* registry = nullptr)
      : call_(std::move(call)), request_(std::move(request)), response_(std::move(response)),
        json_(json), registry_(registry) {}
  asio::awaitable<Status> write(const Value& request);
  asio::awaitable<Status> done_writing() { return call_.close_send(); }
  // The next response; nullopt after the producer's OK trailer.
  asio::awaitable<Result<std::optional<Value>>> next();
  void cancel() { call_.cancel(); }

 private:
  BidiCall call_;
  codec::TypeRef request_, response_;
  bool json_;
  const codec::TypeRegistry* registry_;
};

// Whether a service listing these serialization modes is called in JSON mode, as 0.1.2
// chooses (aster-rpc@0972ac9:bindings/python/aster/runtime.py `AsterClient.client`): only when
// they name "json" and not "xlang". An empty list (what 0.1.2 producers put in every admission
// summary) says nothing: XLANG.
bool json_only(const std::vector<std::string>& modes);

class RawTransport {
 public:
  // `desc` is borrowed and must outlive the transport.
  RawTransport(std::shared_ptr<Channel> channel, const contract::ServiceDesc& desc,
               int64_t version, bool json = false)
      : channel_(std::move(channel)), desc_(&desc), version_(version), json_(json) {}

  // The service (name, version) as `types` describes it (its manifest; nested types from the
  // type blobs). The transport shares `types`. A method whose types are not described stays
  // known: calling it fails with the reason (kNotFound, naming the type). kNotFound when
  // `types` has no manifest of (service, version). JSON mode when `json` is set or the
  // manifest's serialization_modes are json_only.
  static Result<RawTransport> from_manifest(std::shared_ptr<Channel> channel,
                                            std::shared_ptr<contract::ManifestTypes> types,
                                            std::string_view service, int32_t version,
                                            bool json = false);

  const contract::ServiceDesc& descriptor() const { return *desc_; }
  // from_manifest: the registry its types live in (for a RawSession over the same
  // description); nullptr otherwise.
  const codec::TypeRegistry* value_registry() const;
  int64_t version() const { return version_; }
  bool json() const { return json_; }
  // The described method, or the reason it cannot be called (kNotFound / kInvalidArgument).
  Result<const contract::MethodDesc*> method(std::string_view name) const;

  asio::awaitable<Result<Value>> unary(std::string method, Value request,
                                       CallOptions options = {});
  asio::awaitable<Result<RawServerStream>> server_stream(std::string method, Value request,
                                                         CallOptions options = {});
  asio::awaitable<Result<RawClientStream>> client_stream(std::string method,
                                                         CallOptions options = {});
  asio::awaitable<Result<RawBidiStream>> bidi(std::string method, CallOptions options = {});

 private:
  struct ManifestBinding;  // from_manifest: the types, the description, unresolved methods
  Result<const contract::MethodDesc*> method(std::string_view name,
                                            contract::MethodPattern pattern) const;

  std::shared_ptr<Channel> channel_;
  std::shared_ptr<const ManifestBinding> binding_;
  const contract::ServiceDesc* desc_;
  int64_t version_;
  bool json_;
};

}  // namespace aster::rpc
