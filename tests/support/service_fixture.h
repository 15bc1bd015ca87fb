// A gtest fixture with a migrated database, one running `payments serve` on
// it, a merchant and a client: the usual starting point of an e2e test.
// Subclasses may override ExtraEnv() to configure the service.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "support/http_client.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace payments::testing {

inline constexpr const char* kCardBody =
    R"({"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"})";

// A POST /v1/payments body.
inline std::string PaymentBody(int64_t amount, const std::string& currency = "usd",
                               const std::string& number = "4242424242424242",
                               bool capture = true) {
  return nlohmann::json({{"amount", amount},
                         {"currency", currency},
                         {"capture", capture},
                         {"payment_method",
                          {{"card",
                            {{"number", number},
                             {"exp_month", 12},
                             {"exp_year", 2030},
                             {"cvc", number.size() == 15 ? "1234" : "123"}}}}}})
      .dump();
}

class ServiceTest : public ::testing::Test {
 protected:
  virtual Env ExtraEnv() { return {}; }

  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    Env env = ExtraEnv();
    env["PAYMENTS_DATABASE_URL"] = db_.conninfo();
    service_ = ServiceProcess::Start(env);
    ASSERT_NE(service_, nullptr);
    merchant_ = CreateMerchant(db_.conninfo());
    client_ = std::make_unique<HttpClient>(service_->public_port());
  }

  HttpResponse Create(int64_t amount, const std::string& currency = "usd",
                      const std::string& number = "4242424242424242", bool capture = true,
                      const std::string& idempotency_key = "") {
    return client_->Post("/v1/payments", PaymentBody(amount, currency, number, capture),
                         JsonHeaders(merchant_.key, idempotency_key));
  }
  HttpResponse PostAs(const std::string& path, const std::string& body,
                      const std::string& idempotency_key = "") {
    return client_->Post(path, body, JsonHeaders(merchant_.key, idempotency_key));
  }
  HttpResponse GetAs(const std::string& path) {
    return client_->Get(path, {{"Authorization", "Bearer " + merchant_.key}});
  }

  TestDatabase db_;
  std::unique_ptr<ServiceProcess> service_;
  TestMerchant merchant_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace payments::testing
