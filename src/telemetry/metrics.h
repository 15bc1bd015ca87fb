// Prometheus metrics in the text exposition format (version 0.0.4), written
// by hand because Debian 12 packages no Prometheus client. Request counters
// and latency histograms are recorded as requests finish; everything else
// (pool, in-flight, RSS, uptime, outcomes) is read by collectors at scrape
// time. Labels are templates and small enums, never raw paths or ids.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace payments::telemetry {

// Writes metric families; used by collectors.
class MetricsWriter {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Starts a family: # HELP and # TYPE lines (type: counter, gauge, histogram).
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void ObserveRequest(std::string_view listener, std::string_view method, std::string_view route,
                      int status, double seconds);

  // A collector writes one or more families at scrape time.
  void AddCollector(std::function<void(MetricsWriter&)> collector);

  std::string Render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts are computed when rendering
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, uint64_t> requests_;    // listener, method, route, status
  std::map<std::vector<std::string>, Histogram> durations_;  // listener, method, route
  std::vector<std::function<void(MetricsWriter&)>> collectors_;
};

// The process's resident set size in bytes, from /proc/self/statm.
double ProcessRssBytes();
// CPU seconds used by the process (user + system).
double ProcessCpuSeconds();

// The process's families: resident memory, CPU time, uptime since started,
// and payments_build_info with this binary's version and commit.
void WriteProcessMetrics(std::chrono::steady_clock::time_point started, MetricsWriter& w);

}  // namespace payments::telemetry
