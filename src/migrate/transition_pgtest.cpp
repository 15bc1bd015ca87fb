// Column transitions under load: a binary that writes only the old column and
// one that writes only the new ones run side by side while the engine
// installs the sync trigger and backfills; every row must end consistent, and
// the contract step (old binary gone) must not fail a single write of the new.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
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

constexpr int kRows = 3000;

const testing::MigrationFiles kFiles = {
    {"0001_people.sql",
     "CREATE TABLE people (id bigint PRIMARY KEY, full_name text NOT NULL, visits bigint NOT NULL "
     "DEFAULT 0);"},
    {"0002_split_name.sql",
     "-- Split full_name into given and family names.\n"
     "-- migrate:phase expand\n"
     "-- migrate:transition people\n"
     "-- migrate:new-column given text = split_part(full_name, ' ', 1)\n"
     "-- migrate:new-column family text =\n"
     "--     nullif(substr(full_name, length(split_part(full_name, ' ', 1)) + 2), '')\n"
     "-- migrate:old-column full_name = concat_ws(' ', given, family)\n"},
    {"0003_drop_full_name.sql",
     "-- migrate:phase contract\n"
     "-- migrate:complete-transition 2\n"},
};

// Writes as fast as it can until stopped: inserts of its own rows and
// updates of the rows that predate the transition. Counts failures.
class Writer {
 public:
  Writer(const TestDatabase& db, bool new_style, int64_t first_id)
      : conn_(db.Connect()), new_style_(new_style), next_id_(first_id) {}

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t ops() const { return ops_; }
  int64_t errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }

 private:
  void Loop() {
    std::mt19937_64 rng(new_style_ ? 2 : 1);
    std::uniform_int_distribution<int64_t> existing(1, kRows);
    static constexpr db::Statement kOldInsert{
        "old.insert", "INSERT INTO people (id, full_name) VALUES ($1, $2 || ' ' || $3)"};
    static constexpr db::Statement kOldUpdate{
        "old.update",
        "UPDATE people SET full_name = $2 || ' ' || $3, visits = visits + 1 WHERE id = $1"};
    static constexpr db::Statement kNewInsert{
        "new.insert", "INSERT INTO people (id, given, family) VALUES ($1, $2, $3)"};
    static constexpr db::Statement kNewUpdate{
        "new.update",
        "UPDATE people SET given = $2, family = $3, visits = visits + 1 WHERE id = $1"};
    for (int64_t n = 0; !stop_; ++n) {
      const std::string a = fmt::format("{}{}", new_style_ ? "na" : "oa", n);
      const std::string b = fmt::format("{}{}", new_style_ ? "nb" : "ob", n);
      const bool insert = n % 2 == 0;
      const int64_t id = insert ? next_id_++ : existing(rng);
      const db::Statement& s =
          new_style_ ? (insert ? kNewInsert : kNewUpdate) : (insert ? kOldInsert : kOldUpdate);
      auto r = conn_->Run(s, db::Params().Add(id).Add(a).Add(b));
      if (r) {
        ++ops_;
      } else if (errors_++ == 0) {
        first_error_ = r.error().detail;
      }
    }
  }

  std::unique_ptr<db::Connection> conn_;
  bool new_style_;
  int64_t next_id_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ops_{0};
  std::atomic<int64_t> errors_{0};
  std::string first_error_;
};

