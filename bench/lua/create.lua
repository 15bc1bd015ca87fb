-- wrk: POST /v1/payments with auto-capture on the sandbox success card, a
-- unique Idempotency-Key each. Environment: BENCH_API_KEY, BENCH_RUN_ID,
-- BENCH_LUA_DIR (this directory).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

local body = '{"amount":1099,"currency":"usd","payment_method":{"card":' ..
  '{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}},"capture":true}'

setup = common.setup
done = common.done

function request()
  return common.post("/v1/payments", body, "create_capture")
end

function response(status, headers, body)
  common.count(status)
end
