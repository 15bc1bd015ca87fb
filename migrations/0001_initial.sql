-- The first schema of the payment service: merchants and their keys,
-- payments and refunds, idempotency records, the double-entry ledger and the
-- event outbox. Every table here is new, so plain CREATE INDEX is safe.
-- migrate:phase none

CREATE TABLE merchants (
  id          text PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Secret keys are stored as SHA-256 only; key_prefix ("sk_test_Ab12") is what
-- lists show. A key is shown once, when it is made.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  merchant_id  text NOT NULL REFERENCES merchants (id),
  key_hash     text NOT NULL UNIQUE,
  key_prefix   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id);

-- Secrets the service generates for itself on first use (the card
-- fingerprint key when PAYMENTS_FINGERPRINT_KEY is not set).
CREATE TABLE service_secrets (
  name        text PRIMARY KEY,
  value       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A card is kept as brand, last four digits, expiry and an HMAC fingerprint;
-- the number itself never reaches the database.
CREATE TABLE payments (
  id                   text PRIMARY KEY,
  merchant_id          text NOT NULL REFERENCES merchants (id),
  amount               bigint NOT NULL CHECK (amount > 0),
  currency             text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status               text NOT NULL CHECK (status IN ('authorized', 'captured',
                         'partially_refunded', 'refunded', 'canceled', 'failed')),
  amount_captured      bigint NOT NULL DEFAULT 0,
  amount_refunded      bigint NOT NULL DEFAULT 0,
  card_brand           text NOT NULL,
  card_last4           text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
  card_exp_month       integer NOT NULL CHECK (card_exp_month BETWEEN 1 AND 12),
  card_exp_year        integer NOT NULL,
  card_fingerprint     text NOT NULL,
  processor            text NOT NULL,
  processor_reference  text,
  failure_code         text,
  failure_message      text,
  description          text,
  metadata             jsonb NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  CHECK (amount_captured BETWEEN 0 AND amount),
  CHECK (amount_refunded BETWEEN 0 AND amount_captured)
);
-- Newest first, per merchant: the list endpoint's order and cursor.
CREATE INDEX payments_merchant_created ON payments (merchant_id, created_at DESC, id DESC);

CREATE TABLE refunds (
  id                   text PRIMARY KEY,
  payment_id           text NOT NULL REFERENCES payments (id),
  merchant_id          text NOT NULL REFERENCES merchants (id),
  amount               bigint NOT NULL CHECK (amount > 0),
  currency             text NOT NULL,
  status               text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  reason               text,
  processor_reference  text,
  failure_code         text,
  metadata             jsonb NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);

-- One row per (merchant, Idempotency-Key). A request claims the key (claim
-- token, locked_until), does its work, and stores its response in the same
-- transaction as its effects. Rows older than 24 hours are purged.
CREATE TABLE idempotency_keys (
  merchant_id      text NOT NULL REFERENCES merchants (id),
  key              text NOT NULL,
  request_method   text NOT NULL,
  request_path     text NOT NULL,
  request_hash     text NOT NULL,
  claim_token      text,
  locked_until     timestamptz,
  response_status  integer,
  response_body    text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  PRIMARY KEY (merchant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The double-entry ledger. A journal entry groups postings; the postings of
-- an entry sum to zero per currency (checked at commit). Debits are positive,
-- credits negative. Accounts are named per merchant and currency:
--   processor_receivable  (asset: owed to us by the processor)
--   merchant_balance      (liability: owed by us to the merchant)
CREATE TABLE ledger_entries (
  id           text PRIMARY KEY,
  merchant_id  text NOT NULL REFERENCES merchants (id),
  payment_id   text REFERENCES payments (id),
  refund_id    text REFERENCES refunds (id),
  kind         text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id);

CREATE TABLE ledger_postings (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id     text NOT NULL REFERENCES ledger_entries (id),
  merchant_id  text NOT NULL,
  account      text NOT NULL CHECK (account IN ('processor_receivable', 'merchant_balance')),
  currency     text NOT NULL,
  amount       bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);
CREATE INDEX ledger_postings_balance ON ledger_postings (merchant_id, account, currency)
  INCLUDE (amount);

CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_postings WHERE entry_id = NEW.entry_id
             GROUP BY currency HAVING sum(amount) <> 0) THEN
    RAISE EXCEPTION 'ledger entry % does not balance', NEW.entry_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

-- Deferred to COMMIT, so an entry's postings can be inserted one by one.
CREATE CONSTRAINT TRIGGER ledger_postings_balanced
  AFTER INSERT OR UPDATE ON ledger_postings
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

-- The ledger is append-only: corrections are new entries.
CREATE FUNCTION ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();

-- The transactional outbox: every state change writes its event here in the
-- same transaction. `seq` orders events for the relay; it is never used as a
-- "published up to" watermark, because sequence values commit out of order.
CREATE TABLE events (
  seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            text PRIMARY KEY,
  merchant_id   text NOT NULL REFERENCES merchants (id),
  type          text NOT NULL,
  subject       text NOT NULL,
  payload       text NOT NULL,
  created_at    timestamptz NOT NULL,
  published_at  timestamptz
);
CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL;
CREATE INDEX events_merchant_created ON events (merchant_id, created_at DESC, id DESC);
