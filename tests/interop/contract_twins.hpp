// The C++ twins of tests/interop/py/aster_twins.py: the same five services, declared once with
// the codec's declarations (ASTER_MESSAGE/ASTER_ENUM) and aster::contract::ServiceDesc.
// Field order = Python declaration order; Python type → C++ type per aster/codec/declare.hpp
// (int → int64_t, float → double, bytes → Bytes, Optional → std::optional, …).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aster/codec/declare.hpp"
#include "aster/contract/service.hpp"

namespace twins {

using aster::codec::Bytes;

// ── 1. Echo ──────────────────────────────────────────────────────────────────────────
// The Echo twin of tests/interop/py/aster_twins.py; contract_twins_test.cpp checks that its
// contract_id equals the one aster-rpc 0.1.2 computes for the Python class.
struct EchoRequest {
  std::string message;
};
ASTER_MESSAGE(EchoRequest, "demo/EchoRequest", ASTER_FIELD(message));
struct EchoResponse {
  std::string reply;
};
ASTER_MESSAGE(EchoResponse, "demo/EchoResponse", ASTER_FIELD(reply));
struct Mixed {
  int64_t n = 0;
  std::vector<std::string> tags;
  std::map<std::string, double> scores;
  std::optional<std::string> note;
  std::optional<EchoRequest> child;
};
ASTER_MESSAGE(Mixed, "demo/Mixed", ASTER_FIELD(n), ASTER_FIELD(tags), ASTER_FIELD(scores),
              ASTER_FIELD(note), ASTER_FIELD(child));

// ── 2. Inventory ──────────────────────────────────────────────────────────────
enum class Category { kTools, kGarden, kKitchen };
ASTER_ENUM(Category, "aster_twins/Category", ASTER_ENUMERATOR(kTools, "TOOLS"),
           ASTER_ENUMERATOR(kGarden, "GARDEN"), ASTER_ENUMERATOR(kKitchen, "KITCHEN"));
struct Item {
  std::string sku;
  std::string name;
  Category category = Category::kTools;
  double price = 0.0;
  Bytes photo;
  bool in_stock = false;
  std::vector<std::string> tags;
};
ASTER_MESSAGE(Item, "shop.inventory/Item", ASTER_FIELD(sku), ASTER_FIELD(name),
              ASTER_FIELD(category), ASTER_FIELD(price), ASTER_FIELD(photo), ASTER_FIELD(in_stock),
              ASTER_FIELD(tags));
struct GetItem {
  std::string sku;
};
ASTER_MESSAGE(GetItem, "shop.inventory/GetItem", ASTER_FIELD(sku));
struct WatchItems {
  std::optional<Category> category;
  std::vector<Category> categories;
  int64_t limit = 0;
  std::optional<double> min_price;
};
ASTER_MESSAGE(WatchItems, "shop.inventory/WatchItems", ASTER_FIELD(category),
              ASTER_FIELD(categories), ASTER_FIELD(limit), ASTER_FIELD(min_price));

// ── 3. Uploader ───────────────────────────────────────────────────────────────
struct Chunk {
  Bytes data;
  int64_t seq = 0;
  bool last = false;
  std::optional<Bytes> checksum;
};
ASTER_MESSAGE(Chunk, "files/Chunk", ASTER_FIELD(data), ASTER_FIELD(seq), ASTER_FIELD(last),
              ASTER_FIELD(checksum));
struct UploadSummary {
  int64_t total_bytes = 0;
  std::map<int64_t, int64_t> chunk_sizes;
  std::map<std::string, Bytes> digests;
  std::vector<std::string> warnings;
};
ASTER_MESSAGE(UploadSummary, "files/UploadSummary", ASTER_FIELD(total_bytes),
              ASTER_FIELD(chunk_sizes), ASTER_FIELD(digests), ASTER_FIELD(warnings));

// ── 4. ChatRoom (session) ─────────────────────────────────────────────────────
struct Attachment {
  std::string name;
  Bytes content;
  std::optional<std::string> mime;
};
ASTER_MESSAGE(Attachment, "chat/Attachment", ASTER_FIELD(name), ASTER_FIELD(content),
              ASTER_FIELD(mime));
struct ChatMessage {
  std::string author;
  std::string text;
  int64_t sent_at_ms = 0;
  std::map<std::string, int64_t> reactions;
  std::vector<Attachment> attachments;
  std::optional<Attachment> pinned;
};
ASTER_MESSAGE(ChatMessage, "chat/ChatMessage", ASTER_FIELD(author), ASTER_FIELD(text),
              ASTER_FIELD(sent_at_ms), ASTER_FIELD(reactions), ASTER_FIELD(attachments),
              ASTER_FIELD(pinned));
struct HistoryRequest {
  int64_t limit = 0;
  std::set<std::string> authors;
};
ASTER_MESSAGE(HistoryRequest, "chat/HistoryRequest", ASTER_FIELD(limit), ASTER_FIELD(authors));
struct History {
  std::vector<ChatMessage> messages;
  std::map<std::string, std::vector<ChatMessage>> by_author;
  std::vector<std::vector<int64_t>> grid;
  std::vector<std::optional<double>> maybe_scores;
};
ASTER_MESSAGE(History, "chat/History", ASTER_FIELD(messages), ASTER_FIELD(by_author),
              ASTER_FIELD(grid), ASTER_FIELD(maybe_scores));

// ── 5. MissionControl v3 ──────────────────────────────────────────────────────
enum class Severity { kInfo, kWarn, kCritical };
ASTER_ENUM(Severity, "aster_twins/Severity", ASTER_ENUMERATOR(kInfo, "INFO"),
           ASTER_ENUMERATOR(kWarn, "WARN"), ASTER_ENUMERATOR(kCritical, "CRITICAL"));
struct Coordinates {
  double lat = 0.0;
  double lon = 0.0;
  std::optional<double> alt_m;
};
ASTER_MESSAGE(Coordinates, "acme.mission.v3/Coordinates", ASTER_FIELD(lat), ASTER_FIELD(lon),
              ASTER_FIELD(alt_m));
struct Waypoint {
  std::string name;
  Coordinates at;
  int64_t hold_s = 0;
};
ASTER_MESSAGE(Waypoint, "acme.mission.v3/Waypoint", ASTER_FIELD(name), ASTER_FIELD(at),
              ASTER_FIELD(hold_s));
struct Plan {
  std::string plan_id;
  std::vector<Waypoint> waypoints;
  std::map<std::string, Waypoint> by_name;
  std::optional<Coordinates> origin;
  Severity severity = Severity::kInfo;
  std::map<std::string, std::string> labels;
  Bytes blob;
};
ASTER_MESSAGE(Plan, "acme.mission.v3/Plan", ASTER_FIELD(plan_id), ASTER_FIELD(waypoints),
              ASTER_FIELD(by_name), ASTER_FIELD(origin), ASTER_FIELD(severity), ASTER_FIELD(labels),
              ASTER_FIELD(blob));
struct Ack {
  bool ok = false;
  std::string message;
  std::optional<std::string> plan_id;
};
ASTER_MESSAGE(Ack, "acme.mission.v3/Ack", ASTER_FIELD(ok), ASTER_FIELD(message),
              ASTER_FIELD(plan_id));
struct Telemetry {
  int64_t seq = 0;
  Coordinates position;
  double battery = 0.0;
  std::vector<Severity> alerts;
  std::map<std::string, Severity> sensor;
};
ASTER_MESSAGE(Telemetry, "acme.mission.v3/Telemetry", ASTER_FIELD(seq), ASTER_FIELD(position),
              ASTER_FIELD(battery), ASTER_FIELD(alerts), ASTER_FIELD(sensor));
struct Subscribe {
  std::string mission;
  std::optional<int64_t> every_ms;
};
ASTER_MESSAGE(Subscribe, "acme.mission.v3/Subscribe", ASTER_FIELD(mission), ASTER_FIELD(every_ms));
struct Command {
  std::string verb;
  std::vector<std::string> args;
  std::optional<Waypoint> target;
};
ASTER_MESSAGE(Command, "acme.mission.v3/Command", ASTER_FIELD(verb), ASTER_FIELD(args),
              ASTER_FIELD(target));

// ── The services ──────────────────────────────────────────────────────────────
inline std::vector<aster::contract::ServiceDesc> services() {
  using namespace aster::contract;  // NOLINT
  return {
      ServiceDesc("Echo")
          .method(unary<EchoRequest, EchoResponse>("echo"))
          .method(unary<Mixed, EchoResponse>("mixed").timeout(2.5).idempotent()),
      ServiceDesc("Inventory")
          .version(2)
          .method(unary<GetItem, Item>("get").idempotent())
          .method(server_stream<WatchItems, Item>("watch").timeout(30.0)),
      ServiceDesc("Uploader")
          .serialization_modes({"xlang", "json"})
          .method(client_stream<Chunk, UploadSummary>("upload").idempotent()),
      ServiceDesc("ChatRoom")
          .scope(ScopeKind::kSession)
          .method(bidi_stream<ChatMessage, ChatMessage>("chat"))
          .method(unary<HistoryRequest, History>("history").timeout(5.0)),
      ServiceDesc("MissionControl")
          .version(3)
          .method(unary<Plan, Ack>("submit_plan").timeout(10.0).idempotent())
          .method(server_stream<Subscribe, Telemetry>("telemetry").timeout(0.25))
          .method(client_stream<Coordinates, Ack>("upload_track"))
          .method(bidi_stream<Command, Ack>("command").timeout(60.0)),
  };
}

}  // namespace twins
