// Fibers: request handlers that run on an event-loop thread and park there,
// instead of blocking the thread, while they wait — for the database, for a
// shared transaction another request leads, for the processor. The thread
// meanwhile reads, parses and answers other requests, so a request costs no
// thread hand-off and no futex wake-up of its own (bench/history/2026-11-25c-fibers.md).
//
//   fibers::Start(loop, [&] { done(api.Handle(request)); });
//
// The waits below work on a fiber and off one alike, so the code that calls
// them (db::Connection, db::Pool, db::GroupCommitter, the sandbox processor)
// is the same synchronous code for handlers, background threads and tools:
//   - on a fiber, the fiber parks and its loop runs other work until the
//     socket is ready, the timer fires or a CondVar notifies it;
//   - on a plain thread, they block as poll(), sleep_for and
//     std::condition_variable do.
//
// A fiber is pinned to the thread that runs its loop: `loop` must be run by
// exactly one thread (http::Server gives each I/O thread its own). So
// thread-locals and mutexes behave on a fiber as on that thread; still, a
// fiber must not hold a mutex while it waits (the waits take care of the
// mutex they are given). Anything else that blocks on a fiber blocks its
// whole loop, which /livez then reports as a stall.
//
// Thread-safe: CondVar may be notified from any thread; Start only from the
// thread that runs `loop`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace boost::asio {
class io_context;
}

namespace payments::fibers {

using Clock = std::chrono::steady_clock;

// Runs fn on a new fiber: its first slice now, on the calling thread, which
// must be the thread that runs `loop`; later slices, after each wait, are
// run by `loop`. fn must not throw.
void Start(boost::asio::io_context& loop, std::function<void()> fn);

// True when the caller runs on a fiber.
bool OnFiber();

// Waits for d (a timer on a fiber, sleep_for off one).
void SleepFor(Clock::duration d);

// Waits until the socket fd is readable (or writable) or the deadline
// passes; returns false on the deadline. Readable includes hang-up and error.
bool WaitSocket(int fd, bool for_write, std::optional<Clock::time_point> deadline);

struct FiberWaiter;

// A condition variable for threads and fibers together, used with the
// caller's std::mutex. Notify only while holding that mutex: the waiting
// fibers are listed under it.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(std::unique_lock<std::mutex>& lock) { (void)WaitUntil(lock, std::nullopt); }
  template <typename Pred>
  void Wait(std::unique_lock<std::mutex>& lock, Pred ready) {
    while (!ready()) Wait(lock);
  }
  // False when the deadline passed (possibly also notified).
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::optional<Clock::time_point> deadline);

  void NotifyOne();
  void NotifyAll();

 private:
  std::condition_variable threads_;
  std::deque<std::shared_ptr<FiberWaiter>> fibers_;  // guarded by the caller's mutex
};

}  // namespace payments::fibers
