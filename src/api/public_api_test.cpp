#include "api/public_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace payments::api {
namespace {

using nlohmann::json;

payments::Result<std::optional<std::string>> OneKey(const std::string& key) {
  if (key == "sk_good") return std::optional<std::string>("mer_1");
  if (key == "sk_empty") return std::optional<std::string>("");  // a store that went wrong
  if (key == "sk_down") return std::unexpected(Error::Unavailable("database unavailable"));
  return std::optional<std::string>();
}

class PublicApiTest : public ::testing::Test {
 protected:
  PublicApiTest() {
    api_.AddForMerchant("GET", "/v1/things/{id}", [this](http::Request& r, const Merchant& m) {
      ran_for_ = m.id();
      http::Response out;
      out.body = json({{"id", r.PathParam("id")}}).dump();
      return out;
    });
    api_.AddForMerchant("POST", "/v1/throws",
                        [](http::Request&, const Merchant&) -> http::Response {
                          throw std::runtime_error("a library threw");
                        });
    api_.AddPublic("GET", "/open", [](http::Request&) { return http::Response{}; });
  }

  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& authorization = "") {
    http::Request r;
    r.method = method;
    r.path = path;
    r.request_id = "req_test";
    if (!authorization.empty()) r.headers.emplace_back("authorization", authorization);
    return api_.Handle(r);
  }

  PublicApi api_{OneKey};
  std::string ran_for_;
};

TEST_F(PublicApiTest, AMerchantRouteRunsOnlyWithAKeyThatAuthenticated) {
  for (const char* auth :
       {"", "Bearer ", "Bearer sk_wrong", "Basic sk_good", "bearer sk_good", "Bearer sk_empty"}) {
    const http::Response r = Call("GET", "/v1/things/t_1", auth);
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(json::parse(r.body)["error"]["type"], "authentication_error") << auth;
  }
  EXPECT_EQ(ran_for_, "");
  EXPECT_EQ(Call("GET", "/v1/things/t_1", "Bearer sk_down").status, 503);
  EXPECT_EQ(ran_for_, "");

  const http::Response ok = Call("GET", "/v1/things/t_1", "Bearer sk_good");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ran_for_, "mer_1");
  EXPECT_EQ(ok.merchant_id, "mer_1");
  EXPECT_EQ(ok.route, "/v1/things/{id}");
}

TEST_F(PublicApiTest, NoAnswerMayBeCached) {
  for (const http::Response& r :
       {Call("GET", "/v1/things/t_1", "Bearer sk_good"), Call("GET", "/v1/things/t_1"),
        Call("GET", "/nowhere"), Call("POST", "/v1/throws", "Bearer sk_good"),
        Call("GET", "/version")}) {
    EXPECT_EQ(r.Header("Cache-Control"), "no-store") << r.status << " " << r.body;
  }
}

TEST_F(PublicApiTest, PublicRoutesNeedNoKey) {
  EXPECT_EQ(Call("GET", "/open").status, 200);
  EXPECT_EQ(Call("GET", "/version").status, 200);
}

TEST_F(PublicApiTest, PublicVersionNamesTheApiVersionOnly) {
  const http::Response r = Call("GET", "/version");
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"api_version":"v1"})")) << r.body;
}

TEST_F(PublicApiTest, AnExceptionIsThatRequestsOwn500) {
  const http::Response r = Call("POST", "/v1/throws", "Bearer sk_good");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "api_error");
  EXPECT_EQ(r.body.find("a library threw"), std::string::npos);  // logged, never returned
  EXPECT_EQ(r.error_detail, "a library threw");
  EXPECT_EQ(Call("GET", "/open").status, 200);  // and the API goes on
}

TEST_F(PublicApiTest, UnknownRoutesAndMethodsAreTyped) {
  EXPECT_EQ(Call("GET", "/v1/nothing", "Bearer sk_good").status, 404);
  const http::Response r = Call("DELETE", "/v1/things/t_1", "Bearer sk_good");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET");
}

}  // namespace
}  // namespace payments::api
