// `aster shell PEER`: a producer reached through consumer admission (PeerConnection), its
// services described by the manifests peer_catalog finds, calls made with the raw transport
// (stateless) or a raw session, requests built from JSON with the manifest's types
// (ManifestTypes::request_from_json: nested structs, enums, bytes as base64, optionals, lists,
// maps) at the version the producer offers.
#include <asio/experimental/awaitable_operators.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <set>
#include <span>

#include "aster/codec/json.hpp"
#include "aster/rpc/call.hpp"
#include "aster/rpc/raw_transport.hpp"
#include "aster/rpc/session_client.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "peer_content.hpp"
#include "shell_interrupt.hpp"
#include "shell_peer.hpp"

namespace aster::cli {
namespace {

using rpc::RawTransport;

Status rpc_failure(const Status& st) {
  if (st.code() == StatusCode::kCancelled && st.message() == "cancelled") return st;
  return Status(st.code(), "[" + std::string(status_code_name(st.code())) + "] " + st.message());
}

Result<Json> to_json(const Value& v, const codec::TypeDesc* type) {
  ASTER_ASSIGN_OR_RETURN(std::string text, codec::json_encode_value(v, type));
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    return Status(StatusCode::kDataLoss, std::string("reply is not JSON: ") + e.what());
  }
}

// Peer name as 0.1.2 shows it (`_resolve_peer_arg`): `<eid8>... (ticket)` for an aster1
// ticket, else the first 16 characters of the endpoint id and `…`.
std::string peer_display(const std::string& address) {
  auto parsed = transport::parse_endpoint_addr(address);
  if (!parsed.is_ok()) return address.substr(0, 16);
  const std::string id = parsed->id.to_hex();
  if (address.rfind("aster1", 0) == 0) return id.substr(0, 8) + "... (ticket)";
  return id.substr(0, 16) + "…";
}

// The replies of a bidi call, printed as they arrive (a function, not a lambda: the coroutine
// outlives the expression that starts it, and its parameters live in its frame).
template <typename Call>
asio::awaitable<Status> read_replies(Call* call, const codec::TypeDesc* type, ItemSink sink,
                                     std::shared_ptr<std::atomic<bool>> done) {
  Status end;
  while (true) {
    auto item = co_await call->next();
    if (!item.is_ok()) {
      end = rpc_failure(item.status());
      break;
    }
    if (!item->has_value()) break;
    auto j = to_json(**item, type);
    if (!j.is_ok()) {
      end = j.status();
      break;
    }
    sink(*j);
  }
  done->store(true);
  co_return end;
}

// A bidi call with split input and output, on a stateless stream (rpc::RawBidiStream) or
// inside a session (rpc::RawSessionBidi): replies are read and printed by a coroutine on the io
// thread while this thread reads the user's lines and sends each one (`build` turns a line's
// JSON into a request). Ends the input when the lines end; `cancel` on Ctrl-C or bad input.
template <typename Call>
Status split_bidi(transport::BlockingRuntime& blocking, Call& call, const codec::TypeDesc* type,
                  const std::function<Result<Value>(const Json&)>& build,
                  const std::optional<Json>& first, const LineSource& lines,
                  const LineParser& parse, const ItemSink& sink,
                  const std::function<asio::awaitable<void>()>& cancel) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto reader = asio::co_spawn(blocking.io(), read_replies(&call, type, sink, done),
                               asio::use_future);
  blocking.wake();
  auto send = [&](const Json& request) -> Status {
    ASTER_ASSIGN_OR_RETURN(Value v, build(request));
    return blocking.run([&]() -> asio::awaitable<Status> { co_return co_await call.write(v); }());
  };
  Status input;
  if (first) input = send(*first);
  while (input.is_ok() && !done->load()) {
    auto line = lines([&] { return done->load(); });
    if (!line) break;
    auto request = parse(*line);
    if (!request.is_ok()) {
      input = request.status();
      break;
    }
    Status sent = send(*request);
    if (!sent.is_ok()) break;  // the producer ended the call: the reader has its status
  }
  const bool interrupted = take_interrupt();
  if (interrupted || !input.is_ok()) {
    blocking.run(cancel());
  } else {
    // A failed end of input means the call already ended: the reader reports how.
    (void)blocking.run(
        [&]() -> asio::awaitable<Status> { co_return co_await call.done_writing(); }());
  }
  Status end;
  while (reader.wait_for(std::chrono::milliseconds(30)) != std::future_status::ready) {
    if (take_interrupt()) blocking.run(cancel());
  }
  try {
    end = reader.get();
  } catch (const std::exception& e) {
    end = Status(StatusCode::kCancelled, "cancelled");
  }
  if (!input.is_ok()) return input;
  if (interrupted) return Status(StatusCode::kCancelled, "cancelled");
  return end;
}

