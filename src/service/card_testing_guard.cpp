#include "service/card_testing_guard.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "telemetry/log.h"

namespace payments::service {

void CardTestingGuard::Slide(Window& w, Clock::time_point now) const {
  const auto elapsed = now - w.start;
  if (elapsed < options_.window) return;
  if (elapsed < 2 * options_.window) {
    w.previous_attempts = w.attempts;
    w.previous_declines = w.declines;
    w.start += options_.window;
  } else {
    w.previous_attempts = w.previous_declines = 0;
    w.start = now;
  }
  w.attempts = w.declines = 0;
}

payments::Status CardTestingGuard::Check(const std::string& merchant_id, Clock::time_point now) {
  if (options_.min_declines <= 0) return {};
  std::lock_guard lock(mu_);
  auto it = merchants_.find(merchant_id);
  if (it == merchants_.end() || it->second.held_until <= now) return {};
  ++refused_;
  const auto left = std::chrono::ceil<std::chrono::seconds>(it->second.held_until - now);
  return std::unexpected(Error::RateLimited(
      "card_testing_suspected",
      "Authorizations for this account are paused: too many recent ones were declined, as when "
      "stolen card numbers are being tested. Retry after the time in Retry-After.",
      std::max<int64_t>(1, left.count())));
}

void CardTestingGuard::Record(const std::string& merchant_id, bool declined,
                              Clock::time_point now) {
  if (options_.min_declines <= 0) return;
  std::lock_guard lock(mu_);
  auto [it, fresh] = merchants_.try_emplace(merchant_id);
  Window& w = it->second;
  if (fresh) w.start = now;
  Slide(w, now);
  ++w.attempts;
  if (declined) ++w.declines;
  if (w.held_until > now) return;
  // The part of the previous window still inside the sliding one.
  const double overlap = 1.0 - std::chrono::duration<double>(now - w.start) /
                                   std::chrono::duration<double>(options_.window);
  const double declines =
      static_cast<double>(w.declines) + overlap * static_cast<double>(w.previous_declines);
  const double attempts =
      static_cast<double>(w.attempts) + overlap * static_cast<double>(w.previous_attempts);
  if (declines < static_cast<double>(options_.min_declines) ||
      declines < options_.decline_ratio * attempts) {
    return;
  }
  ++trips_;
  w.held_until = now + options_.cooldown;
  w.start = now;
  w.attempts = w.declines = w.previous_attempts = w.previous_declines = 0;
  log::Warn("card testing suspected: authorizations paused",
            {{"merchant_id", merchant_id},
             {"declines", std::lround(declines)},
             {"attempts", std::lround(attempts)},
             {"window_s", options_.window.count()},
             {"paused_s", options_.cooldown.count()}});
}

CardTestingCounters CardTestingGuard::Counters(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  CardTestingCounters c{trips_, refused_, 0};
  for (const auto& [id, w] : merchants_) c.held_merchants += w.held_until > now ? 1 : 0;
  return c;
}

}  // namespace payments::service
