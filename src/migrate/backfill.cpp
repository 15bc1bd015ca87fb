#include "migrate/backfill.h"

#include <fmt/format.h>

#include <thread>

#include "migrate/retry.h"

namespace payments::migrate {
namespace {

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
  // One batch is one statement (one round trip, one transaction): find the
  // next key range, update it, move the checkpoint. The first batch has no
  // lower bound. When the range is empty the backfill is done.
  auto batch_sql = [&](bool from_start) {
    const std::string after = from_start ? "" : fmt::format("{} > $4 AND ", key);
    return fmt::format(
        "WITH bound AS (SELECT max(k) AS hi, count(*) AS n FROM (SELECT {key} AS k FROM {table} "
        "{where} ORDER BY {key} LIMIT $3) s), "
        "upd AS (UPDATE {table} SET {set} WHERE {after}{key} <= (SELECT hi FROM bound){cond} "
        "RETURNING 1), "
        "mark AS (UPDATE schema_backfills SET last_key = coalesce((SELECT hi::text FROM bound), "
        "last_key), rows_updated = rows_updated + (SELECT count(*) FROM upd), keys_done = "
        "keys_done + (SELECT n FROM bound), updated_at = now(), state = CASE WHEN (SELECT n FROM "
        "bound) = 0 THEN 'done' ELSE state END, finished_at = CASE WHEN (SELECT n FROM bound) = 0 "
        "THEN now() END WHERE version = $1 AND ordinal = $2 RETURNING 1) "
        "SELECT (SELECT hi::text FROM bound), (SELECT n FROM bound), (SELECT count(*) FROM upd), "
        "(SELECT count(*) FROM mark)",
        fmt::arg("key", key), fmt::arg("table", table),
        fmt::arg("where", from_start ? "" : fmt::format("WHERE {} > $4", key)),
        fmt::arg("set", reg->set), fmt::arg("after", after), fmt::arg("cond", cond));
  };
  const std::string first_batch = batch_sql(true);
  const std::string next_batch = batch_sql(false);
  // Batches commit asynchronously: they do not wait for their WAL to reach
  // disk. A crash may lose the last batches, but each loses its checkpoint
  // with it (same transaction), and the resumed run does them again.
  if (auto s = conn.ExecScript(fmt::format(
          "SET lock_timeout = {}; SET statement_timeout = {}; SET synchronous_commit = off",
          options.lock_timeout.count(), options.statement_timeout.count()));
      !s) {
    return std::unexpected(s.error());
  }
  struct ResetSettings {
    db::Connection& conn;
    ~ResetSettings() {
      (void)conn.ExecScript(
          "RESET lock_timeout; RESET statement_timeout; RESET synchronous_commit");
    }
  } reset{conn};

  std::optional<std::string> last = reg->last_key;
  const auto started = std::chrono::steady_clock::now();
  int64_t keys_this_run = 0;
  int attempt = 0;
  while (true) {
    auto batch = [&]() -> payments::Result<bool> {
      db::Params params;
      params.Add(version).Add(ordinal).Add(options.batch_size);
      if (last) params.Add(*last);
      auto r = conn.Exec(last ? next_batch : first_batch, params);
      if (!r) return std::unexpected(r.error());
      if (r->Int64(0, 3) != 1) {
        return std::unexpected(Error::Internal("the backfill's checkpoint row is gone"));
      }
      const int64_t visited = r->Int64(0, 1);
      if (visited == 0) return true;
      last = r->String(0, 0);
      progress.keys_done += visited;
      progress.rows_updated += r->Int64(0, 2);
      keys_this_run += visited;
      return false;
    };
    auto result = batch();
    if (!result) {
      if (IsRetryable(result.error()) && ++attempt <= options.lock_retries) {
        const auto wait = RetryBackoff(attempt, options.backoff_initial, options.backoff_max);
        if (options.on_retry) {
          options.on_retry(
              fmt::format("backfill of {} ({}): {}; retrying the batch in {} ms (attempt {} of {})",
                          reg->table, reg->origin, ErrorDetail(result.error()), wait.count(),
                          attempt + 1, options.lock_retries + 1));
        }
        std::this_thread::sleep_for(wait);
        continue;
      }
      Error e = result.error();
      e.message = fmt::format("backfill of {} ({}) failed after key {}: {}", reg->table,
                              reg->origin, last.value_or("(start)"), ErrorDetail(result.error()));
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
