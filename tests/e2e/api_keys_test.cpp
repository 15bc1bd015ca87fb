// The API key lifecycle against the real binary (docs/security.md, "Key
// lifecycle"): keys made by the CLI and the admin API, listed without their
// secrets; a revocation that reaches every running instance within a second;
// a roll whose old key works for its grace period and then stops; live keys
// refused by the sandbox before any handler; an audit of who did what that
// never holds a key; hostile input refused without a change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kToken = "admin-keys-token-0123456789";

class ApiKeysTest : public ServiceTest {
 protected:
  Env ExtraEnv() override { return {{"PAYMENTS_ADMIN_TOKEN", kToken}}; }

  CommandResult Keys(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"merchants", "keys"};
    all.insert(all.end(), args.begin(), args.end());
    return RunPayments(all, {{"PAYMENTS_DATABASE_URL", db_.conninfo()}});
  }
  // `keys create|roll --json`: the key's JSON, its secret recorded for the log scan.
  nlohmann::json KeyJson(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    const auto& with_secret = j.contains("replacement") ? j["replacement"] : j;
    if (with_secret.contains("secret")) RecordSecretForLogScan(with_secret["secret"]);
    return j;
  }
  HttpResponse Admin(const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& token = kToken) {
    HttpClient admin(service_->admin_port());
    Headers h = {{"Content-Type", "application/json"}};
    if (!token.empty()) h.push_back({"Authorization", std::string("Bearer ") + token});
    return admin.Request(method, target, body, h);
  }
  static int Status(HttpClient& c, const std::string& key) {
    return c.Get("/v1/payments?limit=1", {{"Authorization", "Bearer " + key}}).status;
  }
  std::string KeyIdOf(const std::string& secret) {
    auto conn = db_.Connect();
    return QueryValue(*conn,
                      "SELECT id FROM api_keys WHERE key_prefix = '" + secret.substr(0, 12) + "'");
  }
  std::string State() {
    auto conn = db_.Connect();
    return QueryValue(*conn,
                      "SELECT (SELECT count(*) FROM api_keys) || ' keys, ' || (SELECT count(*) "
                      "FROM api_keys WHERE revoked_at IS NOT NULL OR expires_at IS NOT NULL) || "
                      "' stopped, ' || (SELECT count(*) FROM api_key_audit) || ' audited'");
  }
};

