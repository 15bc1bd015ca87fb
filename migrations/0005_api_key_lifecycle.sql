-- The API key lifecycle (docs/security.md, "Key lifecycle"): a key's mode
-- (test or live), an expiry set on the old key when it is rolled, who
-- revoked it, an append-only audit of every change, and a generation counter
-- that every running instance polls (every 250 ms, one row by primary key) to
-- drop its cache of authenticated keys when any key changes.
-- Additive only: older binaries ignore the new columns (every existing key,
-- and every key they create, is a test key) and the new tables.
-- migrate:phase expand
-- migrate:lock_timeout 2s

ALTER TABLE api_keys ADD COLUMN mode text NOT NULL DEFAULT 'test';
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN revoked_by text;
-- Validated by a later migration; every row written so far is 'test'.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_mode CHECK (mode IN ('test', 'live')) NOT VALID;

-- Who changed which key, when and how. Never the key or its hash: the
-- prefix ("sk_live_Ab12") identifies it to a human. detail holds what the
-- action adds (a roll's grace period and the replacement's id and prefix).
CREATE TABLE api_key_audit (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  action       text NOT NULL CHECK (action IN ('create', 'revoke', 'roll')),
  key_id       text NOT NULL,
  merchant_id  text NOT NULL,
  key_prefix   text NOT NULL CHECK (length(key_prefix) <= 12),
  detail       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX api_key_audit_merchant ON api_key_audit (merchant_id, id);

CREATE FUNCTION api_key_audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the API key audit is append-only (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER api_key_audit_append_only BEFORE UPDATE OR DELETE ON api_key_audit
  FOR EACH ROW EXECUTE FUNCTION api_key_audit_reject_change();

-- One row whose generation moves with every statement that changes api_keys,
-- whoever runs it (this release, an older one, or psql), in the writer's own
-- transaction: it becomes visible exactly when the change does, in commit
-- order (an identity or sequence value would not: those are taken before
-- commit, and commit out of order).
CREATE TABLE api_key_generation (
  id          bigint PRIMARY KEY CHECK (id = 1),
  generation  bigint NOT NULL
);
INSERT INTO api_key_generation (id, generation) VALUES (1, 0);

CREATE FUNCTION api_keys_bump_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE api_key_generation SET generation = generation + 1 WHERE id = 1;
  RETURN NULL;
END $$;

CREATE TRIGGER api_keys_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION api_keys_bump_generation();
