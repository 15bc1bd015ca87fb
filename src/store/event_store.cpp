#include "store/event_store.h"

namespace payments::store {
namespace {

constexpr db::Statement kInsertEvent{
    "events.insert",
    "INSERT INTO events (id, merchant_id, type, subject, payload, created_at) "
    "VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1000))"};

}  // namespace

payments::Status InsertEvent(db::Connection& conn, const events::Event& e) {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(e.created.time_since_epoch()).count();
  auto r = conn.Run(kInsertEvent,
                    db::Params().Add(e.id).Add(e.merchant_id).Add(e.type).Add(e.subject).Add(
                        e.payload).Add(ms));
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace payments::store
