// `aster call ADDR Service.method [JSON]` — one call by name, as aster-cli 0.1.2's `aster call`
// (aster-rpc@0972ac9:cli/aster_cli/contract.py `_call_command`): the same arguments, the reply
// as 2-space JSON (`json.dumps(result, indent=2)`), failures as `Error: …` on stderr, exit 1.
//
// Where ours differs (docs/cli.md "aster call"): 0.1.2 always sends JSON mode and version 1;
// we encode with Fory XLANG from the types the producer publishes (its manifest and type blobs,
// contract::ManifestTypes, through rpc::RawTransport::from_manifest), so bytes, enums and nested
// messages travel; we call the version the producer offers (`--version N` when it offers
// several); and server streams print each item as it arrives. Without a published description
// at hand, we fall back to 0.1.2's untyped JSON mode and say so on stderr. A session-scoped
// service gets a one-shot session (opened, one call, closed) as in 0.1.2, where the call may
// be of any pattern when the service is described (0.1.2: unary only).
#include <fmt/core.h>

#include <algorithm>
#include <asio/experimental/awaitable_operators.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "aster/codec/json.hpp"
#include "aster/contract/collection.hpp"
#include "aster/contract/manifest.hpp"
#include "aster/contract/manifest_types.hpp"
#include "aster/rpc/call.hpp"
#include "aster/rpc/client.hpp"
#include "aster/rpc/errors.hpp"
#include "aster/rpc/raw_transport.hpp"
#include "aster/rpc/session_client.hpp"
#include "aster/transport/blocking.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "commands.hpp"
#include "identity_options.hpp"
#include "peer_catalog.hpp"
#include "seconds_option.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

namespace fs = std::filesystem;
using contract::ContractManifest;
using contract::ManifestTypes;

constexpr size_t kMaxPayloadBytes = 64u << 20;  // as `aster fory`: input on stdin is capped

struct CallCommandOptions {
  std::string address;
  std::string target;  // Service.method
  std::string payload = "{}";
  int32_t version = 0;  // 0: the one version offered
  DescriptionFlags descriptions;  // --collection, --manifest, --types
  std::string serialization = "auto";
  std::string timeout = "10";
  std::string deadline;
  bool json = false;  // 0.1.2's --json: the output is always JSON
  bool no_registry = false;  // do not read the producer's registry
  IdentityFlags identity;    // --rcan, --identity
};

// What the command line says, checked before anything is attempted (usage errors, exit 2).
struct CallRequest {
  std::string service;
  std::string method;
  nlohmann::ordered_json payload;
  std::string payload_text;
};

Result<std::string> read_stdin_capped() {
  std::string out;
  char buf[64 * 1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    out.append(buf, n);
    if (out.size() > kMaxPayloadBytes) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("stdin: more than {} MiB", kMaxPayloadBytes >> 20));
    }
  }
  if (std::ferror(stdin)) return Status(StatusCode::kUnavailable, "stdin: read failed");
  return out;
}

CallRequest check_usage(const CallCommandOptions& o) {
  CallRequest r;
  const auto dot = o.target.rfind('.');  // service names have no dots; 0.1.2 rsplits too
  if (dot == std::string::npos || dot == 0 || dot + 1 == o.target.size()) {
    throw UsageError("method must be Service.method (got '" + escape_for_terminal(o.target) +
                     "')");
  }
  r.service = o.target.substr(0, dot);
  r.method = o.target.substr(dot + 1);
  if (o.payload == "-") {
    auto text = read_stdin_capped();
    if (!text.is_ok()) throw UsageError("JSON payload: " + text.status().message());
    r.payload_text = std::move(*text);
  } else {
    r.payload_text = o.payload;
  }
  try {
    r.payload = nlohmann::ordered_json::parse(r.payload_text);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 1, column 2: …"
    std::string what = e.what();
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    throw UsageError("invalid JSON payload: " + escape_for_terminal(what));
  }
  // Any JSON value, as 0.1.2's `aster call` sends whatever `json.loads` returns (a method may
  // take `req: int`); an array is the list of requests of a client-stream or bidi call. Whether
  // the value fits the method is the request type's to say (typed_call, request_from_json).
  if (o.serialization != "auto" && o.serialization != "xlang" && o.serialization != "json") {
    throw UsageError("--serialization must be auto, xlang or json");
  }
  return r;
}

