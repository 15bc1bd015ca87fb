// About 700 lines, one file on purpose: request parsing, the state rules and
// the journal's line format are three views of the same records (a parsed
// card becomes an authorization's fault profile, which becomes a journal
// line and is read back by Replay); split, their JSON helpers and the
// internal forms would need a header with no other user. In file order:
// parsing and validation, the wire and journal forms, then State.
#include "sandbox/sandbox_state.h"

#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <utility>

#include "core/crypto.h"
#include "core/error_body.h"
#include "core/text.h"
#include "http/json_body.h"
#include "payments/card.h"

namespace payments::sandbox {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr size_t kIdRandomLength = 20;
constexpr size_t kMaxTextLength = 64;

std::string ToLine(const ojson& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Error Invalid(std::string param, std::string message) {
  return Error::InvalidRequest("parameter_invalid", std::move(message), std::move(param));
}

Error Missing(std::string param) {
  std::string message = fmt::format("Missing required parameter: {}.", param);
  return Error::InvalidRequest("parameter_missing", std::move(message), std::move(param));
}

bool IsPlainName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTextLength) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

// Refuses a field outside `known`, naming it only when the name is plain.
payments::Status OnlyKnown(const json& object, std::initializer_list<std::string_view> known,
                           std::string_view prefix) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || it.key() == k;
    if (found) continue;
    if (IsPlainName(it.key())) {
      const std::string param = prefix.empty() ? it.key() : fmt::format("{}.{}", prefix, it.key());
      return std::unexpected(Invalid(param, fmt::format("Received unknown parameter: {}.", param)));
    }
    return std::unexpected(Invalid(std::string(prefix), "Received an unknown parameter."));
  }
  return {};
}

std::optional<int64_t> AsInt(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

payments::Result<int64_t> IntIn(const json& object, const char* name, const std::string& param,
                                int64_t min, int64_t max) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::unexpected(Missing(param));
  const auto v = AsInt(*it);
  if (!v || *v < min || *v > max) {
    return std::unexpected(
        Invalid(param, fmt::format("{} must be an integer from {} to {}.", param, min, max)));
  }
  return *v;
}

