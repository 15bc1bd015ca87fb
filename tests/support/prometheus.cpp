#include "support/prometheus.h"

#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

namespace payments::testing {
namespace {

const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");

bool ParseValue(const std::string& s, double& out) {
  if (s == "+Inf") return out = INFINITY, true;
  if (s == "-Inf") return out = -INFINITY, true;
  if (s == "NaN") return out = NAN, true;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

std::string FamilyOf(const std::string& sample, const std::map<std::string, PromFamily>& fams) {
  if (fams.contains(sample)) return sample;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string sfx = suffix;
    if (sample.size() > sfx.size() && sample.ends_with(sfx)) {
      const std::string base = sample.substr(0, sample.size() - sfx.size());
      auto it = fams.find(base);
      if (it != fams.end() && (it->second.type == "histogram" || it->second.type == "summary")) {
        return base;
      }
    }
  }
  return "";
}

}  // namespace

double PromParse::Value(const std::string& sample_name,
                        const std::map<std::string, std::string>& labels) const {
  for (const auto& [name, family] : families) {
    for (const PromSample& s : family.samples) {
      if (s.name != sample_name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        match = match && it != s.labels.end() && it->second == v;
      }
      if (match) return s.value;
    }
  }
  return NAN;
}

PromParse ParsePrometheus(const std::string& text) {
  PromParse out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  std::string current;
  std::set<std::string> finished;
  auto error = [&](const std::string& what) {
    out.errors.push_back("line " + std::to_string(n) + ": " + what + ": " + line);
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, rest;
      words >> name;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (!std::regex_match(name, kName)) error("bad metric name");
      if (name != current) {
        if (finished.contains(name)) error("family split in two");
        if (!current.empty()) finished.insert(current);
        current = name;
      }
      PromFamily& f = out.families[name];
      f.name = name;
      if (line[2] == 'H') {
        f.help = rest;
      } else {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (!kTypes.contains(rest)) error("bad type");
        if (!f.type.empty()) error("type declared twice");
        f.type = rest;
      }
      continue;
    }
    if (line[0] == '#') continue;
    PromSample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!std::regex_match(s.name, kName)) {
      error("bad sample name");
      continue;
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          error("bad label");
          break;
        }
        const std::string key = line.substr(i, eq - i);
        if (!std::regex_match(key, kLabelName)) error("bad label name");
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            const char e = line[++j];
            if (e == 'n') {
              value.push_back('\n');
            } else if (e == '\\' || e == '"') {
              value.push_back(e);
            } else {
              error("bad escape");
            }
          } else {
            value.push_back(line[j]);
          }
        }
        if (j >= line.size()) {
          error("unterminated label value");
          break;
        }
        if (s.labels.contains(key)) error("repeated label");
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // the '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      error("missing value");
      continue;
    }
    std::istringstream rest(line.substr(i + 1));
    std::string value_text, timestamp;
    rest >> value_text >> timestamp;
    if (!ParseValue(value_text, s.value)) error("bad value");
    const std::string family = FamilyOf(s.name, out.families);
    if (family.empty()) {
      error("sample without a # TYPE");
      continue;
    }
    if (family != current) error("sample outside its family's block");
    out.families[family].samples.push_back(std::move(s));
  }
  // Histograms: per label set (without le), cumulative buckets ending in +Inf == _count.
  for (const auto& [name, f] : out.families) {
    if (f.type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    for (const PromSample& s : f.samples) {
      auto labels = s.labels;
      if (s.name == name + "_bucket") {
        double le = 0;
        if (!labels.contains("le") || !ParseValue(labels["le"], le)) {
          out.errors.push_back(name + ": bucket without a valid le");
          continue;
        }
        labels.erase("le");
        buckets[labels].emplace_back(le, s.value);
      } else if (s.name == name + "_count") {
        counts[labels] = s.value;
      }
    }
    for (const auto& [labels, bs] : buckets) {
      for (size_t k = 1; k < bs.size(); ++k) {
        if (bs[k].first <= bs[k - 1].first || bs[k].second < bs[k - 1].second) {
          out.errors.push_back(name + ": buckets not cumulative");
        }
      }
      if (bs.empty() || !std::isinf(bs.back().first)) {
        out.errors.push_back(name + ": no +Inf bucket");
      } else if (!counts.contains(labels) || counts[labels] != bs.back().second) {
        out.errors.push_back(name + ": +Inf bucket differs from _count");
      }
    }
  }
  return out;
}

}  // namespace payments::testing
