// `payments migrate …` driven from outside, as an operator or CI runs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/child_process.h"
#include "support/matchers.h"
#include "support/migration_files.h"
#include "support/test_database.h"

namespace payments {
namespace {

using payments::testing::IsOk;

using testing::CommandResult;
using testing::MigrationFiles;
using testing::PaymentsCommand;
using testing::QueryValue;
using testing::RunCommand;
using testing::TempDir;
using testing::TestDatabase;
using testing::WriteFiles;

const MigrationFiles kFiles = {
    {"0001_accounts.sql",
     "-- Accounts.\n-- migrate:phase expand\n"
     "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n"
     "CREATE INDEX accounts_email ON accounts (email);\n"},
    {"0002_nickname.sql",
     "-- migrate:phase expand\n"
     "ALTER TABLE accounts ADD COLUMN nickname text;\n"
     "CREATE INDEX CONCURRENTLY accounts_nickname ON accounts (nickname);\n"},
    {"0002_nickname.down.sql",
     "DROP INDEX CONCURRENTLY IF EXISTS accounts_nickname;\n"
     "ALTER TABLE accounts DROP COLUMN nickname;\n"},
};

class MigrateCliTest : public ::testing::Test {
 protected:
  MigrateCliTest() { WriteFiles(dir_.path(), kFiles); }

  // `payments migrate <args>` on this test's database and directory.
  CommandResult Migrate(std::vector<std::string> args) {
    args.insert(args.begin(), "migrate");
    if (args[1] != "lint" && args[1] != "new") {
      args.insert(args.end(), {"--database-url", db_.conninfo(), "--dir", dir_.path()});
    }
    return RunCommand(PaymentsCommand(args));
  }

