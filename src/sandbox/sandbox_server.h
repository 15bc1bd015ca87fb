// `payments sandbox`: the SIMULATED card processor as a process of its own,
// a network peer of the service as a real processor would be (HTTP + JSON,
// idempotent, durable; docs/sandbox.md). It moves no money.
//
// Each request runs on a fiber of the http::Server loop that read it: it
// waits `latency` (and a slow card's `slow_latency`) parked, validates,
// lets sandbox::State decide and journal under its mutex, parks again until
// the journal line is durable (sandbox/sandbox_journal.h), then answers — or
// drops the connection, or holds it `hang` and then drops it, as the test
// card asks.
//
// Start and stop: the journal is replayed before the listener opens; the
// line "sandbox listening" with the bound `port` says it is ready. SIGTERM
// or SIGINT stops it: the listener closes, requests still running get up to
// two seconds, what the journal holds is synced, and the exit code is 0.
#pragma once

#include <chrono>
#include <string>

namespace payments::sandbox {

struct SandboxConfig {
  std::string listen = "127.0.0.1:8070";
  std::string journal = "var/sandbox.journal";
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds slow_latency{2000};
  std::chrono::milliseconds hang{60'000};
  int flaky_failures = 2;
  int io_threads = 1;
};

// Runs until SIGTERM or SIGINT. Call it before any other thread starts: it
// blocks those signals for the process and waits for them itself. Returns
// the exit code: 0 after a clean stop, 2 for a bad listen address, 1 when
// the journal or the listener cannot be opened.
int RunSandbox(const SandboxConfig& config);

}  // namespace payments::sandbox
