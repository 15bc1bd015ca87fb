#include "serve/health.h"

namespace payments::serve {

void Health::Set(const std::string& name, bool ok, std::string detail) {
  std::lock_guard lock(mu_);
  checks_[name] = Check{name, ok, std::move(detail)};
}

void Health::AddProbe(const std::string& name, std::function<Check()> probe) {
  std::lock_guard lock(mu_);
  probes_[name] = std::move(probe);
}

bool Health::Ready() const {
  const std::vector<Check> checks = Checks();
  if (checks.empty()) return false;
  for (const Check& c : checks) {
    if (!c.ok) return false;
  }
  return true;
}

std::vector<Health::Check> Health::Checks() const {
  std::map<std::string, Check> all;
  std::map<std::string, std::function<Check()>> probes;
  {
    std::lock_guard lock(mu_);
    all = checks_;
    probes = probes_;
  }
  for (const auto& [name, probe] : probes) {
    Check c = probe();
    c.name = name;
    all[name] = std::move(c);
  }
  std::vector<Check> out;
  for (auto& [name, check] : all) out.push_back(std::move(check));
  return out;
}

void Health::SetSchemaVersion(int64_t version) {
  std::lock_guard lock(mu_);
  schema_version_ = version;
}

int64_t Health::schema_version() const {
  std::lock_guard lock(mu_);
  return schema_version_;
}

}  // namespace payments::serve
