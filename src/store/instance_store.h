// The registry of running instances (table `instances`, migration 0002), for
// the expand/contract interlock: a contract migration refuses to run while a
// live instance was built without it. `payments serve` registers at start,
// heartbeats every kInstanceHeartbeatInterval, and deregisters at shutdown:
//
//   store::Instance self = store::DescribeThisInstance();
//   RegisterInstance(conn, self);            // at start, before readiness
//   HeartbeatInstance(conn, self);           // every 5 s from a background thread
//   DeregisterInstance(conn, self.id);       // after draining, before exit
//
// An instance counts as live while its heartbeat is newer than the staleness
// bound (the database's clock decides, so host clocks may disagree); a crashed
// instance stops counting once its heartbeat is stale. Functions take the
// caller's connection and run one autocommit statement each.
// Thread-compatible (one connection per thread, as libpq requires).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/connection.h"

namespace payments::store {

inline constexpr std::chrono::seconds kInstanceHeartbeatInterval{5};
inline constexpr std::chrono::seconds kInstanceStaleAfter{30};
// Rows whose heartbeat is older than this are deleted when an instance registers.
inline constexpr std::chrono::hours kInstancePruneAfter{24};

struct Instance {
  std::string id;              // "inst_…", new per process
  std::string binary_version;  // "0.1.0 (abc1234)"
  int64_t schema_version = 0;  // the highest migration built into the binary
  std::string host;
  int64_t pid = 0;
  std::string started_at;    // ISO 8601 UTC; read back from the database
  std::string heartbeat_at;  // ISO 8601 UTC; read back from the database
};

// This process: a fresh id, the binary's version and commit, host name and
// pid, and the schema version it was built for (the caller passes
// migrate::BuiltInSchemaVersion(): the store sits below migrate/).
Instance DescribeThisInstance(int64_t schema_version);

// Inserts (or refreshes) the instance's row and prunes rows of instances dead
// for kInstancePruneAfter. Fails with sqlstate 42P01 when migration 0002 is
// not applied.
payments::Status RegisterInstance(db::Connection& conn, const Instance& instance);
// Moves the heartbeat to now; re-inserts the row if it is gone.
payments::Status HeartbeatInstance(db::Connection& conn, const Instance& instance);
// Deletes the row. Missing rows are fine.
payments::Status DeregisterInstance(db::Connection& conn, std::string_view id);
// Instances whose heartbeat is newer than stale_after, oldest start first.
payments::Result<std::vector<Instance>> ListLiveInstances(
    db::Connection& conn, std::chrono::seconds stale_after = kInstanceStaleAfter);

}  // namespace payments::store
