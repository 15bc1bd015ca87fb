#include "core/redact.h"

#include <gtest/gtest.h>

namespace payments {
namespace {

TEST(RedactTest, MasksCardNumbersInAnyCommonSpelling) {
  EXPECT_EQ(RedactSecrets("card 4242424242424242 declined"), "card [redacted] declined");
  EXPECT_EQ(RedactSecrets("4242 4242 4242 4242"), "[redacted]");
  EXPECT_EQ(RedactSecrets("x=4000-0000-0000-0002;"), "x=[redacted];");
  EXPECT_EQ(RedactSecrets("{\"number\":\"378282246310005\"}"), "{\"number\":\"[redacted]\"}");
}

TEST(RedactTest, LeavesOrdinaryNumbersAlone) {
  // Not Luhn-valid, or too short, or part of an identifier.
  EXPECT_EQ(RedactSecrets("amount 4242424242424241"), "amount 4242424242424241");
  EXPECT_EQ(RedactSecrets("took 1234 ms"), "took 1234 ms");
  EXPECT_EQ(RedactSecrets("time 1700000000000"), "time 1700000000000");
  EXPECT_EQ(RedactSecrets("pay_4242424242424242"), "pay_4242424242424242");
  // A float's fraction is not a card number (and redacting it would break JSON).
  EXPECT_EQ(RedactSecrets("{\"duration_ms\":60.4242424242424242}"),
            "{\"duration_ms\":60.4242424242424242}");
}

TEST(RedactTest, MasksSecretKeys) {
  EXPECT_EQ(RedactSecrets("Bearer sk_test_AbCdEf0123456789xyz"), "Bearer [redacted]");
  EXPECT_EQ(RedactSecrets("sk_live_12345678 and sk_test_short"), "[redacted] and sk_test_short");
  // Glued together, and one prefix inside another's short tail.
  EXPECT_EQ(RedactSecrets("sk_live_AAAAAAAAsk_test_BBBBBBBB"), "[redacted][redacted]");
  EXPECT_EQ(RedactSecrets("sk_test_sk_live_12345678"), "sk_test_[redacted]");
  EXPECT_EQ(RedactSecrets("x sk_test_12345678,sk_test_87654321 4242424242424242 y"),
            "x [redacted],[redacted] [redacted] y");
}

TEST(RedactTest, ManyKeysInALargeTextAreAllMasked) {
  std::string text;
  for (int i = 0; i < 4000; ++i) text += "sk_test_abcdefgh,";
  const std::string out = RedactSecrets(text);
  EXPECT_EQ(out.find("abcdefgh"), std::string::npos);
  EXPECT_EQ(out.size(), 4000u * std::string("[redacted],").size());
}

TEST(RedactTest, AnswersToClientsMaskEveryLongDigitRun) {
  // Found by the request_path fuzzer: a 404 echoed a path whose identifier
  // held a test card number behind a digit of its own.
  EXPECT_EQ(RedactForClient("Unrecognized request URL (POST /a_w9424242424242424242:3a)."),
            "Unrecognized request URL (POST /a_w[redacted]:3a).");
  EXPECT_EQ(RedactForClient("pay_4242424242424242"), "pay_[redacted]");
  EXPECT_EQ(RedactForClient("4242 4242 4242 4242 and 4242-4242-4242-4241"),
            "[redacted] and [redacted]");
  EXPECT_EQ(RedactForClient("Bearer sk_live_AbCdEf0123456789"), "Bearer [redacted]");
}

TEST(RedactTest, AnswersToClientsKeepShortNumbers) {
  EXPECT_EQ(RedactForClient("amount must be at most 99999999 (got 123456789012)"),
            "amount must be at most 99999999 (got 123456789012)");
  EXPECT_EQ(RedactForClient("No such payment: 'pay_01jd8k3m6w'"),
            "No such payment: 'pay_01jd8k3m6w'");
  EXPECT_EQ(RedactForClient("trailing 12 - 34 "), "trailing 12 - 34 ");
  EXPECT_EQ(RedactForClient(""), "");
}

TEST(HoldsCardNumberTest, FindsCardNumbersInFreeTextInEveryUsualSpelling) {
  for (const char* text :
       {"4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "card: 4242424242424242.",
        "x4242424242424242x", "4242 4242 4242 4242 exp 12/30", "4242424242424242 1234",
        "5555 5555 5555 4444", "378282246310005", "3782-822463-10005", "6011111111111117",
        "order 12 then 4000 0000 0000 0002"}) {
    EXPECT_TRUE(HoldsCardNumber(text)) << text;
  }
}

TEST(HoldsCardNumberTest, LeavesOtherNumbersAlone) {
  for (const char* text : {"", "order 42", "4242424242424241", "4242 4242 4242 4241",
                           "+1 415 555 2671", "2026-12-07 12:00", "424242424242",  // 12 digits
                           "42424242424242424242424242",  // 26 digits in one run: an id
                           "4242  4242  4242  4242",      // double spaces break the run
                           "4242_4242_4242_4242", "pay_01hy4242x4242x4242x4242"}) {
    EXPECT_FALSE(HoldsCardNumber(text)) << text;
  }
}

}  // namespace
}  // namespace payments
