// `payments smoke` passes against a healthy instance and fails, naming the
// step, against one that cannot take payments.
#include <gtest/gtest.h>

#include "support/service_fixture.h"

namespace payments::testing {
namespace {

class SmokeTest : public ServiceTest {
 protected:
  CommandResult Smoke(const std::string& key) {
    return RunPayments({"smoke", "--url",
                        "http://127.0.0.1:" + std::to_string(service_->public_port()),
                        "--admin-url", "http://127.0.0.1:" + std::to_string(service_->admin_port()),
                        "--key", key});
  }
};

TEST_F(SmokeTest, PassesAgainstAHealthyInstance) {
  auto r = Smoke(merchant_.key);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("12 passed, 0 failed"), std::string::npos) << r.out;
}

TEST_F(SmokeTest, FailsNamingTheStepsThatFailed) {
  auto conn = db_.Connect();
  ASSERT_TRUE(conn->Exec("ALTER TABLE refunds ADD CONSTRAINT smoke_breaks_refunds CHECK (false)"));
  auto r = Smoke(merchant_.key);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAIL refund part of it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok   authorize a payment"), std::string::npos) << r.out;
}

TEST_F(SmokeTest, BadUsageIsExitCode2) {
  auto r = RunPayments({"smoke", "--url", "ftp://x", "--key", "k"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(RunPayments({"smoke", "--url", "http://127.0.0.1:1"}).exit_code, 2);  // no key
}

}  // namespace
}  // namespace payments::testing
