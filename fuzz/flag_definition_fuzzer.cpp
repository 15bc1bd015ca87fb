// Fuzzes the JSON form of a flag definition (flags/definition_json.h) and the
// edit that starts from a stored or given definition (flags/definition_edit.h).
//
// Input: the definition's text, as the admin API, `flags set --json` and the
// database hand it over.
// Checks, beyond not crashing:
//   - a definition that parses is valid, and ToJson of it parses back to an
//     equal definition (what is stored reads back the same);
//   - every error is InvalidRequest "flag_definition_invalid" with a message;
//   - ApplyEdit with the text as the whole new definition, or as the stored
//     one with no edit, agrees with ParseDefinitionText;
//   - a short input read as a percentage is 0..100 % and formats back to itself.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flags/definition_edit.h"
#include "flags/definition_json.h"
#include "fuzz_check.h"

namespace {

namespace flags = payments::flags;

// No code in the binary declares it, so only the definition's own rules apply.
constexpr std::string_view kUndeclaredKey = "fuzz.undeclared";

void CheckError(const payments::Error& e) {
  FUZZ_CHECK(e.kind == payments::ErrorKind::kInvalidRequest);
  FUZZ_CHECK(e.code == "flag_definition_invalid");
  FUZZ_CHECK(!e.message.empty());
}

void CheckPercentage(std::string_view text) {
  const auto buckets = flags::ParsePercentage(text, "percentage");
  if (!buckets) {
    CheckError(buckets.error());
    FUZZ_CHECK(buckets.error().param == "percentage");
    return;
  }
  FUZZ_CHECK(*buckets >= 0 && *buckets <= flags::kRolloutBuckets);
  const auto again = flags::ParsePercentage(flags::FormatPercentage(*buckets), "percentage");
  FUZZ_CHECK(again && *again == *buckets);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size <= 16) CheckPercentage(text);

  const auto parsed = flags::ParseDefinitionText(text);
  if (parsed) {
    FUZZ_CHECK(flags::Validate(*parsed));
    const std::string stored = flags::ToJson(*parsed).dump();
    const auto reread = flags::ParseDefinitionText(stored);
    FUZZ_CHECK_MSG(reread, stored);
    FUZZ_CHECK_MSG(*reread == *parsed, stored);
  } else {
    CheckError(parsed.error());
  }

  flags::DefinitionEdit whole;
  whole.json = std::string(text);
  whole.allow_unknown = true;
  const auto replaced = flags::ApplyEdit(kUndeclaredKey, std::nullopt, whole);
  FUZZ_CHECK(replaced.has_value() == parsed.has_value());
  if (replaced) {
    FUZZ_CHECK(*replaced == *parsed);
  } else {
    CheckError(replaced.error());
  }

  const auto unchanged =
      flags::ApplyEdit(kUndeclaredKey, std::string(text), flags::DefinitionEdit{});
  FUZZ_CHECK(unchanged.has_value() == parsed.has_value());
  if (unchanged) {
    FUZZ_CHECK(*unchanged == *parsed);
  } else {
    CheckError(unchanged.error());
  }
  return 0;
}