struct ServiceBinding {
  trust::ServiceSummary summary;
  FoundTypes found;
  // Methods whose JSON-mode note was printed (LiveTarget::json_mode), shared by the targets
  // made from this binding: once per method and shell.
  std::shared_ptr<std::set<std::string>> noted = std::make_shared<std::set<std::string>>();
};

class LiveTarget : public CallTarget {
 public:
  LiveTarget(PeerConnection& peer, ServiceBinding binding)
      : peer_(peer), b_(std::move(binding)) {}

  Result<Json> unary(const std::string& method, const Json& request) override {
    if (json_mode(method)) return json_unary(method, request);
    return run_interruptible<Json>(peer_.blocking(), [&]() -> asio::awaitable<Result<Json>> {
      ASTER_CO_ASSIGN_OR_RETURN(auto raw, co_await transport());
      ASTER_CO_ASSIGN_OR_RETURN(const contract::MethodDesc* m, raw.method(method));
      ASTER_CO_ASSIGN_OR_RETURN(Value req, build(method, request));
      auto reply = co_await raw.unary(method, std::move(req));
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return to_json(*reply, m->response.get());
    }());
  }

  Status server_stream(const std::string& method, const Json& request,
                       const ItemSink& sink) override {
    if (json_mode(method)) return json_server_stream(method, request, sink);
    return run_interruptible<bool>(peer_.blocking(), [&]() -> asio::awaitable<Result<bool>> {
             ASTER_CO_ASSIGN_OR_RETURN(auto raw, co_await transport());
             ASTER_CO_ASSIGN_OR_RETURN(const contract::MethodDesc* m, raw.method(method));
             ASTER_CO_ASSIGN_OR_RETURN(Value req, build(method, request));
             auto stream = co_await raw.server_stream(method, std::move(req));
             if (!stream.is_ok()) co_return rpc_failure(stream.status());
             while (true) {
               auto item = co_await stream->next();
               if (!item.is_ok()) co_return rpc_failure(item.status());
               if (!item->has_value()) co_return true;
               ASTER_CO_ASSIGN_OR_RETURN(Json j, to_json(**item, m->response.get()));
               sink(j);
             }
           }())
        .status();
  }

  Result<Json> client_stream(const std::string& method,
                             const std::vector<Json>& requests) override {
    if (json_mode(method)) return json_client_stream(method, requests);
    std::vector<Value> values;
    for (const auto& r : requests) {
      ASTER_ASSIGN_OR_RETURN(Value v, build(method, r));
      values.push_back(std::move(v));
    }
    return run_interruptible<Json>(peer_.blocking(), [&]() -> asio::awaitable<Result<Json>> {
      ASTER_CO_ASSIGN_OR_RETURN(auto raw, co_await transport());
      ASTER_CO_ASSIGN_OR_RETURN(const contract::MethodDesc* m, raw.method(method));
      auto call = co_await raw.client_stream(method);
      if (!call.is_ok()) co_return rpc_failure(call.status());
      for (const Value& v : values) {
        if (!(co_await call->write(v)).is_ok()) break;  // the trailer says why
      }
      auto reply = co_await call->finish();
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return to_json(*reply, m->response.get());
    }());
  }

