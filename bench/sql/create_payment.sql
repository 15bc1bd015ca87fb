-- pgbench script: the SQL of one auto-captured POST /v1/payments with an
-- Idempotency-Key, as the service sends it (src/store/*_store.cpp,
-- PaymentService::CreatePayment, service/settlement.cpp: claim, intent,
-- answer), with no service in between. bench/run runs
-- it as the "create-sql" reference: what PostgreSQL can commit of exactly
-- the service's work per payment on this machine. Payload sizes follow the
-- service's (a ~650-byte payment object stored as the reply, ~1 kB events).
-- Needs merchant 'mer_bench_sql' (bench/run inserts it). Run with
-- `-M prepared` (the service prepares every statement once per connection).
\set k random(1, 999999999999999)
\set amount random(100, 100000)
-- Round trip 1, the claim, committed without waiting for its WAL flush (its
-- ON CONFLICT branch abbreviated: every key here is new, it never runs).
\startpipeline
BEGIN;
SET LOCAL synchronous_commit TO off;
INSERT INTO idempotency_keys AS k (merchant_id, key, request_method, request_path, request_hash, claim_token, locked_until) SELECT DISTINCT ON (merchant_id, key) merchant_id, key, method, path, hash, token, now() + lock_ms * interval '1 millisecond' FROM (VALUES ('mer_bench_sql'::text, ('key_' || :k || '_' || :client_id)::text, 'POST'::text, '/v1/payments'::text, (md5(:k || 'hash') || md5(:k || 'hash2'))::text, md5(:k || 'token')::text, 60000::bigint)) AS v (merchant_id, key, method, path, hash, token, lock_ms) ORDER BY merchant_id, key ON CONFLICT (merchant_id, key) DO UPDATE SET request_method = EXCLUDED.request_method, request_path = EXCLUDED.request_path, request_hash = EXCLUDED.request_hash, claim_token = EXCLUDED.claim_token, locked_until = EXCLUDED.locked_until, response_status = NULL, response_body = NULL, completed_at = NULL, created_at = now() WHERE k.response_status IS NULL AND k.locked_until < now() AND k.request_hash = EXCLUDED.request_hash RETURNING claim_token;
COMMIT;
\endpipeline
-- Round trip 2, the intent: the interim 202 under the key and the
-- processing payment with its pending call, committed (and flushed) before
-- the processor is called.
\startpipeline
BEGIN;
WITH v (merchant_id, key, token, status, body) AS (VALUES ('mer_bench_sql'::text, ('key_' || :k || '_' || :client_id)::text, md5(:k || 'token')::text, 202::integer, repeat(md5(:k || 'body'), 20)::text)), done AS (INSERT INTO idempotency_keys AS k (merchant_id, key, request_method, request_path, request_hash, claim_token, response_status, response_body) SELECT merchant_id, key, '', '', '', token, status, body FROM v ON CONFLICT (merchant_id, key) DO UPDATE SET response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body, completed_at = now(), claim_token = NULL, locked_until = NULL WHERE k.claim_token = EXCLUDED.claim_token RETURNING completed_at) SELECT 1 / (count(completed_at) = (SELECT count(*) FROM v))::integer FROM done;
INSERT INTO payments (id, merchant_id, amount, currency, status, amount_captured, amount_refunded, card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint, processor, processor_reference, failure_code, failure_message, description, metadata, created_at, updated_at, pending_operation, pending_key, pending_amount, pending_idempotency_key, next_reconcile_at) VALUES ('pay_' || :k || '_' || :client_id, 'mer_bench_sql', :amount, 'usd', 'processing', 0, 0, 'visa', '4242', 12, 2030, md5(:k || 'fp') || md5(:k || 'fp2'), 'sandbox', NULL, NULL, NULL, 'bench', '{"order": "42"}'::jsonb, now(), now(), 'sale', 'pay_' || :k || '_' || :client_id, :amount, 'key_' || :k || '_' || :client_id, now() + interval '26 seconds');
COMMIT;
\endpipeline
-- Round trip 3, the answer: the payment settled if its call is still
-- pending, the ledger, the events, the final reply, and the synchronous COMMIT.
\startpipeline
BEGIN;
WITH u AS (UPDATE payments SET status = 'captured', amount_captured = :amount, amount_refunded = 0, processor_reference = 'sbx_' || md5(:k || 'ref'), failure_code = NULL, failure_message = NULL, amount_refund_pending = 0, pending_operation = NULL, pending_key = NULL, pending_amount = NULL, pending_idempotency_key = NULL, next_reconcile_at = NULL, reconcile_attempts = reconcile_attempts, updated_at = now() WHERE merchant_id = 'mer_bench_sql' AND id = 'pay_' || :k || '_' || :client_id AND pending_key IS NOT DISTINCT FROM ('pay_' || :k || '_' || :client_id) RETURNING 1) SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('payment_changed ' || count(*))::integer END FROM u;
WITH e (id, merchant_id, payment_id, refund_id, kind, created_ms, accounts, currencies, amounts) AS (VALUES (('je_' || :k || '_' || :client_id)::text, 'mer_bench_sql'::text, ('pay_' || :k || '_' || :client_id)::text, NULL::text, 'capture'::text, (extract(epoch FROM now()) * 1000)::double precision, ARRAY['processor_receivable', 'merchant_balance']::text[], ARRAY['usd', 'usd']::text[], ARRAY[:amount::bigint, -(:amount::bigint)]::bigint[])), entry AS (INSERT INTO ledger_entries (id, merchant_id, payment_id, refund_id, kind, created_at) SELECT id, merchant_id, payment_id, refund_id, kind, to_timestamp(created_ms / 1000) FROM e RETURNING id) INSERT INTO ledger_postings (entry_id, merchant_id, account, currency, amount) SELECT e.id, e.merchant_id, p.account, p.currency, p.amount FROM entry JOIN e USING (id), unnest(e.accounts, e.currencies, e.amounts) WITH ORDINALITY AS p(account, currency, amount, n) ORDER BY e.id, p.n;
INSERT INTO events (id, merchant_id, type, subject, payload, created_at) VALUES ('evt_a' || :k || '_' || :client_id, 'mer_bench_sql', 'payment.created', 'pay_' || :k || '_' || :client_id, repeat(md5(:k || 'e1'), 32), now()), ('evt_b' || :k || '_' || :client_id, 'mer_bench_sql', 'payment.captured', 'pay_' || :k || '_' || :client_id, repeat(md5(:k || 'e2'), 32), now());
UPDATE idempotency_keys SET response_status = 200, response_body = repeat(md5(:k || 'body'), 20), completed_at = now() WHERE merchant_id = 'mer_bench_sql' AND key = 'key_' || :k || '_' || :client_id AND response_status = 202;
COMMIT;
\endpipeline
