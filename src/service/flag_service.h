// Changing a feature flag: the one home of the use case, called alike by the
// admin API (PUT and DELETE /admin/flags/{key}) and the CLI (`payments flags
// set` and `delete`). A change is applied to the stored definition (or to
// the declaration's default when nothing is stored), checked, written with
// its audit row in one transaction (store::PutFlag, store::DeleteFlag), and
// logged with who made it and why; an unchanged definition writes and logs
// nothing. Reads (list, get, history) have no rule to apply: their callers
// read store/ directly (docs/architecture.md, "Layers").
//
//   auto set = service::SetFlag(pool, "refunds.v2", edit,
//                               {.actor = "alice", .reason = "INC-42"});
//
// Thread-safe as the Pool is.
#pragma once

#include <string_view>

#include "core/error.h"
#include "db/pool.h"
#include "flags/definition_edit.h"
#include "store/flag_store.h"

namespace payments::service {

// Applies edit to the flag key. Errors found in the edit name their field as
// `edit_errors_under.field` when edit_errors_under is not empty (the admin
// API, whose client sends the definition inside "definition"); the key's own
// errors are named "key" either way.
payments::Result<store::PutResult> SetFlag(db::Pool& pool, std::string_view key,
                                           const flags::DefinitionEdit& edit,
                                           const store::FlagChange& change,
                                           std::string_view edit_errors_under = {});

// Removes the stored flag (the code's compiled default applies again) and
// returns it as it was; NotFound (param "key") when nothing is stored.
payments::Result<store::StoredFlag> DeleteFlag(db::Pool& pool, std::string_view key,
                                               const store::FlagChange& change);

}  // namespace payments::service