  Status bidi(const std::string& method, const std::optional<Json>& first,
              const LineSource& lines, const LineParser& parse, const ItemSink& sink) override {
    auto& blocking = peer_.blocking();
    // Open the call on the io thread and keep it there; replies are read by a coroutine that
    // runs while this thread reads the user's lines and sends each one.
    std::optional<RawTransport> raw;
    std::optional<rpc::RawBidiStream> call;
    const contract::MethodDesc* m = nullptr;
    auto opened = run_interruptible<bool>(blocking, [&]() -> asio::awaitable<Result<bool>> {
      ASTER_CO_ASSIGN_OR_RETURN(auto t, co_await transport());
      raw.emplace(std::move(t));
      ASTER_CO_ASSIGN_OR_RETURN(m, raw->method(method));
      auto c = co_await raw->bidi(method);
      if (!c.is_ok()) co_return rpc_failure(c.status());
      call.emplace(std::move(*c));
      co_return true;
    }());
    if (!opened.is_ok()) return opened.status();
    Status st = split_bidi(
        blocking, *call, m->response.get(),
        [&](const Json& request) { return build(method, request); }, first, lines, parse, sink,
        [&]() -> asio::awaitable<void> {
          call->cancel();
          co_return;
        });
    // Drop the call and the transport on the io thread that owns them.
    blocking.run([&]() -> asio::awaitable<void> {
      call.reset();
      raw.reset();
      co_return;
    }());
    return st;
  }

 protected:
  // A method the manifest names whose request or response type cannot be described from what
  // 0.1.2 publishes (description_gap: a datetime, a container in a container). Stateless
  // unary, server-stream and client-stream calls then go in JSON mode, as `aster call` makes
  // them (docs/cli.md "aster call", step 5); the first time, stderr says why. Sessions
  // (LiveSession) and bidi keep the typed path, whose error names the field.
  bool json_mode(const std::string& method) {
    if (!b_.found.types) return false;
    auto gap = description_gap(*b_.found.types, b_.summary, method);
    if (!gap) return false;
    if (b_.noted->insert(method).second) {
      std::fprintf(stderr, "note: %s; calling in JSON mode as aster-cli 0.1.2 does\n",
                   gap->reason.c_str());
    }
    return true;
  }

  Result<Json> json_unary(const std::string& method, const Json& request) {
    return run_interruptible<Json>(peer_.blocking(), [&]() -> asio::awaitable<Result<Json>> {
      ASTER_CO_ASSIGN_OR_RETURN(auto ch, co_await channel());
      const auto bytes = json_bytes(request);
      auto reply = co_await rpc::call_unary(*ch, json_target(method), bytes, {});
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return json_reply(*reply);
    }());
  }

  Status json_server_stream(const std::string& method, const Json& request,
                            const ItemSink& sink) {
    return run_interruptible<bool>(peer_.blocking(), [&]() -> asio::awaitable<Result<bool>> {
             ASTER_CO_ASSIGN_OR_RETURN(auto ch, co_await channel());
             const auto bytes = json_bytes(request);
             auto call =
                 co_await rpc::ServerStreamCall::start(*ch, json_target(method), bytes, {});
             if (!call.is_ok()) co_return rpc_failure(call.status());
             while (true) {
               auto item = co_await call->next();
               if (!item.is_ok()) co_return rpc_failure(item.status());
               if (!item->has_value()) co_return true;
               ASTER_CO_ASSIGN_OR_RETURN(Json j, json_reply(**item));
               sink(j);
             }
           }())
        .status();
  }

  Result<Json> json_client_stream(const std::string& method, const std::vector<Json>& requests) {
    return run_interruptible<Json>(peer_.blocking(), [&]() -> asio::awaitable<Result<Json>> {
      ASTER_CO_ASSIGN_OR_RETURN(auto ch, co_await channel());
      auto stream = co_await ch->open_stream();
      if (!stream.is_ok()) co_return rpc_failure(stream.status());
      auto call =
          co_await rpc::ClientStreamCall::start(std::move(*stream), json_target(method), {});
      if (!call.is_ok()) co_return rpc_failure(call.status());
      for (const auto& r : requests) {
        const auto bytes = json_bytes(r);
        if (!(co_await call->write(bytes)).is_ok()) break;  // the trailer says why
      }
      auto reply = co_await call->finish();
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return json_reply(*reply);
    }());
  }

