#include "store/flag_store.h"

#include <fmt/format.h>

#include "core/json_text.h"
#include "core/redact.h"
#include "core/text.h"
#include "db/transaction.h"
#include "flags/definition_json.h"

namespace payments::store {
namespace {

#define PAYMENTS_FLAG_COLUMNS        \
  "key, definition::text, version, " \
  "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), updated_by"

constexpr db::Statement kListFlags{
    "flags.list", "SELECT " PAYMENTS_FLAG_COLUMNS " FROM feature_flags ORDER BY key"};
constexpr db::Statement kFindFlag{
    "flags.find", "SELECT " PAYMENTS_FLAG_COLUMNS " FROM feature_flags WHERE key = $1"};
constexpr db::Statement kLockFlag{
    "flags.lock", "SELECT " PAYMENTS_FLAG_COLUMNS " FROM feature_flags WHERE key = $1 FOR UPDATE"};
constexpr db::Statement kInsertFlag{
    "flags.insert",
    "INSERT INTO feature_flags (key, definition, updated_by) VALUES ($1, $2::jsonb, $3) "
    "RETURNING " PAYMENTS_FLAG_COLUMNS};
constexpr db::Statement kUpdateFlag{
    "flags.update",
    "UPDATE feature_flags SET definition = $2::jsonb, version = version + 1, updated_at = now(), "
    "updated_by = $3 WHERE key = $1 RETURNING " PAYMENTS_FLAG_COLUMNS};
constexpr db::Statement kDeleteFlag{"flags.delete", "DELETE FROM feature_flags WHERE key = $1"};
constexpr db::Statement kInsertAudit{
    "flags.audit_insert",
    "INSERT INTO feature_flag_audit (flag_key, action, actor, reason, old_definition, "
    "new_definition) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)"};
constexpr db::Statement kListAudit{
    "flags.audit_list",
    "SELECT id, flag_key, action, actor, reason, old_definition::text, new_definition::text, "
    "to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
    "FROM feature_flag_audit WHERE ($1 = '' OR flag_key = $1) ORDER BY id DESC LIMIT $2"};

#undef PAYMENTS_FLAG_COLUMNS

StoredFlag FlagFromRow(const db::Rows& rows, int r) {
  return StoredFlag{.key = rows.String(r, 0),
                    .definition = rows.String(r, 1),
                    .version = rows.Int64(r, 2),
                    .updated_at = rows.String(r, 3),
                    .updated_by = rows.String(r, 4)};
}

payments::Status CheckChange(std::string_view key, const FlagChange& change) {
  if (!flags::IsValidFlagKey(key)) {
    return std::unexpected(Error::InvalidRequest(
        "flag_key_invalid",
        fmt::format("flag key '{}' is invalid: use 1 to 128 lower-case letters and digits, with "
                    "'.', '_' or '-' between them",
                    key),
        "key"));
  }
  for (auto [name, text] : {std::pair<const char*, const std::string*>{"actor", &change.actor},
                            {"reason", &change.reason}}) {
    if (auto problem = CheckText(*text)) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_invalid_string", fmt::format("{} {}", name, Describe(*problem)), name));
    }
    // The audit keeps both for ever: no card number may go there.
    if (HoldsCardNumber(*text)) {
      return std::unexpected(
          Error::InvalidRequest("parameter_contains_card_number",
                                fmt::format("{} looks like it holds a card number", name), name));
    }
  }
  if (change.actor.empty() || change.actor.size() > 200) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_missing", "actor is required (1 to 200 characters): who makes the change",
        "actor"));
  }
  if (change.reason.empty() || change.reason.size() > 1000) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_missing", "reason is required (1 to 1000 characters): why the flag changes",
        "reason"));
  }
  return {};
}