// The codec's compact JSON (Python's json.dumps conventions) as 0.1.2 prints a result:
// `json.dumps(result, indent=2)`, ASCII only.
Result<std::string> indented(std::string_view compact) {
  try {
    return nlohmann::ordered_json::parse(compact).dump(2, ' ', /*ensure_ascii=*/true);
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::kDataLoss, std::string("reply is not JSON: ") + e.what());
  }
}

void print_item(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);  // stream items appear as they arrive
}

// A failed call: 0.1.2 prints str(RpcError) = "[CODE] message".
Status rpc_failure(const Status& st) {
  return Status(st.code(), "[" + std::string(status_code_name(st.code())) + "] " + st.message());
}

// 0.1.2 treats "stream" as the legacy name of "session" (identity.py `from_service_info`).
bool session_scoped(const trust::ServiceSummary& offered) {
  return offered.pattern == "session" || offered.pattern == "stream";
}

// A bidi call whose replies failed: a stateless call is cancelled (its stream reset); a session
// call has already ended when next() failed (the trailer, or a broken session stream).
void cancel_after_failure(rpc::RawBidiStream& call) { call.cancel(); }
void cancel_after_failure(rpc::RawSessionBidi&) {}

// One call of any pattern, on a stateless service (rpc::RawTransport) or inside a session
// (rpc::RawSession): both offer the same four calls by method name.
template <typename Caller, typename Print>
asio::awaitable<Status> call_by_pattern(Caller& caller, const contract::MethodDesc& m,
                                        std::vector<Value> requests,
                                        const rpc::CallOptions& call_options, Print& print) {
  switch (m.pattern) {
    case contract::MethodPattern::kUnary: {
      auto reply = co_await caller.unary(m.name, std::move(requests.front()), call_options);
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return print(*reply);
    }
    case contract::MethodPattern::kServerStream: {
      auto stream = co_await caller.server_stream(m.name, std::move(requests.front()),
                                                  call_options);
      if (!stream.is_ok()) co_return rpc_failure(stream.status());
      while (true) {
        auto item = co_await stream->next();
        if (!item.is_ok()) co_return rpc_failure(item.status());
        if (!item->has_value()) co_return Status::ok();
        ASTER_CO_RETURN_IF_ERROR(print(**item));
      }
    }
    case contract::MethodPattern::kClientStream: {
      auto call = co_await caller.client_stream(m.name, call_options);
      if (!call.is_ok()) co_return rpc_failure(call.status());
      for (const Value& item : requests) {
        // A refused write means the producer ended the call: finish() reads its trailer.
        Status written = co_await call->write(item);
        if (!written.is_ok()) break;
      }
      auto reply = co_await call->finish();
      if (!reply.is_ok()) co_return rpc_failure(reply.status());
      co_return print(*reply);
    }
    case contract::MethodPattern::kBidiStream: {
      auto call = co_await caller.bidi(m.name, call_options);
      if (!call.is_ok()) co_return rpc_failure(call.status());
      // Requests go out while replies are read and printed: the producer may answer before it
      // has read everything (and QUIC flow control would stall a writer nobody reads for).
      auto write_all = [&]() -> asio::awaitable<Status> {
        for (const Value& item : requests) {
          Status written = co_await call->write(item);
          if (!written.is_ok()) co_return Status::ok();  // see the trailer
        }
        co_return co_await call->done_writing();
      };
      auto read_all = [&]() -> asio::awaitable<Status> {
        while (true) {
          auto item = co_await call->next();
          if (!item.is_ok()) {
            cancel_after_failure(*call);
            co_return rpc_failure(item.status());
          }
          if (!item->has_value()) co_return Status::ok();
          ASTER_CO_RETURN_IF_ERROR(print(**item));
        }
      };
      using namespace asio::experimental::awaitable_operators;
      auto [written, read] = co_await (write_all() && read_all());
      (void)written;
      co_return read;
    }
  }
  co_return Status(StatusCode::kInternal, "unknown method pattern");
}

