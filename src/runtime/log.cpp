#include "runtime/log.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "core/redact.h"

namespace payments::log {
namespace {

spdlog::logger& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stdout_logger_mt("payments");
    l->set_pattern("%v");
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* Name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string Now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace

bool SetLevel(std::string_view name) {
  if (name == "debug") {
    Logger().set_level(spdlog::level::debug);
  } else if (name == "info") {
    Logger().set_level(spdlog::level::info);
  } else if (name == "warn") {
    Logger().set_level(spdlog::level::warn);
  } else if (name == "error") {
    Logger().set_level(spdlog::level::err);
  } else {
    return false;
  }
  return true;
}

void Write(Level level, std::string_view message, const nlohmann::ordered_json& fields) {
  spdlog::logger& logger = Logger();
  if (!logger.should_log(ToSpd(level))) return;
  constexpr auto kReplace = nlohmann::ordered_json::error_handler_t::replace;
  // The three fields every line starts with, then the caller's fields
  // spliced in as they dump, not copied into a new object (every request
  // logs a line; the copy was most of its cost). Should a caller's field
  // bear one of those names, it replaces it, as a merge would.
  const bool overrides =
      fields.is_object() &&
      (fields.contains("time") || fields.contains("level") || fields.contains("message"));
  std::string text;
  if (overrides) {
    nlohmann::ordered_json line = {{"time", Now()}, {"level", Name(level)}, {"message", message}};
    for (const auto& [key, value] : fields.items()) line[key] = value;
    text = line.dump(-1, ' ', false, kReplace);
  } else {
    text = fmt::format(R"({{"time":"{}","level":"{}","message":{})", Now(), Name(level),
                       nlohmann::ordered_json(message).dump(-1, ' ', false, kReplace));
    if (fields.is_object() && !fields.empty()) {
      text.push_back(',');
      text.append(fields.dump(-1, ' ', false, kReplace), 1);  // without its opening brace
    } else {
      text.push_back('}');
    }
  }
  logger.log(ToSpd(level), RedactSecrets(text));
}

void Flush() { Logger().flush(); }

}  // namespace payments::log
