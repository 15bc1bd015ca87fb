#include "fibers/fiber.h"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/preallocated.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace payments::fibers {
namespace {

namespace asio = boost::asio;
namespace ctx = boost::context;

// Deep enough for the handlers (JSON, fmt, libpq, OpenSSL) with room to
// spare; only the pages a fiber touches become resident.
constexpr size_t kStackSize = 256 * 1024;
// Stacks kept per thread for the next fibers: mmap, munmap and the page
// faults of a fresh stack would otherwise be paid per request.
constexpr size_t kStacksKept = 64;

// Stacks with a guard page (an overflow faults instead of corrupting the
// heap), recycled per thread. Boost.Context frees a finished fiber's stack on
// the thread that ran it last, which for a pinned fiber is its loop's.
class CachedStack {
 public:
  ctx::stack_context allocate() {
    std::vector<ctx::stack_context>& cache = Cache().stacks;
    if (!cache.empty()) {
      ctx::stack_context sc = cache.back();
      cache.pop_back();
      return sc;
    }
    return ctx::protected_fixedsize_stack(kStackSize).allocate();
  }
  void deallocate(ctx::stack_context& sc) {
    std::vector<ctx::stack_context>& cache = Cache().stacks;
    if (cache.size() < kStacksKept) {
      cache.push_back(sc);
      return;
    }
    ctx::protected_fixedsize_stack(kStackSize).deallocate(sc);
  }

 private:
  struct PerThread {
    std::vector<ctx::stack_context> stacks;
    ~PerThread() {
      for (ctx::stack_context& sc : stacks)
        ctx::protected_fixedsize_stack(kStackSize).deallocate(sc);
    }
  };
  static PerThread& Cache() {
    thread_local PerThread cache;
    return cache;
  }
};

// AddressSanitizer must be told when the stack changes, or it takes the
// other stack for an overflow of this one (`make test-sanitize`). No-ops in
// other builds.
#if defined(__SANITIZE_ADDRESS__)
void StartSwitch(void** fake_stack, const void* bottom, size_t size) {
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
}
void FinishSwitch(void* fake_stack, const void** bottom, size_t* size) {
  __sanitizer_finish_switch_fiber(fake_stack, bottom, size);
}
#else
void StartSwitch(void**, const void*, size_t) {}
void FinishSwitch(void*, const void**, size_t*) {}
#endif

}  // namespace

// A fiber owns itself: Start creates it, Resume deletes it when its function
// has returned. In between, only raw pointers in posted handlers and waiter
// records name it (a unique_ptr would have no single place to live: the
// fiber moves between the loop's queue, a socket wait and a CondVar).
struct Fiber {
  asio::io_context* loop = nullptr;
  std::function<void()> fn;
  ctx::fiber self;       // the fiber's own context while it is parked
  ctx::fiber scheduler;  // the context that resumed it, while it runs
  // Run by Resume once the fiber has parked, so that whatever may wake it
  // (a notifier's mutex, a socket or timer registration) is published only
  // when it can be resumed.
  void (*after_park)(void*) = nullptr;
  void* after_park_arg = nullptr;
  bool finished = false;
  // For AddressSanitizer: this fiber's stack, and the stack that resumed it.
  const void* stack_bottom = nullptr;
  size_t stack_size = 0;
  const void* scheduler_bottom = nullptr;
  size_t scheduler_size = 0;
  void* fake_stack = nullptr;
};

namespace {

thread_local Fiber* t_current = nullptr;

// Switches into f until it parks or finishes; on f's loop thread only.
void Resume(Fiber* f) {
  Fiber* const outer = t_current;
  t_current = f;
  void* fake_stack = nullptr;
  StartSwitch(&fake_stack, f->stack_bottom, f->stack_size);
  f->self = std::move(f->self).resume();
  FinishSwitch(fake_stack, nullptr, nullptr);
  t_current = outer;
  if (f->finished) {
    delete f;
    return;
  }
  if (f->after_park != nullptr) {
    auto* after = std::exchange(f->after_park, nullptr);
    after(std::exchange(f->after_park_arg, nullptr));
  }
}

// Resumes f from any thread: on its loop, after the current handler.
void Wake(Fiber* f) {
  asio::post(*f->loop, [f] { Resume(f); });
}

// Parks the current fiber; `after(arg)` runs once it has left its stack.
// Returns when something resumes it.
void Park(Fiber* f, void (*after)(void*), void* arg) {
  f->after_park = after;
  f->after_park_arg = arg;
  StartSwitch(&f->fake_stack, f->scheduler_bottom, f->scheduler_size);
  f->scheduler = std::move(f->scheduler).resume();
  FinishSwitch(f->fake_stack, &f->scheduler_bottom, &f->scheduler_size);
}

template <typename Fn>
void Park(Fiber* f, Fn& after) {
  Park(
      f, [](void* p) { (*static_cast<Fn*>(p))(); }, &after);
}

}  // namespace