// Typed call: the request is encoded from the service's description (Fory XLANG, or JSON mode
// shaped by the types when the producer speaks only JSON).
asio::awaitable<Status> typed_call(rpc::Client& client, const trust::ServiceSummary& offered,
                                   FoundTypes found, const CallRequest& request, bool json,
                                   const rpc::CallOptions& call_options) {
  std::shared_ptr<rpc::Channel> channel;
  try {
    channel = co_await client.channel_for(offered);
  } catch (const std::exception& e) {
    co_return Status(StatusCode::kUnavailable, e.what());
  }
  ASTER_CO_ASSIGN_OR_RETURN(auto raw,
                            rpc::RawTransport::from_manifest(channel, found.types,
                                                             offered.name, offered.version, json));
  auto method = raw.method(request.method);
  if (!method.is_ok()) {
    if (method.status().code() == StatusCode::kUnimplemented) {
      std::string names;
      for (const auto& m : found.types->find_manifest(offered.name, offered.version)->methods) {
        names += (names.empty() ? "" : ", ") + m.name;
      }
      co_return Status(StatusCode::kUnimplemented, offered.name + " v" +
                                                       std::to_string(offered.version) +
                                                       " has no method '" + request.method +
                                                       "' (methods: " + names + ")");
    }
    co_return method.status();
  }
  const contract::MethodDesc& m = **method;
  const bool streams_requests = m.pattern == contract::MethodPattern::kClientStream ||
                                m.pattern == contract::MethodPattern::kBidiStream;
  if (request.payload.is_array() && !streams_requests) {
    co_return Status(StatusCode::kInvalidArgument,
                     offered.name + "." + m.name + " is a " +
                         std::string(contract::method_pattern_name(m.pattern)) +
                         " method: it takes one request (a JSON object), not an array");
  }
  // One request, or each element of the array (client stream, bidi), with declared defaults.
  std::vector<Value> requests;
  const auto& manifest = *found.types->find_manifest(offered.name, offered.version);
  const std::string request_type =
      m.request->struct_type ? " (" + m.request->struct_type->tag() + ")" : "";
  auto add_request = [&](const std::string& text, const std::string& where) -> Status {
    auto value = found.types->request_from_json(manifest, m.name, text);
    if (!value.is_ok()) {
      return Status(StatusCode::kInvalidArgument, "request" + where + " for " + offered.name +
                                                      "." + m.name + request_type + ": " +
                                                      value.status().message());
    }
    requests.push_back(std::move(value).value());
    return Status::ok();
  };
  if (request.payload.is_array()) {
    for (size_t i = 0; i < request.payload.size(); ++i) {
      ASTER_CO_RETURN_IF_ERROR(
          add_request(request.payload[i].dump(), " [" + std::to_string(i) + "]"));
    }
  } else {
    ASTER_CO_RETURN_IF_ERROR(add_request(request.payload_text, ""));
  }
  auto print = [&](const Value& reply) -> Status {
    ASTER_ASSIGN_OR_RETURN(std::string compact,
                           codec::json_encode_value(reply, m.response.get()));
    ASTER_ASSIGN_OR_RETURN(std::string text, indented(compact));
    print_item(text);
    return Status::ok();
  };
  if (session_scoped(offered)) {
    // 0.1.2 opens a one-shot session, makes the call and closes it (contract.py
    // `_call_command`: `client.session(...)`, `session.call(...)`, `session.close()`); it can
    // only make unary calls there, we make every pattern.
    auto session =
        co_await rpc::RawSession::open(*channel, raw.descriptor(), offered.version, raw.json(),
                                       raw.value_registry());
    if (!session.is_ok()) co_return rpc_failure(session.status());
    Status st = co_await call_by_pattern(*session, m, std::move(requests), call_options, print);
    (void)co_await session->close();  // 0.1.2 ignores a failed close too
    co_return st;
  }
  co_return co_await call_by_pattern(raw, m, std::move(requests), call_options, print);
}

// The JSON text of each request: the elements of an array, else the one object.
std::vector<std::vector<uint8_t>> json_requests(const nlohmann::ordered_json& payload) {
  std::vector<std::vector<uint8_t>> out;
  auto add = [&](const nlohmann::ordered_json& j) {
    const std::string text = j.dump(-1, ' ', /*ensure_ascii=*/true);
    out.emplace_back(text.begin(), text.end());
  };
  if (payload.is_array()) {
    for (const auto& item : payload) add(item);
  } else {
    add(payload);
  }
  return out;
}

