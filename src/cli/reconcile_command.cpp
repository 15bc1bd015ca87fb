// `payments reconcile …`: the processor calls whose answer is not recorded
// (docs/payment-states.md), for an operator.
//
//   payments reconcile list [--json]
//   payments reconcile retry <pay_…|re_…> --processor-url URL
//   payments reconcile resolve <pay_…|re_…> --outcome succeeded|failed --reason TEXT
//                              [--reference PROCESSOR_ID] [--actor NAME]
//   payments reconcile audit [--limit N] [--json]
//   payments reconcile report --since 24h|UNIX_SECONDS --processor-url URL [--json]
//
// `report` compares what the ledger says moved for every payment changed
// since then with what the processor holds for it, lists each difference and
// totals per merchant and currency; it exits 1 when there is a difference.
//
// `retry` asks the processor now, out of schedule (a call the reconciler
// gave up on included); `resolve` records what the operator found at the
// processor (its dashboard, its support) when the processor's API cannot
// say, and is audited with the actor and the reason in the transaction of the
// change. The id and the outcome read no PAYMENTS_* variable on purpose.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/subcommands.h"
#include "core/duration.h"
#include "db/batch.h"
#include "db/pool.h"
#include "processors/http_processor.h"
#include "service/reconciler.h"
#include "service/settlement_report.h"
#include "store/payment_store.h"
#include "store/reconcile_audit_store.h"

