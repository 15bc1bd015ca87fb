// A random mix of payments, captures, cancels and refunds, replayed against a
// model of what each merchant's balance must be; the ledger in PostgreSQL
// must agree with the model after every step, and every journal entry must
// balance.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "support/service_fixture.h"

namespace payments::testing {
namespace {

struct ModelPayment {
  std::string id;
  std::string currency;
  int64_t amount = 0;
  std::string status;
  int64_t captured = 0;
  int64_t refunded = 0;
};

class LedgerModelTest : public ServiceTest {};

TEST_F(LedgerModelTest, BalancesMatchAModelOfRandomOperations) {
  std::mt19937 rng(20261124);
  const std::vector<std::string> currencies = {"usd", "eur", "jpy", "kwd"};
  std::vector<ModelPayment> payments;
  std::map<std::string, int64_t> model;  // currency -> balance
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };

  for (int step = 0; step < 150; ++step) {
    const int op = pick(10);
    if (op < 4 || payments.empty()) {  // create, sometimes declined, sometimes auth only
      const std::string currency = currencies[pick(4)];
      const int64_t amount = 1 + pick(5000);
      const bool capture = pick(2) == 0;
      const bool decline = pick(8) == 0;
      auto r = Create(amount, currency, decline ? "4000000000000002" : "4242424242424242", capture);
      if (decline) {
        ASSERT_EQ(r.status, 402);
        continue;
      }
      ASSERT_EQ(r.status, 200) << r.body;
      ModelPayment p{r.Json()["id"],       currency, amount, capture ? "captured" : "authorized",
                     capture ? amount : 0, 0};
      if (capture) model[currency] += amount;
      payments.push_back(p);
    } else {
      ModelPayment& p = payments[pick(static_cast<int>(payments.size()))];
      if (op < 6) {  // capture, maybe partial, maybe illegal
        const int64_t amount = 1 + pick(static_cast<int>(p.amount));
        auto r = PostAs("/v1/payments/" + p.id + "/capture",
                        nlohmann::json({{"amount", amount}}).dump());
        if (p.status == "authorized") {
          ASSERT_EQ(r.status, 200) << r.body;
          p.status = "captured";
          p.captured = amount;
          model[p.currency] += amount;
        } else {
          ASSERT_EQ(r.status, 409) << r.body;
        }
      } else if (op < 7) {  // cancel
        auto r = PostAs("/v1/payments/" + p.id + "/cancel", "");
        if (p.status == "authorized") {
          ASSERT_EQ(r.status, 200) << r.body;
          p.status = "canceled";
        } else {
          ASSERT_EQ(r.status, 409) << r.body;
        }
      } else {  // refund part or all, sometimes too much
        const int64_t left = p.captured - p.refunded;
        const int64_t amount = 1 + pick(static_cast<int>(std::max<int64_t>(left, 1)) + 20);
        auto r = PostAs("/v1/payments/" + p.id + "/refunds",
                        nlohmann::json({{"amount", amount}}).dump());
        if ((p.status == "captured" || p.status == "partially_refunded") && amount <= left) {
          ASSERT_EQ(r.status, 200) << r.body;
          p.refunded += amount;
          p.status = p.refunded == p.captured ? "refunded" : "partially_refunded";
          model[p.currency] -= amount;
        } else {
          ASSERT_TRUE(r.status == 400 || r.status == 409) << r.status << r.body;
        }
      }
    }
    if (step % 25 == 24) {
      auto balance = GetAs("/v1/balance").Json();
      std::map<std::string, int64_t> actual;
      for (const auto& b : balance["available"]) actual[b["currency"]] = b["amount"];
      std::map<std::string, int64_t> expected;
      for (const auto& [c, v] : model) {
        if (actual.contains(c) || v != 0) expected[c] = v;
      }
      ASSERT_EQ(actual, expected) << "after step " << step;
    }
  }
  for (const ModelPayment& p : payments) {
    auto got = GetAs("/v1/payments/" + p.id).Json();
    EXPECT_EQ(got["status"], p.status);
    EXPECT_EQ(got["amount_captured"], p.captured);
    EXPECT_EQ(got["amount_refunded"], p.refunded);
  }
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT count(*) FROM (SELECT entry_id, currency FROM ledger_postings "
                       "GROUP BY entry_id, currency HAVING sum(amount) <> 0) unbalanced"),
            "0");
  // The processor owes us exactly what we owe the merchant.
  EXPECT_EQ(QueryValue(*conn, "SELECT coalesce(sum(amount), 0) FROM ledger_postings"), "0");
}

}  // namespace
}  // namespace payments::testing
