#include "aster/rpc/raw_transport.hpp"

#include "aster/rpc/payload.hpp"
#include "aster/rpc/service_client.hpp"

namespace aster::rpc {

asio::awaitable<Result<std::optional<Value>>> RawServerStream::next() {
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await call_.next());
  if (!bytes) co_return std::optional<Value>();
  auto value = decode_value_payload(*bytes, *type_, json_);
  if (!value.is_ok()) {
    call_.cancel();
    co_return Status(StatusCode::kInternal, value.status().message());
  }
  co_return std::optional<Value>(std::move(*value));
}

asio::awaitable<Result<Value>> RawTransport::unary(std::string method, Value request,
                                                   CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kUnary));
  auto payload = encode_value_payload(request, *m->request, json_);
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await channel_->open_stream());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await call_unary(*stream, target, *payload, options));
  auto value = decode_value_payload(bytes, *m->response, json_);
  if (!value.is_ok()) co_return Status(StatusCode::kInternal, value.status().message());
  co_return std::move(*value);
}

asio::awaitable<Result<RawServerStream>> RawTransport::server_stream(std::string method,
                                                                     Value request,
                                                                     CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kServerStream));
  auto payload = encode_value_payload(request, *m->request, json_);
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await channel_->open_stream());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(
      auto call, co_await ServerStreamCall::start(std::move(stream), target, *payload, options));
  co_return RawServerStream(std::move(call), m->response, json_);
}

asio::awaitable<Status> RawClientStream::write(const Value& request) {
  auto payload = encode_value_payload(request, *request_, json_);
  if (!payload.is_ok()) co_return Status(StatusCode::kInvalidArgument, payload.status().message());
  co_return co_await call_.write(*payload);
}

asio::awaitable<Result<Value>> RawClientStream::finish() {
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, co_await call_.finish());
  auto value = decode_value_payload(bytes, *response_, json_);
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
  auto value = decode_value_payload(*bytes, *response_, json_);
  if (!value.is_ok()) {
    call_.cancel();
    co_return Status(StatusCode::kInternal, value.status().message());
  }
  co_return std::optional<Value>(std::move(*value));
}

asio::awaitable<Result<RawClientStream>> RawTransport::client_stream(std::string method,
                                                                     CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kClientStream));
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await channel_->open_stream());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(auto call,
                            co_await ClientStreamCall::start(std::move(stream), target, options));
  co_return RawClientStream(std::move(call), m->request, m->response, json_);
}

asio::awaitable<Result<RawBidiStream>> RawTransport::bidi(std::string method,
                                                          CallOptions options) {
  ASTER_CO_ASSIGN_OR_RETURN(
      const contract::MethodDesc* m,
      detail::declared_method(*desc_, method, contract::MethodPattern::kBidiStream));
  ASTER_CO_ASSIGN_OR_RETURN(auto stream, co_await channel_->open_stream());
  const CallTarget target{desc_->name(), version_, method, json_};
  ASTER_CO_ASSIGN_OR_RETURN(auto call,
                            co_await BidiCall::start(std::move(stream), target, options));
  co_return RawBidiStream(std::move(call), m->request, m->response, json_);
}

}  // namespace aster::rpc
