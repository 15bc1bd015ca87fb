#include "payments/payment_json.h"

#include "core/json_text.h"

namespace payments {
namespace {

nlohmann::ordered_json MetadataJson(const Metadata& m) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

}  // namespace

nlohmann::ordered_json PaymentToJson(const Payment& p) {
  nlohmann::ordered_json out = {
      {"id", p.id},
      {"object", "payment"},
      {"amount", p.amount},
      {"currency", p.currency},
      {"status", ToString(p.status)},
      {"amount_captured", p.amount_captured},
      {"amount_refunded", p.amount_refunded},
      {"card",
       {{"brand", p.card.brand},
        {"last4", p.card.last4},
        {"exp_month", p.card.exp_month},
        {"exp_year", p.card.exp_year},
        {"fingerprint", p.card.fingerprint}}},
      {"processor", p.processor},
      {"failure_code", JsonOrNull<nlohmann::ordered_json>(p.failure_code)},
      {"failure_message", JsonOrNull<nlohmann::ordered_json>(p.failure_message)},
      {"description", JsonOrNull<nlohmann::ordered_json>(p.description)},
      {"metadata", MetadataJson(p.metadata)},
      {"created", p.created},
  };
  // Only while a call's answer is awaited, so never in an event (events are
  // written when answers are recorded).
  if (p.pending) {
    out["pending"] = {{"operation", ToString(p.pending->operation)}, {"amount", p.pending->amount}};
  }
  return out;
}

nlohmann::ordered_json RefundToJson(const Refund& r) {
  return {
      {"id", r.id},
      {"object", "refund"},
      {"amount", r.amount},
      {"currency", r.currency},
      {"payment", r.payment_id},
      {"status", ToString(r.status)},
      {"reason", JsonOrNull<nlohmann::ordered_json>(r.reason)},
      {"failure_code", JsonOrNull<nlohmann::ordered_json>(r.failure_code)},
      {"metadata", MetadataJson(r.metadata)},
      {"created", r.created},
  };
}

nlohmann::ordered_json BalanceToJson(const std::map<std::string, int64_t>& by_currency) {
  nlohmann::ordered_json available = nlohmann::ordered_json::array();
  for (const auto& [currency, amount] : by_currency) {
    available.push_back({{"currency", currency}, {"amount", amount}});
  }
  return {{"object", "balance"}, {"available", available}};
}

}  // namespace payments
