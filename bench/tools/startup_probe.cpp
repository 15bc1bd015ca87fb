// startup_probe: how long `payments serve` takes from process start to its
// first `GET /readyz` 200, with the database already up. Starts the binary N
// times on free loopback ports, polls readiness every millisecond over a raw
// socket, stops it with SIGTERM each time, and prints one line per run and a
// summary line that bench/run parses:
//
//   startup_probe --runs 10 --log-dir DIR -- build/payments serve
//   run 1: ready_ms=84.2 startup_ms=61.9
//   ...
//   STARTUP runs=10 median_ms=83.0 min_ms=80.1 max_ms=95.3 median_startup_ms=61.0
//
// `startup_probe --free-ports N` only prints N loopback ports free now, for
// bench/run to start the service on (at any log level, without reading its
// "listening" line).
//
// The service's own environment (PAYMENTS_DATABASE_URL, ...) is inherited;
// PAYMENTS_LISTEN and PAYMENTS_ADMIN_LISTEN are set here. Single-threaded.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "startup_probe: %s\n", message.c_str());
  std::exit(1);
}

// A socket bound to a loopback port nobody uses now; *port receives it.
int BindFreeLoopbackPort(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Fail(std::string("cannot find a free port: ") + std::strerror(errno));
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// A loopback port nobody listens on now (bound, read back, released).
int FreePort() {
  int port = 0;
  close(BindFreeLoopbackPort(&port));
  return port;
}

// The status code of GET /readyz on 127.0.0.1:port, or nullopt when nothing
// answers yet.
std::optional<int> ReadyzStatus(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::optional<int> status;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[64];
      const ssize_t n = read(fd, buf, sizeof buf - 1);
      if (n >= 12) {
        buf[n] = '\0';
        int code = 0;
        if (std::sscanf(buf, "HTTP/1.1 %d", &code) == 1) status = code;
      }
    }
  }
  close(fd);
  return status;
}

// The "startup_ms" field of the service's "listening" log line, if logged.
std::optional<double> LoggedStartupMs(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("\"message\":\"listening\"") == std::string::npos) continue;
    const auto at = line.find("\"startup_ms\":");
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(line.c_str() + at + 13, nullptr);
  }
  return std::nullopt;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Sample {
  double ready_ms = 0;
  std::optional<double> startup_ms;
};

Sample RunOnce(const std::vector<char*>& argv, const std::string& log_path,
               std::chrono::seconds timeout) {
  const int public_port = FreePort();
  const int admin_port = FreePort();
  const std::string listen = "127.0.0.1:" + std::to_string(public_port);
  const std::string admin = "127.0.0.1:" + std::to_string(admin_port);

  const Clock::time_point start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) Fail(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setenv("PAYMENTS_LISTEN", listen.c_str(), 1);
    setenv("PAYMENTS_ADMIN_LISTEN", admin.c_str(), 1);
    const int out = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) {
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      close(out);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  Sample sample;
  bool ready = false;
  while (Clock::now() - start < timeout) {
    if (ReadyzStatus(admin_port) == 200) {
      sample.ready_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      ready = true;
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      Fail("the service exited before it was ready; see " + log_path);
    }
    // Polling a condition, not waiting for time: 1 ms is the resolution.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!ready) Fail("the service was not ready within the timeout; see " + log_path);
  sample.startup_ms = LoggedStartupMs(log_path);
  return sample;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10;
  std::string log_dir = "/tmp";
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--free-ports" && i + 1 < argc) {
      // Held open until all are chosen, so that they differ.
      std::vector<int> held;
      for (int n = std::atoi(argv[i + 1]); n > 0; --n) {
        int port = 0;
        held.push_back(BindFreeLoopbackPort(&port));
        std::printf("%d\n", port);
      }
      for (int fd : held) close(fd);
      return 0;
    }
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (arg == "--log-dir" && i + 1 < argc) {
      log_dir = argv[++i];
    } else if (arg == "--") {
      ++i;
      break;
    } else {
      Fail("usage: startup_probe [--runs N] [--log-dir DIR] -- PAYMENTS_BINARY serve");
    }
  }
  if (i >= argc || runs < 1) {
    Fail("usage: startup_probe [--runs N] [--log-dir DIR] -- PAYMENTS_BINARY serve");
  }
  std::vector<char*> child(argv + i, argv + argc);
  child.push_back(nullptr);

  std::vector<double> ready, startup;
  for (int r = 1; r <= runs; ++r) {
    const std::string log_path = log_dir + "/startup-" + std::to_string(r) + ".log";
    const Sample s = RunOnce(child, log_path, std::chrono::seconds(30));
    ready.push_back(s.ready_ms);
    if (s.startup_ms) startup.push_back(*s.startup_ms);
    std::printf("run %d: ready_ms=%.1f startup_ms=%s\n", r, s.ready_ms,
                s.startup_ms ? std::to_string(*s.startup_ms).c_str() : "n/a");
  }
  // Below info the service logs no "listening" line, hence no startup_ms.
  const std::string logged = startup.empty() ? "n/a" : std::to_string(Median(startup));
  std::printf("STARTUP runs=%d median_ms=%.1f min_ms=%.1f max_ms=%.1f median_startup_ms=%s\n", runs,
              Median(ready), *std::min_element(ready.begin(), ready.end()),
              *std::max_element(ready.begin(), ready.end()), logged.c_str());
  return 0;
}