TEST_F(ApiKeysTest, KeysAreMadeByTheCliAndTheAdminApiAndListedWithoutSecrets) {
  auto cli = KeyJson(Keys({"create", "--merchant", merchant_.id, "--json", "--actor", "ops"}));
  ASSERT_TRUE(cli["secret"].get<std::string>().starts_with("sk_test_"));
  EXPECT_EQ(cli["mode"], "test");
  auto api = Admin("POST", "/admin/merchants/" + merchant_.id + "/keys",
                   R"({"mode":"test","actor":"ops-api"})");
  ASSERT_EQ(api.status, 200) << api.body;
  const std::string api_secret = api.Json()["secret"];
  RecordSecretForLogScan(api_secret);
  EXPECT_EQ(Status(*client_, cli["secret"]), 200);
  EXPECT_EQ(Status(*client_, api_secret), 200);
  EXPECT_EQ(Status(*client_, merchant_.key), 200);

  auto listed = Keys({"list", "--merchant", merchant_.id, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto admin_listed = Admin("GET", "/admin/merchants/" + merchant_.id + "/keys");
  ASSERT_EQ(admin_listed.status, 200);
  auto conn = db_.Connect();
  const std::string hashes = QueryValue(*conn, "SELECT string_agg(key_hash, ' ') FROM api_keys");
  for (const std::string& out : {listed.out, admin_listed.body}) {
    auto j = nlohmann::json::parse(out);
    ASSERT_EQ(j["data"].size(), 3u) << out;
    for (const auto& k : j["data"]) {
      EXPECT_FALSE(k.contains("secret"));
      EXPECT_FALSE(k.contains("key_hash"));
      EXPECT_EQ(k["prefix"].get<std::string>().size(), 12u);
    }
    for (const std::string& secret :
         {cli["secret"].get<std::string>(), api_secret, merchant_.key}) {
      EXPECT_EQ(out.find(secret), std::string::npos);
    }
    for (size_t at = 0; at + 64 <= hashes.size(); at += 65) {
      EXPECT_EQ(out.find(hashes.substr(at, 64)), std::string::npos);
    }
  }
  auto table = Keys({"list", "--merchant", merchant_.id});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_EQ(table.out.find(api_secret), std::string::npos);
  EXPECT_NE(table.out.find(api_secret.substr(0, 12)), std::string::npos);
}

TEST_F(ApiKeysTest, ARevokedKeyStopsOnEveryRunningInstanceWithinASecond) {
  auto second = ServiceProcess::Start({{"PAYMENTS_DATABASE_URL", db_.conninfo()}});
  ASSERT_NE(second, nullptr);
  HttpClient c2(second->public_port());
  // Cached on both: used once, then again from the cache.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Status(*client_, merchant_.key), 200);
    ASSERT_EQ(Status(c2, merchant_.key), 200);
  }
  auto revoked = Keys({"revoke", "--key", KeyIdOf(merchant_.key), "--actor", "incident-7"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  const auto committed = Clock::now();  // the command returns after COMMIT
  std::optional<Clock::duration> first_stopped, second_stopped;
  ASSERT_TRUE(Eventually(
      [&] {
        if (!first_stopped && Status(*client_, merchant_.key) == 401) {
          first_stopped = Clock::now() - committed;
        }
        if (!second_stopped && Status(c2, merchant_.key) == 401) {
          second_stopped = Clock::now() - committed;
        }
        return first_stopped && second_stopped;
      },
      std::chrono::seconds(5)));
  const auto worst = std::max(*first_stopped, *second_stopped);
  const auto worst_ms = std::chrono::duration_cast<milliseconds>(worst).count();
  RecordProperty("revocation_delay_ms", std::to_string(worst_ms));
  std::printf(
      "revocation reached both instances in %lld ms (%lld and %lld)\n",
      static_cast<long long>(worst_ms),
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(*first_stopped).count()),
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(*second_stopped).count()));
  EXPECT_LT(worst, std::chrono::seconds(1));
  auto r = client_->Get("/v1/payments", {{"Authorization", "Bearer " + merchant_.key}});
  EXPECT_EQ(r.Json()["error"]["code"], "invalid_api_key");
}

TEST_F(ApiKeysTest, ARolledKeyWorksBesideItsReplacementUntilTheGraceEnds) {
  auto rolled = Admin("POST", "/admin/keys/" + KeyIdOf(merchant_.key) + "/roll",
                      R"({"grace_period":"2s","actor":"rotation"})");
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  const auto at = Clock::now();
  const std::string replacement = rolled.Json()["replacement"]["secret"];
  RecordSecretForLogScan(replacement);
  EXPECT_TRUE(replacement.starts_with("sk_test_"));
  EXPECT_FALSE(rolled.Json()["rolled"]["expires_at"].is_null());
  EXPECT_EQ(Status(*client_, merchant_.key), 200);
  EXPECT_EQ(Status(*client_, replacement), 200);
  ASSERT_TRUE(
      Eventually([&] { return Status(*client_, merchant_.key) == 401; }, std::chrono::seconds(10)));
  EXPECT_GE(Clock::now() - at, milliseconds(1500)) << "the old key stopped before its grace ended";
  EXPECT_EQ(Status(*client_, replacement), 200);

  // A grace of 0: the old key stops at once.
  auto zero =
      KeyJson(Keys({"roll", "--key", KeyIdOf(replacement), "--grace-period", "0", "--json"}));
  const std::string third = zero["replacement"]["secret"];
  EXPECT_FALSE(zero["rolled"]["revoked_at"].is_null());
  ASSERT_TRUE(
      Eventually([&] { return Status(*client_, replacement) == 401; }, std::chrono::seconds(1)));
  EXPECT_EQ(Status(*client_, third), 200);
}

TEST_F(ApiKeysTest, ALiveKeyIsRefusedByTheSandboxBeforeAnyHandler) {
  auto live = KeyJson(Keys({"create", "--merchant", merchant_.id, "--mode", "live", "--json"}));
  const std::string key = live["secret"];
  ASSERT_TRUE(key.starts_with("sk_live_"));
  auto r = client_->Post("/v1/payments", PaymentBody(500), JsonHeaders(key, "live-1"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Json()["error"]["code"], "api_key_mode_mismatch");
  EXPECT_NE(r.Json()["error"]["message"].get<std::string>().find("test keys only"),
            std::string::npos);
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM payments"), "0");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM idempotency_keys"), "0");
  EXPECT_EQ(Create(500).status, 200);  // the test key still works
}

