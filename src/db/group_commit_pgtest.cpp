#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "db/group_commit.h"
#include "support/eventually.h"
#include "support/loop_thread.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::db {
namespace {

using payments::testing::IsOk;

using testing::Eventually;
using testing::QueryValue;
using testing::TestDatabase;

constexpr Statement kInsert{"test.group_insert", "INSERT INTO t VALUES ($1) RETURNING k * 10"};
// Waits while the test holds advisory lock $1: a transaction on its way that
// the test lets go when it wants.
constexpr Statement kGate{"test.group_gate", "SELECT pg_advisory_xact_lock($1)"};

// The same insert, mergeable: it asks for no rows back.
constexpr Statement kAdd{"test.group_add", "INSERT INTO t VALUES ($1)", true};
constexpr Statement kAddNote{"test.group_add_note", "INSERT INTO notes VALUES ($1, $2)", true};
// Mergeable with rows: a merged statement's rows go to every unit it carried.
constexpr Statement kAddReturning{"test.group_add_returning",
                                  "INSERT INTO t VALUES ($1) RETURNING k * 10", true};

std::vector<BatchItem> Insert(int k) { return {{&kInsert, {}, Params().Add(k)}}; }
std::vector<BatchItem> Add(int k) { return {{&kAdd, {}, Params().Add(k)}}; }
// A request that writes two tables.
std::vector<BatchItem> AddWithNote(int k) {
  return {{&kAdd, {}, Params().Add(k)},
          {&kAddNote, {}, Params().Add(k).Add("note " + std::to_string(k))}};
}
std::vector<BatchItem> Gate(int lock) { return {{&kGate, {}, Params().Add(lock)}}; }

payments::Result<std::vector<Rows>> Pending() { return std::unexpected(Error()); }
std::vector<payments::Result<std::vector<Rows>>> Pending(int n) {
  std::vector<payments::Result<std::vector<Rows>>> out;
  for (int i = 0; i < n; ++i) out.push_back(Pending());
  return out;
}

// One slot, so that while a gated transaction is on its way every other unit
// queues, and the test knows exactly which units share the next transaction.
class GroupCommitTest : public ::testing::Test {
 protected:
  explicit GroupCommitTest(std::chrono::milliseconds statement_timeout = {})
      : pool_(PoolOptions{
            .connect = {.conninfo = db_.conninfo(), .statement_timeout = statement_timeout},
            .size = 4}),
        committer_(pool_, {.max_units = 64, .max_in_flight = 1}),
        admin_(db_.Connect()) {
    EXPECT_TRUE(admin_->Exec("CREATE TABLE t (k int PRIMARY KEY)"));
    EXPECT_TRUE(admin_->Exec("CREATE TABLE notes (k int PRIMARY KEY, note text NOT NULL)"));
  }

  // Holds lock `n` on the admin connection until Open(n).
  void Close(int n) { ASSERT_TRUE(admin_->Exec("SELECT pg_advisory_lock($1)", Params().Add(n))); }
  void Open(int n) { ASSERT_TRUE(admin_->Exec("SELECT pg_advisory_unlock($1)", Params().Add(n))); }

