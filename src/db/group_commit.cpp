#include "db/group_commit.h"

#include <optional>
#include <utility>

#include "db/batch.h"
#include "db/merged_statement.h"
#include "fibers/fiber.h"

namespace payments::db {
namespace {

bool Mergeable(const std::vector<BatchItem>& items) {
  for (const BatchItem& item : items) {
    if (item.statement == nullptr || !item.statement->mergeable) return false;
  }
  return !items.empty();
}

bool SameStatements(const std::vector<BatchItem>& a, const std::vector<BatchItem>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k].statement != b[k].statement) return false;
  }
  return true;
}

// Where a unit's rows are in a batch: the index of each of its items, or of
// the merged statement that carried it.
struct Place {
  std::vector<size_t> items;
  bool merged = false;  // its items were copied, not moved, into the batch
};
using Places = std::vector<Place>;

// Appends the items of the `members` of `units` (the same mergeable
// statements, in the same order) as one statement per statement and chunk of
// units, parameters in unit order, and records their places. Appends nothing
// and returns false if a form cannot be made.
bool AppendMerged(const std::vector<std::vector<BatchItem>*>& units,
                  const std::vector<size_t>& members, std::vector<BatchItem>& all, Places& places) {
  const std::vector<BatchItem>& model = *units[members.front()];
  const std::vector<int> chunks = MergeChunks(static_cast<int>(members.size()));
  // forms[k * chunks.size() + c]: statement k for chunk c, all found first.
  std::vector<const Statement*> forms;
  for (const BatchItem& item : model) {
    for (int chunk : chunks) {
      forms.push_back(Merged(*item.statement, chunk));
      if (forms.back() == nullptr) return false;
    }
  }
  for (size_t m : members) places[m] = Place{std::vector<size_t>(model.size()), true};
  for (size_t k = 0; k < model.size(); ++k) {
    size_t next = 0;
    for (size_t c = 0; c < chunks.size(); ++c) {
      BatchItem item{forms[k * chunks.size() + c], {}, {}};
      for (int u = 0; u < chunks[c]; ++u, ++next) {
        item.params.Append((*units[members[next]])[k].params);
        places[members[next]].items[k] = all.size();
      }
      all.push_back(std::move(item));
    }
  }
  return true;
}

// Appends the units' items to `all`: moved, or — units of the same mergeable
// statements — merged, with copies of their parameters. Returns the places
// of each unit's rows.
Places AppendUnits(const std::vector<std::vector<BatchItem>*>& units, std::vector<BatchItem>& all) {
  Places places(units.size());
  std::vector<bool> placed(units.size(), false);
  for (size_t i = 0; i < units.size(); ++i) {
    if (placed[i]) continue;
    std::vector<size_t> members{i};
    if (Mergeable(*units[i])) {
      for (size_t j = i + 1; j < units.size(); ++j) {
        if (!placed[j] && SameStatements(*units[i], *units[j])) members.push_back(j);
      }
    }
    if (members.size() > 1 && AppendMerged(units, members, all, places)) {
      for (size_t m : members) placed[m] = true;
      continue;
    }
    placed[i] = true;
    for (BatchItem& item : *units[i]) {
      places[i].items.push_back(all.size());
      all.push_back(std::move(item));
    }
  }
  return places;
}

}  // namespace

struct GroupCommitter::Unit {
  enum class Next { kWait, kDone, kLead, kAlone };

  std::vector<BatchItem> items;
  std::optional<payments::Result<std::vector<Rows>>> result;
  Next next = Next::kWait;  // guarded by mu_
  // Notified, under mu_, once `next` is decided; after that nobody but its
  // owner touches the unit. A fiber parks on it. (Not a
  // std::binary_semaphore: libstdc++'s spins on sched_yield before sleeping,
  // 12 % of the service's CPU at C=32.)
  fibers::CondVar decided;
};

GroupCommitter::GroupCommitter(Pool& pool, GroupCommitOptions options)
    : pool_(pool), options_(options) {}

payments::Result<std::vector<Rows>> GroupCommitter::Run(std::vector<BatchItem> items) {
  units_.fetch_add(1, std::memory_order_relaxed);
  if (options_.max_units <= 1) {
    batches_.fetch_add(1, std::memory_order_relaxed);
    return RunAlone(std::move(items));  // group commit off: no queue, no slots
  }
  Unit unit;
  unit.items = std::move(items);
  std::unique_lock lock(mu_);
  // Under load, wait for the batch on its way rather than split the queue
  // into a second small one (group_commit.h). Behind a queue, always: a
  // leader is on its way to take it (a slot being handed over counts in
  // in_flight_ before its units count in units_in_flight_).
  if (queue_.empty() && in_flight_ < options_.max_in_flight &&
      units_in_flight_ < options_.max_in_flight) {
    ++in_flight_;
    Lead(unit, lock);
  } else {
    queue_.push_back(&unit);
    unit.decided.Wait(lock, [&] { return unit.next != Unit::Next::kWait; });
    if (unit.next == Unit::Next::kLead) {
      Lead(unit, lock);
    } else {
      lock.unlock();
    }
  }
  if (unit.next == Unit::Next::kAlone) return RunAlone(std::move(unit.items));
  return std::move(*unit.result);
}

