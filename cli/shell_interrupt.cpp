#include "shell_interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>

namespace aster::cli {
namespace {

std::atomic<bool> g_interrupted{false};
int g_pipe[2] = {-1, -1};

void on_sigint(int) {
  g_interrupted.store(true);
  const char byte = 1;
  [[maybe_unused]] auto n = ::write(g_pipe[1], &byte, 1);
}

void drain_pipe() {
  char buf[64];
  while (::read(g_pipe[0], buf, sizeof buf) > 0) {
  }
}

}  // namespace

void install_interrupt_handler() {
  if (g_pipe[0] >= 0) return;
  if (::pipe(g_pipe) != 0) return;
  for (int fd : g_pipe) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns EINTR
  ::sigaction(SIGINT, &sa, nullptr);
}

bool take_interrupt() {
  if (g_pipe[0] >= 0) drain_pipe();
  return g_interrupted.exchange(false);
}

void raise_interrupt() { g_interrupted.store(true); }

int interrupt_fd() { return g_pipe[0]; }

LineInput::End LineInput::read(std::string& line, const std::string& prompt,
                               const std::function<bool()>& stop) {
  if (eof_ && buffer_.empty() && ::isatty(STDIN_FILENO)) eof_ = false;  // ^D ends one read
  if (!prompt.empty()) {
    std::fputs(prompt.c_str(), stdout);
    std::fflush(stdout);
  }
  while (true) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      buffer_.erase(0, nl + 1);
      return End::kLine;
    }
    if (eof_) {
      if (buffer_.empty()) return End::kEof;
      line = std::move(buffer_);  // a last line without its newline
      buffer_.clear();
      return End::kLine;
    }
    if (take_interrupt()) return End::kInterrupted;
    if (stop && stop()) return End::kStopped;
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {interrupt_fd(), POLLIN, 0}};
    const int ready = ::poll(fds, interrupt_fd() >= 0 ? 2 : 1, stop ? 30 : -1);
    if (ready < 0 && errno != EINTR) {
      eof_ = true;
      continue;
    }
    if (ready > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) {
        buffer_.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        eof_ = true;
      }
    }
  }
}

LineInput& standard_input() {
  static LineInput input;
  return input;
}

}  // namespace aster::cli
