#include "flags/snapshot.h"

#include <algorithm>

namespace payments::flags {

std::shared_ptr<const Snapshot> Snapshot::Empty() {
  static const std::shared_ptr<const Snapshot> empty(new Snapshot());
  return empty;
}

std::shared_ptr<const Snapshot> Snapshot::Build(std::vector<SnapshotEntry> entries) {
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  snapshot->flags_.reserve(entries.size());
  for (SnapshotEntry& entry : entries) {
    auto compiled = std::make_unique<Compiled>();
    compiled->key = std::move(entry.key);
    compiled->key_hash = KeyHash(compiled->key);
    compiled->version = entry.version;
    if (entry.definition) {
      compiled->definition = std::move(*entry.definition);
      // Views into the definition, which the Compiled owns and never moves.
      for (const std::string& id : compiled->definition->allow) compiled->allow.insert(id);
      for (const std::string& id : compiled->definition->deny) compiled->deny.insert(id);
    } else {
      compiled->error = entry.definition.error().message;
    }
    const uint64_t hash = compiled->key_hash;
    snapshot->flags_.emplace(hash, std::move(compiled));
  }
  return snapshot;
}

const Snapshot::Compiled* Snapshot::Find(std::string_view key, uint64_t key_hash) const noexcept {
  auto [begin, end] = flags_.equal_range(key_hash);
  for (auto it = begin; it != end; ++it) {
    if (it->second->key == key) return it->second.get();
  }
  return nullptr;
}

std::vector<const Snapshot::Compiled*> Snapshot::All() const {
  std::vector<const Compiled*> out;
  out.reserve(flags_.size());
  for (const auto& [hash, flag] : flags_) out.push_back(flag.get());
  std::sort(out.begin(), out.end(),
            [](const Compiled* a, const Compiled* b) { return a->key < b->key; });
  return out;
}

Decision Decide(const Snapshot::Compiled& flag, const Context& context) noexcept {
  const Definition& d = *flag.definition;
  if (!flag.deny.empty() && flag.deny.contains(context.merchant_id)) return {false, Reason::kRule};
  if (!flag.allow.empty() && flag.allow.contains(context.merchant_id)) return {true, Reason::kRule};
  switch (d.rule) {
    case Rule::kOff:
      return {false, Reason::kRule};
    case Rule::kOn:
      return {true, Reason::kRule};
    case Rule::kRollout:
      break;
  }
  // 0 % and 100 % need no hash.
  if (d.rollout_buckets <= 0) return {false, Reason::kRollout};
  if (d.rollout_buckets >= kRolloutBuckets) return {true, Reason::kRollout};
  const int bucket = RolloutBucketFromKeyHash(flag.key_hash, context.merchant_id);
  return {bucket < d.rollout_buckets, Reason::kRollout};
}

Evaluation<bool> Evaluate(const Snapshot& snapshot, const BoolFlag& flag,
                          const Context& context) noexcept {
  const Snapshot::Compiled* stored = snapshot.Find(flag.key, flag.key_hash);
  if (stored == nullptr) return {flag.default_value, Reason::kDefault};
  if (!stored->definition || stored->definition->type != FlagType::kBoolean) {
    return {flag.default_value, Reason::kError};
  }
  const Decision decision = Decide(*stored, context);
  return {decision.on, decision.reason};
}

Evaluation<std::string_view> Evaluate(const Snapshot& snapshot, const StringFlag& flag,
                                      const Context& context) noexcept {
  const Snapshot::Compiled* stored = snapshot.Find(flag.key, flag.key_hash);
  if (stored == nullptr) return {flag.default_value, Reason::kDefault};
  if (!stored->definition || stored->definition->type != FlagType::kString) {
    return {flag.default_value, Reason::kError};
  }
  const Decision decision = Decide(*stored, context);
  const std::string& chosen =
      decision.on ? stored->definition->on_variant : stored->definition->off_variant;
  for (std::string_view variant : flag.variants) {
    if (variant == chosen) return {variant, decision.reason};
  }
  // A variant a newer binary introduced: this one cannot serve it.
  return {flag.default_value, Reason::kError};
}

}  // namespace payments::flags
