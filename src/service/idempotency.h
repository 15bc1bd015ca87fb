// Runs a mutating use case at most once per Idempotency-Key (IETF draft
// "The Idempotency-Key HTTP Header Field", with Stripe's semantics):
//
//   - the first request claims the key, runs, and stores its reply in the
//     same transaction as its effects (Execution::Store inside that transaction);
//   - a retry with the same request gets the stored reply, marked replayed;
//   - the same key with a different request (method, path or body) is 422;
//   - a retry while the first still runs is 409;
//   - a use case that ran and failed with a 4xx stores that error too;
//   - a 5xx (database down, lost commit) releases the claim so a retry runs,
//     but for kOutcomeUnknown (money may have moved unrecorded), which is
//     stored like a 4xx so that no retry charges again.
//
// Without a key the use case simply runs. Thread-safe as the Pool is.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "db/batch.h"
#include "db/group_commit.h"
#include "db/pool.h"
#include "service/reply.h"

namespace payments::service {

struct IdempotencyInput {
  std::string key;
  std::string method;
  std::string path;
  std::string request_hash;             // keyed hash of method, path and canonical body
  std::string previous_request_hash{};  // the same under the key before a rotation, or empty
};

// Handed to the use case; Store must run in the transaction of the effects.
class Execution {
 public:
  Execution(std::string merchant_id, std::optional<IdempotencyInput> input, std::string token)
      : merchant_id_(std::move(merchant_id)), input_(std::move(input)), token_(std::move(token)) {}

  // The statements that record reply under the key, to run in the
  // transaction of the effects (none without a key). If the claim was lost
  // (its lock expired and a retry took over) the statement fails, the
  // transaction rolls back, and ClaimLost turns that error into a 409.
  std::vector<db::BatchItem> Store(const Reply& reply) const;
  // Maps an error of the effects' transaction: a lost claim becomes 409.
  Error Explain(const Error& error) const;

  const std::optional<IdempotencyInput>& input() const { return input_; }
  const std::string& merchant_id() const { return merchant_id_; }
  const std::string& token() const { return token_; }

 private:
  std::string merchant_id_;
  std::optional<IdempotencyInput> input_;
  std::string token_;
};

using UseCase = std::function<payments::Result<Reply>(const Execution&)>;

payments::Result<Reply> RunIdempotent(db::Pool& pool, db::GroupCommitter& claims,
                                      const std::string& merchant_id,
                                      const std::optional<IdempotencyInput>& input,
                                      std::chrono::milliseconds lock, const UseCase& use_case);

}  // namespace payments::service