namespace payments::cli {
namespace {

using Json = nlohmann::ordered_json;

void PrintJson(const Json& value) {
  std::puts(value.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
}

struct Args {
  std::string database_url, processor_url, id, outcome, reason, reference, actor;
  int limit = 100;
  bool json = false;
};

std::string Actor(const Args& args) { return args.actor.empty() ? DefaultActor() : args.actor; }

void AddList(CLI::App& reconcile, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = reconcile.add_subcommand("list", "Every pending call, oldest first");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_flag("--json", args->json, "One JSON object per line");
  sub->add_option("--limit", args->limit, "At most this many of each kind")
      ->check(CLI::Range(1, 10000));
  sub->callback([args, &exit_code] {
    RunWithPool(
        args->database_url, "payments reconcile", exit_code,
        [&](db::Pool& pool) -> payments::Status {
          auto payments = db::Read(
              pool, [&](db::Connection& c) { return store::UnsettledPayments(c, args->limit); });
          if (!payments) return std::unexpected(payments.error());
          auto refunds = db::Read(
              pool, [&](db::Connection& c) { return store::UnsettledRefunds(c, args->limit); });
          if (!refunds) return std::unexpected(refunds.error());
          if (!args->json) {
            std::printf("%-30s %-30s %-9s %12s %-4s %6s %s\n", "ID", "MERCHANT", "OPERATION",
                        "AMOUNT", "CUR", "LOOKS", "STATE");
          }
          auto row = [&](const std::string& id, const std::string& merchant, std::string_view op,
                         int64_t amount, const std::string& currency, int looks, bool exhausted) {
            const char* state = exhausted ? "needs an operator" : "scheduled";
            if (args->json) {
              PrintJson({{"id", id},
                         {"merchant_id", merchant},
                         {"operation", op},
                         {"amount", amount},
                         {"currency", currency},
                         {"looks", looks},
                         {"needs_operator", exhausted}});
            } else {
              std::printf("%-30s %-30s %-9s %12lld %-4s %6d %s\n", id.c_str(), merchant.c_str(),
                          std::string(op).c_str(), static_cast<long long>(amount), currency.c_str(),
                          looks, state);
            }
          };
          for (const auto& d : *payments) {
            // An operation this release cannot read (a newer one wrote it) is
            // listed as such, never guessed at.
            row(d.payment.id, d.payment.merchant_id,
                d.payment.pending ? ToString(d.payment.pending->operation) : "unknown",
                d.payment.pending ? d.payment.pending->amount : 0, d.payment.currency, d.attempts,
                d.exhausted);
          }
          for (const auto& d : *refunds) {
            row(d.refund.id, d.refund.merchant_id, "refund", d.refund.amount, d.refund.currency,
                d.attempts, d.exhausted);
          }
          return {};
        });
  });
}

void AddRetry(CLI::App& reconcile, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = reconcile.add_subcommand("retry", "Ask the processor about one pending call now");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_option("id", args->id, "pay_… (its pending call) or re_… (a pending refund)")
      ->required();
  sub->add_option("--processor-url", args->processor_url, "The processor, http://host:port")
      ->envname("PAYMENTS_PROCESSOR_URL")
      ->required();
  sub->callback([args, &exit_code] {
    auto processor = processors::HttpProcessor::Create({.url = args->processor_url});
    if (!processor) return void(exit_code = ReportError(processor.error()));
    RunWithPool(
        args->database_url, "payments reconcile", exit_code,
        [&](db::Pool& pool) -> payments::Status {
          service::Reconciler reconciler(pool, **processor, {});
          auto found = args->id.starts_with("re_") ? reconciler.LookAtRefund(args->id)
                                                   : reconciler.LookAtPayment(args->id);
          if (!found) return std::unexpected(found.error());
          std::puts(*found ? "recorded: the processor answered (see the payment or refund)"
                           : "no answer recorded: nothing of that id is pending, or the processor "
                             "still cannot say");
          return {};
        });
  });
}

void AddResolve(CLI::App& reconcile, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = reconcile.add_subcommand(
      "resolve", "Record what the processor did with a pending call, as found by an operator");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_option("id", args->id, "pay_… (its pending call) or re_… (a pending refund)")
      ->required();
  sub->add_option("--outcome", args->outcome, "succeeded (it happened) or failed (it did not)")
      ->required();
  sub->add_option("--reason", args->reason, "Why, for the audit (1-500 characters)")->required();
  sub->add_option("--reference", args->reference,
                  "The processor's id of what it did (required for an authorization that "
                  "succeeded)");
  sub->add_option("--actor", args->actor, "Who, for the audit (default: $USER@host)")
      ->envname("PAYMENTS_ACTOR");
  sub->callback([args, &exit_code] {
    if (args->outcome != "succeeded" && args->outcome != "failed") {
      PrintError(fmt::format("--outcome must be succeeded or failed, not '{}'",
                             args->outcome.substr(0, 40)));
      return void(exit_code = 2);
    }
    RunWithPool(args->database_url, "payments reconcile", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto outcome =
                      service::ResolveByOperator(pool, {.id = args->id,
                                                        .succeeded = args->outcome == "succeeded",
                                                        .reference = args->reference,
                                                        .reason = args->reason,
                                                        .actor = Actor(*args)});
                  if (!outcome) return std::unexpected(outcome.error());
                  std::printf("recorded: %s is now %s\n", args->id.c_str(), outcome->c_str());
                  return {};
                });
  });
}

void AddAudit(CLI::App& reconcile, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = reconcile.add_subcommand("audit", "Operators' reconciliation actions, newest first");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_flag("--json", args->json, "One JSON object per line");
  sub->add_option("--limit", args->limit, "At most this many")->check(CLI::Range(1, 10000));
  sub->callback([args, &exit_code] {
    RunWithPool(args->database_url, "payments reconcile", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto entries = db::Read(pool, [&](db::Connection& c) {
                    return store::ListReconcileAudit(c, args->limit);
                  });
                  if (!entries) return std::unexpected(entries.error());
                  for (const auto& e : *entries) {
                    if (args->json) {
                      PrintJson({{"id", e.id},
                                 {"at", e.at},
                                 {"actor", e.actor},
                                 {"action", e.action},
                                 {"subject_id", e.subject_id},
                                 {"outcome", e.outcome},
                                 {"reason", e.reason}});
                    } else {
                      std::printf("%s %-8s %-30s %-10s %s: %s\n", e.at.c_str(), e.action.c_str(),
                                  e.subject_id.c_str(), e.outcome.c_str(), e.actor.c_str(),
                                  e.reason.c_str());
                    }
                  }
                  return {};
                });
  });
}

// "24h" (that long ago) or Unix seconds.
std::optional<int64_t> ParseSince(const std::string& text) {
  if (!text.empty() && text.size() <= 12 &&
      text.find_first_not_of("0123456789") == std::string::npos) {
    return std::stoll(text);
  }
  const auto ago = ParseDuration(text);
  if (!ago || ago->count() <= 0) return std::nullopt;
  const auto now = std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::seconds>((now - *ago).time_since_epoch()).count();
}

void AddReport(CLI::App& reconcile, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = reconcile.add_subcommand(
      "report",
      "The ledger against the processor's record, payment by payment (exit 1: a difference)");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_option("--since", args->id, "24h, 7d, … ago, or Unix seconds")->required();
  sub->add_option("--processor-url", args->processor_url, "The processor, http://host:port")
      ->envname("PAYMENTS_PROCESSOR_URL")
      ->required();
  sub->add_flag("--json", args->json, "One JSON object");
  sub->callback([args, &exit_code] {
    const auto since = ParseSince(args->id);
    if (!since) {
      PrintError(fmt::format("--since '{}' is neither a duration (24h) nor Unix seconds",
                             args->id.substr(0, 40)));
      return void(exit_code = 2);
    }
    auto processor = processors::HttpProcessor::Create({.url = args->processor_url});
    if (!processor) return void(exit_code = ReportError(processor.error()));
    bool differs = false;
    RunWithPool(args->database_url, "payments reconcile", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto report = service::BuildSettlementReport(pool, **processor, *since);
                  if (!report) return std::unexpected(report.error());
                  differs = !report->differences.empty();
                  if (args->json) {
                    Json out = {{"since", *since}, {"checked", report->checked}};
                    out["differences"] = Json::array();
                    for (const auto& d : report->differences) {
                      out["differences"].push_back({{"payment_id", d.payment_id},
                                                    {"merchant_id", d.merchant_id},
                                                    {"currency", d.currency},
                                                    {"processor_reference", d.processor_reference},
                                                    {"ledger_net", d.ledger_net},
                                                    {"processor_net", d.processor_net},
                                                    {"problem", d.problem}});
                    }
                    out["totals"] = Json::array();
                    for (const auto& t : report->totals) {
                      out["totals"].push_back({{"merchant_id", t.merchant_id},
                                               {"currency", t.currency},
                                               {"payments", t.payments},
                                               {"ledger_net", t.ledger_net},
                                               {"processor_net", t.processor_net}});
                    }
                    PrintJson(out);
                    return {};
                  }
                  std::printf("%lld payments checked, %zu differences\n",
                              static_cast<long long>(report->checked), report->differences.size());
                  for (const auto& d : report->differences) {
                    std::printf("DIFF %s %s %s ledger %lld processor %lld (%s, %s)\n",
                                d.payment_id.c_str(), d.merchant_id.c_str(), d.currency.c_str(),
                                static_cast<long long>(d.ledger_net),
                                static_cast<long long>(d.processor_net), d.problem.c_str(),
                                d.processor_reference.c_str());
                  }
                  for (const auto& t : report->totals) {
                    std::printf("TOTAL %s %s payments %lld ledger %lld processor %lld\n",
                                t.merchant_id.c_str(), t.currency.c_str(),
                                static_cast<long long>(t.payments),
                                static_cast<long long>(t.ledger_net),
                                static_cast<long long>(t.processor_net));
                  }
                  return {};
                });
    if (exit_code == 0 && differs) exit_code = 1;
  });
}

}  // namespace

void AddReconcileCommand(CLI::App& app, int& exit_code) {
  auto* reconcile = app.add_subcommand(
      "reconcile", "Processor calls whose answer is not recorded (docs/payment-states.md)");
  reconcile->require_subcommand(1);
  AddList(*reconcile, exit_code);
  AddRetry(*reconcile, exit_code);
  AddResolve(*reconcile, exit_code);
  AddAudit(*reconcile, exit_code);
  AddReport(*reconcile, exit_code);
}

}  // namespace payments::cli
