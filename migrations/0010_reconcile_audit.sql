-- Who settled a pending processor call by hand, or asked the processor again,
-- and why (`payments reconcile resolve|retry`, docs/payment-states.md).
-- Append-only. Additive: older binaries never read it.
-- migrate:phase expand
-- migrate:lock_timeout 2s

CREATE TABLE reconcile_audit (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  action      text NOT NULL CHECK (action IN ('resolve', 'retry')),
  subject_id  text NOT NULL,
  outcome     text NOT NULL,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500)
);
