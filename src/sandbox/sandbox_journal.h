// The sandbox's journal: an append-only file of JSON lines, one per state
// change (sandbox/sandbox_state.h), the only state that survives a restart.
// It lives apart from the service's database (default var/sandbox.journal).
//
// Durability with group syncs: Append write()s the line and returns a ticket
// (the file offset just past it); one flusher thread fdatasyncs everything
// appended so far and wakes every waiter whose line that covered, so
// concurrent requests share one sync. WaitDurable parks a fiber (or blocks a
// plain thread) on a fibers::CondVar until then. A failed fdatasync ends the
// process (exit 1): the page cache may have dropped the line, so no later
// sync could prove it, and a restart replays what the disk holds.
//
// Open replays the file line by line through `apply`. A last line without
// its newline (the process died in the middle of a write) is torn: it is
// cut off the file, and Opened says how many bytes went. Any other line that
// does not apply fails the open: the journal is corrupt, and guessing would
// lose answered results. The file is locked (flock) so that two sandboxes
// cannot share it.
//
// Thread-safe: Append and WaitDurable from any thread or fiber.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/error.h"
#include "fibers/fiber.h"
#include "sandbox/sandbox_state.h"

namespace payments::sandbox {

class Journal final : public JournalSink {
 public:
  struct Opened {
    int64_t lines = 0;       // replayed
    int64_t torn_bytes = 0;  // cut off the end
  };

  // Opens (creating it and its directory when missing), replays, truncates
  // a torn tail and starts the flusher.
  static payments::Result<std::unique_ptr<Journal>> Open(
      const std::string& path, const std::function<payments::Status(std::string_view)>& apply,
      Opened* opened = nullptr);

  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal() override;  // Close()

  payments::Result<uint64_t> Append(std::string_view line) override;
  // Returns once the line of `ticket` has been fdatasync'ed.
  void WaitDurable(uint64_t ticket);
  // Syncs what is appended and stops the flusher. Appends fail from then on.
  void Close();

  // fdatasync calls so far (for tests of the grouping).
  int64_t syncs() const;

 private:
  Journal(int fd, uint64_t size);
  void Flush();

  const int fd_;
  mutable std::mutex mu_;
  fibers::CondVar work_;     // the flusher waits for lines or Close
  fibers::CondVar durable_;  // waiters wait for synced_
  uint64_t appended_ = 0;    // guarded by mu_
  uint64_t synced_ = 0;      // guarded by mu_
  int64_t syncs_ = 0;        // guarded by mu_
  bool broken_ = false;      // a write failed and could not be undone
  bool closed_ = false;
  std::thread flusher_;
};

}  // namespace payments::sandbox
