#include "db/rows.h"

#include <cassert>
#include <charconv>
#include <cstdlib>

namespace payments::db {

int Rows::Column(const char* name) const { return result_ ? PQfnumber(result_.get(), name) : -1; }

std::string_view Rows::Text(int row, int col) const {
  assert(result_ && row < size() && col < columns());
  return std::string_view(PQgetvalue(result_.get(), row, col),
                          static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

std::optional<std::string> Rows::OptionalString(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return String(row, col);
}

int64_t Rows::Int64(int row, int col) const {
  const std::string_view text = Text(row, col);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  assert(ec == std::errc() && ptr == text.data() + text.size());
  (void)ptr;
  (void)ec;
  return value;
}

std::optional<int64_t> Rows::OptionalInt64(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int64(row, col);
}

double Rows::Double(int row, int col) const {
  return std::strtod(String(row, col).c_str(), nullptr);
}

int64_t Rows::affected() const {
  if (!result_) return 0;
  const char* tuples = PQcmdTuples(result_.get());
  return tuples[0] == '\0' ? 0 : std::strtoll(tuples, nullptr, 10);
}

}  // namespace payments::db
