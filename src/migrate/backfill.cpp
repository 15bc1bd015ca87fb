#include "migrate/backfill.h"

#include <fmt/format.h>

#include <random>
#include <thread>

namespace payments::migrate {
namespace {

std::string Detail(const Error& e) {
  std::string d = e.detail.empty() ? e.message : e.detail;
  for (std::string_view prefix : {"query: ", "script: "}) {
    if (d.starts_with(prefix)) d.erase(0, prefix.size());
  }
  return d;
}

bool IsRetryable(const Error& e) {
  return e.sqlstate == db::kLockNotAvailable || e.sqlstate == db::kDeadlockDetected ||
         e.sqlstate == db::kSerializationFailure;
}

struct Registered {
  std::string table;
  std::string key;
  std::string set;
  std::string condition;
  std::string origin;
  std::optional<std::string> last_key;
  int64_t rows_updated = 0;
  int64_t keys_done = 0;
  bool done = false;
};

payments::Result<Registered> Load(db::Connection& conn, int64_t version, int ordinal) {
  auto rows = conn.Exec(
      "SELECT table_name, key_column, set_sql, condition_sql, origin, last_key, rows_updated, "
      "keys_done, state FROM schema_backfills WHERE version = $1 AND ordinal = $2",
      db::Params().Add(version).Add(ordinal));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) {
    return std::unexpected(Error::Internal(
        fmt::format("backfill {} of migration {} is not registered", ordinal, version)));
  }
  Registered r;
  r.table = rows->String(0, 0);
  r.key = rows->String(0, 1);
  r.set = rows->String(0, 2);
  r.condition = rows->String(0, 3);
  r.origin = rows->String(0, 4);
  r.last_key = rows->OptionalString(0, 5);
  r.rows_updated = rows->Int64(0, 6);
  r.keys_done = rows->Int64(0, 7);
  r.done = rows->Text(0, 8) == "done";
  return r;
}

// The planner's row estimate, or an exact count for small tables (whose
// estimate may be missing before the first ANALYZE).
int64_t EstimateRows(db::Connection& conn, const std::string& table) {
  auto est = conn.Exec("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1)",
                       db::Params().Add(table));
  if (est && !est->empty() && !est->IsNull(0, 0) && est->Int64(0, 0) >= 100'000) {
    return est->Int64(0, 0);
  }
  auto count = conn.Exec(fmt::format("SELECT count(*) FROM {}", QuoteTableName(table)));
  return count && !count->empty() ? count->Int64(0, 0) : 0;
}

}  // namespace

std::chrono::milliseconds RetryBackoff(int attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t ms = initial.count();
  for (int i = 1; i < attempt && ms < max.count(); ++i) ms *= 2;
  ms = std::min<int64_t>(ms, max.count());
  // Half fixed, half jitter: retries of several migrators do not line up.
  std::uniform_int_distribution<int64_t> jitter(0, ms / 2);
  return std::chrono::milliseconds(ms / 2 + jitter(rng));
}

