// The background workers of `serve`, each a PeriodicWorker:
//   database-health      every 500 ms: the pool's probe, and every 2 s the
//                        schema check (a contract migration can change the
//                        schema under a running instance);
//   instance-heartbeat   keeps this instance's row alive for the
//                        expand/contract interlock (store/instance_store.h);
//   idempotency-purge    every 10 minutes: records older than 24 hours;
//   api-key-watch        every 250 ms: drops the cache of authenticated keys
//                        when any key changed (service/api_keys.h), so a
//                        revoked key stops on every instance within a second.
// Readiness fails (the "workers" check) when one of them, or the outbox
// relay's thread, has stopped running.
//
// Start/Stop from the lifecycle's thread; the probe is read by the admin
// listener's (Health is thread-safe).
#pragma once

#include <memory>
#include <vector>

#include "core/error.h"
#include "db/pool.h"
#include "events/outbox_relay.h"
#include "migrate/migration.h"
#include "serve/health.h"
#include "serve/periodic_worker.h"
#include "service/api_keys.h"
#include "store/instance_store.h"

namespace payments::serve {

class BackgroundWorkers {
 public:
  // Everything must outlive the workers.
  BackgroundWorkers(db::Pool& pool, Health& health, const std::vector<migrate::Migration>& built_in,
                    const store::Instance& self, const events::OutboxRelay& relay,
                    service::KeyAuthenticator& keys);
  BackgroundWorkers(const BackgroundWorkers&) = delete;
  BackgroundWorkers& operator=(const BackgroundWorkers&) = delete;
  ~BackgroundWorkers() { Stop(); }

  // Starts the workers and adds the "workers" readiness check.
  void Start();
  void Stop();

 private:
  Health& health_;
  const events::OutboxRelay& relay_;
  std::vector<std::unique_ptr<PeriodicWorker>> workers_;
};

// Checks the schema against the migrations built in and reports the result
// to readiness (the "schema" check) and to /version (the applied version).
payments::Status CheckSchemaInto(db::Pool& pool, const std::vector<migrate::Migration>& built_in,
                                 Health& health);

}  // namespace payments::serve
