// Structured logs: one JSON object per line on stdout, through spdlog.
//   {"time":"2026-11-24T19:53:30.123Z","level":"info","message":"listening", ...fields}
// Every line passes through RedactSecrets before it is written, as a last
// defence: no card number or secret key ever reaches a log. Thread-safe.
//
//   log::Info("listening", {{"public", "127.0.0.1:8080"}});
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace payments::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Sets the minimum level ("debug", "info", "warn", "error"). Returns false
// for an unknown name.
bool SetLevel(std::string_view name);

void Write(Level level, std::string_view message, const nlohmann::ordered_json& fields = {});

inline void Debug(std::string_view m, const nlohmann::ordered_json& f = {}) {
  Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, const nlohmann::ordered_json& f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, const nlohmann::ordered_json& f = {}) {
  Write(Level::kWarn, m, f);
}
inline void Error(std::string_view m, const nlohmann::ordered_json& f = {}) {
  Write(Level::kError, m, f);
}

// Flushes buffered lines (before exit).
void Flush();

}  // namespace payments::log
