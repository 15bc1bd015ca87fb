#include "core/duration.h"

#include <fmt/format.h>

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

payments::Result<std::vector<std::chrono::milliseconds>> ParseDurationList(std::string_view text,
                                                                           std::string_view param,
                                                                           std::string_view what) {
  std::vector<std::chrono::milliseconds> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string_view part =
        text.substr(start, comma == std::string_view::npos ? text.size() - start : comma - start);
    const auto d = ParseDuration(part);
    if (!d || d->count() <= 0) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_invalid",
          fmt::format("{}: '{}' is not a positive duration (e.g. 2s,10s,1m,1h)", what,
                      part.substr(0, 32)),
          std::string(param)));
    }
    out.push_back(*d);
    if (out.size() > 100) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_invalid", fmt::format("{}: at most 100 steps", what), std::string(param)));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace payments
