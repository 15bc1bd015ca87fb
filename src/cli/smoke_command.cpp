// `payments smoke --url URL --key KEY [--admin-url URL]`: the post-deploy
// smoke test. Exit 0 when every step passed, 1 when one failed, 2 on bad usage.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/smoke.h"
#include "cli/subcommands.h"
#include "http/client.h"

namespace payments::cli {

void AddSmokeCommand(CLI::App& app, int& exit_code) {
  struct Args {
    SmokeOptions options;
    int64_t timeout_ms = 10000;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* sub = app.add_subcommand(
      "smoke", "Smoke-test a running instance through its API (after a deploy or a rollback)");
  sub->add_option("--url", args->options.url, "The instance's public URL, http://host:port")
      ->envname("PAYMENTS_SMOKE_URL")
      ->required();
  sub->add_option("--admin-url", args->options.admin_url,
                  "The instance's admin URL, to check /readyz first")
      ->envname("PAYMENTS_SMOKE_ADMIN_URL");
  sub->add_option("--key", args->options.key, "A smoke-test merchant's secret key")
      ->envname("PAYMENTS_SMOKE_KEY")
      ->required();
  sub->add_option("--timeout", args->timeout_ms, "Per request, in milliseconds")
      ->envname("PAYMENTS_SMOKE_TIMEOUT")
      ->check(CLI::PositiveNumber);
  sub->add_flag("--json", args->json, "Print the steps as JSON");
  sub->callback([args, &exit_code] {
    std::string host;
    int port = 0;
    for (const std::string* url : {&args->options.url, &args->options.admin_url}) {
      if (!url->empty() && !http::ParseHttpUrl(*url, host, port)) {
        PrintError(fmt::format("'{}' is not an http://host:port URL", *url));
        exit_code = 2;
        return;
      }
    }
    args->options.timeout = std::chrono::milliseconds(args->timeout_ms);
    const auto steps = RunSmoke(args->options);
    int failed = 0;
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& s : steps) {
      if (!s.ok) ++failed;
      if (args->json) {
        out.push_back({{"step", s.name}, {"ok", s.ok}, {"ms", s.ms}, {"detail", s.detail}});
      } else {
        std::printf("%-4s %-42s %8.1f ms  %s\n", s.ok ? "ok" : "FAIL", s.name.c_str(), s.ms,
                    s.ok ? "" : s.detail.substr(0, 200).c_str());
      }
    }
    if (args->json) {
      std::puts(out.dump(2).c_str());
    } else {
      std::printf("%s: %zu passed, %d failed\n", failed == 0 ? "smoke" : "SMOKE FAILED",
                  steps.size() - static_cast<size_t>(failed), failed);
    }
    exit_code = failed == 0 ? 0 : 1;
  });
}

}  // namespace payments::cli
