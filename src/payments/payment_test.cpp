#include "payments/payment.h"

#include <gtest/gtest.h>

#include "payments/ledger.h"

namespace payments {
namespace {

// A refund the processor did at once: reserved, then settled.
void Refund(Payment& p, int64_t amount) {
  ReserveRefund(p, amount);
  SettleRefund(p, amount, true);
}

Payment Authorized(int64_t amount = 1000) {
  Payment p;
  p.id = "pay_x";
  p.amount = amount;
  p.currency = "usd";
  p.status = PaymentStatus::kAuthorized;
  return p;
}

TEST(PaymentTest, FullCapture) {
  Payment p = Authorized();
  auto amount = PlanCapture(p, std::nullopt);
  ASSERT_TRUE(amount);
  EXPECT_EQ(*amount, 1000);
  ApplyCapture(p, *amount);
  EXPECT_EQ(p.status, PaymentStatus::kCaptured);
  EXPECT_EQ(p.amount_captured, 1000);
}

TEST(PaymentTest, PartialCaptureReleasesTheRest) {
  Payment p = Authorized();
  ApplyCapture(p, *PlanCapture(p, 600));
  EXPECT_EQ(p.amount_captured, 600);
  // Refunds are bounded by what was captured, not by what was authorized.
  EXPECT_EQ(PlanRefund(p, 700).error().code, "amount_too_large");
  EXPECT_EQ(*PlanRefund(p, std::nullopt), 600);
}

TEST(PaymentTest, CaptureRules) {
  Payment p = Authorized();
  EXPECT_EQ(PlanCapture(p, 1001).error().param, "amount");
  EXPECT_EQ(PlanCapture(p, 0).error().kind, ErrorKind::kInvalidRequest);
  ApplyCapture(p, 1000);
  auto again = PlanCapture(p, std::nullopt);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kStateConflict);
}

TEST(PaymentTest, CancelOnlyWhenAuthorized) {
  Payment p = Authorized();
  ASSERT_TRUE(PlanCancel(p));
  ApplyCancel(p);
  EXPECT_EQ(p.status, PaymentStatus::kCanceled);
  EXPECT_EQ(PlanCancel(p).error().kind, ErrorKind::kStateConflict);
  EXPECT_EQ(PlanCapture(p, std::nullopt).error().kind, ErrorKind::kStateConflict);
  EXPECT_EQ(PlanRefund(p, std::nullopt).error().kind, ErrorKind::kStateConflict);

  Payment captured = Authorized();
  ApplyCapture(captured, 1000);
  EXPECT_EQ(PlanCancel(captured).error().kind, ErrorKind::kStateConflict);
}

TEST(PaymentTest, RefundsAddUpToTheCapturedAmount) {
  Payment p = Authorized();
  EXPECT_EQ(PlanRefund(p, 1).error().kind, ErrorKind::kStateConflict);  // not captured yet
  ApplyCapture(p, 1000);
  Refund(p, *PlanRefund(p, 300));
  EXPECT_EQ(p.status, PaymentStatus::kPartiallyRefunded);
  Refund(p, *PlanRefund(p, 300));
  EXPECT_EQ(p.amount_refunded, 600);
  EXPECT_EQ(PlanRefund(p, 401).error().code, "amount_too_large");
  Refund(p, *PlanRefund(p, std::nullopt));
  EXPECT_EQ(p.status, PaymentStatus::kRefunded);
  EXPECT_EQ(p.amount_refunded, 1000);
  EXPECT_EQ(PlanRefund(p, std::nullopt).error().code, "charge_already_refunded");
}

TEST(PaymentTest, FailedPaymentsAcceptNothing) {
  Payment p = Authorized();
  p.status = PaymentStatus::kFailed;
  EXPECT_FALSE(PlanCapture(p, std::nullopt));
  EXPECT_FALSE(PlanCancel(p));
  EXPECT_FALSE(PlanRefund(p, std::nullopt));
}

TEST(PaymentTest, StatusNamesRoundTrip) {
  for (auto s :
       {PaymentStatus::kAuthorized, PaymentStatus::kCaptured, PaymentStatus::kPartiallyRefunded,
        PaymentStatus::kRefunded, PaymentStatus::kCanceled, PaymentStatus::kFailed}) {
    EXPECT_EQ(ParsePaymentStatus(ToString(s)), s);
  }
  EXPECT_EQ(ParsePaymentStatus("pending"), std::nullopt);
}

TEST(PaymentTest, NothingStartsWhileACallsAnswerIsAwaited) {
  Payment processing = Authorized();
  processing.status = PaymentStatus::kProcessing;
  processing.pending = Pending{PendingOperation::kSale, "pay_1", 1000, std::nullopt};
  for (auto result : {PlanCapture(processing, std::nullopt).error(), PlanCancel(processing).error(),
                      PlanRefund(processing, 10).error()}) {
    EXPECT_EQ(result.kind, ErrorKind::kStateConflict);
    EXPECT_EQ(result.code, "payment_outcome_pending");
  }
  Payment capturing = Authorized();
  capturing.pending = Pending{PendingOperation::kCapture, "cap_1", 500, "key-1"};
  EXPECT_EQ(PlanCancel(capturing).error().code, "payment_outcome_pending");
  EXPECT_EQ(PlanCapture(capturing, 100).error().code, "payment_outcome_pending");
}

TEST(PaymentTest, PendingRefundsReserveTheirAmountUntilSettled) {
  Payment p = Authorized();
  ApplyCapture(p, 1000);
  ReserveRefund(p, 600);
  EXPECT_EQ(p.amount_refunded, 0);
  EXPECT_EQ(p.status, PaymentStatus::kCaptured);
  EXPECT_EQ(PlanRefund(p, 401).error().code, "amount_too_large");
  EXPECT_EQ(*PlanRefund(p, std::nullopt), 400);  // what is neither refunded nor reserved
  ReserveRefund(p, 400);
  EXPECT_EQ(PlanRefund(p, std::nullopt).error().code, "refund_pending");
  SettleRefund(p, 400, false);  // the processor did not: released
  EXPECT_EQ(p.amount_refund_pending, 600);
  EXPECT_EQ(*PlanRefund(p, std::nullopt), 400);
  SettleRefund(p, 600, true);
  EXPECT_EQ(p.amount_refund_pending, 0);
  EXPECT_EQ(p.amount_refunded, 600);
  EXPECT_EQ(p.status, PaymentStatus::kPartiallyRefunded);
}

TEST(PaymentTest, PendingOperationNamesRoundTrip) {
  for (PendingOperation op : {PendingOperation::kAuthorize, PendingOperation::kSale,
                              PendingOperation::kCapture, PendingOperation::kCancel}) {
    EXPECT_EQ(ParsePendingOperation(ToString(op)), op);
  }
  EXPECT_EQ(ParsePendingOperation("refund"), std::nullopt);
  EXPECT_EQ(ParsePaymentStatus("processing"), PaymentStatus::kProcessing);
  EXPECT_EQ(ParseRefundStatus("pending"), RefundStatus::kPending);
}

TEST(LedgerTest, PostingsBalance) {
  EXPECT_TRUE(IsBalanced(CapturePostings("usd", 1000)));
  EXPECT_TRUE(IsBalanced(RefundPostings("jpy", 5)));
  EXPECT_FALSE(IsBalanced({{"merchant_balance", "usd", 5}}));
  EXPECT_FALSE(IsBalanced({{"a", "usd", 5}, {"b", "eur", -5}}));
  EXPECT_FALSE(IsBalanced({}));
}

}  // namespace
}  // namespace payments
