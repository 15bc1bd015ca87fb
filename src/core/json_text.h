// Whether every string and object key of a JSON document can be stored and
// echoed unchanged (core/text.h): PostgreSQL's jsonb refuses "\u0000", which
// JSON itself allows. For documents stored whole (flag definitions), where
// field-by-field validation would not see every string. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/text.h"

namespace payments {

// The document as compact text. A string that is not valid UTF-8 (which
// validation before should have refused) comes out replaced, never thrown:
// a dump runs where an exception must not escape (a request, a worker).
template <typename Json>
std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The value, or JSON null when there is none: the API shows absent optional
// fields as null.
template <typename Json, typename T>
Json JsonOrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// The dotted path of the first string or key with a problem ("" for the
// root), and what it is; nullopt when there is none.
struct JsonTextProblem {
  std::string path;
  TextProblem problem;
};

template <typename Json>
std::optional<JsonTextProblem> FindJsonTextProblem(const Json& value,
                                                   const std::string& path = "") {
  auto join = [&](const std::string& name) { return path.empty() ? name : path + "." + name; };
  if (value.is_string()) {
    if (auto p = CheckText(value.template get_ref<const typename Json::string_t&>())) {
      return JsonTextProblem{path, *p};
    }
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (auto p = CheckText(it.key())) return JsonTextProblem{join(it.key()), *p};
      if (auto inner = FindJsonTextProblem(it.value(), join(it.key()))) return inner;
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto inner = FindJsonTextProblem(value[i], join(std::to_string(i)))) return inner;
    }
  }
  return std::nullopt;
}

}  // namespace payments