Status print_json_reply(std::span<const uint8_t> payload) {
  ASTER_ASSIGN_OR_RETURN(
      std::string text,
      indented(std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size())));
  print_item(text);
  return Status::ok();
}

// A client-stream or bidi call in JSON mode, its pattern known from the manifest.
asio::awaitable<Status> json_stream_call(rpc::Channel& channel, const rpc::CallTarget& target,
                                         bool bidi, const CallRequest& request,
                                         const rpc::CallOptions& call_options) {
  auto stream = co_await channel.open_stream();
  if (!stream.is_ok()) co_return rpc_failure(stream.status());
  const auto requests = json_requests(request.payload);
  if (!bidi) {
    auto call = co_await rpc::ClientStreamCall::start(std::move(*stream), target, call_options);
    if (!call.is_ok()) co_return rpc_failure(call.status());
    for (const auto& item : requests) {
      Status written = co_await call->write(item);
      if (!written.is_ok()) break;  // the producer ended the call: finish() reads its trailer
    }
    auto reply = co_await call->finish();
    if (!reply.is_ok()) co_return rpc_failure(reply.status());
    co_return print_json_reply(*reply);
  }
  auto call = co_await rpc::BidiCall::start(std::move(*stream), target, call_options);
  if (!call.is_ok()) co_return rpc_failure(call.status());
  auto write_all = [&]() -> asio::awaitable<Status> {
    for (const auto& item : requests) {
      Status written = co_await call->write(item);
      if (!written.is_ok()) co_return Status::ok();  // see the trailer
    }
    co_return co_await call->close_send();
  };
  auto read_all = [&]() -> asio::awaitable<Status> {
    while (true) {
      auto item = co_await call->next();
      if (!item.is_ok()) {
        call->cancel();
        co_return rpc_failure(item.status());
      }
      if (!item->has_value()) co_return Status::ok();
      ASTER_CO_RETURN_IF_ERROR(print_json_reply(**item));
    }
  };
  using namespace asio::experimental::awaitable_operators;
  auto [written, read] = co_await (write_all() && read_all());
  (void)written;
  co_return read;
}

// 0.1.2's mode: the payload goes as JSON text (serializationMode 3) and each reply is printed
// as the producer wrote it. Without a description (`pattern` empty) we do not know the
// method's pattern, so the call is read like a server stream: every reply frame is printed
// until the trailer (a unary reply is one item). With the manifest's pattern (a description
// that names a type 0.1.2 does not publish), client streams and bidi calls work too.
asio::awaitable<Status> untyped_json_call(rpc::Client& client,
                                          const trust::ServiceSummary& offered,
                                          const CallRequest& request,
                                          const rpc::CallOptions& call_options,
                                          const std::string& pattern = "") {
  const bool streams_requests = pattern == "client_stream" || pattern == "bidi_stream";
  if (request.payload.is_array() && !streams_requests) {
    co_return Status(StatusCode::kFailedPrecondition,
                     pattern.empty()
                         ? "a list of requests needs the service's description (--collection "
                           "DIR or --manifest FILE): without it the method's pattern is unknown"
                         : offered.name + "." + request.method + " is a " + pattern +
                               " method: it takes one request (a JSON object), not an array");
  }
  if (streams_requests && session_scoped(offered)) {
    co_return Status(StatusCode::kFailedPrecondition,
                     "in JSON mode a session makes unary calls only (as 0.1.2's); " +
                         offered.name + "." + request.method + " is a " + pattern + " method");
  }
  std::shared_ptr<rpc::Channel> channel;
  try {
    channel = co_await client.channel_for(offered);
  } catch (const std::exception& e) {
    co_return Status(StatusCode::kUnavailable, e.what());
  }
  if (streams_requests) {
    const rpc::CallTarget target{offered.name, offered.version, request.method, /*json=*/true};
    co_return co_await json_stream_call(*channel, target, pattern == "bidi_stream", request,
                                        call_options);
  }
  const std::vector<uint8_t> bytes = std::move(json_requests(request.payload).front());
  auto stream = co_await channel->open_stream();
  if (!stream.is_ok()) co_return rpc_failure(stream.status());
  if (session_scoped(offered)) {
    // 0.1.2's one-shot session in JSON mode (`create_proxy_session`, `SessionProxyClient.call`):
    // one unary call — a session's other patterns need the method's pattern, hence a
    // description.
    auto session = co_await rpc::SessionStream::open(std::move(*stream), offered.name,
                                                     offered.version, /*json=*/true);
    if (!session.is_ok()) co_return rpc_failure(session.status());
    auto reply = co_await (*session)->unary(request.method, bytes, call_options);
    (void)co_await (*session)->close();  // 0.1.2 ignores a failed close too
    if (!reply.is_ok()) co_return rpc_failure(reply.status());
    co_return print_json_reply(*reply);
  }
  const rpc::CallTarget target{offered.name, offered.version, request.method, /*json=*/true};
  auto call = co_await rpc::ServerStreamCall::start(std::move(*stream), target, bytes,
                                                    call_options);
  if (!call.is_ok()) co_return rpc_failure(call.status());
  while (true) {
    auto item = co_await call->next();
    if (!item.is_ok()) co_return rpc_failure(item.status());
    if (!item->has_value()) co_return Status::ok();
    ASTER_CO_RETURN_IF_ERROR(print_json_reply(**item));
  }
}

