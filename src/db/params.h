// Query parameters in libpq's text format. Values are copied, so a Params may
// outlive the strings it was built from. Not thread-safe; build one per query.
//
//   db::Params p;
//   p.Add(merchant_id).Add(amount).AddNull();
//   conn.Run(kInsertPayment, p);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace payments::db {

class Params {
 public:
  Params() = default;

  Params& Add(std::string_view value);
  Params& Add(const std::string& value) { return Add(std::string_view(value)); }
  Params& Add(const char* value) { return Add(std::string_view(value)); }
  Params& Add(int64_t value);
  Params& Add(int value) { return Add(static_cast<int64_t>(value)); }
  Params& Add(bool value);
  Params& AddNull();
  // Appends copies of `other`'s values (the parameters of a merged statement).
  Params& Append(const Params& other);

  template <typename T>
  Params& Add(const std::optional<T>& value) {
    return value ? Add(*value) : AddNull();
  }

  int size() const { return static_cast<int>(values_.size()); }
  // A value holds a NUL byte, which libpq's text format would cut; the
  // Connection refuses to send such parameters at all.
  bool HoldsNul() const { return holds_nul_; }
  // Pointers for PQexecParams; valid until the next Add.
  std::vector<const char*> Pointers() const;
  std::vector<int> Lengths() const;

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  bool holds_nul_ = false;
};

// A PostgreSQL array literal of text values, for a `$1::text[]` parameter:
// {"a","b \"c\""}. Quotes and backslashes are escaped.
std::string TextArray(const std::vector<std::string>& values);
// The same for a `$1::bigint[]` parameter: {1,-2,3}.
std::string Int64Array(const std::vector<int64_t>& values);

}  // namespace payments::db
