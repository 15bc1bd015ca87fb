#include "store/reconcile_audit_store.h"

namespace payments::store {
namespace {

constexpr db::Statement kInsert{
    "reconcile_audit.insert",
    "INSERT INTO reconcile_audit (actor, action, subject_id, outcome, reason) "
    "VALUES ($1, $2, $3, $4, $5)"};

constexpr db::Statement kList{
    "reconcile_audit.list",
    "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), actor, "
    "action, subject_id, outcome, reason FROM reconcile_audit ORDER BY id DESC LIMIT $1"};

}  // namespace

db::BatchItem InsertReconcileAuditItem(const ReconcileAuditEntry& e) {
  return db::BatchItem{
      &kInsert,
      {},
      db::Params().Add(e.actor).Add(e.action).Add(e.subject_id).Add(e.outcome).Add(e.reason)};
}

payments::Result<std::vector<ReconcileAuditEntry>> ListReconcileAudit(db::Connection& conn,
                                                                      int limit) {
  auto rows = conn.Run(kList, db::Params().Add(limit));
  if (!rows) return std::unexpected(rows.error());
  std::vector<ReconcileAuditEntry> out;
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back({rows->Int64(r, 0), rows->String(r, 1), rows->String(r, 2), rows->String(r, 3),
                   rows->String(r, 4), rows->String(r, 5), rows->String(r, 6)});
  }
  return out;
}

}  // namespace payments::store
