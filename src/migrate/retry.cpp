#include "migrate/retry.h"

#include <algorithm>
#include <random>

#include "db/connection.h"

namespace payments::migrate {

bool IsRetryable(const Error& e) {
  return e.sqlstate == db::kLockNotAvailable || e.sqlstate == db::kDeadlockDetected ||
         e.sqlstate == db::kSerializationFailure;
}

std::string ErrorDetail(const Error& e) {
  std::string d = e.detail.empty() ? e.message : e.detail;
  for (std::string_view prefix : {"query: ", "script: "}) {
    if (d.starts_with(prefix)) d.erase(0, prefix.size());
  }
  return d;
}

std::chrono::milliseconds RetryBackoff(int attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t ms = initial.count();
  for (int i = 1; i < attempt && ms < max.count(); ++i) ms *= 2;
  ms = std::min<int64_t>(ms, max.count());
  std::uniform_int_distribution<int64_t> jitter(0, ms / 2);
  return std::chrono::milliseconds(ms / 2 + jitter(rng));
}

}  // namespace payments::migrate
