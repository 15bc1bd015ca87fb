-- Undoes 0005: the key lifecycle's columns, audit and generation counter.
-- Revoked first: live keys (an older binary would take them for test keys)
-- and rolled keys, expired or in their grace period (an older binary knows
-- no expiry, and would take them for ever).
UPDATE api_keys SET revoked_at = now(), revoked_by = 'migrate down 0005'
  WHERE revoked_at IS NULL AND (mode = 'live' OR expires_at IS NOT NULL);
DROP TRIGGER api_keys_changed ON api_keys;
DROP FUNCTION api_keys_bump_generation();
DROP TABLE api_key_generation;
DROP TABLE api_key_audit;
DROP FUNCTION api_key_audit_reject_change();
ALTER TABLE api_keys DROP CONSTRAINT api_keys_mode;
ALTER TABLE api_keys DROP COLUMN revoked_by;
ALTER TABLE api_keys DROP COLUMN expires_at;
ALTER TABLE api_keys DROP COLUMN mode;