// The call to the chosen version: typed from a description found locally or in the producer's
// registry, else in JSON mode as 0.1.2 calls.
asio::awaitable<Status> call_offered(rpc::Client& client, const trust::ServiceSummary* offered,
                                     const CallCommandOptions& o, const CallRequest& request,
                                     const LocalDescriptions& local,
                                     const CommandContext& context) {
  rpc::CallOptions call_options;
  if (!o.deadline.empty()) {
    call_options.timeout = saturating_milliseconds(parse_seconds(o.deadline).value());
  }
  FoundTypes found;
  if (o.serialization != "json" || !local.manifests.empty()) {
    ASTER_CO_ASSIGN_OR_RETURN(
        found, find_types(local, *offered, [&context](std::string_view l) { context.debug(l); }));
  }
  std::string registry_error;
  if (!found.types && o.serialization != "json" && !o.no_registry) {
    // Not on the command line nor in the cache: the producer's registry (0.1.2's shell does
    // this, aster_cli/shell/app.py `_fetch_manifests`), then cached as the shell caches it.
    const DebugSink debug = [&context](std::string_view l) { context.debug(l); };
    auto fetched = co_await fetch_from_registry(client, *offered, debug);
    if (fetched.is_ok()) {
      found = std::move(*fetched);
    } else {
      registry_error = fetched.status().message();
      context.debug("registry: " + registry_error);
    }
  }
  if (found.types && o.serialization != "xlang") {
    auto gap = description_gap(*found.types, *offered, request.method);
    if (gap) {
      std::fputs(fmt::format("note: {}; calling in JSON mode as aster-cli 0.1.2 does\n",
                             escape_for_terminal(gap->reason))
                     .c_str(),
                 stderr);
      Status st =
          co_await untyped_json_call(client, *offered, request, call_options, gap->pattern);
      client.close();
      co_return st;
    }
  }
  if (found.types) {
    context.debug("types of " + offered->name + " v" + std::to_string(offered->version) +
                  " from " + found.source);
    // A JSON-only service whose summary lists no modes: from_manifest reads its manifest.
    const bool json = o.serialization == "json" || rpc::Client::uses_json(*offered);
    Status st = co_await typed_call(client, *offered, std::move(found), request, json,
                                    call_options);
    client.close();
    co_return st;
  }
  if (o.serialization == "xlang") {
    co_return Status(StatusCode::kFailedPrecondition,
                     "no description of " + offered->name + " v" +
                         std::to_string(offered->version) +
                         " for Fory XLANG: give its collection (--collection DIR) or manifest "
                         "(--manifest FILE)" +
                         (registry_error.empty() ? std::string()
                                                 : "; the producer's registry: " + registry_error));
  }
  if (o.serialization == "auto") {
    // Said on stderr so that stdout stays the reply alone.
    std::fputs(
        fmt::format("note: no published description of {} v{} found (--collection/--manifest, "
                    "0.1.2's ~/.aster/cache/manifests, or the producer's registry{}); calling in "
                    "JSON mode as aster-cli 0.1.2 does (no bytes, enums by value, nested "
                    "messages as plain objects)\n",
                    escape_for_terminal(offered->name), offered->version,
                    registry_error.empty() ? std::string()
                                           : ": " + escape_for_terminal(registry_error))
            .c_str(),
        stderr);
  }
  Status st = co_await untyped_json_call(client, *offered, request, call_options);
  client.close();
  co_return st;
}

