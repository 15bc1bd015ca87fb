// The parts `serve` has started, stopped in the reverse order of starting:
// each part pushes how it stops right after it starts, so every way out —
// a signal before the service was ready, a listener that would not open,
// the end of a drain — stops exactly what runs, once, in one order.
//
//   StopStack stops;
//   relay->Start();
//   stops.Push("outbox relay", [&] { relay->Stop(); });
//   ...
//   stops.StopAll();  // or the destructor
//
// Not thread-safe: the thread that runs the lifecycle owns it.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace payments::serve {

class StopStack {
 public:
  StopStack() = default;
  StopStack(const StopStack&) = delete;
  StopStack& operator=(const StopStack&) = delete;
  ~StopStack() { StopAll(); }

  void Push(std::string name, std::function<void()> stop) {
    parts_.push_back({std::move(name), std::move(stop)});
  }

  // Stops every part pushed, the last pushed first; each only once.
  void StopAll() {
    while (!parts_.empty()) {
      Part part = std::move(parts_.back());
      parts_.pop_back();
      part.stop();
    }
  }

  // What runs, in the order it was started (for logs and tests).
  std::vector<std::string> Running() const {
    std::vector<std::string> names;
    for (const auto& p : parts_) names.push_back(p.name);
    return names;
  }

 private:
  struct Part {
    std::string name;
    std::function<void()> stop;
  };
  std::vector<Part> parts_;
};

}  // namespace payments::serve
