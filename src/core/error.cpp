#include "core/error.h"

#include <utility>

namespace payments {

namespace {

Error Make(ErrorKind kind, std::string code, std::string message, std::string param,
           std::string detail) {
  Error e;
  e.kind = kind;
  e.code = std::move(code);
  e.message = std::move(message);
  e.param = std::move(param);
  e.detail = std::move(detail);
  return e;
}

}  // namespace

Error Error::InvalidRequest(std::string code, std::string message, std::string param) {
  return Make(ErrorKind::kInvalidRequest, std::move(code), std::move(message), std::move(param),
              {});
}

Error Error::NotFound(std::string message, std::string param) {
  return Make(ErrorKind::kNotFound, "resource_missing", std::move(message), std::move(param), {});
}

Error Error::Unavailable(std::string message, std::string detail) {
  return Make(ErrorKind::kUnavailable, "service_unavailable", std::move(message), {},
              std::move(detail));
}

Error Error::Internal(std::string message, std::string detail) {
  return Make(ErrorKind::kInternal, "internal_error", std::move(message), {}, std::move(detail));
}

Error Error::StateConflict(std::string code, std::string message) {
  return Make(ErrorKind::kStateConflict, std::move(code), std::move(message), {}, {});
}

Error Error::Of(ErrorKind kind, std::string code, std::string message, std::string param) {
  return Make(kind, std::move(code), std::move(message), std::move(param), {});
}

Error Error::RateLimited(std::string code, std::string message, int64_t retry_after_seconds) {
  Error e = Make(ErrorKind::kRateLimited, std::move(code), std::move(message), {}, {});
  e.retry_after_seconds = retry_after_seconds;
  return e;
}

int HttpStatus(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return 400;
    case ErrorKind::kAuthentication:
      return 401;
    case ErrorKind::kCard:
      return 402;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kMethodNotAllowed:
      return 405;
    case ErrorKind::kStateConflict:
    case ErrorKind::kIdempotencyInProgress:
      return 409;
    case ErrorKind::kPayloadTooLarge:
      return 413;
    case ErrorKind::kUnsupportedMediaType:
      return 415;
    case ErrorKind::kIdempotencyMismatch:
      return 422;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
    case ErrorKind::kOutcomeUnknown:
      return 500;
  }
  return 500;
}

std::string_view ErrorType(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kAuthentication:
    case ErrorKind::kForbidden:
      return "authentication_error";
    case ErrorKind::kCard:
      return "card_error";
    case ErrorKind::kIdempotencyInProgress:
    case ErrorKind::kIdempotencyMismatch:
      return "idempotency_error";
    case ErrorKind::kRateLimited:
      return "rate_limit_error";
    case ErrorKind::kUnavailable:
    case ErrorKind::kInternal:
    case ErrorKind::kOutcomeUnknown:
      return "api_error";
    default:
      return "invalid_request_error";
  }
}

}  // namespace payments
