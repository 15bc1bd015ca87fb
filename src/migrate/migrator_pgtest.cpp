#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "migrate/migrator.h"
#include "support/eventually.h"
#include "support/matchers.h"
#include "support/migration_files.h"
#include "support/test_database.h"

namespace payments::migrate {
namespace {

using payments::testing::IsOk;

using testing::Eventually;
using testing::MigrationsFrom;
using testing::QueryValue;
using testing::TestDatabase;

TEST(MigratorTest, AppliesTheShippedMigrationsOnceAndRecordsWhoAndHow) {
  TestDatabase db;
  auto conn = db.Connect();
  auto migrations = LoadEmbeddedMigrations();
  ASSERT_TRUE(migrations);
  Migrator m(*conn, *migrations, {});
  auto first = m.Up({});
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->applied.size(), migrations->size());
  auto again = m.Up({});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->applied.empty());

  auto history = m.History();
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), migrations->size());
  for (size_t i = 0; i < history->size(); ++i) {
    const AppliedMigration& a = (*history)[i];
    EXPECT_TRUE(a.success);
    EXPECT_EQ(a.checksum, (*migrations)[i].checksum);
    EXPECT_EQ(a.phase, (*migrations)[i].phase);
    EXPECT_NE(a.applied_by.find("payments "), std::string::npos);
    EXPECT_FALSE(a.applied_at.empty());
  }
  auto check = CheckSchema(*conn, *migrations);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->compatible) << check->reason;
  EXPECT_TRUE(ValidateHistory(*migrations, *history).empty());
}

TEST(MigratorTest, AFailedMigrationIsRecordedStopsTheRunAndNamesFileLineAndStatement) {
  TestDatabase db;
  auto conn = db.Connect();
  auto files = testing::MigrationFiles{
      {"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY);"},
      {"0002_bad.sql", "ALTER TABLE t ADD COLUMN a text;\n\nALTER TABLE nope ADD COLUMN b text;"},
      {"0003_later.sql", "ALTER TABLE t ADD COLUMN c text;"},
  };
  Migrator m(*conn, MigrationsFrom(files), {});
  auto r = m.Up({});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("0002_bad.sql:3: ALTER TABLE nope ADD COLUMN b text: ERROR:  "
                                   "relation \"nope\" does not exist"),
            std::string::npos)
      << r.error().message;
  auto history = m.History();
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_TRUE((*history)[0].success);
  EXPECT_FALSE((*history)[1].success);
  ASSERT_TRUE((*history)[1].error);
  EXPECT_NE((*history)[1].error->find("nope"), std::string::npos);
  // Its first statement was rolled back with it, and 0003 never ran.
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT count(*) FROM information_schema.columns WHERE "
                       "table_name = 't'"),
            "1");

  // A failed migration that changed nothing may be fixed and rerun.
  files[1].second = "ALTER TABLE t ADD COLUMN a text;\n\nALTER TABLE t ADD COLUMN b text;";
  Migrator fixed(*conn, MigrationsFrom(files), {});
  auto rerun = fixed.Up({});
  ASSERT_THAT(rerun, IsOk());
  EXPECT_EQ(rerun->applied, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations WHERE success"), "3");
}

TEST(MigratorTest, ConcurrentIndexRunsOnItsOwnAmongOtherStatements) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_TRUE(
      conn->ExecScript("CREATE TABLE t (id bigint PRIMARY KEY, v text);"
                       "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 500) g"));
  Migrator m(*conn,
             MigrationsFrom({{"0001_index.sql",
                              "ALTER TABLE t ADD COLUMN c text;\n"
                              "UPDATE t SET c = upper(v);\n"
                              "CREATE INDEX CONCURRENTLY t_c ON t (c);\n"
                              "ALTER TABLE t ADD COLUMN d text;\n"}}),
             {});
  auto r = m.Up({});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(QueryValue(*conn, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_c'::regclass"),
            "t");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM t WHERE c = upper(v)"), "500");
  EXPECT_EQ(QueryValue(*conn, "SELECT steps_done FROM schema_migrations WHERE version = 1"), "3");
}

TEST(MigratorTest, AnInvalidIndexLeftByAFailedConcurrentBuildIsDroppedBeforeTheRetry) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_TRUE(
      conn->ExecScript("CREATE TABLE t (id bigint PRIMARY KEY, v text);"
                       "INSERT INTO t VALUES (1, 'same'), (2, 'same')"));
  std::vector<std::string> events;
  MigratorOptions options;
  options.on_event = [&](const MigratorEvent& e) { events.push_back(e.message); };
  auto migrations =
      MigrationsFrom({{"0001_unique.sql", "CREATE UNIQUE INDEX CONCURRENTLY t_v ON t (v);"}});
  {
    Migrator m(*conn, migrations, options);
    auto r = m.Up({});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("0001_unique.sql:1: CREATE UNIQUE INDEX CONCURRENTLY t_v"),
              std::string::npos)
        << r.error().message;
  }
  // PostgreSQL leaves the half-built index behind, INVALID.
  EXPECT_EQ(QueryValue(*conn, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass"),
            "f");
  ASSERT_TRUE(conn->Exec("UPDATE t SET v = 'other' WHERE id = 2"));
  Migrator retry(*conn, migrations, options);
  auto r = retry.Up({});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(QueryValue(*conn, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass"),
            "t");
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const std::string& e) {
    return e.find("dropping INVALID index t_v") != std::string::npos;
  }));
}

