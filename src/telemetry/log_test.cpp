#include "telemetry/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/eventually.h"

namespace payments::log {
namespace {

// The lines Write puts on stdout while fn runs.
std::vector<nlohmann::ordered_json> Lines(const std::function<void()>& fn) {
  char path[] = "/tmp/log_test_XXXXXX";
  const int file = ::mkstemp(path);
  std::fflush(stdout);
  const int saved = ::dup(1);
  ::dup2(file, 1);
  fn();
  Flush();
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  ::close(file);
  std::ifstream in(path);
  std::vector<nlohmann::ordered_json> out;
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::ordered_json::parse(line));
  ::unlink(path);
  return out;
}

TEST(LogTest, ALineIsTimeLevelMessageThenTheFieldsInOrder) {
  const auto lines = Lines([] {
    Info("request", {{"route", "/v1/payments"}, {"status", 200}, {"note", "a \"quoted\" word"}});
    Warn("plain");
  });
  ASSERT_EQ(lines.size(), 2u);
  std::vector<std::string> keys;
  for (const auto& [k, v] : lines[0].items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"time", "level", "message", "route", "status", "note"}));
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["message"], "request");
  EXPECT_EQ(lines[0]["route"], "/v1/payments");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["note"], "a \"quoted\" word");
  EXPECT_EQ(lines[0]["time"].get<std::string>().size(), 24u);  // 2026-11-24T19:53:30.123Z
  EXPECT_EQ(lines[1]["level"], "warn");
  EXPECT_EQ(lines[1].size(), 3u);
}

TEST(LogTest, AFieldNamedLikeAStandardOneReplacesIt) {
  const auto lines = Lines([] { Info("start", {{"message", "overridden"}, {"x", 1}}); });
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["message"], "overridden");
  EXPECT_EQ(lines[0]["x"], 1);
  EXPECT_EQ(lines[0].size(), 4u);
}

// What the process's stdout file holds so far.
std::string Written() {
  std::ifstream in("/proc/self/fd/1");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(LogTest, AnAccessLineWaitsForTheNextFlushedLine) {
  std::string before_flush;
  const auto lines = Lines([&] {
    Buffered(Level::kInfo, "request", {{"status", 200}});
    before_flush = Written();
    Info("listening");
  });
  EXPECT_EQ(before_flush, "");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["message"], "request");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[1]["message"], "listening");
}

TEST(LogTest, AnAccessLineOfAServerErrorGoesOutAtOnce) {
  std::string written;
  const auto lines = Lines([&] {
    Buffered(Level::kInfo, "request", {{"status", 200}});
    Buffered(Level::kWarn, "request", {{"status", 503}});
    written = Written();
  });
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(written.find("\"status\":200"), std::string::npos) << written;
  EXPECT_NE(written.find("\"status\":503"), std::string::npos) << written;
}

TEST(LogTest, AccessLinesGoOutWholeWhenManyArePending) {
  std::string written;
  const auto lines = Lines([&] {
    for (int i = 0; i < 400; ++i) Buffered(Level::kInfo, "request", {{"n", i}});
    written = Written();
  });
  ASSERT_GT(written.size(), 8u * 1024) << "16 KiB pending go out without a flush";
  EXPECT_EQ(written.back(), '\n') << "a line was cut where a buffer filled";
  ASSERT_EQ(lines.size(), 400u);
  EXPECT_EQ(lines[399]["n"], 399);
}

TEST(LogTest, ThePeriodicFlushWritesAccessLinesWithoutOtherLines) {
  std::string flushed;
  const auto lines = Lines([&] {
    StartPeriodicFlush(std::chrono::seconds(1));
    Buffered(Level::kInfo, "request", {{"status", 201}});
    (void)payments::testing::Eventually([&] { return !(flushed = Written()).empty(); },
                                        std::chrono::seconds(10));
    StartPeriodicFlush(std::chrono::seconds(0));  // the other tests count on no flusher
  });
  EXPECT_NE(flushed.find("\"status\":201"), std::string::npos) << flushed;
  ASSERT_EQ(lines.size(), 1u);
}

TEST(LogTest, SecretsAndCardNumbersNeverReachTheLine) {
  const auto lines = Lines([] {
    Info("oops", {{"body", "sk_test_abcdefghijklmnopqrstuvwx 4242424242424242"}});
  });
  ASSERT_EQ(lines.size(), 1u);
  const std::string body = lines[0]["body"];
  EXPECT_EQ(body.find("sk_test_abcdefghijklmnopqrstuvwx"), std::string::npos) << body;
  EXPECT_EQ(body.find("4242424242424242"), std::string::npos) << body;
}

}  // namespace
}  // namespace payments::log
