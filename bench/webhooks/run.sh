#!/usr/bin/env bash
# bench/webhooks/run.sh: what delivering webhooks costs the create workload,
# and how fast and how late the deliveries arrive (bench/README.md,
# "Webhooks"; docs/webhooks.md).
#
#   build/pg_harness -- bench/webhooks/run.sh [PAYMENTS_BINARY]    # default build/payments
#
# One `payments serve` (http endpoints allowed on 127.0.0.1 only, the per-key
# rate limit raised as bench/ab/run.sh does) on a fresh database, one merchant
# with one endpoint subscribed to "*": build/bench-tools/webhook_sink
# (bench/tools/webhook_sink.cpp), which answers 200 at once and measures every
# arrival.
#
# 1. Warm-up (WH_WARMUP s, before the endpoint exists: not delivered), then
#    the endpoint is created, then the create workload (bench/lua/create.lua,
#    wrk -t 2 -c WH_CLIENTS) for WH_DURATION s, then a wait until the
#    service's /metrics shows payments_webhook_backlog 0 and
#    payments_webhook_unrouted_events 0 (and the database agrees), at most
#    WH_DRAIN_TIMEOUT s. Reports payments/s, the events committed, the
#    distinct events delivered ÷ seconds from first to last arrival, the lag
#    of each event's first delivery (arrival − the event's "time") p50/p99/max,
#    and any event committed in the window and not delivered.
# 2. WH_ROUNDS rounds of the same workload (WH_ROUND_DURATION s) with the
#    endpoint enabled and disabled (POST /v1/webhook_endpoints/{id}
#    {"disabled": ...}), interleaved, the order alternating, a fresh sink
#    each. After an enabled round the script waits for the drain as above (at
#    most WH_ROUND_DRAIN_TIMEOUT s), after a disabled one for the routing only
#    (a disabled endpoint's pending deliveries wait for it by design).
#    payments/s enabled ÷ disabled is the cost of delivering (routing is done
#    in both). The service's CPU per payment is given over the load alone and
#    from the load's start to the drain's end (a delivery made after the load
#    counts there).
#
# Environment: WH_CLIENTS [8], WH_DURATION [20], WH_ROUNDS [3] (0: part 1
# only), WH_ROUND_DURATION [20], WH_WARMUP [2], WH_DRAIN_TIMEOUT [120] s,
# WH_ROUND_DRAIN_TIMEOUT [WH_DRAIN_TIMEOUT] s, WH_ENV extra "NAME=value ..."
# for the service (e.g. PAYMENTS_WEBHOOK_POLL_INTERVAL=20, in ms), WH_KEEP=1
# keeps the raw output (wrk, sink summaries and arrivals, service log) in the
# printed directory.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/build/payments}")
SINK=${WEBHOOK_SINK:-$ROOT/build/bench-tools/webhook_sink}
C=${WH_CLIENTS:-8}
DURATION=${WH_DURATION:-20}
ROUNDS=${WH_ROUNDS:-3}
ROUND_DURATION=${WH_ROUND_DURATION:-20}
WARMUP=${WH_WARMUP:-2}
DRAIN_TIMEOUT=${WH_DRAIN_TIMEOUT:-120}
ROUND_DRAIN_TIMEOUT=${WH_ROUND_DRAIN_TIMEOUT:-$DRAIN_TIMEOUT}
PATH="/usr/lib/postgresql/15/bin:$PATH"
[[ -n "${PAYMENTS_TEST_PG:-}" ]] || { echo "run under build/pg_harness" >&2; exit 2; }
if [[ ! -x "$SINK" ]]; then
  cmake -S "$ROOT/bench" -B "$ROOT/build/bench-tools" >/dev/null
  cmake --build "$ROOT/build/bench-tools" -j2 --target webhook_sink >/dev/null
fi
SOCKET_DIR=$(sed -n "s/.*host='\([^']*\)'.*/\1/p" <<<"$PAYMENTS_TEST_PG")
PG_PORT=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$PAYMENTS_TEST_PG")
PG_ARGS=(-h "$SOCKET_DIR" -p "$PG_PORT" -U postgres)
DB_URL="host='$SOCKET_DIR' port=$PG_PORT user=postgres dbname=payments"
WORK=$(mktemp -d /tmp/payments-webhooks.XXXXXX)
echo "raw output: $WORK"
export PAYMENTS_FINGERPRINT_KEY="${PAYMENTS_FINGERPRINT_KEY:-bench-fingerprint-key-0123456789abcdef}"
export PAYMENTS_RATE_LIMIT="${PAYMENTS_RATE_LIMIT:-1000000}"
export PAYMENTS_RATE_LIMIT_BURST="${PAYMENTS_RATE_LIMIT_BURST:-1000000}"
export PAYMENTS_SANDBOX_JOURNAL="$WORK/sandbox.journal"
export PAYMENTS_WEBHOOK_ALLOW_HTTP=true PAYMENTS_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32

