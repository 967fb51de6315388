// The MissionControl and AgentSession contracts of aster-rpc's own example, declared in C++
// (aster-rpc@0972ac9:examples/python/mission_control/types.py and services.py). Same tags,
// field names and order, method names and patterns, so the contract ids are equal to the
// Python ones (checked by tests/interop/mission_control_test.cpp against the real 0.1.2) and
// upstream's operator.py, agent.py and benchmark.py run unchanged against our producer.
//
// `tags: dict` and `capabilities: list` are bare (unannotated) in Python: pyfory writes them
// with per-value type info and the contract records ANY, which is what an aster::Value field
// declares (aster/codec/declare.hpp); initialized to an empty map / list, the manifest reports
// them as 0.1.2 does (dict[str, str] / list[str]).
#pragma once

#include <cstdint>
#include <string>

#include "aster/codec/declare.hpp"
#include "aster/codec/value.hpp"
#include "aster/contract/service.hpp"
#include "aster/rpc/service_client.hpp"
#include "aster/rpc/session_client.hpp"

namespace mission {

// Chapter 1: status
struct StatusRequest {
  std::string agent_id;
};
ASTER_MESSAGE(StatusRequest, "mission/StatusRequest", ASTER_FIELD(agent_id))

struct StatusResponse {
  std::string agent_id;
  std::string status = "idle";
  int64_t uptime_secs = 0;
};
ASTER_MESSAGE(StatusResponse, "mission/StatusResponse", ASTER_FIELD(agent_id),
              ASTER_FIELD(status), ASTER_FIELD(uptime_secs))

// Chapter 2: logging
struct LogEntry {
  double timestamp = 0.0;
  std::string level = "info";
  std::string message;
  std::string agent_id;
};
ASTER_MESSAGE(LogEntry, "mission/LogEntry", ASTER_FIELD(timestamp), ASTER_FIELD(level),
              ASTER_FIELD(message), ASTER_FIELD(agent_id))

struct SubmitLogResult {
  bool accepted = true;
};
ASTER_MESSAGE(SubmitLogResult, "mission/SubmitLogResult", ASTER_FIELD(accepted))

struct TailRequest {
  std::string agent_id;
  std::string level = "info";
};
ASTER_MESSAGE(TailRequest, "mission/TailRequest", ASTER_FIELD(agent_id), ASTER_FIELD(level))

// Chapter 3: metrics
struct MetricPoint {
  std::string name;
  double value = 0.0;
  double timestamp = 0.0;
  aster::Value tags = aster::Value::Map{};  // bare `dict` in Python
};
ASTER_MESSAGE(MetricPoint, "mission/MetricPoint", ASTER_FIELD(name), ASTER_FIELD(value),
              ASTER_FIELD(timestamp), ASTER_FIELD(tags))

struct IngestResult {
  int64_t accepted = 0;
  int64_t dropped = 0;
};
ASTER_MESSAGE(IngestResult, "mission/IngestResult", ASTER_FIELD(accepted), ASTER_FIELD(dropped))

// Chapter 4: sessions and commands
struct Heartbeat {
  std::string agent_id;
  aster::Value capabilities = aster::Value::List{};  // bare `list` in Python
  double load_avg = 0.0;
};
ASTER_MESSAGE(Heartbeat, "mission/Heartbeat", ASTER_FIELD(agent_id), ASTER_FIELD(capabilities),
              ASTER_FIELD(load_avg))

struct Assignment {
  std::string task_id;
  std::string command;
};
ASTER_MESSAGE(Assignment, "mission/Assignment", ASTER_FIELD(task_id), ASTER_FIELD(command))

struct Command {
  std::string command;
};
ASTER_MESSAGE(Command, "mission/Command", ASTER_FIELD(command))

struct CommandResult {
  std::string stdout_text;
  std::string stderr_text;
  int64_t exit_code = -1;
};
ASTER_MESSAGE(CommandResult, "mission/CommandResult", ASTER_FIELD_AS(stdout_text, "stdout"),
              ASTER_FIELD_AS(stderr_text, "stderr"), ASTER_FIELD(exit_code))

// Shared service: one instance, every consumer sees the same state.
struct MissionControl {
  static const aster::contract::ServiceDesc& descriptor() {
    using namespace aster::contract;
    static const ServiceDesc desc =
        ServiceDesc("MissionControl")
            .version(1)
            .method(unary<StatusRequest, StatusResponse>("getStatus"))
            .method(unary<LogEntry, SubmitLogResult>("submitLog"))
            .method(server_stream<TailRequest, LogEntry>("tailLogs"))
            .method(client_stream<MetricPoint, IngestResult>("ingestMetrics"));
    return desc;
  }
  // Chapter 5's roles (aster-rpc@0972ac9:examples/python/mission_control/services_auth.py,
  // roles.py). `requires` is not part of the contract id, so both descriptors have one id.
  static const aster::contract::ServiceDesc& auth_descriptor() {
    using namespace aster::contract;
    static const ServiceDesc desc =
        ServiceDesc("MissionControl")
            .version(1)
            .method(unary<StatusRequest, StatusResponse>("getStatus")
                        .requires_capability(CapabilityRequirement::role("ops.status")))
            .method(unary<LogEntry, SubmitLogResult>("submitLog"))
            .method(server_stream<TailRequest, LogEntry>("tailLogs")
                        .requires_capability(
                            CapabilityRequirement::any_of({"ops.logs", "ops.admin"})))
            .method(client_stream<MetricPoint, IngestResult>("ingestMetrics")
                        .requires_capability(CapabilityRequirement::role("ops.ingest")));
    return desc;
  }

