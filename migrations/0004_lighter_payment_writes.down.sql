-- Back to the per-row deferred balance check and the merchant foreign keys
-- (added NOT VALID, then validated, so no long lock is held).
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
DROP TRIGGER ledger_postings_balanced ON ledger_postings;
CREATE CONSTRAINT TRIGGER ledger_postings_balanced
  AFTER INSERT OR UPDATE ON ledger_postings
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
DROP FUNCTION ledger_check_statement_balanced();

ALTER TABLE refunds ADD CONSTRAINT refunds_merchant_id_fkey
  FOREIGN KEY (merchant_id) REFERENCES merchants (id) NOT VALID;
ALTER TABLE refunds VALIDATE CONSTRAINT refunds_merchant_id_fkey;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_merchant_id_fkey
  FOREIGN KEY (merchant_id) REFERENCES merchants (id) NOT VALID;
ALTER TABLE ledger_entries VALIDATE CONSTRAINT ledger_entries_merchant_id_fkey;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_merchant_id_fkey
  FOREIGN KEY (merchant_id) REFERENCES merchants (id) NOT VALID;
ALTER TABLE idempotency_keys VALIDATE CONSTRAINT idempotency_keys_merchant_id_fkey;
ALTER TABLE events ADD CONSTRAINT events_merchant_id_fkey
  FOREIGN KEY (merchant_id) REFERENCES merchants (id) NOT VALID;
ALTER TABLE events VALIDATE CONSTRAINT events_merchant_id_fkey;
