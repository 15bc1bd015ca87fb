// What text from outside must be before the service decodes, stores or echoes
// it: valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF)
// and no NUL, which PostgreSQL refuses in text and jsonb and which libpq's
// text parameters would silently cut. Lengths are counted in code points, as
// PostgreSQL's length() and char_length() count them in a UTF-8 database.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace payments {

bool IsValidUtf8(std::string_view s);

// The number of code points of valid UTF-8 (undefined for invalid input).
size_t Utf8Length(std::string_view s);

enum class TextProblem { kInvalidUtf8, kNul, kControl };

// Why s cannot be stored and echoed unchanged, or nullopt. Control
// characters (U+0001–U+001F, U+007F) are refused only when allow_control is
// false: free text may hold a newline or a tab, an id or a key may not.
std::optional<TextProblem> CheckText(std::string_view s, bool allow_control = true);

// "is not valid UTF-8", "contains a NUL character", "contains a control character".
std::string_view Describe(TextProblem problem);

}  // namespace payments