  asio::awaitable<Result<std::shared_ptr<rpc::Channel>>> channel() {
    try {
      co_return co_await peer_.client().channel_for(b_.summary);
    } catch (const std::exception& e) {
      co_return Status(StatusCode::kUnavailable, e.what());
    }
  }

  rpc::CallTarget json_target(const std::string& method) const {
    return rpc::CallTarget{b_.summary.name, b_.summary.version, method, /*json=*/true};
  }

  static std::vector<uint8_t> json_bytes(const Json& request) {
    const std::string text = request.dump(-1, ' ', /*ensure_ascii=*/true);
    return {text.begin(), text.end()};
  }

  static Result<Json> json_reply(std::span<const uint8_t> payload) {
    try {
      return Json::parse(payload.begin(), payload.end());
    } catch (const std::exception& e) {
      return Status(StatusCode::kDataLoss, std::string("reply is not JSON: ") + e.what());
    }
  }

  asio::awaitable<Result<RawTransport>> transport() {
    ASTER_CO_ASSIGN_OR_RETURN(auto ch, co_await channel());
    co_return RawTransport::from_manifest(std::move(ch), b_.found.types, b_.summary.name,
                                          static_cast<int32_t>(b_.summary.version),
                                          rpc::Client::uses_json(b_.summary));
  }

  Result<Value> build(const std::string& method, const Json& request) {
    const auto* manifest =
        b_.found.types->find_manifest(b_.summary.name, static_cast<int32_t>(b_.summary.version));
    auto v = b_.found.types->request_from_json(*manifest, method, request.dump());
    if (!v.is_ok()) return Status(StatusCode::kInvalidArgument, "request for " + b_.summary.name +
                                                                    "." + method + ": " +
                                                                    v.status().message());
    return v;
  }

  PeerConnection& peer_;
  ServiceBinding b_;
};

// A session: one stream, calls in sequence on one instance (rpc::RawSession). Described as
// `aster call` describes one (RawTransport::from_manifest): a method 0.1.2 does not describe
// fully (a builtin request, a datetime) fails alone, naming why; the others still work.
class LiveSession : public LiveTarget {
 public:
  using LiveTarget::LiveTarget;
  ~LiveSession() override { (void)close(); }

  Status open() {
    return run_interruptible<bool>(peer_.blocking(), [&]() -> asio::awaitable<Result<bool>> {
             ASTER_CO_ASSIGN_OR_RETURN(auto ch, co_await channel());
             ASTER_CO_ASSIGN_OR_RETURN(auto raw, co_await transport());
             raw_.emplace(std::move(raw));
             auto s = co_await rpc::RawSession::open(*ch, raw_->descriptor(), b_.summary.version,
                                                     raw_->json(), raw_->value_registry());
             if (!s.is_ok()) co_return s.status();
             session_.emplace(std::move(*s));
             co_return true;
           }())
        .status();
  }

  Result<Json> unary(const std::string& method, const Json& request) override {
    ASTER_ASSIGN_OR_RETURN(const contract::MethodDesc* m, find(method));
    ASTER_ASSIGN_OR_RETURN(Value req, build(method, request));
    return run_interruptible<Json>(peer_.blocking(), [&]() -> asio::awaitable<Result<Json>> {
      auto reply = co_await session_->unary(method, std::move(req));
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return to_json(*reply, m->response.get());
    }());
  }

  Status server_stream(const std::string& method, const Json& request,
                       const ItemSink& sink) override {
    ASTER_ASSIGN_OR_RETURN(const contract::MethodDesc* m, find(method));
    ASTER_ASSIGN_OR_RETURN(Value req, build(method, request));
    return run_interruptible<bool>(peer_.blocking(), [&]() -> asio::awaitable<Result<bool>> {
             auto stream = co_await session_->server_stream(method, std::move(req));
             if (!stream.is_ok()) co_return rpc_failure(stream.status());
             while (true) {
               auto item = co_await stream->next();
               if (!item.is_ok()) co_return rpc_failure(item.status());
               if (!item->has_value()) co_return true;
               ASTER_CO_ASSIGN_OR_RETURN(Json j, to_json(**item, m->response.get()));
               sink(j);
             }
           }())
        .status();
  }

