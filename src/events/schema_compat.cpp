#include "events/schema_compat.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace payments::events {
namespace {

std::string FieldName(const std::string& path) { return path.empty() ? "the event" : path; }

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

std::string DescribeTypes(const std::vector<std::string>& types) {
  if (types.empty()) return "any type";
  std::string out;
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out += " or ";
    out += types[i];
  }
  return out;
}

bool Admits(const std::vector<std::string>& old_types, const std::string& type) {
  if (std::find(old_types.begin(), old_types.end(), type) != old_types.end()) return true;
  return type == "integer" &&
         std::find(old_types.begin(), old_types.end(), "number") != old_types.end();
}

void Compare(const SchemaNode& previous, const SchemaNode& next, const std::string& path,
             std::vector<std::string>& out) {
  if (!previous.types.empty()) {
    const bool widened =
        next.types.empty() || std::any_of(next.types.begin(), next.types.end(),
                                          [&](auto& t) { return !Admits(previous.types, t); });
    if (widened) {
      out.push_back(fmt::format("the type of {} changed from {} to {}", FieldName(path),
                                DescribeTypes(previous.types), DescribeTypes(next.types)));
    }
  }

  std::vector<std::string> added;
  for (const auto& [name, schema] : next.properties) {
    if (!previous.properties.contains(name)) added.push_back(name);
  }
  for (const auto& [name, schema] : previous.properties) {
    auto it = next.properties.find(name);
    if (it != next.properties.end()) {
      Compare(*schema, *it->second, Join(path, name), out);
      continue;
    }
    std::string message = fmt::format("field {} was removed", Join(path, name));
    if (!added.empty()) {
      message += fmt::format(" (a rename is a removal; fields added beside it: {})",
                             fmt::join(added, ", "));
    }
    out.push_back(std::move(message));
  }

  const std::set<std::string> was_required(previous.required.begin(), previous.required.end());
  for (const std::string& name : next.required) {
    if (was_required.contains(name)) continue;
    out.push_back(previous.properties.contains(name)
                      ? fmt::format("field {} became required", Join(path, name))
                      : fmt::format("new required field {}", Join(path, name)));
  }

  if (previous.items) {
    if (next.items) {
      Compare(*previous.items, *next.items, path + "[]", out);
    } else {
      out.push_back(fmt::format("the items of {} lost their schema", FieldName(path)));
    }
  }
  if (previous.additional) {
    if (next.additional) {
      Compare(*previous.additional, *next.additional, Join(path, "*"), out);
    } else {
      out.push_back(fmt::format("the values of {} lost their schema", FieldName(path)));
    }
  }
}

}  // namespace

std::vector<std::string> FindBreakingChanges(const SchemaNode& previous, const SchemaNode& next) {
  std::vector<std::string> out;
  Compare(previous, next, "", out);
  return out;
}

}  // namespace payments::events
