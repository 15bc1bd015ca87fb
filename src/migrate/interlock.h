// What keeps a migration from harming what runs:
//   - the advisory lock: one migrator at a time per database;
//   - the instance interlock (store/instance_store.h): a contract migration
//     refuses while a live instance was built without it (it may still read
//     what the contract removes), and undoing a migration refuses while a
//     live instance was built with it; --force turns either into a warning;
//   - a contract waits for the backfills of the migrations before it.
//
//   if (auto s = TakeMigrationLock(conn, std::chrono::seconds(30)); !s) ...
//   ReleaseMigrationLock(conn);
//
// Functions run on the caller's connection; one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "migrate/history.h"
#include "migrate/migration.h"
#include "store/instance_store.h"

namespace payments::migrate {

// The advisory lock key all migrators take ("payments" in ASCII).
inline constexpr int64_t kMigrationLockKey = 0x7061796d656e7473;

// Takes the lock, waiting up to `wait` (zero: not at all). When another
// migrator holds it: kStateConflict "migration_locked", naming the holder.
payments::Status TakeMigrationLock(db::Connection& conn, std::chrono::seconds wait);
void ReleaseMigrationLock(db::Connection& conn);

// Instances whose heartbeat is newer than stale_after; none before the
// registry exists.
payments::Result<std::vector<store::Instance>> LiveInstances(db::Connection& conn,
                                                             std::chrono::seconds stale_after);

enum class InterlockFor { kContract, kDown };
struct InterlockOptions {
  std::chrono::seconds stale_after{30};
  bool force = false;
};
// kContract: refuses while live instances were built without m; kDown: while
// live instances were built with it (kStateConflict "contract_interlock" or
// "down_interlock", listing them). With force it passes and returns the
// warning to show; an empty string when no instance is in the way.
payments::Result<std::string> CheckInstanceInterlock(db::Connection& conn, const Migration& m,
                                                     InterlockFor what,
                                                     const InterlockOptions& options);

// A contract migration refuses while the backfill of an earlier migration is
// unfinished (kStateConflict "backfill_unfinished").
payments::Status CheckBackfillsFinished(const std::vector<BackfillState>& backfills,
                                        const Migration& m);

}  // namespace payments::migrate
