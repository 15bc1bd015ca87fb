// The one error type of the service. Expected failures (bad input, declines,
// state conflicts, an unreachable database) travel as values in
// std::expected<T, Error>; exceptions never cross a module boundary.
//
// An Error carries what the API returns: a kind that fixes the HTTP status and
// the Stripe-style error type, a stable machine code, a human message and the
// offending parameter. Immutable value type; thread-compatible.
//
//   std::expected<Money, Error> amount = ParseAmount(json);
//   if (!amount) return std::unexpected(amount.error());
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected_compat.h"  // <expected>, also under clang 14 (the fuzz build)

namespace payments {

enum class ErrorKind {
  kInvalidRequest,         // 400 invalid_request_error
  kNotFound,               // 404 invalid_request_error
  kMethodNotAllowed,       // 405 invalid_request_error
  kAuthentication,         // 401 authentication_error
  kForbidden,              // 403 authentication_error
  kCard,                   // 402 card_error (declines)
  kStateConflict,          // 409 invalid_request_error (illegal transition)
  kIdempotencyInProgress,  // 409 idempotency_error
  kIdempotencyMismatch,    // 422 idempotency_error
  kPayloadTooLarge,        // 413 invalid_request_error
  kUnsupportedMediaType,   // 415 invalid_request_error
  kUnavailable,            // 503 api_error, retry later (database down, draining)
  kInternal,               // 500 api_error
  kOutcomeUnknown,         // 500 api_error: money may have moved and is not recorded; do not retry
  kRateLimited,            // 429 rate_limit_error, with Retry-After
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;                 // stable, machine readable: "parameter_invalid_integer"
  std::string message;              // for humans; never contains a secret or a card number
  std::string param;                // the offending parameter in dotted form, or empty
  std::string detail;               // internal only (a library message); logged, never returned
  std::string sqlstate;             // the PostgreSQL SQLSTATE when the error came from the database
  int64_t retry_after_seconds = 0;  // kRateLimited: when a retry may succeed (Retry-After)

  static Error InvalidRequest(std::string code, std::string message, std::string param = {});
  static Error NotFound(std::string message, std::string param = {});
  static Error Unavailable(std::string message, std::string detail = {});
  static Error Internal(std::string message, std::string detail = {});
  static Error StateConflict(std::string code, std::string message);
  static Error Of(ErrorKind kind, std::string code, std::string message, std::string param = {});
  static Error RateLimited(std::string code, std::string message, int64_t retry_after_seconds);
};

// HTTP status for an error kind.
int HttpStatus(ErrorKind kind);
// The Stripe-style `type` of the error object for a kind.
std::string_view ErrorType(ErrorKind kind);

template <typename T>
using Result = std::expected<T, Error>;

// For operations that return nothing on success.
using Status = std::expected<void, Error>;

}  // namespace payments