TEST(MigratorTest, ARerunResumesAfterTheStepsAnInterruptedRunCommitted) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_TRUE(conn->ExecScript("CREATE TABLE log (n bigint PRIMARY KEY)"));
  const std::string sql =
      "INSERT INTO log VALUES (1);\n"
      "CREATE INDEX CONCURRENTLY log_n ON log (n);\n"
      "INSERT INTO log SELECT 2 FROM later;\n";
  auto migrations = MigrationsFrom({{"0001_steps.sql", sql}});
  {
    Migrator m(*conn, migrations, {});
    ASSERT_FALSE(m.Up({}));
  }
  EXPECT_EQ(QueryValue(*conn, "SELECT steps_done FROM schema_migrations"), "2");
  EXPECT_FALSE(CheckSchema(*conn, migrations)->compatible);

  // Changing a step that already ran is refused; later steps may change.
  {
    Migrator edited(*conn,
                    MigrationsFrom({{"0001_steps.sql", "INSERT INTO log VALUES (10);\n" +
                                                           sql.substr(sql.find('\n') + 1)}}),
                    {});
    auto r = edited.Up({});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("partially applied (2 step(s) done)"), std::string::npos)
        << r.error().message;
  }
  ASSERT_TRUE(conn->Exec("CREATE TABLE later (x int)"));
  ASSERT_TRUE(conn->Exec("INSERT INTO later VALUES (1)"));
  Migrator m(*conn, migrations, {});
  auto r = m.Up({});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(QueryValue(*conn, "SELECT string_agg(n::text, ',' ORDER BY n) FROM log"), "1,2");
  EXPECT_TRUE(CheckSchema(*conn, migrations)->compatible);
}

TEST(MigratorTest, DdlBehindALongTransactionRetriesAndNeverStallsWritersBeyondTheLockTimeout) {
  TestDatabase db;
  auto setup = db.Connect();
  ASSERT_TRUE(setup->ExecScript("CREATE TABLE t (id bigint PRIMARY KEY, v text)"));
  // Another session reads t in a transaction that stays open: its ACCESS
  // SHARE lock keeps ALTER TABLE waiting.
  auto blocker = db.Connect();
  ASSERT_TRUE(blocker->ExecScript("BEGIN; SELECT count(*) FROM t"));

  // A writer whose own lock_timeout (ten times the migration's) turns any
  // longer wait into an error.
  auto writer_conn = db::Connection::Open(
      {.conninfo = db.conninfo(), .lock_timeout = std::chrono::milliseconds(2000)});
  ASSERT_TRUE(writer_conn);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> writes{0};
  std::atomic<int64_t> write_errors{0};
  std::string first_error;
  std::thread writer([&] {
    for (int64_t id = 1; !stop; ++id) {
      auto r = (*writer_conn)->Exec("INSERT INTO t (id, v) VALUES ($1, 'w')", db::Params().Add(id));
      if (r) {
        ++writes;
      } else if (write_errors++ == 0) {
        first_error = r.error().detail;
      }
    }
  });

  std::atomic<int> retries{0};
  MigratorOptions options;
  options.lock_retries = 100;
  options.backoff_initial = std::chrono::milliseconds(50);
  options.backoff_max = std::chrono::milliseconds(200);
  options.on_event = [&](const MigratorEvent& e) {
    if (e.kind == EventKind::kRetry) ++retries;
  };
  auto conn = db.Connect();
  Migrator m(*conn,
             MigrationsFrom({{"0001_add.sql",
                              "-- migrate:lock_timeout 200ms\nALTER TABLE t ADD COLUMN w text;"}}),
             options);
  payments::Result<UpReport> result = std::unexpected(Error::Internal("not run"));
  std::thread migrator([&] { result = m.Up({}); });

  ASSERT_TRUE(Eventually([&] { return retries >= 3; }));
  const int64_t writes_while_blocked = writes;
  ASSERT_TRUE(Eventually([&] { return writes > writes_while_blocked + 10; }));
  ASSERT_TRUE(blocker->Exec("COMMIT"));
  migrator.join();
  stop = true;
  writer.join();

  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->applied, std::vector<int64_t>{1});
  EXPECT_EQ(write_errors, 0) << first_error;
  EXPECT_EQ(QueryValue(*setup,
                       "SELECT count(*) FROM information_schema.columns WHERE "
                       "table_name = 't' AND column_name = 'w'"),
            "1");
}

