#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/admin_flags_handlers.h"
#include "support/test_database.h"

namespace payments::api {
namespace {

using nlohmann::json;
using testing::QueryValue;
using testing::TestDatabase;

constexpr const char* kToken = "adm_0123456789abcdef";
constexpr const char* kSandbox = "/admin/flags/processor.sandbox.enabled";

class AdminFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_NE(conn_, nullptr);
    db::PoolOptions o;
    o.connect.conninfo = db_.conninfo();
    o.size = 2;
    pool_ = std::make_unique<db::Pool>(o);
  }

  // Routes the request as the server does and calls the handler.
  http::Response Call(const http::Router& router, std::string method, std::string path,
                      std::string body = "", std::string auth = std::string("Bearer ") + kToken) {
    http::Request req;
    req.method = std::move(method);
    req.path = path;
    req.target = path;
    req.body = std::move(body);
    req.remote_address = "127.0.0.1";
    if (!auth.empty()) req.headers.emplace_back("authorization", std::move(auth));
    http::Router::Match m = router.Find(req.method, req.path);
    EXPECT_EQ(m.kind, http::Router::Match::Kind::kFound) << req.method << " " << req.path;
    if (m.kind != http::Router::Match::Kind::kFound) return http::Response{};
    req.route = m.route;
    req.path_params = m.params;
    return (*m.handler)(req);
  }

  http::Router Router(std::string token = kToken) {
    http::Router router;
    RegisterAdminFlagRoutes(router, *pool_, {.token = std::move(token)});
    return router;
  }

  std::string StoredState() {
    return QueryValue(*conn_,
                      "SELECT coalesce((SELECT definition::text || ' v' || version FROM "
                      "feature_flags WHERE key = 'processor.sandbox.enabled'), 'absent') || "
                      "' audit=' || (SELECT count(*) FROM feature_flag_audit)");
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<db::Pool> pool_;
};

void ExpectError(const http::Response& r, int status, std::string_view type,
                 std::string_view param = {}) {
  EXPECT_EQ(r.status, status) << r.body;
  json body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.contains("error")) << r.body;
  EXPECT_EQ(body["error"]["type"], type) << r.body;
  EXPECT_TRUE(body["error"]["code"].is_string()) << r.body;
  EXPECT_TRUE(body["error"]["message"].is_string()) << r.body;
  if (!param.empty()) {
    EXPECT_EQ(body["error"]["param"], param) << r.body;
  }
}

TEST_F(AdminFlagsTest, WithoutATokenConfiguredTheAdminApiDoesNotExist) {
  http::Router router = Router("");
  ExpectError(Call(router, "GET", "/admin/flags"), 404, "invalid_request_error");
  ExpectError(Call(router, "PUT", kSandbox,
                   R"({"definition":{"type":"boolean","rule":"off"},)"
                   R"("reason":"r"})"),
              404, "invalid_request_error");
  ExpectError(Call(router, "DELETE", kSandbox, R"({"reason":"r"})"), 404, "invalid_request_error");
  EXPECT_EQ(StoredState(), "absent audit=0");
}

TEST_F(AdminFlagsTest, AMissingOrWrongTokenIs401AndChangesNothing) {
  http::Router router = Router();
  const std::string body = R"({"definition":{"type":"boolean","rule":"off"},"reason":"r"})";
  http::Response none = Call(router, "PUT", kSandbox, body, "");
  ExpectError(none, 401, "authentication_error");
  EXPECT_EQ(none.Header("WWW-Authenticate"), "Bearer");
  ExpectError(Call(router, "PUT", kSandbox, body, "Bearer wrong"), 401, "authentication_error");
  ExpectError(Call(router, "PUT", kSandbox, body, kToken), 401, "authentication_error");
  ExpectError(Call(router, "GET", "/admin/flags", "", "Bearer wrong"), 401, "authentication_error");
  EXPECT_EQ(StoredState(), "absent audit=0");
}

