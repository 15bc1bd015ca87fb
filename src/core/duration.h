// Durations as operators write them: "250ms", "5s", "2m" or "2min", "24h",
// "7d"; a bare number is milliseconds (the project's convention for every
// duration option). One parser for migration directives and the grace period
// of a rolled API key. Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace payments {

// The duration, or nullopt when the text is not one: no sign, no fraction,
// units ms, s, m, min, h, d (surrounding spaces allowed), and no count whose
// milliseconds overflow.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// True when the text ends in a unit (a bare number is milliseconds, which a
// caller may find too easy to misread and refuse).
bool DurationHasUnit(std::string_view text);

}  // namespace payments
