#include "flags/definition_json.h"

#include <gtest/gtest.h>

#include "flags/known_flags.h"
#include "support/matchers.h"

namespace payments::flags {
namespace {

using payments::testing::IsOk;

// The error of parsing `text`, which must fail.
Error ParseError(std::string_view text) {
  auto parsed = ParseDefinitionText(text);
  EXPECT_FALSE(parsed) << text;
  return parsed ? Error{} : parsed.error();
}

TEST(DefinitionJsonTest, RoundTripsBooleanAndStringFlags) {
  auto b = ParseDefinitionText(
      R"({"type":"boolean","rule":"rollout","percentage":12.5,"allow":["mer_1"],)"
      R"("deny":["mer_2"],"description":"new refunds"})");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->rollout_buckets, 1250);
  EXPECT_EQ(b->allow, std::vector<std::string>{"mer_1"});
  auto again = ParseDefinition(nlohmann::json::parse(ToJson(*b).dump()));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *b);
  EXPECT_EQ(ToJson(*b)["percentage"].dump(), "12.5");

  auto s =
      ParseDefinitionText(R"({"type":"string","variants":["old","write_both","read_new"],)"
                          R"("off_variant":"write_both","on_variant":"read_new","rule":"on"})");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->on_variant, "read_new");
  EXPECT_EQ(ToJson(*s).dump(),
            R"({"type":"string","variants":["old","write_both","read_new"],)"
            R"("off_variant":"write_both","on_variant":"read_new","rule":"on","allow":[],)"
            R"("deny":[],"description":""})");
}

TEST(DefinitionJsonTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* param;
    const char* message_part;
  };
  const Case cases[] = {
      {R"([])", "", "JSON object"},
      {R"({"type":"boolean","rule":"on"} trailing)", "", "not valid JSON"},
      {R"({"rule":"on"})", "type", "type is required"},
      {R"({"type":"number","rule":"on"})", "type", "'boolean' or 'string'"},
      {R"({"type":"boolean"})", "rule", "rule is required"},
      {R"({"type":"boolean","rule":"sometimes"})", "rule", "got 'sometimes'"},
      {R"({"type":"boolean","rule":"rollout"})", "percentage", "required for rule 'rollout'"},
      {R"({"type":"boolean","rule":"rollout","percentage":150})", "percentage", "0 to 100"},
      {R"({"type":"boolean","rule":"rollout","percentage":-1})", "percentage", "0 to 100"},
      {R"({"type":"boolean","rule":"rollout","percentage":12.345})", "percentage", "two decimals"},
      {R"({"type":"boolean","rule":"rollout","percentage":"10"})", "percentage", "number"},
      {R"({"type":"boolean","rule":"on","percentage":10})", "percentage", "only to rule"},
      {R"({"type":"boolean","rule":"on","percent":10})", "percent", "unknown field 'percent'"},
      {R"({"type":"boolean","rule":"on","allow":"mer_1"})", "allow", "array of strings"},
      {R"({"type":"boolean","rule":"on","allow":["mer_1",7]})", "allow[1]", "must be a string"},
      {R"({"type":"boolean","rule":"on","deny":["a b"]})", "deny[0]", "without spaces"},
      {R"({"type":"boolean","rule":"on","deny":["m","m"]})", "deny[1]", "repeats"},
      {R"({"type":"boolean","rule":"on","variants":["a"]})", "variants", "only to string"},
      {R"({"type":"string","rule":"on"})", "variants", "1 to 32 values"},
      {R"({"type":"string","rule":"on","variants":["a","a"],"off_variant":"a","on_variant":"a"})",
       "variants[1]", "repeats"},
      {R"({"type":"string","rule":"on","variants":["a","b"],"on_variant":"a"})", "off_variant",
       "required"},
      {R"({"type":"string","rule":"on","variants":["a","b"],"off_variant":"a","on_variant":"c"})",
       "on_variant", "'c' is not one of the variants"},
      {R"({"type":"string","rule":"on","variants":["a b"],"off_variant":"a","on_variant":"a"})",
       "variants[0]", "letters, digits"},
  };
  for (const Case& c : cases) {
    Error e = ParseError(c.json);
    EXPECT_EQ(e.kind, ErrorKind::kInvalidRequest) << c.json;
    EXPECT_EQ(e.code, "flag_definition_invalid") << c.json;
    EXPECT_EQ(e.param, c.param) << c.json;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.json << " -> " << e.message;
  }
}

TEST(DefinitionJsonTest, PercentagesHaveTwoDecimalsAtMost) {
  EXPECT_EQ(*ParsePercentage("0", "p"), 0);
  EXPECT_EQ(*ParsePercentage("100", "p"), 10000);
  EXPECT_EQ(*ParsePercentage("12.5", "p"), 1250);
  EXPECT_EQ(*ParsePercentage("0.01", "p"), 1);
  EXPECT_EQ(*ParsePercentage("33.30", "p"), 3330);
  for (const char* bad : {"", ".5", "100.01", "101", "-1", "1e2", "12.345", "ten", "1.x"}) {
    EXPECT_FALSE(ParsePercentage(bad, "p")) << bad;
  }
  EXPECT_EQ(FormatPercentage(1250), "12.5");
  EXPECT_EQ(FormatPercentage(1), "0.01");
  EXPECT_EQ(FormatPercentage(10000), "100");
}

TEST(KnownFlagsTest, RegistryIsSortedAndHasTheProcessorKillSwitch) {
  auto all = AllKnownFlags();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(KeyOf(all[i - 1]), KeyOf(all[i]));
  const BoolFlag* sandbox = known::ProcessorEnabledFlag("sandbox");
  ASSERT_NE(sandbox, nullptr);
  EXPECT_EQ(sandbox->key, "processor.sandbox.enabled");
  EXPECT_TRUE(sandbox->default_value);
  EXPECT_EQ(known::ProcessorEnabledFlag("acme"), nullptr);
  for (const KnownFlag& flag : all) EXPECT_TRUE(IsValidFlagKey(KeyOf(flag))) << KeyOf(flag);
}

TEST(KnownFlagsTest, DefinitionsMustFitTheDeclaration) {
  Definition boolean;
  boolean.rule = Rule::kOn;
  EXPECT_TRUE(CheckAgainstKnown("processor.sandbox.enabled", boolean, false));

  auto unknown = CheckAgainstKnown("processor.sandbox.enable", boolean, false);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().param, "key");
  EXPECT_NE(unknown.error().message.find("processor.sandbox.enabled"), std::string::npos);
  EXPECT_TRUE(CheckAgainstKnown("processor.sandbox.enable", boolean, true));

  Definition text;
  text.type = FlagType::kString;
  text.variants = {"old", "read_new"};
  auto wrong_type = CheckAgainstKnown("processor.sandbox.enabled", text, false);
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().param, "type");

  const std::string stage(known::kProcessorTransactionIdStage.key);
  EXPECT_TRUE(CheckAgainstKnown(stage, text, false));
  text.variants.push_back("read_newest");
  auto variant = CheckAgainstKnown(stage, text, false);
  ASSERT_FALSE(variant);
  EXPECT_EQ(variant.error().param, "variants[2]");
}

}  // namespace
}  // namespace payments::flags
