#include "support/haproxy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/service_process.h"

namespace payments::testing {
namespace {

// A port that was free a moment ago. HAProxy cannot report a port it chose
// itself, so the drill picks one and retries setup if it was taken meanwhile.
int FreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace

Haproxy::Haproxy(const std::vector<Backend>& backends, int slots) {
  char tmpl[] = "/tmp/payments-haproxy-XXXXXX";
  dir_ = mkdtemp(tmpl);
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = FreePort();
    std::string servers;
    for (int i = 0; i < slots; ++i) {
      // Unused slots start on port 1 (nothing listens), health-checked DOWN.
      const Backend b = i < static_cast<int>(backends.size()) ? backends[i] : Backend{1, 1};
      servers += fmt::format(
          "  server s{} 127.0.0.1:{} check port {} inter 100ms fastinter 100ms downinter 100ms "
          "rise 1 fall 1\n",
          i + 1, b.public_port, b.admin_port);
    }
    const std::string cfg = fmt::format(
        "global\n"
        "  stats socket {0}/admin.sock mode 600 level admin\n"
        "  log stdout format raw local0 info\n"
        "defaults\n"
        "  mode http\n"
        "  log global\n"
        "  option httplog\n"
        "  timeout connect 1s\n"
        "  timeout client 30s\n"
        "  timeout server 30s\n"
        "  retries 3\n"
        "  option redispatch 1\n"
        "  retry-on conn-failure empty-response\n"
        "frontend api\n"
        "  bind 127.0.0.1:{1}\n"
        "  default_backend payments\n"
        "backend payments\n"
        "  balance roundrobin\n"
        "  option httpchk GET /readyz\n"
        "  http-check expect status 200\n"
        "{2}",
        dir_, port_, servers);
    std::ofstream(dir_ + "/haproxy.cfg") << cfg;
    const std::string log = dir_ + "/haproxy.log";
    const pid_t pid = fork();
    if (pid == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execlp("haproxy", "haproxy", "-db", "-f", (dir_ + "/haproxy.cfg").c_str(), nullptr);
      _exit(127);
    }
    // Up when the admin socket answers; a taken port makes it exit instead.
    const bool up = Eventually(
        [&] {
          int status = 0;
          if (waitpid(pid, &status, WNOHANG) == pid) return true;
          return Command("show info").find("Name: HAProxy") != std::string::npos;
        },
        std::chrono::seconds(10));
    int status = 0;
    if (up && waitpid(pid, &status, WNOHANG) == 0) pid_ = pid;
  }
  if (pid_ < 0) ADD_FAILURE() << "HAProxy did not start: " << Logs();
}

Haproxy::~Haproxy() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string Haproxy::Command(const std::string& command) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = dir_ + "/admin.sock";
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string line = command + "\n";
    if (write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

bool Haproxy::SetServer(const std::string& name, const Backend& backend) {
  const std::string addr = Command(
      fmt::format("set server payments/{} addr 127.0.0.1 port {}", name, backend.public_port));
  const std::string check =
      Command(fmt::format("set server payments/{} check-port {}", name, backend.admin_port));
  return addr.find("No such") == std::string::npos && check.find("No such") == std::string::npos;
}

std::string Haproxy::ServerState(const std::string& name) {
  // "show stat" is CSV: pxname,svname,...,status (column 18).
  std::istringstream in(Command("show stat"));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, ',')) cols.push_back(col);
    if (cols.size() > 17 && cols[0] == "payments" && cols[1] == name) return cols[17];
  }
  return "";
}

std::string Haproxy::Logs() const {
  std::ifstream in(dir_ + "/haproxy.log");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace payments::testing
