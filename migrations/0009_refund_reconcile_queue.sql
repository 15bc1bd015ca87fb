-- The reconciler's queue of pending refunds; see 0008.
-- migrate:phase expand
-- migrate:lock_timeout 2s

CREATE INDEX CONCURRENTLY IF NOT EXISTS refunds_reconcile_due
  ON refunds (next_reconcile_at) WHERE next_reconcile_at IS NOT NULL;
