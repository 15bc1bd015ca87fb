#include "events/kafka_settings.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string_view>

namespace payments::events {
namespace {

constexpr std::string_view kPrefix = "PAYMENTS_KAFKA_";
// The relay's own options, read by the command line, not librdkafka's.
constexpr std::string_view kOwn[] = {"BROKERS", "TOPIC"};

}  // namespace

std::vector<KafkaSetting> KafkaSettingsFromEnvironment(const char* const* envp) {
  std::vector<KafkaSetting> out;
  for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos || !entry.starts_with(kPrefix)) continue;
    const std::string_view name = entry.substr(kPrefix.size(), eq - kPrefix.size());
    if (name.empty() || std::find(std::begin(kOwn), std::end(kOwn), name) != std::end(kOwn)) {
      continue;
    }
    KafkaSetting s;
    s.origin = std::string(entry.substr(0, eq));
    s.value = std::string(entry.substr(eq + 1));
    for (char c : name) {
      s.property += c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const KafkaSetting& a, const KafkaSetting& b) { return a.property < b.property; });
  return out;
}

std::vector<KafkaSetting> KafkaSettingsFromEnvironment() {
  return KafkaSettingsFromEnvironment(environ);
}

}  // namespace payments::events
