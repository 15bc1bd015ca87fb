// Fuzzes the JSON Schema subset (events/json_schema.h): parsing a schema
// document, and validating an instance against a schema that parsed.
//
// Input: "<schema JSON>\0<instance JSON>"; without a NUL byte the document is
// validated against itself. Text that is not JSON is left alone (nlohmann's
// parser is not under test).
// Checks, beyond not crashing:
//   - a schema that fails carries InvalidRequest "schema_invalid" and a message;
//   - every violation has a message and a path that is a JSON Pointer to a
//     value in the instance;
//   - validation is deterministic, and a schema of annotations only (or {})
//     accepts everything;
//   - JsonTypeName names one of the seven schema types.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "events/json_schema.h"
#include "fuzz_check.h"

namespace {

using nlohmann::json;
using payments::events::JsonSchema;
using payments::events::SchemaViolation;

bool IsTypeName(const std::string& t) {
  return t == "object" || t == "array" || t == "string" || t == "integer" || t == "number" ||
         t == "boolean" || t == "null";
}

// A root with no rule (annotations only, or {}) accepts every instance.
bool HasNoRule(const payments::events::SchemaNode& n) {
  return n.types.empty() && n.properties.empty() && n.required.empty() && !n.enum_values &&
         n.additional_allowed && !n.additional && !n.items && !n.pattern && !n.minimum;
}

void CheckViolations(const std::vector<SchemaViolation>& violations, const json& instance) {
  for (const SchemaViolation& v : violations) {
    FUZZ_CHECK(!v.message.empty());
    FUZZ_CHECK_MSG(v.path.empty() || v.path[0] == '/', v.path);
    // A pointer into the instance (a property's own violations point at
    // the object that lacks or forbids it).
    FUZZ_CHECK_MSG(instance.contains(json::json_pointer(v.path)), v.path);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const json document = json::parse(input.substr(0, nul), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return 0;
  json instance = document;
  if (nul != std::string_view::npos) {
    instance = json::parse(input.substr(nul + 1), nullptr, /*allow_exceptions=*/false);
    if (instance.is_discarded()) return 0;
  }
  FUZZ_CHECK(IsTypeName(payments::events::JsonTypeName(instance)));

  const auto schema = JsonSchema::Parse(document);
  if (!schema) {
    FUZZ_CHECK(schema.error().kind == payments::ErrorKind::kInvalidRequest);
    FUZZ_CHECK(schema.error().code == "schema_invalid");
    FUZZ_CHECK(!schema.error().message.empty());
    return 0;
  }
  const std::vector<SchemaViolation> violations = schema->Validate(instance);
  CheckViolations(violations, instance);
  if (HasNoRule(schema->root())) FUZZ_CHECK(violations.empty());

  const std::vector<SchemaViolation> again = schema->Validate(instance);
  FUZZ_CHECK(again.size() == violations.size());
  for (size_t i = 0; i < again.size(); ++i) {
    FUZZ_CHECK(again[i].path == violations[i].path && again[i].message == violations[i].message);
  }
  return 0;
}