  TestDatabase db_;
  TempDir dir_;
};

TEST_F(MigrateCliTest, UpAppliesInOrderStatusShowsItAndARerunIsANoOp) {
  auto up = Migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_NE(up.output.find("applied 0001_accounts.sql"), std::string::npos) << up.output;
  EXPECT_NE(up.output.find("applied 0002_nickname.sql"), std::string::npos);
  EXPECT_LT(up.output.find("applied 0001"), up.output.find("applied 0002"));
  auto again = Migrate({"up"});
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_NE(again.output.find("the schema is up to date"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("applied"), std::string::npos);

  auto status = Migrate({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("VERSION"), std::string::npos);
  EXPECT_NE(status.output.find("0002     nickname"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("applied    ok"), std::string::npos);
  EXPECT_NE(status.output.find("pending: none"), std::string::npos);
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations WHERE success"), "2");
}

TEST_F(MigrateCliTest, UpToStopsAtAVersionAndStatusListsWhatIsPending) {
  ASSERT_EQ(Migrate({"up", "--to", "1"}).exit_code, 0);
  auto status = Migrate({"status"});
  EXPECT_NE(status.output.find("pending: 1\n  0002_nickname (expand)"), std::string::npos)
      << status.output;
}

TEST_F(MigrateCliTest, DryRunPrintsThePlanAndItsSqlAndChangesNothing) {
  auto plan = Migrate({"up", "--dry-run"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_NE(plan.output.find("dry run"), std::string::npos);
  EXPECT_NE(plan.output.find("CREATE TABLE accounts"), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("CREATE INDEX CONCURRENTLY at line 3 (on its own, outside a "
                             "transaction)"),
            std::string::npos)
      << plan.output;
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "0");
}

TEST_F(MigrateCliTest, ValidateFailsOnAnEditedOrMissingAppliedFile) {
  ASSERT_EQ(Migrate({"up"}).exit_code, 0);
  auto clean = Migrate({"validate"});
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_NE(clean.output.find("history consistent"), std::string::npos);

  WriteFiles(dir_.path(), {{"0001_accounts.sql", kFiles[0].second + "-- an afterthought\n"}});
  auto edited = Migrate({"validate"});
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.output.find("0001_accounts.sql changed after it was applied"), std::string::npos)
      << edited.output;
  EXPECT_NE(Migrate({"status"}).output.find("changed"), std::string::npos);

  std::filesystem::remove(dir_.path() + "/0002_nickname.sql");
  std::filesystem::remove(dir_.path() + "/0002_nickname.down.sql");
  auto missing = Migrate({"validate"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("migration 0002 (nickname) is applied but its file is missing"),
            std::string::npos)
      << missing.output;
}

TEST_F(MigrateCliTest, ValidateFailsOnAGapInTheAppliedVersions) {
  // 0003 went in; then a branch merged 0002 (say) below it.
  std::filesystem::remove(dir_.path() + "/0002_nickname.sql");
  std::filesystem::remove(dir_.path() + "/0002_nickname.down.sql");
  WriteFiles(dir_.path(), {{"0003_more.sql", "ALTER TABLE accounts ADD COLUMN more text;"}});
  ASSERT_EQ(Migrate({"up"}).exit_code, 0);
  WriteFiles(dir_.path(), {kFiles[1]});
  auto gap = Migrate({"validate"});
  EXPECT_EQ(gap.exit_code, 1);
  EXPECT_NE(gap.output.find("gap: 0002_nickname.sql is not applied but later migration 0003 is"),
            std::string::npos)
      << gap.output;
}

TEST_F(MigrateCliTest, DownRunsUndoFilesAndRefusesNamingAMigrationWithoutOne) {
  ASSERT_EQ(Migrate({"up"}).exit_code, 0);
  auto refused = Migrate({"down", "--to", "0"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("payments: error: cannot undo 0001_accounts.sql: it has no undo "
                                "file (0001_accounts.down.sql)"),
            std::string::npos)
      << refused.output;
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations"), "2");

  auto down = Migrate({"down", "--to", "1"});
  ASSERT_EQ(down.exit_code, 0) << down.output;
  EXPECT_NE(down.output.find("undid 0002_nickname.sql"), std::string::npos);
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT count(*) FROM information_schema.columns WHERE "
                       "table_name = 'accounts' AND column_name = 'nickname'"),
            "0");
  EXPECT_EQ(QueryValue(*conn, "SELECT to_regclass('accounts_nickname') IS NULL"), "t");
  EXPECT_EQ(QueryValue(*conn, "SELECT max(version) FROM schema_migrations"), "1");
}

TEST_F(MigrateCliTest, LintNamesFileLineRuleAndTheSafeWay) {
  WriteFiles(dir_.path(), {{"0003_unsafe.sql",
                            "-- migrate:phase expand\n"
                            "ALTER TABLE accounts ADD COLUMN created timestamp;\n"
                            "CREATE INDEX accounts_created ON accounts (created);\n"}});
  auto lint = Migrate({"lint", dir_.path()});
  EXPECT_EQ(lint.exit_code, 1);
  const std::string file = dir_.path() + "/0003_unsafe.sql";
  EXPECT_NE(lint.output.find(file + ":2: timestamp-without-time-zone: column created is timestamp "
                                    "without time zone. Instead: timestamptz"),
            std::string::npos)
      << lint.output;
  EXPECT_NE(lint.output.find(file + ":3: create-index-non-concurrent:"), std::string::npos);
  EXPECT_NE(lint.output.find("payments: error: lint: 2 finding(s) in 3 file(s)"),
            std::string::npos);
  // One file alone, with its directory's earlier files as context.
  auto one = Migrate({"lint", dir_.path() + "/0002_nickname.sql"});
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_NE(one.output.find("1 file(s), no findings"), std::string::npos);
}

TEST_F(MigrateCliTest, TheShippedMigrationsLintClean) {
  auto lint = Migrate({"lint", std::string(PAYMENTS_SOURCE_DIR) + "/migrations"});
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  auto built_in = Migrate({"lint"});
  EXPECT_EQ(built_in.exit_code, 0) << built_in.output;
}

TEST_F(MigrateCliTest, NewWritesTheNextNumberedFileThatLintsClean) {
  auto created = Migrate({"new", "add_notes", "--phase", "expand", "--dir", dir_.path()});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string path = dir_.path() + "/0003_add_notes.sql";
  EXPECT_EQ(created.output, path + "\n");
  ASSERT_TRUE(std::filesystem::exists(path));
  auto parsed = migrate::LoadMigrationDirectory(dir_.path());
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->back().phase, migrate::Phase::kExpand);
  EXPECT_EQ(Migrate({"lint", path}).exit_code, 0);
  auto bad = Migrate({"new", "Bad-Name", "--dir", dir_.path()});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(MigrateCliTest, BadUsageAndBadFilesExitTwoWithOneLine) {
  unsetenv("PAYMENTS_DATABASE_URL");  // the child inherits our environment
  auto no_url = RunCommand(PaymentsCommand({"migrate", "up", "--dir", dir_.path()}));
  EXPECT_EQ(no_url.exit_code, 2);
  EXPECT_TRUE(no_url.output.starts_with("payments: error: ")) << no_url.output;
  EXPECT_EQ(std::count(no_url.output.begin(), no_url.output.end(), '\n'), 1);

  auto phase = Migrate({"up", "--phase", "sideways"});
  EXPECT_EQ(phase.exit_code, 2);

  WriteFiles(dir_.path(), {{"0003_typo.sql", "-- migrate:phaze expand\nSELECT 1;\n"}});
  auto typo = Migrate({"up"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.output, "payments: error: 0003_typo.sql:1: migrate:phaze: unknown directive\n");
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT to_regclass('schema_migrations') IS NULL"), "t");
}

}  // namespace
}  // namespace payments
