// FUZZ_CHECK: the properties a fuzz target asserts beyond "does not crash".
// A failed check prints the condition and aborts, which libFuzzer reports as a
// crash and saves the input for. Independent of NDEBUG. Used only by fuzz/.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)         \
  ((condition) ? static_cast<void>(0) \
               : ::payments::fuzz::CheckFailed(#condition, "", __FILE__, __LINE__))

// With a note printed beside the condition (the input's offending part, say).
#define FUZZ_CHECK_MSG(condition, note) \
  ((condition) ? static_cast<void>(0)   \
               : ::payments::fuzz::CheckFailed(#condition, (note), __FILE__, __LINE__))

namespace payments::fuzz {

[[noreturn]] inline void CheckFailed(const char* condition, std::string_view note, const char* file,
                                     int line) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s", file, line, condition);
  if (!note.empty()) std::fprintf(stderr, " [%.*s]", static_cast<int>(note.size()), note.data());
  std::fprintf(stderr, "\n");
  std::abort();
}

}  // namespace payments::fuzz
