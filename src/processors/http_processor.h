// The connector to a processor that speaks the sandbox's HTTP+JSON protocol
// (docs/sandbox.md): `payments sandbox`, the SIMULATED processor, or anything
// that answers as it does. Calls go over http::FiberClient (waits park the
// handler's fiber; a pool of kept-alive connections) with the request's
// idempotency key in the Idempotency-Key header, so a repeated call is the
// same call at the processor.
//
// Retries: only where nothing can have moved twice — a connection that
// could not be opened, and a 5xx answer, which the processor's idempotency
// key makes safe to send again (max_attempts in all, backing off). Never
// after a timeout or a connection closed mid-answer: the call may still be
// running there; that is kUnknown, for Lookup later.
//
// Thread-safe: many handlers call one HttpProcessor at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/fiber_client.h"
#include "processors/processor.h"

namespace payments::processors {

struct HttpProcessorOptions {
  std::string url;  // http://host:port
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{10000};  // a whole answer after the request was sent
  int max_attempts = 3;
  std::chrono::milliseconds retry_backoff{50};  // doubled for each attempt after the second
  std::string name = "sandbox";
  bool live = false;  // the sandbox is simulated: test keys only
};

// Maps one answer of the protocol (status and body) to a result.
// A 200 carries the object made (its id is the reference). Pure; for the
// connector and its fuzz target (fuzz/processor_answer_fuzzer.cpp).
ProcessorResult InterpretAnswer(int status, std::string_view body);

class HttpProcessor final : public Processor {
 public:
  static payments::Result<std::unique_ptr<HttpProcessor>> Create(HttpProcessorOptions options);
  HttpProcessor(const HttpProcessor&) = delete;
  HttpProcessor& operator=(const HttpProcessor&) = delete;

  std::string_view name() const override { return options_.name; }
  bool live() const override { return options_.live; }
  ProcessorResult Authorize(const AuthorizeRequest& request) override;
  ProcessorResult Capture(const FollowUpRequest& request) override;
  ProcessorResult Cancel(const FollowUpRequest& request) override;
  ProcessorResult Refund(const FollowUpRequest& request) override;
  ProcessorResult Lookup(std::string_view idempotency_key) override;
  payments::Result<ProcessorRecord> Retrieve(std::string_view reference) override;

 private:
  HttpProcessor(HttpProcessorOptions options, std::unique_ptr<http::FiberClient> client)
      : options_(std::move(options)), client_(std::move(client)) {}
  ProcessorResult Post(std::string_view operation, const std::string& target,
                       const std::string& body, const std::string& idempotency_key);

  const HttpProcessorOptions options_;
  std::unique_ptr<http::FiberClient> client_;
};

}  // namespace payments::processors
