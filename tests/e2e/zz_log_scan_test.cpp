// Runs last (a CTest fixture cleanup): scans the logs of every service the
// test run started for the card numbers the tests sent and the secret keys
// they used. None may appear, in any form. Also checks that the logs are one
// JSON object per line with time, level and message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "support/service_process.h"

namespace payments::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kCardNumbers = {
    "4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119",
    "4000000000000341", "4000000000000259", "4000000000000069", "4000000000000127",
    "5555555555554444", "378282246310005",  "4242424242424241"};

TEST(LogScanTest, NoCardNumberOrSecretKeyWasEverLogged) {
  const std::string dir = TestLogDir();
  std::set<std::string> secrets;
  {
    std::ifstream in(dir + "/secrets.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) secrets.insert(line);
    }
  }
  static const std::regex kKeyPattern("sk_(test|live)_[A-Za-z0-9]{8,}");
  int files = 0;
  int lines = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".log") continue;  // cmd-*.out is CLI output, by design
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      ++lines;
      const std::string where = name + ":" + std::to_string(n);
      // Under `make test-sanitize` the service binaries are instrumented too:
      // their reports land in these logs, and each one fails the run.
      EXPECT_EQ(line.find("Sanitizer"), std::string::npos) << "sanitizer report in " << where;
      EXPECT_EQ(line.find("runtime error:"), std::string::npos) << "UBSan report in " << where;
      for (const std::string& s : secrets) {
        EXPECT_EQ(line.find(s), std::string::npos) << "secret key in " << where;
      }
      auto json = nlohmann::json::parse(line, nullptr, false);
      if (!json.is_object()) {
        // Only the embedded default prints a human banner (with its demo key).
        EXPECT_TRUE(name.starts_with("EmbeddedDefaultTest."))
            << "not a JSON log line: " << where << ": " << line;
        continue;
      }
      EXPECT_TRUE(json.contains("time") && json.contains("level") && json.contains("message"))
          << where;
      for (const std::string& card : kCardNumbers) {
        EXPECT_EQ(line.find(card), std::string::npos) << "card number in " << where;
      }
      EXPECT_FALSE(std::regex_search(line, kKeyPattern)) << "secret key in " << where;
    }
  }
  // A scan of nothing proves nothing.
  EXPECT_GE(files, 10) << "too few service logs in " << dir;
  EXPECT_GE(lines, 500);
  EXPECT_GE(secrets.size(), 5u);
}

}  // namespace
}  // namespace payments::testing
