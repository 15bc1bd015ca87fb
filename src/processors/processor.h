// The interface every payment processor connector implements. A connector
// turns the service's requests into its processor's API calls and maps the
// answers to ProcessorResult. Calls block their caller and give up after the
// connector's timeout. What the service may conclude from a result:
//   kApproved  the processor did it (reference names what it made);
//   kDeclined  the processor decided not to: nothing moved;
//   kFailed    the processor certainly did nothing (refused to connect,
//              refused the request, or said it failed): nothing moved;
//   kUnknown   it may have happened (no answer, an answer lost, a 5xx after
//              the request was sent): ask again with Lookup, never guess.
// Handlers run
// on fibers (fibers/fiber.h): a connector must wait through fibers:: (a
// socket, a timer), or it blocks the whole event loop it was called on.
// Requests carry an idempotency key, which a real connector forwards, so a
// retried call after a lost response does not move money twice.
//
// Implementations must be thread-safe: many handlers call them concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "payments/card.h"

namespace payments::processors {

struct AuthorizeRequest {
  std::string payment_id;
  std::string merchant_id;
  std::string idempotency_key;
  int64_t amount = 0;
  std::string currency;
  const ValidCard* card = nullptr;  // the full number, in memory only
  bool capture = true;              // authorize and capture in one step (a "sale")
};

struct FollowUpRequest {  // capture, cancel, refund
  std::string payment_id;
  std::string merchant_id;
  std::string idempotency_key;
  std::string processor_reference;
  int64_t amount = 0;
  std::string currency;
};

struct ProcessorResult {
  enum class Outcome { kApproved, kDeclined, kFailed, kUnknown };
  Outcome outcome = Outcome::kFailed;
  std::string reference;  // the processor's id for the authorization or refund
  std::string code;  // declines: card_declined, insufficient_funds, …; failures: processing_error
  std::string message;  // for the merchant; never contains card data
};

// What the processor holds for one of its authorizations (Retrieve), for a
// settlement report: what it captured and refunded of it.
struct ProcessorRecord {
  bool found = false;
  std::string status;  // the processor's word: "authorized", "captured", "canceled", ...
  std::string currency;
  int64_t amount_captured = 0;
  int64_t amount_refunded = 0;
};

class Processor {
 public:
  virtual ~Processor() = default;
  virtual std::string_view name() const = 0;
  // True when the processor moves real money. A live processor takes only
  // live API keys, a test (simulated) one only test keys
  // (service/api_keys.h): a test key never reaches real money, and a live
  // key never gets simulated approvals.
  virtual bool live() const = 0;
  virtual ProcessorResult Authorize(const AuthorizeRequest& request) = 0;
  virtual ProcessorResult Capture(const FollowUpRequest& request) = 0;
  virtual ProcessorResult Cancel(const FollowUpRequest& request) = 0;
  virtual ProcessorResult Refund(const FollowUpRequest& request) = 0;
  // What became of the call made with this idempotency key: its answer
  // (approved, declined, failed) if the processor has one; kFailed with code
  // "processor_no_record" when it never received it (a processor that closes
  // the key on lookup, so that a late arrival cannot move money after this
  // said nothing did); kUnknown when it still cannot tell (unreachable, or
  // the call is still running there).
  virtual ProcessorResult Lookup(std::string_view idempotency_key) = 0;
  // The authorization `reference` as the processor holds it now; an error
  // (kUnavailable) when the processor cannot be asked or answers otherwise.
  virtual payments::Result<ProcessorRecord> Retrieve(std::string_view reference) = 0;
};

std::string_view ToString(ProcessorResult::Outcome outcome);

}  // namespace payments::processors
