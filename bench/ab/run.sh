#!/usr/bin/env bash
# bench/ab/run.sh: two builds of `payments serve` measured interleaved in one
# run on one PostgreSQL, with pgbench's TPC-B beside them, so that a change's
# cost is read as a ratio against the code before it on the same noisy
# machine (bench/README.md, "A/B runs").
#
#   build/pg_harness -- bench/ab/run.sh BEFORE_BINARY AFTER_BINARY
#
# Each round runs, in an order that alternates between rounds: TPC-B at C,
# BEFORE's create workload at C, AFTER's; each service started afresh on the
# same database and warmed up. Prints every round and the medians; the
# create ratio is payments/s ÷ TPC-B transactions/s of the same round; the
# service's CPU and PostgreSQL's WAL flushes (pg_stat_wal.wal_sync) are
# given per payment.
#
# Environment: AB_ROUNDS [5], AB_DURATION [8] seconds per run, AB_CLIENTS [8],
# AB_WARMUP [2] seconds, AB_ENV extra "NAME=value ..." for both services.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BEFORE=$(realpath "${1:?the binary before the change}")
AFTER=$(realpath "${2:?the binary after the change}")
ROUNDS=${AB_ROUNDS:-5}
DURATION=${AB_DURATION:-8}
C=${AB_CLIENTS:-8}
WARMUP=${AB_WARMUP:-2}
PATH="/usr/lib/postgresql/15/bin:$PATH"
[[ -n "${PAYMENTS_TEST_PG:-}" ]] || { echo "run under build/pg_harness" >&2; exit 2; }
SOCKET_DIR=$(sed -n "s/.*host='\([^']*\)'.*/\1/p" <<<"$PAYMENTS_TEST_PG")
PG_PORT=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$PAYMENTS_TEST_PG")
PG_ARGS=(-h "$SOCKET_DIR" -p "$PG_PORT" -U postgres)
DB_URL="host='$SOCKET_DIR' port=$PG_PORT user=postgres dbname=payments"
WORK=$(mktemp -d /tmp/payments-ab.XXXXXX)
export PAYMENTS_FINGERPRINT_KEY="${PAYMENTS_FINGERPRINT_KEY:-bench-fingerprint-key-0123456789abcdef}"
# The per-key limit stays on, far above what one key sends here: its
# bookkeeping is part of what is measured, its refusals are not.
export PAYMENTS_RATE_LIMIT="${PAYMENTS_RATE_LIMIT:-1000000}"
# A build that starts the sandbox processor as its child keeps its journal here.
export PAYMENTS_SANDBOX_JOURNAL="$WORK/sandbox.journal"
export PAYMENTS_RATE_LIMIT_BURST="${PAYMENTS_RATE_LIMIT_BURST:-1000000}"

sql() { psql "${PG_ARGS[@]}" -d "${2:-postgres}" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
sql "CREATE DATABASE pgbench"
sql "CREATE DATABASE payments"
pgbench "${PG_ARGS[@]}" -i -q -s 32 pgbench >"$WORK/pgbench-init.log" 2>&1
PAYMENTS_DATABASE_URL="$DB_URL" "$AFTER" migrate up >"$WORK/migrate.log" 2>&1
KEY=$(PAYMENTS_DATABASE_URL="$DB_URL" "$AFTER" merchants create --name ab --json |
  grep -o '"secret_key":"[^"]*"' | cut -d'"' -f4)
export BENCH_API_KEY="$KEY" BENCH_LUA_DIR="$ROOT/bench/lua"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# service_rps BINARY TAG: payments/s of the create workload.
service_rps() {
  local bin=$1 tag=$2 public admin pid
  public="127.0.0.1:$(free_port)"
  admin="127.0.0.1:$(free_port)"
  # shellcheck disable=SC2086
  env ${AB_ENV:-} PAYMENTS_DATABASE_URL="$DB_URL" PAYMENTS_LISTEN="$public" \
    PAYMENTS_ADMIN_LISTEN="$admin" PAYMENTS_DRAIN_DELAY=0 "$bin" serve >"$WORK/$tag.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do curl -fs -o /dev/null "http://$admin/readyz" && break; sleep 0.1; done
  BENCH_RUN_ID="$tag-warm" wrk -t 2 -c "$C" -d "${WARMUP}s" -s "$ROOT/bench/lua/create.lua" \
    "http://$public" >/dev/null 2>&1
  local cpu_before cpu_after wal_before wal_after
  wal_before=$(wal_syncs)
  cpu_before=$(cpu_ticks "$pid")
  BENCH_RUN_ID="$tag" wrk -t 2 -c "$C" -d "${DURATION}s" --timeout 10s \
    -s "$ROOT/bench/lua/create.lua" "http://$public" >"$WORK/$tag.wrk" 2>&1
  cpu_after=$(cpu_ticks "$pid")
  kill -TERM "$pid"
  wait "$pid" || true
  sleep 1  # backends report their WAL statistics within a second
  wal_after=$(wal_syncs)
  # Only 200s count: a refused request is not a payment. Prints payments/s
  # and the service's CPU (user + system) per payment in microseconds: the
  # second is what a change adds to each payment, and is far less disturbed
  # by the machine's other tenants than the first.
  python3 - "$WORK/$tag.wrk" "$DURATION" "$((cpu_after - cpu_before))" "$(getconf CLK_TCK)" \
    "$((wal_after - wal_before))" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r'BENCH_JSON (\{.*\})', text)
statuses = json.loads(m.group(1))["statuses"] if m else {}
ok = statuses.get("200", 0)
cpu_us = int(sys.argv[3]) / int(sys.argv[4]) * 1e6
print(f'{ok / float(sys.argv[2]):.0f} {cpu_us / max(ok, 1):.1f} {int(sys.argv[5]) / max(ok, 1):.3f}')
PY
}

