#include "service/idempotency.h"

#include "core/crypto.h"
#include "store/idempotency_store.h"
#include "telemetry/log.h"

namespace payments::service {
namespace {

bool RanAndFailed(const Error& e) {
  // 4xx errors from inside a use case mean it ran and decided; 5xx mean it
  // could not finish, and a retry must be able to run it again — except an
  // unknown outcome: money may have moved, and a retry must not move it
  // twice, so its reply is kept under the key like a decision. A 429 is a
  // "not now", never a decision: the retry after Retry-After must run.
  // Nor is a 409 that only says an earlier call's answer is still awaited:
  // the same request succeeds once it is recorded.
  if (e.code == "payment_outcome_pending" || e.code == "refund_pending") return false;
  return e.kind != ErrorKind::kUnavailable && e.kind != ErrorKind::kInternal &&
         e.kind != ErrorKind::kIdempotencyInProgress && e.kind != ErrorKind::kRateLimited;
}

}  // namespace

std::vector<db::BatchItem> Execution::Store(const Reply& reply) const {
  if (!input_) return {};
  return {store::CompleteIdempotencyKeyItem(merchant_id_, input_->key, token_, reply.status,
                                            reply.body)};
}

Error Execution::Explain(const Error& error) const {
  if (!store::IsClaimLost(error)) return error;
  return Error::Of(ErrorKind::kIdempotencyInProgress, "idempotency_key_in_use",
                   "This request took longer than the idempotency lock and a retry took over; "
                   "retry to get its result.");
}

payments::Result<Reply> RunIdempotent(db::Pool& pool, db::GroupCommitter& claims,
                                      const std::string& merchant_id,
                                      const std::optional<IdempotencyInput>& input,
                                      std::chrono::milliseconds lock, const UseCase& use_case) {
  if (!input) return use_case(Execution(merchant_id, std::nullopt, ""));

  const std::string token = RandomBase62(24);
  const store::IdempotencyRequest request{merchant_id,         input->key,
                                          input->method,       input->path,
                                          input->request_hash, input->previous_request_hash};
  auto claim = store::ClaimIdempotencyKey(claims, pool, request, token, lock);
  if (!claim) return std::unexpected(claim.error());
  switch (claim->kind) {
    case store::ClaimResult::Kind::kCompleted:
      return Reply{claim->response_status, claim->response_body, true};
    case store::ClaimResult::Kind::kInProgress:
      return std::unexpected(
          Error::Of(ErrorKind::kIdempotencyInProgress, "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still being processed; retry later."));
    case store::ClaimResult::Kind::kMismatch:
      return std::unexpected(Error::Of(
          ErrorKind::kIdempotencyMismatch, "idempotency_key_reused",
          "This Idempotency-Key was used with a different request (method, path or body).",
          "Idempotency-Key"));
    case store::ClaimResult::Kind::kClaimed:
      break;
  }

  const Execution execution(merchant_id, input, token);
  auto result = use_case(execution);
  if (result) return result;

  const Error& error = result.error();
  if (RanAndFailed(error)) {
    const Reply reply = ErrorReply(error);
    auto stored = db::RunTransactionBatch(pool, execution.Store(reply));
    if (!stored) {
      log::Warn("could not store the failed reply of an idempotent request",
                {{"merchant_id", merchant_id}, {"error", stored.error().detail}});
    }
    return reply;
  }
  auto released = db::Read(pool, [&](db::Connection& conn) {
    return store::ReleaseIdempotencyKey(conn, merchant_id, input->key, token);
  });
  if (!released) {
    // The claim expires by itself after `lock`; until then retries get 409.
    log::Warn("could not release an idempotency claim",
              {{"merchant_id", merchant_id}, {"error", released.error().detail}});
  }
  return result;
}

}  // namespace payments::service
