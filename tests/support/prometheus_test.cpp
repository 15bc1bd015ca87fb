// The test-side Prometheus parser must itself reject what is invalid, or the
// metrics test would prove nothing.
#include "support/prometheus.h"

#include <gtest/gtest.h>

namespace payments::testing {
namespace {

TEST(PrometheusParserTest, AcceptsValidExposition) {
  const auto p = ParsePrometheus(
      "# HELP a_total Things.\n# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\"} 3\n"
      "# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.3\n"
      "h_count 2\n");
  EXPECT_TRUE(p.errors.empty()) << p.errors[0];
  EXPECT_EQ(p.Value("a_total", {{"y", "q\""}}), 3);
}

TEST(PrometheusParserTest, RejectsInvalidExposition) {
  for (const char* bad : {"no_type 1\n", "# TYPE a counter\na{x=1} 2\n", "# TYPE a counter\na 1x\n",
                          "# TYPE a nonsense\na 1\n", "# TYPE 1a counter\n1a 1\n",
                          "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                          "h_count 1\n",
                          "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",
                          "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n"}) {
    EXPECT_FALSE(ParsePrometheus(bad).errors.empty()) << bad;
  }
}

}  // namespace
}  // namespace payments::testing
