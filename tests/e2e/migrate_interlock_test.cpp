// The expand/contract interlock through the binary: a contract migration
// refuses while a live instance was built without it, naming the instance,
// and proceeds once that instance is gone (or with --force, warning).
#include <gtest/gtest.h>

#include "store/instance_store.h"
#include "support/child_process.h"
#include "support/migration_files.h"
#include "support/test_database.h"

namespace payments {
namespace {

using testing::CommandResult;
using testing::PaymentsCommand;
using testing::QueryValue;
using testing::RunCommand;
using testing::TempDir;
using testing::TestDatabase;
using testing::WriteFiles;

class MigrateInterlockTest : public ::testing::Test {
 protected:
  MigrateInterlockTest() {
    WriteFiles(dir_.path(), {{"0001_instances.sql", testing::InstancesMigrationSql()},
                             {"0002_widgets.sql",
                              "CREATE TABLE widgets (id bigint PRIMARY KEY, label text NOT NULL);"},
                             {"0003_rename_label.sql",
                              "-- migrate:phase expand\n"
                              "-- migrate:transition widgets\n"
                              "-- migrate:new-column title text = label\n"
                              "-- migrate:old-column label = title\n"},
                             {"0004_finish_rename.sql",
                              "-- migrate:phase contract\n"
                              "-- migrate:complete-transition 3\n"}});
    conn_ = db_.Connect();
  }

  CommandResult Migrate(std::vector<std::string> args) {
    args.insert(args.begin(), {"migrate", "up"});
    args.insert(args.end(), {"--database-url", db_.conninfo(), "--dir", dir_.path()});
    return RunCommand(PaymentsCommand(args));
  }

  void Register(const std::string& id, int64_t schema_version) {
    store::Instance i;
    i.id = id;
    i.binary_version = schema_version < 4 ? "0.0.9 (old)" : "0.1.0 (new)";
    i.schema_version = schema_version;
    i.host = "host-" + id;
    i.pid = 4242;
    ASSERT_TRUE(store::RegisterInstance(*conn_, i));
  }

  bool LabelExists() {
    return QueryValue(*conn_,
                      "SELECT count(*) FROM information_schema.columns WHERE "
                      "table_name = 'widgets' AND column_name = 'label'") == "1";
  }

  TestDatabase db_;
  TempDir dir_;
  std::unique_ptr<db::Connection> conn_;
};

TEST_F(MigrateInterlockTest, AContractRefusesWhileATooOldInstanceLivesAndProceedsOnceItIsGone) {
  ASSERT_EQ(Migrate({"--phase", "expand"}).exit_code, 0);
  Register("inst_old", 3);
  Register("inst_new", 4);

  auto refused = Migrate({"--phase", "contract"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("payments: error: contract migration 0004_finish_rename.sql "
                                "refuses to run: 1 live instance(s) were built without it"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("inst_old (payments 0.0.9 (old) on host-inst_old pid 4242, built "
                                "with migrations up to 0003"),
            std::string::npos)
      << refused.output;
  EXPECT_EQ(refused.output.find("inst_new"), std::string::npos);
  EXPECT_TRUE(LabelExists());
  auto plan = Migrate({"--phase", "contract", "--dry-run"});
  EXPECT_NE(plan.output.find("interlock: live instance inst_old"), std::string::npos)
      << plan.output;

  ASSERT_TRUE(store::DeregisterInstance(*conn_, "inst_old"));
  auto applied = Migrate({"--phase", "contract"});
  EXPECT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_NE(applied.output.find("applied 0004_finish_rename.sql"), std::string::npos);
  EXPECT_FALSE(LabelExists());
}

TEST_F(MigrateInterlockTest, AnInstanceWhoseHeartbeatIsStaleNoLongerCounts) {
  ASSERT_EQ(Migrate({"--phase", "expand"}).exit_code, 0);
  Register("inst_crashed", 3);
  ASSERT_TRUE(conn_->Exec("UPDATE instances SET heartbeat_at = now() - interval '1 minute'"));
  auto applied = Migrate({});
  EXPECT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_FALSE(LabelExists());
}

TEST_F(MigrateInterlockTest, ForceOverridesTheInterlockWithAWarning) {
  ASSERT_EQ(Migrate({"--phase", "expand"}).exit_code, 0);
  Register("inst_old", 3);
  auto forced = Migrate({"--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(forced.output.find("payments: warning: --force: applying contract migration "
                               "0004_finish_rename.sql although 1 live instance(s) were built "
                               "without it"),
            std::string::npos)
      << forced.output;
  EXPECT_FALSE(LabelExists());
}

TEST_F(MigrateInterlockTest, DownRefusesWhileAnInstanceBuiltWithTheMigrationLives) {
  ASSERT_EQ(Migrate({"--phase", "expand"}).exit_code, 0);
  Register("inst_new", 3);
  auto down = RunCommand(PaymentsCommand(
      {"migrate", "down", "--to", "2", "--database-url", db_.conninfo(), "--dir", dir_.path()}));
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.output.find("refusing to undo 0003_rename_label.sql: 1 live instance(s) were "
                             "built with it"),
            std::string::npos)
      << down.output;
  ASSERT_TRUE(store::DeregisterInstance(*conn_, "inst_new"));
  auto undone = RunCommand(PaymentsCommand(
      {"migrate", "down", "--to", "2", "--database-url", db_.conninfo(), "--dir", dir_.path()}));
  EXPECT_EQ(undone.exit_code, 0) << undone.output;
  EXPECT_EQ(QueryValue(*conn_,
                       "SELECT count(*) FROM information_schema.columns WHERE "
                       "table_name = 'widgets' AND column_name = 'title'"),
            "0");
}

}  // namespace
}  // namespace payments
