#include "events/schema_registry.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/crypto.h"

namespace payments::events {
namespace {

using Strings = std::vector<std::string>;

std::string Schema(const std::string& type, int version, const std::string& extra_property = "") {
  return fmt::format(
      R"({{"$id":"/schemas/events/{0}/v{1}.json","type":"object","required":["id"],
"properties":{{"id":{{"type":"string"}},"type":{{"enum":["{0}"]}},
"dataschema":{{"enum":["/schemas/events/{0}/v{1}.json"]}}{2}}}}})",
      type, version, extra_property);
}

SchemaFile File(const std::string& type, int version, const std::string& content) {
  return {type, version, fmt::format("{}/v{}.json", type, version), content};
}

LockEntry Locked(const SchemaFile& f) { return {Sha256Hex(f.content), f.path}; }

constexpr std::string_view kEmitted[] = {"payment.created"};

TEST(SchemaRegistryTest, PublishedCompatibleSchemasPass) {
  const std::vector<SchemaFile> files = {
      File("payment.created", 1, Schema("payment.created", 1)),
      File("payment.created", 2, Schema("payment.created", 2, R"(,"note":{"type":"string"})")),
  };
  const SchemaCheck check = CheckSchemas(files, {Locked(files[0])}, kEmitted, 1);
  EXPECT_EQ(check.problems, Strings{});
  EXPECT_EQ(check.unpublished, Strings{"payment.created/v2.json"});
  EXPECT_EQ(check.types, 1);
  EXPECT_EQ(check.versions, 2);
}

TEST(SchemaRegistryTest, AChangedOrDeletedPublishedSchemaFails) {
  const SchemaFile v1 = File("payment.created", 1, Schema("payment.created", 1));
  SchemaFile edited = v1;
  edited.content += "\n";
  SchemaCheck check = CheckSchemas({edited}, {Locked(v1)}, kEmitted, 1);
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_TRUE(check.problems[0].starts_with("payment.created/v1.json: published schema changed"))
      << check.problems[0];

  check = CheckSchemas({}, {Locked(v1)}, {}, 1);
  EXPECT_EQ(check.problems,
            Strings{"payment.created/v1.json: published schema was deleted (published versions "
                    "are never removed)"});
}

TEST(SchemaRegistryTest, AnIncompatibleNewVersionFailsSayingWhatBroke) {
  const std::vector<SchemaFile> files = {
      File("payment.created", 1, Schema("payment.created", 1)),
      File("payment.created", 2,
           R"({"$id":"/schemas/events/payment.created/v2.json","type":"object",
"properties":{"ident":{"type":"string"},"type":{"enum":["payment.created"]},
"dataschema":{"enum":["/schemas/events/payment.created/v2.json"]}}})"),
  };
  const SchemaCheck check = CheckSchemas(files, {Locked(files[0])}, kEmitted, 1);
  EXPECT_EQ(check.problems,
            Strings{"payment.created/v2.json breaks v1: field id was removed (a rename is a "
                    "removal; fields added beside it: ident)"});
}

TEST(SchemaRegistryTest, GapsWrongIdsAndCopiedPinsFail) {
  const std::vector<SchemaFile> files = {
      File("payment.created", 1, Schema("payment.created", 1)),
      File("payment.created", 3, Schema("payment.created", 3)),
      // Copied from payment.created and not edited.
      File("payment.failed", 1, Schema("payment.created", 1)),
  };
  const SchemaCheck check = CheckSchemas(files, {Locked(files[0])}, kEmitted, 1);
  EXPECT_EQ(
      check.problems,
      (Strings{"payment.failed/v1.json: \"$id\" must be \"/schemas/events/payment.failed/v1.json\"",
               "payment.failed/v1.json: the property \"type\" must be {\"enum\": "
               "[\"payment.failed\"]}",
               "payment.failed/v1.json: the property \"dataschema\" must be {\"enum\": "
               "[\"/schemas/events/payment.failed/v1.json\"]}",
               "payment.created/v3.json: v2 is missing (versions count up from v1)"}));
}

TEST(SchemaRegistryTest, WhatTheServiceEmitsMustExistAndBePublished) {
  const SchemaFile v1 = File("payment.created", 1, Schema("payment.created", 1));
  SchemaCheck check = CheckSchemas({v1}, {}, kEmitted, 1);
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(check.problems, Strings{});
  EXPECT_EQ(check.emitted_unpublished,
            Strings{"payment.created/v1.json: the service emits this version but it is not "
                    "published (run `payments events lock-schemas`)"});
  check = CheckSchemas({v1}, {Locked(v1)}, kEmitted, 2);
  EXPECT_EQ(
      check.problems,
      Strings{"payment.created/v2.json: missing; the service emits payment.created version 2"});
}

TEST(SchemaRegistryTest, UnsupportedKeywordsAndBadJsonFail) {
  const SchemaCheck check =
      CheckSchemas({File("a.b", 1, "{"), File("a.c", 1, R"({"anyOf":[]})")}, {}, {}, 1);
  ASSERT_EQ(check.problems.size(), 2u);
  EXPECT_TRUE(check.problems[0].starts_with("a.b/v1.json: not JSON")) << check.problems[0];
  EXPECT_EQ(check.problems[1], "a.c/v1.json: unsupported keyword \"anyOf\" (at /anyOf)");
}

TEST(SchemaRegistryTest, ANumberBeyondADoublesRangeIsNotJsonNotACrash) {
  // nlohmann throws out_of_range, not parse_error, for 1e999.
  const SchemaCheck check =
      CheckSchemas({File("a.b", 1, R"({"type":"object","maxProperties":1e999})")}, {}, {}, 1);
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_TRUE(check.problems[0].starts_with("a.b/v1.json: not JSON")) << check.problems[0];
}

TEST(SchemaRegistryTest, LockingAddsOnlyWhatIsNotPublished) {
  const SchemaFile v1 = File("payment.created", 1, Schema("payment.created", 1));
  const SchemaFile v2 = File("payment.created", 2, Schema("payment.created", 2));
  const LockEntry stale{"0000000000000000000000000000000000000000000000000000000000000000",
                        v1.path};
  const std::vector<LockEntry> lock = LockSchemas({v1, v2}, {stale});
  ASSERT_EQ(lock.size(), 2u);
  EXPECT_EQ(lock[0].sha256, stale.sha256);  // never rewritten: the check reports it instead
  EXPECT_EQ(lock[1].path, "payment.created/v2.json");
  auto parsed = ParseSchemaLock(FormatSchemaLock(lock));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[1].sha256, Sha256Hex(v2.content));
}

TEST(SchemaRegistryTest, AMalformedLockLineIsNamed) {
  auto parsed = ParseSchemaLock("abc  x/v1.json\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "schemas.lock line 1: expected \"<sha256>  <type>/v<N>.json\"");
}

}  // namespace
}  // namespace payments::events
