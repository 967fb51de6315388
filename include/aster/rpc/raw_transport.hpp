// Raw transport: calls by service and method name with aster::Value payloads, the types coming
// from a run-time service description (contract::ServiceDesc built with method_desc() and a
// codec::TypeRegistry, or a static declaration) instead of C++ types. Result-based, no
// exceptions: what a shell or a CLI needs.
//
//   rpc::RawTransport raw(channel, desc, /*version=*/1);
//   Result<Value> reply = co_await raw.unary("say_hello",
//       Value::make_struct("demo.hello/HelloRequest", {{"name", "World"}}));
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "aster/codec/value.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/rpc/call.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

class RawServerStream {
 public:
  RawServerStream(ServerStreamCall call, codec::TypeRef type, bool json)
      : call_(std::move(call)), type_(std::move(type)), json_(json) {}
  // The next response; nullopt after the producer's OK trailer.
  asio::awaitable<Result<std::optional<Value>>> next();
  void cancel() { call_.cancel(); }

 private:
  ServerStreamCall call_;
  codec::TypeRef type_;
  bool json_;
};

class RawClientStream {
 public:
  RawClientStream(ClientStreamCall call, codec::TypeRef request, codec::TypeRef response, bool json)
      : call_(std::move(call)), request_(std::move(request)), response_(std::move(response)),
        json_(json) {}
  asio::awaitable<Status> write(const Value& request);
  // Ends the input; the producer's response.
  asio::awaitable<Result<Value>> finish();
  void cancel() { call_.cancel(); }

 private:
  ClientStreamCall call_;
  codec::TypeRef request_, response_;
  bool json_;
};

class RawBidiStream {
 public:
  RawBidiStream(BidiCall call, codec::TypeRef request, codec::TypeRef response, bool json)
      : call_(std::move(call)), request_(std::move(request)), response_(std::move(response)),
        json_(json) {}
  asio::awaitable<Status> write(const Value& request);
  asio::awaitable<Status> done_writing() { return call_.close_send(); }
  // The next response; nullopt after the producer's OK trailer.
  asio::awaitable<Result<std::optional<Value>>> next();
  void cancel() { call_.cancel(); }

 private:
  BidiCall call_;
  codec::TypeRef request_, response_;
  bool json_;
};

class RawTransport {
 public:
  // `desc` is borrowed and must outlive the transport.
  RawTransport(std::shared_ptr<Channel> channel, const contract::ServiceDesc& desc,
               int64_t version, bool json = false)
      : channel_(std::move(channel)), desc_(&desc), version_(version), json_(json) {}

  asio::awaitable<Result<Value>> unary(std::string method, Value request,
                                       CallOptions options = {});
  asio::awaitable<Result<RawServerStream>> server_stream(std::string method, Value request,
                                                         CallOptions options = {});
  asio::awaitable<Result<RawClientStream>> client_stream(std::string method,
                                                         CallOptions options = {});
  asio::awaitable<Result<RawBidiStream>> bidi(std::string method, CallOptions options = {});

 private:
  std::shared_ptr<Channel> channel_;
  const contract::ServiceDesc* desc_;
  int64_t version_;
  bool json_;
};

}  // namespace aster::rpc
