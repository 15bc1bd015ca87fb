#include "cli/smoke.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "http/client.h"

namespace payments::cli {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

std::string Card(const std::string& number) {
  return fmt::format(R"({{"card":{{"number":"{}","exp_month":12,"exp_year":2040,"cvc":"123"}}}})",
                     number);
}

class Smoke {
 public:
  explicit Smoke(const SmokeOptions& o) : options_(o) {
    http::ParseHttpUrl(o.url, host_, port_);
    client_ = std::make_unique<http::Client>(host_, port_, o.timeout);
  }

  std::vector<SmokeStep> Run() {
    run_ = "smoke-" + RandomBase62(10);
    if (!options_.admin_url.empty()) {
      Step("readiness (/readyz)", [&](SmokeStep& s) {
        auto r = AdminGet("/readyz");
        s.detail = r.body;
        return r.status == 200;
      });
    }
    Step("version (/version)", [&](SmokeStep& s) {
      // The build and schema are on the admin listener only; the public
      // /version names the API version.
      if (options_.admin_url.empty()) {
        auto r = client_->Send("GET", "/version");
        const json v = Parse(r);
        s.detail = "API " + v.value("api_version", "?");
        return r.status == 200;
      }
      auto r = AdminGet("/version");
      const json v = Parse(r);
      s.detail = v.value("version", "?") + " (" + v.value("commit", "?") + "), schema " +
                 std::to_string(v.value("schema_version_applied", 0));
      return r.status == 200;
    });
    std::string authorized;
    const std::string create_body =
        fmt::format(R"({{"amount":1000,"currency":"usd","capture":false,)"
                    R"("description":"payments smoke test","payment_method":{}}})",
                    Card("4242424242424242"));
    std::string first_body;
    Step("authorize a payment", [&](SmokeStep& s) {
      auto r = Post("/v1/payments", create_body, run_ + "-create");
      const json p = Parse(r);
      authorized = p.value("id", "");
      first_body = r.body;
      s.detail = authorized;
      return r.status == 200 && p.value("status", "") == "authorized";
    });
    Step("replay it with the same Idempotency-Key", [&](SmokeStep& s) {
      auto r = Post("/v1/payments", create_body, run_ + "-create");
      s.detail = r.Header("idempotent-replayed");
      return r.status == 200 && r.body == first_body && r.Header("idempotent-replayed") == "true";
    });
    Step("capture part of it", [&](SmokeStep& s) {
      auto r = Post("/v1/payments/" + authorized + "/capture", R"({"amount":800})", run_ + "-cap");
      const json p = Parse(r);
      s.detail = p.value("status", r.body);
      return r.status == 200 && p.value("amount_captured", 0) == 800;
    });
    Step("refund part of it", [&](SmokeStep& s) {
      auto r = Post("/v1/payments/" + authorized + "/refunds", R"({"amount":300})", run_ + "-ref");
      const json p = Parse(r);
      s.detail = p.value("id", r.body);
      return r.status == 200 && p.value("status", "") == "succeeded";
    });
    Step("read it back", [&](SmokeStep& s) {
      auto r = Get("/v1/payments/" + authorized);
      const json p = Parse(r);
      s.detail = p.value("status", r.body);
      return r.status == 200 && p.value("status", "") == "partially_refunded" &&
             p.value("amount_refunded", 0) == 300;
    });
    Step("authorize and cancel", [&](SmokeStep& s) {
      auto r = Post("/v1/payments", create_body, run_ + "-create2");
      const std::string id = Parse(r).value("id", "");
      auto c = Post("/v1/payments/" + id + "/cancel", "", run_ + "-cancel");
      s.detail = Parse(c).value("status", c.body);
      return r.status == 200 && c.status == 200 && s.detail == "canceled";
    });
    Step("a declined card answers 402", [&](SmokeStep& s) {
      auto r = Post("/v1/payments",
                    fmt::format(R"({{"amount":500,"currency":"usd","payment_method":{}}})",
                                Card("4000000000000002")),
                    run_ + "-decline");
      const json e = Parse(r)["error"];
      s.detail = e.is_object() ? e.value("code", "") : r.body;
      return r.status == 402 && s.detail == "card_declined";
    });
    Step("list payments", [&](SmokeStep& s) {
      auto r = Get("/v1/payments?limit=1");
      const json l = Parse(r);
      s.detail = l.value("object", r.body);
      return r.status == 200 && l.value("object", "") == "list";
    });
    Step("balance", [&](SmokeStep& s) {
      auto r = Get("/v1/balance");
      s.detail = Parse(r).value("object", r.body);
      return r.status == 200 && s.detail == "balance";
    });
    Step("a request without a key answers 401", [&](SmokeStep& s) {
      auto r = client_->Send("GET", "/v1/balance");
      s.detail = std::to_string(r.status);
      return r.status == 401;
    });
    return steps_;
  }

 private:
  template <typename Fn>
  void Step(std::string name, Fn fn) {
    SmokeStep step;
    step.name = std::move(name);
    const auto start = Clock::now();
    step.ok = fn(step);
    step.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    steps_.push_back(std::move(step));
  }

  http::ClientResponse Post(const std::string& path, const std::string& body,
                            const std::string& idempotency_key) {
    return client_->Send("POST", path, body,
                         {{"Authorization", "Bearer " + options_.key},
                          {"Content-Type", "application/json"},
                          {"Idempotency-Key", idempotency_key}});
  }
  http::ClientResponse AdminGet(const std::string& path) {
    std::string host;
    int port = 0;
    http::ParseHttpUrl(options_.admin_url, host, port);
    return http::Client(host, port, options_.timeout).Send("GET", path);
  }

  http::ClientResponse Get(const std::string& path) {
    return client_->Send("GET", path, "", {{"Authorization", "Bearer " + options_.key}});
  }
  static json Parse(const http::ClientResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j : json::object();
  }

  const SmokeOptions& options_;
  std::string host_;
  int port_ = 0;
  std::string run_;
  std::unique_ptr<http::Client> client_;
  std::vector<SmokeStep> steps_;
};

}  // namespace

std::vector<SmokeStep> RunSmoke(const SmokeOptions& options) { return Smoke(options).Run(); }

}  // namespace payments::cli
