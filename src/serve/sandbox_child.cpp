#include "serve/sandbox_child.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

namespace payments::serve {
namespace {

using Clock = std::chrono::steady_clock;

std::string Millis(std::chrono::milliseconds d) { return std::to_string(d.count()); }

// The port of a "sandbox listening" line, or 0.
int ListeningPort(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || j.value("message", "") != "sandbox listening") return 0;
  auto port = j.find("port");
  return port != j.end() && port->is_number_integer() ? port->get<int>() : 0;
}

}  // namespace

payments::Result<std::unique_ptr<SandboxChild>> SandboxChild::Start(
    const SandboxChildOptions& options) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return std::unexpected(Error::Internal("cannot start the sandbox processor",
                                           fmt::format("pipe: {}", std::strerror(errno))));
  }
  const std::vector<std::string> args = {"payments",       "sandbox",
                                         "--listen",       "127.0.0.1:0",
                                         "--journal",      options.journal,
                                         "--latency",      Millis(options.latency),
                                         "--slow-latency", Millis(options.slow_latency),
                                         "--hang",         Millis(options.hang)};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return std::unexpected(Error::Internal("cannot start the sandbox processor",
                                           fmt::format("fork: {}", std::strerror(errno))));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::unique_ptr<SandboxChild> child(new SandboxChild());
  child->pid_ = pid;
  child->output_fd_ = pipe_fds[0];

  // Its output, line by line, until it says where it listens.
  std::string buffer;
  std::string seen;  // for the error when it exits first
  const Clock::time_point deadline = Clock::now() + options.start_timeout;
  while (child->port_ == 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{child->output_fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      child->Stop();
      return std::unexpected(Error::Internal("the sandbox processor did not start in time", seen));
    }
    char chunk[4096];
    const ssize_t n = ::read(child->output_fd_, chunk, sizeof(chunk));
    if (n <= 0) {
      child->Stop();
      return std::unexpected(Error::Internal("the sandbox processor exited at start", seen));
    }
    buffer.append(chunk, static_cast<size_t>(n));
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos; buffer.erase(0, nl + 1)) {
      const std::string line = buffer.substr(0, nl);
      (void)!::write(STDERR_FILENO, (line + "\n").data(), line.size() + 1);
      if (seen.size() < 4096) seen += line + "\n";
      if (const int port = ListeningPort(line); port > 0) child->port_ = port;
    }
  }
  // From now on its lines go straight through to our stderr.
  child->forwarder_ = std::thread([fd = child->output_fd_, rest = std::move(buffer)] {
    if (!rest.empty()) (void)!::write(STDERR_FILENO, rest.data(), rest.size());
    char chunk[4096];
    for (ssize_t n; (n = ::read(fd, chunk, sizeof(chunk))) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      (void)!::write(STDERR_FILENO, chunk, static_cast<size_t>(n));
    }
  });
  return child;
}

int SandboxChild::Stop(std::chrono::milliseconds timeout) {
  int code = -1;
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const Clock::time_point deadline = Clock::now() + timeout;
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (r < 0 && errno != EINTR) break;
      if (Clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        (void)::waitpid(pid_, &status, 0);
        break;
      }
      ::usleep(10'000);  // a poll of the child's exit at shutdown, not a test's wait
    }
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  if (forwarder_.joinable()) forwarder_.join();  // ends at the pipe's EOF
  if (output_fd_ >= 0) {
    ::close(output_fd_);
    output_fd_ = -1;
  }
  return code;
}

SandboxChild::~SandboxChild() { Stop(); }

}  // namespace payments::serve
