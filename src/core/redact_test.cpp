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
}

}  // namespace
}  // namespace payments
