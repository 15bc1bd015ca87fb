-- Shared by the wrk scripts of bench/run: unique Idempotency-Keys, counting
-- of every response status per thread, and a machine-readable summary line
-- ("BENCH_JSON {...}") that bench/run parses. Every thread of wrk has its own
-- Lua state; setup() and done() run in the main one.
local M = {}

local api_key = os.getenv("BENCH_API_KEY") or error("BENCH_API_KEY is not set")
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local threads = {}

-- Main state: number the threads so that their keys never collide.
function M.setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Thread state.
statuses = {}
ops = {}
local sent = 0

function M.post(path, body, op)
  sent = sent + 1
  ops[op] = (ops[op] or 0) + 1
  local key = string.format("%s-%d-%d", run_id, tid, sent)
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. api_key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end

function M.get(path, op)
  ops[op] = (ops[op] or 0) + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. api_key })
end

function M.count(status)
  local s = tostring(status)
  statuses[s] = (statuses[s] or 0) + 1
end

local function merge(into, from)
  for k, v in pairs(from) do into[k] = (into[k] or 0) + v end
end

local function json_counts(t)
  local keys = {}
  for k in pairs(t) do table.insert(keys, k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do table.insert(parts, string.format('"%s":%d', k, t[k])) end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Main state, after the run. Latencies are in microseconds.
function M.done(summary, latency, requests)
  local all_statuses, all_ops = {}, {}
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_ops, thread:get("ops"))
  end
  local non2xx = 0
  for status, n in pairs(all_statuses) do
    local code = tonumber(status)
    if code < 200 or code > 299 then non2xx = non2xx + n end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"wrk_status_errors":%d,' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d},' ..
    '"statuses":%s,"ops":%s}\n',
    summary.requests, summary.duration, summary.bytes, non2xx,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    json_counts(all_statuses), json_counts(all_ops)))
end

return M
