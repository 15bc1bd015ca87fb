// A small JSON Schema validator for the subset the event schemas use:
// type (a name or an array of names, so ["string", "null"] is "nullable"),
// properties, required, enum, additionalProperties (a boolean or a schema),
// items, pattern (ECMAScript, unanchored as the spec says) and minimum.
// Annotations ($schema, $id, $comment, title, description, examples) are
// accepted and ignored; any other keyword is rejected when the schema is
// parsed, so a schema can never rely on a rule this validator would silently
// skip.
//
//   auto schema = JsonSchema::Parse(nlohmann::json::parse(text));
//   if (!schema) return std::unexpected(schema.error());
//   for (const SchemaViolation& v : schema->Validate(event)) report(v.path, v.message);
//
// Pure. A parsed JsonSchema is immutable and may be shared between threads.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/error.h"

namespace payments::events {

// One node of a parsed schema. The compatibility checker walks these.
struct SchemaNode {
  // "object", "array", "string", "integer", "number", "boolean", "null";
  // empty means any type.
  std::vector<std::string> types;
  std::map<std::string, std::shared_ptr<const SchemaNode>> properties;
  std::vector<std::string> required;
  std::optional<std::vector<nlohmann::json>> enum_values;
  bool additional_allowed = true;
  std::shared_ptr<const SchemaNode> additional;  // schema of other properties, if given
  std::shared_ptr<const SchemaNode> items;
  std::optional<std::string> pattern;
  std::shared_ptr<const std::regex> pattern_regex;
  std::optional<double> minimum;
};

struct SchemaViolation {
  std::string path;  // JSON Pointer into the instance: "/data/amount"; "" is the root
  std::string message;
};

class JsonSchema {
 public:
  // Fails (kInvalidRequest, code "schema_invalid") naming the JSON Pointer of
  // the offending keyword.
  static payments::Result<JsonSchema> Parse(const nlohmann::json& schema);

  // Every violation (object members in key order); empty when the instance is
  // valid.
  std::vector<SchemaViolation> Validate(const nlohmann::json& instance) const;

  const SchemaNode& root() const { return *root_; }

 private:
  explicit JsonSchema(std::shared_ptr<const SchemaNode> root) : root_(std::move(root)) {}
  std::shared_ptr<const SchemaNode> root_;
};

// The JSON type name of a value as a schema names it ("integer" for whole
// numbers, "number" for others).
std::string JsonTypeName(const nlohmann::json& value);

}  // namespace payments::events
