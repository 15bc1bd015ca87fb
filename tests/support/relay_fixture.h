// The fixture of the relay tests: a migrated database with a merchant, the
// events inserted and expected per payment, relays in process or as
// `payments events relay` child processes, and reading the topic back.
// Not thread-safe; one per test.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "events/outbox_relay.h"
#include "support/kafka_mock.h"
#include "support/test_database.h"

namespace payments::testing {

inline constexpr char kRelayTopic[] = "payments.events";
inline constexpr int kRelayPartitions = 4;
inline constexpr char kRelayMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Options for a relay on this database and `kafka`, with short intervals.
  events::RelayOptions Options(const MockKafka& kafka) const;
  static std::unique_ptr<events::OutboxRelay> MakeRelay(events::RelayOptions options);

  static std::string PaymentId(int n);
  // `rounds` events for each of `payments` payments, interleaved across
  // payments, each insert its own transaction.
  void InsertEvents(int payments, int rounds);
  // The next event of payment `p` (checked against its schema), on `conn`.
  void Insert(db::Connection& conn, int p);

  int64_t Unpublished();
  bool AllPublished() { return Unpublished() == 0; }
  // Which of `ids` the database still has unpublished.
  std::set<std::string> StillUnpublished(const std::set<std::string>& ids);

  // Reads the whole topic and checks it against what was inserted.
  DeliveryCheck ReadAndCheck(const MockKafka& kafka);

  // `payments events relay` in a child process, logging to `log_path`.
  pid_t SpawnRelay(const MockKafka& kafka, const std::string& log_path);
  static std::string ReadFile(const std::string& path);

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
  std::map<std::string, std::vector<std::string>> expected_;  // per payment, in commit order
  int64_t inserted_ = 0;
};

}  // namespace payments::testing
