#include "events/kafka_settings.h"

#include <gtest/gtest.h>

namespace payments::events {
namespace {

TEST(KafkaSettingsTest, MapsPaymentsKafkaVariablesToLibrdkafkaProperties) {
  const char* env[] = {"PATH=/usr/bin",
                       "PAYMENTS_KAFKA_SECURITY_PROTOCOL=SASL_SSL",
                       "PAYMENTS_KAFKA_SASL_PASSWORD=s3cr=t",
                       "PAYMENTS_KAFKA_BROKERS=k1:9092",
                       "PAYMENTS_KAFKA_TOPIC=payments.events",
                       "PAYMENTS_KAFKA_=x",
                       "PAYMENTS_DATABASE_URL=postgresql://",
                       nullptr};
  const std::vector<KafkaSetting> s = KafkaSettingsFromEnvironment(env);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].property, "sasl.password");
  EXPECT_EQ(s[0].value, "s3cr=t");
  EXPECT_EQ(s[0].origin, "PAYMENTS_KAFKA_SASL_PASSWORD");
  EXPECT_EQ(s[1].property, "security.protocol");
  EXPECT_EQ(s[1].value, "SASL_SSL");
}

TEST(KafkaSettingsTest, AnEmptyEnvironmentHasNoSettings) {
  const char* env[] = {nullptr};
  EXPECT_TRUE(KafkaSettingsFromEnvironment(env).empty());
  EXPECT_TRUE(KafkaSettingsFromEnvironment(nullptr).empty());
}

}  // namespace
}  // namespace payments::events
