// The outbox relay: publishes the events table to Kafka, at least once, in
// order per payment.
//
// One relay is active per database, chosen by a session advisory lock
// (store::kRelayLockKey) held by the relay's own connection; the others stand
// by and try the lock every `standby_poll`. When the active process dies or
// its database session is cut, the lock goes with the session and a standby
// takes over. The active relay repeatedly reads the oldest unpublished rows
// (by seq, from the start of the partial index each time, so transactions
// that commit late with a lower seq are never skipped), produces them with
// librdkafka's idempotent producer (acks=all, key = subject = the payment id,
// headers ce_id, ce_type and content-type), and marks a row published only
// after its delivery report. Per-key order holds because each batch starts at
// the oldest unpublished row and the idempotent producer writes each
// partition in order without gaps; see docs/operations/events.md.
//
// Kafka outages: messages never time out locally (message.timeout.ms=0
// unless set), so while brokers are down the batch waits, the backlog grows,
// and everything drains when they return. Nothing here touches readiness.
//
// Without brokers (options.brokers empty) nothing is published; the active
// relay only enforces retention, on all rows.
//
//   auto relay = OutboxRelay::Create(options);   // validates the Kafka settings
//   if (!relay) exit_with(relay.error());        // kInvalidRequest: bad configuration
//   (*relay)->Start();
//   ... (*relay)->Metrics() for /metrics, (*relay)->Running() for health ...
//   (*relay)->Stop();   // lets the in-flight batch finish for up to stop_timeout,
//                       // then abandons it: unconfirmed rows stay unpublished
//
// Thread-safe: Start/Stop from one controlling thread; Metrics and Running
// from any thread. The relay owns one thread, one PostgreSQL connection and,
// while active, one producer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "events/kafka_settings.h"
#include "store/event_store.h"

namespace payments::events {

struct RelayCallbacks;

struct RelayOptions {
  // The relay's own session: it holds the lock and runs the relay's queries.
  db::ConnectOptions database;
  std::string brokers;  // PAYMENTS_KAFKA_BROKERS; empty: publishing disabled
  std::string topic = "payments.events";
  std::vector<KafkaSetting> kafka_settings;  // KafkaSettingsFromEnvironment()
  int batch_size = 500;
  std::chrono::seconds retention{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds idle_poll{100};      // wait when nothing is unpublished
  std::chrono::milliseconds standby_poll{1000};  // how often a standby tries the lock
  std::chrono::milliseconds stats_interval{1000};
  std::chrono::milliseconds purge_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds stop_timeout{5000};  // Stop(): how long the batch may finish
  std::chrono::milliseconds retry_max{5000};     // cap of the backoff after failures
};

struct RelayMetrics {
  bool running = false;             // the relay's thread is alive
  bool active = false;              // this instance holds the lock (publishes, purges)
  bool publishing_enabled = false;  // brokers configured
  int64_t backlog = 0;              // unpublished events, as of the last refresh
  double oldest_unpublished_age_seconds = 0;
  int64_t in_flight = 0;                // produced, awaiting their delivery report
  int64_t published_total = 0;          // acknowledged by Kafka and marked
  int64_t failed_total = 0;             // delivery failures (the rows stay unpublished)
  int64_t purged_total = 0;             // deleted by retention
  int64_t activations_total = 0;        // times this instance took the lock
  int64_t producers_created_total = 0;  // > activations: a producer failed fatally
};

class OutboxRelay {
 public:
  // Checks the options and every Kafka setting (unknown property, bad value,
  // or one the relay must own: enable.idempotence, acks, bootstrap.servers)
  // and fails with kInvalidRequest naming the variable.
  static payments::Result<std::unique_ptr<OutboxRelay>> Create(RelayOptions options);

  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;
  ~OutboxRelay();  // Stop()

  void Start();
  void Stop();

  bool Running() const { return running_.load(); }
  RelayMetrics Metrics() const;

 private:
  friend struct RelayCallbacks;
  struct Producer;
  struct Batch;

  explicit OutboxRelay(RelayOptions options);
  void Run();
  bool StopRequested() const { return stop_requested_.load(); }
  // Sleeps up to `d`; returns early when Stop() is called.
  void Sleep(std::chrono::milliseconds d);
  void SleepBackoff();
  bool EnsureConnection();
  // The session is gone, and the lock with it.
  void LoseConnection(const payments::Error& error);
  void HandleDatabaseError(const payments::Error& error);
  void Housekeeping();
  void RefreshStats();
  void Purge();
  bool CreateProducer();
  void DropProducer();
  // Produces the rows, waits for their delivery reports and marks the
  // delivered ones. False when anything failed (the caller backs off).
  bool PublishBatch(const std::vector<store::OutboxRow>& rows);
  void AwaitDeliveries(Batch& batch);

  const RelayOptions options_;
  std::thread thread_;
  std::mutex mu_;  // guards the wake-up only
  std::condition_variable wake_;
  std::atomic<bool> stop_requested_{false};
  std::chrono::steady_clock::time_point stop_deadline_{};  // set before stop_requested_

  // Owned by the relay thread.
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<Producer> producer_;
  Batch* batch_ = nullptr;  // the batch awaiting delivery reports
  bool connect_failing_ = false;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_stats_{};
  std::chrono::steady_clock::time_point next_purge_{};

  std::atomic<bool> running_{false};
  std::atomic<bool> active_{false};
  std::atomic<int64_t> backlog_{0};
  std::atomic<double> oldest_age_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> published_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> purged_{0};
  std::atomic<int64_t> activations_{0};
  std::atomic<int64_t> producers_created_{0};
};

}  // namespace payments::events
