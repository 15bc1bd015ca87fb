#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "db/batch.h"
#include "db/pool.h"
#include "db/transaction.h"
#include "support/eventually.h"
#include "support/loop_thread.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::db {
namespace {

using payments::testing::IsOk;

using testing::TestDatabase;

PoolOptions Options(const TestDatabase& db, int size = 2) {
  PoolOptions o;
  o.connect.conninfo = db.conninfo();
  o.size = size;
  o.acquire_timeout = std::chrono::milliseconds(200);
  return o;
}

TEST(PoolTest, ReusesConnectionsAndCounts) {
  TestDatabase db;
  Pool pool(Options(db));
  int first_pid = 0;
  {
    auto c = pool.Acquire();
    ASSERT_THAT(c, IsOk());
    first_pid = (*c)->backend_pid();
  }
  auto again = pool.Acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->backend_pid(), first_pid);
  EXPECT_EQ(pool.Stats().opened, 1);
  EXPECT_EQ(pool.Stats().busy, 1);
}

TEST(PoolTest, AcquireTakesTheMostRecentlyUsedAndProbeTheLeastRecentlyUsed) {
  TestDatabase db;
  Pool pool(Options(db, 3));
  std::vector<int> pids;
  {
    std::vector<std::optional<PooledConnection>> leases;
    for (int i = 0; i < 3; ++i) {
      auto c = pool.Acquire();
      ASSERT_THAT(c, IsOk());
      pids.push_back((*c)->backend_pid());
      leases.emplace_back(std::move(*c));
    }
    for (auto& lease : leases) lease.reset();  // pids[0] back first, pids[2] last
  }
  {
    auto c = pool.Acquire();
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)->backend_pid(), pids[2]);
  }
  // The probe exercises pids[0], the one idle longest; it then goes to the
  // back of the line, so the next lease is the probed connection.
  ASSERT_TRUE(pool.Probe());
  auto c = pool.Acquire();
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->backend_pid(), pids[0]);
}

TEST(PoolTest, ExhaustedPoolFailsAfterTheAcquireTimeoutInsteadOfHanging) {
  TestDatabase db;
  Pool pool(Options(db, 1));
  auto held = pool.Acquire();
  ASSERT_TRUE(held);
  auto second = pool.Acquire();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(pool.Stats().timeouts, 1);
}

TEST(PoolTest, AWaiterGetsTheConnectionWhenItComesBack) {
  TestDatabase db;
  PoolOptions o = Options(db, 1);
  o.acquire_timeout = std::chrono::milliseconds(5000);
  Pool pool(o);
  auto held = std::make_unique<PooledConnection>(std::move(*pool.Acquire()));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.reset();
  });
  auto got = pool.Acquire();
  releaser.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(pool.Stats().waits, 1);
}

// Runs `sql` on a pooled connection and gives it back: it is the one the pool
// lends next. Returns its backend's pid.
int Use(Pool& pool, std::string_view sql) {
  auto c = pool.Acquire();
  EXPECT_TRUE(c);
  if (!c) return 0;
  auto ran = (*c)->Exec(sql);
  EXPECT_THAT(ran, IsOk());
  return (*c)->backend_pid();
}

// Handlers run on fibers of an event-loop thread (fibers/fiber.h): a fiber
// that waits for the server, or for a connection of an exhausted pool, parks
// and the thread runs its other fibers meanwhile.
TEST(PoolTest, FibersWaitingForTheDatabaseOrAConnectionLeaveTheirThreadToOthers) {
  TestDatabase db;
  PoolOptions options = Options(db, 1);
  options.acquire_timeout = std::chrono::seconds(60);
  Pool pool(options);
  auto admin = db.Connect();
  ASSERT_TRUE(admin->Exec("SELECT pg_advisory_lock(7)"));
  std::atomic<int> a_pid{0}, b_pid{0};
  std::atomic<bool> c_ran{false};
  {
    testing::LoopThread loop;
    loop.Start([&] {  // holds the only connection, waiting for lock 7
      auto c = pool.Acquire();
      ASSERT_THAT(c, IsOk());
      EXPECT_TRUE((*c)->Exec("SELECT pg_advisory_lock(7)"));
      a_pid = (*c)->backend_pid();
    });
    EXPECT_TRUE(testing::Eventually([&] { return pool.Stats().busy == 1; }));
    loop.Start([&] {  // waits for that connection
      auto c = pool.Acquire();
      ASSERT_THAT(c, IsOk());
      EXPECT_TRUE((*c)->Exec("SELECT 1"));
      b_pid = (*c)->backend_pid();
    });
    loop.Start([&] { c_ran = true; });
    EXPECT_TRUE(testing::Eventually([&] { return c_ran && pool.Stats().waits == 1; }));
    EXPECT_EQ(a_pid, 0);
    EXPECT_EQ(b_pid, 0);
    EXPECT_TRUE(admin->Exec("SELECT pg_advisory_unlock(7)"));
  }
  EXPECT_NE(a_pid, 0);
  EXPECT_EQ(b_pid, a_pid);
  EXPECT_EQ(pool.Stats().timeouts, 0);
}

