#include "service/webhook_retry.h"

#include <gtest/gtest.h>

#include "core/duration.h"

namespace payments::service {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using store::DeliveryOutcome;

const auto kNow = std::chrono::system_clock::from_time_t(1800000000);  // 2027-01-15T08:00:00Z

TEST(WebhookRetryTest, TheDefaultScheduleSpansAboutThreeDays) {
  const WebhookRetryOptions options;
  auto parsed = ParseDurationList(kDefaultWebhookSchedule, "webhook_retry_schedule", "schedule");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, options.schedule);
  milliseconds total(0);
  for (auto d : options.schedule) total += d;
  EXPECT_GT(total, hours(72));
  EXPECT_LT(total, hours(80));
}

TEST(WebhookRetryTest, SuccessGoneAndFailure) {
  const WebhookRetryOptions options;
  EXPECT_EQ(JudgeAttempt(1, 200, "", kNow, options, 0.5).outcome, DeliveryOutcome::kSucceeded);
  EXPECT_EQ(JudgeAttempt(3, 204, "", kNow, options, 0.5).outcome, DeliveryOutcome::kSucceeded);
  EXPECT_EQ(JudgeAttempt(1, 410, "", kNow, options, 0.5).outcome, DeliveryOutcome::kGone);
  for (int status : {0, 301, 302, 400, 401, 404, 500, 502}) {
    const auto v = JudgeAttempt(1, status, "", kNow, options, 0.5);
    EXPECT_EQ(v.outcome, DeliveryOutcome::kRetry) << status;
    EXPECT_EQ(v.retry_in, seconds(5)) << status;  // the middle of the jitter
  }
}

TEST(WebhookRetryTest, JitterStaysWithinItsBandAndTheLastStepGivesUp) {
  const WebhookRetryOptions options;
  EXPECT_EQ(JudgeAttempt(2, 500, "", kNow, options, 0.0).retry_in, milliseconds(240000));
  EXPECT_EQ(JudgeAttempt(2, 500, "", kNow, options, 0.99999).retry_in.count() / 1000, 359);
  const int last = static_cast<int>(options.schedule.size());
  EXPECT_EQ(JudgeAttempt(last, 500, "", kNow, options, 0.5).outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(JudgeAttempt(last + 1, 500, "", kNow, options, 0.5).outcome, DeliveryOutcome::kGiveUp);
}

TEST(WebhookRetryTest, RetryAfterIsHonouredOn429And503Only) {
  WebhookRetryOptions options;
  options.schedule = {milliseconds(100)};
  auto v = JudgeAttempt(1, 429, "7", kNow, options, 0.5);
  EXPECT_EQ(v.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(v.retry_in, seconds(7));
  EXPECT_EQ(v.endpoint_pause, seconds(7));
  v = JudgeAttempt(1, 503, "Fri, 15 Jan 2027 08:01:00 GMT", kNow, options, 0.5);
  EXPECT_EQ(v.endpoint_pause, seconds(60));
  v = JudgeAttempt(1, 500, "7", kNow, options, 0.5);  // not a status that defines it
  EXPECT_EQ(v.endpoint_pause, milliseconds(0));
  EXPECT_EQ(v.retry_in, milliseconds(100));
  v = JudgeAttempt(1, 429, "999999999999999999999", kNow, options, 0.5);  // capped
  EXPECT_EQ(v.endpoint_pause, hours(24));
  v = JudgeAttempt(1, 429, "soon", kNow, options, 0.5);  // unreadable: the schedule
  EXPECT_EQ(v.retry_in, milliseconds(100));
}

TEST(WebhookRetryTest, ParsesRetryAfterStrictly) {
  EXPECT_EQ(ParseRetryAfter("0", kNow), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter(" 120 ", kNow), seconds(120));
  EXPECT_EQ(ParseRetryAfter("Fri, 15 Jan 2027 07:00:00 GMT", kNow), milliseconds(0));  // past
  // Centuries away: beyond system_clock's range (fuzz/regressions/webhook_request/).
  EXPECT_GT(ParseRetryAfter("Wed, 21 Oct 4504 07:28:00 GMT", kNow), hours(24 * 365 * 99));
  for (std::string_view bad : {"", "-1", "1.5", "1e3", "12s", "Fri, 15 Jan 2027 08:01:00",
                               "tomorrow", "Fri, 15 Jan 2027 08:01:00 GMT trailing"}) {
    EXPECT_FALSE(ParseRetryAfter(bad, kNow)) << bad;
  }
}

}  // namespace
}  // namespace payments::service
