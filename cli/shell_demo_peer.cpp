// The offline demo peer of `aster shell --demo` (and `aster shell` without a peer): the
// services, blob collection and behaviour of aster-cli 0.1.2's `DemoConnection`
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py): HelloWorld v1, FileStore v2, Analytics v1
// (session-scoped), one collection `HelloWorld.v1`; ~50 ms per call, server streams of five
// items 100 ms apart, client streams counted, bidi echoed. Unlike 0.1.2's demo, `session
// Analytics` works here (each call reports how many calls its session has seen).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include "aster/contract/identity.hpp"
#include "peer_content.hpp"
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

ShellService demo_service(std::string name, int64_t version, std::string scope) {
  ShellService s;
  s.name = std::move(name);
  s.version = version;
  s.scope = std::move(scope);
  return s;
}

std::vector<ShellService> demo_services() {
  contract::FieldSchema names;
  names.name = "names";
  names.kind = "list";
  names.item_kind = "string";
  names.required = true;
  std::vector<ShellService> out;
  ShellService hello = demo_service("HelloWorld", 1, "shared");
  hello.methods = {
      method("sayHello", "unary", "HelloRequest", "HelloResponse", 30.0,
             {string_field("name", true), string_field("greeting", false, "Hello")}),
      method("streamGreetings", "server_stream", "StreamRequest", "HelloResponse", std::nullopt,
             {names})};
  ShellService files = demo_service("FileStore", 2, "shared");
  files.methods = {method("get", "unary", "GetRequest", "FileData"),
                   method("list", "server_stream", "ListRequest", "FileInfo"),
                   method("put", "unary", "PutRequest", "PutResponse"),
                   method("sync", "bidi_stream", "SyncMessage", "SyncMessage"),
                   method("upload", "client_stream", "Chunk", "UploadResult")};
  ShellService analytics = demo_service("Analytics", 1, "session");
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

// Text padded with spaces to exactly `size` bytes (JSON stays valid): the demo's listing
// shows 0.1.2's sizes, and `cat`/`save` give bytes of those sizes.
std::string padded(std::string text, size_t size) {
  if (text.size() < size) text.append(size - text.size() - 1, ' ').push_back('\n');
  return text;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

// Deterministic filler for the binary entries (a linear congruential sequence).
std::vector<uint8_t> filler(size_t size, uint32_t seed) {
  std::vector<uint8_t> out(size);
  for (auto& b : out) {
    seed = seed * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(seed >> 24);
  }
  return out;
}

constexpr const char* kDemoContractId =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

// The demo's one collection, `HelloWorld.v1`, with the entries and sizes of 0.1.2's demo
// (manifest.json 340 B, contract.bin 1 258 291 B, types/HelloRequest.bin 128 B) and real
// BLAKE3 hashes of the bytes shown; and the three registry entries 0.1.2's demo lists.
struct DemoContent {
  struct Blob {
    std::string name;
    std::vector<uint8_t> bytes;
    std::string hash;
  };
  std::vector<Blob> entries;
  std::string collection_hash;
  std::vector<std::pair<ShellDocEntry, std::vector<uint8_t>>> docs;

  DemoContent() {
    const std::string manifest = padded(
        R"({"service": "HelloWorld", "version": 1, "contract_id": ")" +
            std::string(kDemoContractId) +
            R"(", "methods": [{"name": "sayHello", "pattern": "unary", "request_type": )"
            R"("HelloRequest", "response_type": "HelloResponse"}, {"name": "streamGreetings", )"
            R"("pattern": "server_stream"}]})",
        340);
    entries = {{"manifest.json", bytes_of(manifest), ""},
               {"contract.bin", filler(1258291, 1), ""},
               {"types/HelloRequest.bin", filler(128, 2), ""}};
    std::string roots;
    for (auto& e : entries) {
      e.hash = contract::to_hex(contract::blake3(e.bytes));
      roots += e.hash;
    }
    collection_hash = contract::to_hex(contract::blake3(bytes_of(roots)));
    const std::string author = "7f3e9a1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e";
    const std::string ref = padded(R"({"contract_id":")" + std::string(kDemoContractId) +
                                       R"(","collection_hash":")" + collection_hash +
                                       R"(","collection_format":"index"})",
                                   256);
    auto doc = [&](std::string key, const std::string& text) {
      auto bytes = bytes_of(text);
      ShellDocEntry e{std::move(key), author, contract::to_hex(contract::blake3(bytes)),
                      bytes.size()};
      docs.emplace_back(std::move(e), std::move(bytes));
    };
    doc("contracts/" + std::string(kDemoContractId), ref);
    doc("manifests/" + std::string(kDemoContractId), manifest);
    doc("versions/HelloWorld/v1", kDemoContractId);  // 0.1.2 demo key (the real one: services/…)
  }
};

const DemoContent& demo_content() {
  static const DemoContent content;  // built on first use: `aster shell --demo` starts at once
  return content;
}

class DemoPeer : public ShellPeer {
 public:
  DemoPeer() : services_(demo_services()) {}
  std::string display_name() const override { return "demo"; }
  const std::vector<ShellService>& services() const override { return services_; }
  Status refresh() override { return Status::ok(); }
  Result<std::vector<ShellBlob>> blobs() override {
    return std::vector<ShellBlob>{{"HelloWorld.v1", demo_content().collection_hash, 0, true}};
  }
  Result<std::vector<ShellBlob>> collection_entries(const std::string& collection) override {
    const auto& c = demo_content();
    if (collection != "HelloWorld.v1" && collection != c.collection_hash) {
      return Status(StatusCode::kNotFound, "no collection " + collection);
    }
    std::vector<ShellBlob> out;
    for (const auto& e : c.entries) out.push_back({e.name, e.hash, e.bytes.size(), false});
    return out;
  }
  Result<std::vector<ShellDocEntry>> docs() override {
    std::vector<ShellDocEntry> out;
    for (const auto& [e, bytes] : demo_content().docs) out.push_back(e);
    return out;
  }
  std::optional<size_t> known_blob_count() override { return 1; }
  Result<std::vector<uint8_t>> read_doc(const std::string& key) override {
    for (const auto& [e, bytes] : demo_content().docs) {
      if (e.key == key) return bytes;
    }
    return Status(StatusCode::kNotFound, "no registry entry " + key);
  }
  Result<std::vector<uint8_t>> read_blob(const std::string& hash, size_t max,
                                         TransferProgress* progress) override {
    const auto& c = demo_content();
    std::vector<std::string> known;
    for (const auto& e : c.entries) known.push_back(e.hash);
    for (const auto& [e, bytes] : c.docs) known.push_back(e.hash);
    ASTER_ASSIGN_OR_RETURN(std::string full, match_hash(hash, known));
    const std::vector<uint8_t>* found = nullptr;
    for (const auto& e : c.entries) {
      if (e.hash == full) found = &e.bytes;
    }
    for (const auto& [e, bytes] : c.docs) {
      if (e.hash == full) found = &bytes;
    }
    if (found == nullptr) {
      return Status(StatusCode::kNotFound, "the demo peer has no blob " + full.substr(0, 16) +
                                               "…");
    }
    if (found->size() > max) {
      return Status(StatusCode::kResourceExhausted,
                    "blob has " + std::to_string(found->size()) + " bytes");
    }
    if (progress != nullptr) {
      progress->begin(full, found->size());
      progress->update(found->size());
      progress->end(true);
    }
    return *found;
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