  // Starts a unit on a thread of its own; its result lands in `out`.
  void Start(std::vector<BatchItem> items, payments::Result<std::vector<Rows>>* out) {
    threads_.emplace_back([this, items = std::move(items), out]() mutable {
      *out = committer_.Run(std::move(items));
    });
  }
  bool Waiting(int n) {
    return Eventually([&] { return committer_.Stats().waiting == n; });
  }
  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  // Sends a transaction that waits for lock 1, queues behind it a unit that
  // waits for lock 2 and inserts of `keys`, then lets the first go: the
  // queued units share the next transaction, which waits for lock 2.
  // first_ is the first transaction's result; results_ the lock-2 unit's,
  // then the inserts', in order (filled by Join()).
  void ShareATransactionWaitingForLock2(const std::vector<int>& keys) {
    Close(1);
    Close(2);
    Start(Gate(1), &first_);
    ASSERT_TRUE(Eventually([&] { return committer_.Stats().batches == 1; }));
    results_ = Pending(static_cast<int>(keys.size()) + 1);
    Start(Gate(2), &results_[0]);
    ASSERT_TRUE(Waiting(1));
    for (size_t i = 0; i < keys.size(); ++i) Start(Insert(keys[i]), &results_[i + 1]);
    ASSERT_TRUE(Waiting(static_cast<int>(keys.size()) + 1));
    Open(1);
  }
  std::string Keys() {
    return QueryValue(*admin_, "SELECT coalesce(string_agg(k::text, ',' ORDER BY k), '') FROM t");
  }
  // Queues `units` behind a transaction waiting for lock 1, lets it go, and
  // returns their results: they share the next transaction.
  std::vector<payments::Result<std::vector<Rows>>> QueuedTogether(
      std::vector<std::vector<BatchItem>> units) {
    Close(1);
    auto gate = Pending();
    const int64_t batches = committer_.Stats().batches;
    Start(Gate(1), &gate);
    EXPECT_TRUE(Eventually([&] { return committer_.Stats().batches == batches + 1; }));
    auto results = Pending(static_cast<int>(units.size()));
    for (size_t i = 0; i < units.size(); ++i) {
      Start(std::move(units[i]), &results[i]);
      EXPECT_TRUE(Waiting(static_cast<int>(i) + 1));  // in this order
    }
    Open(1);
    Join();
    EXPECT_TRUE(gate);
    return results;
  }

  TestDatabase db_;
  Pool pool_;
  GroupCommitter committer_;
  std::unique_ptr<Connection> admin_;
  std::vector<std::thread> threads_;
  payments::Result<std::vector<Rows>> first_ = Pending();
  std::vector<payments::Result<std::vector<Rows>>> results_;
};

TEST_F(GroupCommitTest, ALoneUnitGoesAtOnceAndGetsItsRows) {
  auto rows = committer_.Run(Insert(4));
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Int64(0, 0), 40);
  EXPECT_EQ(committer_.Stats().batches, 1);
  EXPECT_EQ(Keys(), "4");
}

TEST_F(GroupCommitTest, UnitsThatQueueWhileATransactionIsOnItsWayShareTheNext) {
  Close(1);
  auto gate = Pending();
  Start(Gate(1), &gate);
  ASSERT_TRUE(Eventually([&] { return committer_.Stats().batches == 1; }));
  auto results = Pending(10);
  for (int i = 0; i < 10; ++i) Start(Insert(i + 1), &results[i]);
  ASSERT_TRUE(Waiting(10));
  EXPECT_EQ(Keys(), "");
  Open(1);
  Join();
  ASSERT_TRUE(gate);
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(results[i], IsOk());
    ASSERT_EQ(results[i]->size(), 1u);
    EXPECT_EQ((*results[i])[0].Int64(0, 0), (i + 1) * 10);  // its own rows, not a neighbour's
  }
  const GroupCommitStats stats = committer_.Stats();
  EXPECT_EQ(stats.units, 11);
  EXPECT_EQ(stats.batches, 2);  // the gate, then all ten together
  EXPECT_EQ(stats.fallbacks, 0);
  EXPECT_EQ(Keys(), "1,2,3,4,5,6,7,8,9,10");
}