  Result<Json> client_stream(const std::string& method,
                             const std::vector<Json>& requests) override {
    ASTER_ASSIGN_OR_RETURN(const contract::MethodDesc* m, find(method));
    std::vector<Value> values;
    for (const auto& r : requests) {
      ASTER_ASSIGN_OR_RETURN(Value v, build(method, r));
      values.push_back(std::move(v));
    }
    return run_interruptible<Json>(peer_.blocking(), [&]() -> asio::awaitable<Result<Json>> {
      auto call = co_await session_->client_stream(method);
      if (!call.is_ok()) co_return rpc_failure(call.status());
      for (const Value& v : values) {
        if (!(co_await call->write(v)).is_ok()) break;
      }
      auto reply = co_await call->finish();
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return to_json(*reply, m->response.get());
    }());
  }

  Status bidi(const std::string& method, const std::optional<Json>& first,
              const LineSource& lines, const LineParser& parse, const ItemSink& sink) override {
    // As LiveTarget::bidi: replies print while the user types. A session runs one call at a
    // time on its stream; this call is full-duplex on it (0.1.2's session server reads the
    // requests of a bidi call while its handler answers, aster-rpc@0972ac9:bindings/python/
    // aster/session.py `_dispatch_bidi_stream`).
    ASTER_ASSIGN_OR_RETURN(const contract::MethodDesc* m, find(method));
    auto& blocking = peer_.blocking();
    std::optional<rpc::RawSessionBidi> call;
    auto opened = run_interruptible<bool>(blocking, [&]() -> asio::awaitable<Result<bool>> {
      auto c = co_await session_->bidi(method);
      if (!c.is_ok()) co_return rpc_failure(c.status());
      call.emplace(std::move(*c));
      co_return true;
    }());
    if (!opened.is_ok()) return opened.status();
    Status st = split_bidi(
        blocking, *call, m->response.get(),
        [&](const Json& request) { return build(method, request); }, first, lines, parse, sink,
        // CANCEL only: the reader reads the rest of the call up to its trailer.
        [&]() -> asio::awaitable<void> { co_await session_->cancel(); });
    // Drop the call on the io thread that owns the session.
    blocking.run([&]() -> asio::awaitable<void> {
      call.reset();
      co_return;
    }());
    return st;
  }

  Status close() override {
    if (!session_ && !raw_) return Status::ok();
    // Dropped on the io thread that owns the session's stream and the transport's channel.
    return peer_.blocking().run([&]() -> asio::awaitable<Status> {
      Status s = Status::ok();
      if (session_) s = co_await session_->close();
      session_.reset();
      raw_.reset();
      co_return s;
    }());
  }

 private:
  Result<const contract::MethodDesc*> find(const std::string& method) {
    return raw_->method(method);
  }

  std::optional<rpc::RawTransport> raw_;  // the description session_ points into
  std::optional<rpc::RawSession> session_;
};

class LivePeer : public ShellPeer {
 public:
  LivePeer(std::unique_ptr<PeerConnection> peer, LocalDescriptions local, LivePeerOptions options)
      : peer_(std::move(peer)),
        content_(*peer_),
        local_(std::move(local)),
        options_(std::move(options)) {}

