#include "serve/subprocess.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace payments::serve {

std::optional<ProcessUser> UnprivilegedUserIfRoot() {
  if (geteuid() != 0) return std::nullopt;
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* pw = getpwnam(name)) return ProcessUser{pw->pw_uid, pw->pw_gid, name};
  }
  return std::nullopt;
}

payments::Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                           const std::optional<ProcessUser>& user, bool capture) {
  if (argv.empty()) return std::unexpected(Error::Internal("RunProcess: empty argv"));
  int pipefd[2] = {-1, -1};
  if (capture && pipe2(pipefd, O_CLOEXEC) != 0) {
    return std::unexpected(Error::Internal("pipe failed", std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return std::unexpected(Error::Internal("fork failed", std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on. The parent may have
    // blocked or ignored signals (the service's signal watcher); the child
    // starts clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    if (capture) {
      dup2(pipefd[1], STDOUT_FILENO);
      dup2(pipefd[1], STDERR_FILENO);
    }
    if (user) {
      if (setgroups(0, nullptr) != 0 || setgid(user->gid) != 0 || setuid(user->uid) != 0)
        _exit(126);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  ProcessResult result;
  if (capture) {
    close(pipefd[1]);
    char buf[4096];
    while (true) {
      const ssize_t n = read(pipefd[0], buf, sizeof buf);
      if (n > 0) {
        result.output.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    close(pipefd[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  if (result.exit_code == 127) {
    return std::unexpected(Error::Internal(fmt::format("cannot run {}", argv[0])));
  }
  return result;
}

payments::Status ChownTo(const std::string& path, const std::optional<ProcessUser>& user) {
  if (!user) return {};
  if (chown(path.c_str(), user->uid, user->gid) != 0) {
    return std::unexpected(Error::Internal(
        fmt::format("cannot chown {} to {}: {}", path, user->name, std::strerror(errno))));
  }
  return {};
}

}  // namespace payments::serve