// One waiting fiber; the notifier and a timer race to claim it, and only the
// claimant resumes it.
struct FiberWaiter {
  explicit FiberWaiter(Fiber* f) : fiber(f) {}
  Fiber* fiber;
  std::atomic<bool> claimed{false};
  bool timed_out = false;  // on the fiber's thread only
  std::optional<asio::steady_timer> timer;
};

void Start(asio::io_context& loop, std::function<void()> fn) {
  auto* f = new Fiber;
  f->loop = &loop;
  f->fn = std::move(fn);
  CachedStack stacks;
  ctx::stack_context stack = stacks.allocate();
  f->stack_size = stack.size;
  f->stack_bottom = static_cast<char*>(stack.sp) - stack.size;
  f->self =
      ctx::fiber(std::allocator_arg, ctx::preallocated(stack.sp, stack.size, stack), stacks,
                 [f](ctx::fiber&& scheduler) {
                   FinishSwitch(nullptr, &f->scheduler_bottom, &f->scheduler_size);
                   f->scheduler = std::move(scheduler);
                   try {
                     f->fn();
                   } catch (const std::exception& e) {
                     std::fprintf(stderr, "fatal: exception escaped a fiber: %s\n", e.what());
                     std::terminate();
                   }
                   f->fn = nullptr;
                   f->finished = true;
                   StartSwitch(nullptr, f->scheduler_bottom, f->scheduler_size);  // this stack ends
                   return std::move(f->scheduler);
                 });
  Resume(f);
}

bool OnFiber() { return t_current != nullptr; }

void SleepFor(Clock::duration d) {
  Fiber* const f = t_current;
  if (f == nullptr) {
    std::this_thread::sleep_for(d);
    return;
  }
  asio::steady_timer timer(*f->loop, d);
  auto arm = [&] { timer.async_wait([f](const boost::system::error_code&) { Resume(f); }); };
  Park(f, arm);
}

bool WaitSocket(int fd, bool for_write, std::optional<Clock::time_point> deadline) {
  Fiber* const f = t_current;
  if (f != nullptr) {
    // A registration per wait: epoll reports a socket that is already ready
    // when it is added, so readiness that arrived before the wait is not
    // lost (a lasting edge-triggered registration would lose it).
    asio::posix::stream_descriptor socket(*f->loop);
    boost::system::error_code ec;
    socket.assign(fd, ec);
    if (!ec) {
      struct State {
        std::atomic<bool> claimed{false};
        bool timed_out = false;
      };
      auto state = std::make_shared<State>();
      std::optional<asio::steady_timer> timer;
      auto arm = [&] {
        socket.async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                    : asio::posix::descriptor_base::wait_read,
                          [f, state](const boost::system::error_code&) {
                            if (!state->claimed.exchange(true)) Resume(f);
                          });
        if (deadline) {
          timer.emplace(*f->loop, *deadline);
          timer->async_wait([f, state](const boost::system::error_code& e) {
            if (e == asio::error::operation_aborted) return;
            if (!state->claimed.exchange(true)) {
              state->timed_out = true;
              Resume(f);
            }
          });
        }
      };
      Park(f, arm);
      if (timer) timer->cancel();
      (void)socket.release();  // the socket stays open: it is libpq's
      return !state->timed_out;
    }
    // Not a descriptor epoll takes: wait the plain way.
  }
  pollfd p{.fd = fd, .events = static_cast<short>(for_write ? POLLOUT : POLLIN), .revents = 0};
  while (true) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    const int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the caller's read report it
  }
}

bool CondVar::WaitUntil(std::unique_lock<std::mutex>& lock,
                        std::optional<Clock::time_point> deadline) {
  Fiber* const f = t_current;
  if (f == nullptr) {
    if (!deadline) {
      threads_.wait(lock);
      return true;
    }
    return threads_.wait_until(lock, *deadline) == std::cv_status::no_timeout;
  }
  auto waiter = std::make_shared<FiberWaiter>(f);
  fibers_.push_back(waiter);
  auto unlock_and_arm = [&] {
    lock.unlock();
    if (deadline) {
      waiter->timer.emplace(*f->loop, *deadline);
      waiter->timer->async_wait([waiter](const boost::system::error_code& e) {
        if (e == asio::error::operation_aborted) return;
        if (!waiter->claimed.exchange(true)) {
          waiter->timed_out = true;
          Resume(waiter->fiber);
        }
      });
    }
  };
  Park(f, unlock_and_arm);
  lock.lock();
  if (waiter->timer) waiter->timer->cancel();
  if (waiter->timed_out) std::erase(fibers_, waiter);
  return !waiter->timed_out;
}

void CondVar::NotifyOne() {
  while (!fibers_.empty()) {
    std::shared_ptr<FiberWaiter> w = std::move(fibers_.front());
    fibers_.pop_front();
    if (!w->claimed.exchange(true)) {
      Wake(w->fiber);
      return;
    }
  }
  threads_.notify_one();
}

void CondVar::NotifyAll() {
  for (std::shared_ptr<FiberWaiter>& w : fibers_) {
    if (!w->claimed.exchange(true)) Wake(w->fiber);
  }
  fibers_.clear();
  threads_.notify_all();
}

}  // namespace payments::fibers
