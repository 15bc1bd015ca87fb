-- Webhooks (docs/webhooks.md): merchants' endpoints, the deliveries of events
-- to them and every attempt. Events reach deliveries through the router
-- (service/webhook_dispatcher.h), which takes the events not yet routed, by
-- seq, and marks them: events.webhooks_routed_at. Rows written by an older
-- binary have it NULL like new ones, so they are routed too; rows from
-- before this migration read as routed long ago. An endpoint gets the events
-- whose seq was drawn after it was created (after_event_seq).
--
-- Signing secrets are stored sealed (AES-256-GCM under a key the database
-- never holds: docs/security.md, "Webhook secrets").
--
-- Additive: older binaries never read the new tables or the new column.
-- migrate:phase expand
-- migrate:lock_timeout 2s

CREATE TABLE webhook_endpoints (
  id                          text PRIMARY KEY,
  merchant_id                 text NOT NULL REFERENCES merchants (id),
  url                         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
  description                 text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  enabled_events              text[] NOT NULL CHECK (cardinality(enabled_events) >= 1),
  status                      text NOT NULL CHECK (status IN ('enabled', 'disabled')),
  disabled_reason             text,
  secret_sealed               text NOT NULL,
  previous_secret_sealed      text,
  previous_secret_expires_at  timestamptz,
  older_secret_sealed         text,
  older_secret_expires_at     timestamptz,
  failure_streak              integer NOT NULL DEFAULT 0,
  circuit_open_until          timestamptz,
  last_claimed_at             timestamptz,
  after_event_seq             bigint NOT NULL,
  idempotency_key             text,
  request_hash                text,
  created_at                  timestamptz NOT NULL,
  updated_at                  timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, created_at DESC, id DESC);
-- A create retried with its Idempotency-Key finds the endpoint it made.
CREATE UNIQUE INDEX webhook_endpoints_idempotency ON webhook_endpoints (merchant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE webhook_deliveries (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint_id       text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id          text NOT NULL,
  event_seq         bigint NOT NULL,
  event_type        text NOT NULL,
  subject           text NOT NULL,
  state             text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL,
  lease_owner       text,
  lease_expires_at  timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz
);
-- What is due per endpoint; the order a later event waits on; what is in
-- flight per endpoint; retention.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at, id)
  WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, subject, event_seq)
  WHERE state = 'pending';
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (endpoint_id, lease_expires_at)
  WHERE state = 'pending' AND lease_owner IS NOT NULL;
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at)
  WHERE state <> 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id    bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  endpoint_id    text NOT NULL,
  event_id       text NOT NULL,
  attempted_at   timestamptz NOT NULL,
  status_code    integer,
  latency_ms     integer NOT NULL,
  error          text,
  next_retry_at  timestamptz
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id DESC);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- Existing rows read the default (routed: nothing to deliver) without being
-- rewritten; dropping it makes new rows, an older binary's included, NULL.
ALTER TABLE events ADD COLUMN webhooks_routed_at timestamptz DEFAULT '-infinity';
ALTER TABLE events ALTER COLUMN webhooks_routed_at DROP DEFAULT;
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_webhooks_unrouted
  ON events (seq) WHERE webhooks_routed_at IS NULL;
