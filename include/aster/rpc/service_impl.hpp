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
//   impl.client_stream<Chunk, Summary>(
//       "upload", [](ServerReader<Chunk>& in, CallContext& ctx)
//                     -> asio::awaitable<aster::Result<Summary>> {
//         Summary s;
//         while (auto chunk = co_await in.next()) s.bytes += chunk->data.size();
//         co_return s;
//       });
//   impl.bidi<ChatMessage, ChatMessage>(
//       "chat", [](ServerReader<ChatMessage>& in, CallContext& ctx,
//                  ServerWriter<ChatMessage>& out) -> asio::awaitable<aster::Status> {
//         while (auto m = co_await in.next()) ASTER_CO_RETURN_IF_ERROR(co_await out.write(*m));
//         co_return aster::Status::ok();
//       });
//
// A unary or client-stream handler returns Result<Resp> (or Resp, throwing aster::RpcError); a
// non-OK status or an RpcError travels to the consumer as the trailer's code and message; any
// other exception becomes UNKNOWN with its what(), as 0.1.2's `normalize_error` does.
// ServerReader::next() yields nullopt at the end of input, and also when input failed (a
// request that does not decode, too many items, a broken stream, the deadline): the handler
// just stops reading, and whatever it returns, the call ends with the failure's status.
// Readers and writers sit on two small byte-level interfaces (RequestSource, ResponseSink), so
// the stateless dispatcher and a session (CALL/TRAILER framing on one stream) run the same
// typed handlers through MethodBinding.
// Binding checks the method exists in the declaration with that pattern and those types; the
// Server refuses a ServiceImpl that leaves a declared method without a handler.
#pragma once

#include <asio/awaitable.hpp>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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

// Where a server-stream or bidi handler's encoded responses go (one data frame each).
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

// Where a client-stream or bidi handler's requests come from: payloads (decompressed) in
// arrival order. The stateless dispatcher reads the call's data frames up to FIN (or an
// end-of-input TRAILER); a session reads them between CALL and its end-of-input TRAILER.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // The next request payload; nullopt at the end of input, or once input failed (the source
  // keeps the reason for whoever owns it; the handler just sees the end).
  virtual asio::awaitable<std::optional<std::vector<uint8_t>>> next() = 0;
  // A payload could not be decoded: ends input with `status`. Called by ServerReader.
  virtual void fail(Status status) = 0;
};

template <typename Req>
class ServerReader {
 public:
  ServerReader(RequestSource& source, bool json) : source_(&source), json_(json) {}
  // The next request; nullopt at the end of input (or when input failed, see the file comment).
  asio::awaitable<std::optional<Req>> next() {
    if (ended_) co_return std::nullopt;
    std::optional<std::vector<uint8_t>> bytes = co_await source_->next();
    if (!bytes) {
      ended_ = true;
      co_return std::nullopt;
    }
    auto request = decode_payload<Req>(*bytes, json_);
    if (!request.is_ok()) {
      // 0.1.2 raises on an undecodable request, which normalize_error makes UNKNOWN.
      ended_ = true;
      source_->fail(Status(StatusCode::kUnknown, request.status().message()));
      co_return std::nullopt;
    }
    co_return std::optional<Req>(std::move(*request));
  }

 private:
  RequestSource* source_;
  bool json_;
  bool ended_ = false;
};

// Type-erased handlers working on payload bytes (already decompressed). Exactly one of the four
// is set, per the method's pattern.
struct MethodBinding {
  const contract::MethodDesc* desc = nullptr;
  // The request payload stays valid while the call runs (it is often read where the stream's
  // bytes arrived). On success the answer is the call's last write, framed: the response's
  // data frame and the OK trailer (one buffer, no copy of the encoded response).
  std::function<asio::awaitable<Result<std::vector<uint8_t>>>(std::span<const uint8_t>,
                                                              CallContext&)>
      unary;
  std::function<asio::awaitable<Status>(std::vector<uint8_t>, CallContext&, ResponseSink&)>
      server_stream;
  std::function<asio::awaitable<Result<std::vector<uint8_t>>>(RequestSource&, CallContext&)>
      client_stream;
  std::function<asio::awaitable<Status>(RequestSource&, CallContext&, ResponseSink&)> bidi;
};

