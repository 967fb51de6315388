// Binding a service declaration (contract/service.hpp) to handlers: the same ServiceDesc that
// gives the contract_id drives dispatch. Handlers are asio::awaitable coroutines:
//
//   aster::rpc::ServiceImpl impl(hello_service());
//   impl.unary<HelloRequest, HelloResponse>(
//       "say_hello", [](HelloRequest req, aster::rpc::CallContext& ctx)
//                        -> asio::awaitable<aster::Result<HelloResponse>> {
//         co_return HelloResponse{"Hello, " + req.name + "!"};
//       });
//   impl.server_stream<WatchRequest, Tick>(
//       "watch", [](WatchRequest req, CallContext& ctx, ServerWriter<Tick>& out)
//                    -> asio::awaitable<aster::Status> {
//         for (...) { Tick t{...}; ASTER_CO_RETURN_IF_ERROR(co_await out.write(t)); }
//         co_return aster::Status::ok();
//       });
//
// A unary handler returns Result<Resp> (or Resp, throwing aster::RpcError); a non-OK status or
// an RpcError travels to the consumer as the trailer's code and message; any other exception
// becomes UNKNOWN with its what(), as 0.1.2's `normalize_error` does.
// Binding checks the method exists in the declaration with that pattern and those types; the
// Server refuses a ServiceImpl that leaves a declared method without a handler.
#pragma once

#include <asio/awaitable.hpp>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/rpc/call_context.hpp"
#include "aster/rpc/errors.hpp"
#include "aster/rpc/payload.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

// Where a server-stream handler's encoded responses go (one data frame each).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual asio::awaitable<Status> send(std::vector<uint8_t> payload) = 0;
};

template <typename Resp>
class ServerWriter {
 public:
  ServerWriter(ResponseSink& sink, bool json) : sink_(&sink), json_(json) {}
  // Fails (and the handler should return that status) once the consumer went away or the
  // call's deadline passed.
  asio::awaitable<Status> write(const Resp& response) {
    ASTER_CO_ASSIGN_OR_RETURN(auto bytes, encode_payload(response, json_));
    co_return co_await sink_->send(std::move(bytes));
  }

 private:
  ResponseSink* sink_;
  bool json_;
};

// Type-erased handlers working on payload bytes (already decompressed).
struct MethodBinding {
  const contract::MethodDesc* desc = nullptr;
  std::function<asio::awaitable<Result<std::vector<uint8_t>>>(std::vector<uint8_t>, CallContext&)>
      unary;
  std::function<asio::awaitable<Status>(std::vector<uint8_t>, CallContext&, ResponseSink&)>
      server_stream;
};

namespace detail {

// The status an escaped exception stands for (0.1.2 `normalize_error`).
Status status_of_exception(std::exception_ptr e);
bool same_type(const codec::TypeRef& a, const codec::TypeRef& b);

template <typename Req, typename Resp, typename F>
asio::awaitable<Result<std::vector<uint8_t>>> run_unary(std::shared_ptr<F> handler,
                                                       std::vector<uint8_t> bytes,
                                                       CallContext& ctx) {
  auto request = decode_payload<Req>(bytes, ctx.json);
  if (!request.is_ok()) co_return Status(StatusCode::kUnknown, request.status().message());
  Status failed;
  std::optional<Resp> response;
  try {
    using R = typename std::invoke_result_t<F&, Req, CallContext&>::value_type;
    if constexpr (std::is_same_v<R, Result<Resp>>) {
      Result<Resp> r = co_await (*handler)(std::move(*request), ctx);
      if (r.is_ok()) {
        response.emplace(std::move(*r));
      } else {
        failed = r.status();
      }
    } else {
      static_assert(std::is_same_v<R, Resp>, "unary handler must return Resp or Result<Resp>");
      response.emplace(co_await (*handler)(std::move(*request), ctx));
    }
  } catch (...) {
    failed = status_of_exception(std::current_exception());
  }
  if (!failed.is_ok()) co_return failed;
  auto encoded = encode_payload(*response, ctx.json);
  if (!encoded.is_ok()) co_return Status(StatusCode::kUnknown, encoded.status().message());
  co_return std::move(*encoded);
}

template <typename Req, typename Resp, typename F>
asio::awaitable<Status> run_server_stream(std::shared_ptr<F> handler, std::vector<uint8_t> bytes,
                                          CallContext& ctx, ResponseSink& sink) {
  auto request = decode_payload<Req>(bytes, ctx.json);
  if (!request.is_ok()) co_return Status(StatusCode::kUnknown, request.status().message());
  ServerWriter<Resp> writer(sink, ctx.json);
  Status result;
  try {
    result = co_await (*handler)(std::move(*request), ctx, writer);
  } catch (...) {
    result = status_of_exception(std::current_exception());
  }
  co_return result;
}

}  // namespace detail

class ServiceImpl {
 public:
  // `desc` is borrowed: declarations live in function-local statics (service.hpp).
  explicit ServiceImpl(const contract::ServiceDesc& desc) : desc_(&desc) {}

  template <typename Req, typename Resp, typename F>
  ServiceImpl& unary(std::string_view method, F handler) {
    MethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kUnary, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.unary = [h](std::vector<uint8_t> bytes, CallContext& ctx) {
      return detail::run_unary<Req, Resp, F>(h, std::move(bytes), ctx);
    };
    bindings_.emplace(std::string(method), std::move(b));
    return *this;
  }

  template <typename Req, typename Resp, typename F>
  ServiceImpl& server_stream(std::string_view method, F handler) {
    MethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kServerStream, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.server_stream = [h](std::vector<uint8_t> bytes, CallContext& ctx, ResponseSink& sink) {
      return detail::run_server_stream<Req, Resp, F>(h, std::move(bytes), ctx, sink);
    };
    bindings_.emplace(std::string(method), std::move(b));
    return *this;
  }

  const contract::ServiceDesc& desc() const { return *desc_; }
  const MethodBinding* find(std::string_view method) const {
    auto it = bindings_.find(method);
    return it == bindings_.end() ? nullptr : &it->second;
  }
  // OK when every declared method has exactly one handler of the declared shape.
  Status check() const;

 private:
  template <typename Req, typename Resp>
  bool bind(std::string_view method, contract::MethodPattern pattern, MethodBinding& b) {
    const contract::MethodDesc* m = desc_->find_method(method);
    if (!error_.is_ok()) return false;
    if (m == nullptr) {
      error_ = Status(StatusCode::kInvalidArgument,
                      desc_->name() + " declares no method " + std::string(method));
    } else if (m->pattern != pattern) {
      error_ = Status(StatusCode::kInvalidArgument,
                      desc_->name() + "." + m->name + " is declared with another pattern");
    } else if (!detail::same_type(m->request, codec::type_desc<Req>()) ||
               !detail::same_type(m->response, codec::type_desc<Resp>())) {
      error_ = Status(StatusCode::kInvalidArgument,
                      desc_->name() + "." + m->name + ": handler types differ from the declaration");
    } else if (bindings_.count(m->name) != 0) {
      error_ = Status(StatusCode::kInvalidArgument,
                      desc_->name() + "." + m->name + " has two handlers");
    }
    b.desc = m;
    return error_.is_ok();
  }

  const contract::ServiceDesc* desc_;
  std::map<std::string, MethodBinding, std::less<>> bindings_;
  Status error_;
};

}  // namespace aster::rpc
