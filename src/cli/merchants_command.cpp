// `payments merchants create --name NAME` and `payments merchants list`; the
// keys of a merchant under `payments merchants keys` (merchant_keys_command.cpp).
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/subcommands.h"
#include "db/connection.h"
#include "service/merchant_service.h"
#include "store/merchant_store.h"

namespace payments::cli {
namespace {

payments::Result<std::unique_ptr<db::Connection>> Connect(const std::string& url) {
  if (url.empty()) {
    return std::unexpected(Error::InvalidRequest(
        "missing_database_url", "no database: set PAYMENTS_DATABASE_URL or --database-url"));
  }
  return db::Connection::Open({.conninfo = url, .application_name = "payments merchants"});
}

}  // namespace

void AddMerchantsCommand(CLI::App& app, int& exit_code) {
  auto* merchants = app.add_subcommand("merchants", "Create and list merchants");
  merchants->require_subcommand(1);

  struct Args {
    std::string database_url;
    std::string name;
    std::string actor;
    bool json = false;
  };
  auto create_args = std::make_shared<Args>();
  auto* create = merchants->add_subcommand(
      "create", "Create a merchant; prints its id and secret key (shown this once only)");
  AddDatabaseUrlOption(create, create_args->database_url);
  create->add_option("--name", create_args->name, "The merchant's name")->required();
  create->add_flag("--json", create_args->json, "Print as JSON");
  create
      ->add_option("--actor", create_args->actor,
                   "Who creates it, for the key's audit (default: $USER@host)")
      ->envname("PAYMENTS_ACTOR");
  create->callback([create_args, &exit_code] {
    if (auto s = service::ValidateMerchantName(create_args->name); !s) {
      exit_code = ReportError(s.error());
      return;
    }
    auto conn = Connect(create_args->database_url);
    if (!conn) {
      exit_code = ReportError(conn.error());
      return;
    }
    auto m =
        service::CreateMerchant(**conn, create_args->name,
                                create_args->actor.empty() ? DefaultActor() : create_args->actor);
    if (!m) {
      exit_code = ReportError(m.error());
      return;
    }
    if (create_args->json) {
      std::puts(
          nlohmann::ordered_json({{"id", m->id}, {"name", m->name}, {"secret_key", m->secret_key}})
              .dump()
              .c_str());
    } else {
      std::printf("merchant:   %s\nname:       %s\nsecret key: %s\n", m->id.c_str(),
                  m->name.c_str(), m->secret_key.c_str());
      std::fputs("The secret key is shown this once; it is stored only as a hash.\n", stderr);
    }
    exit_code = 0;
  });

  auto list_args = std::make_shared<Args>();
  auto* list = merchants->add_subcommand("list", "List merchants (never their keys)");
  AddDatabaseUrlOption(list, list_args->database_url);
  list->add_flag("--json", list_args->json, "Print as JSON");
  list->callback([list_args, &exit_code] {
    auto conn = Connect(list_args->database_url);
    if (!conn) {
      exit_code = ReportError(conn.error());
      return;
    }
    auto rows = store::ListMerchants(**conn);
    if (!rows) {
      exit_code = ReportError(rows.error());
      return;
    }
    if (list_args->json) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& r : *rows) {
        out.push_back({{"id", r.id},
                       {"name", r.name},
                       {"created_at", r.created_at},
                       {"active_keys", r.active_keys}});
      }
      std::puts(out.dump().c_str());
    } else {
      std::printf("%-32s %-22s %-12s %s\n", "ID", "CREATED", "ACTIVE KEYS", "NAME");
      for (const auto& r : *rows) {
        std::printf("%-32s %-22s %-12lld %s\n", r.id.c_str(), r.created_at.c_str(),
                    static_cast<long long>(r.active_keys), r.name.c_str());
      }
    }
    exit_code = 0;
  });

  AddMerchantKeysCommand(*merchants, exit_code);
}

}  // namespace payments::cli
