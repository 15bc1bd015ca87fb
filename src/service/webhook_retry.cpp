#include "service/webhook_retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace payments::service {

using std::chrono::milliseconds;

namespace {
// Longer than any wait is honoured for (WebhookRetryOptions::retry_after_max).
constexpr milliseconds kForever(100LL * 365 * 86400 * 1000);
}  // namespace

std::optional<milliseconds> ParseRetryAfter(std::string_view value,
                                            std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range || seconds > kForever.count() / 1000) {
      return kForever;  // capped by the caller
    }
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return milliseconds(seconds * 1000);
  }
  // IMF-fixdate, the only form a sender may generate (RFC 9110, 5.6.7).
  std::tm tm{};
  const std::string text(value);
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t at = ::timegm(&tm);
  if (at == static_cast<std::time_t>(-1)) return std::nullopt;
  // In seconds of time_t: a date centuries away is beyond what
  // system_clock's nanoseconds can hold (the webhook_request fuzzer's
  // "Wed, 21 Oct 4504 07:28:00 GMT").
  const std::time_t from = std::chrono::system_clock::to_time_t(now);
  if (at <= from) return milliseconds(0);
  const int64_t seconds = std::min<int64_t>(at - from, kForever.count() / 1000);
  return milliseconds(seconds * 1000);
}

AttemptVerdict JudgeAttempt(int attempt, int status, std::string_view retry_after,
                            std::chrono::system_clock::time_point now,
                            const WebhookRetryOptions& options, double random01) {
  using store::DeliveryOutcome;
  if (status >= 200 && status < 300) return {.outcome = DeliveryOutcome::kSucceeded};
  if (status == 410) return {.outcome = DeliveryOutcome::kGone};
  AttemptVerdict v;
  if ((status == 429 || status == 503) && !retry_after.empty()) {
    if (auto wait = ParseRetryAfter(retry_after, now)) {
      v.endpoint_pause = std::min(*wait, options.retry_after_max);
    }
  }
  const size_t step = static_cast<size_t>(std::max(attempt, 1)) - 1;
  if (step >= options.schedule.size()) {
    v.outcome = DeliveryOutcome::kGiveUp;
    return v;
  }
  const double base = static_cast<double>(options.schedule[step].count());
  const double factor = 1.0 + options.jitter * (2.0 * std::clamp(random01, 0.0, 1.0) - 1.0);
  v.outcome = DeliveryOutcome::kRetry;
  v.retry_in =
      std::max(milliseconds(static_cast<int64_t>(std::llround(base * factor))), v.endpoint_pause);
  return v;
}

}  // namespace payments::service