payments::Status Audit(db::Connection& conn, std::string_view key, std::string_view action,
                       const FlagChange& change, const std::optional<std::string>& old_definition,
                       const std::optional<std::string>& new_definition) {
  auto r = conn.Run(kInsertAudit, db::Params()
                                      .Add(key)
                                      .Add(action)
                                      .Add(change.actor)
                                      .Add(change.reason)
                                      .Add(old_definition)
                                      .Add(new_definition));
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace

payments::Result<std::vector<StoredFlag>> ListFlags(db::Connection& conn) {
  auto rows = conn.Run(kListFlags);
  if (!rows) return std::unexpected(rows.error());
  std::vector<StoredFlag> out;
  out.reserve(rows->size());
  for (int r = 0; r < rows->size(); ++r) out.push_back(FlagFromRow(*rows, r));
  return out;
}

payments::Result<std::optional<StoredFlag>> FindFlag(db::Connection& conn, std::string_view key) {
  auto rows = conn.Run(kFindFlag, db::Params().Add(key));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<StoredFlag>();
  return std::optional<StoredFlag>(FlagFromRow(*rows, 0));
}

payments::Result<PutResult> PutFlag(db::Pool& pool, std::string_view key, const FlagEdit& edit,
                                    const FlagChange& change) {
  if (auto s = CheckChange(key, change); !s) return std::unexpected(s.error());
  return db::InTransaction(pool, [&](db::Connection& conn) -> payments::Result<PutResult> {
    auto locked = conn.Run(kLockFlag, db::Params().Add(key));
    if (!locked) return std::unexpected(locked.error());
    std::optional<StoredFlag> current;
    if (!locked->empty()) current = FlagFromRow(*locked, 0);

    auto next = edit(current);
    if (!next) return std::unexpected(next.error());
    if (auto valid = flags::Validate(*next); !valid) return std::unexpected(valid.error());
    if (current) {
      auto before = flags::ParseDefinitionText(current->definition);
      if (before && *before == *next) return PutResult{.flag = *current, .changed = false};
    }
    const auto document = flags::ToJson(*next);
    // jsonb refuses a NUL that JSON allows: refuse it here, not as a 500.
    if (auto bad = FindJsonTextProblem(document)) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_invalid_string",
          fmt::format("a string of the definition {}", Describe(bad->problem)),
          bad->path.empty() ? "definition" : "definition." + bad->path));
    }
    const std::string json = document.dump();
    auto written = conn.Run(current ? kUpdateFlag : kInsertFlag,
                            db::Params().Add(key).Add(json).Add(change.actor));
    if (!written) {
      if (written.error().sqlstate == db::kUniqueViolation) {
        return std::unexpected(Error::StateConflict(
            "flag_conflict",
            fmt::format("flag '{}' was created by a concurrent change; retry", key)));
      }
      return std::unexpected(written.error());
    }
    PutResult result{.flag = FlagFromRow(*written, 0), .changed = true};
    auto audited =
        Audit(conn, key, current ? "update" : "create", change,
              current ? std::optional<std::string>(current->definition) : std::nullopt, json);
    if (!audited) return std::unexpected(audited.error());
    return result;
  });
}

payments::Result<StoredFlag> DeleteFlag(db::Pool& pool, std::string_view key,
                                        const FlagChange& change) {
  if (auto s = CheckChange(key, change); !s) return std::unexpected(s.error());
  return db::InTransaction(pool, [&](db::Connection& conn) -> payments::Result<StoredFlag> {
    auto locked = conn.Run(kLockFlag, db::Params().Add(key));
    if (!locked) return std::unexpected(locked.error());
    if (locked->empty()) {
      return std::unexpected(Error::NotFound(fmt::format("flag '{}' is not stored", key), "key"));
    }
    StoredFlag current = FlagFromRow(*locked, 0);
    if (auto r = conn.Run(kDeleteFlag, db::Params().Add(key)); !r) {
      return std::unexpected(r.error());
    }
    auto audited = Audit(conn, key, "delete", change, current.definition, std::nullopt);
    if (!audited) return std::unexpected(audited.error());
    return current;
  });
}

payments::Result<std::vector<FlagAuditRecord>> ListFlagAudit(db::Connection& conn,
                                                             std::string_view key, int limit) {
  auto rows = conn.Run(kListAudit, db::Params().Add(key).Add(limit));
  if (!rows) return std::unexpected(rows.error());
  std::vector<FlagAuditRecord> out;
  out.reserve(rows->size());
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back(FlagAuditRecord{.id = rows->Int64(r, 0),
                                  .flag_key = rows->String(r, 1),
                                  .action = rows->String(r, 2),
                                  .actor = rows->String(r, 3),
                                  .reason = rows->String(r, 4),
                                  .old_definition = rows->OptionalString(r, 5),
                                  .new_definition = rows->OptionalString(r, 6),
                                  .changed_at = rows->String(r, 7)});
  }
  return out;
}

std::vector<flags::SnapshotEntry> ToSnapshotEntries(const std::vector<StoredFlag>& rows) {
  std::vector<flags::SnapshotEntry> entries;
  entries.reserve(rows.size());
  for (const StoredFlag& row : rows) {
    entries.push_back({row.key, flags::ParseDefinitionText(row.definition), row.version});
  }
  return entries;
}

}  // namespace payments::store
