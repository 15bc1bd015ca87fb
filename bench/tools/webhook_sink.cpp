// webhook_sink: a webhook endpoint for bench/webhooks/run.sh. An HTTP/1.1
// server on 127.0.0.1 that answers every request 200 at once, and measures
// what arrives: deliveries, distinct `webhook-id` values, the first and last
// arrival, and for the first delivery of each event its lag, the arrival time
// minus the event's "time" field (RFC 3339 with milliseconds, set just before
// the event's transaction commits; the service runs on the same clock).
//
//   webhook_sink [--port N] [--log FILE]
//   http://127.0.0.1:40123/hooks                     <- printed at once
//   {"deliveries":...,"distinct_ids":...,...}        <- at SIGTERM/SIGINT, or when stdin closes
//
// Summary fields: deliveries (requests recorded), distinct_ids, duplicates
// (deliveries of an id already seen), retries (webhook-attempt > 1),
// first_arrival / last_arrival (RFC 3339, ms) and *_unix_ms, span_s (last -
// first), distinct_per_s (distinct_ids / span_s), lag_ms {count, p50, p99, max,
// min} over first deliveries (nearest rank), and the requests it could not
// read: without webhook-id, without a readable top-level "time", not POST.
// --log FILE writes one line per delivery: arrival_unix_ms, webhook-id,
// webhook-attempt, lag_ms (first deliveries; "-" otherwise).
//
// One thread, poll(2) over non-blocking sockets: the service sends each
// delivery on a connection of its own (Connection: close), and keep-alive
// works too. Bodies with Content-Length only (no chunked encoding), up to
// 1 MiB. Plain C++ on the C library, like startup_probe.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

