// How the engine treats database errors it may retry: a lock_timeout, a
// deadlock or a serialization failure rolls a step (or a backfill batch) back
// and runs it again after a backoff; anything else fails it. Pure functions;
// thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "core/error.h"

namespace payments::migrate {

// True for lock_not_available, deadlock_detected and serialization_failure.
bool IsRetryable(const Error& e);

// The database's own words ("ERROR:  relation \"x\" does not exist"), without
// the db layer's "query: " prefix.
std::string ErrorDetail(const Error& e);

// Backoff before retry `attempt` (1-based): exponential from `initial`,
// capped at `max`, half of it random so that retrying migrators spread out.
std::chrono::milliseconds RetryBackoff(int attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max);

}  // namespace payments::migrate
