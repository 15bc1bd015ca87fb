#include "flags/definition_edit.h"

#include <gtest/gtest.h>

#include "flags/definition_json.h"
#include "flags/known_flags.h"
#include "support/matchers.h"

namespace payments::flags {
namespace {

using payments::testing::IsOk;

const std::string kSandbox(known::kProcessorSandboxEnabled.key);
const std::string kStage(known::kProcessorTransactionIdStage.key);

std::string Stored(const Definition& d) { return ToJson(d).dump(); }

TEST(DefinitionEditTest, AnUnstoredDeclaredFlagStartsFromItsDefault) {
  DefinitionEdit edit;
  edit.add_deny = {"mer_1"};
  auto d = ApplyEdit(kSandbox, std::nullopt, edit);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->type, FlagType::kBoolean);
  EXPECT_EQ(d->rule, Rule::kOn);  // the kill switch defaults to on
  EXPECT_EQ(d->deny, std::vector<std::string>{"mer_1"});

  DefinitionEdit stage;
  stage.on_variant = "read_new";
  stage.rollout_buckets = 1000;
  auto s = ApplyEdit(kStage, std::nullopt, stage);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->variants, (std::vector<std::string>{"old", "write_both", "read_new"}));
  EXPECT_EQ(s->off_variant, "old");
  EXPECT_EQ(s->rule, Rule::kRollout);
}

TEST(DefinitionEditTest, EditsTheStoredDefinition) {
  Definition stored;
  stored.rule = Rule::kRollout;
  stored.rollout_buckets = 1000;
  stored.allow = {"mer_a", "mer_b"};
  DefinitionEdit grow;
  grow.rollout_buckets = 2000;
  grow.remove_allow = {"mer_a"};
  grow.add_allow = {"mer_b", "mer_c"};
  auto d = ApplyEdit(kSandbox, Stored(stored), grow);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rollout_buckets, 2000);
  EXPECT_EQ(d->allow, (std::vector<std::string>{"mer_b", "mer_c"}));

  DefinitionEdit off;
  off.rule = Rule::kOff;  // leaving the rollout drops the percentage
  auto o = ApplyEdit(kSandbox, Stored(*d), off);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->rule, Rule::kOff);
  EXPECT_EQ(o->rollout_buckets, 0);
  EXPECT_EQ(o->allow, d->allow);
}

TEST(DefinitionEditTest, RejectsWhatCannotBeStored) {
  DefinitionEdit unknown;
  unknown.rule = Rule::kOn;
  unknown.type = FlagType::kBoolean;
  auto typo = ApplyEdit("processor.sandbox.enable", std::nullopt, unknown);
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().param, "key");
  unknown.allow_unknown = true;
  EXPECT_TRUE(ApplyEdit("processor.sandbox.enable", std::nullopt, unknown));
  unknown.type.reset();
  unknown.allow_unknown = false;
  EXPECT_EQ(ApplyEdit("processor.sandbox.enable", std::nullopt, unknown).error().param, "key");
  unknown.allow_unknown = true;
  auto untyped = ApplyEdit("processor.sandbox.enable", std::nullopt, unknown);
  ASSERT_FALSE(untyped);
  EXPECT_EQ(untyped.error().param, "type");

  DefinitionEdit both;
  both.json = R"({"type":"boolean","rule":"on"})";
  both.rule = Rule::kOff;
  EXPECT_EQ(ApplyEdit(kSandbox, std::nullopt, both).error().param, "json");

  DefinitionEdit rollout;
  rollout.rule = Rule::kRollout;
  EXPECT_EQ(ApplyEdit(kSandbox, std::nullopt, rollout).error().param, "percentage");
  rollout.rollout_buckets = 500;
  rollout.rule = Rule::kOn;
  EXPECT_EQ(ApplyEdit(kSandbox, std::nullopt, rollout).error().param, "percentage");

  DefinitionEdit stage;
  stage.rule = Rule::kOn;  // no on_variant
  EXPECT_EQ(ApplyEdit(kStage, std::nullopt, stage).error().param, "on_variant");
  stage.on_variant = "read_newest";
  EXPECT_EQ(ApplyEdit(kStage, std::nullopt, stage).error().param, "on_variant");

  DefinitionEdit anything;
  anything.rule = Rule::kOff;
  auto broken = ApplyEdit(kSandbox, std::string(R"({"type":"boolean","rule":"maybe"})"), anything);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("replace it whole"), std::string::npos);
}

}  // namespace
}  // namespace payments::flags