TEST(PoolTest, BrokenConnectionsAreReplaced) {
  TestDatabase db;
  Pool pool(Options(db));
  const int pid = Use(pool, "SELECT 1");
  auto admin = db.Connect();
  ASSERT_TRUE(admin->Exec("SELECT pg_terminate_backend($1)", Params().Add(pid)));
  // The dead connection is dropped, whether the pool sees it closed before
  // lending it or BEGIN fails on it, and the transaction runs on a fresh one.
  auto result = InTransaction(pool, [](Connection& c) -> payments::Result<int64_t> {
    auto rows = c.Exec("SELECT 41 + 1");
    if (!rows) return std::unexpected(rows.error());
    return rows->Int64(0, 0);
  });
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(*result, 42);
  EXPECT_GE(pool.Stats().broken, 1);
  EXPECT_GE(pool.Stats().reconnects, 1);
}

TEST(PoolTest, AConnectionTheServerClosedWhileIdleIsNeverLent) {
  TestDatabase db;
  Pool pool(Options(db));
  const int pid = Use(pool, "CREATE TABLE t (k int PRIMARY KEY)");
  auto admin = db.Connect();
  ASSERT_TRUE(admin->Exec("SELECT pg_terminate_backend($1)", Params().Add(pid)));
  ASSERT_TRUE(testing::Eventually([&] {
    return testing::QueryValue(*admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = " +
                                           std::to_string(pid)) == "0";
  }));
  // BEGIN, the insert and COMMIT go in one round trip, so a dead connection
  // must be caught before anything is sent: the outcome could not be known.
  auto rows = RunTransactionBatch(pool, {{nullptr, "INSERT INTO t VALUES (1)", {}}});
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(pool.Stats().broken, 1);
  EXPECT_EQ(testing::QueryValue(*admin, "SELECT count(*) FROM t"), "1");
}

TEST(PoolTest, UnreachableDatabaseFailsFastAndBacksOff) {
  PoolOptions o;
  o.connect.conninfo = "host=/nonexistent-socket-dir port=1 dbname=x";
  o.size = 2;
  Pool pool(o);
  const auto start = std::chrono::steady_clock::now();
  auto first = pool.Acquire();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::kUnavailable);
  auto second = pool.Acquire();  // in backoff: no new attempt
  ASSERT_FALSE(second);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE(pool.Stats().healthy);
  EXPECT_LE(pool.Stats().connect_failures, 2);
}

