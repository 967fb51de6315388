// The typed consumer: a service's declaration (contract/service.hpp) plus one line per method
// gives member functions that call the producer. Errors are exceptions here (errors.hpp):
// RpcError with code() for a non-OK status.
//
//   struct HelloService {
//     static const aster::contract::ServiceDesc& descriptor();   // the declaration
//     class Client : public aster::rpc::ServiceClient {
//      public:
//       using ServiceClient::ServiceClient;
//       asio::awaitable<HelloResponse> say_hello(HelloRequest req, aster::rpc::CallOptions o = {}) {
//         return unary<HelloResponse>("say_hello", std::move(req), std::move(o));
//       }
//     };
//   };
//   auto hello = co_await client.client<HelloService>();
//   HelloRequest req{"World"};
//   HelloResponse r = co_await hello.say_hello(std::move(req));
//
// Streaming methods return the call in progress:
//   server stream:  ServerStream<Resp>            next() until nullopt
//   client stream:  ClientStreamWriter<Req, Resp> write(req)…, then finish() → Resp
//   bidi:           BidiStream<Req, Resp>         write(req), done_writing(), next()
// declared as `return client_stream<Summary, Chunk>("upload", std::move(o));` and
// `return bidi<ChatMessage, ChatMessage>("chat", std::move(o));`.
//
// Name request objects instead of writing `co_await f(Type{...})`: GCC 12 destroys a braced
// aggregate temporary inside a co_await expression twice (reproduced with plain Asio; fixed in
// later GCC), so every call site here and in the tests uses a named variable.
//
// Each call checks the method against the declaration (name, pattern, types), so the same
// declaration that gives the contract_id and drives the server's dispatch drives the client.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "aster/codec/declare.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/rpc/call.hpp"
#include "aster/rpc/errors.hpp"
#include "aster/rpc/payload.hpp"
#include "aster/transport/endpoint.hpp"

namespace aster::rpc {

namespace detail {
// The method declared under `name` with `pattern`, or the error a wrong call deserves.
Result<const contract::MethodDesc*> declared_method(const contract::ServiceDesc& desc,
                                                  std::string_view name,
                                                  contract::MethodPattern pattern);
bool same_type(const codec::TypeRef& a, const codec::TypeRef& b);
}  // namespace detail

// A server stream's responses, as they arrive: `while (auto item = co_await s.next()) …`.
template <typename Resp>
class ServerStream {
 public:
  ServerStream(ServerStreamCall call, bool json) : call_(std::move(call)), json_(json) {}
  // The next response; nullopt after the producer's OK trailer. Throws RpcError.
  asio::awaitable<std::optional<Resp>> next() {
    auto bytes = co_await call_.next();
    if (!bytes.is_ok()) throw RpcError(bytes.status());
    if (!bytes->has_value()) co_return std::nullopt;
    auto value = decode_payload<Resp>(**bytes, json_);
    if (!value.is_ok()) {
      call_.cancel();
      throw RpcError(value.status());
    }
    co_return std::move(*value);
  }
  // Stops receiving (STOP_SENDING); the producer's next write fails.
  void cancel() { call_.cancel(); }

 private:
  ServerStreamCall call_;
  bool json_;
};

// A client stream's input, then its one response:
// `co_await w.write(chunk); …; Summary s = co_await w.finish();`.
template <typename Req, typename Resp>
class ClientStreamWriter {
 public:
  ClientStreamWriter(ClientStreamCall call, bool json) : call_(std::move(call)), json_(json) {}
  // Sends one request. Throws RpcError when the call already failed (the producer's status).
  asio::awaitable<void> write(const Req& request) {
    auto bytes = encode_payload(request, json_);
    if (!bytes.is_ok()) throw RpcError(StatusCode::kInvalidArgument, bytes.status().message());
    Status st = co_await call_.write(*bytes);
    if (!st.is_ok()) throw RpcError(st);
  }
  // Ends the input and returns the producer's response. Throws RpcError.
  asio::awaitable<Resp> finish() {
    auto bytes = co_await call_.finish();
    if (!bytes.is_ok()) throw RpcError(bytes.status());
    auto value = decode_payload<Resp>(*bytes, json_);
    if (!value.is_ok()) throw RpcError(StatusCode::kInternal, value.status().message());
    co_return std::move(*value);
  }
  // Abandons the call.
  void cancel() { call_.cancel(); }

