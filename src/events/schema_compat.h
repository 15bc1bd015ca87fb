// Backward compatibility between consecutive versions of an event schema: a
// consumer written against version N-1 must be able to read version N. So a
// new version may add optional fields, drop a "null" from a type, or tighten
// a pattern, but it may not
//   - remove a field (a rename is a removal and an addition),
//   - change a field's type (adding a type, "null" included, is a change;
//     integer where number was is not),
//   - make a field required that was not (a new field or an optional one).
// Enum values, patterns and minimums are not compared: consumers must accept
// enum values they do not know (documented in docs/operations/events.md).
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "events/json_schema.h"

namespace payments::events {

// What version `next` breaks of `previous`, one sentence per change naming the
// field in dotted form ("field data.card.brand was removed"); empty when
// `next` is backward compatible.
std::vector<std::string> FindBreakingChanges(const SchemaNode& previous, const SchemaNode& next);

}  // namespace payments::events
