#include "events/cloud_event.h"

#include <gtest/gtest.h>

namespace payments::events {
namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795000000123));

// The envelope as a JSON value, the way the payload was first built: the
// written-out payload must be byte for byte its dump.
std::string EnvelopeDump(const Event& e, const nlohmann::ordered_json& data) {
  return nlohmann::ordered_json{{"specversion", "1.0"},
                                {"id", e.id},
                                {"source", "/payments"},
                                {"type", e.type},
                                {"subject", e.subject},
                                {"time", FormatTime(e.created)},
                                {"datacontenttype", "application/json"},
                                {"dataschema", SchemaPath(e.type)},
                                {"data", data}}
      .dump();
}

TEST(CloudEventTest, ThePayloadIsTheEnvelopesJsonWithTheDataAsGiven) {
  const nlohmann::ordered_json data = {
      {"id", "pay_1"}, {"description", "a \"quoted\" \\ line\nand ünïcode"}, {"amount", 1099}};
  const Event e = MakeEventFromJson("payment.captured", "mer_1", "pay_\"odd\"", data.dump(), kNow);
  EXPECT_EQ(e.payload, EnvelopeDump(e, data));
  EXPECT_EQ(nlohmann::json::parse(e.payload)["subject"], "pay_\"odd\"");
  EXPECT_EQ(nlohmann::json::parse(e.payload)["time"], "2026-11-18T11:06:40.123Z");

  const Event from_value = MakeEvent("payment.captured", "mer_1", "pay_1", data, kNow);
  EXPECT_EQ(from_value.payload, EnvelopeDump(from_value, data));
  EXPECT_NE(from_value.id, e.id);
}

}  // namespace
}  // namespace payments::events
