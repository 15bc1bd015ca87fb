// The cost of one flag evaluation: the pure evaluation against a snapshot,
// and through a FlagSource (loading the shared snapshot pointer and counting
// the result for /metrics), on a snapshot of 100 flags. Target: < 100 ns.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "flags/definition_json.h"
#include "flags/flag_source.h"
#include "flags/known_flags.h"

namespace payments::flags {
namespace {

std::shared_ptr<const Snapshot> HundredFlags(std::string_view rule_json) {
  std::vector<SnapshotEntry> entries;
  for (int i = 0; i < 99; ++i) {
    entries.push_back({fmt::format("filler.flag_{}", i),
                       ParseDefinitionText(R"({"type":"boolean","rule":"on"})"), 1});
  }
  entries.push_back(
      {std::string(known::kProcessorSandboxEnabled.key), ParseDefinitionText(rule_json), 1});
  return Snapshot::Build(std::move(entries));
}

std::vector<std::string> Merchants() {
  std::vector<std::string> ids;
  for (int i = 0; i < 1024; ++i) ids.push_back(fmt::format("mer_01jd8k3m6w9q4r2t{:08}", i));
  return ids;
}

void Run(benchmark::State& state, std::string_view rule_json) {
  auto snapshot = HundredFlags(rule_json);
  const auto ids = Merchants();
  size_t i = 0;
  for (auto _ : state) {
    auto e = Evaluate(*snapshot, known::kProcessorSandboxEnabled, {.merchant_id = ids[i++ & 1023]});
    benchmark::DoNotOptimize(e);
  }
}

void BM_EvaluateRuleOn(benchmark::State& state) { Run(state, R"({"type":"boolean","rule":"on"})"); }

void BM_EvaluateRollout(benchmark::State& state) {
  Run(state, R"({"type":"boolean","rule":"rollout","percentage":12.5})");
}

void BM_EvaluateListsAndRollout(benchmark::State& state) {
  std::string allow, deny;
  for (int i = 0; i < 1000; ++i) {
    allow += fmt::format("{}\"mer_allow_{}\"", i ? "," : "", i);
    deny += fmt::format("{}\"mer_deny_{}\"", i ? "," : "", i);
  }
  Run(state, fmt::format(R"({{"type":"boolean","rule":"rollout","percentage":50,"allow":[{}],)"
                         R"("deny":[{}]}})",
                         allow, deny));
}

void BM_EvaluateNotStored(benchmark::State& state) {
  auto snapshot = HundredFlags(R"({"type":"boolean","rule":"on"})");
  for (auto _ : state) {
    auto e = Evaluate(*snapshot, known::kProcessorTransactionIdStage, {.merchant_id = "mer_1"});
    benchmark::DoNotOptimize(e);
  }
}

// Through the source: atomic shared_ptr load, evaluation, counter increment.
void BM_SourceEvaluateRollout(benchmark::State& state) {
  static StaticFlagSource source(
      HundredFlags(R"({"type":"boolean","rule":"rollout","percentage":12.5})"));
  const auto ids = Merchants();
  size_t i = 0;
  for (auto _ : state) {
    auto e = source.Evaluate(known::kProcessorSandboxEnabled, {.merchant_id = ids[i++ & 1023]});
    benchmark::DoNotOptimize(e);
  }
}

BENCHMARK(BM_EvaluateRuleOn);
BENCHMARK(BM_EvaluateRollout);
BENCHMARK(BM_EvaluateListsAndRollout);
BENCHMARK(BM_EvaluateNotStored);
BENCHMARK(BM_SourceEvaluateRollout)->Threads(1)->Threads(2);

}  // namespace
}  // namespace payments::flags
