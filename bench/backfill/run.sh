#!/usr/bin/env bash
# Backfill benchmark (not a test): a 1,000,000-row payments table (the real
# schema from migrations/), a steady stream of payment inserts from pgbench at
# a fixed rate, and `payments migrate up` running a batched backfill of a new
# column meanwhile. Reports the backfill's rows/s and the p50/p99/max latency
# of the inserts before the backfill (alone) and during it, and their ratio;
# RUNS times on a fresh database each, then the medians.
#
#   bench/backfill/run.sh                          # the defaults below
#   BATCH=500 PAUSE=20 bench/backfill/run.sh       # the engine's throttles
#   MODE=transition bench/backfill/run.sh          # a column transition (trigger + backfill)
#   FILLFACTOR=85 bench/backfill/run.sh            # room in each page for HOT updates
#   ROWS=200000 RUNS=1 bench/backfill/run.sh       # a quick look
#   PG_SETTINGS="wal_compression=on" bench/backfill/run.sh   # reloadable server settings
#
# It starts its own PostgreSQL through build/pg_harness; needs pgbench (Debian
# postgresql-contrib) and a build (make build).
set -euo pipefail
[[ -n "${BENCH_DEBUG:-}" ]] && set -x
cd "$(dirname "$0")/../.."

BUILD_DIR=${BUILD_DIR:-build}
MODE=${MODE:-backfill}  # backfill | transition
ROWS=${ROWS:-1000000}
RATE=${RATE:-200}  # inserts per second, steady
CLIENTS=${CLIENTS:-4}
BATCH=${BATCH:-20}  # migrate up --batch-size
PAUSE=${PAUSE:-5}    # migrate up --pause (ms)
BASELINE_SECONDS=${BASELINE_SECONDS:-30}
RUNS=${RUNS:-3}
FILLFACTOR=${FILLFACTOR:-100}  # of the payments table; below 100 leaves room for HOT updates
WARMUP_SECONDS=5
MAX_SECONDS=1800  # pgbench stops by itself after this at the latest
LOCK_TIMEOUT_US=1000000

calc() {  # expression [format]
  awk "BEGIN { printf \"${2:-%.6f}\", $1 }"
}

if [[ "${1:-}" != "--inside" ]]; then
  for f in "$BUILD_DIR/payments" "$BUILD_DIR/pg_harness"; do
    [[ -x $f ]] || { echo "backfill bench: $f missing; run make build" >&2; exit 1; }
  done
  command -v pgbench >/dev/null || { echo "backfill bench: pgbench missing" >&2; exit 1; }
  echo "backfill bench: mode $MODE, $ROWS rows, $RATE inserts/s from $CLIENTS clients," \
    "batch $BATCH, pause ${PAUSE}ms, fillfactor $FILLFACTOR, $RUNS run(s), $(nproc) cores," \
    "settings: ${PG_SETTINGS:-defaults}"
  results=$(mktemp)
  trap 'rm -f "$results"' EXIT
  for run in $(seq "$RUNS"); do
    # Not `tee /dev/stderr`: reopening a redirected stderr truncates its file.
    "$BUILD_DIR/pg_harness" -- "$0" --inside 2>&1 | tee >(cat >&2) | grep '^result ' >>"$results"
  done
  # result rows/s base_p50 base_p99 base_max fill_p50 fill_p99 fill_max over
  median() {  # column
    awk -v c="$1" '{print $c}' "$results" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
  }
  ms() { calc "$1 / 1000" %.1f; }
  echo
  echo "per run: rows/s, inserts alone p50/p99/max, inserts + backfill p50/p99/max (ms), ratio p50 p99"
  while read -r _ rps b50 b99 bmax f50 f99 fmax _ r50 r99; do
    echo "  $rps  $(ms "$b50")/$(ms "$b99")/$(ms "$bmax")  $(ms "$f50")/$(ms "$f99")/$(ms "$fmax")  $r50 $r99"
  done <"$results"
  echo "backfill bench, medians of $(wc -l <"$results") run(s) ($MODE, batch $BATCH, pause ${PAUSE}ms," \
    "fillfactor $FILLFACTOR, $RATE inserts/s, settings: ${PG_SETTINGS:-defaults}):"
  echo "  backfill:            $(median 2) rows/s"
  echo "  inserts alone:       p50 $(ms "$(median 3)") ms  p99 $(ms "$(median 4)") ms  max $(ms "$(median 5)") ms"
  echo "  inserts + backfill:  p50 $(ms "$(median 6)") ms  p99 $(ms "$(median 7)") ms  max $(ms "$(median 8)") ms"
  echo "  ratio (+backfill/alone, per run, then median): p50 $(median 10)  p99 $(median 11)  (target p99 <= 1.5)"
  echo "  inserts waiting over lock_timeout (1 s): $(awk '{s += $9} END {print s}' "$results") in all runs"
  exit 0
