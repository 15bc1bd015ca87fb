-- Feature flags: one row per stored flag, an append-only audit of every
-- change, and a notification on change so that every running instance
-- re-reads the flags within a second (docs/operations/feature-flags.md).
-- New tables only: old binaries never read them.
-- migrate:phase expand

-- The definition is the JSON form that src/flags/definition_json.h parses and
-- validates; the binary is the authority on its shape, so that a new rule kind
-- needs no migration. `version` counts the changes of the row.
CREATE TABLE feature_flags (
  key         text PRIMARY KEY CHECK (key ~ '^[a-z0-9]+([._-][a-z0-9]+)*$' AND length(key) <= 128),
  definition  jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
  version     bigint NOT NULL DEFAULT 1 CHECK (version > 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL
);

-- Who changed what, when, from what, to what, and why. old_definition is
-- NULL for a creation, new_definition NULL for a deletion.
CREATE TABLE feature_flag_audit (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  flag_key        text NOT NULL,
  action          text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  actor           text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  old_definition  jsonb,
  new_definition  jsonb,
  changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feature_flag_audit_key ON feature_flag_audit (flag_key, id);

-- Any change, including one made by hand in psql, wakes the refreshers that
-- LISTEN on payments_flags. The notification is sent at commit.
CREATE FUNCTION feature_flags_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('payments_flags', TG_OP);
  RETURN NULL;
END $$;

CREATE TRIGGER feature_flags_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON feature_flags
  FOR EACH STATEMENT EXECUTE FUNCTION feature_flags_notify();

-- The audit is append-only, as the ledger is.
CREATE FUNCTION feature_flag_audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the flag audit is append-only (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER feature_flag_audit_append_only BEFORE UPDATE OR DELETE ON feature_flag_audit
  FOR EACH ROW EXECUTE FUNCTION feature_flag_audit_reject_change();
