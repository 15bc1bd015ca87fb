// Token buckets for rate limits: TokenBucket is one bucket (pure arithmetic
// on a time the caller passes in); KeyedTokenBuckets holds one per key (an
// API key's hash, a client address) in a bounded table.
//
// TokenBucket is a value, not thread-safe. KeyedTokenBuckets is thread-safe:
// the table is split into shards, each under its own mutex, so requests of
// different keys seldom wait for each other.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace payments {

struct TokenBucketPolicy {
  double rate = 0;   // tokens added per second; 0 turns the limit off
  double burst = 0;  // the most tokens a bucket holds (and starts with)

  bool enabled() const { return rate > 0 && burst >= 1; }
  // Seconds an empty bucket takes to fill: the window of RateLimit-Policy.
  int64_t WindowSeconds() const;
};

// What a bucket says of one request.
struct TokenBucketDecision {
  bool allowed = true;
  int64_t remaining = 0;      // whole tokens left after this request
  int64_t retry_after = 0;    // seconds until one token, when refused (≥ 1)
  int64_t reset_seconds = 0;  // seconds until the bucket is full again
};

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(const TokenBucketPolicy& policy, Clock::time_point now)
      : tokens_(policy.burst), updated_(now) {}

  // Takes `cost` tokens if there are that many.
  TokenBucketDecision Take(const TokenBucketPolicy& policy, Clock::time_point now, double cost = 1);
  // Whether `cost` tokens are there, taking none.
  TokenBucketDecision Peek(const TokenBucketPolicy& policy, Clock::time_point now, double cost = 1);
  // Full at `now`: it holds nothing a fresh bucket would not.
  bool Full(const TokenBucketPolicy& policy, Clock::time_point now) const;

 private:
  void Refill(const TokenBucketPolicy& policy, Clock::time_point now);
  TokenBucketDecision Describe(const TokenBucketPolicy& policy, bool allowed, double cost) const;

  double tokens_;
  Clock::time_point updated_;
};

class KeyedTokenBuckets {
 public:
  // At most max_keys buckets are kept: when a shard is full, buckets that
  // have refilled (the same as absent ones) are dropped first; if none has,
  // the shard starts afresh, which lets a flood of new keys through for a
  // moment instead of growing without bound.
  explicit KeyedTokenBuckets(TokenBucketPolicy policy, size_t max_keys = 100'000);
  KeyedTokenBuckets(const KeyedTokenBuckets&) = delete;
  KeyedTokenBuckets& operator=(const KeyedTokenBuckets&) = delete;

  const TokenBucketPolicy& policy() const { return policy_; }
  TokenBucketDecision Take(std::string_view key, TokenBucket::Clock::time_point now);
  TokenBucketDecision Peek(std::string_view key, TokenBucket::Clock::time_point now);
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, TokenBucket> buckets;
  };
  Shard& ShardOf(std::string_view key);
  TokenBucket& BucketIn(Shard& shard, std::string_view key, TokenBucket::Clock::time_point now);

  TokenBucketPolicy policy_;
  size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace payments