TEST(TransactionTest, CommitsOnSuccessAndRollsBackOnError) {
  TestDatabase db;
  Pool pool(Options(db));
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec("CREATE TABLE t (v int)"));
  auto ok = InTransaction(pool, [](Connection& c) -> payments::Status {
    auto r = c.Exec("INSERT INTO t VALUES (1)");
    if (!r) return std::unexpected(r.error());
    return {};
  });
  ASSERT_TRUE(ok);
  auto failed = InTransaction(pool, [](Connection& c) -> payments::Status {
    (void)c.Exec("INSERT INTO t VALUES (2)");
    return std::unexpected(Error::InvalidRequest("x", "no"));
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(testing::QueryValue(*conn, "SELECT string_agg(v::text, ',') FROM t"), "1");
}

TEST(TransactionTest, ASwallowedStatementErrorCannotCommit) {
  TestDatabase db;
  Pool pool(Options(db));
  auto result = InTransaction(pool, [](Connection& c) -> payments::Status {
    (void)c.Exec("SELECT * FROM no_such_table");  // error ignored by mistake
    return {};
  });
  EXPECT_FALSE(result);
}

TEST(ConnectionTest, MapsUniqueViolationWithItsSqlstate) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec("CREATE TABLE u (k text PRIMARY KEY)"));
  ASSERT_TRUE(conn->Exec("INSERT INTO u VALUES ('a')"));
  auto dup = conn->Exec("INSERT INTO u VALUES ($1)", Params().Add("a"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().sqlstate, kUniqueViolation);
  EXPECT_EQ(dup.error().kind, ErrorKind::kInternal);
  EXPECT_FALSE(conn->broken());
}

TEST(ConnectionTest, PreparedStatementsRunRepeatedly) {
  TestDatabase db;
  auto conn = db.Connect();
  constexpr Statement kAdd{"test.add", "SELECT $1::bigint + $2::bigint"};
  for (int i = 0; i < 3; ++i) {
    auto r = conn->Run(kAdd, Params().Add(int64_t{i}).Add(int64_t{10}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Int64(0, 0), i + 10);
  }
}

TEST(ConnectionTest, ArrayParametersArriveElementForElement) {
  TestDatabase db;
  auto conn = db.Connect();
  const std::vector<std::string> texts = {"plain", "with \"quotes\"", "back\\slash", "a,b", ""};
  auto t = conn->Exec("SELECT e, n FROM unnest($1::text[]) WITH ORDINALITY AS u(e, n) ORDER BY n",
                      Params().Add(TextArray(texts)));
  ASSERT_THAT(t, IsOk());
  ASSERT_EQ(t->size(), static_cast<int>(texts.size()));
  for (int r = 0; r < t->size(); ++r) EXPECT_EQ(t->String(r, 0), texts[r]);

  auto n = conn->Exec("SELECT sum(x), count(*), min(x) FROM unnest($1::bigint[]) AS x",
                      Params().Add(Int64Array({7, -3, 9'000'000'000})));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->Int64(0, 0), 9'000'000'004);
  EXPECT_EQ(n->Int64(0, 1), 3);
  EXPECT_EQ(n->Int64(0, 2), -3);
}

TEST(ConnectionTest, ABatchRunsInOneRoundTripAsOneTransaction) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec("CREATE TABLE b (k int PRIMARY KEY)"));
  constexpr Statement kInsert{"test.batch_insert", "INSERT INTO b VALUES ($1) RETURNING k * 10"};
  std::vector<BatchItem> ok;
  ok.push_back({nullptr, "BEGIN", {}});
  ok.push_back({&kInsert, {}, Params().Add(1)});
  ok.push_back({&kInsert, {}, Params().Add(2)});
  ok.push_back({nullptr, "COMMIT", {}});
  auto rows = conn->RunBatch(ok);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[2].Int64(0, 0), 20);

  // An error in the middle: the rest is skipped and the transaction rolls back.
  std::vector<BatchItem> failing;
  failing.push_back({nullptr, "BEGIN", {}});
  failing.push_back({&kInsert, {}, Params().Add(3)});
  failing.push_back({&kInsert, {}, Params().Add(1)});  // duplicate key
  failing.push_back({&kInsert, {}, Params().Add(4)});
  failing.push_back({nullptr, "COMMIT", {}});
  auto failed = conn->RunBatch(failing);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().sqlstate, kUniqueViolation);
  EXPECT_FALSE(conn->broken());
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(testing::QueryValue(*conn, "SELECT string_agg(k::text, ',' ORDER BY k) FROM b"), "1,2");
}

TEST(ConnectionTest, RedactsPasswords) {
  EXPECT_EQ(RedactConninfo("postgresql://app:s3cret@db:5432/payments"),
            "postgresql://app:***@db:5432/payments");
  EXPECT_EQ(RedactConninfo("host=db password=s3cret dbname=x"), "host=db password=*** dbname=x");
}

}  // namespace
}  // namespace payments::db
