#include "flags/flagd_export.h"

#include <gtest/gtest.h>

#include "flags/definition_json.h"

namespace payments::flags {
namespace {

using Json = nlohmann::ordered_json;

Json ExportOne(std::string key, std::string_view definition) {
  std::vector<SnapshotEntry> entries;
  entries.push_back({key, ParseDefinitionText(definition), 1});
  FlagdExport e = ExportFlagd(entries, {});
  EXPECT_TRUE(e.skipped.empty());
  return e.document["flags"][key];
}

TEST(FlagdExportTest, OnAndOffBecomeTheDefaultVariant) {
  Json off = ExportOne("a.flag", R"({"type":"boolean","rule":"off","description":"d"})");
  EXPECT_EQ(off.dump(), R"({"state":"ENABLED","variants":{"on":true,"off":false},)"
                        R"("defaultVariant":"off","metadata":{"description":"d"}})");
  Json on = ExportOne("a.flag", R"({"type":"boolean","rule":"on"})");
  EXPECT_EQ(on["defaultVariant"], "on");
  EXPECT_FALSE(on.contains("targeting"));
}

TEST(FlagdExportTest, RolloutBecomesFractionalOnTheFlagKeyAndTargetingKey) {
  Json flag = ExportOne("a.flag", R"({"type":"boolean","rule":"rollout","percentage":12.5})");
  EXPECT_EQ(flag["defaultVariant"], "off");
  EXPECT_EQ(flag["targeting"].dump(),
            R"({"fractional":[{"cat":[{"var":"$flagd.flagKey"},{"var":"targetingKey"}]},)"
            R"(["on",12.5],["off",87.5]]})");
}

TEST(FlagdExportTest, ListsComeBeforeTheRuleDenyFirst) {
  Json flag = ExportOne("a.flag", R"({"type":"string","variants":["old","write_both","read_new"],)"
                                  R"("off_variant":"write_both","on_variant":"read_new",)"
                                  R"("rule":"rollout","percentage":10,)"
                                  R"("allow":["mer_a"],"deny":["mer_d"]})");
  EXPECT_EQ(flag["variants"].dump(),
            R"({"old":"old","write_both":"write_both","read_new":"read_new"})");
  EXPECT_EQ(flag["defaultVariant"], "write_both");
  EXPECT_EQ(flag["targeting"].dump(),
            R"({"if":[{"in":[{"var":"targetingKey"},["mer_d"]]},"write_both",)"
            R"({"in":[{"var":"targetingKey"},["mer_a"]]},"read_new",)"
            R"({"fractional":[{"cat":[{"var":"$flagd.flagKey"},{"var":"targetingKey"}]},)"
            R"(["read_new",10],["write_both",90]]}]})");
}

TEST(FlagdExportTest, DeclaredFlagsNotStoredCarryTheirCompiledDefault) {
  std::vector<SnapshotEntry> entries;
  entries.push_back({"broken.flag", ParseDefinitionText(R"({"type":"boolean"})"), 1});
  FlagdExport e = ExportFlagd(entries);
  ASSERT_EQ(e.skipped.size(), 1u);
  EXPECT_NE(e.skipped[0].find("broken.flag: rule is required"), std::string::npos);
  EXPECT_EQ(e.document["$schema"], "https://flagd.dev/schema/v0/flags.json");
  const Json& sandbox = e.document["flags"]["processor.sandbox.enabled"];
  EXPECT_EQ(sandbox["defaultVariant"], "on");
  EXPECT_EQ(sandbox["metadata"]["source"], "compiled default");
  const Json& stage = e.document["flags"]["schema.payments_processor_transaction_id.stage"];
  EXPECT_EQ(stage["defaultVariant"], "old");
  EXPECT_EQ(stage["variants"].size(), 3u);
  EXPECT_FALSE(e.document["flags"].contains("broken.flag"));
}

}  // namespace
}  // namespace payments::flags
