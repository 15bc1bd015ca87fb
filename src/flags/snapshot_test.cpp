#include "flags/snapshot.h"

#include <gtest/gtest.h>

#include <thread>

#include "flags/definition_json.h"
#include "flags/flag_source.h"
#include "flags/known_flags.h"

namespace payments::flags {
namespace {

constexpr BoolFlag kBool{"test.bool", false, "a boolean"};
constexpr BoolFlag kBoolDefaultOn{"test.bool_on", true, ""};
constexpr std::string_view kStages[] = {"old", "write_both", "read_new"};
constexpr StringFlag kStage{"test.stage", "old", kStages, "a stage"};

std::shared_ptr<const Snapshot> With(std::string key, std::string_view json) {
  std::vector<SnapshotEntry> entries;
  entries.push_back({std::move(key), ParseDefinitionText(json), 1});
  return Snapshot::Build(std::move(entries));
}

TEST(EvaluateTest, UnstoredFlagsGetTheCompiledDefault) {
  auto empty = Snapshot::Empty();
  Evaluation<bool> b = Evaluate(*empty, kBool, {.merchant_id = "mer_1"});
  EXPECT_FALSE(b.value);
  EXPECT_EQ(b.reason, Reason::kDefault);
  EXPECT_TRUE(Evaluate(*empty, kBoolDefaultOn, {}).value);
  Evaluation<std::string_view> s = Evaluate(*empty, kStage, {});
  EXPECT_EQ(s.value, "old");
  EXPECT_EQ(s.reason, Reason::kDefault);
}

TEST(EvaluateTest, OffAndOnForEveryone) {
  auto off = With("test.bool_on", R"({"type":"boolean","rule":"off"})");
  Evaluation<bool> e = Evaluate(*off, kBoolDefaultOn, {.merchant_id = "mer_1"});
  EXPECT_FALSE(e.value);
  EXPECT_EQ(e.reason, Reason::kRule);
  auto on = With("test.bool", R"({"type":"boolean","rule":"on"})");
  EXPECT_TRUE(Evaluate(*on, kBool, {.merchant_id = "mer_1"}).value);
  EXPECT_TRUE(Evaluate(*on, kBool, {}).value);
}

TEST(EvaluateTest, DenyBeatsAllowAndAllowBeatsTheRule) {
  auto off = With("test.bool", R"({"type":"boolean","rule":"off","allow":["mer_a","mer_both"],)"
                               R"("deny":["mer_both"]})");
  EXPECT_TRUE(Evaluate(*off, kBool, {.merchant_id = "mer_a"}).value);
  EXPECT_EQ(Evaluate(*off, kBool, {.merchant_id = "mer_a"}).reason, Reason::kRule);
  EXPECT_FALSE(Evaluate(*off, kBool, {.merchant_id = "mer_both"}).value);
  EXPECT_FALSE(Evaluate(*off, kBool, {.merchant_id = "mer_other"}).value);

  auto on = With("test.bool", R"({"type":"boolean","rule":"on","deny":["mer_d"]})");
  EXPECT_FALSE(Evaluate(*on, kBool, {.merchant_id = "mer_d"}).value);
  EXPECT_TRUE(Evaluate(*on, kBool, {.merchant_id = "mer_other"}).value);

  // A 100 % rollout does not override the deny list, a 0 % one not the allow list.
  auto all = With("test.bool", R"({"type":"boolean","rule":"rollout","percentage":100,)"
                               R"("deny":["mer_d"]})");
  EXPECT_FALSE(Evaluate(*all, kBool, {.merchant_id = "mer_d"}).value);
  EXPECT_EQ(Evaluate(*all, kBool, {.merchant_id = "mer_d"}).reason, Reason::kRule);
  EXPECT_TRUE(Evaluate(*all, kBool, {.merchant_id = "mer_x"}).value);
  EXPECT_EQ(Evaluate(*all, kBool, {.merchant_id = "mer_x"}).reason, Reason::kRollout);
  auto none = With("test.bool", R"({"type":"boolean","rule":"rollout","percentage":0,)"
                                R"("allow":["mer_a"]})");
  EXPECT_TRUE(Evaluate(*none, kBool, {.merchant_id = "mer_a"}).value);
  EXPECT_FALSE(Evaluate(*none, kBool, {.merchant_id = "mer_x"}).value);
}

TEST(EvaluateTest, StringFlagsServeTheirOnAndOffVariants) {
  auto flag = With("test.stage", R"({"type":"string","variants":["old","write_both","read_new"],)"
                                 R"("off_variant":"write_both","on_variant":"read_new",)"
                                 R"("rule":"off","allow":["mer_a"]})");
  Evaluation<std::string_view> a = Evaluate(*flag, kStage, {.merchant_id = "mer_a"});
  EXPECT_EQ(a.value, "read_new");
  EXPECT_EQ(a.reason, Reason::kRule);
  // The value is the declaration's own storage, not the snapshot's.
  EXPECT_EQ(a.value.data(), kStages[2].data());
  EXPECT_EQ(Evaluate(*flag, kStage, {.merchant_id = "mer_b"}).value, "write_both");
}

TEST(EvaluateTest, DefinitionsThatDoNotFitTheCodeFallBackToTheDefaultWithReasonError) {
  auto string_for_bool =
      With("test.bool_on", R"({"type":"string","variants":["a"],"off_variant":"a",)"
                           R"("on_variant":"a","rule":"on"})");
  Evaluation<bool> e = Evaluate(*string_for_bool, kBoolDefaultOn, {.merchant_id = "m"});
  EXPECT_TRUE(e.value);
  EXPECT_EQ(e.reason, Reason::kError);

  auto unknown_variant = With("test.stage", R"({"type":"string","variants":["old","read_newer"],)"
                                            R"("off_variant":"old","on_variant":"read_newer",)"
                                            R"("rule":"on"})");
  Evaluation<std::string_view> s = Evaluate(*unknown_variant, kStage, {});
  EXPECT_EQ(s.value, "old");
  EXPECT_EQ(s.reason, Reason::kError);

  auto unparsable = With("test.bool_on", R"({"type":"boolean","rule":"someday"})");
  const Snapshot::Compiled* stored = unparsable->Find("test.bool_on");
  ASSERT_NE(stored, nullptr);
  EXPECT_FALSE(stored->definition);
  EXPECT_NE(stored->error.find("someday"), std::string::npos);
  EXPECT_EQ(Evaluate(*unparsable, kBoolDefaultOn, {}).reason, Reason::kError);
  EXPECT_TRUE(Evaluate(*unparsable, kBoolDefaultOn, {}).value);
}

TEST(SnapshotTest, ListsStoredFlagsInKeyOrder) {
  std::vector<SnapshotEntry> entries;
  for (const char* key : {"c.flag", "a.flag", "b.flag"}) {
    entries.push_back({key, ParseDefinitionText(R"({"type":"boolean","rule":"on"})"), 3});
  }
  auto snapshot = Snapshot::Build(std::move(entries));
  auto all = snapshot->All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->key, "a.flag");
  EXPECT_EQ(all[2]->key, "c.flag");
  EXPECT_EQ(all[1]->version, 3);
  EXPECT_EQ(snapshot->Find("d.flag"), nullptr);
}

TEST(FlagSourceTest, CountsEvaluationsByFlagAndValue) {
  StaticFlagSource source(
      With("processor.sandbox.enabled", R"({"type":"boolean","rule":"off","allow":["mer_a"]})"));
  const BoolFlag& sandbox = known::kProcessorSandboxEnabled;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(source.Evaluate(sandbox, {.merchant_id = "mer_a"}).value);
        EXPECT_FALSE(source.Evaluate(sandbox, {.merchant_id = "mer_b"}).value);
      }
    });
  }
  for (auto& t : threads) t.join();
  source.Evaluate(kBool, {});  // a flag outside the registry is counted too
  source.Evaluate(kStage, {});

  auto counts = source.EvaluationCounts();
  auto count_of = [&](std::string_view flag, std::string_view value) -> int64_t {
    for (const auto& c : counts) {
      if (c.flag == flag && c.value == value) return static_cast<int64_t>(c.count);
    }
    return -1;
  };
  EXPECT_EQ(count_of("processor.sandbox.enabled", "true"), 4000);
  EXPECT_EQ(count_of("processor.sandbox.enabled", "false"), 4000);
  EXPECT_EQ(count_of("test.bool", "false"), 1);
  EXPECT_EQ(count_of("test.stage", "old"), 1);
  // Declared flags show from the start, at zero.
  EXPECT_EQ(count_of(known::kProcessorTransactionIdStage.key, "read_new"), 0);
}

