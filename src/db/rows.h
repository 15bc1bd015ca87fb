// The rows a query returned: an owning wrapper of a PGresult with typed
// accessors. Values are read in libpq's text format. Copies share the result,
// which nothing writes after libpq made it, so copies may be read from
// several threads (libpq allows it); one Rows is not to be assigned while
// another thread reads it.
//
//   Rows rows = *conn.Exec("SELECT id, amount FROM payments WHERE id = $1", p);
//   for (int r = 0; r < rows.size(); ++r) use(rows.Text(r, 0), rows.Int64(r, 1));
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace payments::db {

class Rows {
 public:
  Rows() = default;

  int size() const { return result_ ? PQntuples(result_.get()) : 0; }
  bool empty() const { return size() == 0; }
  int columns() const { return result_ ? PQnfields(result_.get()) : 0; }
  // Index of the named column, or -1.
  int Column(const char* name) const;

  bool IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string_view Text(int row, int col) const;
  std::string String(int row, int col) const { return std::string(Text(row, col)); }
  std::optional<std::string> OptionalString(int row, int col) const;
  int64_t Int64(int row, int col) const;
  std::optional<int64_t> OptionalInt64(int row, int col) const;
  double Double(int row, int col) const;
  bool Bool(int row, int col) const { return Text(row, col) == "t"; }

  // Rows touched by INSERT/UPDATE/DELETE.
  int64_t affected() const;

 private:
  friend class Connection;  // the only maker of Rows: libpq stays behind db/
  explicit Rows(PGresult* result) : result_(result, PQclear) {}

  std::shared_ptr<PGresult> result_;
};

}  // namespace payments::db
