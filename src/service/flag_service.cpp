#include "service/flag_service.h"

#include <optional>
#include <string>
#include <utility>

#include "telemetry/log.h"

namespace payments::service {

payments::Result<store::PutResult> SetFlag(db::Pool& pool, std::string_view key,
                                           const flags::DefinitionEdit& edit,
                                           const store::FlagChange& change,
                                           std::string_view edit_errors_under) {
  auto put = store::PutFlag(
      pool, key,
      [&](const std::optional<store::StoredFlag>& current) -> payments::Result<flags::Definition> {
        auto next = flags::ApplyEdit(
            key, current ? std::optional<std::string>(current->definition) : std::nullopt, edit);
        if (!next && !edit_errors_under.empty() && next.error().param != "key") {
          Error e = next.error();
          e.param = e.param.empty() ? std::string(edit_errors_under)
                                    : std::string(edit_errors_under) + "." + e.param;
          return std::unexpected(std::move(e));
        }
        return next;
      },
      change);
  if (put && put->changed) {
    log::Info("flag changed", {{"flag", key},
                               {"version", put->flag.version},
                               {"actor", change.actor},
                               {"reason", change.reason}});
  }
  return put;
}

payments::Result<store::StoredFlag> DeleteFlag(db::Pool& pool, std::string_view key,
                                               const store::FlagChange& change) {
  auto deleted = store::DeleteFlag(pool, key, change);
  if (deleted) {
    log::Info("flag deleted", {{"flag", key},
                               {"version", deleted->version},
                               {"actor", change.actor},
                               {"reason", change.reason}});
  }
  return deleted;
}

}  // namespace payments::service
