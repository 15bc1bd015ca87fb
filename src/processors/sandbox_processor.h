// The in-process sandbox processor: a SIMULATED card processor for unit and
// store tests that need no network peer. It moves no money. The service
// itself talks to `payments sandbox`, the simulated processor as a process of
// its own (sandbox/, processors/http_processor.h), which keeps state; this
// one keeps none, so its Lookup knows of no call. It behaves like a real
// processor as seen from the service — answers by card number, takes time,
// times out, fails — so that the service's handling of each case is real:
//
//   4242424242424242, 5555555555554444, 378282246310005, …  approved
//   4000000000000002   declined, card_declined
//   4000000000009995   declined, insufficient_funds
//   4000000000000069   declined, expired_card
//   4000000000000127   declined, incorrect_cvc
//   4000000000000119   failed, processing_error
//   4000000000000341   approved after `slow_latency` (default 2 s): slow requests
//   4000000000000259   never answers: fails with processing_error after `timeout`
//   4000000000005126   approved, but every later cancel (void) or refund of it
//                      fails with processing_error (its reference says so, so
//                      the sandbox stays stateless): an authorization that
//                      cannot be undone
//
// Every call also waits `latency` (default 0), as a network round trip would.
// Stateless (references are random), so several instances agree. Thread-safe.
#pragma once

#include <chrono>

#include "processors/processor.h"

namespace payments::processors {

struct SandboxOptions {
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds slow_latency{2000};
  std::chrono::milliseconds timeout{10000};  // the connector's call timeout
};

class SandboxProcessor final : public Processor {
 public:
  explicit SandboxProcessor(SandboxOptions options) : options_(options) {}
  SandboxProcessor(const SandboxProcessor&) = delete;
  SandboxProcessor& operator=(const SandboxProcessor&) = delete;

  std::string_view name() const override { return "sandbox"; }
  bool live() const override { return false; }  // simulated: test keys only
  ProcessorResult Authorize(const AuthorizeRequest& request) override;
  ProcessorResult Capture(const FollowUpRequest& request) override;
  ProcessorResult Cancel(const FollowUpRequest& request) override;
  ProcessorResult Refund(const FollowUpRequest& request) override;
  ProcessorResult Lookup(std::string_view idempotency_key) override;
  payments::Result<ProcessorRecord> Retrieve(std::string_view reference) override;

 private:
  ProcessorResult Approved(std::string_view prefix) const;
  const SandboxOptions options_;
};

}  // namespace payments::processors