# wal_syncs: WAL flushes to disk so far (the server's; the other databases are idle).
wal_syncs() { sql "SELECT wal_sync FROM pg_stat_wal"; }

# cpu_ticks PID: the process's user + system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

tpcb_tps() {
  pgbench "${PG_ARGS[@]}" -c "$C" -j 2 -T "$DURATION" pgbench 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' | cut -d. -f1
}

echo "round  tpcb  before  after  before/tpcb  after/tpcb  after/before  cpu_us_before  cpu_us_after  wal_before  wal_after"
declare -a RB RA RT CB CA WB WA
for r in $(seq "$ROUNDS"); do
  t=$(tpcb_tps)
  if ((r % 2)); then
    read -r b cb wb < <(service_rps "$BEFORE" "r$r-before"); read -r a ca wa < <(service_rps "$AFTER" "r$r-after")
  else
    read -r a ca wa < <(service_rps "$AFTER" "r$r-after"); read -r b cb wb < <(service_rps "$BEFORE" "r$r-before")
  fi
  RT+=("$t"); RB+=("$b"); RA+=("$a"); CB+=("$cb"); CA+=("$ca"); WB+=("$wb"); WA+=("$wa")
  awk -v r="$r" -v t="$t" -v b="$b" -v a="$a" -v cb="$cb" -v ca="$ca" -v wb="$wb" -v wa="$wa" \
    'BEGIN { printf "%5d %5d %7d %6d %12.3f %11.3f %13.3f %14.1f %13.1f %11.3f %10.3f\n", r, t, b, a, b / t, a / t, a / b, cb, ca, wb, wa }'
done
python3 - "${RT[*]}" "${RB[*]}" "${RA[*]}" "${CB[*]}" "${CA[*]}" "${WB[*]}" "${WA[*]}" <<'PY'
import statistics, sys
t, b, a, cb, ca, wb, wa = ([float(x) for x in s.split()] for s in sys.argv[1:8])
rb = statistics.median(x / y for x, y in zip(b, t))
ra = statistics.median(x / y for x, y in zip(a, t))
print(f"median  tpcb {statistics.median(t):.0f}  before {statistics.median(b):.0f}  "
      f"after {statistics.median(a):.0f}")
print(f"median create ratio: before {rb:.3f}, after {ra:.3f}: after/before {ra / rb:.3f}; "
      f"per-round after/before median {statistics.median(x / y for x, y in zip(a, b)):.3f}")
mb, ma = statistics.median(cb), statistics.median(ca)
print(f"median service CPU per payment: before {mb:.1f} us, after {ma:.1f} us: after/before "
      f"{ma / mb:.3f}; per-round median {statistics.median(x / y for x, y in zip(ca, cb)):.3f}")
print(f"median WAL flushes per payment: before {statistics.median(wb):.3f}, "
      f"after {statistics.median(wa):.3f}")
PY
rm -rf "$WORK"