namespace detail {

// The status an escaped exception stands for (0.1.2 `normalize_error`).
Status status_of_exception(std::exception_ptr e);
bool same_type(const codec::TypeRef& a, const codec::TypeRef& b);

// How a call's failures become its status: stateless calls follow 0.1.2's `normalize_error`
// (escaped exceptions and unencodable responses are UNKNOWN); sessions map them to INTERNAL
// (session_impl.hpp).
struct ErrorStatuses {
  Status (*of_exception)(std::exception_ptr);
  StatusCode encode_failure;
};
inline constexpr ErrorStatuses kStatelessErrors{&status_of_exception, StatusCode::kUnknown};

// Awaits a unary or client-stream handler's call (returning Result<Resp> or Resp) and encodes
// its response; errors and escaped exceptions become the call's status.
template <typename Resp, typename R>
asio::awaitable<Result<std::vector<uint8_t>>> encoded_response(
    asio::awaitable<R> call, bool json, ErrorStatuses errors = kStatelessErrors) {
  static_assert(std::is_same_v<R, Result<Resp>> || std::is_same_v<R, Resp>,
                "handler must return Resp or Result<Resp>");
  Status failed;
  std::optional<Resp> response;
  try {
    if constexpr (std::is_same_v<R, Result<Resp>>) {
      Result<Resp> r = co_await std::move(call);
      if (r.is_ok()) {
        response.emplace(std::move(*r));
      } else {
        failed = r.status();
      }
    } else {
      response.emplace(co_await std::move(call));
    }
  } catch (...) {
    failed = errors.of_exception(std::current_exception());
  }
  if (!failed.is_ok()) co_return failed;
  auto encoded = encode_payload(*response, json);
  if (!encoded.is_ok()) co_return Status(errors.encode_failure, encoded.status().message());
  co_return std::move(*encoded);
}

// The OK trailer as a whole frame, in either mode: the same bytes end every successful call.
std::span<const uint8_t> ok_trailer_frame(bool json);

template <typename Req, typename Resp, typename F>
// `handler` is the binding's own (ServiceImpl::unary), which outlives every call of it: a
// shared_ptr copy per call was two atomic updates for nothing.
asio::awaitable<Result<std::vector<uint8_t>>> run_unary(F* handler, std::span<const uint8_t> bytes,
                                                       CallContext& ctx) {
  auto request = decode_payload<Req>(bytes, ctx.json);
  if (!request.is_ok()) co_return Status(StatusCode::kUnknown, request.status().message());
  using R = typename std::invoke_result_t<F&, Req, CallContext&>::value_type;
  static_assert(std::is_same_v<R, Result<Resp>> || std::is_same_v<R, Resp>,
                "handler must return Resp or Result<Resp>");
  // encoded_response's steps written out here: a coroutine frame fewer on every unary call.
  Status failed;
  std::optional<Resp> response;
  try {
    if constexpr (std::is_same_v<R, Result<Resp>>) {
      Result<Resp> r = co_await (*handler)(std::move(*request), ctx);
      if (r.is_ok()) {
        response.emplace(std::move(*r));
      } else {
        failed = r.status();
      }
    } else {
      response.emplace(co_await (*handler)(std::move(*request), ctx));
    }
  } catch (...) {
    failed = kStatelessErrors.of_exception(std::current_exception());
  }
  if (!failed.is_ok()) co_return failed;
  // A response the wire refuses (over kMaxFrameSize) is UNKNOWN as well, as 0.1.2's failed
  // write of it is.
  auto out = framed_payload(*response, ctx.json, {}, ok_trailer_frame(ctx.json),
                            kStatelessErrors.encode_failure);
  if (!out.is_ok()) co_return Status(kStatelessErrors.encode_failure, out.status().message());
  co_return std::move(*out);
}

template <typename Req, typename Resp, typename F>
asio::awaitable<Result<std::vector<uint8_t>>> run_client_stream(std::shared_ptr<F> handler,
                                                               RequestSource& source,
                                                               CallContext& ctx) {
  ServerReader<Req> reader(source, ctx.json);
  using R = typename std::invoke_result_t<F&, ServerReader<Req>&, CallContext&>::value_type;
  co_return co_await encoded_response<Resp, R>((*handler)(reader, ctx), ctx.json);
}

template <typename Req, typename Resp, typename F>
asio::awaitable<Status> run_bidi(std::shared_ptr<F> handler, RequestSource& source,
                                 CallContext& ctx, ResponseSink& sink) {
  ServerReader<Req> reader(source, ctx.json);
  ServerWriter<Resp> writer(sink, ctx.json);
  Status result;
  try {
    result = co_await (*handler)(reader, ctx, writer);
  } catch (...) {
    result = status_of_exception(std::current_exception());
  }
  co_return result;
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
    b.unary = [h](std::span<const uint8_t> bytes, CallContext& ctx) {
      return detail::run_unary<Req, Resp, F>(h.get(), bytes, ctx);
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

  // Handler: (ServerReader<Req>&, CallContext&) -> asio::awaitable<Result<Resp>> (or Resp).
  template <typename Req, typename Resp, typename F>
  ServiceImpl& client_stream(std::string_view method, F handler) {
    MethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kClientStream, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.client_stream = [h](RequestSource& source, CallContext& ctx) {
      return detail::run_client_stream<Req, Resp, F>(h, source, ctx);
    };
    bindings_.emplace(std::string(method), std::move(b));
    return *this;
  }

  // Handler: (ServerReader<Req>&, CallContext&, ServerWriter<Resp>&) -> asio::awaitable<Status>.
  // The call ends (trailer) when the handler returns, whether or not the consumer finished
  // sending, as 0.1.2's bidi does.
  template <typename Req, typename Resp, typename F>
  ServiceImpl& bidi(std::string_view method, F handler) {
    MethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kBidiStream, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.bidi = [h](RequestSource& source, CallContext& ctx, ResponseSink& sink) {
      return detail::run_bidi<Req, Resp, F>(h, source, ctx, sink);
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
