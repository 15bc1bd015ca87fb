-- Unknown outcomes (docs/payment-states.md): a processor call is recorded as
-- an intent before it is made, and an answer that never came is a state, not
-- a failure. A payment is 'processing' until its authorization's answer is
-- recorded; a capture or cancel still unanswered is its pending_* columns; a
-- refund still unanswered is a 'pending' refund whose amount is reserved on
-- its payment (amount_refund_pending). Reconciliation asks the processor
-- about each, at next_reconcile_at, by the call's idempotency key.
--
-- Additive: older binaries never write the new values and ignore the new
-- columns. An older binary reading a 'processing' payment or a 'pending'
-- refund shows it as failed (docs/payment-states.md, "Side by side"), so a
-- rollback past this release waits until none is left (payments reconcile
-- list). The new checks are validated by a later migration.
-- migrate:phase expand
-- migrate:lock_timeout 2s

ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('processing',
  'authorized', 'captured', 'partially_refunded', 'refunded', 'canceled', 'failed')) NOT VALID;
ALTER TABLE payments ADD COLUMN amount_refund_pending bigint NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN pending_operation text;
ALTER TABLE payments ADD COLUMN pending_key text;
ALTER TABLE payments ADD COLUMN pending_amount bigint;
ALTER TABLE payments ADD COLUMN pending_idempotency_key text;
ALTER TABLE payments ADD COLUMN reconcile_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN next_reconcile_at timestamptz;
ALTER TABLE payments ADD CONSTRAINT payments_pending_operation CHECK (pending_operation IS NULL
  OR (pending_operation IN ('authorize', 'sale', 'capture', 'cancel') AND pending_key IS NOT NULL))
  NOT VALID;
ALTER TABLE payments ADD CONSTRAINT payments_refund_pending CHECK (amount_refund_pending >= 0
  AND amount_refunded + amount_refund_pending <= amount_captured) NOT VALID;

ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('pending', 'succeeded',
  'failed')) NOT VALID;
ALTER TABLE refunds ADD COLUMN idempotency_key text;
ALTER TABLE refunds ADD COLUMN reconcile_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN next_reconcile_at timestamptz;
