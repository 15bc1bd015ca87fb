// gMock matchers for the project's values, so that a failed check prints the
// error it holds instead of each test writing its own print:
//
//   ASSERT_THAT(conn->Exec("SELECT 1"), IsOk());
//   // Expected: holds a value
//   //   Actual: an error: internal: relation "x" does not exist [sqlstate 42P01]
//
// IsOk matches a payments::Result<T> or payments::Status that holds a value.
// Stateless; thread-safe.
#pragma once

#include <gmock/gmock.h>

#include <ostream>
#include <string>

#include "core/error.h"

namespace payments {

// What a failed IsOk (or any gtest print of an Error) shows.
inline std::string DescribeForTest(const Error& e) {
  std::string out = e.code.empty() ? std::string(ErrorType(e.kind)) : e.code;
  out += ": " + e.message;
  if (!e.param.empty()) out += " (param " + e.param + ")";
  if (!e.detail.empty()) out += " — " + e.detail;
  if (!e.sqlstate.empty()) out += " [sqlstate " + e.sqlstate + "]";
  return out;
}

inline void PrintTo(const Error& e, std::ostream* os) { *os << DescribeForTest(e); }

// Found by argument-dependent lookup: Error is the expected's argument.
template <typename T>
void PrintTo(const std::expected<T, Error>& r, std::ostream* os) {
  if (r.has_value()) {
    *os << "a value";
  } else {
    *os << "an error: " << DescribeForTest(r.error());
  }
}

namespace testing {

MATCHER(IsOk, "holds a value") {
  if (arg.has_value()) return true;
  *result_listener << "holds " << DescribeForTest(arg.error());
  return false;
}

}  // namespace testing
}  // namespace payments
