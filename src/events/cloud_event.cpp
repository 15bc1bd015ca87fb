#include "events/cloud_event.h"

#include <fmt/format.h>

#include <ctime>

#include "core/ids.h"

namespace payments::events {

std::string FormatTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string SchemaPath(std::string_view type, int version) {
  return fmt::format("/schemas/events/{}/v{}.json", type, version);
}

Event MakeEvent(std::string_view type, std::string_view merchant_id, std::string_view subject,
                const nlohmann::ordered_json& data, std::chrono::system_clock::time_point now) {
  return MakeEventFromJson(type, merchant_id, subject, data.dump(), now);
}

Event MakeEventFromJson(std::string_view type, std::string_view merchant_id,
                        std::string_view subject, std::string_view data_json,
                        std::chrono::system_clock::time_point now) {
  Event e;
  e.id = NewId("evt", now);
  e.merchant_id = std::string(merchant_id);
  e.type = std::string(type);
  e.subject = std::string(subject);
  e.created = now;
  // Written out rather than built as a JSON value: building one copied the
  // whole data object into it (the serialisation of a create was half
  // copies). The same bytes as the envelope's dump; the strings are escaped
  // as JSON.
  auto quoted = [](std::string_view v) { return nlohmann::ordered_json(v).dump(); };
  e.payload = fmt::format(
      R"({{"specversion":"1.0","id":{},"source":"/payments","type":{},"subject":{},"time":{},)"
      R"("datacontenttype":"application/json","dataschema":{},"data":{}}})",
      quoted(e.id), quoted(type), quoted(subject), quoted(FormatTime(now)),
      quoted(SchemaPath(type)), data_json);
  return e;
}

}  // namespace payments::events