// Requests on fibers of one event-loop thread, as the service runs them: a
// unit parks while it waits for the database or for its turn, so the loop's
// other fibers reach the committer meanwhile and share the next transaction.
TEST_F(GroupCommitTest, UnitsOnFibersOfOneThreadParkWhileTheyWaitAndShareATransaction) {
  Close(1);
  auto gate = Pending();
  auto results = Pending(5);
  {
    testing::LoopThread loop;
    loop.Start([&] { gate = committer_.Run(Gate(1)); });
    EXPECT_TRUE(Eventually([&] { return committer_.Stats().batches == 1; }));
    for (int i = 0; i < 5; ++i) {
      loop.Start([&, i] { results[i] = committer_.Run(Insert(i + 1)); });
    }
    // One thread runs all six fibers: they can all be in the committer only
    // because the leader's fiber parked while its transaction waits.
    EXPECT_TRUE(Waiting(5));
    Open(1);
  }
  ASSERT_THAT(gate, IsOk());
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(results[i], IsOk());
    EXPECT_EQ((*results[i])[0].Int64(0, 0), (i + 1) * 10);
  }
  EXPECT_EQ(committer_.Stats().batches, 2);  // the gate, then all five together
  EXPECT_EQ(Keys(), "1,2,3,4,5");
}

TEST_F(GroupCommitTest, AUnitThatFailsFailsAloneAndItsNeighboursCommit) {
  ASSERT_TRUE(committer_.Run(Insert(2)));
  Close(1);
  auto gate = Pending();
  Start(Gate(1), &gate);
  ASSERT_TRUE(Eventually([&] { return committer_.Stats().batches == 2; }));
  auto results = Pending(3);
  Start(Insert(1), &results[0]);
  ASSERT_TRUE(Waiting(1));
  Start(Insert(2), &results[1]);  // already there: a unique violation
  ASSERT_TRUE(Waiting(2));
  Start(Insert(3), &results[2]);
  ASSERT_TRUE(Waiting(3));
  Open(1);
  Join();
  ASSERT_THAT(results[0], IsOk());
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().sqlstate, kUniqueViolation);
  ASSERT_THAT(results[2], IsOk());
  EXPECT_EQ((*results[2])[0].Int64(0, 0), 30);
  EXPECT_EQ(committer_.Stats().fallbacks, 1);
  EXPECT_EQ(Keys(), "1,2,3");
}

TEST_F(GroupCommitTest, TheSameMergeableStatementsOfSeveralUnitsGoAsOneStatementPerChunk) {
  std::vector<std::vector<BatchItem>> units;
  for (int k = 1; k <= 10; ++k) units.push_back(AddWithNote(k));
  const int64_t before = committer_.Stats().statements;
  auto results = QueuedTogether(std::move(units));
  for (auto& r : results) {
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->size(), 2u);  // a row set per item, empty: merged statements return none
  }
  // The gate, then 8 + 2 units for each of the two statements: 1 + 4, not 1 + 20.
  EXPECT_EQ(committer_.Stats().statements - before, 5);
  EXPECT_EQ(Keys(), "1,2,3,4,5,6,7,8,9,10");
  EXPECT_EQ(QueryValue(*admin_, "SELECT string_agg(note, ',' ORDER BY k) FROM notes"),
            "note 1,note 2,note 3,note 4,note 5,note 6,note 7,note 8,note 9,note 10");
}

TEST_F(GroupCommitTest, EveryUnitOfAMergedStatementGetsItsRowsAndFindsItsOwnAmongThem) {
  std::vector<std::vector<BatchItem>> units;
  for (int k = 1; k <= 3; ++k) units.push_back({{&kAddReturning, {}, Params().Add(k)}});
  auto results = QueuedTogether(std::move(units));
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(results[i], IsOk());
    const Rows& rows = (*results[i])[0];
    bool own = false;
    for (int r = 0; r < rows.size(); ++r) own = own || rows.Int64(r, 0) == (i + 1) * 10;
    EXPECT_TRUE(own) << "unit " << i;
  }
  // Three units are 2 + 1: the first two share a statement and its two rows.
  EXPECT_EQ((*results[0])[0].size(), 2);
  EXPECT_EQ((*results[1])[0].size(), 2);
  EXPECT_EQ((*results[2])[0].size(), 1);
}

