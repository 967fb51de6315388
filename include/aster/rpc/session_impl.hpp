// Binding a session-scoped service (a declaration with .scope(ScopeKind::kSession)) to
// handlers that share one instance per session: the producer makes the instance when a
// consumer opens a session stream and keeps it until the stream ends, as 0.1.2 instantiates
// the service class once per session stream with `peer=<endpoint id>`
// (aster-rpc@0972ac9:bindings/python/aster/session.py `SessionServer.run`).
//
//   struct Agent {                       // the per-session state
//     explicit Agent(std::string peer) : peer(std::move(peer)) {}
//     std::string peer;
//     int calls = 0;
//   };
//   aster::rpc::SessionImpl<Agent> impl(AgentSession::descriptor());   // Agent(peer) per session
//   impl.unary<RegisterRequest, RegisterReply>(
//       "register", [](Agent& self, RegisterRequest req, aster::rpc::CallContext& ctx)
//                       -> asio::awaitable<aster::Result<RegisterReply>> {
//         ++self.calls;
//         co_return RegisterReply{...};
//       });
//   impl.server_stream<WatchRequest, Tick>(
//       "watch", [](Agent& self, WatchRequest req, aster::rpc::CallContext& ctx,
//                   aster::rpc::ServerWriter<Tick>& out) -> asio::awaitable<aster::Status> {...});
//   impl.client_stream<Metric, Ack>("ingest", [](Agent& self, ServerReader<Metric>& in,
//                                                CallContext& ctx) -> asio::awaitable<Ack> {...});
//   impl.bidi<Command, Result>("run", [](Agent& self, ServerReader<Command>& in, CallContext& ctx,
//                                        ServerWriter<Result>& out) -> asio::awaitable<Status> {...});
//   impl.on_close([](Agent& self) { ... });   // optional (0.1.2's on_session_close)
//   server.add(std::move(impl));
//
// A factory can replace the constructor: SessionImpl<Agent>(desc, [](const std::string& peer)
// { return Agent{...}; }). Handlers may also be member functions: `&Agent::register_agent`
// taking (Req, CallContext&). Calls on one session never overlap, so the instance needs no
// locking.
//
// Errors, as 0.1.2's SessionServer: a non-OK Result or a thrown aster::RpcError travels as
// that code and message; any other exception is INTERNAL with its what(); an undecodable
// request is INTERNAL "Decode error: …". All of these keep the session open. Readers and
// writers are the stateless ones (service_impl.hpp: ServerReader, ServerWriter).
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
#include <utility>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/contract/service_desc.hpp"
#include "aster/rpc/call_context.hpp"
#include "aster/rpc/errors.hpp"
#include "aster/rpc/payload.hpp"
#include "aster/rpc/service_impl.hpp"
#include "aster/status.hpp"