 private:
  ClientStreamCall call_;
  bool json_;
};

// A bidi call: write() and next() may be awaited concurrently; the producer may end the call
// before done_writing().
template <typename Req, typename Resp>
class BidiStream {
 public:
  BidiStream(BidiCall call, bool json) : call_(std::move(call)), json_(json) {}
  // Sends one request. Throws RpcError.
  asio::awaitable<void> write(const Req& request) {
    auto bytes = encode_payload(request, json_);
    if (!bytes.is_ok()) throw RpcError(StatusCode::kInvalidArgument, bytes.status().message());
    Status st = co_await call_.write(*bytes);
    if (!st.is_ok()) throw RpcError(st);
  }
  // Ends the input (FIN); responses keep coming. Throws RpcError.
  asio::awaitable<void> done_writing() {
    Status st = co_await call_.close_send();
    if (!st.is_ok()) throw RpcError(st);
  }
  // The next response; nullopt after the producer's OK trailer. Throws RpcError.
  asio::awaitable<std::optional<Resp>> next() {
    auto bytes = co_await call_.next();
    if (!bytes.is_ok()) throw RpcError(bytes.status());
    if (!bytes->has_value()) co_return std::nullopt;
    auto value = decode_payload<Resp>(**bytes, json_);
    if (!value.is_ok()) {
      call_.cancel();
      throw RpcError(StatusCode::kInternal, value.status().message());
    }
    co_return std::move(*value);
  }
  // Abandons the call (both directions).
  void cancel() { call_.cancel(); }

 private:
  BidiCall call_;
  bool json_;
};

class ServiceClient {
 public:
  ServiceClient(std::shared_ptr<Channel> channel, const contract::ServiceDesc& desc,
                int64_t version, bool json = false)
      : channel_(std::move(channel)), desc_(&desc), version_(version), json_(json) {}

  const contract::ServiceDesc& descriptor() const { return *desc_; }
  int64_t version() const { return version_; }

 protected:
  template <typename Resp, typename Req>
  asio::awaitable<Resp> unary(std::string method, Req request, CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kUnary);
    // The HEADER frame, then the payload encoded where its frame goes (framed_payload): no
    // buffer of its own for the payload. Named, not temporaries in the co_await expression
    // (GCC 12: docs/rpc.md). The target and a plain call's header are the ones checked() keeps
    // for this method, until this coroutine first waits (another call may change them then).
    std::vector<uint8_t> scratch;
    auto header = last_header(options, scratch);
    if (!header.is_ok()) throw RpcError(header.status());
    auto framed = framed_payload(request, json_, *header, {}, StatusCode::kInvalidArgument);
    if (!framed.is_ok()) throw RpcError(framed.status());
    UnaryResponse bytes;
    Status done;
    if (transport::Connection* conn = unary_connection(*channel_, options)) {
      // call_unary_framed's QUIC path in this coroutine: a frame fewer per call.
      auto opening = conn->try_open_bi_call(*framed, transport::Connection::kAcceptFirstBytes,
                                            kUnaryCancelCode);
      Result<transport::OpenedCall> opened = co_await std::move(opening);
      if (auto settled = settle_unary(opened, bytes)) {
        done = std::move(*settled);
      } else {
        const CallTarget to = target(method);
        auto rest = call_unary_opened(*channel_, to, *framed, options, bytes,
                                      std::move(*opened));
        done = co_await std::move(rest);
      }
    } else {
      const CallTarget to = target(method);
      auto call = call_unary_framed(*channel_, to, std::move(framed), options, bytes);
      done = co_await std::move(call);
    }
    if (!done.is_ok()) throw RpcError(std::move(done));
    auto response = decode_payload<Resp>(bytes.bytes(), json_);
    if (!response.is_ok()) throw RpcError(StatusCode::kInternal, response.status().message());
    co_return std::move(*response);
  }

