#include "service/reply.h"

#include "core/error_body.h"
#include "payments/payment_json.h"

namespace payments::service {

Reply ErrorReply(const Error& err) {
  return Reply{HttpStatus(err.kind),
               ErrorBody(ErrorType(err.kind), err.code, err.message, err.param), false};
}

Reply DeclineReply(const Payment& payment) {
  nlohmann::ordered_json error = {
      {"type", "card_error"},
      {"code", payment.failure_code.value_or("card_declined")},
      {"message", payment.failure_message.value_or("The payment failed.")},
      {"param", nullptr},
      {"payment", PaymentToJson(payment)},
  };
  return Reply{402, nlohmann::ordered_json({{"error", error}}).dump(), false};
}

}  // namespace payments::service
