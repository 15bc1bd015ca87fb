// About 500 lines, one file on purpose: the relay's loop, librdkafka's
// configuration and its callbacks share the producer handle and the batch in
// flight, which nothing else may touch.
#include "events/outbox_relay.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "telemetry/log.h"

namespace payments::events {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Properties the relay decides: its guarantees rest on them.
constexpr std::string_view kOwnedProperties[] = {
    "enable.idempotence",    "acks",
    "request.required.acks", "bootstrap.servers",
    "metadata.broker.list",  "transactional.id",
};

// Defaults an operator may override through PAYMENTS_KAFKA_*.
constexpr std::pair<const char*, const char*> kDefaults[] = {
    {"client.id", "payments-relay"},
    // Never fail a message locally: while Kafka is down the batch waits and
    // the backlog grows, instead of failures that could reorder a payment's
    // events when retried.
    {"message.timeout.ms", "0"},
    // The Java client's partitioner, so other producers keyed by payment id
    // land on the same partitions.
    {"partitioner", "murmur2_random"},
    {"linger.ms", "5"},
};

constexpr int kPurgeChunk = 1000;
constexpr int kPurgeChunksPerPass = 10;
constexpr milliseconds kPurgedReportsWait{5000};

log::Level LevelOf(int syslog_level) {
  if (syslog_level <= 4) return log::Level::kWarn;
  if (syslog_level <= 6) return log::Level::kInfo;
  return log::Level::kDebug;
}

void NoLog(const rd_kafka_t*, int, const char*, const char*) {}

// A librdkafka configuration from the options. Fails naming the variable an
// operator set.
payments::Result<rd_kafka_conf_t*> BuildConf(const RelayOptions& options, bool with_brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& name, const std::string& value,
                 const std::string& origin) -> payments::Status {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      return std::unexpected(Error::InvalidRequest("kafka_setting_invalid",
                                                   fmt::format("{}: {}", origin, err), origin));
    }
    return {};
  };
  payments::Status status;
  for (const auto& [name, value] : kDefaults) {
    if (status) status = set(name, value, name);
  }
  for (const KafkaSetting& s : options.kafka_settings) {
    if (!status) break;
    if (std::find(std::begin(kOwnedProperties), std::end(kOwnedProperties), s.property) !=
        std::end(kOwnedProperties)) {
      status = std::unexpected(Error::InvalidRequest(
          "kafka_setting_reserved",
          fmt::format("{}: the relay sets {} itself (an idempotent producer with acks=all; "
                      "brokers come from PAYMENTS_KAFKA_BROKERS)",
                      s.origin, s.property),
          s.origin));
      break;
    }
    status = set(s.property, s.value, s.origin);
  }
  if (status) status = set("enable.idempotence", "true", "enable.idempotence");
  if (status) status = set("acks", "all", "acks");
  if (status && with_brokers)
    status = set("bootstrap.servers", options.brokers, "PAYMENTS_KAFKA_BROKERS");
  if (!status) {
    rd_kafka_conf_destroy(conf);
    return std::unexpected(status.error());
  }
  return conf;
}

}  // namespace

struct OutboxRelay::Producer {
  rd_kafka_t* rk = nullptr;
  explicit Producer(rd_kafka_t* handle) : rk(handle) {}
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  ~Producer() { rd_kafka_destroy(rk); }
};

struct OutboxRelay::Batch {
  const std::vector<store::OutboxRow>* rows = nullptr;
  std::vector<char> delivered;  // per row: 1 once Kafka acknowledged it
  int64_t outstanding = 0;      // produced, no delivery report yet
  int64_t failed = 0;
  // The first failure, logged once per batch rather than once per event.
  std::string first_failed_id;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;

  void NoteFailure(const std::string& id, rd_kafka_resp_err_t err) {
    if (failed++ == 0) {
      first_failed_id = id;
      first_error = err;
    }
  }
};

