#include "sandbox/sandbox_server.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <utility>

#include "core/host_port.h"
#include "fibers/fiber.h"
#include "http/message.h"
#include "http/router.h"
#include "http/server.h"
#include "sandbox/sandbox_journal.h"
#include "sandbox/sandbox_state.h"
#include "telemetry/log.h"

namespace payments::sandbox {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kBodyLimit = 16 * 1024;
constexpr auto kStopGrace = std::chrono::seconds(2);

// State is built before the journal it writes to (the journal's replay
// fills it): its appends go through here once the journal is open.
class LateSink final : public JournalSink {
 public:
  payments::Result<uint64_t> Append(std::string_view line) override {
    if (journal_ == nullptr) return std::unexpected(Error::Unavailable("the journal is not open"));
    return journal_->Append(line);
  }
  void Attach(Journal* journal) { journal_ = journal; }

 private:
  Journal* journal_ = nullptr;
};

http::Response ToResponse(const Reply& reply) {
  http::Response res;
  res.status = reply.status;
  res.body = reply.body;
  if (reply.replayed) res.SetHeader("Idempotent-Replayed", "true");
  return res;
}

http::Response Dropped() {
  http::Response res;
  res.status = 0;
  res.body.clear();
  res.drop_connection = true;
  return res;
}

class Handlers {
 public:
  Handlers(State& state, Journal& journal, const SandboxConfig& config)
      : state_(state), journal_(journal), config_(config) {
    router_.Add("POST", "/v1/authorizations",
                [this](http::Request& r) { return Post(r, Operation::kAuthorize); });
    router_.Add("POST", "/v1/authorizations/{id}/capture",
                [this](http::Request& r) { return Post(r, Operation::kCapture); });
    router_.Add("POST", "/v1/authorizations/{id}/cancel",
                [this](http::Request& r) { return Post(r, Operation::kCancel); });
    router_.Add("POST", "/v1/authorizations/{id}/refunds",
                [this](http::Request& r) { return Post(r, Operation::kRefund); });
    router_.Add("GET", "/v1/authorizations/{id}", [this](http::Request& r) {
      return ToResponse(state_.GetAuthorization(r.PathParam("id")));
    });
    router_.Add("GET", "/v1/refunds/{id}", [this](http::Request& r) {
      return ToResponse(state_.GetRefund(r.PathParam("id")));
    });
    router_.Add("GET", "/v1/idempotency-keys/{key}",
                [this](http::Request& r) { return Lookup(r); });
    router_.Add("GET", "/v1/balances",
                [this](http::Request&) { return ToResponse(state_.Balances()); });
    router_.Add("GET", "/healthz", [](http::Request&) {
      http::Response res;
      res.body = R"({"status":"ok","simulated":true})";
      return res;
    });
  }

  // On a fiber; never throws.
  http::Response Handle(http::Request& req) {
    try {
      if (config_.latency.count() > 0) fibers::SleepFor(config_.latency);
      const http::Router::Match match = router_.Find(req.method, req.path);
      http::Response res;
      switch (match.kind) {
        case http::Router::Match::Kind::kNotFound:
          res = ToResponse(ErrorReply(404, "invalid_request_error", "resource_missing",
                                      "Unrecognized request URL."));
          break;
        case http::Router::Match::Kind::kMethodNotAllowed: {
          res = ToResponse(ErrorReply(405, "invalid_request_error", "method_not_allowed",
                                      "The method is not allowed for this URL."));
          std::string allow;
          for (const std::string& m : match.allowed_methods)
            allow += (allow.empty() ? "" : ", ") + m;
          res.SetHeader("Allow", allow);
          break;
        }
        case http::Router::Match::Kind::kFound:
          req.route = match.route;
          req.path_params = match.params;
          res = (*match.handler)(req);
          res.route = match.route;
          break;
      }
      return res;
    } catch (const std::exception& e) {
      http::Response res = ToResponse(
          ErrorReply(500, "api_error", "internal_error", "The sandbox failed unexpectedly."));
      res.error_detail = e.what();
      return res;
    } catch (...) {
      return ToResponse(
          ErrorReply(500, "api_error", "internal_error", "The sandbox failed unexpectedly."));
    }
  }

 private:
  http::Response Post(http::Request& req, Operation op) {
    if (!req.HasHeader("idempotency-key")) {
      return ToResponse(ErrorReply(400, "invalid_request_error", "idempotency_key_invalid",
                                   "Every POST needs an Idempotency-Key header.",
                                   "Idempotency-Key"));
    }
    const std::string key(req.Header("idempotency-key"));
    if (auto valid = ValidateIdempotencyKey(key); !valid) {
      return ToResponse(ErrorReply(valid.error()));
    }
    auto parsed = ParseRequest(op, req.body);
    if (!parsed) return ToResponse(ErrorReply(parsed.error()));
    if (op == Operation::kAuthorize && parsed->authorize.profile.slow) {
      fibers::SleepFor(config_.slow_latency);
    }
    Mutation m{.key = key,
               .hash = RequestHash(req.method, req.path, req.body),
               .authorization_id = std::string(req.PathParam("id")),
               .request = std::move(*parsed)};
    return Deliver(state_.Execute(m), ToString(op));
  }

