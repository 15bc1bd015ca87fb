// The HTTP server in-process on loopback: what it holds is released when it
// is destroyed. (Found by LeakSanitizer in `make test-sanitize`: handlers
// left in the stopped event loop held the server, which held the loop.)
#include "http/server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>

#include "support/matchers.h"

namespace payments::http {
namespace {

using payments::testing::IsOk;

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Sends one keep-alive request and reads the response headers, leaving the
// connection open.
std::string GetKeepingTheConnection(tcp::socket& socket, uint16_t port) {
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  const std::string request = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  asio::streambuf response;
  asio::read_until(socket, response, "\r\n\r\n");
  return std::string(asio::buffers_begin(response.data()), asio::buffers_end(response.data()));
}

TEST(ServerTest, ReleasesItsHandlerOnceDestroyedWithConnectionsOpen) {
  auto token = std::make_shared<int>(0);
  const std::weak_ptr<int> held = token;
  asio::io_context client;
  tcp::socket socket(client);
  {
    Server server({.io_threads = 2}, [token](Request, Done done) {
      Response r;
      r.body = "{}";
      done(std::move(r));
    });
    token.reset();
    auto port = server.Listen("127.0.0.1", 0);
    ASSERT_THAT(port, IsOk());
    server.Start();
    EXPECT_NE(GetKeepingTheConnection(socket, *port).find("200 OK"), std::string::npos);
    server.Stop();
  }
  EXPECT_TRUE(held.expired()) << "the destroyed server still holds its handler";
}

TEST(ServerTest, ReleasesItsHandlerWhenDestroyedWithoutStop) {
  auto token = std::make_shared<int>(0);
  const std::weak_ptr<int> held = token;
  {
    Server server({}, [token](Request, Done done) { done(Response{}); });
    token.reset();
    ASSERT_TRUE(server.Listen("127.0.0.1", 0));
    server.Start();
  }
  EXPECT_TRUE(held.expired()) << "the destroyed server still holds its handler";
}

// A handler left in one event loop may hold the server's state until that
// loop is destroyed, after the loops before it; that state must then touch
// nothing of theirs. (Found by AddressSanitizer in a drain test: the
// acceptor outlived the loop its strand belonged to. Under ASan this test
// fails without Server::Impl::ReleaseLoopObjects.)
TEST(ServerTest, AServerWithSeveralLoopsIsDestroyedCleanly) {
  asio::io_context client;
  for (int i = 0; i < 20; ++i) {
    tcp::socket socket(client);
    Server server({.io_threads = 4}, [](Request, Done done) { done(Response{}); });
    auto port = server.Listen("127.0.0.1", 0);
    ASSERT_THAT(port, IsOk());
    server.Start();
    EXPECT_NE(GetKeepingTheConnection(socket, *port).find("200 OK"), std::string::npos);
    server.Stop();
  }
}

}  // namespace
}  // namespace payments::http
