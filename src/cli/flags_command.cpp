// `payments flags …`: read and change feature flags in the database. Every
// change names its actor and reason, which the audit table keeps; running
// instances pick the change up within a second (LISTEN/NOTIFY).
//
//   payments flags list
//   payments flags set processor.sandbox.enabled --off --reason "INC-42"
//   payments flags set refunds.v2 --percentage 10 --add-deny mer_123 --reason "canary"
//   payments flags delete refunds.v2 --reason "fully released"
//   payments flags export --format flagd > flags.json
//
// The options that make up a definition read no PAYMENTS_* variable on
// purpose: a variable left in a shell must never change a flag behind the
// operator's back. The connection, the actor and the reason do.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "api/responses.h"
#include "cli/subcommands.h"
#include "db/connection.h"
#include "db/pool.h"
#include "flags/definition_edit.h"
#include "flags/definition_json.h"
#include "flags/flag_view.h"
#include "flags/flagd_export.h"
#include "service/flag_service.h"
#include "store/flag_store.h"
#include "telemetry/log.h"

namespace payments::cli {
namespace {

using Json = nlohmann::ordered_json;

void Fail(const Error& e, int& exit_code) { exit_code = ReportError(e); }

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    // Tolerate "a, b": spaces are never part of a merchant id.
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

payments::Result<std::unique_ptr<db::Connection>> Connect(const std::string& url) {
  auto conn = db::Connection::Open({.conninfo = url, .application_name = "payments flags"});
  if (!conn) {
    Error e = conn.error();
    e.message = "cannot connect to the database";
    return std::unexpected(e);
  }
  return conn;
}

db::PoolOptions PoolFor(const std::string& url) {
  db::PoolOptions o;
  o.connect.conninfo = url;
  o.connect.application_name = "payments flags";
  o.size = 1;
  return o;
}

// What every change names: the flag, the database, who and why.
struct ChangeArgs {
  std::string database_url, key, actor, reason;

