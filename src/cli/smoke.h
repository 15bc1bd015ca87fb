// The post-deploy smoke test (`payments smoke`): drives a running instance
// through its public API the way a merchant would — readiness, version, an
// authorization, an idempotent replay, a partial capture, a refund, a cancel,
// a decline, a list, the balance, an unauthenticated call — and reports each
// step. Use a dedicated smoke-test merchant: its payments are real objects
// (on the sandbox processor). Thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace payments::cli {

struct SmokeOptions {
  std::string url;        // http://host:port of the public listener
  std::string admin_url;  // optional: http://host:port of the admin listener
  std::string key;        // the smoke-test merchant's secret key
  std::chrono::milliseconds timeout{10000};
};

struct SmokeStep {
  std::string name;
  bool ok = false;
  double ms = 0;
  std::string detail;  // what was wrong, or what was seen
};

// Runs every step (a failed step does not stop the later independent ones).
std::vector<SmokeStep> RunSmoke(const SmokeOptions& options);

}  // namespace payments::cli
