#include "events/relay_metrics.h"

namespace payments::events {
namespace {

void One(telemetry::MetricsWriter& w, const char* name, const char* type, const char* help,
         double value) {
  w.Family(name, type, help);
  w.Sample(name, {}, value);
}

}  // namespace

void WriteRelayMetrics(const RelayMetrics& m, telemetry::MetricsWriter& w) {
  One(w, "payments_events_relay_running", "gauge", "1 while the outbox relay's thread runs.",
      m.running ? 1 : 0);
  One(w, "payments_events_relay_active", "gauge",
      "1 on the instance that holds the relay lock and publishes.", m.active ? 1 : 0);
  One(w, "payments_events_publishing_enabled", "gauge", "1 when Kafka brokers are configured.",
      m.publishing_enabled ? 1 : 0);
  if (m.publishing_enabled) {
    One(w, "payments_events_outbox_backlog", "gauge", "Events not yet published to Kafka.",
        static_cast<double>(m.backlog));
    One(w, "payments_events_oldest_unpublished_age_seconds", "gauge",
        "Age of the oldest event not yet published to Kafka.", m.oldest_unpublished_age_seconds);
  }
  One(w, "payments_events_in_flight", "gauge", "Events produced and awaiting Kafka's answer.",
      static_cast<double>(m.in_flight));
  One(w, "payments_events_published_total", "counter",
      "Events acknowledged by Kafka and marked published by this instance.",
      static_cast<double>(m.published_total));
  One(w, "payments_events_publish_failures_total", "counter",
      "Event deliveries that failed; the events stay unpublished and are sent again.",
      static_cast<double>(m.failed_total));
  One(w, "payments_events_purged_total", "counter", "Events deleted by retention.",
      static_cast<double>(m.purged_total));
  One(w, "payments_events_relay_activations_total", "counter",
      "Times this instance took the relay lock.", static_cast<double>(m.activations_total));
}

}  // namespace payments::events