// librdkafka's callbacks. Delivery reports and errors are served by
// rd_kafka_poll() on the relay thread; logs come from librdkafka's threads.
struct RelayCallbacks {
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* relay = static_cast<OutboxRelay*>(opaque);
    OutboxRelay::Batch* batch = relay->batch_;
    if (batch == nullptr) return;  // a batch already abandoned
    const auto i = static_cast<size_t>(reinterpret_cast<intptr_t>(m->_private));
    if (i >= batch->delivered.size()) return;
    --batch->outstanding;
    relay->in_flight_.store(batch->outstanding);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      batch->delivered[i] = 1;
      return;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
      return;  // abandoned on purpose; the row stays unpublished
    }
    batch->NoteFailure((*batch->rows)[i].id, m->err);
    relay->failed_.fetch_add(1);
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void*) {
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char detail[512];
      const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, detail, sizeof detail);
      log::Error("events relay: the Kafka producer failed fatally; it will be recreated",
                 {{"error", rd_kafka_err2name(fatal)}, {"reason", detail}});
      return;
    }
    log::Warn(
        "events relay: kafka error",
        {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))}, {"reason", reason}});
  }

  static void OnLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
    log::Write(LevelOf(level), "kafka", {{"facility", facility}, {"detail", message}});
  }
};

payments::Result<std::unique_ptr<OutboxRelay>> OutboxRelay::Create(RelayOptions options) {
  if (options.batch_size < 1 || options.batch_size > 100000) {
    return std::unexpected(
        Error::InvalidRequest("relay_batch_size_invalid",
                              "the relay's batch size must be between 1 and 100000", "batch_size"));
  }
  if (options.retention.count() <= 0) {
    return std::unexpected(Error::InvalidRequest(
        "relay_retention_invalid", "the events retention must be positive", "retention"));
  }
  if (!options.brokers.empty()) {
    if (options.topic.empty()) {
      return std::unexpected(
          Error::InvalidRequest("kafka_topic_invalid", "the Kafka topic is empty", "topic"));
    }
    // Make (and drop) a producer without brokers: librdkafka checks how the
    // settings combine only then (max.in.flight with idempotence, say), and
    // a bad combination must stop start-up, not the relay later.
    auto conf = BuildConf(options, /*with_brokers=*/false);
    if (!conf) return std::unexpected(conf.error());
    rd_kafka_conf_set_log_cb(*conf, NoLog);
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
    if (rk == nullptr) {
      rd_kafka_conf_destroy(*conf);
      return std::unexpected(Error::InvalidRequest(
          "kafka_setting_invalid", fmt::format("the PAYMENTS_KAFKA_* settings: {}", err)));
    }
    rd_kafka_destroy(rk);
  }
  if (options.database.application_name == db::ConnectOptions{}.application_name) {
    options.database.application_name = "payments relay";
  }
  return std::unique_ptr<OutboxRelay>(new OutboxRelay(std::move(options)));
}

OutboxRelay::OutboxRelay(RelayOptions options) : options_(std::move(options)) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  if (thread_.joinable()) return;
  stop_requested_.store(false);
  running_.store(true);
  thread_ = std::thread([this] { Run(); });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_deadline_ = Clock::now() + options_.stop_timeout;
    stop_requested_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

RelayMetrics OutboxRelay::Metrics() const {
  RelayMetrics m;
  m.running = running_.load();
  m.active = active_.load();
  m.publishing_enabled = !options_.brokers.empty();
  m.backlog = backlog_.load();
  m.oldest_unpublished_age_seconds = oldest_age_.load();
  m.in_flight = in_flight_.load();
  m.published_total = published_.load();
  m.failed_total = failed_.load();
  m.purged_total = purged_.load();
  m.activations_total = activations_.load();
  m.producers_created_total = producers_created_.load();
  return m;
}

void OutboxRelay::Sleep(milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, d, [this] { return stop_requested_.load(); });
}

void OutboxRelay::SleepBackoff() {
  backoff_ = std::clamp(backoff_ * 2, milliseconds(100), options_.retry_max);
  Sleep(backoff_);
}

bool OutboxRelay::EnsureConnection() {
  if (conn_ && !conn_->broken()) return true;
  if (conn_) LoseConnection(Error::Unavailable("the relay's database connection broke"));
  auto conn = db::Connection::Open(options_.database);
  if (!conn) {
    if (!connect_failing_) {
      log::Warn("events relay: cannot reach the database; retrying",
                {{"detail", conn.error().detail}});
      connect_failing_ = true;
    }
    SleepBackoff();
    return false;
  }
  if (connect_failing_) log::Info("events relay: reconnected to the database");
  connect_failing_ = false;
  conn_ = std::move(*conn);
  backoff_ = milliseconds(0);
  return true;
}

void OutboxRelay::LoseConnection(const payments::Error& error) {
  if (active_.load()) {
    log::Warn("events relay: lost the database session and with it the relay lock",
              {{"detail", error.detail.empty() ? error.message : error.detail}});
  }
  conn_.reset();
  active_.store(false);
}

