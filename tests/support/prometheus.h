// A parser of the Prometheus text exposition format (0.0.4) for tests: it
// checks the syntax line by line (metric and label names, quoted label
// values with escapes, float values), that every sample belongs to a family
// declared by # TYPE, that families are not split, and that histograms are
// well formed (cumulative buckets, +Inf equal to _count). Thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace payments::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string type;
  std::string help;
  std::vector<PromSample> samples;
};

struct PromParse {
  std::map<std::string, PromFamily> families;
  std::vector<std::string> errors;  // empty when the text is valid

  // The value of the sample with exactly these labels (a subset match), or NaN.
  double Value(const std::string& sample_name,
               const std::map<std::string, std::string>& labels = {}) const;
  bool Has(const std::string& family) const { return families.contains(family); }
};

PromParse ParsePrometheus(const std::string& text);

}  // namespace payments::testing