asio::awaitable<Status> run_call_on(transport::Runtime& runtime, const CallCommandOptions& o,
                                    const CallRequest& request, LocalDescriptions local,
                                    const CommandContext& context) {
  rpc::ClientOptions client_options;
  client_options.admission_timeout = saturating_milliseconds(parse_seconds(o.timeout).value());
  client_options.debug = [&context](std::string_view line) { context.debug(line); };
  client_options.serve_content = true;  // to read the producer's registry, as 0.1.2 nodes do
  auto identity = load_identity(o.identity);
  if (!identity.is_ok()) co_return identity.status();
  client_options.identity = std::move(*identity);
  rpc::Client client(runtime, o.address, client_options);
  try {
    co_await client.connect();
  } catch (const PermissionError& e) {
    co_return Status(StatusCode::kPermissionDenied, e.what());
  } catch (const std::invalid_argument& e) {
    co_return Status(StatusCode::kInvalidArgument, std::string("invalid producer address: ") +
                                                       e.what());
  } catch (const std::exception& e) {
    co_return Status(StatusCode::kUnavailable, e.what());
  }
  auto chosen = choose_service(client.services(), request.service, o.version, "--version N");
  bool chose_v1 = false;
  if (!chosen.is_ok() && chosen.status().code() == StatusCode::kInvalidArgument) {
    // Offered in several versions and none asked for: 0.1.2's `aster call` reaches v1 (it
    // always sends version 1: aster-rpc@0972ac9:bindings/python/aster/transport/iroh.py), so
    // we do too when v1 is among them, and say so.
    auto v1 = choose_service(client.services(), request.service, 1, "--version N");
    if (v1.is_ok()) {
      std::fputs(fmt::format("note: {}; calling v1 as aster-cli 0.1.2 does\n",
                             escape_for_terminal(chosen.status().message()))
                     .c_str(),
                 stderr);
      chosen = v1;
      chose_v1 = true;
    }
  }
  if (!chosen.is_ok()) co_return chosen.status();
  Status st = co_await call_offered(client, *chosen, o, request, local, context);
  if (chose_v1 && st.code() == StatusCode::kUnimplemented) {
    // No such method in v1 (our description says so, or the producer's trailer): it may be one
    // only a later version has. Name the versions to choose from.
    std::string others;
    for (const auto& s : client.services()) {
      if (s.name == request.service && s.version != 1) {
        others += (others.empty() ? "" : ", ") + std::to_string(s.version);
      }
    }
    st = Status(st.code(), st.message() + "; " + request.service + " is also offered in version" +
                               (others.find(',') == std::string::npos ? " " : "s ") + others +
                               ": choose one with --version N");
  }
  co_return st;
}

Status run_call(const CallCommandOptions& o, const CallRequest& request,
                const CommandContext& context) {
  if (o.address.empty()) {
    return Status(StatusCode::kInvalidArgument, "no producer address");
  }
  if (auto address = transport::parse_endpoint_addr(o.address); !address.is_ok()) {
    return Status(StatusCode::kInvalidArgument,
                  "invalid producer address: " + address.status().message());
  }
  ASTER_ASSIGN_OR_RETURN(auto local, load_local(o.descriptions));
  ASTER_ASSIGN_OR_RETURN(auto runtime, transport::BlockingRuntime::create());
  auto& blocking = *runtime;
  return blocking.run(run_call_on(blocking.runtime(), o, request, std::move(local), context));
}

}  // namespace

