#include "core/token_bucket.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace payments {

int64_t TokenBucketPolicy::WindowSeconds() const {
  if (!enabled()) return 0;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(burst / rate)));
}

void TokenBucket::Refill(const TokenBucketPolicy& policy, Clock::time_point now) {
  if (now <= updated_) return;
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  tokens_ = std::min(policy.burst, tokens_ + elapsed * policy.rate);
  updated_ = now;
}

TokenBucketDecision TokenBucket::Describe(const TokenBucketPolicy& policy, bool allowed,
                                          double cost) const {
  TokenBucketDecision d;
  d.allowed = allowed;
  d.remaining = static_cast<int64_t>(std::floor(std::max(0.0, tokens_)));
  d.reset_seconds = static_cast<int64_t>(std::ceil((policy.burst - tokens_) / policy.rate));
  if (!allowed) {
    d.retry_after =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil((cost - tokens_) / policy.rate)));
  }
  return d;
}

TokenBucketDecision TokenBucket::Take(const TokenBucketPolicy& policy, Clock::time_point now,
                                      double cost) {
  if (!policy.enabled()) return {};
  Refill(policy, now);
  const bool allowed = tokens_ >= cost;
  if (allowed) tokens_ -= cost;
  return Describe(policy, allowed, cost);
}

TokenBucketDecision TokenBucket::Peek(const TokenBucketPolicy& policy, Clock::time_point now,
                                      double cost) {
  if (!policy.enabled()) return {};
  Refill(policy, now);
  return Describe(policy, tokens_ >= cost, cost);
}

bool TokenBucket::Full(const TokenBucketPolicy& policy, Clock::time_point now) const {
  const double elapsed =
      now > updated_ ? std::chrono::duration<double>(now - updated_).count() : 0.0;
  return tokens_ + elapsed * policy.rate >= policy.burst;
}

KeyedTokenBuckets::KeyedTokenBuckets(TokenBucketPolicy policy, size_t max_keys)
    : policy_(policy), max_per_shard_(std::max<size_t>(1, max_keys / kShards)) {}

KeyedTokenBuckets::Shard& KeyedTokenBuckets::ShardOf(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

TokenBucket& KeyedTokenBuckets::BucketIn(Shard& shard, std::string_view key,
                                         TokenBucket::Clock::time_point now) {
  auto it = shard.buckets.find(std::string(key));
  if (it != shard.buckets.end()) return it->second;
  if (shard.buckets.size() >= max_per_shard_) {
    std::erase_if(shard.buckets, [&](auto& entry) { return entry.second.Full(policy_, now); });
    if (shard.buckets.size() >= max_per_shard_) shard.buckets.clear();
  }
  return shard.buckets.emplace(std::string(key), TokenBucket(policy_, now)).first->second;
}

TokenBucketDecision KeyedTokenBuckets::Take(std::string_view key,
                                            TokenBucket::Clock::time_point now) {
  if (!policy_.enabled()) return {};
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  return BucketIn(shard, key, now).Take(policy_, now);
}

TokenBucketDecision KeyedTokenBuckets::Peek(std::string_view key,
                                            TokenBucket::Clock::time_point now) {
  if (!policy_.enabled()) return {};
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) return TokenBucket(policy_, now).Peek(policy_, now);
  return it->second.Peek(policy_, now);
}

size_t KeyedTokenBuckets::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace payments
