#include "api/payment_handlers.h"

#include <fmt/format.h>

#include "api/json_fields.h"
#include "api/public_api.h"
#include "api/requests.h"
#include "api/responses.h"
#include "core/redact.h"
#include "http/json_body.h"
#include "payments/payment_json.h"

namespace payments::api {
namespace {

using service::PaymentService;

payments::Result<std::optional<service::IdempotencyInput>> Idempotency(
    const http::Request& req, const nlohmann::json& body, const PaymentService& payments) {
  if (!req.HasHeader("idempotency-key")) return std::optional<service::IdempotencyInput>();
  const std::string_view key = req.Header("idempotency-key");
  if (auto s = ValidateIdempotencyKey(key); !s) return std::unexpected(s.error());
  // nlohmann::json keeps object keys sorted, so dump() is a canonical form.
  // It cannot throw: the body came through ParseJsonObject, whose parser
  // refuses text that is not UTF-8.
  const std::string canonical = body.dump();
  // The path is stored with the key's record for a day: a card number in it
  // (an id that is one) is masked there; the hashes cover the path as sent.
  return std::optional<service::IdempotencyInput>(
      service::IdempotencyInput{std::string(key), req.method, RedactForClient(req.path),
                                payments.RequestHash(req.method, req.path, canonical),
                                payments.PreviousRequestHash(req.method, req.path, canonical)});
}

http::Response Answer(const payments::Result<service::Reply>& reply) {
  return reply ? FromReply(*reply) : FromError(reply.error());
}

// The {id} of the path; a malformed id is simply not found.
std::string PaymentId(const http::Request& req) { return std::string(req.PathParam("id")); }

http::Response CreatePayment(PaymentService& payments, http::Request& req,
                             const Merchant& merchant) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  auto idem = Idempotency(req, *body, payments);
  if (!idem) return FromError(idem.error());
  auto input = ParseCreatePayment(*body);
  if (!input) return FromError(input.error());
  return Answer(payments.CreatePayment(merchant.id(), *input, *idem));
}

http::Response CapturePayment(PaymentService& payments, http::Request& req,
                              const Merchant& merchant) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  auto idem = Idempotency(req, *body, payments);
  if (!idem) return FromError(idem.error());
  auto amount = ParseCapture(*body);
  if (!amount) return FromError(amount.error());
  return Answer(payments.CapturePayment(merchant.id(), PaymentId(req), *amount, *idem));
}

http::Response CancelPayment(PaymentService& payments, http::Request& req,
                             const Merchant& merchant) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  auto idem = Idempotency(req, *body, payments);
  if (!idem) return FromError(idem.error());
  if (auto s = ParseCancel(*body); !s) return FromError(s.error());
  return Answer(payments.CancelPayment(merchant.id(), PaymentId(req), *idem));
}

http::Response RefundPayment(PaymentService& payments, http::Request& req,
                             const Merchant& merchant) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  auto idem = Idempotency(req, *body, payments);
  if (!idem) return FromError(idem.error());
  auto input = ParseRefund(*body);
  if (!input) return FromError(input.error());
  return Answer(payments.RefundPayment(merchant.id(), PaymentId(req), *input, *idem));
}

http::Response GetPayment(PaymentService& payments, http::Request& req, const Merchant& merchant) {
  auto p = payments.GetPayment(merchant.id(), PaymentId(req));
  if (!p) return FromError(p.error());
  return Json(200, PaymentToJson(*p));
}

http::Response ListPayments(PaymentService& payments, http::Request& req,
                            const Merchant& merchant) {
  auto params = ParsePaymentListParams(req.query);
  if (!params) return FromError(params.error());
  auto page = payments.ListPayments(merchant.id(), params->filter, params->page.limit,
                                    params->page.starting_after);
  if (!page) return FromError(page.error());
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const Payment& p : page->payments) data.push_back(PaymentToJson(p));
  return Json(200, ListObject("/v1/payments", std::move(data), page->has_more));
}

http::Response GetRefund(PaymentService& payments, http::Request& req, const Merchant& merchant) {
  auto refund = payments.GetRefund(merchant.id(), std::string(req.PathParam("id")));
  if (!refund) return FromError(refund.error());
  return Json(200, RefundToJson(*refund));
}

http::Response ListRefunds(PaymentService& payments, http::Request& req, const Merchant& merchant) {
  auto params = ParseRefundListParams(req.query);
  if (!params) return FromError(params.error());
  auto page = payments.ListRefunds(merchant.id(), params->payment, params->page.limit,
                                   params->page.starting_after);
  if (!page) return FromError(page.error());
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const Refund& r : page->refunds) data.push_back(RefundToJson(r));
  return Json(200, ListObject("/v1/refunds", std::move(data), page->has_more));
}

http::Response GetBalance(PaymentService& payments, http::Request& req, const Merchant& merchant) {
  if (!req.query.empty()) {
    return FromError(
        Error::InvalidRequest("parameter_unknown", "GET /v1/balance takes no parameters."));
  }
  auto balance = payments.Balance(merchant.id());
  if (!balance) return FromError(balance.error());
  return Json(200, BalanceToJson(*balance));
}

}  // namespace

void RegisterPaymentRoutes(PublicApi& api, PaymentService& payments) {
  using Fn = http::Response (*)(PaymentService&, http::Request&, const Merchant&);
  auto bind = [&payments](Fn fn) {
    return [&payments, fn](http::Request& req, const Merchant& merchant) {
      return fn(payments, req, merchant);
    };
  };
  api.AddForMerchant("POST", "/v1/payments", bind(CreatePayment));
  api.AddForMerchant("GET", "/v1/payments", bind(ListPayments));
  api.AddForMerchant("GET", "/v1/payments/{id}", bind(GetPayment));
  api.AddForMerchant("POST", "/v1/payments/{id}/capture", bind(CapturePayment));
  api.AddForMerchant("POST", "/v1/payments/{id}/cancel", bind(CancelPayment));
  api.AddForMerchant("POST", "/v1/payments/{id}/refunds", bind(RefundPayment));
  api.AddForMerchant("GET", "/v1/refunds", bind(ListRefunds));
  api.AddForMerchant("GET", "/v1/refunds/{id}", bind(GetRefund));
  api.AddForMerchant("GET", "/v1/balance", bind(GetBalance));
}

}  // namespace payments::api
