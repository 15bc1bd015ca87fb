-- wrk: the mixed workload. Per thread, in every ten operations: six
-- create-and-capture (POST /v1/payments, capture true), two authorize-then-
-- capture (capture false, then POST .../capture as soon as the authorization
-- answers), one full refund of a captured payment, one GET of a known payment.
-- Ten operations are twelve requests. Until a thread has a captured or known
-- payment, refunds and reads fall back to create-and-capture (counted as
-- *_fallback). Ids come from the response bodies; each payment is captured and
-- refunded at most once, so a 409 here would be a real error.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

local function payment_body(capture)
  return '{"amount":1099,"currency":"usd","payment_method":{"card":' ..
    '{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}},"capture":' ..
    tostring(capture) .. '}'
end
local capture_body = payment_body(true)
local authorize_body = payment_body(false)

setup = common.setup
done = common.done

local RING = 1024
local slot = 0
local to_capture = {}        -- FIFO of authorized payment ids
local refundable = {}        -- FIFO of captured payment ids, at most RING
local known, known_n = {}, 0 -- ring of ids for GET
local seen = {}              -- "id:status" already queued, so a GET answer never re-queues

local function remember(id)
  known[known_n % RING + 1] = id
  known_n = known_n + 1
end

function request()
  if #to_capture > 0 then
    local id = table.remove(to_capture, 1)
    return common.post("/v1/payments/" .. id .. "/capture", "{}", "capture")
  end
  local s = slot % 10
  slot = slot + 1
  if s <= 5 then
    return common.post("/v1/payments", capture_body, "create_capture")
  elseif s <= 7 then
    return common.post("/v1/payments", authorize_body, "authorize")
  elseif s == 8 then
    if #refundable > 0 then
      local id = table.remove(refundable, 1)
      return common.post("/v1/payments/" .. id .. "/refunds", "{}", "refund")
    end
    return common.post("/v1/payments", capture_body, "refund_fallback")
  else
    if known_n > 0 then
      local id = known[math.random(math.min(known_n, RING))]
      return common.get("/v1/payments/" .. id, "get")
    end
    return common.post("/v1/payments", capture_body, "get_fallback")
  end
end

function response(status, headers, body)
  common.count(status)
  if status ~= 200 then return end
  local id = body:match('^{"id":"(pay_%w+)"')
  if id == nil then return end -- a refund object
  local state = body:match('"status":"([%a_]+)"')
  local tag = id .. ":" .. state
  if seen[tag] then return end
  seen[tag] = true
  if state == "authorized" then
    table.insert(to_capture, id)
    remember(id)
  elseif state == "captured" then
    if #refundable < RING then table.insert(refundable, id) end
    remember(id)
  end
end
