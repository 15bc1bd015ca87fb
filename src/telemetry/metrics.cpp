#include "telemetry/metrics.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "core/build_info.h"

namespace payments::telemetry {
namespace {

// Latency buckets in seconds: 1 ms to 10 s.
constexpr double kBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                               0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

}  // namespace

void MetricsWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricsWriter::Sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_.push_back(',');
      out_ += fmt::format("{}=\"{}\"", labels[i].first, EscapeLabel(labels[i].second));
    }
    out_.push_back('}');
  }
  out_.push_back(' ');
  out_ += FormatValue(value);
  out_.push_back('\n');
}

Metrics::Metrics() = default;

void Metrics::ObserveRequest(std::string_view listener, std::string_view method,
                             std::string_view route, int status, double seconds) {
  std::vector<std::string> key{std::string(listener), std::string(method), std::string(route)};
  std::lock_guard lock(mu_);
  Histogram& h = durations_[key];
  if (h.buckets.empty()) h.buckets.assign(std::size(kBuckets), 0);
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
  key.push_back(std::to_string(status));
  ++requests_[key];
}

void Metrics::AddCollector(std::function<void(MetricsWriter&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  MetricsWriter w;
  std::vector<std::function<void(MetricsWriter&)>> collectors;
  {
    std::lock_guard lock(mu_);
    w.Family("payments_http_requests_total", "counter",
             "HTTP requests by listener, route and status.");
    for (const auto& [k, v] : requests_) {
      w.Sample("payments_http_requests_total",
               {{"listener", k[0]}, {"method", k[1]}, {"route", k[2]}, {"status", k[3]}},
               static_cast<double>(v));
    }
    w.Family("payments_http_request_duration_seconds", "histogram",
             "Time from the first byte of a request to its response.");
    for (const auto& [k, h] : durations_) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < std::size(kBuckets); ++i) {
        cumulative += h.buckets[i];
        w.Sample("payments_http_request_duration_seconds_bucket",
                 {{"listener", k[0]},
                  {"method", k[1]},
                  {"route", k[2]},
                  {"le", FormatValue(kBuckets[i])}},
                 static_cast<double>(cumulative));
      }
      w.Sample("payments_http_request_duration_seconds_bucket",
               {{"listener", k[0]}, {"method", k[1]}, {"route", k[2]}, {"le", "+Inf"}},
               static_cast<double>(h.count));
      w.Sample("payments_http_request_duration_seconds_sum",
               {{"listener", k[0]}, {"method", k[1]}, {"route", k[2]}}, h.sum);
      w.Sample("payments_http_request_duration_seconds_count",
               {{"listener", k[0]}, {"method", k[1]}, {"route", k[2]}},
               static_cast<double>(h.count));
    }
    collectors = collectors_;
  }
  for (const auto& c : collectors) c(w);
  return w.text();
}

double ProcessRssBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void WriteProcessMetrics(std::chrono::steady_clock::time_point started, MetricsWriter& w) {
  w.Family("process_resident_memory_bytes", "gauge", "Resident set size.");
  w.Sample("process_resident_memory_bytes", {}, ProcessRssBytes());
  w.Family("process_cpu_seconds_total", "counter", "User and system CPU time.");
  w.Sample("process_cpu_seconds_total", {}, ProcessCpuSeconds());
  w.Family("payments_uptime_seconds", "gauge", "Seconds since the process started.");
  w.Sample("payments_uptime_seconds", {},
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  const BuildInfo& build = GetBuildInfo();
  w.Family("payments_build_info", "gauge", "Version of this binary.");
  w.Sample("payments_build_info",
           {{"version", std::string(build.version)}, {"commit", std::string(build.commit)}}, 1);
}

}  // namespace payments::telemetry
