-- Back to no merchant-wide refund index.
DROP INDEX CONCURRENTLY IF EXISTS refunds_merchant_created;
