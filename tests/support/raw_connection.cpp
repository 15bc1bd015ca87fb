#include "support/raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace payments::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Parses one response at the start of bytes; returns its length, or 0 when
// it is not complete.
size_t ParseOne(const std::string& bytes, RawReply& out) {
  const size_t end = bytes.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  RawReply r;
  r.head = bytes.substr(0, end + 4);
  if (r.head.size() >= 12 && r.head.starts_with("HTTP/1."))
    r.status = std::atoi(r.head.c_str() + 9);
  size_t length = 0;
  std::string lower = r.head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (const size_t cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
    length = static_cast<size_t>(std::strtoull(lower.c_str() + cl + 17, nullptr, 10));
  }
  if (bytes.size() < end + 4 + length) return 0;
  r.body = bytes.substr(end + 4, length);
  out = std::move(r);
  return end + 4 + length;
}

}  // namespace

RawConnection::RawConnection(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawConnection::Fill(Clock::time_point deadline) {
  if (closed_ || fd_ < 0) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
  if (ready <= 0) return false;
  char buffer[16384];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  pending_.append(buffer, static_cast<size_t>(n));
  return true;
}

RawReply RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  RawReply reply;
  while (true) {
    if (const size_t used = ParseOne(pending_, reply); used > 0) {
      pending_.erase(0, used);
      return reply;
    }
    if (!Fill(deadline)) return RawReply{};
  }
}

bool RawConnection::ReadUntilClosed(std::chrono::milliseconds timeout, std::string* out) {
  const auto deadline = Clock::now() + timeout;
  while (Fill(deadline)) {
  }
  if (out != nullptr) *out += pending_;
  pending_.clear();
  return closed_;
}

bool RawConnection::ClosedWithin(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Fill(deadline)) {
  }
  return closed_;
}

std::vector<RawReply> SplitResponses(const std::string& bytes) {
  std::vector<RawReply> out;
  std::string rest = bytes;
  RawReply r;
  while (const size_t used = ParseOne(rest, r)) {
    out.push_back(r);
    rest.erase(0, used);
  }
  return out;
}

}  // namespace payments::testing
