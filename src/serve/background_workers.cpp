#include "serve/background_workers.h"

#include <chrono>

#include "db/batch.h"
#include "db/transaction.h"
#include "migrate/schema_check.h"
#include "store/idempotency_store.h"

namespace payments::serve {

using std::chrono::milliseconds;

BackgroundWorkers::BackgroundWorkers(db::Pool& pool, Health& health,
                                     const std::vector<migrate::Migration>& built_in,
                                     const store::Instance& self, const events::OutboxRelay& relay,
                                     service::KeyAuthenticator& keys)
    : health_(health), relay_(relay) {
  auto health_runs = std::make_shared<int64_t>(0);
  workers_.push_back(std::make_unique<PeriodicWorker>(
      "database-health", milliseconds(500),
      [&pool, &health, &built_in, health_runs]() -> payments::Status {
        auto probe = pool.Probe();
        health.Set("database", probe.has_value(),
                   probe ? "" : probe.error().message + ": " + probe.error().detail);
        if (!probe) return probe;
        // The schema can change under us (a contract migration); look again
        // every two seconds.
        if (++*health_runs % 4 == 0) return CheckSchemaInto(pool, built_in, health);
        return {};
      }));
  workers_.push_back(std::make_unique<PeriodicWorker>(
      "instance-heartbeat",
      std::chrono::duration_cast<milliseconds>(store::kInstanceHeartbeatInterval),
      [&pool, &self]() -> payments::Status {
        return db::Read(pool, [&](db::Connection& c) { return store::HeartbeatInstance(c, self); });
      }));
  workers_.push_back(std::make_unique<PeriodicWorker>(
      "idempotency-purge", milliseconds(10 * 60 * 1000), [&pool]() -> payments::Status {
        // Records older than 24 hours, in short batches.
        for (int i = 0; i < 100; ++i) {
          auto purged = db::InTransaction(pool, [](db::Connection& conn) {
            return store::PurgeIdempotencyKeys(conn, std::chrono::hours(24), 1000);
          });
          if (!purged) return std::unexpected(purged.error());
          if (*purged < 1000) break;
        }
        return {};
      }));
  // One row read by primary key per tick; the authenticator trusts its cache
  // only while these succeed (KeyAuthOptions::max_staleness).
  workers_.push_back(std::make_unique<PeriodicWorker>(
      "api-key-watch", milliseconds(250), [&keys]() -> payments::Status { return keys.Sync(); }));
}

void BackgroundWorkers::Start() {
  for (auto& w : workers_) w->Start();
  health_.AddProbe("workers", [this, &relay = relay_]() {
    for (const auto& w : workers_) {
      if (!w->Alive()) return Health::Check{"workers", false, w->name() + " is not running"};
    }
    // The relay's thread, not Kafka: a broker outage must not fail readiness.
    if (!relay.Running()) {
      return Health::Check{"workers", false, "the outbox relay is not running"};
    }
    return Health::Check{"workers", true, ""};
  });
}

void BackgroundWorkers::Stop() {
  for (auto& w : workers_) w->Stop();
}

payments::Status CheckSchemaInto(db::Pool& pool, const std::vector<migrate::Migration>& built_in,
                                 Health& health) {
  auto conn = pool.Acquire();
  if (!conn) {
    health.Set("schema", false, "database unavailable");
    return std::unexpected(conn.error());
  }
  auto check = migrate::CheckSchema(**conn, built_in);
  if (!check) {
    health.Set("schema", false, check.error().message);
    return std::unexpected(check.error());
  }
  health.SetSchemaVersion(check->applied_version);
  health.Set("schema", check->compatible, check->reason);
  return {};
}

}  // namespace payments::serve