  Status load() {
    services_.clear();
    bindings_.clear();
    for (const auto& summary : peer_->services()) {
      ShellService s;
      s.name = summary.name;
      s.version = summary.version;
      s.scope = summary.pattern;
      s.contract_id = summary.contract_id;
      auto found = peer_->find_types(local_, summary, options_.use_registry);
      if (!found.is_ok()) {
        // A manifest that does not match the offered contract: say so, list without methods.
        std::fprintf(stderr, "warning: %s\n", found.status().message().c_str());
        found = FoundTypes{};
      }
      if (found->types) {
        s.described_by = found->source;
        if (const auto* m = found->types->find_manifest(summary.name,
                                                        static_cast<int32_t>(summary.version))) {
          for (const auto& md : m->methods) {
            s.methods.push_back(ShellMethod{md.name, md.pattern, md.request_type,
                                            md.response_type, md.timeout, md.fields,
                                            blob_field_types(*found->types, *m, md)});
          }
          s.types = described_types(*m, *found->types);
          std::sort(s.methods.begin(), s.methods.end(),
                    [](const auto& a, const auto& b) { return a.name < b.name; });
        }
      }
      services_.push_back(std::move(s));
      bindings_.push_back(ServiceBinding{summary, std::move(*found)});
    }
    assign_vfs_names(services_);
    return Status::ok();
  }

  std::string display_name() const override {
    return options_.display.empty() ? peer_display(options_.address) : options_.display;
  }
  const std::vector<ShellService>& services() const override { return services_; }
  Status refresh() override {
    content_.clear();
    return load();
  }
  Result<std::vector<ShellBlob>> blobs() override { return content_.collections(); }
  Result<std::vector<ShellBlob>> collection_entries(const std::string& collection) override {
    return content_.entries(collection);
  }
  Result<std::vector<ShellDocEntry>> docs() override { return content_.docs(); }
  std::optional<size_t> known_blob_count() override {
    // Listed already, or cheap to list: the registry was joined for the manifests.
    if (auto n = content_.known_collection_count()) return n;
    if (!peer_->registry_joined()) return std::nullopt;
    auto listed = content_.collections();
    return listed.is_ok() ? std::optional<size_t>(listed->size()) : std::nullopt;
  }
  Result<std::vector<uint8_t>> read_doc(const std::string& key) override {
    return content_.read_doc(key);
  }
  Result<std::vector<uint8_t>> read_blob(const std::string& hash, size_t max,
                                         TransferProgress* progress) override {
    return content_.read_blob(hash, max, progress);
  }

  Result<std::unique_ptr<CallTarget>> stateless(const ShellService& service) override {
    ASTER_ASSIGN_OR_RETURN(const ServiceBinding* b, binding(service));
    return std::unique_ptr<CallTarget>(std::make_unique<LiveTarget>(*peer_, *b));
  }

  Result<std::unique_ptr<CallTarget>> open_session(const ShellService& service) override {
    ASTER_ASSIGN_OR_RETURN(const ServiceBinding* b, binding(service));
    auto session = std::make_unique<LiveSession>(*peer_, *b);
    ASTER_RETURN_IF_ERROR(session->open());
    return std::unique_ptr<CallTarget>(std::move(session));
  }

 private:
  Result<const ServiceBinding*> binding(const ShellService& service) const {
    for (const auto& b : bindings_) {
      if (b.summary.name != service.name || b.summary.version != service.version) continue;
      if (!b.found.types) {
        return Status(StatusCode::kFailedPrecondition,
                      "no description of " + service.name + " v" +
                          std::to_string(service.version) +
                          " found: give its --collection DIR or --manifest FILE, or let the "
                          "manifest cache (~/.aster/cache/manifests/) hold it");
      }
      return &b;
    }
    return Status(StatusCode::kNotFound, "service '" + service.name + "' is not offered");
  }

  std::unique_ptr<PeerConnection> peer_;
  PeerContent content_;
  LocalDescriptions local_;
  LivePeerOptions options_;
  std::vector<ShellService> services_;
  std::vector<ServiceBinding> bindings_;
};

}  // namespace

Result<std::unique_ptr<ShellPeer>> connect_live_peer(const LivePeerOptions& options) {
  ASTER_ASSIGN_OR_RETURN(auto local, load_local(options.descriptions));
  ASTER_ASSIGN_OR_RETURN(auto peer,
                         PeerConnection::connect(options.address, options.timeout, options.debug,
                                                 options.identity));
  auto live = std::make_unique<LivePeer>(std::move(peer), std::move(local), options);
  ASTER_RETURN_IF_ERROR(live->load());
  return std::unique_ptr<ShellPeer>(std::move(live));
}

}  // namespace aster::cli