void add_call_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<CallCommandOptions>();
  auto* call = app.add_subcommand(
      "call", "Call a method of a producer's service by name, with a JSON request");
  call->add_option("ADDR", options->address,
                   "Producer address: aster1… ticket, base64 NodeAddr or 64-hex endpoint id")
      ->required();
  call->add_option("SERVICE.METHOD", options->target, "The method to call, e.g. Catalog.echo")
      ->required();
  call->add_option("JSON", options->payload,
                   "The request as JSON, usually an object (an array: the requests of a "
                   "client-stream or bidi call); - reads it from stdin")
      ->capture_default_str();
  call->add_option("--version", options->version,
                   "Service version to call (default: the one the producer offers; of several, "
                   "v1 as 0.1.2 calls)")
      ->type_name("N")
      ->check(CLI::Range(1, INT32_MAX));
  call->add_option("--collection", options->descriptions.collections,
                   "The service's published collection directory (manifest.json, types/); "
                   "repeatable")
      ->type_name("DIR")
      ->allow_extra_args(false);  // one value per occurrence: JSON may follow
  call->add_flag("--no-registry", options->no_registry,
                 "Do not fetch the service's description from the producer's registry");
  call->add_option("--manifest", options->descriptions.manifests,
                   "A manifest.json (one object or an array); repeatable")
      ->type_name("FILE")
      ->allow_extra_args(false);  // one value per occurrence: JSON may follow
  call->add_option("--types", options->descriptions.types_dirs,
                   "A directory of type blobs (<hash>.bin) for nested types; repeatable")
      ->type_name("DIR")
      ->allow_extra_args(false);  // one value per occurrence: JSON may follow
  call->add_option("--serialization", options->serialization,
                   "How to encode: auto (Fory XLANG when the service's description is found, "
                   "else JSON as 0.1.2), xlang or json")
      ->type_name("MODE")
      ->capture_default_str();
  call->add_option("--timeout", options->timeout,
                   "Seconds to wait for the connection and the admission reply")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(seconds_in_range());
  call->add_option("--deadline", options->deadline,
                   "Seconds the call may take (sent to the producer and enforced here; default: "
                   "none, as 0.1.2)")
      ->type_name("SECONDS")
      ->check(seconds_in_range());
  call->add_flag("--json", options->json, "Accepted for 0.1.2 compatibility: output is JSON");
  add_identity_options(*call, options->identity);
  call->footer(
      "Examples:\n"
      "  aster call aster18Q2DCaQe… HelloService.say_hello '{\"name\": \"World\"}'\n"
      "  aster call \"$ADDR\" Catalog.echo --version 2 --collection coll/Catalog.v2 \\\n"
      "      '{\"name\": \"drill\", \"kind\": 5, \"blob\": \"AAE=\", \"dims\": {\"width\": 1.5}}'\n"
      "  aster call \"$ADDR\" Catalog.list --version 2 --collection coll/Catalog.v2 - < req.json\n"
      "\n"
      "Output: the reply as 2-space JSON; server-stream and bidi replies print as they arrive.\n"
      "A session-scoped service gets a one-shot session: opened, the one call, closed.\n"
      "JSON: bytes as base64, enums by the value the manifest lists, nested messages as objects.\n"
      "Types come from --collection/--manifest/--types, else from aster-cli 0.1.2's manifest\n"
      "cache (~/.aster/cache/manifests/<contract_id>.json), else from the producer's registry\n"
      "(then cached there, type blobs in ~/.aster/cache/types/); without them the call is made\n"
      "in JSON mode as aster-cli 0.1.2 makes it (a note on stderr says so).\n"
      "\n"
      "Exit status: 0 success; 1 the call or the connection failed (`Error: …` on stderr,\n"
      "RPC errors as `Error: [CODE] message`); 2 usage error (bad Service.method or JSON).");
  call->callback([options, &context] {
    const CallRequest request = check_usage(*options);
    const Status st = run_call(*options, request, context);
    if (st.is_ok()) {
      context.exit_code = kExitOk;
      return;
    }
    // 0.1.2's `aster call` prints `Error: …` (capital E), not our `error: …`.
    fmt::print(stderr, "Error: {}\n", escape_for_terminal(st.message()));
    context.exit_code = kExitFailure;
  });
}

}  // namespace aster::cli
