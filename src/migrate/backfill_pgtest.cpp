#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "migrate/backfill.h"
#include "migrate/migrator.h"
#include "support/matchers.h"
#include "support/migration_files.h"
#include "support/test_database.h"

namespace payments::migrate {
namespace {

using payments::testing::IsOk;

using testing::MigrationsFrom;
using testing::QueryValue;
using testing::TestDatabase;

const testing::MigrationFiles kFiles = {
    {"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY, a bigint NOT NULL);"},
    {"0002_doubled.sql",
     "-- migrate:phase expand\n"
     "-- migrate:lock_timeout 100ms\n"
     "-- migrate:backfill UPDATE t SET doubled = a * 2\n"
     "--   WHERE doubled IS NULL\n"
     "ALTER TABLE t ADD COLUMN doubled bigint;\n"},
};

TEST(BackfillTest, WalksThePrimaryKeyInBatchesAndUpdatesOnlyMatchingRows) {
  TestDatabase db;
  auto conn = db.Connect();
  const auto migrations = MigrationsFrom(kFiles);
  {
    Migrator m(*conn, migrations, {});
    ASSERT_TRUE(m.Up({.to = 1, .phase = PhaseFilter::kAll}));
  }
  ASSERT_TRUE(conn->Exec("INSERT INTO t SELECT g, g FROM generate_series(1, 1050) g"));
  std::vector<BackfillProgress> progress;
  MigratorOptions options;
  options.batch_size = 100;
  options.on_event = [&](const MigratorEvent& e) {
    if (e.kind == EventKind::kProgress) progress.push_back(e.progress);
  };
  Migrator m(*conn, migrations, options);
  auto up = m.Up({});
  ASSERT_THAT(up, IsOk());
  EXPECT_EQ(up->backfilled, std::vector<int64_t>{2});
  // 11 batches, then the empty range that finishes it.
  ASSERT_EQ(progress.size(), 12u);
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GE(progress[i].keys_done, progress[i - 1].keys_done);
  }
  EXPECT_EQ(progress[0].keys_done, 100);
  EXPECT_EQ(progress[0].keys_total, 1050);
  EXPECT_TRUE(progress.back().finished);
  EXPECT_EQ(progress.back().keys_done, 1050);
  EXPECT_EQ(progress.back().rows_updated, 1050);
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM t WHERE doubled = a * 2"), "1050");
  EXPECT_EQ(QueryValue(*conn, "SELECT state || ' ' || last_key FROM schema_backfills"),
            "done 1050");
}

TEST(BackfillTest, ABatchBlockedByARowLockRetriesAndFinishes) {
  TestDatabase db;
  auto conn = db.Connect();
  const auto migrations = MigrationsFrom(kFiles);
  {
    Migrator m(*conn, migrations, {});
    ASSERT_TRUE(m.Up({.to = 1, .phase = PhaseFilter::kAll}));
  }
  ASSERT_TRUE(conn->Exec("INSERT INTO t SELECT g, g FROM generate_series(1, 300) g"));
  auto locker = db.Connect();
  std::atomic<int> retries{0};
  MigratorOptions options;
  options.batch_size = 100;
  options.lock_retries = 1000;
  options.backoff_initial = std::chrono::milliseconds(20);
  options.backoff_max = std::chrono::milliseconds(50);
  options.on_event = [&](const MigratorEvent& e) {
    // Once the column exists, a writer holds a row the second batch covers.
    if (e.message.starts_with("applied 0002")) {
      EXPECT_TRUE(locker->ExecScript("BEGIN; SELECT a FROM t WHERE id = 150 FOR UPDATE"));
    }
    if (e.kind == EventKind::kRetry) {
      // The message says what is happening.
      EXPECT_NE(e.message.find("backfill of t"), std::string::npos) << e.message;
      // Release the row once the batch has retried twice.
      if (++retries == 2) {
        EXPECT_TRUE(locker->Exec("COMMIT"));
      }
    }
  };
  Migrator m(*conn, migrations, options);
  auto up = m.Up({});
  ASSERT_THAT(up, IsOk());
  EXPECT_GE(retries, 2);
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM t WHERE doubled = a * 2"), "300");
}

TEST(BackfillTest, ATableWithoutASingleColumnPrimaryKeyFailsTheMigrationCleanly) {
  TestDatabase db;
  auto conn = db.Connect();
  Migrator m(*conn,
             MigrationsFrom({{"0001_pairs.sql",
                              "-- migrate:backfill UPDATE pairs SET c = a + b\n"
                              "CREATE TABLE pairs (a bigint, b bigint, c bigint, PRIMARY KEY (a, "
                              "b));\n"}}),
             {});
  auto up = m.Up({});
  ASSERT_FALSE(up);
  EXPECT_NE(up.error().message.find("0001_pairs.sql: backfill at line 1: table pairs has a "
                                    "primary key of several columns"),
            std::string::npos)
      << up.error().message;
  // The migration's transaction rolled back with it.
  EXPECT_EQ(QueryValue(*conn, "SELECT to_regclass('pairs') IS NULL"), "t");
}

}  // namespace
}  // namespace payments::migrate