  store::FlagChange Change() const {
    return {.actor = actor.empty() ? DefaultActor() : actor, .reason = reason};
  }
};

void AddChangeOptions(CLI::App* sub, ChangeArgs& args) {
  sub->add_option("key", args.key, "The flag's key")->required();
  AddDatabaseUrlOption(sub, args.database_url)->required();
  sub->add_option("--reason", args.reason, "Why (kept in the audit)")
      ->envname("PAYMENTS_FLAG_REASON")
      ->required();
  sub->add_option("--actor", args.actor, "Who (default: $USER@host)")->envname("PAYMENTS_ACTOR");
}

void PrintTable(const std::vector<flags::FlagView>& views) {
  size_t width = 3;
  for (const auto& v : views) width = std::max(width, v.key.size());
  std::puts(fmt::format("{:<{}}  {:<7}  {:<32}  {:>7}  {:<24}  {}", "KEY", width, "TYPE", "VALUE",
                        "VERSION", "UPDATED", "BY")
                .c_str());
  for (const auto& v : views) {
    const Json j = flags::ToJson(v);
    const std::string type = j["type"].is_string() ? j["type"].get<std::string>() : "?";
    std::puts(fmt::format(
                  "{:<{}}  {:<7}  {:<32}  {:>7}  {:<24}  {}", v.key, width, type, flags::Summary(v),
                  v.stored ? std::to_string(v.stored->version) : std::string("-"),
                  v.stored ? v.stored->updated_at : "-", v.stored ? v.stored->updated_by : "-")
                  .c_str());
  }
}

struct Common {
  std::string database_url;
  bool json = false;
};

void AddList(CLI::App* flags, int& exit_code) {
  auto args = std::make_shared<Common>();
  auto* list = flags->add_subcommand("list", "Every declared and stored flag and its state");
  AddDatabaseUrlOption(list, args->database_url)->required();
  list->add_flag("--json", args->json, "Print the admin API's JSON list instead of a table");
  list->callback([args, &exit_code] {
    auto conn = Connect(args->database_url);
    if (!conn) return Fail(conn.error(), exit_code);
    auto stored = store::ListFlags(**conn);
    if (!stored) return Fail(stored.error(), exit_code);
    const auto views = flags::MergeFlags(*stored);
    if (args->json) {
      Json data = Json::array();
      for (const auto& v : views) data.push_back(flags::ToJson(v));
      std::puts(api::ListObject("/admin/flags", std::move(data), false).dump(2).c_str());
    } else {
      PrintTable(views);
    }
    exit_code = 0;
  });
}

void AddGet(CLI::App* flags, int& exit_code) {
  struct Args : Common {
    std::string key;
  };
  auto args = std::make_shared<Args>();
  auto* get = flags->add_subcommand("get", "One flag as JSON: declaration, definition, version");
  get->add_option("key", args->key, "The flag's key")->required();
  AddDatabaseUrlOption(get, args->database_url)->required();
  get->callback([args, &exit_code] {
    auto conn = Connect(args->database_url);
    if (!conn) return Fail(conn.error(), exit_code);
    auto stored = store::FindFlag(**conn, args->key);
    if (!stored) return Fail(stored.error(), exit_code);
    flags::FlagView view = flags::ViewOf(args->key, *stored);
    if (!view.stored && view.declared == nullptr) {
      PrintError(fmt::format("flag '{}' is neither stored nor declared by this binary", args->key));
      exit_code = 1;
      return;
    }
    std::puts(flags::ToJson(view).dump(2).c_str());
    exit_code = 0;
  });
}

void AddSet(CLI::App* flags, int& exit_code) {
  struct Args : ChangeArgs {
    std::string json, type, variants, off_variant, on_variant, rule, percentage, allow, deny,
        add_allow, remove_allow, add_deny, remove_deny, description;
    bool on = false, off = false, allow_unknown = false;
  };
  auto args = std::make_shared<Args>();
  auto* set = flags->add_subcommand(
      "set", "Create or change a flag; options not given keep their stored value");
  AddChangeOptions(set, *args);
  auto* json = set->add_option("--json", args->json, "The whole definition as JSON");
  auto* on = set->add_flag("--on", args->on, "On for everyone (rule on)");
  auto* off = set->add_flag("--off", args->off, "Off for everyone (rule off)");
  auto* rule = set->add_option("--rule", args->rule, "off, on or rollout");
  auto* percentage =
      set->add_option("--percentage", args->percentage, "Roll out to this share of merchants");
  auto* allow = set->add_option("--allow", args->allow,
                                "Merchant ids always served the on value (comma-separated; "
                                "replaces the list, \"\" clears it)");
  auto* deny = set->add_option("--deny", args->deny,
                               "Merchant ids always served the off value (wins over --allow)");
  set->add_option("--add-allow", args->add_allow, "Add to the allow list");
  set->add_option("--remove-allow", args->remove_allow, "Remove from the allow list");
  set->add_option("--add-deny", args->add_deny, "Add to the deny list");
  set->add_option("--remove-deny", args->remove_deny, "Remove from the deny list");
  auto* type = set->add_option("--type", args->type, "boolean or string (new undeclared flags)");
  auto* variants = set->add_option("--variants", args->variants, "String flags: the values");
  auto* off_variant =
      set->add_option("--off-variant", args->off_variant, "String flags: the value when off");
  auto* on_variant =
      set->add_option("--on-variant", args->on_variant, "String flags: the value when on");
  auto* description = set->add_option("--description", args->description, "What the flag is for");
  set->add_flag("--allow-unknown", args->allow_unknown,
                "Accept a key that no code in this binary reads (a newer release's flag)");
  on->excludes(off);

  set->callback([=, &exit_code] {
    flags::DefinitionEdit edit;
    edit.allow_unknown = args->allow_unknown;
    if (json->count()) edit.json = args->json;
    if (type->count()) {
      edit.type = flags::ParseFlagType(args->type);
      if (!edit.type) {
        PrintError(fmt::format("--type must be 'boolean' or 'string' (got '{}')", args->type));
        exit_code = 2;
        return;
      }
    }
    if (rule->count()) {
      edit.rule = flags::ParseRule(args->rule);
      if (!edit.rule) {
        PrintError(fmt::format("--rule must be off, on or rollout (got '{}')", args->rule));
        exit_code = 2;
        return;
      }
    }
    if (args->on || args->off) {
      const flags::Rule r = args->on ? flags::Rule::kOn : flags::Rule::kOff;
      if (edit.rule && *edit.rule != r) {
        PrintError("--on and --off cannot be combined with another --rule");
        exit_code = 2;
        return;
      }
      edit.rule = r;
    }
    if (percentage->count()) {
      std::string_view text = args->percentage;
      if (text.ends_with('%')) text.remove_suffix(1);
      auto buckets = flags::ParsePercentage(text, "--percentage");
      if (!buckets) return Fail(buckets.error(), exit_code);
      edit.rollout_buckets = *buckets;
    }
    if (allow->count()) edit.allow = SplitList(args->allow);
    if (deny->count()) edit.deny = SplitList(args->deny);
    edit.add_allow = SplitList(args->add_allow);
    edit.remove_allow = SplitList(args->remove_allow);
    edit.add_deny = SplitList(args->add_deny);
    edit.remove_deny = SplitList(args->remove_deny);
    if (variants->count()) edit.variants = SplitList(args->variants);
    if (off_variant->count()) edit.off_variant = args->off_variant;
    if (on_variant->count()) edit.on_variant = args->on_variant;
    if (description->count()) edit.description = args->description;
    if (!edit.json && !edit.HasFieldEdits()) {
      PrintError("nothing to set: give --on, --off, --percentage, lists, or --json");
      exit_code = 2;
      return;
    }

    db::Pool pool(PoolFor(args->database_url));
    const std::string key = args->key;
    log::UseStderr();  // stdout is the command's answer
    auto put = service::SetFlag(pool, key, edit, args->Change());
    if (!put) return Fail(put.error(), exit_code);
    const flags::FlagView view = flags::ViewOf(key, put->flag);
    std::puts(fmt::format("flags: {} {} {} (version {})", key,
                          put->changed ? "is now" : "unchanged:", flags::Summary(view),
                          put->flag.version)
                  .c_str());
    exit_code = 0;
  });
}

void AddDelete(CLI::App* flags, int& exit_code) {
  auto args = std::make_shared<ChangeArgs>();
  auto* del = flags->add_subcommand(
      "delete", "Remove a stored flag: the code's compiled default applies again");
  AddChangeOptions(del, *args);
  del->callback([args, &exit_code] {
    db::Pool pool(PoolFor(args->database_url));
    log::UseStderr();  // stdout is the command's answer
    auto deleted = service::DeleteFlag(pool, args->key, args->Change());
    if (!deleted) return Fail(deleted.error(), exit_code);
    const flags::FlagView now = flags::ViewOf(args->key, std::nullopt);
    std::puts(fmt::format("flags: deleted {} (was {}, version {}); now: {}", args->key,
                          flags::Summary(flags::ViewOf(args->key, *deleted)), deleted->version,
                          flags::Summary(now))
                  .c_str());
    exit_code = 0;
  });
}

void AddHistory(CLI::App* flags, int& exit_code) {
  struct Args : Common {
    std::string key;
    int limit = 20;
  };
  auto args = std::make_shared<Args>();
  auto* history = flags->add_subcommand("history", "The audit of flag changes, newest first");
  history->add_option("key", args->key, "Only this flag");
  AddDatabaseUrlOption(history, args->database_url)->required();
  history->add_option("--limit", args->limit, "At most this many changes")
      ->check(CLI::Range(1, 10000));
  history->add_flag("--json", args->json, "Print JSON with the old and new definitions");
  history->callback([args, &exit_code] {
    auto conn = Connect(args->database_url);
    if (!conn) return Fail(conn.error(), exit_code);
    auto audit = store::ListFlagAudit(**conn, args->key, args->limit);
    if (!audit) return Fail(audit.error(), exit_code);
    if (args->json) {
      Json out = Json::array();
      for (const auto& a : *audit) {
        auto parse = [](const std::optional<std::string>& text) {
          return text ? Json::parse(*text, nullptr, false) : Json(nullptr);
        };
        out.push_back({{"id", a.id},
                       {"flag", a.flag_key},
                       {"action", a.action},
                       {"actor", a.actor},
                       {"reason", a.reason},
                       {"old", parse(a.old_definition)},
                       {"new", parse(a.new_definition)},
                       {"changed_at", a.changed_at}});
      }
      std::puts(out.dump(2).c_str());
    } else {
      for (const auto& a : *audit) {
        std::puts(fmt::format("{}  {:<6}  {}  by {}: {}", a.changed_at, a.action, a.flag_key,
                              a.actor, a.reason)
                      .c_str());
      }
    }
    exit_code = 0;
  });
}

void AddExport(CLI::App* flags, int& exit_code) {
  struct Args {
    std::string database_url, format = "flagd", output;
  };
  auto args = std::make_shared<Args>();
  auto* exp = flags->add_subcommand("export", "Write the flags in another system's format");
  AddDatabaseUrlOption(exp, args->database_url)->required();
  exp->add_option("--format", args->format, "Only flagd (https://flagd.dev) for now")
      ->check(CLI::IsMember({"flagd"}));
  exp->add_option("--output,-o", args->output, "Write to this file instead of standard output");
  exp->callback([args, &exit_code] {
    auto conn = Connect(args->database_url);
    if (!conn) return Fail(conn.error(), exit_code);
    auto stored = store::ListFlags(**conn);
    if (!stored) return Fail(stored.error(), exit_code);
    const flags::FlagdExport out = flags::ExportFlagd(store::ToSnapshotEntries(*stored));
    for (const std::string& skipped : out.skipped) {
      std::fputs(fmt::format("payments: warning: not exported, unusable: {}\n", skipped).c_str(),
                 stderr);
    }
    const std::string text = out.document.dump(2) + "\n";
    if (args->output.empty()) {
      std::fputs(text.c_str(), stdout);
    } else {
      std::ofstream file(args->output, std::ios::trunc);
      file << text;
      if (!file.flush()) {
        PrintError(fmt::format("cannot write {}", args->output));
        exit_code = 1;
        return;
      }
    }
    exit_code = 0;
  });
}

}  // namespace

void AddFlagsCommand(CLI::App& app, int& exit_code) {
  auto* flags = app.add_subcommand("flags", "Feature flags: list, change, audit, export");
  flags->require_subcommand(1);
  AddList(flags, exit_code);
  AddGet(flags, exit_code);
  AddSet(flags, exit_code);
  AddDelete(flags, exit_code);
  AddHistory(flags, exit_code);
  AddExport(flags, exit_code);
}

}  // namespace payments::cli
