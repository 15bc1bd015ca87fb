-- The running instances of the service, for the expand/contract interlock.
-- Each `payments serve` registers itself at start (id, binary version, the
-- highest migration built into it, host, pid), heartbeats while it runs and
-- deregisters at shutdown. A contract migration refuses to run while a live
-- instance (a recent heartbeat) was built without it; a crashed instance
-- stops counting once its heartbeat is stale.
-- migrate:phase expand

CREATE TABLE instances (
  id              text PRIMARY KEY,
  binary_version  text NOT NULL,
  schema_version  bigint NOT NULL,
  host            text NOT NULL,
  pid             bigint NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  heartbeat_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instances_heartbeat ON instances (heartbeat_at);