TEST_F(GroupCommitTest, UnitsOfOtherStatementsInTheSameTransactionGetTheirOwnRows) {
  auto results = QueuedTogether({Add(1), Insert(2), AddWithNote(3), Add(4), AddWithNote(5)});
  for (auto& r : results) ASSERT_THAT(r, IsOk());
  ASSERT_EQ(results[1]->size(), 1u);
  EXPECT_EQ((*results[1])[0].Int64(0, 0), 20);  // not mergeable: its RETURNING row
  EXPECT_EQ(results[2]->size(), 2u);
  EXPECT_EQ(Keys(), "1,2,3,4,5");
  EXPECT_EQ(QueryValue(*admin_, "SELECT string_agg(k::text, ',' ORDER BY k) FROM notes"), "3,5");
}

TEST_F(GroupCommitTest, AUnitThatFailsAMergedStatementFailsAloneAndItsNeighboursCommit) {
  ASSERT_TRUE(committer_.Run(Add(2)));
  auto results = QueuedTogether({Add(1), Add(2), Add(3)});  // 2 is a unique violation
  ASSERT_THAT(results[0], IsOk());
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().sqlstate, kUniqueViolation);
  ASSERT_THAT(results[2], IsOk());
  EXPECT_EQ(committer_.Stats().fallbacks, 1);
  EXPECT_EQ(Keys(), "1,2,3");
}

