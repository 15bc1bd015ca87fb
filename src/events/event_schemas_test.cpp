// The repository's own schemas: they pass the check CI runs, and the events
// the service builds for every type validate against them.
#include <gtest/gtest.h>

#include "events/cloud_event.h"
#include "events/event_types.h"
#include "events/schema_registry.h"
#include "support/matchers.h"
#include "support/sample_events.h"

namespace payments::events {
namespace {

using payments::testing::IsOk;

using Strings = std::vector<std::string>;
using testing::SampleEvent;
using testing::SchemaViolations;

const std::string kDir = std::string(PAYMENTS_SOURCE_DIR) + "/schemas/events";
constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";
constexpr char kPayment[] = "pay_01jd8k3m6w9q4r2t7v5x0y1z3a";

TEST(EventSchemasTest, TheRepositorySchemasPassTheCheckCiRuns) {
  auto files = ReadSchemaDirectory(kDir);
  ASSERT_THAT(files, IsOk());
  auto lock = ReadSchemaLock(kDir);
  ASSERT_THAT(lock, IsOk());
  const SchemaCheck check = CheckSchemas(*files, *lock, kEventTypes, kCurrentSchemaVersion);
  EXPECT_TRUE(check.ok()) << ::testing::PrintToString(check.problems);
  EXPECT_EQ(check.types, static_cast<int>(kEventTypes.size()));
}

TEST(EventSchemasTest, EveryEventTypeTheServiceBuildsIsValid) {
  const auto now = std::chrono::system_clock::now();
  for (std::string_view type : kEventTypes) {
    const Event e = SampleEvent(type, kMerchant, kPayment, now);
    EXPECT_EQ(SchemaViolations(e.payload), Strings{}) << e.payload;
  }
  // payment.created carries whatever creation led to.
  for (PaymentStatus s : {PaymentStatus::kAuthorized, PaymentStatus::kFailed}) {
    const Event e = SampleEvent(kPaymentCreated, kMerchant, kPayment, now, s);
    EXPECT_EQ(SchemaViolations(e.payload), Strings{}) << e.payload;
  }
  const Event full =
      SampleEvent(kPaymentRefunded, kMerchant, kPayment, now, PaymentStatus::kRefunded);
  EXPECT_EQ(SchemaViolations(full.payload), Strings{}) << full.payload;
}

TEST(EventSchemasTest, SchemasCatchAnEventThatDriftedFromThem) {
  // A payment.captured event whose payment is still authorized, which carries
  // a field no schema describes, and whose amount became a string.
  const Event sample = SampleEvent(kPaymentCaptured, kMerchant, kPayment,
                                   std::chrono::system_clock::now(), PaymentStatus::kAuthorized);
  nlohmann::ordered_json data = nlohmann::ordered_json::parse(sample.payload)["data"];
  data["card"]["number"] = "4242424242424242";
  data["amount"] = "2500";
  const Event e = MakeEvent(kPaymentCaptured, kMerchant, kPayment, data);
  EXPECT_EQ(SchemaViolations(e.payload),
            (Strings{"/data/amount: expected integer, got string",
                     "/data/card: the property \"number\" is not allowed",
                     "/data/status: \"authorized\" is not one of [\"captured\"]"}));
  EXPECT_EQ(SchemaViolations(R"({"dataschema":"/schemas/events/payment.nope/v1.json"})"),
            Strings{"no schema /schemas/events/payment.nope/v1.json"});
}

}  // namespace
}  // namespace payments::events