SERVICE_PID="" SINK_PID=""
cleanup() {
  exec 7>&- 2>/dev/null || true
  if [[ -n "$SINK_PID" ]]; then kill -TERM "$SINK_PID" 2>/dev/null || true; fi
  if [[ -n "$SERVICE_PID" ]]; then kill -TERM "$SERVICE_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  [[ "${WH_KEEP:-}" == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

sql() { psql "${PG_ARGS[@]}" -d "${2:-payments}" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
now_ms() { date +%s%3N; }
max_seq() { sql "SELECT coalesce(max(seq), 0) FROM events"; }

sql "CREATE DATABASE payments" postgres
PAYMENTS_DATABASE_URL="$DB_URL" "$BIN" migrate up >"$WORK/migrate.log" 2>&1
KEY=$(PAYMENTS_DATABASE_URL="$DB_URL" "$BIN" merchants create --name webhooks-bench --json |
  grep -o '"secret_key":"[^"]*"' | cut -d'"' -f4)
export BENCH_API_KEY="$KEY" BENCH_LUA_DIR="$ROOT/bench/lua"

# start_sink TAG [PORT]: the sink, its stdin a FIFO held open on fd 7 (closing
# it makes the sink print its summary and exit; the service is started without
# fd 7, so that it holds no writer); sets SINK_URL.
start_sink() {
  local tag=$1 port=${2:-0}
  mkfifo "$WORK/$tag.in"
  "$SINK" --port "$port" --log "$WORK/$tag.deliveries" <"$WORK/$tag.in" >"$WORK/$tag.sink" 2>&1 &
  SINK_PID=$!
  exec 7>"$WORK/$tag.in"
  for _ in $(seq 100); do [[ -s "$WORK/$tag.sink" ]] && break; sleep 0.05; done
  SINK_URL=$(head -n 1 "$WORK/$tag.sink")
  [[ "$SINK_URL" == http://* ]] || { echo "the sink did not start: $SINK_URL" >&2; exit 1; }
}
# stop_sink TAG: its JSON summary into $WORK/TAG.summary.
stop_sink() {
  exec 7>&-
  wait "$SINK_PID"
  SINK_PID=""
  tail -n 1 "$WORK/$1.sink" >"$WORK/$1.summary"
}

start_sink load
SINK_PORT=$(sed -n 's#^http://127.0.0.1:\([0-9]*\)/.*#\1#p' <<<"$SINK_URL")
PUBLIC="127.0.0.1:$(free_port)"
ADMIN="127.0.0.1:$(free_port)"
# shellcheck disable=SC2086
env ${WH_ENV:-} PAYMENTS_DATABASE_URL="$DB_URL" PAYMENTS_LISTEN="$PUBLIC" \
  PAYMENTS_ADMIN_LISTEN="$ADMIN" PAYMENTS_DRAIN_DELAY=0 "$BIN" serve >"$WORK/service.log" 2>&1 7>&- &
SERVICE_PID=$!
for _ in $(seq 300); do curl -fs -o /dev/null "http://$ADMIN/readyz" && break; sleep 0.1; done
curl -fs -o /dev/null "http://$ADMIN/readyz" || { echo "the service is not ready" >&2; exit 1; }

metric() { curl -fs "http://$ADMIN/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
# drain TIMEOUT [routing]: waits until the metrics and the database show no
# unrouted event and (unless "routing") no pending delivery; prints the
# seconds it took, or "timeout".
drain() {
  local start deadline backlog=payments_webhook_backlog
  local pending="(SELECT count(*) FROM webhook_deliveries WHERE state = 'pending')"
  if [[ "${2:-}" == routing ]]; then backlog="" pending="0"; fi
  start=$(now_ms)
  deadline=$((start + $1 * 1000))
  sleep 2.2  # the metrics are refreshed every 2 s: not one read before the load ended
  while (($(now_ms) < deadline)); do
    if [[ ( -z "$backlog" || "$(metric "$backlog")" == 0 ) &&
      "$(metric payments_webhook_unrouted_events)" == 0 &&
      "$(sql "SELECT $pending + (SELECT count(*) FROM events WHERE webhooks_routed_at IS NULL)")" == 0 ]]; then
      awk -v a="$start" -v b="$(now_ms)" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'
      return
    fi
    sleep 0.5
  done
  echo timeout
}

# endpoint_post JSON [PATH]: POST to the webhook endpoints API; the answer's body.
endpoint_post() {
  local out status
  out=$(curl -s -w '\n%{http_code}' -X POST "http://$PUBLIC/v1/webhook_endpoints${2:-}" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$1")
  status=${out##*$'\n'}
  [[ "$status" == 2* ]] || { echo "POST /v1/webhook_endpoints${2:-}: $status ${out%$'\n'*}" >&2; exit 1; }
  printf '%s\n' "${out%$'\n'*}"
}

# load TAG SECONDS DRAIN_TIMEOUT [routing]: the create workload, then the
# drain. Writes TAG.run: "payments_per_s non_2xx socket_errors
# cpu_us_per_payment_load cpu_us_per_payment_load_and_drain drain_s
# load_end_unix_ms".
load() {
  local tag=$1 secs=$2 c0 c1 c2 end drained
  c0=$(cpu_ticks "$SERVICE_PID")
  BENCH_RUN_ID="$tag" wrk -t 2 -c "$C" -d "${secs}s" --timeout 10s \
    -s "$ROOT/bench/lua/create.lua" "http://$PUBLIC" >"$WORK/$tag.wrk" 2>&1
  c1=$(cpu_ticks "$SERVICE_PID")
  end=$(now_ms)
  drained=$(drain "$3" "${4:-}")
  c2=$(cpu_ticks "$SERVICE_PID")
  python3 - "$WORK/$tag.wrk" "$secs" "$((c1 - c0))" "$((c2 - c0))" "$(getconf CLK_TCK)" \
    "$drained" "$end" >"$WORK/$tag.run" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r'BENCH_JSON (\{.*\})', text)
statuses = json.loads(m.group(1))["statuses"] if m else {}
ok = statuses.get("200", 0)
lua_non2xx = sum(v for k, v in statuses.items() if not k.startswith("2"))
m = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
non2xx = max(lua_non2xx, int(m.group(1)) if m else 0)
m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', text)
errors = sum(int(x) for x in m.groups()) if m else 0
load_us, all_us = (int(x) / int(sys.argv[5]) * 1e6 / max(ok, 1) for x in sys.argv[3:5])
print(f'{ok / float(sys.argv[2]):.0f} {non2xx} {errors} {load_us:.1f} {all_us:.1f} {sys.argv[6]} {sys.argv[7]}')
PY
}

# window TAG S0 S1: the ids of the events committed in seq (S0, S1].
window() { sql "SELECT id FROM events WHERE seq > $2 AND seq <= $3" >"$WORK/$1.events"; }

# --- 1. The deliveries --------------------------------------------------------------
BENCH_RUN_ID="warm" wrk -t 2 -c "$C" -d "${WARMUP}s" -s "$ROOT/bench/lua/create.lua" \
  "http://$PUBLIC" >/dev/null 2>&1
[[ "$(drain "$DRAIN_TIMEOUT" routing)" != timeout ]] || echo "warning: the warm-up's events were not routed in ${DRAIN_TIMEOUT}s" >&2
ENDPOINT=$(endpoint_post "{\"url\":\"$SINK_URL\",\"enabled_events\":[\"*\"]}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
S0=$(max_seq)
load load "$DURATION" "$DRAIN_TIMEOUT"
S1=$(max_seq)
stop_sink load
window load "$S0" "$S1"
EVENTS_TOTAL=$(sql "SELECT count(*) FROM events")
# How long the HTTP exchange itself took, as the service recorded it: the
# rest of the lag is queueing, claiming and recording.
ATTEMPT_LATENCY=$(sql "SELECT count(*) || ' attempts, HTTP exchange p50 ' ||
  coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), 0) || ' ms, p99 ' ||
  coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms), 0) || ' ms' FROM webhook_attempts")
echo "part 1: $ATTEMPT_LATENCY"

# --- 2. Enabled and disabled, interleaved -----------------------------------------
set_endpoint() { endpoint_post "{\"disabled\": $1}" "/$ENDPOINT" >/dev/null; }
round() {  # round TAG on|off
  if [[ $2 == on ]]; then set_endpoint false; else set_endpoint true; fi
  start_sink "$1" "$SINK_PORT"
  local s0 s1
  s0=$(max_seq)
  if [[ $2 == on ]]; then load "$1" "$ROUND_DURATION" "$ROUND_DRAIN_TIMEOUT"; else load "$1" "$ROUND_DURATION" "$ROUND_DRAIN_TIMEOUT" routing; fi
  s1=$(max_seq)
  stop_sink "$1"
  window "$1" "$s0" "$s1"
}
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then round "r$r-on" on; round "r$r-off" off; else round "r$r-off" off; round "r$r-on" on; fi
done
kill -TERM "$SERVICE_PID"
wait "$SERVICE_PID" || true
SERVICE_PID=""

python3 - "$WORK" "$ROUNDS" "$EVENTS_TOTAL" "$C" "$DURATION" "$ROUND_DURATION" "$DRAIN_TIMEOUT" <<'PY'
import json, statistics, sys
work, rounds, events_total, c, duration, round_duration, drain_timeout = (
    sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:8])

def run(tag):
    rps, non2xx, errors, cpu_load, cpu, drain, end = open(f"{work}/{tag}.run").read().split()
    summary = json.loads(open(f"{work}/{tag}.summary").read())
    events = set(open(f"{work}/{tag}.events").read().split())
    delivered = set(line.split()[1] for line in open(f"{work}/{tag}.deliveries") if line.strip())
    return dict(rps=int(rps), non2xx=int(non2xx), errors=int(errors), cpu_load=float(cpu_load),
                cpu=float(cpu), drain=drain,
                end=int(end), sink=summary, events=len(events), missing=len(events - delivered),
                foreign=len(delivered - events))

def lag(s):
    l = s["lag_ms"]
    return f'{l["p50"]} / {l["p99"]} / {l["max"]}'

m = run("load")
s = m["sink"]
tail_s = (s["last_arrival_unix_ms"] - m["end"]) / 1000 if s["last_arrival_unix_ms"] else float("nan")
print(f"deliveries: create workload, C={c}, {duration} s, one endpoint subscribed to \"*\"")
print(f"  payments/s {m['rps']}  non-2xx {m['non2xx']}  socket errors {m['errors']}  "
      f"service CPU us/payment {m['cpu_load']:.0f} (load), {m['cpu']:.0f} (load + drain)")
print(f"  events committed: {m['events']} in the window, {events_total} in the table")
print(f"  deliveries {s['deliveries']}  distinct webhook-id {s['distinct_ids']}  duplicates {s['duplicates']}  "
      f"retries {s['retries']}  missing {m['missing']}  not of the window {m['foreign']}")
print(f"  first arrival {s['first_arrival']}  last {s['last_arrival']} ({tail_s:.1f} s after the load)  "
      f"span {s['span_s']} s  " + (f"not drained {drain_timeout} s after the load" if m['drain'] == "timeout"
                                   else f"drained {m['drain']} s after the load"))
print(f"  distinct events delivered/s {s['distinct_per_s']}  "
      f"(events committed/s during the load {m['events'] / float(duration):.0f})")
print(f"  lag of first deliveries p50 / p99 / max ms: {lag(s)}")
if rounds == 0:
    sys.exit(0)
print()
print(f"enabled vs disabled, C={c}, {round_duration} s each, interleaved")
print("round  order    on/s  off/s  on/off  cpu_on  cpu_off  cpu+drain_on/off  events_on  delivered_on  of_window  lag_on p50/p99/max ms     drain_on/off s  err_on/off  delivered_off")
ratios, on, off, con, coff, don, doff = [], [], [], [], [], [], []
for r in range(1, rounds + 1):
    a, b = run(f"r{r}-on"), run(f"r{r}-off")
    order = "on,off" if r % 2 else "off,on"
    ratios.append(a["rps"] / max(b["rps"], 1)); on.append(a["rps"]); off.append(b["rps"])
    con.append(a["cpu_load"]); coff.append(b["cpu_load"]); don.append(a["cpu"]); doff.append(b["cpu"])
    print(f"{r:5d}  {order:7s} {a['rps']:5d}  {b['rps']:5d}  {ratios[-1]:6.3f}  {a['cpu_load']:6.0f}  "
          f"{b['cpu_load']:7.0f}  {a['cpu']:8.0f}/{b['cpu']:<7.0f}  {a['events']:9d}  "
          f"{a['sink']['distinct_ids']:12d}  {a['events'] - a['missing']:9d}  {lag(a['sink']):>24s}  "
          f"{a['drain']:>7s}/{b['drain']:<7s}  {a['non2xx'] + a['errors']:>4d}/{b['non2xx'] + b['errors']:<4d}  "
          f"{b['sink']['deliveries']}")
print(f"median  on {statistics.median(on):.0f}/s  off {statistics.median(off):.0f}/s  "
      f"on/off per-round median {statistics.median(ratios):.3f}  "
      f"service CPU per payment over the load on {statistics.median(con):.0f} us, off "
      f"{statistics.median(coff):.0f} us (+{statistics.median(con) - statistics.median(coff):.0f}); "
      f"load + drain on {statistics.median(don):.0f} us, off {statistics.median(doff):.0f} us")
PY
