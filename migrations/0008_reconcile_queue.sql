-- The reconciler's queues (docs/payment-states.md): what is due, oldest
-- first. Partial, so they hold only the few rows awaiting an answer.
-- Additive only: older binaries never read them.
-- migrate:phase expand
-- migrate:lock_timeout 2s

CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_reconcile_due
  ON payments (next_reconcile_at) WHERE next_reconcile_at IS NOT NULL;