namespace aster::rpc {

// Type-erased session handlers: `self` is the session's instance.
struct SessionMethodBinding {
  const contract::MethodDesc* desc = nullptr;
  std::function<asio::awaitable<Result<std::vector<uint8_t>>>(void* self, std::vector<uint8_t>,
                                                              CallContext&)>
      unary;
  std::function<asio::awaitable<Status>(void* self, std::vector<uint8_t>, CallContext&,
                                        ResponseSink&)>
      server_stream;
  std::function<asio::awaitable<Result<std::vector<uint8_t>>>(void* self, RequestSource&,
                                                              CallContext&)>
      client_stream;
  std::function<asio::awaitable<Status>(void* self, RequestSource&, CallContext&, ResponseSink&)>
      bidi;
};

namespace detail {

// The status an escaped handler exception stands for inside a session: RpcError keeps its
// code, anything else is INTERNAL with its message (0.1.2 session.py `except Exception`).
Status session_status_of_exception(std::exception_ptr e);

template <typename T, typename F>
struct BoundToInstance {
  F* handler;
  T* self;
  template <typename... A>
  auto operator()(A&&... args) const {
    return std::invoke(*handler, *self, std::forward<A>(args)...);
  }
};

// A session's failures: escaped exceptions and unencodable responses are INTERNAL.
inline constexpr ErrorStatuses kSessionErrors{&session_status_of_exception,
                                              StatusCode::kInternal};

template <typename T, typename Req, typename Resp, typename F>
asio::awaitable<Result<std::vector<uint8_t>>> run_session_unary(std::shared_ptr<F> handler,
                                                               void* self,
                                                               std::vector<uint8_t> bytes,
                                                               CallContext& ctx) {
  auto request = decode_payload<Req>(bytes, ctx.json);
  if (!request.is_ok()) {
    co_return Status(StatusCode::kInternal, "Decode error: " + request.status().message());
  }
  BoundToInstance<T, F> bound{handler.get(), static_cast<T*>(self)};
  using R = typename std::invoke_result_t<BoundToInstance<T, F>&, Req, CallContext&>::value_type;
  co_return co_await encoded_response<Resp, R>(bound(std::move(*request), ctx), ctx.json,
                                               kSessionErrors);
}

template <typename T, typename Req, typename Resp, typename F>
asio::awaitable<Result<std::vector<uint8_t>>> run_session_client_stream(std::shared_ptr<F> handler,
                                                                       void* self,
                                                                       RequestSource& source,
                                                                       CallContext& ctx) {
  ServerReader<Req> reader(source, ctx.json);
  BoundToInstance<T, F> bound{handler.get(), static_cast<T*>(self)};
  using R = typename std::invoke_result_t<BoundToInstance<T, F>&, ServerReader<Req>&,
                                          CallContext&>::value_type;
  co_return co_await encoded_response<Resp, R>(bound(reader, ctx), ctx.json, kSessionErrors);
}

template <typename T, typename Req, typename Resp, typename F>
asio::awaitable<Status> run_session_bidi(std::shared_ptr<F> handler, void* self,
                                         RequestSource& source, CallContext& ctx,
                                         ResponseSink& sink) {
  ServerReader<Req> reader(source, ctx.json);
  ServerWriter<Resp> writer(sink, ctx.json);
  BoundToInstance<T, F> bound{handler.get(), static_cast<T*>(self)};
  Status result;
  try {
    result = co_await bound(reader, ctx, writer);
  } catch (...) {
    result = session_status_of_exception(std::current_exception());
  }
  co_return result;
}

template <typename T, typename Req, typename Resp, typename F>
asio::awaitable<Status> run_session_server_stream(std::shared_ptr<F> handler, void* self,
                                                  std::vector<uint8_t> bytes, CallContext& ctx,
                                                  ResponseSink& sink) {
  auto request = decode_payload<Req>(bytes, ctx.json);
  if (!request.is_ok()) {
    co_return Status(StatusCode::kInternal, "Decode error: " + request.status().message());
  }
  BoundToInstance<T, F> bound{handler.get(), static_cast<T*>(self)};
  ServerWriter<Resp> writer(sink, ctx.json);
  Status result;
  try {
    result = co_await bound(std::move(*request), ctx, writer);
  } catch (...) {
    result = session_status_of_exception(std::current_exception());
  }
  co_return result;
}

}  // namespace detail

// The untyped part: what the Dispatcher serves. SessionImpl<T> (below) fills it.
class SessionServiceImpl {
 public:
  explicit SessionServiceImpl(const contract::ServiceDesc& desc) : desc_(&desc) {}

  const contract::ServiceDesc& desc() const { return *desc_; }
  const SessionMethodBinding* find(std::string_view method) const {
    auto it = bindings_.find(method);
    return it == bindings_.end() ? nullptr : &it->second;
  }
  // OK when the declaration is session-scoped and every declared method has one handler.
  Status check() const;

  // A new instance for a session opened by `peer`; kInternal with the factory's message when
  // it throws (0.1.2 answers that with an INTERNAL trailer and ends the stream).
  Result<std::shared_ptr<void>> make_instance(const std::string& peer) const;
  // The on_close hook, if any; exceptions are swallowed (0.1.2 logs them).
  void close_instance(void* self) const;

