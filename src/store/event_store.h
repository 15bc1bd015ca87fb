// The outbox: events are written in the same transaction as the state change
// they describe, so no event exists for a rolled-back change and no committed
// change lacks its event. The relay reads unpublished rows in `seq` order
// (every time from the oldest unpublished row, never "after the last seq":
// sequence values commit out of order), marks them published once Kafka has
// acknowledged them, and purges them after the retention period. The events
// API reads them per merchant, newest first.
//
// Functions take the caller's connection (inside its transaction, for
// InsertEvent). Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "events/cloud_event.h"

namespace payments::store {

payments::Status InsertEvent(db::Connection& conn, const events::Event& event);
// Several events as one statement, as a batch item for db::CommitBatch.
db::BatchItem InsertEventsItem(const std::vector<events::Event>& events);

// --- The relay -------------------------------------------------------------

struct OutboxRow {
  int64_t seq = 0;
  std::string id;
  std::string type;
  std::string subject;
  std::string payload;
};

// Up to `limit` unpublished events, oldest `seq` first.
payments::Result<std::vector<OutboxRow>> SelectUnpublishedEvents(db::Connection& conn, int limit);
// Marks the rows published; returns how many were still unpublished.
payments::Result<int64_t> MarkEventsPublished(db::Connection& conn,
                                              const std::vector<int64_t>& seqs);

struct OutboxStats {
  int64_t backlog = 0;                // unpublished rows
  double oldest_unpublished_age = 0;  // seconds; 0 when none
};
payments::Result<OutboxStats> ReadOutboxStats(db::Connection& conn);

// Deletes up to `limit` events created before `cutoff`: published ones only,
// or all of them when `include_unpublished` (nothing will publish them: Kafka
// is not configured). Returns how many were deleted; call again while it
// returns `limit`.
payments::Result<int64_t> PurgeEvents(db::Connection& conn,
                                      std::chrono::system_clock::time_point cutoff,
                                      bool include_unpublished, int limit);

// The relay's session-level advisory lock: one active relay per database. It
// is held by the connection's session, so it goes away with the connection
// (a killed process, a lost network) and another instance takes over.
inline constexpr int64_t kRelayLockKey = 0x7061792d72656c79;  // "pay-rely"
payments::Result<bool> TryAcquireRelayLock(db::Connection& conn);
payments::Status ReleaseRelayLock(db::Connection& conn);

// --- The events API ----------------------------------------------------------

// The stored CloudEvent, or nullopt when the merchant has no such event.
payments::Result<std::optional<std::string>> FindEventPayload(db::Connection& conn,
                                                              const std::string& merchant_id,
                                                              const std::string& id);

struct EventListQuery {
  std::string merchant_id;
  std::optional<std::string> type;         // exact type
  std::optional<std::string> type_prefix;  // "payment." for "payment.*"
  std::optional<std::string> starting_after;
  int limit = 10;
};

struct EventPage {
  std::vector<std::string> payloads;  // newest first
  bool has_more = false;
};

// nullopt when `starting_after` names no event of the merchant.
payments::Result<std::optional<EventPage>> ListEvents(db::Connection& conn,
                                                      const EventListQuery& query);

}  // namespace payments::store
