#include "aster/rpc/raw_transport.hpp"

#include <algorithm>
#include <map>

#include "aster/rpc/payload.hpp"
#include "aster/rpc/service_client.hpp"

namespace aster::rpc {

bool json_only(const std::vector<std::string>& modes) {
  return std::find(modes.begin(), modes.end(), "xlang") == modes.end() &&
         std::find(modes.begin(), modes.end(), "json") != modes.end();
}

struct RawTransport::ManifestBinding {
  std::shared_ptr<contract::ManifestTypes> types;
  contract::ServiceDesc desc;
  std::map<std::string, Status, std::less<>> unresolved;  // method → why it has no types
};

Result<RawTransport> RawTransport::from_manifest(std::shared_ptr<Channel> channel,
                                                 std::shared_ptr<contract::ManifestTypes> types,
                                                 std::string_view service, int32_t version,
                                                 bool json) {
  if (!types) return Status(StatusCode::kInvalidArgument, "no manifest types");
  const contract::ContractManifest* manifest = types->find_manifest(service, version);
  if (manifest == nullptr) {
    return Status(StatusCode::kNotFound, "no manifest for " + std::string(service) + " v" +
                                             std::to_string(version));
  }
  auto binding = std::make_shared<ManifestBinding>();
  binding->desc = contract::ServiceDesc(manifest->service);
  binding->desc.version(manifest->version)
      .scope(manifest->scoped == "session" ? contract::ScopeKind::kSession
                                           : contract::ScopeKind::kShared);
  binding->desc.serialization_modes(manifest->serialization_modes);
  for (const auto& m : manifest->methods) {
    auto method = types->method_desc(*manifest, m.name);
    if (method.is_ok()) {
      binding->desc.method(std::move(method).value());
    } else {
      binding->unresolved.emplace(m.name, method.status());
    }
  }
  binding->types = std::move(types);
  // 0.1.2 producers leave the admission summary's modes empty: a JSON-only service says so
  // only in its contract, hence its manifest.
  json = json || json_only(manifest->serialization_modes);
  RawTransport transport(std::move(channel), binding->desc, version, json);
  transport.binding_ = std::move(binding);
  return transport;
}

const codec::TypeRegistry* RawTransport::value_registry() const {
  return binding_ ? &binding_->types->registry() : nullptr;
}

Result<const contract::MethodDesc*> RawTransport::method(std::string_view name) const {
  if (binding_) {
    if (auto it = binding_->unresolved.find(name); it != binding_->unresolved.end()) {
      return it->second;
    }
  }
  const contract::MethodDesc* m = desc_->find_method(name);
  if (m == nullptr) {
    return Status(StatusCode::kUnimplemented,
                  desc_->name() + " declares no method " + std::string(name));
  }
  return m;
}

Result<const contract::MethodDesc*> RawTransport::method(std::string_view name,
                                                         contract::MethodPattern pattern) const {
  ASTER_ASSIGN_OR_RETURN(const contract::MethodDesc* m, method(name));
  if (m->pattern != pattern) {
    return Status(StatusCode::kInvalidArgument,
                  desc_->name() + "." + m->name + " is a " +
                      std::string(contract::method_pattern_name(m->pattern)) + " method");
  }
  return m;
}

asio::awaitable<Result<std::optional<Value>>> RawServerStream::next() {
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await call_.next());
  if (!bytes) co_return std::optional<Value>();
  auto value = decode_value_payload(*bytes, *type_, json_, registry_);
  if (!value.is_ok()) {
    call_.cancel();
    co_return Status(StatusCode::kInternal, value.status().message());
  }
  co_return std::optional<Value>(std::move(*value));
}

asio::awaitable<Result<Value>> RawTransport::unary(std::string method, Value request,
                                                   CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(const contract::MethodDesc* m,
                            this->method(method, contract::MethodPattern::kUnary));
  auto payload = encode_value_payload(request, *m->request, json_);
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await call_unary(*channel_, target, *payload, options));
  auto value = decode_value_payload(bytes, *m->response, json_, value_registry());
  if (!value.is_ok()) co_return Status(StatusCode::kInternal, value.status().message());
  co_return std::move(*value);
}

asio::awaitable<Result<RawServerStream>> RawTransport::server_stream(std::string method,
                                                                     Value request,
                                                                     CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(const contract::MethodDesc* m,
                            this->method(method, contract::MethodPattern::kServerStream));
  auto payload = encode_value_payload(request, *m->request, json_);
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(
      auto call, co_await ServerStreamCall::start(*channel_, target, *payload, options));
  co_return RawServerStream(std::move(call), m->response, json_, value_registry());
}

asio::awaitable<Status> RawClientStream::write(const Value& request) {
  auto payload = encode_value_payload(request, *request_, json_);
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  co_return co_await call_.write(*payload);
}

asio::awaitable<Result<Value>> RawClientStream::finish() {
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await call_.finish());
  auto value = decode_value_payload(bytes, *response_, json_, registry_);
  if (!value.is_ok()) co_return Status(StatusCode::kInternal, value.status().message());
  co_return std::move(*value);
}

asio::awaitable<Status> RawBidiStream::write(const Value& request) {
  auto payload = encode_value_payload(request, *request_, json_);
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  co_return co_await call_.write(*payload);
}

asio::awaitable<Result<std::optional<Value>>> RawBidiStream::next() {
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await call_.next());
  if (!bytes) co_return std::optional<Value>();
  auto value = decode_value_payload(*bytes, *response_, json_, registry_);
  if (!value.is_ok()) {
    call_.cancel();
    co_return Status(StatusCode::kInternal, value.status().message());
  }
  co_return std::optional<Value>(std::move(*value));
}

asio::awaitable<Result<RawClientStream>> RawTransport::client_stream(std::string method,
                                                                     CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(const contract::MethodDesc* m,
                            this->method(method, contract::MethodPattern::kClientStream));
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await channel_->open_stream());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(auto call,
                            co_await ClientStreamCall::start(std::move(stream), target, options));
  co_return RawClientStream(std::move(call), m->request, m->response, json_, value_registry());
}

asio::awaitable<Result<RawBidiStream>> RawTransport::bidi(std::string method,
                                                          CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(const contract::MethodDesc* m,
                            this->method(method, contract::MethodPattern::kBidiStream));
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await channel_->open_stream());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(auto call,
                            co_await BidiCall::start(std::move(stream), target, options));
  co_return RawBidiStream(std::move(call), m->request, m->response, json_, value_registry());
}

}  // namespace aster::rpc