payments::Result<std::string> TextIn(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::unexpected(Missing(name));
  if (!it->is_string()) {
    return std::unexpected(Invalid(name, fmt::format("{} must be a string.", name)));
  }
  const auto& s = it->get_ref<const std::string&>();
  if (CheckText(s, /*allow_control=*/false) || s.empty() || Utf8Length(s) > kMaxTextLength) {
    return std::unexpected(Invalid(
        name, fmt::format("{} must be 1 to {} characters of text without control characters.", name,
                          kMaxTextLength)));
  }
  return s;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

payments::Result<AuthorizeParams> ParseAuthorize(const json& body) {
  if (auto known =
          OnlyKnown(body, {"amount", "currency", "capture", "merchant", "reference", "card"}, "");
      !known) {
    return std::unexpected(known.error());
  }
  AuthorizeParams p;
  auto amount = IntIn(body, "amount", "amount", 1, kMaxAmount);
  if (!amount) return std::unexpected(amount.error());
  p.amount = *amount;

  const auto currency = body.find("currency");
  if (currency == body.end() || currency->is_null()) return std::unexpected(Missing("currency"));
  const bool currency_ok =
      currency->is_string() && currency->get_ref<const std::string&>().size() == 3 && [&] {
        for (char c : currency->get_ref<const std::string&>()) {
          if (c < 'a' || c > 'z') return false;
        }
        return true;
      }();
  if (!currency_ok) {
    return std::unexpected(
        Invalid("currency", "currency must be a three-letter ISO code in lower case."));
  }
  p.currency = currency->get<std::string>();

  if (const auto capture = body.find("capture"); capture != body.end() && !capture->is_null()) {
    if (!capture->is_boolean()) {
      return std::unexpected(Invalid("capture", "capture must be a boolean."));
    }
    p.capture = capture->get<bool>();
  }
  auto merchant = TextIn(body, "merchant");
  if (!merchant) return std::unexpected(merchant.error());
  p.merchant = std::move(*merchant);
  auto reference = TextIn(body, "reference");
  if (!reference) return std::unexpected(reference.error());
  p.reference = std::move(*reference);

  const auto card = body.find("card");
  if (card == body.end() || card->is_null()) return std::unexpected(Missing("card"));
  if (!card->is_object()) return std::unexpected(Invalid("card", "card must be an object."));
  if (auto known = OnlyKnown(*card, {"number", "exp_month", "exp_year", "cvc"}, "card"); !known) {
    return std::unexpected(known.error());
  }
  const auto number = card->find("number");
  if (number == card->end() || number->is_null()) return std::unexpected(Missing("card.number"));
  if (!number->is_string()) {
    return std::unexpected(Invalid("card.number", "card.number must be a string of digits."));
  }
  const auto& digits = number->get_ref<const std::string&>();
  if (!AllDigits(digits) || digits.size() < 12 || digits.size() > 19) {
    return std::unexpected(
        Invalid("card.number", "card.number must be a string of 12 to 19 digits."));
  }
  if (!LuhnValid(digits)) {
    return std::unexpected(Invalid("card.number", "card.number fails the Luhn check."));
  }
  auto exp_month = IntIn(*card, "exp_month", "card.exp_month", 1, 12);
  if (!exp_month) return std::unexpected(exp_month.error());
  auto exp_year = IntIn(*card, "exp_year", "card.exp_year", 2000, 9999);
  if (!exp_year) return std::unexpected(exp_year.error());
  if (const auto cvc = card->find("cvc"); cvc != card->end() && !cvc->is_null()) {
    if (!cvc->is_string() || !AllDigits(cvc->get_ref<const std::string&>()) ||
        cvc->get_ref<const std::string&>().size() < 3 ||
        cvc->get_ref<const std::string&>().size() > 4) {
      return std::unexpected(Invalid("card.cvc", "card.cvc must be a string of 3 or 4 digits."));
    }
  }
  const auto brand = BrandOf(digits);
  p.brand = brand ? std::string(ToString(*brand)) : "unknown";
  p.last4 = digits.substr(digits.size() - 4);
  p.profile = ProfileOf(digits);
  return p;
}

ojson CardProfileJson(const CardProfile& c) {
  return {{"decline_code", c.decline_code},
          {"slow", c.slow},
          {"flaky", c.flaky},
          {"reversal_fails", c.reversal_fails},
          {"authorize_hangs", c.authorize_hangs},
          {"fault_operation", c.fault_operation},
          {"fault", static_cast<int>(c.fault)}};
}

ojson PublicJson(const State::Authorization& a) {
  return {{"id", a.id},
          {"object", "authorization"},
          {"status", a.status},
          {"amount", a.amount},
          {"amount_captured", a.amount_captured},
          {"amount_refunded", a.amount_refunded},
          {"currency", a.currency},
          {"merchant", a.merchant},
          {"reference", a.reference},
          {"card", {{"brand", a.brand}, {"last4", a.last4}}},
          {"created", a.created}};
}

ojson InternalJson(const State::Authorization& a) {
  ojson j = PublicJson(a);
  j["profile"] = CardProfileJson(a.profile);
  return j;
}

ojson PublicJson(const State::Refund& r) {
  return {{"id", r.id},
          {"object", "refund"},
          {"authorization", r.authorization},
          {"amount", r.amount},
          {"currency", r.currency},
          {"merchant", r.merchant},
          {"status", "succeeded"},
          {"created", r.created}};
}

// Journal lines are the sandbox's own output; a line that does not read back
// is corruption, reported (json exceptions are caught by the caller).
State::Authorization AuthorizationFrom(const json& j) {
  State::Authorization a;
  a.id = j.at("id").get<std::string>();
  a.status = j.at("status").get<std::string>();
  a.amount = j.at("amount").get<int64_t>();
  a.amount_captured = j.at("amount_captured").get<int64_t>();
  a.amount_refunded = j.at("amount_refunded").get<int64_t>();
  a.currency = j.at("currency").get<std::string>();
  a.merchant = j.at("merchant").get<std::string>();
  a.reference = j.at("reference").get<std::string>();
  a.brand = j.at("card").at("brand").get<std::string>();
  a.last4 = j.at("card").at("last4").get<std::string>();
  a.created = j.at("created").get<int64_t>();
  const json& p = j.at("profile");
  a.profile.decline_code = p.at("decline_code").get<std::string>();
  a.profile.slow = p.at("slow").get<bool>();
  a.profile.flaky = p.at("flaky").get<bool>();
  a.profile.reversal_fails = p.at("reversal_fails").get<bool>();
  a.profile.authorize_hangs = p.at("authorize_hangs").get<bool>();
  a.profile.fault_operation = p.at("fault_operation").get<int>();
  const int fault = p.at("fault").get<int>();
  if (fault < 0 || fault > 3) throw std::invalid_argument("fault");
  a.profile.fault = static_cast<Fault>(fault);
  if (a.status != "authorized" && a.status != "captured" && a.status != "canceled") {
    throw std::invalid_argument("status");
  }
  return a;
}

State::Refund RefundFrom(const json& j) {
  State::Refund r;
  r.id = j.at("id").get<std::string>();
  r.authorization = j.at("authorization").get<std::string>();
  r.amount = j.at("amount").get<int64_t>();
  r.currency = j.at("currency").get<std::string>();
  r.merchant = j.at("merchant").get<std::string>();
  r.created = j.at("created").get<int64_t>();
  return r;
}

bool WellFormedId(std::string_view id, std::string_view prefix) {
  if (!id.starts_with(prefix) || id.size() != prefix.size() + kIdRandomLength) return false;
  for (char c : id.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

Reply Answer(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Reply HoldThenDrop() {
  Reply r;
  r.status = 0;
  r.delivery = Reply::Delivery::kHoldThenDrop;
  return r;
}

Reply ServerError() {
  return ErrorReply(500, "api_error", "internal_error",
                    "The simulated processor failed; nothing was recorded.");
}

Reply InvalidState(std::string message) {
  return ErrorReply(409, "invalid_request_error", "invalid_state", message);
}

Reply AmountTooLarge(std::string message) {
  return ErrorReply(400, "invalid_request_error", "amount_too_large", message, "amount");
}

}  // namespace

std::string_view ToString(Operation op) {
  switch (op) {
    case Operation::kAuthorize:
      return "authorize";
    case Operation::kCapture:
      return "capture";
    case Operation::kCancel:
      return "cancel";
    case Operation::kRefund:
      return "refund";
  }
  return "unknown";
}

CardProfile ProfileOf(std::string_view n) {
  CardProfile p;
  if (n == "4000000000000002") p.decline_code = "card_declined";
  if (n == "4000000000009995") p.decline_code = "insufficient_funds";
  if (n == "4000000000000069") p.decline_code = "expired_card";
  if (n == "4000000000000127") p.decline_code = "incorrect_cvc";
  if (n == "4000000000000119") p.decline_code = "processing_error";
  p.slow = n == "4000000000000341";
  p.reversal_fails = n == "4000000000005126";
  p.authorize_hangs = n == "4000000000000259";
  p.flaky = n.size() == 16 && n.starts_with("400000000000799");
  // 400000000007 <operation 1-4> <fault 1-3> 0 <check digit>
  if (n.size() == 16 && n.starts_with("400000000007") && n[12] >= '1' && n[12] <= '4' &&
      n[13] >= '1' && n[13] <= '3' && n[14] == '0') {
    p.fault_operation = n[12] - '0';
    p.fault = static_cast<Fault>(n[13] - '0');
  }
  return p;
}

payments::Result<ParsedRequest> ParseRequest(Operation op, std::string_view body) {
  auto parsed = http::ParseJsonObject(body);
  if (!parsed) return std::unexpected(parsed.error());
  ParsedRequest out;
  out.op = op;
  try {
    switch (op) {
      case Operation::kAuthorize: {
        auto p = ParseAuthorize(*parsed);
        if (!p) return std::unexpected(p.error());
        out.authorize = std::move(*p);
        break;
      }
      case Operation::kCapture:
      case Operation::kRefund: {
        if (auto known = OnlyKnown(*parsed, {"amount"}, ""); !known) {
          return std::unexpected(known.error());
        }
        if (const auto it = parsed->find("amount"); it != parsed->end() && !it->is_null()) {
          auto amount = IntIn(*parsed, "amount", "amount", 1, kMaxAmount);
          if (!amount) return std::unexpected(amount.error());
          out.amount = *amount;
        }
        break;
      }
      case Operation::kCancel:
        if (auto known = OnlyKnown(*parsed, {}, ""); !known) return std::unexpected(known.error());
        break;
    }
  } catch (const json::exception&) {
    return std::unexpected(Error::InvalidRequest("invalid_json", "The request body is malformed."));
  }
  return out;
}

payments::Status ValidateIdempotencyKey(std::string_view key) {
  bool ok = !key.empty() && key.size() <= kMaxIdempotencyKeyLength && key != "." && key != "..";
  for (char c : key) {
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == '_' || c == ':' || c == '.' || c == '-');
  }
  if (!ok) {
    return std::unexpected(Error::InvalidRequest(
        "idempotency_key_invalid",
        "The Idempotency-Key header must be 1 to 255 characters of A-Z, a-z, 0-9, '_', ':', "
        "'.' and '-'.",
        "Idempotency-Key"));
  }
  return {};
}

std::string RequestHash(std::string_view method, std::string_view path, std::string_view body) {
  std::string data;
  data.reserve(method.size() + path.size() + body.size() + 2);
  data.append(method).append("\n").append(path).append("\n").append(body);
  return Sha256Hex(data);
}

Reply ErrorReply(int status, std::string_view type, std::string_view code, std::string_view message,
                 std::string_view param) {
  return Answer(status, ErrorBody(type, code, message, param));
}

Reply ErrorReply(const Error& e) {
  return ErrorReply(HttpStatus(e.kind), ErrorType(e.kind), e.code, e.message, e.param);
}

State::State(StateOptions options, JournalSink& journal)
    : options_(std::move(options)), journal_(journal) {}

int64_t State::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

payments::Status State::Replay(std::string_view line) {
  auto corrupt = [](std::string why) {
    return std::unexpected(Error::Internal("a journal line does not read back", std::move(why)));
  };
  try {
    const json j = json::parse(line);
    const std::string type = j.at("type").get<std::string>();
    const std::string key = j.at("key").get<std::string>();
    if (!ValidateIdempotencyKey(key)) return corrupt("an invalid key");
    std::lock_guard lock(mu_);
    if (type == "close") {
      keys_[key] = ClosedKey();
      return {};
    }
    if (type != "result") return corrupt("an unknown type");
    KeyRecord record{.kind = KeyRecord::Kind::kDone,
                     .hash = j.at("hash").get<std::string>(),
                     .status = j.at("status").get<int>(),
                     .body = j.at("body").get<std::string>()};
    if (!json::accept(record.body)) return corrupt("a body that is not JSON");
    std::optional<Authorization> a;
    std::optional<Refund> r;
    if (const auto it = j.find("authorization"); it != j.end()) a = AuthorizationFrom(*it);
    if (const auto it = j.find("refund"); it != j.end()) r = RefundFrom(*it);
    Apply(key, std::move(record), a ? &*a : nullptr, r ? &*r : nullptr);
    return {};
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
}

Reply State::Execute(const Mutation& m) {
  std::lock_guard lock(mu_);
  if (const auto it = keys_.find(m.key); it != keys_.end()) {
    const KeyRecord& r = it->second;
    switch (r.kind) {
      case KeyRecord::Kind::kClosed:
        return ErrorReply(409, "idempotency_error", "idempotency_key_closed",
                          "A lookup closed this Idempotency-Key before any request with it was "
                          "recorded; nothing was done. Use a new key.");
      case KeyRecord::Kind::kInFlight:
        return ErrorReply(409, "idempotency_error", "idempotency_key_in_use",
                          "A request with this Idempotency-Key is still being processed.");
      case KeyRecord::Kind::kDone: {
        if (r.hash != m.hash) {
          return ErrorReply(422, "idempotency_error", "idempotency_key_reused",
                            "This Idempotency-Key was used with a different request.");
        }
        Reply replay = Answer(r.status, r.body);
        replay.replayed = true;
        return replay;
      }
    }
  }
  return m.request.op == Operation::kAuthorize ? Authorize(m) : FollowUp(m);
}

Reply State::Authorize(const Mutation& m) {
  const AuthorizeParams& p = m.request.authorize;
  const CardProfile& card = p.profile;
  const bool faulted = card.fault_operation == static_cast<int>(Operation::kAuthorize);
  if (card.authorize_hangs || (faulted && card.fault == Fault::kNoAnswer)) return HoldThenDrop();
  if (faulted && card.fault == Fault::kServerError) return ServerError();
  if (card.flaky) {
    int& attempts = attempts_[m.key];
    if (attempts < options_.flaky_failures) {
      ++attempts;
      return ErrorReply(503, "api_error", "temporarily_unavailable",
                        "The simulated processor is temporarily unavailable; retry with the same "
                        "Idempotency-Key.");
    }
  }
  if (!card.decline_code.empty()) {
    const std::string message = card.decline_code == "processing_error"
                                    ? "An error occurred while processing the card."
                                    : "The card was declined.";
    return Commit(m, 402, ErrorBody("card_error", card.decline_code, message), nullptr, nullptr,
                  false);
  }
  Authorization a;
  a.id = "sbx_au_" + RandomBase62(kIdRandomLength);
  a.status = p.capture ? "captured" : "authorized";
  a.amount = p.amount;
  a.amount_captured = p.capture ? p.amount : 0;
  a.currency = p.currency;
  a.merchant = p.merchant;
  a.reference = p.reference;
  a.brand = p.brand;
  a.last4 = p.last4;
  a.created = Now();
  a.profile = card;
  Reply reply = Commit(m, 200, ToLine(PublicJson(a)), &a, nullptr,
                       faulted && card.fault == Fault::kLostAfterCommit);
  if (reply.status == 200) attempts_.erase(m.key);
  return reply;
}

Reply State::FollowUp(const Mutation& m) {
  const auto it = authorizations_.find(m.authorization_id);
  if (it == authorizations_.end()) {
    return ErrorReply(404, "invalid_request_error", "resource_missing", "No such authorization.",
                      "id");
  }
  Authorization a = it->second;
  const Operation op = m.request.op;
  int64_t amount = 0;
  switch (op) {
    case Operation::kCapture:
      if (a.status != "authorized") {
        return InvalidState(fmt::format(
            "Only an authorized authorization can be captured; this one is {}.", a.status));
      }
      amount = m.request.amount.value_or(a.amount);
      if (amount > a.amount) {
        return AmountTooLarge("The capture amount is larger than the authorized amount.");
      }
      break;
    case Operation::kCancel:
      if (a.status == "canceled") return InvalidState("The authorization is canceled already.");
      if (a.status == "captured" && a.amount_refunded > 0) {
        return InvalidState("A captured authorization that has refunds cannot be canceled.");
      }
      break;
    case Operation::kRefund: {
      if (a.status != "captured") {
        return InvalidState(fmt::format(
            "Only a captured authorization can be refunded; this one is {}.", a.status));
      }
      const int64_t remaining = a.amount_captured - a.amount_refunded;
      if (remaining <= 0) return InvalidState("The authorization is fully refunded.");
      amount = m.request.amount.value_or(remaining);
      if (amount > remaining) {
        return AmountTooLarge("The refund amount is larger than what is left to refund.");
      }
      break;
    }
    case Operation::kAuthorize:
      return ServerError();  // not a follow-up
  }

  const bool faulted = a.profile.fault_operation == static_cast<int>(op);
  if (faulted && a.profile.fault == Fault::kNoAnswer) return HoldThenDrop();
  if (faulted && a.profile.fault == Fault::kServerError) return ServerError();
  if ((op == Operation::kCancel || op == Operation::kRefund) && a.profile.reversal_fails) {
    return Commit(m, 402,
                  ErrorBody("card_error", "processing_error",
                            "The simulated processor could not reverse the authorization."),
                  nullptr, nullptr, false);
  }
  const bool lost = faulted && a.profile.fault == Fault::kLostAfterCommit;
  switch (op) {
    case Operation::kCapture:
      a.status = "captured";
      a.amount_captured = amount;
      return Commit(m, 200, ToLine(PublicJson(a)), &a, nullptr, lost);
    case Operation::kCancel:
      a.status = "canceled";
      a.amount_captured = 0;
      return Commit(m, 200, ToLine(PublicJson(a)), &a, nullptr, lost);
    case Operation::kRefund: {
      Refund r;
      r.id = "sbx_re_" + RandomBase62(kIdRandomLength);
      r.authorization = a.id;
      r.amount = amount;
      r.currency = a.currency;
      r.merchant = a.merchant;
      r.created = Now();
      a.amount_refunded += amount;
      return Commit(m, 200, ToLine(PublicJson(r)), &a, &r, lost);
    }
    case Operation::kAuthorize:
      break;
  }
  return ServerError();
}

Reply State::Commit(const Mutation& m, int status, std::string body,
                    const Authorization* authorization, const Refund* refund, bool drop) {
  ojson line = {
      {"type", "result"}, {"key", m.key}, {"hash", m.hash}, {"status", status}, {"body", body}};
  if (authorization != nullptr) line["authorization"] = InternalJson(*authorization);
  if (refund != nullptr) line["refund"] = PublicJson(*refund);
  auto ticket = journal_.Append(ToLine(line));
  if (!ticket) {
    return ErrorReply(500, "api_error", "internal_error",
                      "The sandbox could not write its journal; nothing was recorded.");
  }
  Apply(
      m.key,
      KeyRecord{.kind = KeyRecord::Kind::kInFlight, .hash = m.hash, .status = status, .body = body},
      authorization, refund);
  Reply reply = Answer(status, std::move(body));
  reply.durable_ticket = *ticket;
  reply.settle_key = m.key;
  if (drop) reply.delivery = Reply::Delivery::kDrop;
  return reply;
}

void State::Apply(const std::string& key, KeyRecord record, const Authorization* authorization,
                  const Refund* refund) {
  keys_[key] = std::move(record);
  if (authorization != nullptr) authorizations_[authorization->id] = *authorization;
  if (refund != nullptr) refunds_[refund->id] = *refund;
}

void State::Settle(std::string_view key) {
  std::lock_guard lock(mu_);
  if (const auto it = keys_.find(key);
      it != keys_.end() && it->second.kind == KeyRecord::Kind::kInFlight) {
    it->second.kind = KeyRecord::Kind::kDone;
  }
}

Reply State::Lookup(std::string_view key) {
  std::lock_guard lock(mu_);
  if (const auto it = keys_.find(key); it != keys_.end()) {
    const KeyRecord& r = it->second;
    switch (r.kind) {
      case KeyRecord::Kind::kDone: {
        ojson body = {{"key", key}, {"status", r.status}, {"body", ojson::parse(r.body)}};
        return Answer(200, ToLine(body));
      }
      case KeyRecord::Kind::kInFlight:
        return ErrorReply(409, "idempotency_error", "idempotency_key_in_use",
                          "A request with this Idempotency-Key is still being processed.");
      case KeyRecord::Kind::kClosed:
        break;
    }
    return ErrorReply(404, "invalid_request_error", "resource_missing",
                      "No request with this Idempotency-Key was recorded; the key is closed.",
                      "key");
  }
  auto ticket = journal_.Append(ToLine({{"type", "close"}, {"key", key}}));
  if (!ticket) {
    return ErrorReply(500, "api_error", "internal_error",
                      "The sandbox could not write its journal; the key is not closed.");
  }
  keys_[std::string(key)] = ClosedKey();
  Reply reply =
      ErrorReply(404, "invalid_request_error", "resource_missing",
                 "No request with this Idempotency-Key was recorded; the key is closed.", "key");
  reply.durable_ticket = *ticket;
  return reply;
}

Reply State::GetAuthorization(std::string_view id) const {
  std::lock_guard lock(mu_);
  const auto it = WellFormedId(id, "sbx_au_") ? authorizations_.find(id) : authorizations_.end();
  if (it == authorizations_.end()) {
    return ErrorReply(404, "invalid_request_error", "resource_missing", "No such authorization.",
                      "id");
  }
  return Answer(200, ToLine(PublicJson(it->second)));
}

Reply State::GetRefund(std::string_view id) const {
  std::lock_guard lock(mu_);
  const auto it = WellFormedId(id, "sbx_re_") ? refunds_.find(id) : refunds_.end();
  if (it == refunds_.end()) {
    return ErrorReply(404, "invalid_request_error", "resource_missing", "No such refund.", "id");
  }
  return Answer(200, ToLine(PublicJson(it->second)));
}

Reply State::Balances() const {
  std::lock_guard lock(mu_);
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> sums;
  for (const auto& [id, a] : authorizations_) {
    if (a.status != "canceled") sums[{a.merchant, a.currency}].first += a.amount_captured;
  }
  for (const auto& [id, r] : refunds_) sums[{r.merchant, r.currency}].second += r.amount;
  ojson data = ojson::array();
  for (const auto& [group, sum] : sums) {
    if (sum.first == 0 && sum.second == 0) continue;
    data.push_back({{"merchant", group.first},
                    {"currency", group.second},
                    {"captured", sum.first},
                    {"refunded", sum.second},
                    {"net", sum.first - sum.second}});
  }
  return Answer(200, ToLine({{"object", "balances"}, {"data", std::move(data)}}));
}

nlohmann::ordered_json State::Dump() const {
  std::lock_guard lock(mu_);
  ojson authorizations = ojson::array();
  for (const auto& [id, a] : authorizations_) authorizations.push_back(InternalJson(a));
  ojson refunds = ojson::array();
  for (const auto& [id, r] : refunds_) refunds.push_back(PublicJson(r));
  ojson keys = ojson::array();
  for (const auto& [key, r] : keys_) {
    const char* kind = r.kind == KeyRecord::Kind::kClosed     ? "closed"
                       : r.kind == KeyRecord::Kind::kInFlight ? "in_flight"
                                                              : "done";
    keys.push_back(
        {{"key", key}, {"kind", kind}, {"hash", r.hash}, {"status", r.status}, {"body", r.body}});
  }
  return {{"authorizations", std::move(authorizations)},
          {"refunds", std::move(refunds)},
          {"keys", std::move(keys)}};
}

}  // namespace payments::sandbox
