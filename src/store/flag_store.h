// Feature flags in PostgreSQL (migrations/0003_flags.sql): the stored
// definitions, the audit of every change, and the channel that announces a
// change. Writes lock the row, write the flag and its audit row in one
// transaction; a trigger NOTIFYs `payments_flags` at commit, whoever wrote.
//
//   auto written = store::PutFlag(pool, "processor.sandbox.enabled",
//       [](const std::optional<store::StoredFlag>&) -> Result<flags::Definition> {
//         flags::Definition d; d.rule = flags::Rule::kOff; return d; },
//       {.actor = "alice", .reason = "INC-42: sandbox timing out"});
//
// Functions that take a Connection run on the caller's (one thread at a time);
// those that take a Pool are thread-safe as the Pool is.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "db/pool.h"
#include "flags/flag.h"
#include "flags/flag_view.h"
#include "flags/snapshot.h"

namespace payments::store {

// The NOTIFY channel of flag changes.
inline constexpr std::string_view kFlagsChannel = "payments_flags";

// A stored flag (key, definition JSON text, version, updated_at, updated_by).
using StoredFlag = flags::StoredFlag;

struct FlagAuditRecord {
  int64_t id = 0;
  std::string flag_key;
  std::string action;  // create, update, delete
  std::string actor;
  std::string reason;
  std::optional<std::string> old_definition;  // JSON; nullopt for a creation
  std::optional<std::string> new_definition;  // JSON; nullopt for a deletion
  std::string changed_at;                     // ISO 8601, UTC
};

// Who makes a change and why; both required (the audit has no anonymous rows).
struct FlagChange {
  std::string actor;
  std::string reason;
};

// In key order.
payments::Result<std::vector<StoredFlag>> ListFlags(db::Connection& conn);
payments::Result<std::optional<StoredFlag>> FindFlag(db::Connection& conn, std::string_view key);

// Decides the new definition from the stored flag (nullopt when there is
// none). An error returned here aborts the change and leaves everything as it
// was. Must be validated already: PutFlag validates again and refuses.
using FlagEdit =
    std::function<payments::Result<flags::Definition>(const std::optional<StoredFlag>& current)>;

struct PutResult {
  StoredFlag flag;
  bool changed = false;  // false: the definition was already this; nothing written
};

// Locks the row, edits, writes and audits, in one transaction.
payments::Result<PutResult> PutFlag(db::Pool& pool, std::string_view key, const FlagEdit& edit,
                                    const FlagChange& change);
// Deletes and audits; NotFound (param "key") when the flag is not stored.
// Returns the flag as it was.
payments::Result<StoredFlag> DeleteFlag(db::Pool& pool, std::string_view key,
                                        const FlagChange& change);

// Newest first; all flags when key is empty.
payments::Result<std::vector<FlagAuditRecord>> ListFlagAudit(db::Connection& conn,
                                                             std::string_view key, int limit);

// Parses stored rows for a Snapshot (a row that does not parse becomes an
// entry with its error).
std::vector<flags::SnapshotEntry> ToSnapshotEntries(const std::vector<StoredFlag>& rows);

}  // namespace payments::store