TEST(TransitionTest, OldAndNewWritersStayConsistentAndTheContractFailsNoWrite) {
  TestDatabase db;
  auto conn = db.Connect();
  const auto migrations = MigrationsFrom(kFiles);
  {
    Migrator m(*conn, migrations, {});
    ASSERT_TRUE(m.Up({.to = 1, .phase = PhaseFilter::kAll}));
  }
  ASSERT_TRUE(conn->Exec(
      fmt::format("INSERT INTO people (id, full_name) SELECT g, 'first' || g || ' last' || g "
                  "FROM generate_series(1, {}) g",
                  kRows)));

  Writer old_writer(db, false, 1'000'000);
  Writer new_writer(db, true, 2'000'000);
  old_writer.Start();

  // The expand: the new binary starts writing once the new columns exist,
  // while the backfill walks the old rows in small throttled batches.
  // Halfway through the backfill, both binaries must be seen writing (the
  // batches wait for them): the overlap is certain, not a matter of timing.
  std::atomic<bool> backfill_started{false};
  bool overlapped = false;
  MigratorOptions options;
  options.batch_size = 100;
  options.batch_pause = std::chrono::milliseconds(2);
  options.on_event = [&](const MigratorEvent& e) {
    if (e.kind != EventKind::kProgress) return;
    if (!backfill_started) {
      backfill_started = true;
      new_writer.Start();
    }
    if (e.progress.keys_done >= kRows / 2 && !overlapped) {
      const int64_t old_ops = old_writer.ops();
      overlapped =
          Eventually([&] { return new_writer.ops() >= 50 && old_writer.ops() >= old_ops + 50; });
    }
  };
  Migrator expand(*conn, migrations, options);
  auto up = expand.Up({.to = 2, .phase = PhaseFilter::kExpand});
  ASSERT_THAT(up, IsOk());
  ASSERT_TRUE(overlapped);
  // Both binaries keep writing for a while after the backfill.
  const int64_t old_after = old_writer.ops();
  const int64_t new_after = new_writer.ops();
  ASSERT_TRUE(Eventually(
      [&] { return old_writer.ops() > old_after + 500 && new_writer.ops() > new_after + 500; }));
  old_writer.Stop();  // the old binary's last instance goes away

  EXPECT_EQ(old_writer.errors(), 0) << old_writer.first_error();
  EXPECT_EQ(new_writer.errors(), 0) << new_writer.first_error();
  // Every row, whoever wrote it and whenever, is consistent in both shapes.
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT count(*) FROM people WHERE given IS NULL OR full_name IS DISTINCT "
                       "FROM concat_ws(' ', given, family) OR given IS DISTINCT FROM "
                       "split_part(full_name, ' ', 1)"),
            "0");
  // Rows of each writer exist, and the updates reached the pre-existing rows.
  EXPECT_NE(QueryValue(*conn, "SELECT count(*) FROM people WHERE id >= 2000000"), "0");
  EXPECT_NE(QueryValue(*conn, "SELECT count(*) FROM people WHERE id >= 1000000 AND id < 2000000"),
            "0");
  EXPECT_NE(QueryValue(*conn,
                       "SELECT count(*) FROM people WHERE id <= 3000 AND given LIKE 'nu%' "
                       "OR given LIKE 'na%'"),
            "0");
  EXPECT_EQ(QueryValue(*conn, "SELECT state FROM schema_backfills WHERE version = 2"), "done");

  // The contract runs while the new binary keeps writing.
  const int64_t before_contract = new_writer.ops();
  Migrator contract(*conn, migrations, {});
  auto c = contract.Up({.to = std::nullopt, .phase = PhaseFilter::kContract});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->applied, std::vector<int64_t>{3});
  ASSERT_TRUE(Eventually([&] { return new_writer.ops() > before_contract + 500; }));
  new_writer.Stop();
  EXPECT_EQ(new_writer.errors(), 0) << new_writer.first_error();
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT string_agg(column_name::text, ',' ORDER BY column_name) "
                       "FROM information_schema.columns WHERE table_name = 'people'"),
            "family,given,id,visits");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "0");
  EXPECT_EQ(QueryValue(*conn, "SELECT state FROM schema_transitions WHERE version = 2"),
            "completed");
}

TEST(TransitionTest, ATypeChangeBackfillsOnlyRowsTheTriggerHasNotKeptInStep) {
  TestDatabase db;
  auto conn = db.Connect();
  const auto migrations = MigrationsFrom({
      {"0001_items.sql", "CREATE TABLE items (id text PRIMARY KEY, qty integer, note text);"},
      {"0002_qty_bigint.sql",
       "-- migrate:phase expand\n"
       "-- migrate:transition items\n"
       "-- migrate:new-column qty_big bigint = qty\n"
       "-- migrate:old-column qty = qty_big::integer\n"},
  });
  Migrator m(*conn, migrations, {});
  ASSERT_TRUE(m.Up({.to = 1, .phase = PhaseFilter::kAll}));
  ASSERT_TRUE(
      conn->Exec("INSERT INTO items SELECT 'item_' || g, g, NULL FROM "
                 "generate_series(1, 250) g"));
  ASSERT_TRUE(conn->Exec("INSERT INTO items VALUES ('item_null', NULL, 'no qty')"));
  ASSERT_TRUE(m.Up({}));
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM items WHERE qty_big IS DISTINCT FROM qty"),
            "0");
  // Text keys are walked in order too; the row whose old value is NULL needs
  // no update, and the rows already in step are not rewritten.
  EXPECT_EQ(QueryValue(*conn, "SELECT rows_updated FROM schema_backfills WHERE version = 2"),
            "250");
  // After the backfill both shapes of writer stay in step.
  ASSERT_TRUE(conn->Exec("INSERT INTO items (id, qty_big) VALUES ('new_style', 7)"));
  ASSERT_TRUE(conn->Exec("UPDATE items SET qty = 9 WHERE id = 'item_1'"));
  EXPECT_EQ(QueryValue(*conn, "SELECT qty FROM items WHERE id = 'new_style'"), "7");
  EXPECT_EQ(QueryValue(*conn, "SELECT qty_big FROM items WHERE id = 'item_1'"), "9");
}

}  // namespace
}  // namespace payments::migrate
