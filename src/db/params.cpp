#include "db/params.h"

namespace payments::db {

Params& Params::Add(std::string_view value) {
  holds_nul_ = holds_nul_ || value.find('\0') != std::string_view::npos;
  values_.emplace_back(value);
  null_.push_back(false);
  return *this;
}

Params& Params::Add(int64_t value) {
  values_.push_back(std::to_string(value));
  null_.push_back(false);
  return *this;
}

Params& Params::Add(bool value) {
  values_.emplace_back(value ? "t" : "f");
  null_.push_back(false);
  return *this;
}

Params& Params::AddNull() {
  values_.emplace_back();
  null_.push_back(true);
  return *this;
}

Params& Params::Append(const Params& other) {
  values_.insert(values_.end(), other.values_.begin(), other.values_.end());
  null_.insert(null_.end(), other.null_.begin(), other.null_.end());
  holds_nul_ = holds_nul_ || other.holds_nul_;
  return *this;
}

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    out.push_back(null_[i] ? nullptr : values_[i].c_str());
  }
  return out;
}

std::vector<int> Params::Lengths() const {
  std::vector<int> out;
  out.reserve(values_.size());
  for (const std::string& v : values_) out.push_back(static_cast<int>(v.size()));
  return out;
}

std::string TextArray(const std::vector<std::string>& values) {
  size_t size = 2;
  for (const std::string& v : values) size += v.size() + 3;
  std::string out;
  out.reserve(size + size / 8);  // room for some escapes
  out.push_back('{');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    // Runs without a quote or backslash are copied whole (event payloads
    // are kilobytes of JSON, full of quotes but long runs between them).
    std::string_view rest = values[i];
    while (!rest.empty()) {
      const size_t special = rest.find_first_of("\"\\");
      out.append(rest.substr(0, special));
      if (special == std::string_view::npos) break;
      out.push_back('\\');
      out.push_back(rest[special]);
      rest.remove_prefix(special + 1);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string Int64Array(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += std::to_string(values[i]);
  }
  out.push_back('}');
  return out;
}

}  // namespace payments::db
