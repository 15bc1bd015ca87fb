// A TCP connection to a local port that sends exactly the bytes it is given,
// for tests of what a hostile client sends (framing, slow headers, bytes no
// HTTP client library would produce) and that reads what comes back until the
// server closes or a deadline passes. Not thread-safe; one per test thread.
//
//   RawConnection c(port);
//   c.Send("GET //v1/payments HTTP/1.1\r\nHost: x\r\n\r\n");
//   RawReply r = c.ReadResponse(std::chrono::seconds(5));
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace payments::testing {

struct RawReply {
  int status = 0;  // 0: no complete response head arrived
  std::string head;
  std::string body;
};

class RawConnection {
 public:
  explicit RawConnection(int port);
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  bool connected() const { return fd_ >= 0; }
  // False when the server has closed (or reset) the connection.
  bool Send(const std::string& bytes);
  // One response: its head and a body of Content-Length bytes.
  RawReply ReadResponse(std::chrono::milliseconds timeout);
  // Every byte until the server closes, or the timeout; true when it closed.
  bool ReadUntilClosed(std::chrono::milliseconds timeout, std::string* out = nullptr);
  // Whether the server has closed the connection, waiting at most `timeout`
  // for it (bytes that arrive meanwhile are kept for the next read).
  bool ClosedWithin(std::chrono::milliseconds timeout);

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);  // false on close or deadline
  int fd_ = -1;
  bool closed_ = false;
  std::string pending_;
};

// Every response in `bytes` (a connection's whole output), in order.
std::vector<RawReply> SplitResponses(const std::string& bytes);

}  // namespace payments::testing
