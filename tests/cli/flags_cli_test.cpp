// `payments flags …` driven as an operator runs it: the real binary against
// a real database.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "serve/subprocess.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments {
namespace {

using payments::testing::IsOk;

using testing::QueryValue;
using testing::TestDatabase;

class FlagsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_NE(conn_, nullptr);
  }

  serve::ProcessResult Run(std::vector<std::string> args) {
    std::vector<std::string> argv = {PAYMENTS_BINARY, "flags"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--database-url=" + db_.conninfo());
    auto r = serve::RunProcess(argv, std::nullopt);
    EXPECT_THAT(r, IsOk());
    return r ? *r : serve::ProcessResult{};
  }

  // definition, version and audit rows: what a failed command must not change.
  std::string StoredState(const std::string& key) {
    return QueryValue(*conn_,
                      "SELECT coalesce((SELECT definition::text || ' v' || version FROM "
                      "feature_flags WHERE key = '" +
                          key +
                          "'), 'absent') || ' audit=' || (SELECT count(*) FROM "
                          "feature_flag_audit)");
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
};

TEST_F(FlagsCliTest, InvalidDefinitionsExitTwoWithOneLineAndChangeNothing) {
  const std::string key = "processor.sandbox.enabled";
  auto ok = Run({"set", key, "--rule", "rollout", "--percentage", "10", "--reason", "canary",
                 "--actor", "alice"});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const std::string before = StoredState(key);
  const std::string stage = "schema.payments_processor_transaction_id.stage";

  const std::vector<std::vector<std::string>> invalid = {
      {"set", key, "--percentage", "150", "--reason", "r"},
      {"set", key, "--percentage", "12.345", "--reason", "r"},
      {"set", key, "--rule", "sometimes", "--reason", "r"},
      {"set", key, "--on", "--percentage", "20", "--reason", "r"},
      {"set", key, "--json", R"({"type":"boolean","rule":"on","percent":5})", "--reason", "r"},
      {"set", key, "--json", R"({"type":"boolean","rule":"on"})", "--off", "--reason", "r"},
      {"set", key, "--json", "{not json", "--reason", "r"},
      {"set", key, "--add-deny", "mer 1", "--reason", "r"},
      {"set", key, "--type", "string", "--reason", "r"},
      {"set", "processor.sandbox.enable", "--off", "--reason", "r"},  // a typo
      {"set", "Processor Sandbox", "--off", "--allow-unknown", "--type", "boolean", "--reason",
       "r"},
      {"set", stage, "--on", "--reason", "r"},  // no on variant
      {"set", stage, "--on-variant", "read_newest", "--on", "--reason", "r"},
      {"set", key, "--off"},  // no reason
      {"set", key, "--reason", "nothing to set"},
  };
  for (const auto& args : invalid) {
    auto r = Run(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.output;
    EXPECT_TRUE(r.output.starts_with("payments: error: ")) << joined << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << joined << "\n" << r.output;
    EXPECT_EQ(StoredState(key), before) << joined;
    EXPECT_EQ(StoredState(stage), "absent audit=1") << joined;
  }
  // The messages name what is wrong.
  EXPECT_NE(Run({"set", key, "--percentage", "150", "--reason", "r"}).output.find("--percentage"),
            std::string::npos);
  EXPECT_NE(
      Run({"set", key, "--json", R"({"type":"boolean","rule":"on","percent":5})", "--reason", "r"})
          .output.find("unknown field 'percent'"),
      std::string::npos);
  EXPECT_NE(Run({"set", "processor.sandbox.enable", "--off", "--reason", "r"})
                .output.find("known flags: processor.sandbox.enabled"),
            std::string::npos);
}

TEST_F(FlagsCliTest, ChangesAreAuditedWithActorReasonOldAndNew) {
  const std::string key = "processor.sandbox.enabled";
  auto set = Run({"set", key, "--off", "--add-allow", "mer_1, mer_2", "--reason", "INC-42 timeouts",
                  "--actor", "alice"});
  ASSERT_EQ(set.exit_code, 0) << set.output;
  EXPECT_NE(set.output.find("is now off allow=2 (version 1)"), std::string::npos) << set.output;
  // The same log line as the admin API's (service::SetFlag writes it), on stderr.
  EXPECT_NE(set.output.find(R"("message":"flag changed","flag":"processor.sandbox.enabled")"),
            std::string::npos)
      << set.output;
  EXPECT_NE(set.output.find(R"("actor":"alice","reason":"INC-42 timeouts")"), std::string::npos)
      << set.output;
  auto again = Run({"set", key, "--off", "--reason", "again", "--actor", "alice"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("unchanged"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("flag changed"), std::string::npos) << again.output;
  auto grow =
      Run({"set", key, "--remove-allow", "mer_1", "--reason", "mer_1 fixed", "--actor", "bob"});
  ASSERT_EQ(grow.exit_code, 0) << grow.output;

  auto get = Run({"get", key});
  ASSERT_EQ(get.exit_code, 0) << get.output;
  auto flag = nlohmann::json::parse(get.output);
  EXPECT_EQ(flag["version"], 2);
  EXPECT_EQ(flag["default"], true);
  EXPECT_EQ(flag["definition"]["allow"], nlohmann::json::array({"mer_2"}));
  EXPECT_EQ(flag["updated_by"], "bob");

  auto list = Run({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("schema.payments_processor_transaction_id.stage"), std::string::npos);
  EXPECT_NE(list.output.find("default old"), std::string::npos) << list.output;

  auto del = Run({"delete", key, "--reason", "INC-42 closed", "--actor", "carol"});
  ASSERT_EQ(del.exit_code, 0) << del.output;
  EXPECT_NE(del.output.find("now: default true"), std::string::npos) << del.output;
  EXPECT_NE(del.output.find(R"("message":"flag deleted")"), std::string::npos) << del.output;
  auto gone = Run({"delete", key, "--reason", "twice", "--actor", "carol"});
  EXPECT_EQ(gone.exit_code, 1) << gone.output;

  auto history = Run({"history", key, "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.output;
  auto audit = nlohmann::json::parse(history.output);
  ASSERT_EQ(audit.size(), 3u);  // the unchanged set wrote nothing
  EXPECT_EQ(audit[0]["action"], "delete");
  EXPECT_EQ(audit[0]["actor"], "carol");
  EXPECT_EQ(audit[0]["reason"], "INC-42 closed");
  EXPECT_TRUE(audit[0]["new"].is_null());
  EXPECT_EQ(audit[1]["action"], "update");
  EXPECT_EQ(audit[1]["old"]["allow"], nlohmann::json::array({"mer_1", "mer_2"}));
  EXPECT_EQ(audit[1]["new"]["allow"], nlohmann::json::array({"mer_2"}));
  EXPECT_EQ(audit[2]["action"], "create");
  EXPECT_EQ(audit[2]["actor"], "alice");
  EXPECT_TRUE(audit[2]["old"].is_null());
  EXPECT_FALSE(audit[2]["changed_at"].get<std::string>().empty());
}

// The commands of docs/operations/feature-flags.md, "Expand/contract with flags".
TEST_F(FlagsCliTest, TheExpandContractWorkedExampleRuns) {
  const std::string stage = "schema.payments_processor_transaction_id.stage";
  auto value_for = [&](const std::string& json_definition, const char* field) {
    return nlohmann::json::parse(json_definition)["definition"][field];
  };
  auto both = Run({"set", stage, "--off-variant", "write_both", "--on-variant", "read_new", "--off",
                   "--reason", "expand done: write both columns"});
  ASSERT_EQ(both.exit_code, 0) << both.output;
  auto got = Run({"get", stage});
  EXPECT_EQ(value_for(got.output, "off_variant"), "write_both");
  EXPECT_EQ(value_for(got.output, "rule"), "off");
  for (const char* p : {"10", "50"}) {
    auto r = Run({"set", stage, "--percentage", p, "--reason", "read new gradually"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  EXPECT_EQ(value_for(Run({"get", stage}).output, "percentage"), 50);
  ASSERT_EQ(Run({"set", stage, "--on", "--reason", "read new for all"}).exit_code, 0);
  EXPECT_EQ(value_for(Run({"get", stage}).output, "rule"), "on");
  auto undo = Run({"set", stage, "--off-variant", "old", "--off", "--reason", "roll back"});
  ASSERT_EQ(undo.exit_code, 0) << undo.output;
  EXPECT_NE(undo.output.find("off=old"), std::string::npos) << undo.output;
  ASSERT_EQ(Run({"delete", stage, "--reason", "contract done"}).exit_code, 0);
}

TEST_F(FlagsCliTest, ExportWritesFlagdDefinitions) {
  ASSERT_EQ(Run({"set", "processor.sandbox.enabled", "--percentage", "25", "--add-deny", "mer_9",
                 "--reason", "r"})
                .exit_code,
            0);
  char tmpl[] = "/tmp/payments-flagd-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string file = dir + "/flags.json";
  auto r = Run({"export", "--format", "flagd", "--output", file});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(file);
  auto doc = nlohmann::json::parse(in);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(doc["$schema"], "https://flagd.dev/schema/v0/flags.json");
  const auto& flag = doc["flags"]["processor.sandbox.enabled"];
  EXPECT_EQ(flag["state"], "ENABLED");
  EXPECT_EQ(flag["variants"]["on"], true);
  EXPECT_EQ(flag["defaultVariant"], "off");
  const auto& branches = flag["targeting"]["if"];
  ASSERT_EQ(branches.size(), 3u);
  EXPECT_EQ(branches[0]["in"][1], nlohmann::json::array({"mer_9"}));
  EXPECT_EQ(branches[1], "off");
  EXPECT_EQ(branches[2]["fractional"][1], nlohmann::json::array({"on", 25}));
  EXPECT_EQ(branches[2]["fractional"][2], nlohmann::json::array({"off", 75}));
  EXPECT_TRUE(doc["flags"].contains("schema.payments_processor_transaction_id.stage"));

  auto bad = Run({"export", "--format", "unleash"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

TEST_F(FlagsCliTest, AnUnreachableDatabaseIsARunTimeFailure) {
  auto r =
      serve::RunProcess({PAYMENTS_BINARY, "flags", "set", "processor.sandbox.enabled", "--off",
                         "--reason", "r", "--database-url=host=/nonexistent-dir port=1 dbname=x"},
                        std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 1) << r->output;
  EXPECT_TRUE(r->output.starts_with("payments: error: database unavailable")) << r->output;
  EXPECT_EQ(std::count(r->output.begin(), r->output.end(), '\n'), 1) << r->output;
}

}  // namespace
}  // namespace payments
