#include "migrate/interlock.h"

#include <fmt/format.h>

namespace payments::migrate {

payments::Status TakeMigrationLock(db::Connection& conn, std::chrono::seconds wait) {
  if (wait.count() == 0) {
    auto r = conn.Exec("SELECT pg_try_advisory_lock($1)", db::Params().Add(kMigrationLockKey));
    if (!r) return std::unexpected(r.error());
    if (r->Bool(0, 0)) return {};
  } else {
    // The server waits for us; lock_timeout bounds the wait.
    auto set =
        conn.Exec(fmt::format("SET lock_timeout = {}", std::chrono::milliseconds(wait).count()));
    if (!set) return std::unexpected(set.error());
    auto r = conn.Exec("SELECT pg_advisory_lock($1)", db::Params().Add(kMigrationLockKey));
    (void)conn.Exec("RESET lock_timeout");
    if (r) return {};
    if (r.error().sqlstate != db::kLockNotAvailable) return std::unexpected(r.error());
  }
  auto holder = conn.Exec(
      "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local') "
      "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
      "AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = $1 "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      db::Params().Add(kMigrationLockKey));
  std::string who;
  if (holder && !holder->empty()) {
    who = fmt::format(" by pid {} ({}, {})", holder->Text(0, 0), holder->Text(0, 1),
                      holder->Text(0, 2));
  }
  return std::unexpected(Error::Of(
      ErrorKind::kStateConflict, "migration_locked",
      fmt::format("another migration is running (advisory lock held{}); waited {} s; try again "
                  "or pass --wait",
                  who, wait.count())));
}

void ReleaseMigrationLock(db::Connection& conn) {
  (void)conn.Exec("SELECT pg_advisory_unlock($1)", db::Params().Add(kMigrationLockKey));
}

payments::Result<std::vector<store::Instance>> LiveInstances(db::Connection& conn,
                                                             std::chrono::seconds stale_after) {
  auto live = store::ListLiveInstances(conn, stale_after);
  if (!live && live.error().sqlstate == db::kUndefinedTable) {
    return std::vector<store::Instance>{};  // no registry yet: nobody registered
  }
  return live;
}

payments::Result<std::string> CheckInstanceInterlock(db::Connection& conn, const Migration& m,
                                                     InterlockFor what,
                                                     const InterlockOptions& options) {
  const bool contract = what == InterlockFor::kContract;
  auto live = LiveInstances(conn, options.stale_after);
  if (!live) return std::unexpected(live.error());
  std::string list;
  int count = 0;
  for (const store::Instance& i : *live) {
    // A contract harms binaries built without it; a down, those built with it.
    if (contract ? i.schema_version >= m.version : i.schema_version < m.version) continue;
    ++count;
    list += fmt::format(
        "\n  {} (payments {} on {} pid {}, built with migrations up to {}, "
        "heartbeat {})",
        i.id, i.binary_version, i.host, i.pid, FormatVersion(i.schema_version), i.heartbeat_at);
  }
  if (count == 0) return std::string();
  if (options.force) {
    return contract ? fmt::format(
                          "--force: applying contract migration {} although {} live "
                          "instance(s) were built without it and may fail:{}",
                          m.filename, count, list)
                    : fmt::format(
                          "--force: undoing {} although {} live instance(s) were built "
                          "with it:{}",
                          m.filename, count, list);
  }
  if (contract) {
    return std::unexpected(Error::Of(
        ErrorKind::kStateConflict, "contract_interlock",
        fmt::format("contract migration {} refuses to run: {} live instance(s) were built without "
                    "it and may still read what it removes:{}\nfinish the rollout (or stop "
                    "them), or pass --force",
                    m.filename, count, list)));
  }
  return std::unexpected(Error::Of(
      ErrorKind::kStateConflict, "down_interlock",
      fmt::format("refusing to undo {}: {} live instance(s) were built with it and may use what "
                  "it added:{}\nroll the binary back first, or pass --force",
                  m.filename, count, list)));
}

payments::Status CheckBackfillsFinished(const std::vector<BackfillState>& backfills,
                                        const Migration& m) {
  for (const BackfillState& b : backfills) {
    if (b.version < m.version && b.state != "done") {
      return std::unexpected(Error::Of(
          ErrorKind::kStateConflict, "backfill_unfinished",
          fmt::format("contract migration {} refuses to run: the backfill of {} ({}) by "
                      "migration {} is not finished; run `payments migrate up --phase expand`",
                      m.filename, b.table, b.origin, FormatVersion(b.version))));
    }
  }
  return {};
}

}  // namespace payments::migrate
