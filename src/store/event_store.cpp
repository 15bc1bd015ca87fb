#include "store/event_store.h"

#include <fmt/format.h>

namespace payments::store {
namespace {

int64_t EpochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// One or two events, the usual case (a change and maybe its follow-on), as
// rows of VALUES, in order: no arrays to build, escape and parse for
// kilobytes of payload (3 % of the service's CPU at C=32 went to escaping
// them), no sort.
constexpr db::Statement kInsertOneEvent{
    "events.insert_one",
    "INSERT INTO events (id, merchant_id, type, subject, payload, created_at) "
    "VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1000))",
    true};
constexpr db::Statement kInsertTwoEvents{
    "events.insert_two",
    "INSERT INTO events (id, merchant_id, type, subject, payload, created_at) "
    "VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1000)), "
    "($7, $8, $9, $10, $11, to_timestamp($12::double precision / 1000))",
    true};
constexpr db::Statement kInsertEvents{
    "events.insert_many",
    "INSERT INTO events (id, merchant_id, type, subject, payload, created_at) "
    "SELECT id, merchant_id, type, subject, payload, to_timestamp(ms::double precision / 1000) "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) "
    "WITH ORDINALITY AS e(id, merchant_id, type, subject, payload, ms, n) ORDER BY n"};

// Walks the partial index of unpublished rows from its start each time, so a
// transaction that commits late with a lower seq is picked up by the next
// batch.
constexpr db::Statement kSelectUnpublished{
    "events.select_unpublished",
    "SELECT seq, id, type, subject, payload FROM events WHERE published_at IS NULL "
    "ORDER BY seq LIMIT $1"};

constexpr db::Statement kMarkPublished{"events.mark_published",
                                       "UPDATE events SET published_at = now() "
                                       "WHERE seq = ANY($1::bigint[]) AND published_at IS NULL"};

constexpr db::Statement kOutboxStats{
    "events.outbox_stats",
    "SELECT count(*), "
    "COALESCE(GREATEST(EXTRACT(EPOCH FROM now() - min(created_at)), 0), 0)::float8 "
    "FROM events WHERE published_at IS NULL"};

// One index probe per merchant on events_merchant_created, oldest first, so
// a purge that finds nothing costs little even on a large table.
constexpr db::Statement kPurge{
    "events.purge",
    "DELETE FROM events WHERE seq IN ("
    "  SELECT e.seq FROM merchants m CROSS JOIN LATERAL ("
    "    SELECT seq FROM events"
    "    WHERE merchant_id = m.id AND created_at < to_timestamp($1::double precision / 1000)"
    "      AND ($2 OR published_at IS NOT NULL)"
    "    ORDER BY created_at LIMIT $3) e"
    "  LIMIT $3)"};

constexpr db::Statement kTryLock{"events.relay_try_lock", "SELECT pg_try_advisory_lock($1)"};
constexpr db::Statement kUnlock{"events.relay_unlock", "SELECT pg_advisory_unlock($1)"};

constexpr db::Statement kFindEvent{"events.find",
                                   "SELECT payload FROM events WHERE id = $1 AND merchant_id = $2"};

constexpr db::Statement kEventCursor{
    "events.cursor", "SELECT created_at, seq FROM events WHERE id = $1 AND merchant_id = $2"};

// Newest first on events_merchant_created. Events of one transaction share
// created_at (the service stamps them with one clock reading), so seq breaks
// ties: payment.captured lists above the payment.created written with it.
// The cursor condition keeps `created_at <= $5` usable as an index bound.
constexpr db::Statement kListEvents{"events.list",
                                    "SELECT payload FROM events "
                                    "WHERE merchant_id = $1 "
                                    "  AND ($2::text IS NULL OR type = $2) "
                                    "  AND ($3::text IS NULL OR starts_with(type, $3)) "
                                    "ORDER BY created_at DESC, seq DESC LIMIT $4"};

constexpr db::Statement kListEventsAfter{"events.list_after",
                                         "SELECT payload FROM events "
                                         "WHERE merchant_id = $1 "
                                         "  AND ($2::text IS NULL OR type = $2) "
                                         "  AND ($3::text IS NULL OR starts_with(type, $3)) "
                                         "  AND created_at <= $5::timestamptz "
                                         "  AND (created_at < $5::timestamptz OR seq < $6::bigint) "
                                         "ORDER BY created_at DESC, seq DESC LIMIT $4"};

}  // namespace

