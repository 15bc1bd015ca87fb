// `payments version [--verbose]`: the semantic version, git commit and build
// time; with --verbose also the migration version built in and the versions of
// the linked libraries, for patch management.
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <spdlog/version.h>

#include <boost/version.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/subcommands.h"
#include "core/build_info.h"
#include "db/connection.h"
#include "migrate/migration.h"

namespace payments::cli {

void AddVersionCommand(CLI::App& app, int& exit_code) {
  auto* sub = app.add_subcommand("version", "Print the version of this binary");
  auto verbose = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--verbose,-v", *verbose, "Also print the schema and library versions");
  sub->add_flag("--json", *json, "Print as JSON");
  sub->callback([verbose, json, &exit_code] {
    const BuildInfo& b = GetBuildInfo();
    const int pq = db::LibpqVersion();
    nlohmann::ordered_json v = {
        {"version", b.version},
        {"commit", b.commit},
        {"build_time", b.build_time},
        {"schema_version_built_in", migrate::BuiltInSchemaVersion()},
        {"libraries",
         {{"libpq", fmt::format("{}.{}", pq / 10000, pq % 10000)},
          {"openssl", OpenSSL_version(OPENSSL_VERSION)},
          {"boost", fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                                BOOST_VERSION % 100)},
          {"librdkafka", rd_kafka_version_str()},
          {"spdlog", fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH)},
          {"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
                              FMT_VERSION % 100)},
          {"nlohmann_json",
           fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                       NLOHMANN_JSON_VERSION_PATCH)}}}};
    if (*json) {
      if (!*verbose) v.erase("libraries");
      std::puts(v.dump(2).c_str());
    } else if (!*verbose) {
      std::printf("payments %s (%s, built %s)\n", std::string(b.version).c_str(),
                  std::string(b.commit).c_str(), std::string(b.build_time).c_str());
    } else {
      std::printf("payments %s (%s, built %s)\n", std::string(b.version).c_str(),
                  std::string(b.commit).c_str(), std::string(b.build_time).c_str());
      std::printf("schema version built in: %lld\n",
                  static_cast<long long>(migrate::BuiltInSchemaVersion()));
      for (const auto& [name, version] : v["libraries"].items()) {
        std::printf("%-14s %s\n", name.c_str(), version.get<std::string>().c_str());
      }
    }
    exit_code = 0;
  });
}

}  // namespace payments::cli