  template <typename Resp, typename Req>
  asio::awaitable<ServerStream<Resp>> server_stream(std::string method, Req request,
                                                    CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kServerStream);
    auto payload = encode_payload(request, json_);
    if (!payload.is_ok()) throw RpcError(StatusCode::kInvalidArgument, payload.status().message());
    auto call = co_await ServerStreamCall::start(*channel_, target(method), *payload, options);
    if (!call.is_ok()) throw RpcError(call.status());
    co_return ServerStream<Resp>(std::move(*call), json_);
  }

  template <typename Resp, typename Req>
  asio::awaitable<ClientStreamWriter<Req, Resp>> client_stream(std::string method,
                                                                CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kClientStream);
    auto stream = co_await channel_->open_stream();
    if (!stream.is_ok()) throw RpcError(StatusCode::kUnavailable, stream.status().message());
    auto call = co_await ClientStreamCall::start(std::move(*stream), target(method), options);
    if (!call.is_ok()) throw RpcError(call.status());
    co_return ClientStreamWriter<Req, Resp>(std::move(*call), json_);
  }

  template <typename Resp, typename Req>
  asio::awaitable<BidiStream<Req, Resp>> bidi(std::string method, CallOptions options = {}) {
    checked<Req, Resp>(method, contract::MethodPattern::kBidiStream);
    auto stream = co_await channel_->open_stream();
    if (!stream.is_ok()) throw RpcError(StatusCode::kUnavailable, stream.status().message());
    auto call = co_await BidiCall::start(std::move(*stream), target(method), options);
    if (!call.is_ok()) throw RpcError(call.status());
    co_return BidiStream<Req, Resp>(std::move(*call), json_);
  }

 private:
  template <typename Req, typename Resp>
  const contract::MethodDesc* checked(const std::string& method, contract::MethodPattern p) {
    // Built once per type pair, not per call (each build allocates the TypeDesc tree).
    static const codec::TypeRef request_type = codec::type_desc<Req>();
    static const codec::TypeRef response_type = codec::type_desc<Resp>();
    // The last method that passed, checked again only when another is called: the lookup and
    // the two type comparisons were ≈ 300 instructions of every call (callgrind,
    // aster_rpc_bench local).
    if (last_checked_.desc != nullptr && last_checked_.types == &request_type &&
        last_checked_.pattern == p && last_checked_.method == method) {
      return last_checked_.desc;
    }
    auto m = detail::declared_method(*desc_, method, p);
    if (!m.is_ok()) throw RpcError(m.status());
    if (!detail::same_type((*m)->request, request_type) ||
        !detail::same_type((*m)->response, response_type)) {
      throw RpcError(StatusCode::kInvalidArgument,
                     desc_->name() + "." + method + ": types differ from the declaration");
    }
    last_checked_ = LastChecked{*m, &request_type, p, method, target(method), {}};
    return *m;
  }
  // The HEADER frame of a call to the method checked() passed last: for a plain call (no
  // timeout or metadata) the copy kept with it, else built in `scratch` (header_frame).
  // Valid until the caller first waits.
  Result<std::span<const uint8_t>> last_header(const CallOptions& options,
                                               std::vector<uint8_t>& scratch) {
    if (options.timeout || !options.metadata.empty()) {
      return header_frame(last_checked_.target, "", options, scratch);
    }
    if (last_checked_.plain_header.empty()) {
      ASTER_ASSIGN_OR_RETURN(auto built, header_frame(last_checked_.target, "", options, scratch));
      last_checked_.plain_header.assign(built.begin(), built.end());
    }
    return std::span<const uint8_t>(last_checked_.plain_header);
  }
  CallTarget target(const std::string& method) const {
    return CallTarget{desc_->name(), version_, method, json_};
  }

  std::shared_ptr<Channel> channel_;
  const contract::ServiceDesc* desc_;
  int64_t version_;
  bool json_;
  // checked()'s last success: the method, its pattern and (by the address of its static
  // request type, one per type pair) the C++ types it was called with. Unguarded: a client's
  // calls start on its runtime's io thread, as every transport operation does.
  struct LastChecked {
    const contract::MethodDesc* desc = nullptr;
    const void* types = nullptr;
    contract::MethodPattern pattern = contract::MethodPattern::kUnary;
    std::string method;
    CallTarget target;                  // target(method)
    std::vector<uint8_t> plain_header;  // last_header(): built by the first plain call
  };
  LastChecked last_checked_;
};

}  // namespace aster::rpc
