// An event loop run by one thread of its own, as each of http::Server's I/O
// threads runs one, for tests of code that runs on fibers. The destructor
// lets the loop run out of work and joins it, so every fiber started on it
// has finished when it returns. Start may be called from any thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <thread>

#include "fibers/fiber.h"

namespace payments::testing {

class LoopThread {
 public:
  LoopThread() : guard_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;
  ~LoopThread() {
    guard_.reset();
    thread_.join();
  }

  // Starts fn on a fiber of this loop.
  void Start(std::function<void()> fn) {
    boost::asio::post(ioc_, [this, fn = std::move(fn)] { fibers::Start(ioc_, fn); });
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace payments::testing
