// An immutable set of flag definitions as read at one moment, and evaluation
// against it. The refresher builds a new Snapshot on every change and swaps a
// shared_ptr; readers keep the one they loaded for as long as they need it.
//
// Evaluation never throws, never allocates and never waits: it finds the flag
// by its precomputed key hash, applies deny, allow and the rule, and returns
// the value and the reason. A flag that is not stored gets the compiled
// default (reason kDefault); one whose stored definition does not fit the
// declaration (wrong type, a variant this binary does not know, a definition
// that did not parse) gets the compiled default with reason kError.
//
//   auto snapshot = source.snapshot();
//   Evaluation<bool> on = Evaluate(*snapshot, known::kProcessorSandboxEnabled,
//                                  {.merchant_id = merchant});
//
// Immutable after Build; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "flags/flag.h"

namespace payments::flags {

// A flag as read from the store: its key and either its definition or why the
// stored text could not be used.
struct SnapshotEntry {
  std::string key;
  payments::Result<Definition> definition;
  int64_t version = 0;
};

class Snapshot {
 public:
  // One compiled flag: the definition with its lists as hash sets.
  struct Compiled {
    std::string key;
    uint64_t key_hash = 0;
    int64_t version = 0;
    std::optional<Definition> definition;        // nullopt: the stored text was unusable
    std::string error;                           // why, when definition is nullopt
    std::unordered_set<std::string_view> allow;  // views into *definition
    std::unordered_set<std::string_view> deny;
  };

  // The snapshot of compiled defaults: no stored flags.
  static std::shared_ptr<const Snapshot> Empty();
  static std::shared_ptr<const Snapshot> Build(std::vector<SnapshotEntry> entries);

  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  const Compiled* Find(std::string_view key, uint64_t key_hash) const noexcept;
  const Compiled* Find(std::string_view key) const noexcept { return Find(key, KeyHash(key)); }
  // Every stored flag, in key order.
  std::vector<const Compiled*> All() const;
  size_t size() const { return flags_.size(); }

 private:
  Snapshot() = default;

  // Keyed by KeyHash; a collision of two stored keys keeps both in the chain.
  std::unordered_multimap<uint64_t, std::unique_ptr<Compiled>> flags_;
};

// Whether the flag is on for the context, and why, from a compiled flag
// whose definition is usable.
struct Decision {
  bool on = false;
  Reason reason = Reason::kRule;
};
Decision Decide(const Snapshot::Compiled& flag, const Context& context) noexcept;

Evaluation<bool> Evaluate(const Snapshot& snapshot, const BoolFlag& flag,
                          const Context& context) noexcept;
// The value is a view of one of flag.variants (static storage), never of the
// snapshot, so it stays valid after the snapshot is released.
Evaluation<std::string_view> Evaluate(const Snapshot& snapshot, const StringFlag& flag,
                                      const Context& context) noexcept;

}  // namespace payments::flags