void GroupCommitter::Lead(Unit& own, std::unique_lock<std::mutex>& lock) {
  std::vector<Unit*> batch{&own};
  while (batch.size() < static_cast<size_t>(options_.max_units) && !queue_.empty()) {
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  const int units = static_cast<int>(batch.size());
  units_in_flight_ += units;
  lock.unlock();
  RunBatch(std::move(batch));
  lock.lock();
  units_in_flight_ -= units;
  if (queue_.empty()) {
    --in_flight_;
    lock.unlock();
    return;
  }
  // The slot goes to the longest waiting unit, which takes the queue with it.
  Unit* next = queue_.front();
  queue_.pop_front();
  next->next = Unit::Next::kLead;
  next->decided.NotifyOne();
  lock.unlock();
}

void GroupCommitter::RunBatch(std::vector<Unit*> batch) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  // batch[0] is the leader's own unit: it needs no wake-up.
  auto finish = [&](Unit::Next next) {
    std::lock_guard lock(mu_);
    for (Unit* u : batch) {
      u->next = next;
      if (u != batch.front()) u->decided.NotifyOne();
    }
  };

  std::vector<BatchItem> all;
  all.push_back({&kBegin, {}, {}});
  if (!options_.synchronous_commit) {
    all.push_back({&kAsyncCommit, {}, {}});
  }
  std::vector<std::vector<BatchItem>*> items;
  for (Unit* u : batch) items.push_back(&u->items);
  const Places places = AppendUnits(items, all);
  all.push_back({&kCommit, {}, {}});
  statements_.fetch_add(
      static_cast<int64_t>(all.size()) - 2 - (options_.synchronous_commit ? 0 : 1),
      std::memory_order_relaxed);

  payments::Result<std::vector<Rows>> rows = std::unexpected(Error());
  bool broken = false;
  if (auto lease = pool_.Acquire(); !lease) {
    rows = std::unexpected(lease.error());
  } else {
    rows = (*lease)->RunBatch(all);
    broken = (*lease)->broken();
  }

  // Give every unit its items back (a fallback runs them again) and its rows:
  // a merged statement's rows go to every unit it carried, to find its own.
  for (size_t i = 0; i < batch.size(); ++i) {
    Unit* u = batch[i];
    const Place& place = places[i];
    if (!place.merged) {
      for (size_t k = 0; k < u->items.size(); ++k) u->items[k] = std::move(all[place.items[k]]);
    }
    if (rows) {
      std::vector<Rows> own;
      own.reserve(place.items.size());
      for (size_t at : place.items) own.push_back((*rows)[at]);
      u->result.emplace(std::move(own));
    }
  }
  if (rows) {
    finish(Unit::Next::kDone);
    return;
  }

  const Error error = broken ? OutcomeUnknown(rows.error()) : rows.error();
  // A lost connection, or none at all, is everybody's (a lost one may have
  // committed: the unknown-outcome 503). A database error means nothing
  // committed, and it may be any one unit's: each runs again alone, so only
  // the one at fault fails — except a statement or lock timeout, also
  // everybody's: running every unit again would pay the wait once more each
  // on a database that is already slow; clients retry with their keys.
  const bool timed_out = error.sqlstate == kQueryCanceled || error.sqlstate == kLockNotAvailable;
  const bool everybodys = broken || timed_out || error.sqlstate.empty() || batch.size() == 1;
  if (everybodys) {
    for (Unit* u : batch) u->result.emplace(std::unexpected(error));
  } else {
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
  }
  finish(everybodys ? Unit::Next::kDone : Unit::Next::kAlone);
}

payments::Result<std::vector<Rows>> GroupCommitter::RunAlone(std::vector<BatchItem> items) {
  if (options_.synchronous_commit) return RunTransactionBatch(pool_, std::move(items));
  items.insert(items.begin(), BatchItem{&kAsyncCommit, {}, {}});
  auto rows = RunTransactionBatch(pool_, std::move(items));
  if (rows) rows->erase(rows->begin());
  return rows;
}

GroupCommitStats GroupCommitter::Stats() const {
  std::lock_guard lock(mu_);
  return GroupCommitStats{.units = units_.load(std::memory_order_relaxed),
                          .batches = batches_.load(std::memory_order_relaxed),
                          .statements = statements_.load(std::memory_order_relaxed),
                          .fallbacks = fallbacks_.load(std::memory_order_relaxed),
                          .waiting = static_cast<int>(queue_.size())};
}

}  // namespace payments::db