  http::Response Lookup(http::Request& req) {
    const std::string key(req.PathParam("key"));
    if (auto valid = ValidateIdempotencyKey(key); !valid) {
      Error e = valid.error();
      e.param = "key";
      return ToResponse(ErrorReply(e));
    }
    return Deliver(state_.Lookup(key), "lookup");
  }

  // Waits for durability, then answers, drops or holds as the reply says.
  http::Response Deliver(Reply reply, std::string_view operation) {
    if (reply.durable_ticket) journal_.WaitDurable(*reply.durable_ticket);
    if (!reply.settle_key.empty()) state_.Settle(reply.settle_key);
    switch (reply.delivery) {
      case Reply::Delivery::kAnswer:
        break;
      case Reply::Delivery::kDrop:
        log::Info("sandbox fault: answer lost after commit",
                  {{"operation", operation}, {"status", reply.status}});
        return Dropped();
      case Reply::Delivery::kHoldThenDrop:
        log::Info("sandbox fault: no answer",
                  {{"operation", operation}, {"hold_ms", config_.hang.count()}});
        fibers::SleepFor(config_.hang);
        return Dropped();
    }
    if (reply.status >= 500) {
      log::Info("sandbox fault: server error",
                {{"operation", operation}, {"status", reply.status}});
    }
    return ToResponse(reply);
  }

  State& state_;
  Journal& journal_;
  const SandboxConfig& config_;
  http::Router router_;
};

std::string FormatAddress(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

const char* SignalName(int sig) {
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
  }
  return "signal";
}

}  // namespace

int RunSandbox(const SandboxConfig& config) {
  // Before any thread starts, so that every thread inherits the mask and
  // only sigwait below sees these signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const auto address = ParseHostPort(config.listen);
  if (!address) {
    std::fputs(fmt::format("payments: error: --listen: {}\n", address.error().message).c_str(),
               stderr);
    return 2;
  }
  log::StartPeriodicFlush(std::chrono::seconds(1));
  log::Info("sandbox starting",
            {{"simulated", true},
             {"note", "SIMULATED card processor for development and tests: it moves no money"},
             {"journal", config.journal},
             {"latency_ms", config.latency.count()},
             {"slow_latency_ms", config.slow_latency.count()},
             {"hang_ms", config.hang.count()},
             {"flaky_failures", config.flaky_failures}});

  LateSink sink;
  StateOptions state_options;
  state_options.flaky_failures = config.flaky_failures;
  State state(std::move(state_options), sink);
  Journal::Opened opened;
  auto journal = Journal::Open(
      config.journal, [&state](std::string_view line) { return state.Replay(line); }, &opened);
  if (!journal) {
    log::Error("cannot open the sandbox journal", {{"error", journal.error().message}});
    log::Flush();
    return 1;
  }
  sink.Attach(journal->get());
  if (opened.torn_bytes > 0) {
    log::Warn("sandbox journal: torn last line dropped",
              {{"journal", config.journal}, {"bytes", opened.torn_bytes}});
  }
  log::Info("sandbox journal replayed", {{"journal", config.journal}, {"lines", opened.lines}});

  Handlers handlers(state, **journal, config);
  http::ServerOptions options;
  options.name = "sandbox";
  options.body_limit = kBodyLimit;
  options.io_threads = config.io_threads;
  http::Server server(
      options,
      [&handlers](http::Request req, http::Done done) {
        fibers::Start(*http::Server::CurrentLoop(),
                      [&handlers, req = std::move(req), done = std::move(done)]() mutable {
                        done(handlers.Handle(req));
                      });
      },
      [](const http::Request& req, const http::Response& res, std::chrono::nanoseconds t) {
        log::Buffered(log::Level::kInfo, "request",
                      {{"method", req.method},
                       {"route", res.route},
                       {"status", res.status},
                       {"dropped", res.drop_connection},
                       {"ms", std::chrono::duration<double, std::milli>(t).count()}});
      });
  const auto port = server.Listen(address->host, address->port);
  if (!port) {
    log::Error("cannot open the sandbox listener", {{"error", port.error().message}});
    (*journal)->Close();
    log::Flush();
    return 1;
  }
  server.Start();
  log::Info("sandbox listening", {{"port", *port},
                                  {"address", FormatAddress(address->host, *port)},
                                  {"simulated", true},
                                  {"note", "SIMULATED: no money moves"}});

  int sig = 0;
  while (true) {
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGHUP) break;
    log::Info("SIGHUP ignored", {{"reason", "the sandbox has nothing to reload"}});
  }
  log::Info("sandbox stopping", {{"signal", SignalName(sig)}, {"in_flight", server.in_flight()}});
  server.BeginDrain();
  server.StopAccepting();
  (void)server.WaitIdle(Clock::now() + kStopGrace);
  server.Stop();
  (*journal)->Close();
  log::Info("sandbox stopped");
  log::Flush();
  return 0;
}

}  // namespace payments::sandbox
