#include "core/duration.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace payments {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int64_t UnitFactor(std::string_view unit) {
  if (unit.empty() || unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m" || unit == "min") return 60'000;
  if (unit == "h") return 3'600'000;
  if (unit == "d") return 86'400'000;
  return 0;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  text = Trim(text);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) return std::nullopt;
  const int64_t factor = UnitFactor(Trim(std::string_view(ptr, text.data() + text.size() - ptr)));
  // A count whose milliseconds do not fit is no duration (nor an overflow).
  if (factor == 0 || n > std::numeric_limits<int64_t>::max() / factor) return std::nullopt;
  return std::chrono::milliseconds(n * factor);
}

bool DurationHasUnit(std::string_view text) {
  text = Trim(text);
  return !text.empty() && (text.back() < '0' || text.back() > '9');
}

}  // namespace payments
