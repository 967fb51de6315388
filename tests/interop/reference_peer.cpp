#include "reference_peer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace aster::interop {
namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<char*> to_argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// Waits for `pid` up to `timeout`; returns its exit code, or -signal. Kills it on timeout.
int wait_with_timeout(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    usleep(20'000);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

std::string reference_python() {
  const char* venv = std::getenv("ASTER_REFERENCE_VENV");
  if (!venv || !*venv) throw std::runtime_error("ASTER_REFERENCE_VENV is not set");
  std::string python = std::string(venv) + "/bin/python";
  if (access(python.c_str(), X_OK) != 0) {
    throw std::runtime_error("no reference venv at " + std::string(venv) +
                             " (run scripts/reference-peers.sh)");
  }
  return python;
}

ReferencePeer::ReferencePeer(const std::string& script, const std::vector<std::string>& args,
                             std::chrono::seconds ready_timeout) {
  PeerCommand command;
  command.argv = {reference_python(), "-u",
                  std::string(ASTER_SOURCE_DIR) + "/tests/interop/py/" + script};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  start(command, script, ready_timeout);
}

ReferencePeer::ReferencePeer(const PeerCommand& command, std::chrono::seconds ready_timeout)
    : interrupt_to_stop_(true) {
  start(command, command.argv.empty() ? std::string() : command.argv.back(), ready_timeout);
}

void ReferencePeer::start(const PeerCommand& command, const std::string& label,
                          std::chrono::seconds ready_timeout) {
  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  char stderr_template[] = "/tmp/aster-peer-stderr-XXXXXX";
  int err_fd = mkstemp(stderr_template);
  stderr_path_ = stderr_template;

  std::vector<std::string> extra = {"ASTER_RELAY_MODE=disabled", "PYTHONUNBUFFERED=1"};
  extra.insert(extra.end(), command.env.begin(), command.env.end());
  auto env = environment_with(extra);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  if (!command.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, command.cwd.c_str());
  auto argv = to_argv(command.argv);
  auto envp = to_argv(env);
  int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_fd);
  stdin_fd_ = in_pipe[1];
  stdout_fd_ = out_pipe[0];
  if (rc != 0) throw std::runtime_error("cannot start " + command.argv[0] + ": " + strerror(rc));

  // Read the first stdout line: the readiness record.
  std::string line;
  const auto deadline = Clock::now() + ready_timeout;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      throw std::runtime_error("reference peer " + label + " not ready in time; stderr:\n" +
                               read_file(stderr_path_));
    }
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) {
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      throw std::runtime_error("reference peer " + label + " exited before ready; stderr:\n" +
                               read_file(stderr_path_));
    }
    line.append(buf, static_cast<size_t>(n));
  }
  line = line.substr(0, line.find('\n'));
  if (!line.empty() && line.front() == '{') {
    info_ = nlohmann::json::parse(line);
  } else {
    info_ = nlohmann::json{{"line", line}};
  }
}

ReferencePeer::~ReferencePeer() {
  if (pid_ > 0) {
    close(stdin_fd_);  // our scripts stop when stdin closes
    if (interrupt_to_stop_) kill(pid_, SIGINT);  // upstream programs stop on Ctrl+C
    if (wait_with_timeout(pid_, std::chrono::seconds(10)) == -SIGKILL) {
      // Logged for the test output: the peer did not stop cleanly.
      fprintf(stderr, "reference peer %d killed after 10 s\n", static_cast<int>(pid_));
    }
  } else if (stdin_fd_ >= 0) {
    close(stdin_fd_);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

CommandResult run_command(const std::vector<std::string>& command, std::chrono::seconds timeout,
                          const std::vector<std::string>& extra_env) {
  char out_template[] = "/tmp/aster-cmd-out-XXXXXX";
  char err_template[] = "/tmp/aster-cmd-err-XXXXXX";
  int out_fd = mkstemp(out_template);
  int err_fd = mkstemp(err_template);
  int null_fd = open("/dev/null", O_RDONLY);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  auto argv = to_argv(command);
  // Everything the interop tests run stays on loopback with relays off.
  std::vector<std::string> env_entries = {"ASTER_RELAY_MODE=disabled"};
  env_entries.insert(env_entries.end(), extra_env.begin(), extra_env.end());
  auto env = environment_with(env_entries);
  auto envp = to_argv(env);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_fd);
  close(err_fd);
  close(null_fd);
  CommandResult result;
  if (rc == 0) {
    result.exit_code = wait_with_timeout(pid, timeout);
  } else {
    result.err = "cannot start " + command[0] + ": " + strerror(rc);
  }
  result.out = read_file(out_template);
  result.err += read_file(err_template);
  unlink(out_template);
  unlink(err_template);
  return result;
}

}  // namespace aster::interop
