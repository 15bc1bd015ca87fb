// Fuzzes what `payments sandbox` does with a POST body before anything is
// decided: sandbox::ParseRequest (sandbox/sandbox_state.h) for the endpoint
// the first byte picks (authorize, capture, cancel, refund), then, when it
// parses, sandbox::State::Execute on a fresh state; and the same bytes as an
// Idempotency-Key through ValidateIdempotencyKey.
//
// Input: one byte choosing the path (its value mod 4), then the body.
// Checks, beyond not crashing:
//   - a refused body is InvalidRequest with code invalid_json,
//     json_too_deep, parameter_invalid or parameter_missing and a message; its error body
//     is JSON; no run of 12 or more digits (a card number) is in it;
//   - an accepted body holds only what validation promises: amounts of
//     1..99999999999, a lower-case currency of three letters, merchant and
//     reference of 1–64 characters, last4 of four digits, a brand;
//   - Execute answers an authorize with 200, 402, 500 or 503 (or a fault's
//     drop) and a follow-up on an unknown authorization with 404;
//   - an accepted key is 1–255 characters of [A-Za-z0-9_:.-].
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error_body.h"
#include "core/text.h"
#include "fuzz_check.h"
#include "sandbox/sandbox_state.h"
#include "telemetry/log.h"

namespace {

using namespace payments;

class NullJournal final : public sandbox::JournalSink {
 public:
  payments::Result<uint64_t> Append(std::string_view line) override {
    FUZZ_CHECK(line.find('\n') == std::string_view::npos);
    return ++lines_;
  }

 private:
  uint64_t lines_ = 0;
};

bool HasDigitRun(std::string_view s, size_t n) {
  size_t run = 0;
  for (char c : s) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run >= n) return true;
  }
  return false;
}

bool InRange(int64_t v) { return v >= 1 && v <= sandbox::kMaxAmount; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = payments::log::SetLevel("error");
  (void)quiet;
  if (size == 0) return 0;
  const auto op = static_cast<sandbox::Operation>(data[0] % 4 + 1);
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto parsed = sandbox::ParseRequest(op, body);
  if (!parsed) {
    const Error& e = parsed.error();
    FUZZ_CHECK(e.kind == ErrorKind::kInvalidRequest);
    FUZZ_CHECK(e.code == "invalid_json" || e.code == "json_too_deep" ||
               e.code == "parameter_invalid" || e.code == "parameter_missing");
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK_MSG(!HasDigitRun(e.message, 12), e.message);
    const std::string error_body = ErrorBody("invalid_request_error", e.code, e.message, e.param);
    FUZZ_CHECK(nlohmann::json::accept(error_body));
    FUZZ_CHECK_MSG(!HasDigitRun(error_body, 12), error_body);
  } else {
    FUZZ_CHECK(parsed->op == op);
    if (op == sandbox::Operation::kAuthorize) {
      const sandbox::AuthorizeParams& p = parsed->authorize;
      FUZZ_CHECK(InRange(p.amount));
      FUZZ_CHECK(p.currency.size() == 3);
      for (char c : p.currency) FUZZ_CHECK(c >= 'a' && c <= 'z');
      for (const std::string* s : {&p.merchant, &p.reference}) {
        FUZZ_CHECK(!s->empty() && IsValidUtf8(*s) && Utf8Length(*s) <= 64);
        FUZZ_CHECK(!CheckText(*s, /*allow_control=*/false));
      }
      FUZZ_CHECK(p.last4.size() == 4 && !HasDigitRun(p.brand, 1) && !p.brand.empty());
    } else {
      FUZZ_CHECK(!parsed->amount || InRange(*parsed->amount));
      FUZZ_CHECK(op != sandbox::Operation::kCancel || !parsed->amount);
    }
    NullJournal journal;
    sandbox::State state(sandbox::StateOptions{.flaky_failures = 1, .now = [] { return 0; }},
                         journal);
    const sandbox::Reply r = state.Execute(
        sandbox::Mutation{.key = "fuzz",
                          .hash = sandbox::RequestHash("POST", "/v1/authorizations", body),
                          .authorization_id = "sbx_au_00000000000000000000",
                          .request = *parsed});
    if (op == sandbox::Operation::kAuthorize) {
      FUZZ_CHECK(r.delivery != sandbox::Reply::Delivery::kAnswer || r.status == 200 ||
                 r.status == 402 || r.status == 500 || r.status == 503);
    } else {
      FUZZ_CHECK(r.status == 404);
    }
    FUZZ_CHECK(r.delivery == sandbox::Reply::Delivery::kHoldThenDrop ||
               nlohmann::json::accept(r.body));
  }

  if (sandbox::ValidateIdempotencyKey(body)) {
    FUZZ_CHECK(!body.empty() && body.size() <= 255);
    for (char c : body) {
      FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '_' || c == ':' || c == '.' || c == '-');
    }
  }
  return 0;
}
