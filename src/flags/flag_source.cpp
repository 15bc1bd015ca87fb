#include "flags/flag_source.h"

#include <fmt/format.h>

#include <algorithm>

namespace payments::flags {
namespace {

constexpr std::string_view kBoolValues[] = {"false", "true"};

}  // namespace

EvaluationCounter::EvaluationCounter(std::span<const KnownFlag> known) {
  for (const KnownFlag& flag : known) {
    Slot slot;
    slot.key = std::string(KeyOf(flag));
    if (const auto* s = std::get_if<const StringFlag*>(&flag)) {
      slot.values.assign((*s)->variants.begin(), (*s)->variants.end());
    } else {
      slot.values.assign(std::begin(kBoolValues), std::end(kBoolValues));
    }
    slot.counts = std::make_unique<std::atomic<uint64_t>[]>(slot.values.size());
    const uint64_t hash = KeyHash(slot.key);
    slots_.emplace(hash, std::move(slot));
  }
}

const EvaluationCounter::Slot* EvaluationCounter::FindSlot(std::string_view key,
                                                           uint64_t key_hash) const {
  auto [begin, end] = slots_.equal_range(key_hash);
  for (auto it = begin; it != end; ++it) {
    if (it->second.key == key) return &it->second;
  }
  return nullptr;
}

void EvaluationCounter::CountOther(std::string_view key, std::string_view value) {
  std::pair<std::string, std::string> labels(key, value);
  std::lock_guard lock(mu_);
  ++others_[std::move(labels)];
}

void EvaluationCounter::Count(const BoolFlag& flag, bool value) {
  if (const Slot* slot = FindSlot(flag.key, flag.key_hash)) {
    // A declared boolean flag has exactly the two slots "false", "true".
    if (slot->values.size() == 2 && slot->values[0] == kBoolValues[0]) {
      slot->counts[value ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  CountOther(flag.key, kBoolValues[value ? 1 : 0]);
}

void EvaluationCounter::Count(const StringFlag& flag, std::string_view value) {
  if (const Slot* slot = FindSlot(flag.key, flag.key_hash)) {
    for (size_t i = 0; i < slot->values.size(); ++i) {
      if (slot->values[i] == value) {
        slot->counts[i].fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
  }
  CountOther(flag.key, value);
}

std::vector<EvaluationCount> EvaluationCounter::Counts() const {
  std::vector<EvaluationCount> out;
  for (const auto& [hash, slot] : slots_) {
    for (size_t i = 0; i < slot.values.size(); ++i) {
      out.push_back(
          {slot.key, std::string(slot.values[i]), slot.counts[i].load(std::memory_order_relaxed)});
    }
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [labels, count] : others_) out.push_back({labels.first, labels.second, count});
  }
  std::sort(out.begin(), out.end(), [](const EvaluationCount& a, const EvaluationCount& b) {
    return std::tie(a.flag, a.value) < std::tie(b.flag, b.value);
  });
  return out;
}

Evaluation<bool> FlagSource::Evaluate(const BoolFlag& flag, const Context& context) const {
  return Evaluate(*snapshot(), flag, context);
}

Evaluation<std::string_view> FlagSource::Evaluate(const StringFlag& flag,
                                                  const Context& context) const {
  return Evaluate(*snapshot(), flag, context);
}

Evaluation<bool> FlagSource::Evaluate(const Snapshot& snapshot, const BoolFlag& flag,
                                      const Context& context) const {
  Evaluation<bool> result = flags::Evaluate(snapshot, flag, context);
  counter_.Count(flag, result.value);
  return result;
}

Evaluation<std::string_view> FlagSource::Evaluate(const Snapshot& snapshot, const StringFlag& flag,
                                                  const Context& context) const {
  Evaluation<std::string_view> result = flags::Evaluate(snapshot, flag, context);
  counter_.Count(flag, result.value);
  return result;
}

bool ProcessorEnabled(const FlagSource& source, std::string_view processor,
                      std::string_view merchant_id) {
  const BoolFlag* kill_switch = known::ProcessorEnabledFlag(processor);
  if (kill_switch == nullptr) return true;
  return source.Evaluate(*kill_switch, {.merchant_id = merchant_id}).value;
}

payments::Status CheckProcessorEnabled(const FlagSource& source, std::string_view processor,
                                       std::string_view merchant_id) {
  if (ProcessorEnabled(source, processor, merchant_id)) return {};
  return std::unexpected(Error::Of(
      ErrorKind::kUnavailable, "processor_disabled",
      fmt::format("Payments through processor '{}' are switched off for now; retry later.",
                  processor)));
}

ExpandContractStage StageOf(const FlagSource& source, const StringFlag& flag,
                            const Context& context) {
  const std::string_view value = source.Evaluate(flag, context).value;
  if (value == "read_new") return ExpandContractStage::kReadNew;
  if (value == "write_both") return ExpandContractStage::kWriteBoth;
  return ExpandContractStage::kOld;
}

}  // namespace payments::flags
