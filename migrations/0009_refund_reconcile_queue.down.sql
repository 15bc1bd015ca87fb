-- Back to no refund reconcile queue index.
DROP INDEX CONCURRENTLY IF EXISTS refunds_reconcile_due;
