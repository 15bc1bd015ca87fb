-- Back to no webhooks: endpoints, deliveries and attempts are dropped.
DROP INDEX CONCURRENTLY IF EXISTS events_webhooks_unrouted;
ALTER TABLE events DROP COLUMN IF EXISTS webhooks_routed_at;
DROP TABLE IF EXISTS webhook_attempts;
DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS webhook_endpoints;