 protected:
  template <typename Req, typename Resp>
  bool bind(std::string_view method, contract::MethodPattern pattern, SessionMethodBinding& b) {
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
  std::map<std::string, SessionMethodBinding, std::less<>> bindings_;
  std::function<std::shared_ptr<void>(const std::string& peer)> factory_;
  std::function<void(void*)> on_close_;
  Status error_;
};

template <typename T>
class SessionImpl : public SessionServiceImpl {
 public:
  // Each session gets T(peer) when T is constructible from the peer's endpoint id, else T{}.
  explicit SessionImpl(const contract::ServiceDesc& desc) : SessionServiceImpl(desc) {
    static_assert(std::is_constructible_v<T, std::string> || std::is_default_constructible_v<T>,
                  "give SessionImpl a factory: T is neither T(std::string peer) nor T{}");
    factory_ = [](const std::string& peer) -> std::shared_ptr<void> {
      if constexpr (std::is_constructible_v<T, std::string>) {
        return std::make_shared<T>(std::string(peer));
      } else {
        return std::make_shared<T>();
      }
    };
  }
  // `factory(const std::string& peer)` returns the session's T (or throws).
  template <typename Factory>
  SessionImpl(const contract::ServiceDesc& desc, Factory factory) : SessionServiceImpl(desc) {
    factory_ = [f = std::move(factory)](const std::string& peer) -> std::shared_ptr<void> {
      return std::make_shared<T>(f(peer));
    };
  }

  template <typename Req, typename Resp, typename F>
  SessionImpl& unary(std::string_view method, F handler) {
    SessionMethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kUnary, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.unary = [h](void* self, std::vector<uint8_t> bytes, CallContext& ctx) {
      return detail::run_session_unary<T, Req, Resp, F>(h, self, std::move(bytes), ctx);
    };
    bindings_.emplace(std::string(method), std::move(b));
    return *this;
  }

  template <typename Req, typename Resp, typename F>
  SessionImpl& server_stream(std::string_view method, F handler) {
    SessionMethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kServerStream, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.server_stream = [h](void* self, std::vector<uint8_t> bytes, CallContext& ctx,
                          ResponseSink& sink) {
      return detail::run_session_server_stream<T, Req, Resp, F>(h, self, std::move(bytes), ctx,
                                                                sink);
    };
    bindings_.emplace(std::string(method), std::move(b));
    return *this;
  }

  // Handler: (T&, ServerReader<Req>&, CallContext&) -> asio::awaitable<Result<Resp>> (or Resp).
  // Input ends at the consumer's TRAILER(OK); success is the response frame alone.
  template <typename Req, typename Resp, typename F>
  SessionImpl& client_stream(std::string_view method, F handler) {
    SessionMethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kClientStream, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.client_stream = [h](void* self, RequestSource& source, CallContext& ctx) {
      return detail::run_session_client_stream<T, Req, Resp, F>(h, self, source, ctx);
    };
    bindings_.emplace(std::string(method), std::move(b));
    return *this;
  }

  // Handler: (T&, ServerReader<Req>&, CallContext&, ServerWriter<Resp>&) ->
  // asio::awaitable<Status>. The call ends (TRAILER) when the handler returns.
  template <typename Req, typename Resp, typename F>
  SessionImpl& bidi(std::string_view method, F handler) {
    SessionMethodBinding b;
    if (!bind<Req, Resp>(method, contract::MethodPattern::kBidiStream, b)) return *this;
    auto h = std::make_shared<F>(std::move(handler));
    b.bidi = [h](void* self, RequestSource& source, CallContext& ctx, ResponseSink& sink) {
      return detail::run_session_bidi<T, Req, Resp, F>(h, self, source, ctx, sink);
    };
    bindings_.emplace(std::string(method), std::move(b));
    return *this;
  }

  // Called once when the session ends (consumer finish, connection loss, protocol error).
  template <typename F>
  SessionImpl& on_close(F hook) {
    on_close_ = [h = std::move(hook)](void* self) { h(*static_cast<T*>(self)); };
    return *this;
  }
};

}  // namespace aster::rpc
