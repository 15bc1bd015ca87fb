// The state machine of `payments sandbox`, the SIMULATED card processor (it
// moves no money): authorizations, refunds, the stored result of each
// Idempotency-Key, the faults its test cards ask for, and the replay of its
// journal. No I/O but through JournalSink, so every rule is unit-testable;
// the HTTP side (sandbox/sandbox_server.h) waits, delivers and drops. The
// protocol is docs/sandbox.md.
//
// Test cards (any other Luhn-valid number of 12–19 digits approves):
//   4000000000000002  402 card_declined          (recorded under the key)
//   4000000000009995  402 insufficient_funds     (recorded)
//   4000000000000069  402 expired_card           (recorded)
//   4000000000000127  402 incorrect_cvc          (recorded)
//   4000000000000119  402 processing_error       (recorded)
//   4000000000000341  approves after --slow-latency
//   4000000000005126  approves; every cancel and refund of it is 402
//                     processing_error "could not reverse" (recorded)
//   4000000000000259  authorize gets no answer: nothing recorded, the
//                     connection is held --hang, then dropped
//   4000000000007999  flaky: per Idempotency-Key, the first --flaky-failures
//                     authorize attempts are 503 temporarily_unavailable
//                     (nothing recorded), then it approves
// Per-operation faults: 400000000007 <operation> <fault> 0 <check digit>,
// operation 1 authorize, 2 capture, 3 cancel, 4 refund; fault 1 no answer
// (nothing recorded, hold --hang, drop), 2 answer lost after commit (recorded
// durably, then the connection is dropped), 3 500 internal_error (nothing
// recorded). The fault hits that operation of an authorization made with the
// card; the others behave normally:
//   authorize  4000000000071102 no answer, 4000000000071201 lost, 4000000000071300 5xx
//   capture    4000000000072100 no answer, 4000000000072209 lost, 4000000000072308 5xx
//   cancel     4000000000073108 no answer, 4000000000073207 lost, 4000000000073306 5xx
//   refund     4000000000074106 no answer, 4000000000074205 lost, 4000000000074304 5xx
//
// The full card number never leaves ParseRequest: an authorization keeps
// brand, last4 and the card's fault profile.
//
// Thread-safe: State's methods lock its one mutex (never held across a
// wait); the free functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/error.h"

namespace payments::sandbox {

enum class Operation { kAuthorize = 1, kCapture = 2, kCancel = 3, kRefund = 4 };

std::string_view ToString(Operation op);  // "authorize", "capture", ...

enum class Fault { kNone = 0, kNoAnswer = 1, kLostAfterCommit = 2, kServerError = 3 };

// What a card number asks the sandbox to do.
struct CardProfile {
  std::string decline_code;  // non-empty: authorize is declined with this code
  bool slow = false;
  bool flaky = false;
  bool reversal_fails = false;   // cancel and refund are 402 processing_error
  bool authorize_hangs = false;  // 4000000000000259
  int fault_operation = 0;       // an Operation, or 0
  Fault fault = Fault::kNone;
};

CardProfile ProfileOf(std::string_view number);

struct AuthorizeParams {
  int64_t amount = 0;
  std::string currency;
  bool capture = true;
  std::string merchant;
  std::string reference;
  std::string brand;  // "visa", ..., or "unknown"
  std::string last4;
  CardProfile profile;
};

// The parsed body of a POST: `authorize` for kAuthorize, `amount` for
// capture and refund (nullopt: the whole amount), nothing for cancel.
struct ParsedRequest {
  Operation op = Operation::kAuthorize;
  AuthorizeParams authorize;
  std::optional<int64_t> amount;
};

inline constexpr int64_t kMaxAmount = 99'999'999'999;
inline constexpr size_t kMaxIdempotencyKeyLength = 255;

// Parses and validates a POST body for op. Unknown fields are refused.
// Errors are InvalidRequest (400) with code invalid_json, parameter_missing or
// parameter_invalid and `param` naming the field; their messages never hold
// the body's bytes. Never throws.
payments::Result<ParsedRequest> ParseRequest(Operation op, std::string_view body);

// 1–255 characters of [A-Za-z0-9_:.-], not "." or ".." (so that every key
// can be looked up as a path segment); else 400 idempotency_key_invalid.
payments::Status ValidateIdempotencyKey(std::string_view key);

// What binds a key to its request: hex SHA-256 of method, path and body.
std::string RequestHash(std::string_view method, std::string_view path, std::string_view body);

// Where State writes each state change, one JSON line (without its newline)
// at a time, before the change is applied. Append returns a ticket to wait on
// until the line is durable (sandbox/sandbox_journal.h); an error means
// nothing was appended.
class JournalSink {
 public:
  virtual ~JournalSink() = default;
  virtual payments::Result<uint64_t> Append(std::string_view line) = 0;
};

// What to send back, and how.
struct Reply {
  enum class Delivery {
    kAnswer,        // status and body
    kDrop,          // close the connection without answering (after durability)
    kHoldThenDrop,  // nothing recorded: hold the connection --hang, then drop it
  };
  int status = 200;
  std::string body;
  bool replayed = false;  // Idempotent-Replayed: true
  Delivery delivery = Delivery::kAnswer;
  // Wait until this journal ticket is durable before delivering.
  std::optional<uint64_t> durable_ticket;
  // Then call State::Settle with this key (a result that was in flight).
  std::string settle_key;
};

// A POST to execute: key and hash checked already, body parsed.
struct Mutation {
  std::string key;
  std::string hash;
  std::string authorization_id;  // capture, cancel, refund
  ParsedRequest request;
};

struct StateOptions {
  int flaky_failures = 2;
  // Unix seconds for `created`; the system clock when empty.
  std::function<int64_t()> now;
};

// An {"error": ...} reply.
Reply ErrorReply(int status, std::string_view type, std::string_view code, std::string_view message,
                 std::string_view param = {});
Reply ErrorReply(const Error& error);

class State {
 public:
  State(StateOptions options, JournalSink& journal);
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Applies one journal line (at start, before serving). An error names the
  // problem; the line is then not applied.
  payments::Status Replay(std::string_view line);