TEST_F(GroupCommitTest, ALostConnectionFailsEveryUnitOfItsTransactionAsUnknown) {
  ASSERT_NO_FATAL_FAILURE(ShareATransactionWaitingForLock2({1, 2}));
  // Its backend is the one waiting for lock 2; the database loses it.
  const std::string waiting_for_2 =
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = 2";
  ASSERT_TRUE(Eventually([&] { return !QueryValue(*admin_, waiting_for_2).empty(); }));
  ASSERT_TRUE(admin_->Exec("SELECT pg_terminate_backend((" + waiting_for_2 + "))"));
  Join();
  ASSERT_TRUE(first_);
  for (const auto& r : results_) {
    ASSERT_FALSE(r);
    EXPECT_TRUE(IsOutcomeUnknown(r.error())) << r.error().sqlstate;
    EXPECT_NE(r.error().message.find("outcome is unknown"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(committer_.Stats().fallbacks, 0);
  EXPECT_EQ(Keys(), "");
}

class GroupCommitTimeoutTest : public GroupCommitTest {
 protected:
  GroupCommitTimeoutTest() : GroupCommitTest(std::chrono::milliseconds(2000)) {}
};

TEST_F(GroupCommitTimeoutTest, ATimeoutFailsEveryUnitOfItsTransactionWithoutRunningThemAgain) {
  // The lock-2 unit waits past the statement timeout.
  ASSERT_NO_FATAL_FAILURE(ShareATransactionWaitingForLock2({1, 2}));
  Join();
  for (const auto& r : results_) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sqlstate, kQueryCanceled);
    EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
    EXPECT_FALSE(IsOutcomeUnknown(r.error()));  // a claim is not tried again on it
  }
  EXPECT_EQ(committer_.Stats().fallbacks, 0);
  EXPECT_EQ(committer_.Stats().batches, 2);
  EXPECT_EQ(Keys(), "");
}

TEST_F(GroupCommitTest, WithOneUnitPerTransactionNothingWaitsForAnother) {
  GroupCommitter off(pool_, {.max_units = 1, .max_in_flight = 1});
  Close(1);
  payments::Result<std::vector<Rows>> gate = Pending();
  std::thread gated([&] { gate = off.Run(Gate(1)); });
  ASSERT_TRUE(Eventually([&] { return off.Stats().units == 1; }));
  // The only slot is taken by a transaction that waits, yet this one goes.
  auto rows = off.Run(Insert(7));
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(Keys(), "7");
  Open(1);
  gated.join();
  ASSERT_TRUE(gate);
  EXPECT_EQ(off.Stats().batches, 2);
}

// Two slots: a second transaction goes beside one that carries a lone
// request (light load, where waiting would only add latency)...
// (EXPECT, not ASSERT, until every thread is joined: a failure must not
// leave them running.)
TEST_F(GroupCommitTest, BesideATransactionOfOneRequestASecondGoesAtOnce) {
  GroupCommitter two(pool_, {.max_units = 64, .max_in_flight = 2});
  Close(1);
  auto results = Pending(2);
  std::thread gated([&] { results[0] = two.Run(Gate(1)); });
  EXPECT_TRUE(Eventually([&] { return two.Stats().batches == 1; }));
  std::thread insert([&] { results[1] = two.Run(Insert(7)); });
  EXPECT_TRUE(Eventually([&] { return Keys() == "7"; }));  // while the gate holds the first
  Open(1);
  gated.join();
  insert.join();
  for (const auto& r : results) EXPECT_THAT(r, IsOk());
  EXPECT_EQ(two.Stats().batches, 2);
}

// ... but not beside one that carries several (load): the request queues and
// goes with the others that arrive meanwhile, in one transaction.
TEST_F(GroupCommitTest, BehindATransactionOfSeveralRequestsOthersQueue) {
  GroupCommitter two(pool_, {.max_units = 64, .max_in_flight = 2});
  auto results = Pending(5);
  std::array<std::atomic<bool>, 5> finished{};
  std::vector<std::thread> threads;
  auto start = [&](std::vector<BatchItem> items, int i) {
    threads.emplace_back([&two, &results, &finished, items = std::move(items), i]() mutable {
      results[i] = two.Run(std::move(items));
      finished[i] = true;
    });
  };
  auto stats_reach = [&](auto pred) { return Eventually([&] { return pred(two.Stats()); }); };
  Close(1);
  Close(2);
  Close(3);
  start(Gate(1), 0);  // lone: goes
  EXPECT_TRUE(stats_reach([](auto s) { return s.batches == 1; }));
  start(Gate(2), 1);  // beside a lone one: goes too
  EXPECT_TRUE(stats_reach([](auto s) { return s.batches == 2; }));
  start(Gate(3), 2);  // both slots taken: these two queue
  EXPECT_TRUE(stats_reach([](auto s) { return s.waiting == 1; }));
  start(Gate(3), 3);
  EXPECT_TRUE(stats_reach([](auto s) { return s.waiting == 2; }));
  Open(1);  // the queued two go together, and wait for lock 3
  EXPECT_TRUE(stats_reach([](auto s) { return s.batches == 3; }));
  Open(2);  // a slot is free, beside a transaction of two requests
  EXPECT_TRUE(Eventually([&] { return finished[1].load(); }));
  start(Insert(7), 4);
  EXPECT_TRUE(stats_reach([](auto s) { return s.waiting == 1; }));
  EXPECT_EQ(two.Stats().batches, 3);
  EXPECT_EQ(Keys(), "");
  Open(3);
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_THAT(r, IsOk());
  EXPECT_EQ(Keys(), "7");
  EXPECT_EQ(two.Stats().batches, 4);
}

TEST_F(GroupCommitTest, ManyConcurrentCallersEachCommitExactlyTheirOwn) {
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  std::vector<int> wrong(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int k = t * kEach + i + 1;
        auto rows = committer_.Run(Insert(k));
        if (!rows || (*rows)[0].Int64(0, 0) != k * 10) ++wrong[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
  EXPECT_EQ(QueryValue(*admin_, "SELECT count(DISTINCT k) FROM t"),
            std::to_string(kThreads * kEach));
  EXPECT_EQ(committer_.Stats().units, kThreads * kEach);
  EXPECT_EQ(committer_.Stats().waiting, 0);
}

}  // namespace
}  // namespace payments::db