fi

PAYMENTS="$BUILD_DIR/payments"
ADMIN="$PAYMENTS_TEST_PG"
DB="$ADMIN dbname=bench"
WORK=$(mktemp -d /tmp/payments-backfill-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

psql -q "$ADMIN" -c "CREATE DATABASE bench" >/dev/null
# PG_SETTINGS="wal_compression=on max_wal_size=4GB": server settings that need
# no restart, to measure under a production-like configuration.
for kv in ${PG_SETTINGS:-}; do
  psql -q "$ADMIN" -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >/dev/null
done
[[ -n "${PG_SETTINGS:-}" ]] && psql -q "$ADMIN" -c "SELECT pg_reload_conf()" >/dev/null
mkdir "$WORK/migrations"
cp migrations/*.sql "$WORK/migrations/"
LAST=$(ls migrations/ | grep -E '^[0-9]+_[a-z0-9_]+\.sql$' | sed 's/_.*//' | sort -n | tail -1)
"$PAYMENTS" migrate up --database-url "$DB" --dir "$WORK/migrations" --to "$((10#$LAST))" >/dev/null

echo "backfill bench: loading $ROWS payments"
psql -q "$DB" <<SQL >/dev/null
ALTER TABLE payments SET (fillfactor = $FILLFACTOR);
INSERT INTO merchants (id, name) VALUES ('mer_bench', 'Bench');
INSERT INTO payments (id, merchant_id, amount, currency, status, amount_captured, amount_refunded,
                      card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint,
                      processor, description, created_at, updated_at)
SELECT 'pay_' || lpad(g::text, 26, '0'), 'mer_bench', 100 + g % 10000, 'eur', 'captured',
       100 + g % 10000, (g % 7) * 10, 'visa', '4242', 1 + g % 12, 2030, md5(g::text), 'sandbox',
       'order ' || g, now() - make_interval(secs => g), now()
FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE payments;
CHECKPOINT;
SQL

cat >"$WORK/insert.sql" <<'SQL'
INSERT INTO payments (id, merchant_id, amount, currency, status, card_brand, card_last4,
                      card_exp_month, card_exp_year, card_fingerprint, processor, created_at,
                      updated_at)
VALUES ('pay_b' || md5(random()::text || clock_timestamp()::text), 'mer_bench', 1000, 'eur',
        'authorized', 'visa', '4242', 12, 2030, 'fp', 'sandbox', now(), now());
SQL

if [[ $MODE == transition ]]; then
  cat >"$WORK/migrations/9001_bench_backfill.sql" <<'SQL'
-- migrate:phase expand
-- migrate:transition payments
-- migrate:new-column note text = description
-- migrate:old-column description = note
SQL
else
  cat >"$WORK/migrations/9001_bench_backfill.sql" <<'SQL'
-- migrate:phase expand
-- migrate:backfill UPDATE payments SET amount_net = amount_captured - amount_refunded
--   WHERE amount_net IS NULL
ALTER TABLE payments ADD COLUMN amount_net bigint;
SQL
fi

# The log lines of the transactions that completed within [from, to) epoch
# seconds. pgbench's log: client, transaction, latency (µs), script, epoch s, µs.
window() {  # from to
  cat "$WORK"/ins.* | awk -v from="$1" -v to="$2" '$5 + $6 / 1e6 >= from && $5 + $6 / 1e6 < to'
}

# "count p50 p99 max over_lock_timeout" of the latencies (µs) in log lines on stdin.
percentiles() {
  awk '{print $3}' | sort -n | awk -v lt="$LOCK_TIMEOUT_US" '{a[NR] = $1; if ($1 > lt) over++}
    END {if (NR == 0) {print "0 0 0 0 0"; exit}
         i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
         i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
         print NR, a[i50], a[i99], a[NR], over + 0}'
}

# One steady pgbench run: BASELINE_SECONDS of inserts alone, then the
# backfill. (A window after it would not be "alone": autovacuum and the
# writes of the backfill's dirty pages follow it.)
echo "backfill bench: inserts alone for ${BASELINE_SECONDS}s, then with the backfill"
pgbench -n -c "$CLIENTS" -j 2 -R "$RATE" -T "$MAX_SECONDS" -f "$WORK/insert.sql" \
  -l --log-prefix="$WORK/ins" "$DB" >"$WORK/pgbench.out" 2>&1 &
PGBENCH=$!
sleep "$((WARMUP_SECONDS + BASELINE_SECONDS))"
T0=$(date +%s.%N)
"$PAYMENTS" migrate up --database-url "$DB" --dir "$WORK/migrations" --batch-size "$BATCH" \
  --pause "$PAUSE" >"$WORK/migrate.out" 2>&1 || { cat "$WORK/migrate.out"; exit 1; }
T1=$(date +%s.%N)
sleep 3
kill -TERM "$PGBENCH"  # it loses its last buffered lines, after the windows measured
wait "$PGBENCH" || true

read -r BASE_N BASE_P50 BASE_P99 BASE_MAX BASE_OVER < <(
  window "$(calc "$T0 - $BASELINE_SECONDS")" "$T0" | percentiles)
read -r FILL_N FILL_P50 FILL_P99 FILL_MAX FILL_OVER < <(window "$T0" "$T1" | percentiles)
read -r ROWS_DONE SECONDS_TAKEN <<<"$(psql -At -F ' ' "$DB" -c \
  "SELECT keys_done, extract(epoch FROM finished_at - started_at) FROM schema_backfills WHERE version = 9001")"
RPS=$(calc "$ROWS_DONE / $SECONDS_TAKEN" %.0f)

ms() { calc "$1 / 1000" %.1f; }
line() {  # label n p50 p99 max
  printf '  %-20s n=%-6s p50=%6s ms  p99=%6s ms  max=%6s ms\n' "$1" "$2" "$(ms "$3")" "$(ms "$4")" "$(ms "$5")"
}
echo "backfill bench run ($MODE, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $(psql -At "$DB" -c 'SHOW server_version' | cut -d' ' -f1))"
echo "  backfill:            $ROWS_DONE rows in $(calc "$SECONDS_TAKEN" %.1f) s = $RPS rows/s"
line "inserts alone" "$BASE_N" "$BASE_P50" "$BASE_P99" "$BASE_MAX"
line "inserts + backfill" "$FILL_N" "$FILL_P50" "$FILL_P99" "$FILL_MAX"
echo "  ratio:               p50 $(calc "$FILL_P50 / $BASE_P50" %.2f)  p99 $(calc "$FILL_P99 / $BASE_P99" %.2f)"
echo "result $RPS $BASE_P50 $BASE_P99 $BASE_MAX $FILL_P50 $FILL_P99 $FILL_MAX $FILL_OVER" \
  "$(calc "$FILL_P50 / $BASE_P50" %.2f) $(calc "$FILL_P99 / $BASE_P99" %.2f)"