  // The typed consumer: `auto mc = co_await client.client<mission::MissionControl>();`.
  class Client : public aster::rpc::ServiceClient {
   public:
    using ServiceClient::ServiceClient;
    asio::awaitable<StatusResponse> getStatus(StatusRequest req, aster::rpc::CallOptions o = {}) {
      return unary<StatusResponse>("getStatus", std::move(req), std::move(o));
    }
    asio::awaitable<SubmitLogResult> submitLog(LogEntry entry, aster::rpc::CallOptions o = {}) {
      return unary<SubmitLogResult>("submitLog", std::move(entry), std::move(o));
    }
    asio::awaitable<aster::rpc::ServerStream<LogEntry>> tailLogs(TailRequest req,
                                                                 aster::rpc::CallOptions o = {}) {
      return server_stream<LogEntry>("tailLogs", std::move(req), std::move(o));
    }
    asio::awaitable<aster::rpc::ClientStreamWriter<MetricPoint, IngestResult>> ingestMetrics(
        aster::rpc::CallOptions o = {}) {
      return client_stream<IngestResult, MetricPoint>("ingestMetrics", std::move(o));
    }
  };
};

// Session-scoped service: one instance per consumer session.
struct AgentSession {
  static const aster::contract::ServiceDesc& descriptor() {
    using namespace aster::contract;
    static const ServiceDesc desc = ServiceDesc("AgentSession")
                                        .version(1)
                                        .scope(ScopeKind::kSession)
                                        .method(unary<Heartbeat, Assignment>("register"))
                                        .method(unary<Heartbeat, Assignment>("heartbeat"))
                                        .method(bidi_stream<Command, CommandResult>("runCommand"));
    return desc;
  }
  static const aster::contract::ServiceDesc& auth_descriptor() {
    using namespace aster::contract;
    static const ServiceDesc desc =
        ServiceDesc("AgentSession")
            .version(1)
            .scope(ScopeKind::kSession)
            .method(unary<Heartbeat, Assignment>("register")
                        .requires_capability(CapabilityRequirement::role("ops.ingest")))
            .method(unary<Heartbeat, Assignment>("heartbeat"))
            .method(bidi_stream<Command, CommandResult>("runCommand")
                        .requires_capability(CapabilityRequirement::role("ops.admin")));
    return desc;
  }

  // One session: `auto agent = co_await client.session<mission::AgentSession>();`.
  class Session : public aster::rpc::SessionClient {
   public:
    using SessionClient::SessionClient;
    asio::awaitable<Assignment> register_agent(Heartbeat hb, aster::rpc::CallOptions o = {}) {
      return unary<Assignment>("register", std::move(hb), std::move(o));
    }
    asio::awaitable<Assignment> heartbeat(Heartbeat hb, aster::rpc::CallOptions o = {}) {
      return unary<Assignment>("heartbeat", std::move(hb), std::move(o));
    }
    asio::awaitable<aster::rpc::SessionBidiStream<Command, CommandResult>> runCommand(
        aster::rpc::CallOptions o = {}) {
      return bidi<CommandResult, Command>("runCommand", std::move(o));
    }
  };
};

}  // namespace mission
