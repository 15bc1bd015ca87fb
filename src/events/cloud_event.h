// Events in the CloudEvents 1.0 JSON format, as the outbox stores them and the
// relay publishes them:
//   {"specversion":"1.0","id":"evt_…","source":"/payments","type":"payment.captured",
//    "subject":"pay_…","time":"2026-11-24T19:53:30.123Z",
//    "datacontenttype":"application/json",
//    "dataschema":"/schemas/events/payment.captured/v1.json","data":{…the payment…}}
// Pure; thread-safe.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace payments::events {

// The schema version each event type is written with today.
inline constexpr int kCurrentSchemaVersion = 1;

struct Event {
  std::string id;  // evt_…
  std::string merchant_id;
  std::string type;     // "payment.captured"
  std::string subject;  // the payment id
  std::string payload;  // the CloudEvent, serialized
  std::chrono::system_clock::time_point created;
};

// Builds the event for `data` (the object as the API returns it).
Event MakeEvent(std::string_view type, std::string_view merchant_id, std::string_view subject,
                const nlohmann::ordered_json& data,
                std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The same for data already serialized (data_json must be a JSON object), so
// that one dump of a payment serves its reply and all its events.
Event MakeEventFromJson(
    std::string_view type, std::string_view merchant_id, std::string_view subject,
    std::string_view data_json,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// "/schemas/events/<type>/v<version>.json"
std::string SchemaPath(std::string_view type, int version = kCurrentSchemaVersion);

// RFC 3339 UTC with milliseconds.
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace payments::events