TEST_F(AdminFlagsTest, PutGetListAndDelete) {
  http::Router router = Router();
  http::Response put = Call(router, "PUT", kSandbox,
                            R"({"definition":{"type":"boolean","rule":"off","allow":["mer_1"]},)"
                            R"("reason":"INC-7 sandbox down","actor":"alice"})");
  ASSERT_EQ(put.status, 200) << put.body;
  json flag = json::parse(put.body);
  EXPECT_EQ(flag["object"], "flag");
  EXPECT_EQ(flag["version"], 1);
  EXPECT_EQ(flag["definition"]["rule"], "off");
  EXPECT_EQ(flag["updated_by"], "alice");
  EXPECT_EQ(QueryValue(*conn_, "SELECT actor || ': ' || reason FROM feature_flag_audit"),
            "alice: INC-7 sandbox down");

  http::Response get = Call(router, "GET", kSandbox);
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(json::parse(get.body)["definition"]["allow"], json::array({"mer_1"}));
  ExpectError(Call(router, "GET", "/admin/flags/no.such.flag"), 404, "invalid_request_error",
              "key");

  http::Response list = Call(router, "GET", "/admin/flags");
  ASSERT_EQ(list.status, 200);
  json all = json::parse(list.body);
  EXPECT_EQ(all["object"], "list");
  ASSERT_GE(all["data"].size(), 2u);  // the stored flag and the declared stage flag
  EXPECT_EQ(all["data"][0]["key"], "processor.sandbox.enabled");
  EXPECT_EQ(all["data"][1]["stored"], false);

  http::Response del = Call(router, "DELETE", kSandbox, R"({"reason":"INC-7 over"})");
  ASSERT_EQ(del.status, 200) << del.body;
  json deleted = json::parse(del.body);
  EXPECT_EQ(deleted["deleted"], true);
  EXPECT_EQ(deleted["stored"], false);
  EXPECT_EQ(deleted["previous"]["version"], 1);
  EXPECT_EQ(QueryValue(*conn_, "SELECT actor FROM feature_flag_audit WHERE action = 'delete'"),
            "admin-api (127.0.0.1)");
  ExpectError(Call(router, "DELETE", kSandbox, R"({"reason":"again"})"), 404,
              "invalid_request_error", "key");
  ExpectError(Call(router, "DELETE", kSandbox, ""), 400, "invalid_request_error", "reason");
}

TEST_F(AdminFlagsTest, InvalidDefinitionsAre400NamingTheFieldAndChangeNothing) {
  http::Router router = Router();
  ASSERT_EQ(Call(router, "PUT", kSandbox,
                 R"({"definition":{"type":"boolean","rule":"rollout","percentage":10},)"
                 R"("reason":"canary"})")
                .status,
            200);
  const std::string before = StoredState();
  struct Case {
    std::string path;
    std::string body;
    const char* param;
  };
  const Case cases[] = {
      {kSandbox,
       R"({"definition":{"type":"boolean","rule":"rollout","percentage":150},)"
       R"("reason":"r"})",
       "definition.percentage"},
      {kSandbox, R"({"definition":{"type":"boolean","rule":"on","percent":5},"reason":"r"})",
       "definition.percent"},
      {kSandbox, R"({"definition":{"type":"boolean","rule":"on","deny":["a b"]},"reason":"r"})",
       "definition.deny[0]"},
      {kSandbox,
       R"({"definition":{"type":"string","variants":["a"],"off_variant":"a",)"
       R"("on_variant":"a","rule":"on"},"reason":"r"})",
       "definition.type"},
      {kSandbox, R"({"definition":"off","reason":"r"})", "definition"},
      {kSandbox, R"({"reason":"r"})", "definition"},
      {kSandbox, R"({"definition":{"type":"boolean","rule":"on"}})", "reason"},
      {kSandbox, R"({"definition":{"type":"boolean","rule":"on"},"reason":"r","why":"x"})", "why"},
      {kSandbox, R"({"definition":{"type":"boolean","rule":"on"},"reason":7})", "reason"},
      {kSandbox, R"(not json)", ""},
      // jsonb and text refuse a NUL: a 400, never a 500 from the database.
      {kSandbox, R"({"definition":{"type":"boolean","rule":"on"},"reason":"r\u0000"})", "reason"},
      {kSandbox, R"({"definition":{"type":"boolean","rule":"on"},"reason":"r","actor":"\u0000"})",
       "actor"},
      {"/admin/flags/processor.sandbox.enable",
       R"({"definition":{"type":"boolean","rule":"on"},"reason":"r"})", "key"},
      {"/admin/flags/Bad%20Key",
       R"({"definition":{"type":"boolean","rule":"on"},"reason":"r","allow_unknown":true})", "key"},
  };
  for (const Case& c : cases) {
    http::Response r = Call(router, "PUT", c.path, c.body);
    ExpectError(r, 400, "invalid_request_error", c.param);
    EXPECT_EQ(StoredState(), before) << c.body;
  }
  // A flag a newer release reads can be created on purpose.
  http::Response unknown =
      Call(router, "PUT", "/admin/flags/refunds.v3",
           R"({"definition":{"type":"boolean","rule":"on"},"reason":"r","allow_unknown":true})");
  EXPECT_EQ(unknown.status, 200) << unknown.body;
  EXPECT_EQ(json::parse(unknown.body)["declared"], false);
}

}  // namespace
}  // namespace payments::api