using SysClock = std::chrono::system_clock;

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int) {
  const char c = 's';
  [[maybe_unused]] const ssize_t n = write(g_signal_pipe[1], &c, 1);
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "webhook_sink: %s\n", what.c_str());
  std::exit(2);
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int64_t UnixMs(SysClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// "2026-12-08T10:00:12.345Z" for a Unix time in milliseconds.
std::string Rfc3339(int64_t unix_ms) {
  const time_t secs = static_cast<time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

// An RFC 3339 date-time as Unix microseconds ("Z" or a numeric offset, any
// number of fraction digits).
std::optional<int64_t> ParseRfc3339(std::string_view s) {
  std::tm tm{};
  int consumed = 0;
  const std::string text(s);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t us = static_cast<int64_t>(timegm(&tm)) * 1000000;
  size_t i = static_cast<size_t>(consumed);
  if (i < text.size() && text[i] == '.') {
    ++i;
    int64_t scale = 100000;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      us += (text[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) return us;
  int oh = 0, om = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-') &&
      std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) {
    const int64_t off = (oh * 3600 + om * 60) * int64_t{1000000};
    return text[i] == '+' ? us - off : us + off;
  }
  return std::nullopt;
}

// The string value of a key of the top-level JSON object (no unescaping:
// enough for ids and timestamps), or nullopt.
std::optional<std::string_view> TopLevelString(std::string_view json, std::string_view key) {
  int depth = 0;
  bool expect_key = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < json.size() && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
      if (j >= json.size()) return std::nullopt;
      const std::string_view str = json.substr(i + 1, j - i - 1);
      i = j;
      if (depth == 1 && expect_key) {
        expect_key = false;
        size_t k = i + 1;
        while (k < json.size() && std::isspace(static_cast<unsigned char>(json[k]))) ++k;
        if (k >= json.size() || json[k] != ':') return std::nullopt;
        ++k;
        while (k < json.size() && std::isspace(static_cast<unsigned char>(json[k]))) ++k;
        if (str == key && k < json.size() && json[k] == '"') {
          size_t e = k + 1;
          while (e < json.size() && json[e] != '"') e += json[e] == '\\' ? 2 : 1;
          if (e >= json.size()) return std::nullopt;
          return json.substr(k + 1, e - k - 1);
        }
        i = k - 1;  // the value is read by the loop
      }
    } else if (c == '{' || c == '[') {
      ++depth;
      expect_key = depth == 1 && c == '{';
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_key = true;
    }
  }
  return std::nullopt;
}

struct Stats {
  int64_t deliveries = 0, retries = 0, without_id = 0, without_time = 0, not_post = 0,
          malformed = 0, connections = 0;
  std::unordered_set<std::string> ids;
  std::optional<int64_t> first_ms, last_ms;
  std::vector<double> lags_ms;
  FILE* log = nullptr;

  void Record(std::string_view method, const std::map<std::string, std::string>& headers,
              std::string_view body, SysClock::time_point at) {
    if (method != "POST") {
      ++not_post;
      return;
    }
    ++deliveries;
    const int64_t at_ms = UnixMs(at);
    if (!first_ms) first_ms = at_ms;
    last_ms = at_ms;
    const auto attempt_it = headers.find("webhook-attempt");
    const std::string attempt = attempt_it == headers.end() ? "" : attempt_it->second;
    if (!attempt.empty() && attempt != "1") ++retries;
    const auto id_it = headers.find("webhook-id");
    if (id_it == headers.end() || id_it->second.empty()) {
      ++without_id;
      return;
    }
    const bool first = ids.insert(id_it->second).second;
    std::optional<double> lag;
    if (first) {
      const auto time_text = TopLevelString(body, "time");
      const auto event_us = time_text ? ParseRfc3339(*time_text) : std::nullopt;
      if (!event_us) {
        ++without_time;
      } else {
        const int64_t at_us =
            std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
        lag = static_cast<double>(at_us - *event_us) / 1000.0;
        lags_ms.push_back(*lag);
      }
    }
    if (log) {
      if (lag) {
        std::fprintf(log, "%lld %s %s %.3f\n", static_cast<long long>(at_ms), id_it->second.c_str(),
                     attempt.c_str(), *lag);
      } else {
        std::fprintf(log, "%lld %s %s -\n", static_cast<long long>(at_ms), id_it->second.c_str(),
                     attempt.c_str());
      }
    }
  }

  static double Rank(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return NAN;
    size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    k = std::clamp<size_t>(k, 1, sorted.size());
    return sorted[k - 1];
  }

  std::string Json() {
    std::sort(lags_ms.begin(), lags_ms.end());
    auto num = [](double v, int digits = 1) {
      if (std::isnan(v)) return std::string("null");
      char b[64];
      std::snprintf(b, sizeof b, "%.*f", digits, v);
      return std::string(b);
    };
    const double span_s = first_ms ? static_cast<double>(*last_ms - *first_ms) / 1000.0 : 0.0;
    std::string out = "{";
    out += "\"deliveries\":" + std::to_string(deliveries);
    out += ",\"distinct_ids\":" + std::to_string(ids.size());
    out += ",\"duplicates\":" +
           std::to_string(deliveries - without_id - static_cast<int64_t>(ids.size()));
    out += ",\"retries\":" + std::to_string(retries);
    out += ",\"first_arrival\":" + (first_ms ? "\"" + Rfc3339(*first_ms) + "\"" : "null");
    out += ",\"last_arrival\":" + (last_ms ? "\"" + Rfc3339(*last_ms) + "\"" : "null");
    out += ",\"first_arrival_unix_ms\":" + (first_ms ? std::to_string(*first_ms) : "null");
    out += ",\"last_arrival_unix_ms\":" + (last_ms ? std::to_string(*last_ms) : "null");
    out += ",\"span_s\":" + num(span_s, 3);
    out +=
        ",\"distinct_per_s\":" + num(span_s > 0 ? static_cast<double>(ids.size()) / span_s : NAN);
    out += ",\"lag_ms\":{\"count\":" + std::to_string(lags_ms.size()) +
           ",\"p50\":" + num(Rank(lags_ms, 0.50)) + ",\"p99\":" + num(Rank(lags_ms, 0.99)) +
           ",\"max\":" + num(lags_ms.empty() ? NAN : lags_ms.back()) +
           ",\"min\":" + num(lags_ms.empty() ? NAN : lags_ms.front()) + "}";
    out += ",\"without_webhook_id\":" + std::to_string(without_id);
    out += ",\"without_time\":" + std::to_string(without_time);
    out += ",\"not_post\":" + std::to_string(not_post);
    out += ",\"malformed\":" + std::to_string(malformed);
    out += ",\"connections\":" + std::to_string(connections);
    out += "}";
    return out;
  }
};

constexpr size_t kMaxHeader = 64 * 1024;
constexpr size_t kMaxBody = 1024 * 1024;
constexpr std::string_view kOk =
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n";

struct Conn {
  int fd;
  std::string in, out;
  bool close_after_write = false;
};

// Consumes whole requests from c.in, recording each and queueing its answer.
// False when the connection is to be dropped (malformed).
bool Parse(Conn& c, Stats& stats) {
  for (;;) {
    const size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return c.in.size() <= kMaxHeader;
    std::string_view head(c.in.data(), head_end);
    const size_t line_end = head.find("\r\n");
    const std::string_view request_line = head.substr(0, line_end);
    const size_t sp = request_line.find(' ');
    if (sp == std::string_view::npos) return false;
    const std::string_view method = request_line.substr(0, sp);
    const bool http10 = request_line.ends_with("HTTP/1.0");
    std::map<std::string, std::string> headers;
    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string_view::npos) e = head.size();
      const std::string_view line = head.substr(pos, e - pos);
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name = Lower(Trim(line.substr(0, colon)));
        const std::string value(Trim(line.substr(colon + 1)));
        auto [it, inserted] = headers.emplace(name, value);
        if (!inserted) it->second += ", " + value;
      }
      pos = e + 2;
    }
    if (headers.count("transfer-encoding")) return false;  // chunked: not spoken here
    size_t length = 0;
    if (auto it = headers.find("content-length"); it != headers.end()) {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(it->second.c_str(), &end, 10);
      if (end == it->second.c_str() || *end != '\0' || n > kMaxBody) return false;
      length = static_cast<size_t>(n);
    }
    const size_t total = head_end + 4 + length;
    if (c.in.size() < total) return true;  // the rest of the body is still coming
    const auto at = SysClock::now();
    stats.Record(method, headers, std::string_view(c.in).substr(head_end + 4, length), at);
    const auto conn_it = headers.find("connection");
    const bool close = http10 || (conn_it != headers.end() && Lower(conn_it->second) == "close");
    c.out += kOk;
    c.out += close ? "Connection: close\r\n\r\n" : "\r\n";
    c.close_after_write = c.close_after_write || close;
    c.in.erase(0, total);
    if (close) return true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  const char* log_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--log" && i + 1 < argc) {
      log_path = argv[++i];
    } else {
      Fail("usage: webhook_sink [--port N] [--log FILE]");
    }
  }
  Stats stats;
  if (log_path) {
    stats.log = std::fopen(log_path, "w");
    if (!stats.log) Fail(std::string("cannot write ") + log_path);
  }

  if (pipe(g_signal_pipe) != 0) Fail("pipe");
  SetNonBlocking(g_signal_pipe[1]);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) Fail("socket");
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Fail(std::string("bind: ") + std::strerror(errno));
  }
  if (listen(listener, 1024) != 0) Fail("listen");
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  SetNonBlocking(listener);
  std::printf("http://127.0.0.1:%d/hooks\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  std::map<int, Conn> conns;
  bool watch_stdin = true;
  bool running = true;
  std::vector<pollfd> fds;
  while (running) {
    fds.clear();
    fds.push_back({g_signal_pipe[0], POLLIN, 0});
    fds.push_back({listener, POLLIN, 0});
    fds.push_back({watch_stdin ? STDIN_FILENO : -1, POLLIN, 0});
    for (auto& [fd, c] : conns) {
      fds.push_back({fd, static_cast<short>(c.out.empty() ? POLLIN : POLLOUT), 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      Fail("poll");
    }
    if (fds[0].revents) break;
    if (fds[2].revents & POLLNVAL) {
      watch_stdin = false;  // no stdin at all: only a signal stops the sink
    } else if (fds[2].revents) {
      char buf[256];
      const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) running = false;
    }
    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[fd] = Conn{fd, {}, {}, false};
        ++stats.connections;
      }
    }
    for (size_t i = 3; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Conn& c = conns[fds[i].fd];
      bool drop = false;
      if (!c.out.empty()) {
        const ssize_t n = write(c.fd, c.out.data(), c.out.size());
        if (n > 0)
          c.out.erase(0, static_cast<size_t>(n));
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
          drop = true;
        if (c.out.empty() && c.close_after_write) drop = true;
      } else {
        char buf[16384];
        const ssize_t n = read(c.fd, buf, sizeof buf);
        if (n > 0) {
          c.in.append(buf, static_cast<size_t>(n));
          if (!Parse(c, stats)) {
            ++stats.malformed;
            drop = true;
          }
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          drop = true;
        }
      }
      if (drop) {
        close(c.fd);
        conns.erase(fds[i].fd);
      }
    }
  }
  for (auto& [fd, c] : conns) close(fd);
  close(listener);
  if (stats.log) std::fclose(stats.log);
  std::printf("%s\n", stats.Json().c_str());
  std::fflush(stdout);
  return 0;
}
