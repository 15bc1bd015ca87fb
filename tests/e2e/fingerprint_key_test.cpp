// The card fingerprint key lives apart from the fingerprints: with a
// database URL, serve refuses to start without PAYMENTS_FINGERPRINT_KEY (or
// _FILE); fingerprints are scoped per merchant; and the key is rotated as
// docs/security.md says — new fingerprints change, idempotent retries of
// requests made under the old key still replay while it is given as
// PAYMENTS_FINGERPRINT_KEY_PREVIOUS. Against the real binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>

#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

const std::string kFirstKey = "first-fingerprint-key-0123456789abcdef";
const std::string kSecondKey = "second-fingerprint-key-0123456789abcdef";

std::string Fingerprint(const HttpResponse& r) {
  return r.Json()["card"]["fingerprint"].get<std::string>();
}

class FingerprintKeyTest : public ServiceTest {
 protected:
  Env ExtraEnv() override { return {{"PAYMENTS_FINGERPRINT_KEY", kFirstKey}}; }

  // Stops the service and starts it again with these keys.
  void Restart(const Env& keys) {
    service_->Signal(SIGTERM);
    ASSERT_EQ(service_->Wait(30s), 0);
    Env env = keys;
    env["PAYMENTS_DATABASE_URL"] = db_.conninfo();
    service_ = ServiceProcess::Start(env);
    ASSERT_NE(service_, nullptr);
    client_ = std::make_unique<HttpClient>(service_->public_port());
  }

  HttpResponse Pay(const TestMerchant& m, int64_t amount, const std::string& idempotency_key) {
    return client_->Post("/v1/payments", PaymentBody(amount), JsonHeaders(m.key, idempotency_key));
  }
};

TEST(FingerprintKeyStartTest, WithADatabaseUrlServeRefusesToStartWithoutAKey) {
  for (const Env& env :
       {Env{{"PAYMENTS_DATABASE_URL", "host=/nonexistent"}, {"PAYMENTS_FINGERPRINT_KEY", ""}},
        Env{{"PAYMENTS_DATABASE_URL", "host=/nonexistent"}, {"PAYMENTS_FINGERPRINT_KEY", "short"}},
        Env{{"PAYMENTS_DATABASE_URL", "host=/nonexistent"},
            {"PAYMENTS_FINGERPRINT_KEY_FILE", "/nonexistent/key"}}}) {
    auto r = RunPayments({"serve"}, env, 30s);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("FINGERPRINT_KEY"), std::string::npos) << r.err;
  }
}

TEST_F(FingerprintKeyTest, FingerprintsAreScopedPerMerchant) {
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other merchant");
  auto a1 = Pay(merchant_, 1000, "");
  auto a2 = Pay(merchant_, 2000, "");
  auto b = Pay(other, 1000, "");
  ASSERT_EQ(a1.status, 200) << a1.body;
  ASSERT_EQ(a2.status, 200) << a2.body;
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(Fingerprint(a1), Fingerprint(a2));
  EXPECT_NE(Fingerprint(a1), Fingerprint(b));

  Restart({{"PAYMENTS_FINGERPRINT_KEY", kFirstKey}, {"PAYMENTS_FINGERPRINT_SCOPE", "global"}});
  auto ga = Pay(merchant_, 1000, "");
  auto gb = Pay(other, 1000, "");
  ASSERT_EQ(ga.status, 200) << ga.body;
  EXPECT_EQ(Fingerprint(ga), Fingerprint(gb));
}

TEST_F(FingerprintKeyTest, RotatingTheKeyKeepsIdempotentRetriesWhileThePreviousKeyIsGiven) {
  auto before = Pay(merchant_, 1000, "rotation-1");
  ASSERT_EQ(before.status, 200) << before.body;

  Restart(
      {{"PAYMENTS_FINGERPRINT_KEY", kSecondKey}, {"PAYMENTS_FINGERPRINT_KEY_PREVIOUS", kFirstKey}});
  // A retry of the request made under the first key replays its answer.
  auto retry = Pay(merchant_, 1000, "rotation-1");
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.body, before.body);
  EXPECT_EQ(retry.Header("idempotent-replayed"), "true");
  // The same key with another request is still refused.
  auto reused = Pay(merchant_, 2000, "rotation-1");
  EXPECT_EQ(reused.Json()["error"]["code"], "idempotency_key_reused") << reused.body;
  // New payments get fingerprints under the new key: the same card's differ
  // across the rotation, and agree after it.
  auto after1 = Pay(merchant_, 1000, "");
  auto after2 = Pay(merchant_, 3000, "");
  ASSERT_EQ(after1.status, 200) << after1.body;
  EXPECT_NE(Fingerprint(after1), Fingerprint(before));
  EXPECT_EQ(Fingerprint(after1), Fingerprint(after2));

  // Without the previous key, a record made under it no longer matches: the
  // previous key stays given until such records expire (24 hours).
  Restart({{"PAYMENTS_FINGERPRINT_KEY", kSecondKey}});
  auto late = Pay(merchant_, 1000, "rotation-1");
  EXPECT_EQ(late.Json()["error"]["code"], "idempotency_key_reused") << late.body;
}

}  // namespace
}  // namespace payments::testing
