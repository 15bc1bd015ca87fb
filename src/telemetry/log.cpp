#include "telemetry/log.h"

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include "core/redact.h"

namespace payments::log {
namespace {

// Lines to stdout (or stderr, after UseStderr), whole. Pending lines wait here, not in stdio's
// buffer, which splits a line where it fills (a process killed then leaves half a line), and go
// with one write(2) when flushed or when 16 KiB are pending. spdlog's own stdout sink flushes every
// line: one write(2) per line, which is what Buffered avoids.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void UseFd(int fd) {
    std::lock_guard lock(mutex_);
    flush_();
    fd_ = fd;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    if (pending_.size() + line.size() > kMaxPending) flush_();
    pending_.append(line.data(), line.size());
  }

  void flush_() override {
    std::fflush(fd_ == STDOUT_FILENO ? stdout : stderr);  // what else went there before these lines
    size_t done = 0;
    while (done < pending_.size()) {
      const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stdout is gone: the lines with it
      done += static_cast<size_t>(n);
    }
    pending_.clear();
  }

 private:
  static constexpr size_t kMaxPending = 16 * 1024;
  std::string pending_;
  int fd_ = STDOUT_FILENO;
};

const std::shared_ptr<LineSink>& Sink() {
  static const std::shared_ptr<LineSink> sink = std::make_shared<LineSink>();
  return sink;
}

spdlog::logger& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("payments", Sink());
    spdlog::register_logger(l);  // for spdlog's periodic flush
    l->set_pattern("%v");
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::off);  // Write decides (Buffered)
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

namespace {

void Emit(Level level, std::string_view message, const nlohmann::ordered_json& fields, bool flush) {
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
  if (flush) logger.flush();
}

}  // namespace

void Write(Level level, std::string_view message, const nlohmann::ordered_json& fields) {
  Emit(level, message, fields, /*flush=*/true);
}

void Buffered(Level level, std::string_view message, const nlohmann::ordered_json& fields) {
  Emit(level, message, fields, /*flush=*/level >= Level::kWarn);
}

void StartPeriodicFlush(std::chrono::seconds interval) {
  (void)Logger();  // registered with spdlog, whose flusher flushes every registered logger
  spdlog::flush_every(interval);
}

void Flush() { Logger().flush(); }

void UseStderr() { Sink()->UseFd(STDERR_FILENO); }

}  // namespace payments::log
