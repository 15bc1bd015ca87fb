// `payments sandbox`: the SIMULATED card processor as a process of its own
// (sandbox/sandbox_server.h, docs/sandbox.md). Every option also reads its
// PAYMENTS_SANDBOX_* variable; durations are whole milliseconds.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "cli/subcommands.h"
#include "core/host_port.h"
#include "sandbox/sandbox_server.h"

namespace payments::cli {
void AddSandboxCommand(CLI::App& app, int& exit_code) {
  auto config = std::make_shared<sandbox::SandboxConfig>();
  auto* sub = app.add_subcommand(
      "sandbox",
      "Run the SIMULATED card processor (HTTP + JSON) until SIGTERM or SIGINT. It moves no "
      "money: it answers by test card number (docs/sandbox.md)");
  sub->add_option("--listen", config->listen, "Address to listen on (port 0 picks a free port)")
      ->envname("PAYMENTS_SANDBOX_LISTEN")
      ->capture_default_str();
  sub->add_option("--journal", config->journal,
                  "The append-only journal of the sandbox's state (apart from the service's "
                  "database)")
      ->envname("PAYMENTS_SANDBOX_JOURNAL")
      ->capture_default_str();
  AddMillis(sub, "--latency", config->latency, "PAYMENTS_SANDBOX_LATENCY",
            "Wait before every request")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}));
  AddMillis(sub, "--slow-latency", config->slow_latency, "PAYMENTS_SANDBOX_SLOW_LATENCY",
            "Extra wait of the slow test card")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}));
  AddMillis(sub, "--hang", config->hang, "PAYMENTS_SANDBOX_HANG",
            "How long a no-answer test card holds the connection before dropping it")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}));
  sub->add_option("--flaky-failures", config->flaky_failures,
                  "503s the flaky test card answers per Idempotency-Key before it approves")
      ->envname("PAYMENTS_SANDBOX_FLAKY_FAILURES")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  sub->add_option("--io-threads", config->io_threads, "Threads of the event loop")
      ->envname("PAYMENTS_SANDBOX_IO_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->callback([config, &exit_code] {
    if (auto address = ParseHostPort(config->listen); !address) {
      PrintError(fmt::format("--listen: {}", address.error().message));
      exit_code = 2;
      return;
    }
    if (config->journal.empty()) {
      PrintError("--journal: the path is empty");
      exit_code = 2;
      return;
    }
    exit_code = sandbox::RunSandbox(*config);
  });
}

}  // namespace payments::cli
