// `payments merchants keys …`: a merchant's API keys, through the use cases of
// service/api_keys.h that the admin API calls too. Every change is audited
// with its actor; a revocation takes effect on every running instance within
// a second.
//
//   payments merchants keys create --merchant mer_… [--mode test|live] [--actor NAME] [--json]
//   payments merchants keys list --merchant mer_… [--json]
//   payments merchants keys revoke --key key_… [--actor NAME] [--json]
//   payments merchants keys roll --key key_… --grace-period 24h [--actor NAME] [--json]
//   payments merchants keys audit [--merchant mer_…] [--limit N] [--json]
//
// Which key, which merchant, which mode and how long a grace read no PAYMENTS_*
// variable on purpose: a variable left in a shell must never pick the key a
// command revokes. The connection and the actor do.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "api/admin_keys_handlers.h"
#include "api/responses.h"
#include "cli/subcommands.h"
#include "db/pool.h"
#include "service/api_keys.h"

namespace payments::cli {
namespace {

// One JSON line on stdout. Text from the database is UTF-8 already; the
// replace handler keeps a bad byte from ever throwing out of a command.
void PrintJson(const nlohmann::ordered_json& value) {
  std::puts(value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
}

using Json = nlohmann::ordered_json;

struct Args {
  std::string database_url, merchant, key, mode{"test"}, grace, actor;
  int limit = 100;
  bool json = false;

  service::KeyChange Change() const { return {.actor = actor.empty() ? DefaultActor() : actor}; }
};

std::string OrDash(const std::optional<std::string>& s) { return s ? *s : "-"; }

void PrintCreated(const service::CreatedKey& c) {
  std::printf("key:        %s\nmerchant:   %s\nmode:       %s\nsecret key: %s\n", c.key.id.c_str(),
              c.key.merchant_id.c_str(), c.key.mode.c_str(), c.secret.c_str());
  std::fputs("The secret key is shown this once; it is stored only as a hash.\n", stderr);
}

// Runs body with a pool on the database; its error, or the pool's, sets the
// exit code.
CLI::App* AddCommon(CLI::App& keys, const char* name, const char* what, Args& args) {
  auto* sub = keys.add_subcommand(name, what);
  AddDatabaseUrlOption(sub, args.database_url);
  sub->add_flag("--json", args.json, "Print as JSON");
  return sub;
}

void AddActor(CLI::App* sub, Args& args) {
  sub->add_option("--actor", args.actor,
                  "Who makes the change, for the audit (default: $USER@host)")
      ->envname("PAYMENTS_ACTOR");
}

void AddCreate(CLI::App& keys, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = AddCommon(keys, "create", "A new key; prints it (shown this once only)", *args);
  sub->add_option("--merchant", args->merchant, "The merchant's id")->required();
  sub->add_option("--mode", args->mode, "test (default) or live");
  AddActor(sub, *args);
  sub->callback([args, &exit_code] {
    auto mode = service::ParseKeyMode(args->mode);
    if (!mode) return void(exit_code = ReportError(mode.error()));
    RunWithPool(args->database_url, "payments merchants keys", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto created = service::CreateKey(pool, args->merchant, *mode, args->Change());
                  if (!created) return std::unexpected(created.error());
                  if (args->json) {
                    PrintJson(api::CreatedKeyJson(*created));
                  } else {
                    PrintCreated(*created);
                  }
                  return {};
                });
  });
}

void AddList(CLI::App& keys, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = AddCommon(keys, "list", "The merchant's keys (never a secret or hash)", *args);
  sub->add_option("--merchant", args->merchant, "The merchant's id")->required();
  sub->callback([args, &exit_code] {
    RunWithPool(
        args->database_url, "payments merchants keys", exit_code,
        [&](db::Pool& pool) -> payments::Status {
          auto listed = service::ListKeys(pool, args->merchant);
          if (!listed) return std::unexpected(listed.error());
          if (args->json) {
            Json data = Json::array();
            for (const auto& k : *listed) data.push_back(api::ApiKeyJson(k));
            PrintJson(api::ListObject(fmt::format("/admin/merchants/{}/keys", args->merchant), data,
                                      false));
            return {};
          }
          std::puts(fmt::format("{:<30}  {:<12}  {:<4}  {:<24}  {:<24}  {}", "ID", "PREFIX", "MODE",
                                "CREATED", "EXPIRES", "REVOKED")
                        .c_str());
          for (const auto& k : *listed) {
            std::puts(fmt::format("{:<30}  {:<12}  {:<4}  {:<24}  {:<24}  {}", k.id, k.key_prefix,
                                  k.mode, k.created_at, OrDash(k.expires_at), OrDash(k.revoked_at))
                          .c_str());
          }
          return {};
        });
  });
}

void AddRevoke(CLI::App& keys, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub =
      AddCommon(keys, "revoke", "Stop a key now, on every running instance within a second", *args);
  sub->add_option("--key", args->key, "The key's id (key_…), as `keys list` shows it")->required();
  AddActor(sub, *args);
  sub->callback([args, &exit_code] {
    RunWithPool(args->database_url, "payments merchants keys", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto revoked = service::RevokeKey(pool, args->key, args->Change());
                  if (!revoked) return std::unexpected(revoked.error());
                  if (args->json) {
                    PrintJson(api::ApiKeyJson(*revoked));
                  } else {
                    std::printf("revoked %s (%s…) at %s\n", revoked->id.c_str(),
                                revoked->key_prefix.c_str(), OrDash(revoked->revoked_at).c_str());
                  }
                  return {};
                });
  });
}

void AddRoll(CLI::App& keys, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = AddCommon(keys, "roll",
                        "A new key of the same merchant and mode; the old one keeps working "
                        "for the grace period",
                        *args);
  sub->add_option("--key", args->key, "The key's id (key_…)")->required();
  sub->add_option("--grace-period", args->grace,
                  "How long the old key keeps working: 0, or 30s, 15m, 24h … up to 7d")
      ->required();
  AddActor(sub, *args);
  sub->callback([args, &exit_code] {
    auto grace = service::ParseGracePeriod(args->grace, "grace-period");
    if (!grace) return void(exit_code = ReportError(grace.error()));
    RunWithPool(args->database_url, "payments merchants keys", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto rolled = service::RollKey(pool, args->key, *grace, args->Change());
                  if (!rolled) return std::unexpected(rolled.error());
                  if (args->json) {
                    PrintJson(api::RolledKeyJson(*rolled));
                    return {};
                  }
                  PrintCreated(rolled->replacement);
                  const auto& old = rolled->old_key;
                  const std::string until = old.revoked_at
                                                ? "revoked at " + *old.revoked_at
                                                : "works until " + OrDash(old.expires_at);
                  std::printf("old key:    %s (%s…) %s\n", old.id.c_str(), old.key_prefix.c_str(),
                              until.c_str());
                  return {};
                });
  });
}

