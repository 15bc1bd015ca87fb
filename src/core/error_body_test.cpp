#include "core/error_body.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace payments {
namespace {

TEST(ErrorBodyTest, CarriesTypeCodeMessageAndParam) {
  const auto body = nlohmann::json::parse(
      ErrorBody("invalid_request_error", "parameter_missing", "amount is required.", "amount"));
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["code"], "parameter_missing");
  EXPECT_EQ(body["error"]["message"], "amount is required.");
  EXPECT_EQ(body["error"]["param"], "amount");
  EXPECT_TRUE(nlohmann::json::parse(ErrorBody("api_error", "x", "y"))["error"]["param"].is_null());
}

TEST(ErrorBodyTest, NeverEchoesACardNumberOrKey) {
  const std::string body =
      ErrorBody("invalid_request_error", "resource_missing",
                "No such payment: 'pay_4242424242424242' (key sk_live_AbCdEf0123456789)",
                "metadata[4000 0000 0000 0002]");
  EXPECT_EQ(body.find("4242424242424242"), std::string::npos) << body;
  EXPECT_EQ(body.find("0002"), std::string::npos) << body;
  EXPECT_EQ(body.find("AbCdEf0123456789"), std::string::npos) << body;
  EXPECT_NE(body.find("No such payment: 'pay_[redacted]'"), std::string::npos) << body;
}

TEST(ErrorBodyTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const std::string body = ErrorBody("invalid_request_error", "x", "path /\xff");
  EXPECT_TRUE(nlohmann::json::accept(body));
  EXPECT_NE(body.find("\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace payments