payments::Status RegisterBackfill(db::Connection& conn, int64_t version, const BackfillSpec& spec) {
  auto key = conn.Exec(
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
      "a.attnum = ANY (i.indkey) WHERE i.indrelid = to_regclass($1) AND i.indisprimary",
      db::Params().Add(spec.table));
  if (!key) return std::unexpected(key.error());
  if (key->size() != 1) {
    return std::unexpected(Error::InvalidRequest(
        "backfill_needs_primary_key",
        fmt::format("{}: table {} {}; a backfill walks a single-column primary key", spec.origin,
                    spec.table,
                    key->empty() ? "does not exist or has no primary key"
                                 : "has a primary key of several columns")));
  }
  auto r = conn.Exec(
      "INSERT INTO schema_backfills (version, ordinal, table_name, key_column, set_sql, "
      "condition_sql, origin) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (version, ordinal) DO UPDATE SET table_name = EXCLUDED.table_name, "
      "key_column = EXCLUDED.key_column, set_sql = EXCLUDED.set_sql, "
      "condition_sql = EXCLUDED.condition_sql, origin = EXCLUDED.origin, last_key = NULL, "
      "rows_updated = 0, keys_done = 0, state = 'pending', started_at = NULL, "
      "updated_at = NULL, finished_at = NULL",
      db::Params()
          .Add(version)
          .Add(spec.ordinal)
          .Add(spec.table)
          .Add(key->String(0, 0))
          .Add(spec.set)
          .Add(spec.condition)
          .Add(spec.origin));
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Status RunBackfill(db::Connection& conn, int64_t version, int ordinal,
                             const BackfillOptions& options) {
  auto reg = Load(conn, version, ordinal);
  if (!reg) return std::unexpected(reg.error());
  if (reg->done) return {};
  BackfillProgress progress;
  progress.version = version;
  progress.ordinal = ordinal;
  progress.table = reg->table;
  progress.origin = reg->origin;
  progress.keys_done = reg->keys_done;
  progress.rows_updated = reg->rows_updated;
  progress.resumed = reg->last_key.has_value();
  progress.keys_total = std::max(EstimateRows(conn, reg->table), reg->keys_done);
  if (auto s = conn.Exec(
          "UPDATE schema_backfills SET state = 'running', started_at = coalesce(started_at, "
          "now()), updated_at = now() WHERE version = $1 AND ordinal = $2",
          db::Params().Add(version).Add(ordinal));
      !s) {
    return std::unexpected(s.error());
  }

  const std::string table = QuoteTableName(reg->table);
  const std::string key = db::QuoteIdentifier(reg->key);
  const std::string cond = reg->condition.empty() ? "" : " AND (" + reg->condition + ")";
  const std::string first_bound = fmt::format(
      "SELECT max(k)::text, count(*) FROM (SELECT {0} AS k FROM {1} ORDER BY {0} LIMIT $1) s", key,
      table);
  const std::string next_bound = fmt::format(
      "SELECT max(k)::text, count(*) FROM (SELECT {0} AS k FROM {1} WHERE {0} > $2 ORDER BY {0} "
      "LIMIT $1) s",
      key, table);
  const std::string first_update =
      fmt::format("UPDATE {} SET {} WHERE {} <= $1{}", table, reg->set, key, cond);
  const std::string next_update =
      fmt::format("UPDATE {} SET {} WHERE {} > $2 AND {} <= $1{}", table, reg->set, key, key, cond);
  // A batch commits asynchronously: it does not wait for its WAL to reach
  // disk, so it does not compete with payments for flushes. A crash may lose
  // the last batches, but each loses its checkpoint with it (same
  // transaction), and the resumed run simply does them again.
  const std::string settings = fmt::format(
      "SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}; "
      "SET LOCAL synchronous_commit = off",
      options.lock_timeout.count(), options.statement_timeout.count());

  std::optional<std::string> last = reg->last_key;
  const auto started = std::chrono::steady_clock::now();
  int64_t keys_this_run = 0;
  int attempt = 0;
  while (true) {
    // One batch: find the next key range, update it, move the checkpoint.
    auto batch = [&]() -> payments::Result<bool> {
      if (auto b = conn.ExecScript("BEGIN; " + settings); !b) return std::unexpected(b.error());
      db::Params bound_params;
      bound_params.Add(options.batch_size);
      if (last) bound_params.Add(*last);
      auto bound = conn.Exec(last ? next_bound : first_bound, bound_params);
      if (!bound) return std::unexpected(bound.error());
      const int64_t visited = bound->Int64(0, 1);
      if (visited == 0) {
        auto done = conn.Exec(
            "UPDATE schema_backfills SET state = 'done', finished_at = now(), updated_at = now() "
            "WHERE version = $1 AND ordinal = $2",
            db::Params().Add(version).Add(ordinal));
        if (!done) return std::unexpected(done.error());
        if (auto c = conn.Exec("COMMIT"); !c) return std::unexpected(c.error());
        return true;
      }
      const std::string hi = bound->String(0, 0);
      db::Params update_params;
      update_params.Add(hi);
      if (last) update_params.Add(*last);
      auto updated = conn.Exec(last ? next_update : first_update, update_params);
      if (!updated) return std::unexpected(updated.error());
      auto checkpoint = conn.Exec(
          "UPDATE schema_backfills SET last_key = $3, rows_updated = rows_updated + $4, "
          "keys_done = keys_done + $5, updated_at = now() WHERE version = $1 AND ordinal = $2",
          db::Params().Add(version).Add(ordinal).Add(hi).Add(updated->affected()).Add(visited));
      if (!checkpoint) return std::unexpected(checkpoint.error());
      if (auto c = conn.Exec("COMMIT"); !c) return std::unexpected(c.error());
      last = hi;
      progress.keys_done += visited;
      progress.rows_updated += updated->affected();
      keys_this_run += visited;
      return false;
    };
    auto result = batch();
    if (!result) {
      if (conn.in_transaction()) (void)conn.Exec("ROLLBACK");
      if (IsRetryable(result.error()) && ++attempt <= options.lock_retries) {
        const auto wait = RetryBackoff(attempt, options.backoff_initial, options.backoff_max);
        if (options.on_retry) {
          options.on_retry(
              fmt::format("backfill of {} ({}): {}; retrying the batch in {} ms (attempt {} of {})",
                          reg->table, reg->origin, Detail(result.error()), wait.count(),
                          attempt + 1, options.lock_retries + 1));
        }
        std::this_thread::sleep_for(wait);
        continue;
      }
      Error e = result.error();
      e.message = fmt::format("backfill of {} ({}) failed after key {}: {}", reg->table,
                              reg->origin, last.value_or("(start)"), Detail(result.error()));
      return std::unexpected(std::move(e));
    }
    attempt = 0;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.rows_per_second = seconds > 0 ? keys_this_run / seconds : 0;
    progress.keys_total = std::max(progress.keys_total, progress.keys_done);
    progress.finished = *result;
    if (options.on_progress) options.on_progress(progress);
    if (*result) return {};
    if (options.pause.count() > 0) std::this_thread::sleep_for(options.pause);
  }
}

}  // namespace payments::migrate
