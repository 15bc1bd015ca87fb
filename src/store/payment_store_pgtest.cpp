// Payments list newest first, also when one client creates two within a
// millisecond (PaymentsApiTest.ListsNewestFirstWithCursorPagination failed
// half the time on a fast machine while creation times were milliseconds).
#include <gtest/gtest.h>

#include "store/payment_store.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using payments::testing::IsOk;

using testing::TestDatabase;

constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";

Payment APayment(std::string id) {
  Payment p;
  p.id = std::move(id);
  p.merchant_id = kMerchant;
  p.amount = 100;
  p.currency = "usd";
  p.status = PaymentStatus::kAuthorized;
  p.card = StoredCard{"visa", "4242", 12, 2030, "fp"};
  p.processor = "sandbox";
  return p;
}

TEST(PaymentStoreTest, PaymentsCreatedWithinOneMillisecondListNewestFirst) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')",
                         db::Params().Add(kMerchant)));
  // The later one has the smaller id: a tie on the time would put it last.
  const int64_t us = 1764000000123000;
  ASSERT_TRUE(InsertPayment(*conn, APayment("pay_b_earlier"), us + 100));
  ASSERT_TRUE(InsertPayment(*conn, APayment("pay_a_later"), us + 101));

  auto page = ListPayments(*conn, kMerchant, {}, 10, std::nullopt);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->payments.size(), 2u);
  EXPECT_EQ(page->payments[0].id, "pay_a_later");
  EXPECT_EQ(page->payments[1].id, "pay_b_earlier");
  // The cursor walks in the same order.
  auto next = ListPayments(*conn, kMerchant, {}, 1, "pay_a_later");
  ASSERT_THAT(next, IsOk());
  ASSERT_EQ(next->payments.size(), 1u);
  EXPECT_EQ(next->payments[0].id, "pay_b_earlier");
}

TEST(PaymentStoreTest, TheFilterNarrowsEveryPageByStatusAndCreationTime) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')",
                         db::Params().Add(kMerchant)));
  const int64_t second = 1764000000;
  const int64_t us = second * 1'000'000;
  Payment failed = APayment("pay_failed");
  failed.status = PaymentStatus::kFailed;
  ASSERT_TRUE(InsertPayment(*conn, APayment("pay_t0"), us));
  ASSERT_TRUE(InsertPayment(*conn, failed, us + 1'000'000));
  ASSERT_TRUE(InsertPayment(*conn, APayment("pay_t2"), us + 2'000'000));
  ASSERT_TRUE(InsertPayment(*conn, APayment("pay_t3"), us + 3'000'000));

  auto ids = [&](const PaymentFilter& filter, int limit, std::optional<std::string> after) {
    std::vector<std::string> out;
    auto page = ListPayments(*conn, kMerchant, filter, limit, after);
    EXPECT_THAT(page, IsOk());
    if (page) {
      for (const Payment& p : page->payments) out.push_back(p.id);
    }
    return out;
  };
  using V = std::vector<std::string>;
  auto with_status = [](PaymentStatus status) {
    PaymentFilter f;
    f.status = status;
    return f;
  };
  EXPECT_EQ(ids(with_status(PaymentStatus::kFailed), 10, std::nullopt), V{"pay_failed"});
  EXPECT_EQ(ids(with_status(PaymentStatus::kAuthorized), 10, std::nullopt),
            (V{"pay_t3", "pay_t2", "pay_t0"}));
  // created[gte] is inclusive, created[lt] exclusive.
  PaymentFilter window;
  window.created_gte = second + 1;
  window.created_lt = second + 3;
  EXPECT_EQ(ids(window, 10, std::nullopt), (V{"pay_t2", "pay_failed"}));
  // A cursor page keeps the filter.
  EXPECT_EQ(ids(with_status(PaymentStatus::kAuthorized), 1, "pay_t3"), V{"pay_t2"});
  EXPECT_EQ(ids(with_status(PaymentStatus::kAuthorized), 10, "pay_t2"), V{"pay_t0"});
  // A cursor past which the filter matches nothing is an empty page; one
  // that is not the merchant's payment is an error, not an empty page.
  EXPECT_EQ(ids(with_status(PaymentStatus::kFailed), 10, "pay_t0"), V{});
  auto unknown = ListPayments(*conn, kMerchant, {}, 10, "pay_nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "resource_missing");
  EXPECT_EQ(unknown.error().param, "starting_after");
}

// The reconciler's queue: a pending call is due once its time comes, each
// look without an answer counts, and the last one leaves it for an operator.
// A call settles once: an update that names another pending call fails
// (IsConcurrentlySettled) and changes nothing. (Reading the queue's rows
// read past its columns, which only the sanitizer build's assertions saw.)
TEST(PaymentStoreTest, PendingCallsQueueForReconciliationAndSettleOnce) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')",
                         db::Params().Add(kMerchant)));
  Payment p = APayment("pay_pending");
  p.status = PaymentStatus::kProcessing;
  p.pending = Pending{PendingOperation::kSale, "pay_pending", 100, "key-1"};
  auto run = [&](const db::BatchItem& item) { return conn->Run(*item.statement, item.params); };
  ASSERT_TRUE(run(InsertPaymentItem(p, 1764000000000000, /*reconcile_after_ms=*/0)));

  auto due = DuePayments(*conn, 10);
  ASSERT_THAT(due, IsOk());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].payment.id, "pay_pending");
  EXPECT_EQ((*due)[0].attempts, 0);
  EXPECT_FALSE((*due)[0].exhausted);
  ASSERT_TRUE((*due)[0].payment.pending);
  EXPECT_EQ((*due)[0].payment.pending->operation, PendingOperation::kSale);
  EXPECT_EQ((*due)[0].payment.pending->idempotency_key, "key-1");

  ASSERT_TRUE(ReschedulePayment(*conn, "pay_pending", "pay_pending", 60'000));
  EXPECT_TRUE(DuePayments(*conn, 10)->empty());
  ASSERT_TRUE(ReschedulePayment(*conn, "pay_pending", "pay_pending", std::nullopt));
  auto unsettled = UnsettledPayments(*conn, 10);
  ASSERT_EQ(unsettled->size(), 1u);
  EXPECT_EQ((*unsettled)[0].attempts, 2);
  EXPECT_TRUE((*unsettled)[0].exhausted);

  Payment settled = p;
  settled.pending.reset();
  settled.status = PaymentStatus::kCaptured;
  settled.amount_captured = 100;
  auto wrong = run(UpdatePaymentItem(settled, std::string("cap_other")));
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(IsConcurrentlySettled(wrong.error())) << wrong.error().detail;
  ASSERT_TRUE(run(UpdatePaymentItem(settled, std::string("pay_pending"))));
  auto again = run(UpdatePaymentItem(settled, std::string("pay_pending")));
  ASSERT_FALSE(again);
  EXPECT_TRUE(IsConcurrentlySettled(again.error()));
  EXPECT_TRUE(UnsettledPayments(*conn, 10)->empty());
  auto found = FindPayment(*conn, kMerchant, "pay_pending", false);
  EXPECT_EQ((*found)->status, PaymentStatus::kCaptured);
  EXPECT_FALSE((*found)->pending);
}

}  // namespace
}  // namespace payments::store
