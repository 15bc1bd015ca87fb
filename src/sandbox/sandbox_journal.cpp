#include "sandbox/sandbox_journal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "telemetry/log.h"

namespace payments::sandbox {
namespace {

std::string Errno(std::string_view what, const std::string& path) {
  return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

// Makes a newly created file's name durable.
void SyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

payments::Result<std::unique_ptr<Journal>> Journal::Open(
    const std::string& path, const std::function<payments::Status(std::string_view)>& apply,
    Opened* opened) {
  auto fail = [&](std::string message) {
    return std::unexpected(Error::Unavailable(std::move(message)));
  };
  if (path.empty()) return fail("the journal path is empty");
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  const bool existed = std::filesystem::exists(path, ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errno("cannot open the journal", path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return fail(fmt::format("the journal {} is in use by another process", path));
  }
  if (!existed) SyncDirectoryOf(path);

  // Read it whole: the sandbox's journal is small next to its memory.
  std::string content;
  char buffer[1 << 16];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return fail(Errno("cannot read the journal", path));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    offset += n;
  }

  Opened info;
  size_t start = 0;
  int64_t line_number = 0;
  while (start < content.size()) {
    const size_t nl = content.find('\n', start);
    if (nl == std::string::npos) break;  // torn tail
    ++line_number;
    const std::string_view line(content.data() + start, nl - start);
    if (!line.empty()) {
      if (auto applied = apply(line); !applied) {
        ::close(fd);
        return fail(fmt::format("the journal {} is corrupt at line {} ({}); not starting", path,
                                line_number, applied.error().detail));
      }
      ++info.lines;
    }
    start = nl + 1;
  }
  if (start < content.size()) {
    info.torn_bytes = static_cast<int64_t>(content.size() - start);
    if (::ftruncate(fd, static_cast<off_t>(start)) != 0 || ::fdatasync(fd) != 0) {
      ::close(fd);
      return fail(Errno("cannot cut the torn last line of the journal", path));
    }
  }
  if (opened != nullptr) *opened = info;
  return std::unique_ptr<Journal>(new Journal(fd, start));
}

Journal::Journal(int fd, uint64_t size) : fd_(fd), appended_(size), synced_(size) {
  flusher_ = std::thread([this] { Flush(); });
}

Journal::~Journal() {
  Close();
  ::close(fd_);
}

payments::Result<uint64_t> Journal::Append(std::string_view line) {
  std::string data;
  data.reserve(line.size() + 1);
  data.append(line).push_back('\n');
  std::lock_guard lock(mu_);
  if (closed_ || broken_) {
    return std::unexpected(Error::Unavailable("the journal is closed or broken"));
  }
  if (!WriteAll(fd_, data)) {
    const int saved = errno;
    // A partial line would tear the next one: cut back to the last whole line.
    if (::ftruncate(fd_, static_cast<off_t>(appended_)) != 0) broken_ = true;
    log::Error("sandbox journal write failed", {{"error", std::strerror(saved)}});
    return std::unexpected(Error::Unavailable("cannot write the journal", std::strerror(saved)));
  }
  appended_ += data.size();
  work_.NotifyOne();
  return appended_;
}

void Journal::WaitDurable(uint64_t ticket) {
  std::unique_lock lock(mu_);
  durable_.Wait(lock, [&] { return synced_ >= ticket; });
}

void Journal::Flush() {
  std::unique_lock lock(mu_);
  while (true) {
    work_.Wait(lock, [&] { return closed_ || appended_ > synced_; });
    if (appended_ == synced_) break;  // closed, nothing left
    const uint64_t target = appended_;
    lock.unlock();
    const int rc = ::fdatasync(fd_);
    const int saved = errno;
    lock.lock();
    if (rc != 0) {
      log::Error("sandbox journal fdatasync failed; exiting (a restart replays the journal)",
                 {{"error", std::strerror(saved)}});
      log::Flush();
      std::_Exit(1);
    }
    synced_ = target;
    ++syncs_;
    durable_.NotifyAll();
  }
}

void Journal::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_ && !flusher_.joinable()) return;
    closed_ = true;
    work_.NotifyAll();
  }
  if (flusher_.joinable()) flusher_.join();
}

int64_t Journal::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

}  // namespace payments::sandbox
