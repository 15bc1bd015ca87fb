#include "events/schema_compat.h"

#include <gtest/gtest.h>

namespace payments::events {
namespace {

using Strings = std::vector<std::string>;

Strings Breaks(const char* previous, const char* next) {
  auto a = JsonSchema::Parse(nlohmann::json::parse(previous));
  auto b = JsonSchema::Parse(nlohmann::json::parse(next));
  EXPECT_TRUE(a && b);
  return FindBreakingChanges(a->root(), b->root());
}

const char* kV1 = R"({"type":"object","required":["data"],"properties":{"data":{
  "type":"object","required":["id","amount"],"properties":{
    "id":{"type":"string"},
    "amount":{"type":"integer"},
    "ratio":{"type":"number"},
    "description":{"type":["string","null"]},
    "card":{"type":"object","properties":{"brand":{"type":"string"}}},
    "tags":{"type":"array","items":{"type":"string"}},
    "metadata":{"type":"object","additionalProperties":{"type":"string"}}}}}})";

TEST(SchemaCompatTest, AnIdenticalSchemaIsCompatible) { EXPECT_EQ(Breaks(kV1, kV1), Strings{}); }

TEST(SchemaCompatTest, AddingAnOptionalFieldOrNarrowingATypeIsCompatible) {
  EXPECT_EQ(Breaks(kV1, R"({"type":"object","required":["data"],"properties":{"data":{
  "type":"object","required":["id","amount"],"properties":{
    "id":{"type":"string","pattern":"^pay_"},
    "amount":{"type":"integer","minimum":1},
    "ratio":{"type":"integer"},
    "description":{"type":"string"},
    "card":{"type":"object","properties":{"brand":{"type":"string"},"country":{"type":"string"}}},
    "tags":{"type":"array","items":{"type":"string"}},
    "metadata":{"type":"object","additionalProperties":{"type":"string"}},
    "new_field":{"type":"boolean"}}}}})"),
            Strings{});
}

TEST(SchemaCompatTest, ARemovedFieldBreaksAndARenameIsNamedAsSuch) {
  EXPECT_EQ(Breaks(kV1, R"({"type":"object","required":["data"],"properties":{"data":{
  "type":"object","required":["id","amount"],"properties":{
    "id":{"type":"string"}, "amount":{"type":"integer"}, "ratio":{"type":"number"},
    "description":{"type":["string","null"]},
    "card":{"type":"object","properties":{"card_brand":{"type":"string"}}},
    "metadata":{"type":"object","additionalProperties":{"type":"string"}}}}}})"),
            (Strings{"field data.card.brand was removed (a rename is a removal; fields added "
                     "beside it: card_brand)",
                     "field data.tags was removed"}));
}

TEST(SchemaCompatTest, ATypeChangeBreaksIncludingBecomingNullable) {
  EXPECT_EQ(Breaks(kV1, R"({"type":"object","required":["data"],"properties":{"data":{
  "type":"object","required":["id","amount"],"properties":{
    "id":{"type":["string","null"]}, "amount":{"type":"string"}, "ratio":{"type":"number"},
    "description":{"type":["string","null"]},
    "card":{"type":"object","properties":{"brand":{"type":"string"}}},
    "tags":{"type":"array","items":{"type":"integer"}},
    "metadata":{"type":"object","additionalProperties":{"type":"string"}}}}}})"),
            (Strings{"the type of data.amount changed from integer to string",
                     "the type of data.id changed from string to string or null",
                     "the type of data.tags[] changed from string to integer"}));
}

TEST(SchemaCompatTest, ANewRequiredFieldBreaks) {
  EXPECT_EQ(
      Breaks(kV1, R"({"type":"object","required":["data"],"properties":{"data":{
  "type":"object","required":["id","amount","description","currency"],"properties":{
    "id":{"type":"string"}, "amount":{"type":"integer"}, "ratio":{"type":"number"},
    "description":{"type":["string","null"]}, "currency":{"type":"string"},
    "card":{"type":"object","properties":{"brand":{"type":"string"}}},
    "tags":{"type":"array","items":{"type":"string"}},
    "metadata":{"type":"object","additionalProperties":{"type":"integer"}}}}}})"),
      (Strings{"the type of data.metadata.* changed from string to integer",
               "field data.description became required", "new required field data.currency"}));
}

}  // namespace
}  // namespace payments::events