void OutboxRelay::HandleDatabaseError(const payments::Error& error) {
  if (conn_ && conn_->broken()) {
    LoseConnection(error);
    return;
  }
  log::Warn("events relay: database error; retrying",
            {{"detail", error.detail.empty() ? error.message : error.detail},
             {"sqlstate", error.sqlstate}});
  SleepBackoff();
}

void OutboxRelay::RefreshStats() {
  next_stats_ = Clock::now() + options_.stats_interval;
  auto stats = store::ReadOutboxStats(*conn_);
  if (!stats) {
    HandleDatabaseError(stats.error());
    return;
  }
  backlog_.store(stats->backlog);
  oldest_age_.store(stats->oldest_unpublished_age);
}

void OutboxRelay::Purge() {
  next_purge_ = Clock::now() + options_.purge_interval;
  const auto cutoff = std::chrono::system_clock::now() - options_.retention;
  // Without Kafka nothing will ever publish the rows: retention covers all.
  const bool include_unpublished = options_.brokers.empty();
  int64_t total = 0;
  for (int i = 0; i < kPurgeChunksPerPass && conn_ && !StopRequested(); ++i) {
    auto n = store::PurgeEvents(*conn_, cutoff, include_unpublished, kPurgeChunk);
    if (!n) {
      HandleDatabaseError(n.error());
      break;
    }
    total += *n;
    if (*n < kPurgeChunk) break;
  }
  purged_.fetch_add(total);
  if (total > 0) log::Info("events relay: purged events past retention", {{"count", total}});
}

void OutboxRelay::Housekeeping() {
  const auto now = Clock::now();
  if (conn_ && !options_.brokers.empty() && now >= next_stats_) RefreshStats();
  if (conn_ && active_.load() && now >= next_purge_) Purge();
}

bool OutboxRelay::CreateProducer() {
  auto conf = BuildConf(options_, /*with_brokers=*/true);
  if (!conf) {  // Create() checked the settings; only a bug gets here
    log::Error("events relay: bad Kafka settings", {{"detail", conf.error().message}});
    return false;
  }
  rd_kafka_conf_set_opaque(*conf, this);
  rd_kafka_conf_set_dr_msg_cb(*conf, RelayCallbacks::OnDelivery);
  rd_kafka_conf_set_error_cb(*conf, RelayCallbacks::OnError);
  rd_kafka_conf_set_log_cb(*conf, RelayCallbacks::OnLog);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*conf);
    log::Error("events relay: cannot create the Kafka producer", {{"detail", err}});
    return false;
  }
  producer_ = std::make_unique<Producer>(rk);
  producers_created_.fetch_add(1);
  return true;
}

