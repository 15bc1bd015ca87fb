#include "http/router.h"

#include <gtest/gtest.h>

namespace payments::http {
namespace {

Response Ok(Request&) { return Response{}; }

TEST(RouterTest, MatchesTemplatesAndCapturesParameters) {
  Router r;
  r.Add("GET", "/v1/payments", Ok);
  r.Add("GET", "/v1/payments/{id}", Ok);
  r.Add("POST", "/v1/payments/{id}/capture", Ok);
  auto m = r.Find("GET", "/v1/payments/pay_123");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.route, "/v1/payments/{id}");
  EXPECT_EQ(m.params.at("id"), "pay_123");
  m = r.Find("POST", "/v1/payments/pay_9/capture");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.params.at("id"), "pay_9");
  EXPECT_EQ(r.Find("GET", "/v1/payments").route, "/v1/payments");
}

TEST(RouterTest, DistinguishesUnknownPathFromWrongMethod) {
  Router r;
  r.Add("GET", "/v1/payments/{id}", Ok);
  r.Add("POST", "/v1/payments", Ok);
  EXPECT_EQ(r.Find("GET", "/v1/nope").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/v1/payments/").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(r.Find("GET", "/v1/payments/a/b").kind, Router::Match::Kind::kNotFound);
  auto m = r.Find("DELETE", "/v1/payments/pay_1");
  EXPECT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allowed_methods, std::vector<std::string>{"GET"});
}

}  // namespace
}  // namespace payments::http
