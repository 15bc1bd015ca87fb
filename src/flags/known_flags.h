// The registry: every flag this binary reads, with the default compiled into
// it. A flag is read only through one of these constants, so a key cannot be
// misspelt at the point of use, `payments flags set` can refuse a key that no
// code reads, and `flags list` shows what an unset flag is worth.
//
// Adding a flag: declare it here, add it to All() in known_flags.cpp, read it
// with FlagSource::Evaluate. Removing one: delete the reading code first, then
// the declaration one release later, then `payments flags delete` it.
//
// Constants and pure functions; thread-safe.
#pragma once

#include <span>
#include <string_view>
#include <variant>

#include "core/error.h"
#include "flags/flag.h"

namespace payments::flags {

// A declared flag: a pointer to one of the constants below.
using KnownFlag = std::variant<const BoolFlag*, const StringFlag*>;

std::string_view KeyOf(const KnownFlag& flag);
FlagType TypeOf(const KnownFlag& flag);
std::string_view DescriptionOf(const KnownFlag& flag);
// The compiled default as text: "true", "false" or the variant.
std::string_view DefaultOf(const KnownFlag& flag);

namespace known {

// --- Kill switches, one per processor ---------------------------------------
// Default on. Off: payments routed to the processor fail at once with a typed
// error and the processor is never called. A deny list takes chosen merchants
// off it; a rollout turns it back on gradually after an incident.
inline constexpr BoolFlag kProcessorSandboxEnabled{
    "processor.sandbox.enabled", true,
    "Kill switch of the sandbox processor: off fails its payments fast without calling it"};

// The kill switch of a processor by its name, or nullptr when the processor
// has none (it is then always enabled).
const BoolFlag* ProcessorEnabledFlag(std::string_view processor);

// --- Expand/contract switches -----------------------------------------------
// One string flag per column transition (docs/operations/feature-flags.md):
//   "old"        read and write the old column only (what the binary before
//                the change does; the safe value to roll back to)
//   "write_both" write old and new, read old (after the expand migration and
//                the backfill, while old binaries may still run)
//   "read_new"   write both, read new (roll out by percentage, then to all;
//                the contract migration runs only once this is on for all
//                and no old binary runs)
inline constexpr std::string_view kExpandContractStages[] = {"old", "write_both", "read_new"};

// The next expand/contract change: payments.processor_reference is renamed
// processor_transaction_id (the worked example of
// docs/operations/feature-flags.md).
inline constexpr StringFlag kProcessorTransactionIdStage{
    "schema.payments_processor_transaction_id.stage", "old", kExpandContractStages,
    "Expand/contract stage of payments.processor_reference -> processor_transaction_id"};

}  // namespace known

// Every declared flag, in key order.
std::span<const KnownFlag> AllKnownFlags();
// The declared flag with this key, or nullptr.
const KnownFlag* FindKnownFlag(std::string_view key);

// Whether a definition fits the declaration of its key: the same type and,
// for string flags, only variants the declaration has. InvalidRequest naming
// the field otherwise. A key that is not declared passes when allow_unknown
// (a flag for code that a newer binary brings), else fails naming the key.
payments::Status CheckAgainstKnown(std::string_view key, const Definition& definition,
                                   bool allow_unknown);

}  // namespace payments::flags
