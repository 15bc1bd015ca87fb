-- Back to the statuses before unknown outcomes. Refuses while a payment is
-- 'processing' or a refund 'pending' (reconcile them first): the old checks
-- are added NOT VALID, but the old binaries cannot read those rows.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM payments WHERE status = 'processing' OR pending_operation IS NOT NULL)
     OR EXISTS (SELECT 1 FROM refunds WHERE status = 'pending') THEN
    RAISE EXCEPTION 'payments or refunds still await reconciliation (payments reconcile list)';
  END IF;
END $$;
ALTER TABLE refunds DROP COLUMN next_reconcile_at;
ALTER TABLE refunds DROP COLUMN reconcile_attempts;
ALTER TABLE refunds DROP COLUMN idempotency_key;
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('succeeded', 'failed'))
  NOT VALID;
ALTER TABLE payments DROP CONSTRAINT payments_refund_pending;
ALTER TABLE payments DROP CONSTRAINT payments_pending_operation;
ALTER TABLE payments DROP COLUMN next_reconcile_at;
ALTER TABLE payments DROP COLUMN reconcile_attempts;
ALTER TABLE payments DROP COLUMN pending_idempotency_key;
ALTER TABLE payments DROP COLUMN pending_amount;
ALTER TABLE payments DROP COLUMN pending_key;
ALTER TABLE payments DROP COLUMN pending_operation;
ALTER TABLE payments DROP COLUMN amount_refund_pending;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('authorized',
  'captured', 'partially_refunded', 'refunded', 'canceled', 'failed')) NOT VALID;