void OutboxRelay::DropProducer() {
  if (!producer_) return;
  batch_ = nullptr;
  rd_kafka_purge(producer_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  producer_.reset();
  in_flight_.store(0);
}

void OutboxRelay::AwaitDeliveries(Batch& batch) {
  bool purged = false;
  bool drop = false;
  Clock::time_point give_up{};
  auto abandon = [&](std::string_view why) {
    log::Warn(
        "events relay: abandoning the in-flight batch; unconfirmed events stay "
        "unpublished and are sent again later",
        {{"reason", why}, {"in_flight", batch.outstanding}});
    // Delivery reports for purged messages come back through poll.
    rd_kafka_purge(producer_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    purged = true;
    // Purging voids in-flight acknowledgements: start over with a new
    // producer (and a new idempotence epoch).
    drop = true;
    give_up = Clock::now() + kPurgedReportsWait;
  };
  while (batch.outstanding > 0) {
    rd_kafka_poll(producer_->rk, 50);
    if (batch.outstanding == 0) break;
    if (purged) {
      if (Clock::now() >= give_up) break;
      continue;
    }
    char detail[512];
    if (rd_kafka_fatal_error(producer_->rk, detail, sizeof detail) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      abandon("the producer failed fatally");
    } else if (StopRequested() && Clock::now() >= stop_deadline_) {
      abandon("stopping");
    } else {
      // While Kafka is down this wait can be long: keep the backlog metric
      // fresh (which also proves the session, and so the lock, is still
      // ours) and retention running.
      Housekeeping();
      if (!conn_) abandon("lost the relay lock");
    }
  }
  batch_ = nullptr;
  in_flight_.store(0);
  // A producer that failed fatally may have reported every message of the
  // batch (as failed) before the loop above looked: it must go all the same,
  // or every later batch fails on it for good.
  char detail[512];
  if (!drop &&
      rd_kafka_fatal_error(producer_->rk, detail, sizeof detail) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::Warn("events relay: the producer failed fatally; starting over with a new one",
              {{"reason", detail}});
    drop = true;
  }
  if (drop) DropProducer();
}

bool OutboxRelay::PublishBatch(const std::vector<store::OutboxRow>& rows) {
  Batch batch;
  batch.rows = &rows;
  batch.delivered.assign(rows.size(), 0);
  batch_ = &batch;
  // A payment whose event could not even be queued gets none of its later
  // events in this batch: they would overtake it.
  std::set<std::string_view> blocked;
  static constexpr std::string_view kContentType = "application/cloudevents+json; charset=UTF-8";
  for (size_t i = 0; i < rows.size() && !StopRequested(); ++i) {
    const store::OutboxRow& row = rows[i];
    if (blocked.contains(row.subject)) continue;
    rd_kafka_resp_err_t err;
    for (;;) {
      err = rd_kafka_producev(
          producer_->rk, RD_KAFKA_V_TOPIC(options_.topic.c_str()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(row.subject.data(), row.subject.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(row.payload.data()), row.payload.size()),
          RD_KAFKA_V_HEADER("ce_id", row.id.data(), static_cast<ssize_t>(row.id.size())),
          RD_KAFKA_V_HEADER("ce_type", row.type.data(), static_cast<ssize_t>(row.type.size())),
          RD_KAFKA_V_HEADER("content-type", kContentType.data(),
                            static_cast<ssize_t>(kContentType.size())),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<intptr_t>(i))), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || StopRequested()) break;
      rd_kafka_poll(producer_->rk, 50);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      batch.NoteFailure(row.id, err);
      failed_.fetch_add(1);
      blocked.insert(row.subject);
      continue;
    }
    ++batch.outstanding;
    in_flight_.store(batch.outstanding);
  }
  AwaitDeliveries(batch);
  if (batch.failed > 0) {
    log::Warn("events relay: events failed to publish; they stay unpublished and are sent again",
              {{"failed", batch.failed},
               {"first_event_id", batch.first_failed_id},
               {"error", rd_kafka_err2name(batch.first_error)},
               {"reason", rd_kafka_err2str(batch.first_error)}});
  }

  std::vector<int64_t> seqs;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (batch.delivered[i]) seqs.push_back(rows[i].seq);
  }
  if (!seqs.empty() && conn_) {
    auto marked = store::MarkEventsPublished(*conn_, seqs);
    if (!marked) {
      // Kafka has them; they will be sent again (consumers deduplicate).
      HandleDatabaseError(marked.error());
      return false;
    }
    published_.fetch_add(static_cast<int64_t>(seqs.size()));
  }
  return batch.failed == 0 && seqs.size() == rows.size();
}

void OutboxRelay::Run() {
  const bool publishing = !options_.brokers.empty();
  while (!StopRequested()) {
    if (!active_.load() && producer_) DropProducer();
    if (!EnsureConnection()) continue;
    if (!active_.load()) {
      auto got = store::TryAcquireRelayLock(*conn_);
      if (!got) {
        HandleDatabaseError(got.error());
        continue;
      }
      if (!*got) {
        Housekeeping();  // standbys report the backlog too
        Sleep(options_.standby_poll);
        continue;
      }
      active_.store(true);
      activations_.fetch_add(1);
      next_purge_ = Clock::now();
      log::Info("events relay: active (holds the relay lock)",
                {{"publishing", publishing}, {"topic", options_.topic}});
    }
    Housekeeping();
    if (!conn_ || !active_.load()) continue;
    if (!publishing) {
      Sleep(std::min(options_.purge_interval, options_.standby_poll));
      continue;
    }
    if (!producer_ && !CreateProducer()) {
      SleepBackoff();
      continue;
    }
    auto rows = store::SelectUnpublishedEvents(*conn_, options_.batch_size);
    if (!rows) {
      HandleDatabaseError(rows.error());
      continue;
    }
    if (rows->empty()) {
      backoff_ = milliseconds(0);
      Sleep(options_.idle_poll);
      continue;
    }
    if (PublishBatch(*rows)) {
      backoff_ = milliseconds(0);
    } else if (!StopRequested()) {
      SleepBackoff();
    }
  }
  DropProducer();
  if (conn_ && active_.load()) (void)store::ReleaseRelayLock(*conn_);
  conn_.reset();
  active_.store(false);
  running_.store(false);
}

}  // namespace payments::events