TEST_F(ApiKeysTest, TheAuditNamesWhoWhatAndWhichPrefixButNeverTheKey) {
  auto made = KeyJson(Keys({"create", "--merchant", merchant_.id, "--actor", "alice", "--json"}));
  const std::string secret = made["secret"];
  auto rolled = KeyJson(
      Keys({"roll", "--key", made["id"], "--grace-period", "1h", "--actor", "bob", "--json"}));
  const std::string replacement = rolled["replacement"]["secret"];
  ASSERT_EQ(Admin("POST", "/admin/keys/" + made["id"].get<std::string>() + "/revoke",
                  R"({"actor":"carol"})")
                .status,
            200);
  auto cli = Keys({"audit", "--merchant", merchant_.id, "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  auto api = Admin("GET", "/admin/keys/audit?merchant=" + merchant_.id);
  ASSERT_EQ(api.status, 200);
  for (const std::string& out : {cli.out, api.body}) {
    auto rows = nlohmann::json::parse(out)["data"];
    ASSERT_EQ(rows.size(), 5u) << out;  // onboarding, create, roll + its new key, revoke
    EXPECT_EQ(rows[0]["action"], "revoke");
    EXPECT_EQ(rows[0]["actor"], "carol");
    EXPECT_EQ(rows[0]["prefix"], secret.substr(0, 12));
    EXPECT_EQ(rows[1]["action"], "roll");
    EXPECT_EQ(rows[1]["actor"], "bob");
    EXPECT_EQ(rows[1]["detail"]["grace_period_ms"], 3'600'000);
    EXPECT_EQ(rows[1]["detail"]["replacement_prefix"], replacement.substr(0, 12));
    EXPECT_EQ(rows[2]["action"], "create");
    EXPECT_EQ(rows[2]["detail"]["rolled_from"], made["id"]);
    EXPECT_EQ(rows[3]["actor"], "alice");
    for (const auto& row : rows) EXPECT_FALSE(row["at"].get<std::string>().empty());
  }
  auto conn = db_.Connect();
  const std::string all = QueryValue(*conn, "SELECT string_agg(a::text, ' ') FROM api_key_audit a");
  for (const std::string& s : {secret, replacement, merchant_.key}) {
    EXPECT_EQ(all.find(s), std::string::npos);
    EXPECT_EQ(all.find(s.substr(0, 13)), std::string::npos) << "more than the 12-character prefix";
  }
  EXPECT_EQ(QueryValue(*conn,
                       "SELECT count(*) FROM api_key_audit a JOIN api_keys k ON "
                       "strpos(a::text, k.key_hash) > 0"),
            "0");
}

TEST_F(ApiKeysTest, HostileInputIsRefusedByNameAndChangesNothing) {
  const std::string key_id = KeyIdOf(merchant_.key);
  const std::string before = State();
  struct CliCase {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const std::vector<CliCase> cli = {
      {{"roll", "--key", key_id, "--grace-period", "3600"}, 2, "grace-period"},
      {{"roll", "--key", key_id, "--grace-period", "-5s"}, 2, "grace-period"},
      {{"roll", "--key", key_id, "--grace-period", "8d"}, 2, "grace-period"},
      {{"roll", "--key", key_id, "--grace-period", "99999999999999999999999d"}, 2, "grace-period"},
      {{"roll", "--key", key_id, "--grace-period", "1s; DROP TABLE api_keys"}, 2, "grace-period"},
      {{"create", "--merchant", merchant_.id, "--mode", "prod"}, 2, "mode"},
      {{"create", "--merchant", merchant_.id, "--mode", "LIVE"}, 2, "mode"},
      {{"create", "--merchant", "mer_'; DROP TABLE api_keys; --"}, 2, "merchant"},
      {{"create", "--merchant", merchant_.id, "--actor", "x\x01y"}, 2, "actor"},
      {{"create", "--merchant", merchant_.id, "--actor", "4242424242424242"}, 2, "card number"},
      {{"revoke", "--key", "key_' OR '1'='1"}, 2, "key"},
      {{"revoke", "--key", "key_00000000000000000000000000"}, 1, "No such API key"},
      {{"roll", "--key", "key_00000000000000000000000000", "--grace-period", "1h"},
       1,
       "No such API key"},
      {{"create", "--merchant", "mer_00000000000000000000000000"}, 1, "No such merchant"},
      {{"list", "--merchant", "mer_00000000000000000000000000"}, 1, "No such merchant"},
      {{"audit", "--limit", "0"}, 2, "limit"},
      {{"revoke"}, 2, "--key"},
  };
  for (const auto& c : cli) {
    auto r = Keys(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args[0] << " " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  struct ApiCase {
    std::string method, target, body;
    int status;
    std::string param;
  };
  const std::string keys = "/admin/merchants/" + merchant_.id + "/keys";
  const std::string roll = "/admin/keys/" + key_id + "/roll";
  const std::vector<ApiCase> api = {
      {"POST", keys, R"({"mode":"prod"})", 400, "mode"},
      {"POST", keys, R"({"mode":1})", 400, "mode"},
      {"POST", keys, R"({"mode":"test","secret":"sk_test_chosen"})", 400, "secret"},
      {"POST", keys, R"({"actor":"a\u0000b"})", 400, ""},
      {"POST", keys, "not json", 400, ""},
      {"POST", "/admin/merchants/mer_00000000000000000000000000/keys", "{}", 404, "merchant"},
      {"POST", "/admin/merchants/nobody/keys", "{}", 400, "merchant"},
      {"POST", roll, R"({"grace_period":"3600"})", 400, "grace_period"},
      {"POST", roll, R"({"grace_period_seconds":-1})", 400, "grace_period_seconds"},
      {"POST", roll, R"({"grace_period_seconds":604801})", 400, "grace_period_seconds"},
      {"POST", roll, R"({"grace_period_seconds":1e300})", 400, "grace_period_seconds"},
      {"POST", roll, R"({"grace_period_seconds":"60"})", 400, "grace_period_seconds"},
      {"POST", roll, R"({"grace_period":"1h","grace_period_seconds":60})", 400, "grace_period"},
      {"POST", roll, "{}", 400, "grace_period"},
      {"POST", "/admin/keys/key_00000000000000000000000000/roll", R"({"grace_period":"1h"})", 404,
       "key"},
      {"POST", "/admin/keys/key_00000000000000000000000000/revoke", "{}", 404, "key"},
      {"GET", "/admin/keys/audit?limit=abc", "", 400, "limit"},
      {"GET", "/admin/keys/audit?merchant=x%27%20OR%201%3D1", "", 400, "merchant"},
  };
  for (const auto& c : api) {
    auto r = Admin(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.target << " " << c.body << " " << r.body;
    if (!c.param.empty()) {
      EXPECT_EQ(r.Json()["error"]["param"], c.param) << r.body;
    }
  }
  // Without the admin token the routes do not answer at all.
  EXPECT_EQ(Admin("POST", "/admin/keys/" + key_id + "/revoke", "{}", "").status, 401);
  EXPECT_EQ(Admin("POST", "/admin/keys/" + key_id + "/revoke", "{}", "wrong-token").status, 401);
  EXPECT_EQ(State(), before);
  EXPECT_EQ(Status(*client_, merchant_.key), 200);
}

}  // namespace
}  // namespace payments::testing
