// A backfill killed with SIGKILL halfway resumes from its checkpoint and
// finishes with every row right, none updated twice.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

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
using testing::RunCommand;
using testing::TempDir;
using testing::TestDatabase;
using testing::WriteFiles;

constexpr int kRows = 20000;

TEST(MigrateBackfillKillTest, AKilledBackfillResumesFromItsCheckpoint) {
  TestDatabase db;
  TempDir dir;
  WriteFiles(dir.path(),
             {{"0001_orders.sql",
               "CREATE TABLE orders (id bigint PRIMARY KEY, amount bigint NOT NULL, touches "
               "bigint NOT NULL DEFAULT 0);"},
              {"0002_amount_cents.sql",
               "-- migrate:phase expand\n"
               "-- migrate:backfill UPDATE orders SET amount_cents = amount * 100\n"
               "--   WHERE amount_cents IS NULL\n"
               "ALTER TABLE orders ADD COLUMN amount_cents bigint;\n"}});
  auto migrate = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"migrate",     "up",    "--database-url",
                                     db.conninfo(), "--dir", dir.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return PaymentsCommand(args);
  };
  ASSERT_EQ(RunCommand(migrate({"--to", "1"})).exit_code, 0);
  auto conn = db.Connect();
  // Counts how often each row is updated.
  ASSERT_TRUE(conn->ExecScript(
      "CREATE FUNCTION count_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "NEW.touches := OLD.touches + 1; RETURN NEW; END $$;"
      "CREATE TRIGGER count_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION "
      "count_touch();"));
  ASSERT_TRUE(conn->Exec(fmt::format(
      "INSERT INTO orders (id, amount) SELECT g, g % 977 FROM generate_series(1, {}) g", kRows)));

  auto first = ChildProcess::Start(migrate({"--batch-size", "200", "--pause", "20"}));
  ASSERT_TRUE(first);
  auto done = [&] {
    const std::string v =
        QueryValue(*conn, "SELECT coalesce((SELECT keys_done FROM schema_backfills), 0)");
    return std::stoll(v.empty() ? "0" : v);
  };
  // Kill it a quarter of the way in; the assertions below catch a run that
  // ended first or never got there.
  (void)Eventually([&] { return done() >= kRows / 4 || first->Exited(); });
  first->Signal(SIGKILL);
  EXPECT_EQ(first->Wait(), 128 + SIGKILL) << first->Output();
  // Its server session may still be finishing a COMMIT it was sent; wait
  // until the session is gone, so what we read below is what it left.
  ASSERT_TRUE(Eventually([&] {
    return QueryValue(*conn,
                      "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                      "'payments migrate' AND datname = current_database()") == "0";
  }));

  const int64_t at_kill = done();
  ASSERT_GE(at_kill, kRows / 4);
  ASSERT_LT(at_kill, kRows) << "the backfill finished before the kill";
  // The checkpoint and the data agree: what it says is done is done.
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM orders WHERE amount_cents IS NOT NULL"),
            std::to_string(at_kill));
  EXPECT_EQ(QueryValue(*conn, "SELECT state FROM schema_backfills"), "running");
  // The migration itself is applied: a binary that needs the column may start.
  EXPECT_EQ(QueryValue(*conn, "SELECT success FROM schema_migrations WHERE version = 2"), "t");

  auto second = RunCommand(migrate({"--batch-size", "1000"}));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find(fmt::format("resuming after {} rows", at_kill)), std::string::npos)
      << second.output;
  // Not a terminal: plain progress lines, the last one at 100%.
  EXPECT_NE(
      second.output.find(fmt::format("backfill 0002 orders: {}/{} rows (100%)", kRows, kRows)),
      std::string::npos)
      << second.output;
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT count(*) FROM orders WHERE amount_cents = amount * 100 AND "
                       "touches = 1"),
            std::to_string(kRows));
  EXPECT_EQ(QueryValue(*conn, "SELECT state || ' ' || rows_updated FROM schema_backfills"),
            fmt::format("done {}", kRows));
}

}  // namespace
}  // namespace payments