TEST(MigratorTest, ASecondMigratorFailsFastOrWaitsForTheAdvisoryLock) {
  TestDatabase db;
  auto holder = db.Connect();
  ASSERT_TRUE(holder->Exec("SELECT pg_advisory_lock($1)", db::Params().Add(kMigrationLockKey)));
  auto conn = db.Connect();
  auto migrations = MigrationsFrom({{"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY);"}});
  Migrator fast(*conn, migrations, {});
  auto r = fast.Up({});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "migration_locked");
  EXPECT_NE(r.error().message.find("another migration is running"), std::string::npos);

  MigratorOptions waiting;
  waiting.lock_wait = std::chrono::seconds(60);
  Migrator patient(*conn, migrations, waiting);
  payments::Result<UpReport> result = std::unexpected(Error::Internal("not run"));
  std::thread t([&] { result = patient.Up({}); });
  auto observer = db.Connect();
  ASSERT_TRUE(Eventually([&] {
    return QueryValue(*observer,
                      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                      "NOT granted AND database = (SELECT oid FROM pg_database WHERE "
                      "datname = current_database())") == "1";
  }));
  ASSERT_TRUE(holder->Exec("SELECT pg_advisory_unlock($1)", db::Params().Add(kMigrationLockKey)));
  t.join();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->applied, std::vector<int64_t>{1});
}

TEST(MigratorTest, PhasesSelectExpandsBeforeARolloutAndContractsAfterIt) {
  TestDatabase db;
  auto conn = db.Connect();
  auto migrations = MigrationsFrom({
      {"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY, old text);"},
      {"0002_drop_old.sql", "-- migrate:phase contract\nALTER TABLE t DROP COLUMN old;"},
      {"0003_add_new.sql", "-- migrate:phase expand\nALTER TABLE t ADD COLUMN new text;"},
  });
  Migrator m(*conn, migrations, {});
  auto contract_first = m.Up({.to = std::nullopt, .phase = PhaseFilter::kContract});
  ASSERT_FALSE(contract_first);
  EXPECT_NE(contract_first.error().message.find("0001_t.sql (none) is not applied"),
            std::string::npos);
  auto expand = m.Up({.to = std::nullopt, .phase = PhaseFilter::kExpand});
  ASSERT_THAT(expand, IsOk());
  EXPECT_EQ(expand->applied, (std::vector<int64_t>{1, 3}));
  // A contract waiting for its rollout is not a gap.
  EXPECT_TRUE(ValidateHistory(migrations, *m.History()).empty());
  // A binary built with 0001 and 0002 only is still compatible: 0003 is an
  // expand it does not know, 0002 a contract not yet applied.
  std::vector<Migration> old_binary(migrations.begin(), migrations.begin() + 2);
  EXPECT_TRUE(CheckSchema(*conn, old_binary)->compatible);
  auto contract = m.Up({.to = std::nullopt, .phase = PhaseFilter::kContract});
  ASSERT_THAT(contract, IsOk());
  EXPECT_EQ(contract->applied, std::vector<int64_t>{2});
  // An older binary (0001 only) must not serve once the contract is applied.
  std::vector<Migration> older(migrations.begin(), migrations.begin() + 1);
  auto check = CheckSchema(*conn, older);
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->compatible);
  EXPECT_NE(check->reason.find("contract migration 2"), std::string::npos);
}

TEST(MigratorTest, DownUndoesNewestFirstAndRefusesNamingAMigrationWithoutUndo) {
  TestDatabase db;
  auto conn = db.Connect();
  auto migrations = MigrationsFrom({
      {"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY, v text);"},
      {"0002_c.sql", "ALTER TABLE t ADD COLUMN c text;\nCREATE INDEX CONCURRENTLY t_c ON t (c);"},
      {"0002_c.down.sql", "DROP INDEX CONCURRENTLY IF EXISTS t_c;\nALTER TABLE t DROP COLUMN c;"},
      {"0003_rename.sql",
       "-- migrate:phase expand\n-- migrate:transition t\n-- migrate:new-column value text = v\n"
       "-- migrate:old-column v = value\n"},
  });
  Migrator m(*conn, migrations, {});
  ASSERT_TRUE(m.Up({}));
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "1");

  auto refused = m.Down(0);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cannot undo 0001_t.sql: it has no undo file"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations"), "3");

  auto down = m.Down(1);
  ASSERT_THAT(down, IsOk());
  EXPECT_EQ(down->undone, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT string_agg(column_name::text, ',' ORDER BY column_name) "
                       "FROM information_schema.columns WHERE table_name = 't'"),
            "id,v");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "0");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'migrate_%'"), "0");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations"), "1");
  // And up again applies what down undid.
  auto again = m.Up({});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->applied, (std::vector<int64_t>{2, 3}));
}

}  // namespace
}  // namespace payments::migrate
