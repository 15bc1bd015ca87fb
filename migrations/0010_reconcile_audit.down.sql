-- Back to no reconciliation audit.
DROP TABLE reconcile_audit;
