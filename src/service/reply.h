// What a mutating API call answers: an HTTP status and a JSON body. Replies
// are produced by the use cases, not the handlers, because the reply to a
// request with an Idempotency-Key is stored in the same transaction as the
// request's effects and replayed byte for byte. Value type.
#pragma once

#include <string>

#include "core/error.h"
#include "payments/payment.h"

namespace payments::service {

struct Reply {
  int status = 200;
  std::string body;
  bool replayed = false;  // served from the idempotency record
};

// The typed error object for err, with err's HTTP status.
Reply ErrorReply(const Error& err);
// A 402 card_error for a payment that failed (declined or processor error),
// with the stored failed payment under "payment".
Reply DeclineReply(const Payment& payment);

}  // namespace payments::service
