#include "processors/sandbox_processor.h"

#include <fmt/format.h>

#include "core/crypto.h"
#include "fibers/fiber.h"

namespace payments::processors {
namespace {

ProcessorResult Declined(std::string code, std::string message) {
  return {ProcessorResult::Outcome::kDeclined, "", std::move(code), std::move(message)};
}

ProcessorResult Failed(std::string message) {
  return {ProcessorResult::Outcome::kFailed, "", "processing_error", std::move(message)};
}

// References of authorizations made with the card that cannot be reversed.
constexpr std::string_view kNoReversalPrefix = "sbx_chnr";

ProcessorResult Irreversible() {
  return Failed("The processor could not reverse this authorization.");
}

// As a network call would: a handler's fiber parks, its thread goes on.
void Wait(std::chrono::milliseconds d) {
  if (d.count() > 0) fibers::SleepFor(d);
}

}  // namespace

ProcessorResult SandboxProcessor::Approved(std::string_view prefix) const {
  return {ProcessorResult::Outcome::kApproved, fmt::format("{}_{}", prefix, RandomBase62(20)), "",
          ""};
}

ProcessorResult SandboxProcessor::Authorize(const AuthorizeRequest& request) {
  Wait(options_.latency);
  const std::string& number = request.card->number;
  if (number == "4000000000000002") return Declined("card_declined", "Your card was declined.");
  if (number == "4000000000009995") {
    return Declined("insufficient_funds", "Your card has insufficient funds.");
  }
  if (number == "4000000000000069") return Declined("expired_card", "Your card has expired.");
  if (number == "4000000000000127") {
    return Declined("incorrect_cvc", "Your card's security code is incorrect.");
  }
  if (number == "4000000000000119") {
    return Failed("An error occurred while processing your card. Try again in a little bit.");
  }
  if (number == "4000000000000259") {
    // The processor does not answer; the connector gives up at its timeout.
    Wait(options_.timeout);
    return Failed(
        fmt::format("The processor did not answer within {} ms.", options_.timeout.count()));
  }
  if (number == "4000000000000341") {
    if (options_.slow_latency > options_.timeout) {
      Wait(options_.timeout);
      return Failed(
          fmt::format("The processor did not answer within {} ms.", options_.timeout.count()));
    }
    Wait(options_.slow_latency);
  }
  if (number == "4000000000005126") return Approved(kNoReversalPrefix);
  return Approved("sbx_ch");
}

ProcessorResult SandboxProcessor::Capture(const FollowUpRequest&) {
  Wait(options_.latency);
  return Approved("sbx_cp");
}

ProcessorResult SandboxProcessor::Cancel(const FollowUpRequest& request) {
  Wait(options_.latency);
  if (request.processor_reference.starts_with(kNoReversalPrefix)) return Irreversible();
  return Approved("sbx_cn");
}

ProcessorResult SandboxProcessor::Refund(const FollowUpRequest& request) {
  Wait(options_.latency);
  if (request.processor_reference.starts_with(kNoReversalPrefix)) return Irreversible();
  return Approved("sbx_re");
}

ProcessorResult SandboxProcessor::Lookup(std::string_view) {
  return {ProcessorResult::Outcome::kFailed, "", "processor_no_record",
          "The processor has no record of this call."};
}

payments::Result<ProcessorRecord> SandboxProcessor::Retrieve(std::string_view) {
  return ProcessorRecord{};  // keeps nothing: it knows of no authorization
}

}  // namespace payments::processors
