// Starts one of our Python programs (tests/interop/py/) under the real aster-rpc 0.1.2 from the
// reference venv, reads the JSON line it prints when ready, and stops it on destruction.
// Interop tests run inside scripts/netns-run, so the peer sees loopback only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aster::interop {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A program that is not ours (e.g. upstream's own examples, tests/interop/upstream/): its
// argv, working directory and extra environment. Its first stdout line is the readiness
// record: JSON, or plain text (then ready_info() is {"line": <text>}). Stopped with SIGINT.
struct PeerCommand {
  std::vector<std::string> argv;
  std::string cwd;
  std::vector<std::string> env;
};

class ReferencePeer {
 public:
  // `script` is relative to tests/interop/py/. Throws std::runtime_error (with the peer's stderr)
  // when it exits or stays silent for `ready_timeout` instead of printing its JSON line.
  ReferencePeer(const std::string& script, const std::vector<std::string>& args,
                std::chrono::seconds ready_timeout = std::chrono::seconds(60));
  explicit ReferencePeer(const PeerCommand& command,
                         std::chrono::seconds ready_timeout = std::chrono::seconds(60));
  ~ReferencePeer();
  ReferencePeer(const ReferencePeer&) = delete;
  ReferencePeer& operator=(const ReferencePeer&) = delete;

  const nlohmann::json& ready_info() const { return info_; }
  pid_t pid() const { return pid_; }

 private:
  void start(const PeerCommand& command, const std::string& label,
             std::chrono::seconds ready_timeout);

  bool interrupt_to_stop_ = false;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  nlohmann::json info_;
};

// The reference venv's python (ASTER_REFERENCE_VENV); throws if the venv is missing.
std::string reference_python();

// Runs a command to completion with a timeout (SIGKILL after it), capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::seconds timeout = std::chrono::seconds(60),
                          const std::vector<std::string>& extra_env = {});

}  // namespace aster::interop