void AddAudit(CLI::App& keys, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = AddCommon(keys, "audit", "Who changed which key and when, newest first", *args);
  sub->add_option("--merchant", args->merchant, "Only this merchant's keys");
  sub->add_option("--limit", args->limit, "At most this many rows (1–1000)");
  sub->callback([args, &exit_code] {
    RunWithPool(args->database_url, "payments merchants keys", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto records = service::KeyAudit(pool, args->merchant, args->limit);
                  if (!records) return std::unexpected(records.error());
                  if (args->json) {
                    Json data = Json::array();
                    for (const auto& r : *records) data.push_back(api::KeyAuditJson(r));
                    PrintJson(api::ListObject("/admin/keys/audit", data, false));
                    return {};
                  }
                  std::puts(fmt::format("{:<24}  {:<6}  {:<30}  {:<12}  {:<20}  {}", "AT", "ACTION",
                                        "KEY", "PREFIX", "ACTOR", "DETAIL")
                                .c_str());
                  for (const auto& r : *records) {
                    std::puts(fmt::format("{:<24}  {:<6}  {:<30}  {:<12}  {:<20}  {}", r.at,
                                          r.action, r.key_id, r.key_prefix, r.actor, r.detail)
                                  .c_str());
                  }
                  return {};
                });
  });
}

}  // namespace

void AddMerchantKeysCommand(CLI::App& merchants, int& exit_code) {
  auto* keys = merchants.add_subcommand("keys", "Create, list, revoke and roll API keys");
  keys->require_subcommand(1);
  AddCreate(*keys, exit_code);
  AddList(*keys, exit_code);
  AddRevoke(*keys, exit_code);
  AddRoll(*keys, exit_code);
  AddAudit(*keys, exit_code);
}

}  // namespace payments::cli
