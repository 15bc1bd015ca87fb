// Fuzzes what the processor answers, as the service reads it:
// processors::InterpretAnswer (processors/http_processor.h), which turns the
// status and body of every processor answer — and of every lookup by
// idempotency key — into approved, declined, failed or unknown. The answer
// comes from the network: a broken or hostile processor (or a proxy in
// between) must never make the service record money that did not move.
//
// Input: two bytes choose the HTTP status (100..599); the rest is the body.
// Checks, beyond not crashing:
//   - approved only on 200, and then with a reference of 1..128 characters
//     of [A-Za-z0-9_-] (what the service stores and sends back);
//   - declined only on 402, with one of the known decline codes;
//   - a 5xx, or a 200 whose body names no usable id, is unknown — never
//     approved, never failed (money may have moved);
//   - the message is printable ASCII of at most 200 characters plus the
//     service's own text (it reaches merchants).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "processors/http_processor.h"

namespace {

using Outcome = payments::processors::ProcessorResult::Outcome;

bool ReferenceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int status = 100 + ((data[0] << 8) | data[1]) % 500;
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto r = payments::processors::InterpretAnswer(status, body);
  switch (r.outcome) {
    case Outcome::kApproved:
      FUZZ_CHECK(status == 200);
      FUZZ_CHECK(!r.reference.empty() && r.reference.size() <= 128);
      for (char c : r.reference) FUZZ_CHECK(ReferenceChar(c));
      break;
    case Outcome::kDeclined:
      FUZZ_CHECK(status == 402);
      FUZZ_CHECK(r.code == "card_declined" || r.code == "insufficient_funds" ||
                 r.code == "expired_card" || r.code == "incorrect_cvc");
      break;
    case Outcome::kFailed:
      FUZZ_CHECK(status >= 400 && status < 500);
      break;
    case Outcome::kUnknown:
      break;
  }
  if (status >= 500) FUZZ_CHECK(r.outcome == Outcome::kUnknown);
  FUZZ_CHECK(r.message.size() <= 400);
  for (char c : r.message) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  return 0;
}