  // Checks the key (closed 409, in flight 409, stored: replay or 422),
  // decides, journals and applies, all under the mutex.
  Reply Execute(const Mutation& mutation);
  // The result stored under key is durable: answer it from now on.
  void Settle(std::string_view key);

  // GET /v1/idempotency-keys/{key}: the stored result (200), in flight (409),
  // else the key is closed (journaled) and the answer is 404.
  Reply Lookup(std::string_view key);
  Reply GetAuthorization(std::string_view id) const;
  Reply GetRefund(std::string_view id) const;
  Reply Balances() const;

  // Everything but the in-memory attempt counters, canonically ordered: two
  // states with equal dumps answer alike.
  nlohmann::ordered_json Dump() const;

  struct Authorization {
    std::string id;
    std::string status;  // authorized, captured, canceled
    int64_t amount = 0;
    int64_t amount_captured = 0;
    int64_t amount_refunded = 0;
    std::string currency;
    std::string merchant;
    std::string reference;
    std::string brand;
    std::string last4;
    int64_t created = 0;
    CardProfile profile;
  };
  struct Refund {
    std::string id;
    std::string authorization;
    int64_t amount = 0;
    std::string currency;
    std::string merchant;
    int64_t created = 0;
  };

 private:
  struct KeyRecord {
    enum class Kind { kInFlight, kDone, kClosed } kind = Kind::kDone;
    std::string hash;
    int status = 0;
    std::string body;
  };
  static KeyRecord ClosedKey() {
    KeyRecord r;
    r.kind = KeyRecord::Kind::kClosed;
    return r;
  }

  Reply Authorize(const Mutation& m);
  Reply FollowUp(const Mutation& m);
  // Journals the result under m.key with what it changed, then applies it.
  Reply Commit(const Mutation& m, int status, std::string body, const Authorization* authorization,
               const Refund* refund, bool drop);
  void Apply(const std::string& key, KeyRecord record, const Authorization* authorization,
             const Refund* refund);
  int64_t Now() const;

  const StateOptions options_;
  JournalSink& journal_;
  mutable std::mutex mu_;
  std::map<std::string, Authorization, std::less<>> authorizations_;
  std::map<std::string, Refund, std::less<>> refunds_;
  std::map<std::string, KeyRecord, std::less<>> keys_;
  std::map<std::string, int, std::less<>> attempts_;  // flaky card, per key; memory only
};

}  // namespace payments::sandbox
