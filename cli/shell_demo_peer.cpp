// The offline demo peer of `aster shell --demo` (and `aster shell` without a peer): the
// services, blob collection and behaviour of aster-cli 0.1.2's `DemoConnection`
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py): HelloWorld v1, FileStore v2, Analytics v1
// (session-scoped), one collection `HelloWorld.v1`; ~50 ms per call, server streams of five
// items 100 ms apart, client streams counted, bidi echoed. Unlike 0.1.2's demo, `session
// Analytics` works here (each call reports how many calls its session has seen).
#include <chrono>
#include <ctime>
#include <thread>

#include "shell_interrupt.hpp"
#include "shell_peer.hpp"

namespace aster::cli {
namespace {

contract::FieldSchema string_field(std::string name, bool required,
                                   std::optional<std::string> def = std::nullopt) {
  contract::FieldSchema f;
  f.name = std::move(name);
  f.kind = "string";
  f.required = required;
  if (def) {
    f.default_kind = "value";
    f.default_value = *def;
  }
  return f;
}

ShellMethod method(std::string name, std::string pattern, std::string req, std::string resp,
                   std::optional<double> timeout = std::nullopt,
                   std::vector<contract::FieldSchema> fields = {}) {
  return ShellMethod{std::move(name), std::move(pattern), std::move(req), std::move(resp),
                     timeout, std::move(fields)};
}

std::vector<ShellService> demo_services() {
  contract::FieldSchema names;
  names.name = "names";
  names.kind = "list";
  names.item_kind = "string";
  names.required = true;
  std::vector<ShellService> out;
  ShellService hello{.name = "HelloWorld", .version = 1, .scope = "shared"};
  hello.methods = {
      method("sayHello", "unary", "HelloRequest", "HelloResponse", 30.0,
             {string_field("name", true), string_field("greeting", false, "Hello")}),
      method("streamGreetings", "server_stream", "StreamRequest", "HelloResponse", std::nullopt,
             {names})};
  ShellService files{.name = "FileStore", .version = 2, .scope = "shared"};
  files.methods = {method("get", "unary", "GetRequest", "FileData"),
                   method("list", "server_stream", "ListRequest", "FileInfo"),
                   method("put", "unary", "PutRequest", "PutResponse"),
                   method("sync", "bidi_stream", "SyncMessage", "SyncMessage"),
                   method("upload", "client_stream", "Chunk", "UploadResult")};
  ShellService analytics{.name = "Analytics", .version = 1, .scope = "session"};
  analytics.methods = {method("getMetrics", "unary", "MetricsQuery", "MetricsResult"),
                       method("ingest", "client_stream", "DataPoint", "IngestSummary"),
                       method("watchMetrics", "server_stream", "WatchRequest", "MetricEvent")};
  for (ShellService* s : {&hello, &files, &analytics}) {
    s->contract_id = "a1b2c3d4e5f6…";
    s->described_by = "demo";
    for (const auto& m : s->methods) s->types.emplace_back(m.request_type, "aabbccdd…");
    out.push_back(std::move(*s));
  }
  assign_vfs_names(out);
  return out;
}

// Sleeps in small steps; false when Ctrl-C interrupted the wait.
bool pause(std::chrono::milliseconds total) {
  const auto end = std::chrono::steady_clock::now() + total;
  while (std::chrono::steady_clock::now() < end) {
    if (take_interrupt()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string utc_now(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

const Status kCancelled(StatusCode::kCancelled, "cancelled");

class DemoTarget : public CallTarget {
 public:
  DemoTarget(std::string service, bool session) : service_(std::move(service)), session_(session) {}

  Result<Json> unary(const std::string& method, const Json& request) override {
    if (!pause(std::chrono::milliseconds(50))) return kCancelled;
    ++calls_;
    if (service_ == "HelloWorld" && method == "sayHello") {
      Json name = request.contains("name")          ? request["name"]
                  : request.contains("_positional") ? request["_positional"]
                                                    : Json("World");
      Json greeting = request.value("greeting", Json("Hello"));
      auto text = [](const Json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
      return Json{{"message", text(greeting) + ", " + text(name) + "!"},
                  {"timestamp", utc_now("%Y-%m-%dT%H:%M:%SZ")}};
    }
    Json reply = {{"status", "ok"}, {"service", service_}, {"method", method}, {"args", request}};
    if (session_) reply["session_calls"] = calls_;
    return reply;
  }

  Status server_stream(const std::string&, const Json&, const ItemSink& sink) override {
    for (int i = 0; i < 5; ++i) {
      if (!pause(std::chrono::milliseconds(100))) return kCancelled;
      sink(Json{{"index", i}, {"timestamp", utc_now("%H:%M:%S")}});
    }
    ++calls_;
    return Status::ok();
  }

  Result<Json> client_stream(const std::string&, const std::vector<Json>& requests) override {
    ++calls_;
    return Json{{"received", requests.size()}, {"status", "ok"}};
  }

  Status bidi(const std::string&, const std::optional<Json>& first, const LineSource& lines,
              const LineParser& parse, const ItemSink& sink) override {
    if (first) sink(Json{{"echo", *first}});
    while (auto line = lines({})) {
      auto value = parse(*line);
      if (!value.is_ok()) return value.status();
      sink(Json{{"echo", *value}});
    }
    ++calls_;
    return Status::ok();
  }

 private:
  std::string service_;
  bool session_;
  int64_t calls_ = 0;
};

class DemoPeer : public ShellPeer {
 public:
  DemoPeer() : services_(demo_services()) {}
  std::string display_name() const override { return "demo"; }
  const std::vector<ShellService>& services() const override { return services_; }
  Status refresh() override { return Status::ok(); }
  std::vector<ShellBlob> blobs() const override {
    return {{"HelloWorld.v1", "abc123def456789012345678", 0, true}};
  }
  std::vector<ShellBlob> collection_entries(const std::string& collection) const override {
    if (collection != "HelloWorld.v1") return {};
    return {{"manifest.json", "deadbeef0123456789abcdef", 340, false},
            {"contract.bin", "cafebabe9876543210fedcba", 1258291, false},
            {"types/HelloRequest.bin", "1234567890abcdef12345678", 128, false}};
  }
  std::vector<ShellDocEntry> docs() const override {
    return {{"contracts/a1b2c3d4…", "7f3e9a1b2c…", "abc123def456…", 256},
            {"manifests/a1b2c3d4…", "7f3e9a1b2c…", "deadbeef0123…", 340},
            {"versions/HelloWorld/v1", "7f3e9a1b2c…", "cafebabe9876…", 64}};
  }
  Result<std::unique_ptr<CallTarget>> stateless(const ShellService& service) override {
    return std::unique_ptr<CallTarget>(std::make_unique<DemoTarget>(service.name, false));
  }
  Result<std::unique_ptr<CallTarget>> open_session(const ShellService& service) override {
    return std::unique_ptr<CallTarget>(std::make_unique<DemoTarget>(service.name, true));
  }

 private:
  std::vector<ShellService> services_;
};

}  // namespace

std::unique_ptr<ShellPeer> make_demo_peer() { return std::make_unique<DemoPeer>(); }

const ShellMethod* ShellService::find_method(std::string_view method) const {
  for (const auto& m : methods) {
    if (m.name == method) return &m;
  }
  return nullptr;
}

void assign_vfs_names(std::vector<ShellService>& services) {
  for (auto& s : services) {
    int same = 0;
    for (const auto& o : services) same += o.name == s.name ? 1 : 0;
    s.vfs_name = same > 1 ? s.name + "@v" + std::to_string(s.version) : s.name;
  }
}

}  // namespace aster::cli
