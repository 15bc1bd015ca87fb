#include "processors/http_processor.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "fibers/fiber.h"
#include "http/client.h"
#include "telemetry/log.h"

namespace payments::processors {
namespace {

using Outcome = ProcessorResult::Outcome;
using json = nlohmann::json;

ProcessorResult Unknown(std::string message) {
  return {Outcome::kUnknown, "", "processor_unavailable", std::move(message)};
}

// Text from the processor that reaches merchants: printable ASCII, bounded.
std::string Printable(std::string_view text, size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// The decline codes merchants are told; anything else is a plain decline.
std::string DeclineCode(std::string_view code) {
  for (std::string_view known : {"card_declined", "insufficient_funds", "expired_card",
                                 "incorrect_cvc", "processing_error"}) {
    if (code == known) return std::string(known);
  }
  return "card_declined";
}

std::string StringField(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool ValidReference(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string KeyHeaderSafe(std::string_view key) {
  // Keys are the service's own ids ([A-Za-z0-9_:-]); anything else would be a bug.
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':')) {
      return "";
    }
  }
  return std::string(key);
}

}  // namespace

ProcessorResult InterpretAnswer(int status, std::string_view body) {
  const json parsed = json::parse(body, nullptr, false);
  if (status == 200) {
    const std::string id = StringField(parsed, "id");
    if (!ValidReference(id)) {
      // It happened, and what it made cannot be read: ask again later.
      return Unknown("The processor's answer could not be read.");
    }
    return {Outcome::kApproved, id, "", ""};
  }
  const json error = parsed.is_object() && parsed.contains("error") ? parsed["error"] : json();
  const std::string code = StringField(error, "code");
  const std::string message = Printable(StringField(error, "message"), 200);
  if (status == 402) {
    if (code == "processing_error") {
      return {Outcome::kFailed, "", "processing_error",
              message.empty() ? "The processor could not process the card." : message};
    }
    return {Outcome::kDeclined, "", DeclineCode(code),
            message.empty() ? "The card was declined." : message};
  }
  if (status == 409 && code == "idempotency_key_in_use") {
    return Unknown("The processor is still working on this call.");
  }
  if (status == 409 && code == "idempotency_key_closed") {
    return {Outcome::kFailed, "", "processor_no_record",
            "The processor never received this call, and will not act on it now."};
  }
  if (status >= 400 && status < 500) {
    return {Outcome::kFailed, "", "processor_refused",
            fmt::format("The processor refused the request ({} {}).", status,
                        code.empty() ? "no code" : Printable(code, 64))};
  }
  return Unknown(fmt::format("The processor answered {}.", status));
}

payments::Result<std::unique_ptr<HttpProcessor>> HttpProcessor::Create(
    HttpProcessorOptions options) {
  std::string host;
  int port = 0;
  if (!http::ParseHttpUrl(options.url, host, port)) {
    return std::unexpected(Error::InvalidRequest(
        "processor_url_invalid",
        fmt::format("processor URL '{}' is not http://host:port", options.url), "processor_url"));
  }
  auto client = http::FiberClient::Create(
      host, port, {.connect_timeout = options.connect_timeout, .read_timeout = options.timeout});
  if (!client) return std::unexpected(client.error());
  return std::unique_ptr<HttpProcessor>(new HttpProcessor(std::move(options), std::move(*client)));
}

ProcessorResult HttpProcessor::Post(std::string_view operation, const std::string& target,
                                    const std::string& body, const std::string& idempotency_key) {
  const std::string key = KeyHeaderSafe(idempotency_key);
  if (key.empty()) {
    return {Outcome::kFailed, "", "processing_error", "Invalid processor idempotency key."};
  }
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"}, {"Idempotency-Key", key}};
  bool sent = false;  // some attempt may have reached the processor
  std::string last;
  for (int attempt = 1; attempt <= std::max(1, options_.max_attempts); ++attempt) {
    if (attempt > 1) {
      fibers::SleepFor(options_.retry_backoff * (1 << std::min(attempt - 2, 6)));
    }
    const http::FiberExchange ex = client_->Send("POST", target, body, headers);
    if (ex.failure == http::TransportFailure::kNone) {
      const ProcessorResult result = InterpretAnswer(ex.response.status, ex.response.body);
      if (ex.response.status >= 500) {
        sent = true;
        last = fmt::format("answered {}", ex.response.status);
        continue;  // the same key: the processor does it at most once
      }
      return result;
    }
    last = fmt::format("{}: {}", http::ToString(ex.failure), ex.detail);
    if (ex.sent()) {
      sent = true;
      break;  // it may still be running there: Lookup decides later
    }
  }
  log::Warn("processor call without an answer", {{"operation", operation},
                                                 {"idempotency_key", key},
                                                 {"error", last},
                                                 {"outcome", sent ? "unknown" : "not_sent"}});
  if (!sent) {
    return {Outcome::kFailed, "", "processing_error",
            "The processor could not be reached; nothing was sent to it."};
  }
  return Unknown(
      "The processor did not answer; the outcome is not known yet and will be reconciled.");
}

ProcessorResult HttpProcessor::Authorize(const AuthorizeRequest& request) {
  json card = {{"number", request.card->number},
               {"exp_month", request.card->exp_month},
               {"exp_year", request.card->exp_year}};
  const json body = {{"amount", request.amount},        {"currency", request.currency},
                     {"capture", request.capture},      {"merchant", request.merchant_id},
                     {"reference", request.payment_id}, {"card", std::move(card)}};
  return Post("authorize", "/v1/authorizations", DumpJson(body), request.idempotency_key);
}

ProcessorResult HttpProcessor::Capture(const FollowUpRequest& request) {
  return Post("capture", fmt::format("/v1/authorizations/{}/capture", request.processor_reference),
              DumpJson(json{{"amount", request.amount}}), request.idempotency_key);
}

ProcessorResult HttpProcessor::Cancel(const FollowUpRequest& request) {
  return Post("cancel", fmt::format("/v1/authorizations/{}/cancel", request.processor_reference),
              "{}", request.idempotency_key);
}

ProcessorResult HttpProcessor::Refund(const FollowUpRequest& request) {
  return Post("refund", fmt::format("/v1/authorizations/{}/refunds", request.processor_reference),
              DumpJson(json{{"amount", request.amount}}), request.idempotency_key);
}

ProcessorResult HttpProcessor::Lookup(std::string_view idempotency_key) {
  const std::string key = KeyHeaderSafe(idempotency_key);
  if (key.empty()) return Unknown("Invalid processor idempotency key.");
  const http::FiberExchange ex =
      client_->Send("GET", fmt::format("/v1/idempotency-keys/{}", key), "", {});
  if (ex.failure != http::TransportFailure::kNone) {
    return Unknown(fmt::format("The processor could not be asked: {}", ex.detail));
  }
  if (ex.response.status == 404) {
    // Only the protocol's own answer about the key means "never received, and
    // closed": a 404 of an unknown path (a proxy, a wrong URL) means nothing.
    const json body = json::parse(ex.response.body, nullptr, false);
    const json error = body.is_object() && body.contains("error") ? body["error"] : json();
    if (StringField(error, "code") == "resource_missing" && StringField(error, "param") == "key") {
      return {Outcome::kFailed, "", "processor_no_record",
              "The processor never received this call, and will not act on it now."};
    }
    return Unknown("The processor's lookup answered 404 without naming the key.");
  }
  if (ex.response.status != 200) {
    // A lookup refused (401, 429, 5xx, …) or still running (409) says
    // nothing of what the call did.
    return Unknown(fmt::format("The processor's lookup answered {}.", ex.response.status));
  }
  const json found = json::parse(ex.response.body, nullptr, false);
  if (!found.is_object() || !found.contains("status") || !found["status"].is_number_integer() ||
      !found.contains("body")) {
    return Unknown("The processor's answer could not be read.");
  }
  return InterpretAnswer(found["status"].get<int>(), DumpJson(found["body"]));
}

payments::Result<ProcessorRecord> HttpProcessor::Retrieve(std::string_view reference) {
  if (!ValidReference(reference)) return ProcessorRecord{};
  const http::FiberExchange ex =
      client_->Send("GET", fmt::format("/v1/authorizations/{}", reference), "", {});
  if (ex.failure != http::TransportFailure::kNone) {
    return std::unexpected(
        Error::Unavailable("the processor could not be asked", std::string(ex.detail)));
  }
  if (ex.response.status == 404) return ProcessorRecord{};
  const json found = json::parse(ex.response.body, nullptr, false);
  if (ex.response.status != 200 || !found.is_object() || !found.contains("amount_captured") ||
      !found["amount_captured"].is_number_integer() || !found.contains("amount_refunded") ||
      !found["amount_refunded"].is_number_integer()) {
    return std::unexpected(Error::Unavailable("the processor's answer could not be read",
                                              fmt::format("status {}", ex.response.status)));
  }
  return ProcessorRecord{true, Printable(StringField(found, "status"), 32),
                         Printable(StringField(found, "currency"), 8),
                         found["amount_captured"].get<int64_t>(),
                         found["amount_refunded"].get<int64_t>()};
}

}  // namespace payments::processors
