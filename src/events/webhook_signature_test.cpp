#include "events/webhook_signature.h"

#include <gtest/gtest.h>

#include <set>

#include "core/crypto.h"

namespace payments::events {
namespace {

TEST(WebhookSignatureTest, SecretsAreWellFormedAndFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string s = MakeWebhookSecret();
    EXPECT_TRUE(s.starts_with("whsec_"));
    EXPECT_TRUE(IsWebhookSecret(s)) << s;
    EXPECT_TRUE(seen.insert(s).second);
  }
  EXPECT_FALSE(IsWebhookSecret(""));
  EXPECT_FALSE(IsWebhookSecret("whsec_"));
  EXPECT_FALSE(IsWebhookSecret("whsec_AAAA"));  // 3 bytes: too short
  EXPECT_FALSE(IsWebhookSecret("sk_" + Base64Encode(std::string(32, 'x'))));
}

// The example of the Standard Webhooks specification's reference libraries:
// secret, id, timestamp and payload as published, and the signature they give.
TEST(WebhookSignatureTest, MatchesTheSpecificationsExample) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  EXPECT_TRUE(IsWebhookSecret(secret));
  EXPECT_EQ(
      SignWebhook("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})", {secret}),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignatureTest, SignsOncePerSecretSpaceSeparated) {
  const std::string a = MakeWebhookSecret();
  const std::string b = MakeWebhookSecret();
  const std::string one = SignWebhook("evt_1", 1700000000, "{}", {a});
  const std::string two = SignWebhook("evt_1", 1700000000, "{}", {a, b});
  EXPECT_TRUE(one.starts_with("v1,"));
  EXPECT_TRUE(two.starts_with(one + " v1,"));
  EXPECT_NE(SignWebhook("evt_1", 1700000001, "{}", {a}), one);   // the timestamp is signed
  EXPECT_NE(SignWebhook("evt_2", 1700000000, "{}", {a}), one);   // and the id
  EXPECT_NE(SignWebhook("evt_1", 1700000000, "{ }", {a}), one);  // and every byte of the body
}

}  // namespace
}  // namespace payments::events
