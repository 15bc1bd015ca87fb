-- Back to no reconcile queue index.
DROP INDEX CONCURRENTLY IF EXISTS payments_reconcile_due;