db::BatchItem InsertEventsItem(const std::vector<events::Event>& events) {
  // The rows are inserted in the order given (rows of VALUES, or WITH
  // ORDINALITY), so seq follows it.
  if (events.size() == 1 || events.size() == 2) {
    db::Params params;
    for (const events::Event& e : events) {
      params.Add(e.id)
          .Add(e.merchant_id)
          .Add(e.type)
          .Add(e.subject)
          .Add(e.payload)
          .Add(EpochMillis(e.created));
    }
    return db::BatchItem{
        events.size() == 1 ? &kInsertOneEvent : &kInsertTwoEvents, {}, std::move(params)};
  }
  std::vector<std::string> ids, merchants, types, subjects, payloads;
  std::vector<int64_t> times;
  for (const events::Event& e : events) {
    ids.push_back(e.id);
    merchants.push_back(e.merchant_id);
    types.push_back(e.type);
    subjects.push_back(e.subject);
    payloads.push_back(e.payload);
    times.push_back(EpochMillis(e.created));
  }
  return db::BatchItem{&kInsertEvents,
                       {},
                       db::Params()
                           .Add(db::TextArray(ids))
                           .Add(db::TextArray(merchants))
                           .Add(db::TextArray(types))
                           .Add(db::TextArray(subjects))
                           .Add(db::TextArray(payloads))
                           .Add(db::Int64Array(times))};
}

payments::Status InsertEvent(db::Connection& conn, const events::Event& e) {
  const db::BatchItem item = InsertEventsItem({e});
  auto r = conn.Run(*item.statement, item.params);
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Result<std::vector<OutboxRow>> SelectUnpublishedEvents(db::Connection& conn, int limit) {
  auto rows = conn.Run(kSelectUnpublished, db::Params().Add(limit));
  if (!rows) return std::unexpected(rows.error());
  std::vector<OutboxRow> out;
  out.reserve(rows->size());
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back({rows->Int64(r, 0), rows->String(r, 1), rows->String(r, 2), rows->String(r, 3),
                   rows->String(r, 4)});
  }
  return out;
}

payments::Result<int64_t> MarkEventsPublished(db::Connection& conn,
                                              const std::vector<int64_t>& seqs) {
  if (seqs.empty()) return 0;
  auto r = conn.Run(kMarkPublished, db::Params().Add(db::Int64Array(seqs)));
  if (!r) return std::unexpected(r.error());
  return r->affected();
}

payments::Result<OutboxStats> ReadOutboxStats(db::Connection& conn) {
  auto rows = conn.Run(kOutboxStats);
  if (!rows) return std::unexpected(rows.error());
  return OutboxStats{rows->Int64(0, 0), rows->Double(0, 1)};
}

payments::Result<int64_t> PurgeEvents(db::Connection& conn,
                                      std::chrono::system_clock::time_point cutoff,
                                      bool include_unpublished, int limit) {
  auto r =
      conn.Run(kPurge, db::Params().Add(EpochMillis(cutoff)).Add(include_unpublished).Add(limit));
  if (!r) return std::unexpected(r.error());
  return r->affected();
}

payments::Result<bool> TryAcquireRelayLock(db::Connection& conn) {
  auto rows = conn.Run(kTryLock, db::Params().Add(kRelayLockKey));
  if (!rows) return std::unexpected(rows.error());
  return rows->Bool(0, 0);
}

payments::Status ReleaseRelayLock(db::Connection& conn) {
  auto rows = conn.Run(kUnlock, db::Params().Add(kRelayLockKey));
  if (!rows) return std::unexpected(rows.error());
  return {};
}

payments::Result<std::optional<std::string>> FindEventPayload(db::Connection& conn,
                                                              const std::string& merchant_id,
                                                              const std::string& id) {
  auto rows = conn.Run(kFindEvent, db::Params().Add(id).Add(merchant_id));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows->String(0, 0));
}

payments::Result<std::optional<EventPage>> ListEvents(db::Connection& conn,
                                                      const EventListQuery& q) {
  db::Params params;
  params.Add(q.merchant_id).Add(q.type).Add(q.type_prefix).Add(q.limit + 1);
  if (q.starting_after) {
    auto cursor = conn.Run(kEventCursor, db::Params().Add(*q.starting_after).Add(q.merchant_id));
    if (!cursor) return std::unexpected(cursor.error());
    if (cursor->empty()) return std::optional<EventPage>();
    // created_at goes back as the server printed it: exact to the microsecond.
    params.Add(cursor->Text(0, 0)).Add(cursor->Int64(0, 1));
  }
  auto rows = conn.Run(q.starting_after ? kListEventsAfter : kListEvents, params);
  if (!rows) return std::unexpected(rows.error());
  EventPage page;
  const int n = std::min(rows->size(), q.limit);
  page.has_more = rows->size() > q.limit;
  page.payloads.reserve(n);
  for (int r = 0; r < n; ++r) page.payloads.push_back(rows->String(r, 0));
  return std::optional<EventPage>(std::move(page));
}

}  // namespace payments::store
