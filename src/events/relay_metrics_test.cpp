#include "events/relay_metrics.h"

#include <gtest/gtest.h>

#include "support/prometheus.h"

namespace payments::events {
namespace {

TEST(RelayMetricsTest, RendersValidExpositionWithTheDocumentedNames) {
  RelayMetrics m;
  m.running = true;
  m.active = true;
  m.publishing_enabled = true;
  m.backlog = 42;
  m.oldest_unpublished_age_seconds = 12.5;
  m.published_total = 1000;
  m.failed_total = 3;
  telemetry::MetricsWriter w;
  WriteRelayMetrics(m, w);
  const testing::PromParse p = testing::ParsePrometheus(w.text());
  EXPECT_EQ(p.errors, std::vector<std::string>{});
  EXPECT_EQ(p.Value("payments_events_outbox_backlog"), 42);
  EXPECT_EQ(p.Value("payments_events_oldest_unpublished_age_seconds"), 12.5);
  EXPECT_EQ(p.Value("payments_events_published_total"), 1000);
  EXPECT_EQ(p.Value("payments_events_publish_failures_total"), 3);
  EXPECT_EQ(p.Value("payments_events_relay_active"), 1);
  EXPECT_EQ(p.families.at("payments_events_published_total").type, "counter");
}

TEST(RelayMetricsTest, WithoutKafkaThereIsNoBacklogToReport) {
  RelayMetrics m;
  m.running = true;
  telemetry::MetricsWriter w;
  WriteRelayMetrics(m, w);
  const testing::PromParse p = testing::ParsePrometheus(w.text());
  EXPECT_EQ(p.errors, std::vector<std::string>{});
  EXPECT_FALSE(p.Has("payments_events_outbox_backlog"));
  EXPECT_EQ(p.Value("payments_events_publishing_enabled"), 0);
}

}  // namespace
}  // namespace payments::events
