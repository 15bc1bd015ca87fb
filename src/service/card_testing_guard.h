// The card-testing guard: someone holding a merchant's key (or its checkout)
// runs stolen card numbers through authorizations to learn which are live.
// The sign is many declines, most of a merchant's attempts, in a short
// window. When a merchant's declines in the last `window` reach
// `min_declines` and are at least `decline_ratio` of its attempts, its new
// authorizations are refused (429 card_testing_suspected, Retry-After) for
// `cooldown`; then counting starts afresh. A trip is logged (warn) and
// counted (payments_card_testing_trips_total).
//
// Counts are per instance (docs/security.md: behind N instances a merchant
// trips at about N × min_declines). The window slides: the previous fixed
// window is weighted by how much of it still overlaps. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace payments::service {

struct CardTestingOptions {
  int64_t min_declines = 50;  // 0 turns the guard off
  double decline_ratio = 0.5;
  std::chrono::seconds window{60};
  std::chrono::seconds cooldown{300};
};

struct CardTestingCounters {
  int64_t trips = 0;
  int64_t refused = 0;
  int64_t held_merchants = 0;
};

class CardTestingGuard {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CardTestingGuard(CardTestingOptions options) : options_(options) {}
  CardTestingGuard(const CardTestingGuard&) = delete;
  CardTestingGuard& operator=(const CardTestingGuard&) = delete;

  // 429 card_testing_suspected while the merchant is held.
  payments::Status Check(const std::string& merchant_id, Clock::time_point now);
  // One authorization the processor answered: declined or approved.
  void Record(const std::string& merchant_id, bool declined, Clock::time_point now);
  CardTestingCounters Counters(Clock::time_point now) const;

 private:
  struct Window {
    Clock::time_point start;
    int64_t attempts = 0, declines = 0;
    int64_t previous_attempts = 0, previous_declines = 0;
    Clock::time_point held_until;
  };
  void Slide(Window& w, Clock::time_point now) const;

  CardTestingOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Window> merchants_;
  int64_t trips_ = 0;
  int64_t refused_ = 0;
};

}  // namespace payments::service
