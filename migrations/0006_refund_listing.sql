-- Refunds as a resource of their own (docs/api.md, "Refunds"): GET /v1/refunds
-- lists a merchant's refunds newest first, with the same cursor as payments,
-- so it needs the same index as payments_merchant_created. Additive only:
-- older binaries never read it.
-- migrate:phase expand
-- migrate:lock_timeout 2s

CREATE INDEX CONCURRENTLY IF NOT EXISTS refunds_merchant_created
  ON refunds (merchant_id, created_at DESC, id DESC);
