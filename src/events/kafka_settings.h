// librdkafka settings passed through the environment: every
// PAYMENTS_KAFKA_<NAME>=value becomes the librdkafka property <name>, lower
// case with "_" turned into "." (PAYMENTS_KAFKA_SECURITY_PROTOCOL=SASL_SSL ->
// security.protocol=SASL_SSL), except the relay's own options
// PAYMENTS_KAFKA_BROKERS and PAYMENTS_KAFKA_TOPIC. Values may be secrets
// (sasl.password): never log them; log `origin` or `property` only.
// Pure but for reading the environment; thread-safe as getenv is.
#pragma once

#include <string>
#include <vector>

namespace payments::events {

struct KafkaSetting {
  std::string property;  // "security.protocol"
  std::string value;
  std::string origin;  // "PAYMENTS_KAFKA_SECURITY_PROTOCOL", for error messages
};

// From an environment block (`environ`, or a test's own), sorted by property.
std::vector<KafkaSetting> KafkaSettingsFromEnvironment(const char* const* envp);
// From this process's environment.
std::vector<KafkaSetting> KafkaSettingsFromEnvironment();

}  // namespace payments::events
