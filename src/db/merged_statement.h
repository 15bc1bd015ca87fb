// One statement for the same write of several requests in a shared
// transaction (db/group_commit.h): the VALUES rows of n units of a mergeable
// Statement go as one statement, so PostgreSQL starts one executor, parses
// its table's CHECK constraints once and runs its statement trigger once,
// where it did so per unit.
//
//   const Statement* three = Merged(kInsertPayment, 3);  // "payments.insert*3"
//   // three->sql: "... VALUES ($1, …, $19), ($20, …, $38), ($39, …, $57)"
//
// A mergeable statement (Statement::mergeable) keeps every parameter inside
// its one VALUES list, one or more parenthesized rows; each unit gets the
// merged statement's result rows, all units' together, and finds its own.
// Units are merged in chunks of powers of two (MergeChunks), so that a
// connection prepares at most seven forms of each statement for up to 64
// units.
//
// Pure logic, no I/O. Merged() is thread-safe; its statements live until
// the process exits (static storage).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"

namespace payments::db {

// `sql` with its VALUES list written n times, the parameters of the k-th copy
// renumbered by (k - 1) × the list's highest parameter. Nothing when the SQL
// has no VALUES list or a parameter outside it.
std::optional<std::string> RepeatValues(std::string_view sql, int n);

// The statement for n units of `one` (mergeable, n ≥ 1); `one` itself for 1.
// Null (and an assertion in debug builds) if `one` is not mergeable after all.
const Statement* Merged(const Statement& one, int n);

// n as a sum of powers of two, largest first: 13 → {8, 4, 1}.
std::vector<int> MergeChunks(int n);

}  // namespace payments::db
