// Two `payments migrate up` at once: exactly one applies, the other waits for
// the advisory lock and then finds nothing to do.
#include <gtest/gtest.h>

#include <thread>

#include "migrate/migrator.h"
#include "support/child_process.h"
#include "support/eventually.h"
#include "support/migration_files.h"
#include "support/test_database.h"

namespace payments {
namespace {

using testing::ChildProcess;
using testing::Eventually;
using testing::PaymentsCommand;
using testing::QueryValue;
using testing::TempDir;
using testing::TestDatabase;
using testing::WriteFiles;

TEST(MigrateConcurrencyTest, TwoConcurrentUpsApplyEachMigrationExactlyOnce) {
  TestDatabase db;
  auto conn = db.Connect();
  // The migration writes to `gate`, which this test keeps locked until both
  // migrators are inside: one holding the migration lock and blocked on the
  // gate, the other waiting for the migration lock.
  ASSERT_TRUE(conn->Exec("CREATE TABLE gate (n bigint)"));
  TempDir dir;
  WriteFiles(dir.path(), {{"0001_once.sql",
                           "-- migrate:lock_timeout 60s\n"
                           "INSERT INTO gate VALUES (1);\n"
                           "CREATE TABLE once (id bigint PRIMARY KEY);\n"}});
  auto gatekeeper = db.Connect();
  ASSERT_TRUE(gatekeeper->ExecScript("BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE"));

  auto command = PaymentsCommand(
      {"migrate", "up", "--database-url", db.conninfo(), "--dir", dir.path(), "--wait", "60"});
  auto a = ChildProcess::Start(command);
  auto b = ChildProcess::Start(command);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(Eventually([&] {
    return QueryValue(
               *conn,
               "SELECT count(*) FILTER (WHERE locktype = 'advisory' AND NOT granted) || ',' "
               "|| count(*) FILTER (WHERE locktype = 'relation' AND NOT granted AND "
               "relation = 'gate'::regclass) FROM pg_locks WHERE database = (SELECT oid FROM "
               "pg_database WHERE datname = current_database())") == "1,1";
  }));
  ASSERT_TRUE(gatekeeper->Exec("COMMIT"));
  const int code_a = a->Wait();
  const int code_b = b->Wait();
  const std::string out_a = a->Output();
  const std::string out_b = b->Output();
  EXPECT_EQ(code_a, 0) << out_a;
  EXPECT_EQ(code_b, 0) << out_b;
  const bool a_applied = out_a.find("applied 0001_once.sql") != std::string::npos;
  const bool b_applied = out_b.find("applied 0001_once.sql") != std::string::npos;
  EXPECT_NE(a_applied, b_applied) << out_a << "\n---\n" << out_b;
  EXPECT_NE((a_applied ? out_b : out_a).find("the schema is up to date"), std::string::npos);
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM gate"), "1");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations"), "1");
}

TEST(MigrateConcurrencyTest, WithoutWaitASecondMigratorExitsWithAClearMessage) {
  TestDatabase db;
  auto holder = db.Connect();
  ASSERT_TRUE(
      holder->Exec("SELECT pg_advisory_lock($1)", db::Params().Add(migrate::kMigrationLockKey)));
  TempDir dir;
  WriteFiles(dir.path(), {{"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY);"}});
  auto r = testing::RunCommand(
      PaymentsCommand({"migrate", "up", "--database-url", db.conninfo(), "--dir", dir.path()}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("payments: error: another migration is running (advisory lock held by "
                          "pid"),
            std::string::npos)
      << r.output;
  auto conn = db.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT to_regclass('t') IS NULL"), "t");
}

}  // namespace
}  // namespace payments