TEST(FlagSourceTest, ASwappedSnapshotTakesEffect) {
  StaticFlagSource source;
  EXPECT_TRUE(source.Evaluate(known::kProcessorSandboxEnabled, {}).value);
  source.Set(With("processor.sandbox.enabled", R"({"type":"boolean","rule":"off"})"));
  EXPECT_FALSE(source.Evaluate(known::kProcessorSandboxEnabled, {}).value);
}

TEST(FlagSourceTest, ProcessorKillSwitchAndExpandContractStage) {
  StaticFlagSource source;
  EXPECT_TRUE(ProcessorEnabled(source, "sandbox", "mer_1"));
  EXPECT_TRUE(ProcessorEnabled(source, "no-such-processor", "mer_1"));
  source.Set(With("processor.sandbox.enabled", R"({"type":"boolean","rule":"off"})"));
  EXPECT_FALSE(ProcessorEnabled(source, "sandbox", "mer_1"));
  payments::Status gate = CheckProcessorEnabled(source, "sandbox", "mer_1");
  ASSERT_FALSE(gate);
  EXPECT_EQ(gate.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(gate.error().code, "processor_disabled");
  EXPECT_NE(gate.error().message.find("'sandbox'"), std::string::npos);
  EXPECT_TRUE(CheckProcessorEnabled(source, "other", "mer_1"));

  const StringFlag& stage = known::kProcessorTransactionIdStage;
  EXPECT_EQ(StageOf(source, stage, {}), ExpandContractStage::kOld);
  source.Set(With(std::string(stage.key),
                  R"({"type":"string","variants":["old","write_both","read_new"],)"
                  R"("off_variant":"write_both","on_variant":"read_new","rule":"off",)"
                  R"("allow":["mer_new"]})"));
  const ExpandContractStage both = StageOf(source, stage, {.merchant_id = "mer_1"});
  EXPECT_EQ(both, ExpandContractStage::kWriteBoth);
  EXPECT_TRUE(WritesNew(both));
  EXPECT_FALSE(ReadsNew(both));
  EXPECT_TRUE(ReadsNew(StageOf(source, stage, {.merchant_id = "mer_new"})));
}

}  // namespace
}  // namespace payments::flags
