// Durations as operators write them: "250ms", "5s", "2m" or "2min", "24h",
// "7d"; a bare number is milliseconds (the project's convention for every
// duration option). One parser for migration directives and the grace period
// of a rolled API key, and the schedules of reconciliation and webhook
// retries. Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace payments {

// The duration, or nullopt when the text is not one: no sign, no fraction,
// units ms, s, m, min, h, d (surrounding spaces allowed), and no count whose
// milliseconds overflow.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// True when the text ends in a unit (a bare number is milliseconds, which a
// caller may find too easy to misread and refuse).
bool DurationHasUnit(std::string_view text);

// A schedule of delays, "2s,10s,1m,1h": 1 to 100 positive durations. The
// error is InvalidRequest with `param` and a message that starts with `what`.
payments::Result<std::vector<std::chrono::milliseconds>> ParseDurationList(std::string_view text,
                                                                           std::string_view param,
                                                                           std::string_view what);

}  // namespace payments
