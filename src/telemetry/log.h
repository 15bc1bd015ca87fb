// Structured logs: one JSON object per line on stdout (or stderr), through spdlog.
//   {"time":"2026-11-24T19:53:30.123Z","level":"info","message":"listening", ...fields}
// Every line passes through RedactSecrets before it is written, as a last
// defence: no card number or secret key ever reaches a log. A line is
// flushed as it is written, except the access log's (Buffered). Thread-safe.
//
//   log::Info("listening", {{"public", "127.0.0.1:8080"}});
#pragma once

#include <chrono>
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

// A line of the access log: one per request. Below warn it is written
// without a flush and goes out, whole, with the next flushed line, when
// 16 KiB are pending, or at the periodic flush — so that a request does not
// pay a write(2) of its own (at C=8: 1.0 → 0.017 writes per request;
// bench/README.md). Warn and error lines flush at once, with every buffered
// line before them. A process killed outright (SIGKILL) loses at
// most the last `StartPeriodicFlush` interval of buffered lines.
void Buffered(Level level, std::string_view message, const nlohmann::ordered_json& fields = {});

// Flushes buffered lines every `interval` from then on, on a thread of
// spdlog's (`payments serve` starts it); zero stops it.
void StartPeriodicFlush(std::chrono::seconds interval);

// Flushes buffered lines (before exit).
void Flush();

// Sends lines to stderr from then on (what is pending goes to stdout first):
// for the CLI's one-shot commands, whose stdout is their answer.
void UseStderr();

}  // namespace payments::log
