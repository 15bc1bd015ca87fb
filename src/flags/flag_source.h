// Where the service reads flags from: the current Snapshot, and evaluation
// that counts every result by flag and value for /metrics. The code that uses
// flags depends on this interface only; serve::FlagRefresher is the
// implementation that follows the database, StaticFlagSource a fixed one for
// tests and tools.
//
//   Evaluation<bool> on = source.Evaluate(known::kProcessorSandboxEnabled,
//                                         {.merchant_id = merchant_id});
//   if (!on.value) return ProcessorDisabled();
//
// Thread-safe: Evaluate and EvaluationCounts may be called from any thread.
// Evaluation does no I/O and waits on no lock held across I/O: loading the
// snapshot pointer and counting are atomic operations (flags missing from the
// registry are counted under a short mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"
#include "flags/known_flags.h"
#include "flags/snapshot.h"

namespace payments::flags {

struct EvaluationCount {
  std::string flag;
  std::string value;  // "true"/"false", or the string variant
  uint64_t count = 0;
};

// Counters of evaluation results. The declared flags get lock-free counters
// made up front (so /metrics shows them at zero from the start); any other
// flag is counted in a mutex-guarded map.
class EvaluationCounter {
 public:
  explicit EvaluationCounter(std::span<const KnownFlag> known = AllKnownFlags());
  EvaluationCounter(const EvaluationCounter&) = delete;
  EvaluationCounter& operator=(const EvaluationCounter&) = delete;

  void Count(const BoolFlag& flag, bool value);
  void Count(const StringFlag& flag, std::string_view value);
  // Sorted by flag, then value.
  std::vector<EvaluationCount> Counts() const;

 private:
  struct Slot {
    std::string key;
    std::vector<std::string_view> values;  // static storage: "false", "true" or variants
    std::unique_ptr<std::atomic<uint64_t>[]> counts;
  };
  const Slot* FindSlot(std::string_view key, uint64_t key_hash) const;
  void CountOther(std::string_view key, std::string_view value);

  std::unordered_multimap<uint64_t, Slot> slots_;  // immutable after construction
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> others_;
};

class FlagSource {
 public:
  FlagSource(const FlagSource&) = delete;
  FlagSource& operator=(const FlagSource&) = delete;
  virtual ~FlagSource() = default;

  // The snapshot in force now; never null. Hold it to evaluate several flags
  // against one consistent state.
  virtual std::shared_ptr<const Snapshot> snapshot() const = 0;

  // Evaluate against the current snapshot, or a snapshot already loaded, and count.
  Evaluation<bool> Evaluate(const BoolFlag& flag, const Context& context) const;
  Evaluation<std::string_view> Evaluate(const StringFlag& flag, const Context& context) const;
  Evaluation<bool> Evaluate(const Snapshot& snapshot, const BoolFlag& flag,
                            const Context& context) const;
  Evaluation<std::string_view> Evaluate(const Snapshot& snapshot, const StringFlag& flag,
                                        const Context& context) const;

  // Evaluations so far, by flag and value, for /metrics.
  std::vector<EvaluationCount> EvaluationCounts() const { return counter_.Counts(); }

 protected:
  FlagSource() = default;

 private:
  mutable EvaluationCounter counter_;
};

// A source whose snapshot changes only when told: for tests and tools.
class StaticFlagSource final : public FlagSource {
 public:
  explicit StaticFlagSource(std::shared_ptr<const Snapshot> snapshot = Snapshot::Empty())
      : snapshot_(std::move(snapshot)) {}
  std::shared_ptr<const Snapshot> snapshot() const override { return snapshot_.load(); }
  void Set(std::shared_ptr<const Snapshot> snapshot) { snapshot_.store(std::move(snapshot)); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

// Whether the service may call `processor` for this merchant: its kill switch
// (known::ProcessorEnabledFlag), or true for a processor that has none.
bool ProcessorEnabled(const FlagSource& source, std::string_view processor,
                      std::string_view merchant_id);

// The same as a Status for the payment path: kUnavailable (503 api_error),
// code "processor_disabled", naming the processor, when the switch is off.
payments::Status CheckProcessorEnabled(const FlagSource& source, std::string_view processor,
                                       std::string_view merchant_id);

// The stage of an expand/contract change (known::kExpandContractStages) and
// what it means for the code that reads and writes the two columns.
enum class ExpandContractStage { kOld, kWriteBoth, kReadNew };
ExpandContractStage StageOf(const FlagSource& source, const StringFlag& flag,
                            const Context& context);
inline bool WritesNew(ExpandContractStage s) { return s != ExpandContractStage::kOld; }
inline bool ReadsNew(ExpandContractStage s) { return s == ExpandContractStage::kReadNew; }

}  // namespace payments::flags
