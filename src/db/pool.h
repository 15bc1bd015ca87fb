// A bounded pool of PostgreSQL connections that survives database restarts.
//
// Acquire() returns the most recently used idle connection (its backend is
// the likeliest to be awake and cache-warm, and under light load the others
// stay idle instead of all taking turns), opens a new one while under
// `size`, or waits up to `acquire_timeout` for one to come back. Probe()
// takes the least recently used one, so the health checker keeps every idle
// connection exercised. When opening fails,
// the pool enters backoff (exponential with full jitter, capped): until the
// backoff ends, Acquire() fails at once with kUnavailable instead of hanging,
// so the API can answer a fast 503. A connection that comes back broken, or
// that the server closed while it sat idle (seen without a round trip, just
// before lending it: Connection::ClosedWhileIdle), is dropped, and every idle
// connection opened before it is dropped too (they were almost certainly cut
// by the same restart). So a lease is a connection that was alive a moment
// ago, and callers may send a whole transaction at once. Probe() is how a health
// checker tries to reconnect while requests are failing fast.
//
// Thread-safe, and a fiber that waits (for a connection, for the server)
// parks instead of blocking its thread. PooledConnection is the RAII lease; it
// must not outlive the Pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>

#include "db/connection.h"
#include "fibers/fiber.h"

namespace payments::db {

struct PoolOptions {
  ConnectOptions connect;
  int size = 10;
  std::chrono::milliseconds acquire_timeout{1000};
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{2000};
};

struct PoolStats {
  int size = 0;                  // configured maximum
  int open = 0;                  // connections open now (idle + busy)
  int busy = 0;                  // leased out
  int64_t waits = 0;             // acquisitions that had to wait for a connection
  int64_t timeouts = 0;          // acquisitions that gave up waiting
  int64_t opened = 0;            // connections opened since start
  int64_t reconnects = 0;        // connections opened after a failure or a broken one
  int64_t connect_failures = 0;  // failed attempts to open
  int64_t broken = 0;            // connections dropped because they broke
  bool healthy = true;           // false while in backoff after a failure
};

class Pool;

class PooledConnection {
 public:
  PooledConnection(Pool* pool, std::unique_ptr<Connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  PooledConnection(PooledConnection&&) noexcept = default;
  PooledConnection& operator=(PooledConnection&&) noexcept;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection();

  Connection* operator->() const { return conn_.get(); }
  Connection& operator*() const { return *conn_; }

 private:
  void Release();
  Pool* pool_ = nullptr;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  explicit Pool(PoolOptions options);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool();

  payments::Result<PooledConnection> Acquire();

  // Opens a connection even while in backoff and runs `SELECT 1` on it; ends
  // the backoff on success. For the health checker; returns what went wrong.
  payments::Status Probe();

  // Closes idle connections and fails all later Acquire() calls. Leased
  // connections are closed when they come back.
  void Close();

  PoolStats Stats() const;
  const PoolOptions& options() const { return options_; }

 private:
  friend class PooledConnection;
  void Return(std::unique_ptr<Connection> conn);
  payments::Result<std::unique_ptr<Connection>> OpenLocked(std::unique_lock<std::mutex>& lock);
  void NoteFailureLocked();
  // Forgets a broken connection (not idle, counted in open_) and the idle
  // ones opened before it.
  void DropBrokenLocked(const Connection& conn);

  const PoolOptions options_;
  mutable std::mutex mu_;
  fibers::CondVar available_;  // a fiber waiting for a connection parks
  std::deque<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
  int busy_ = 0;
  bool closed_ = false;
  bool need_reconnect_ = false;  // the next successful open counts as a reconnect
  std::chrono::steady_clock::time_point backoff_until_{};
  std::chrono::milliseconds backoff_{0};
  std::mt19937_64 rng_{std::random_device{}()};
  PoolStats counters_;
};

}  // namespace payments::db
