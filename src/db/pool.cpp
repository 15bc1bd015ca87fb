#include "db/pool.h"

#include <algorithm>
#include <utility>

namespace payments::db {

using Clock = std::chrono::steady_clock;

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    conn_ = std::move(other.conn_);
  }
  return *this;
}

PooledConnection::~PooledConnection() { Release(); }

void PooledConnection::Release() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Return(std::move(conn_));
  pool_ = nullptr;
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {}

Pool::~Pool() { Close(); }

void Pool::NoteFailureLocked() {
  counters_.connect_failures++;
  need_reconnect_ = true;
  backoff_ = backoff_.count() == 0 ? options_.backoff_initial
                                   : std::min(options_.backoff_max, backoff_ * 2);
  // Full jitter: instances that lost the database together do not all come
  // back in the same millisecond.
  std::uniform_int_distribution<int64_t> jitter(0, backoff_.count());
  backoff_until_ = Clock::now() + std::chrono::milliseconds(jitter(rng_));
}

void Pool::DropBrokenLocked(const Connection& conn) {
  --open_;
  counters_.broken++;
  need_reconnect_ = true;
  // Idle connections at least as old as this one most likely died with it.
  const auto opened_at = conn.opened_at();
  const size_t before = idle_.size();
  std::erase_if(idle_,
                [&](const std::unique_ptr<Connection>& c) { return c->opened_at() <= opened_at; });
  open_ -= static_cast<int>(before - idle_.size());
}

payments::Result<std::unique_ptr<Connection>> Pool::OpenLocked(std::unique_lock<std::mutex>& lock) {
  ++open_;
  lock.unlock();
  auto conn = Connection::Open(options_.connect);
  lock.lock();
  if (!conn) {
    --open_;
    NoteFailureLocked();
    available_.NotifyOne();
    return std::unexpected(conn.error());
  }
  counters_.opened++;
  if (need_reconnect_) counters_.reconnects++;
  need_reconnect_ = false;
  backoff_ = std::chrono::milliseconds(0);
  backoff_until_ = {};
  return std::move(*conn);
}

payments::Result<PooledConnection> Pool::Acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = Clock::now() + options_.acquire_timeout;
  bool waited = false;
  while (true) {
    if (closed_) return std::unexpected(Error::Unavailable("database pool closed"));
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->ClosedWhileIdle()) {
        // Found before the caller sends anything, so no request spends a
        // round trip (or an unknown outcome) on it; the next one is tried.
        DropBrokenLocked(*conn);
        lock.unlock();
        conn.reset();  // PQfinish outside the lock
        lock.lock();
        continue;
      }
      ++busy_;
      return PooledConnection(this, std::move(conn));
    }
    if (open_ < options_.size) {
      if (Clock::now() < backoff_until_) {
        return std::unexpected(
            Error::Unavailable("database unavailable", "reconnecting (in backoff)"));
      }
      auto conn = OpenLocked(lock);
      if (!conn) return std::unexpected(conn.error());
      ++busy_;
      return PooledConnection(this, std::move(*conn));
    }
    if (!waited) {
      counters_.waits++;
      waited = true;
    }
    if (!available_.WaitUntil(lock, deadline) && idle_.empty() && open_ >= options_.size) {
      counters_.timeouts++;
      return std::unexpected(Error::Unavailable("database busy", "connection pool exhausted"));
    }
  }
}

payments::Status Pool::Probe() {
  std::unique_lock lock(mu_);
  if (closed_) return std::unexpected(Error::Unavailable("database pool closed"));
  std::unique_ptr<Connection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.front());
    idle_.pop_front();
    ++busy_;
  } else if (open_ < options_.size) {
    auto opened = OpenLocked(lock);
    if (!opened) return std::unexpected(opened.error());
    conn = std::move(*opened);
    ++busy_;
  } else {
    // Every connection is leased, so the database answered recently enough.
    return {};
  }
  lock.unlock();
  PooledConnection lease(this, std::move(conn));
  auto rows = lease->Exec("SELECT 1");
  if (!rows) return std::unexpected(rows.error());
  return {};
}

void Pool::Return(std::unique_ptr<Connection> conn) {
  std::unique_lock lock(mu_);
  --busy_;
  if (closed_ || conn->broken() || conn->in_transaction()) {
    if (conn->broken()) {
      DropBrokenLocked(*conn);
    } else {
      --open_;
    }
    available_.NotifyAll();
    lock.unlock();
    conn.reset();  // PQfinish outside the lock
    return;
  }
  idle_.push_back(std::move(conn));
  available_.NotifyOne();
}

void Pool::Close() {
  std::deque<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
    available_.NotifyAll();
  }
}

PoolStats Pool::Stats() const {
  std::lock_guard lock(mu_);
  PoolStats s = counters_;
  s.size = options_.size;
  s.open = open_;
  s.busy = busy_;
  s.healthy = backoff_.count() == 0;
  return s;
}

}  // namespace payments::db
