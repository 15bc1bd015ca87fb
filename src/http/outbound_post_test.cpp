// PostWebhook against real servers on loopback, started by each test in
// threads of their own: a plain one and a TLS one with certificates made for
// the test (support/test_certificates.h). One file past 500 lines: every test
// shares the server below, which no other test needs.
#include "http/outbound_post.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/tls_context.h"
#include "support/matchers.h"
#include "support/test_certificates.h"

namespace payments::http {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
// The bytes to answer a request with; nullopt holds the connection open,
// unanswered, until the client closes it.
using Answer = std::function<std::optional<std::string>(const Request&)>;

constexpr char kProbeTarget[] = "/__probe";

// An HTTP server on a loopback address: it accepts on a thread of its own,
// serves each connection on another (blocking reads and writes: every client
// of these tests closes its connection when it is done, which ends them), and
// records what it received.
class TestServer {
 public:
  explicit TestServer(Answer answer, std::shared_ptr<ssl::context> tls = nullptr,
                      const std::string& address = "127.0.0.1")
      : answer_(std::move(answer)), tls_(std::move(tls)), acceptor_(ioc_) {
    const tcp::endpoint endpoint(asio::ip::make_address(address), 0);
    acceptor_.open(endpoint.protocol(), bind_error_);
    if (!bind_error_) acceptor_.bind(endpoint, bind_error_);
    if (bind_error_) return;
    acceptor_.listen();
    endpoint_ = acceptor_.local_endpoint();
    Accept();
    loop_ = std::thread([this] { ioc_.run(); });
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() {
    ioc_.stop();
    if (loop_.joinable()) loop_.join();
    for (std::thread& t : connections_) t.join();
  }

  bool listening() const { return !bind_error_; }
  int port() const { return endpoint_.port(); }
  std::string url(const std::string& scheme = "http", const std::string& target = "/hook") const {
    const std::string host = endpoint_.address().is_v6()
                                 ? "[" + endpoint_.address().to_string() + "]"
                                 : endpoint_.address().to_string();
    return scheme + "://" + host + ":" + std::to_string(port()) + target;
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string server_name() const {
    std::lock_guard lock(mu_);
    return server_name_;
  }

  // The connections accepted before this call: it connects once more and
  // waits for the answer, and the server accepts in the order clients
  // connected — so a connection a call under test made is counted even if
  // the call returned before the server got to it. Plain HTTP servers only.
  int SettledConnections() {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    beast::error_code ec;
    socket.connect(endpoint_, ec);
    EXPECT_FALSE(ec) << ec.message();
    const std::string probe = std::string("GET ") + kProbeTarget + " HTTP/1.1\r\nHost: p\r\n\r\n";
    asio::write(socket, asio::buffer(probe), ec);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::empty_body> response;
    bhttp::read(socket, buffer, response, ec);
    EXPECT_FALSE(ec) << ec.message();
    return accepted_.load() - 1;
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++accepted_;
      connections_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
      Accept();
    });
  }

  void Serve(tcp::socket socket) {
    if (!tls_) {
      Exchange(socket);
      return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
    beast::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard lock(mu_);
      server_name_ = name;
    }
    Exchange(stream);
  }

  template <typename Stream>
  void Exchange(Stream& stream) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    Request request;
    bhttp::read(stream, buffer, request, ec);
    if (ec) return;
    if (request.target() == kProbeTarget) {
      const std::string_view done = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
      asio::write(stream, asio::buffer(done), ec);
      return;
    }
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    const std::optional<std::string> answer = answer_(request);
    if (!answer) {
      char byte[512];
      while (!ec) stream.read_some(asio::buffer(byte), ec);
      return;
    }
    asio::write(stream, asio::buffer(*answer), ec);
    // Returning closes the connection: the end of a body delimited by the close.
  }

  const Answer answer_;
  const std::shared_ptr<ssl::context> tls_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  beast::error_code bind_error_;
  tcp::endpoint endpoint_;
  std::atomic<int> accepted_{0};
  std::thread loop_;
  std::vector<std::thread> connections_;  // touched by loop_ only, until it is joined
  mutable std::mutex mu_;
  std::vector<Request> requests_;  // guarded by mu_
  std::string server_name_;        // guarded by mu_
};

Answer Fixed(std::string bytes) {
  return [bytes = std::move(bytes)](const Request&) { return std::optional<std::string>(bytes); };
}

WebhookUrl Url(const std::string& text) {
  auto url = ParseWebhookUrl(text);
  EXPECT_TRUE(url.has_value()) << text << ": " << (url ? "" : url.error().message);
  return url.value_or(WebhookUrl{});
}

AddressPolicy Allowing(const std::string& networks) {
  auto parsed = ParseIpNetworks(networks);
  EXPECT_TRUE(parsed.has_value()) << networks;
  return AddressPolicy(parsed.value_or(std::vector<IpNetwork>{}));
}

const AddressPolicy& Loopback() {
  static const AddressPolicy policy = Allowing("127.0.0.0/8,::1/128");
  return policy;
}

OutboundOptions Short() {
  OutboundOptions options;
  options.connect_timeout = 2000ms;
  options.total_timeout = 5000ms;
  return options;
}

const std::vector<std::pair<std::string, std::string>> kSigned = {
    {"Webhook-Id", "evt_123"}, {"Webhook-Signature", "v1,c2lnbmF0dXJl"}};
constexpr std::string_view kBody = R"({"id":"evt_123","type":"payment.captured"})";

TEST(OutboundPostTest, PostsTheBodyWithItsHeadersAndReturnsTheAnswer) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  const OutboundResult r =
      PostWebhook(Url(server.url("http", "/hook?v=1")), kBody, kSigned, Loopback(), Short());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.detail, "");
  EXPECT_EQ(r.address, "127.0.0.1");
  EXPECT_TRUE(r.request_sent);
  EXPECT_LT(r.latency, 5000ms);

  const std::vector<Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  const Request& q = seen[0];
  EXPECT_EQ(q.method(), bhttp::verb::post);
  EXPECT_EQ(q.target(), "/hook?v=1");
  EXPECT_EQ(q.version(), 11);
  EXPECT_EQ(q[bhttp::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(q[bhttp::field::content_type], "application/json");
  EXPECT_EQ(q[bhttp::field::user_agent], "payments-webhooks/1");
  EXPECT_EQ(q[bhttp::field::content_length], std::to_string(kBody.size()));
  EXPECT_EQ(q[bhttp::field::connection], "close");
  EXPECT_EQ(q["Webhook-Id"], "evt_123");
  EXPECT_EQ(q["Webhook-Signature"], "v1,c2lnbmF0dXJl");
  EXPECT_EQ(q.body(), kBody);
}

TEST(OutboundPostTest, ARedirectIsAStatusAndIsNotFollowed) {
  TestServer server([&](const Request& q) -> std::optional<std::string> {
    if (q.target() != "/hook") return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    return std::string("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
  });
  const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), Short());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(server.SettledConnections(), 1);
  ASSERT_EQ(server.requests().size(), 1u);
}

TEST(OutboundPostTest, CapturesRetryAfter) {
  TestServer server(Fixed(
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 4\r\n\r\nbusy"));
  const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), Short());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.retry_after, "120");
  EXPECT_EQ(r.body, "busy");
}

TEST(OutboundPostTest, SkipsInformationalAnswers) {
  TestServer server(
      Fixed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
            "HTTP/1.1 204 No Content\r\n\r\n"));
  const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), Short());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 204);
}

TEST(OutboundPostTest, KeepsAtMostTheCapOfAHugeBodyAndTheStatus) {
  const std::string huge(4 << 20, 'x');
  OutboundOptions options = Short();
  options.max_response_body = 1000;
  for (const std::string& answer :
       {"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(huge.size()) + "\r\n\r\n" + huge,
        "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n400000\r\n" + huge +
            "\r\n0\r\n\r\n",
        "HTTP/1.1 202 Accepted\r\n\r\n" + huge,  // delimited by the close
        // A length no one could keep, and the bytes then stop coming.
        "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n" + huge.substr(0, 1500)}) {
    SCOPED_TRACE(answer.substr(0, 40));
    TestServer server(Fixed(answer));
    const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), options);
    EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
    EXPECT_GE(r.status, 200);
    EXPECT_EQ(r.body, huge.substr(0, 1000));
    EXPECT_NE(r.detail.find("longer than 1000 bytes"), std::string::npos) << r.detail;
  }

  TestServer exact(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + huge.substr(0, 1000)));
  const OutboundResult r = PostWebhook(Url(exact.url()), kBody, {}, Loopback(), options);
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.body.size(), 1000u);
  EXPECT_EQ(r.detail, "");
}

TEST(OutboundPostTest, ABodyCutShortKeepsTheStatus) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"));
  const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), Short());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc");
  EXPECT_NE(r.detail.find("cut short"), std::string::npos) << r.detail;
}

TEST(OutboundPostTest, AServerThatNeverAnswersTimesOutOnTime) {
  TestServer server([](const Request&) { return std::optional<std::string>(); });
  OutboundOptions options = Short();
  options.total_timeout = 300ms;
  const OutboundResult r = PostWebhook(Url(server.url()), kBody, kSigned, Loopback(), options);
  EXPECT_EQ(r.failure, OutboundFailure::kTimeout) << r.detail;
  EXPECT_TRUE(r.request_sent);
  EXPECT_EQ(r.address, "127.0.0.1");
  EXPECT_GE(r.latency, 300ms);
  EXPECT_LT(r.latency, 2300ms);
  EXPECT_NE(r.detail.find("300 ms"), std::string::npos) << r.detail;
  // The detail is for logs: nothing of the request.
  EXPECT_EQ(r.detail.find("evt_123"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find("c2lnbmF0dXJl"), std::string::npos) << r.detail;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(OutboundPostTest, ARefusedPortFailsToConnect) {
  uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor taken(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = taken.local_endpoint().port();
  }
  const OutboundResult r = PostWebhook(Url("http://127.0.0.1:" + std::to_string(port) + "/"), kBody,
                                       {}, Loopback(), Short());
  EXPECT_EQ(r.failure, OutboundFailure::kConnect) << r.detail;
  EXPECT_FALSE(r.request_sent);
  EXPECT_EQ(r.address, "");
  EXPECT_NE(r.detail.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.detail;
  EXPECT_EQ(ToString(r.failure), "connect");
}

TEST(OutboundPostTest, LoopbackIsForbiddenWithoutTheAllowListAndNothingConnects) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  const AddressPolicy strict;
  const std::string port = std::to_string(server.port());
  struct Case {
    std::string url;
    std::string says;
  };
  for (const Case& c : {Case{server.url(), "127.0.0.1 is not a public address"},
                        Case{"http://[::ffff:127.0.0.1]:" + port + "/", "::ffff:127.0.0.1 is not"},
                        Case{"http://localhost:" + port + "/", "localhost resolves to 127.0.0.1"},
                        Case{"https://localhost:" + port + "/", "localhost resolves to"}}) {
    SCOPED_TRACE(c.url);
    const OutboundResult r = PostWebhook(Url(c.url), kBody, {}, strict, Short());
    EXPECT_EQ(r.failure, OutboundFailure::kForbiddenAddress) << r.detail;
    EXPECT_NE(r.detail.find(c.says), std::string::npos) << r.detail;
    EXPECT_EQ(r.address, "");
    EXPECT_FALSE(r.request_sent);
    EXPECT_EQ(ToString(r.failure), "forbidden_address");
  }
  EXPECT_EQ(server.SettledConnections(), 0);
  EXPECT_TRUE(server.requests().empty());
}

TEST(OutboundPostTest, ANameIsResolvedAndItsAllowedAddressesTried) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  const OutboundResult r = PostWebhook(Url("http://localhost:" + std::to_string(server.port())),
                                       kBody, {}, Loopback(), Short());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.address, "127.0.0.1");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0][bhttp::field::host], "localhost:" + std::to_string(server.port()));
}

TEST(OutboundPostTest, AnUnknownNameFailsToResolve) {
  const OutboundResult r =
      PostWebhook(Url("https://does-not-exist.invalid/"), kBody, {}, Loopback(), Short());
  EXPECT_TRUE(r.failure == OutboundFailure::kResolve || r.failure == OutboundFailure::kTimeout)
      << ToString(r.failure) << ": " << r.detail;
  EXPECT_NE(r.detail.find("does-not-exist.invalid"), std::string::npos) << r.detail;
  EXPECT_FALSE(r.request_sent);
}

TEST(OutboundPostTest, AnAnswerThatIsNotHttpIsMalformed) {
  for (const std::string& answer :
       {std::string("SSH-2.0-OpenSSH_9.2\r\n"), std::string("hello\r\n\r\n"),
        std::string("HTTP/1.1 2000 OK\r\n\r\n"),
        "HTTP/1.1 200 OK\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n"}) {
    SCOPED_TRACE(answer.substr(0, 30));
    TestServer server(Fixed(answer));
    const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), Short());
    EXPECT_EQ(r.failure, OutboundFailure::kMalformed) << r.detail;
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(r.request_sent);
  }
}

TEST(OutboundPostTest, APeerThatClosesBeforeAWholeHeaderIsClosed) {
  for (const std::string& answer : {std::string(), std::string("HTTP/1.1 200 OK\r\nContent-Ty")}) {
    SCOPED_TRACE(answer);
    TestServer server(Fixed(answer));
    const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), Short());
    EXPECT_EQ(r.failure, OutboundFailure::kClosed) << r.detail;
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(r.request_sent);
  }
}

TEST(OutboundPostTest, RefusesHeadersThatWouldChangeTheRequestAndSendsNothing) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  using Headers = std::vector<std::pair<std::string, std::string>>;
  for (const Headers& headers :
       {Headers{{"Content-Length", "5"}}, Headers{{"transfer-encoding", "chunked"}},
        Headers{{"Host", "evil.example"}}, Headers{{"X-Secret", "a\r\nX-Injected: 1"}},
        Headers{{"Bad Name", "x"}}, Headers{{"", "x"}},
        Headers{{"X-Nul", std::string("a\0b", 3)}}}) {
    SCOPED_TRACE(headers[0].first);
    const OutboundResult r = PostWebhook(Url(server.url()), kBody, headers, Loopback(), Short());
    EXPECT_EQ(r.failure, OutboundFailure::kMalformed) << r.detail;
    EXPECT_FALSE(r.request_sent);
    EXPECT_NE(r.detail.find("request not sent"), std::string::npos) << r.detail;
    EXPECT_EQ(r.detail.find("X-Injected"), std::string::npos) << r.detail;
  }
  EXPECT_EQ(server.SettledConnections(), 0);
}

TEST(OutboundPostTest, ManyThreadsPostAtOnce) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      const OutboundResult r = PostWebhook(Url(server.url()), kBody, {}, Loopback(), Short());
      if (r.failure == OutboundFailure::kNone && r.status == 200 && r.body == "ok") ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(server.requests().size(), 8u);
}

class OutboundTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const payments::testing::TestCertificate cert = certs_.Issue("webhook endpoint", 7);
    auto context = MakeServerTlsContext({.cert_file = cert.cert_file, .key_file = cert.key_file});
    ASSERT_TRUE(context.has_value()) << context.error().message;
    context_ = *context;
  }
  OutboundOptions Trusting() const {
    OutboundOptions options = Short();
    options.ca_file = certs_.ca_file();
    return options;
  }

  payments::testing::TestCertificates certs_;
  std::shared_ptr<ssl::context> context_;
};

TEST_F(OutboundTlsTest, PostsOverTlsToAnIpAddressInTheCertificate) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), context_);
  const OutboundResult r =
      PostWebhook(Url(server.url("https")), kBody, kSigned, Loopback(), Trusting());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].body(), kBody);
  EXPECT_EQ(server.server_name(), "");  // no SNI for an IP address
}

TEST_F(OutboundTlsTest, PostsOverTlsToANameInTheCertificateWithSni) {
  TestServer server(Fixed("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"), context_);
  const OutboundResult r =
      PostWebhook(Url("https://localhost:" + std::to_string(server.port()) + "/h"), kBody, {},
                  Loopback(), Trusting());
  EXPECT_EQ(r.failure, OutboundFailure::kNone) << r.detail;
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(server.server_name(), "localhost");
}

TEST_F(OutboundTlsTest, AHostNotInTheCertificateFailsTheHandshake) {
  // The certificate names localhost and 127.0.0.1; the server listens on
  // another loopback address.
  std::unique_ptr<TestServer> server;
  for (const char* address : {"127.0.0.2", "::1"}) {
    server = std::make_unique<TestServer>(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                                          context_, address);
    if (server->listening()) break;
  }
  if (!server->listening()) GTEST_SKIP() << "no loopback address but 127.0.0.1 to listen on";
  const OutboundResult r = PostWebhook(Url(server->url("https")), kBody, kSigned,
                                       Allowing("127.0.0.0/8,::1/128"), Trusting());
  EXPECT_EQ(r.failure, OutboundFailure::kTls) << r.detail;
  EXPECT_NE(r.detail.find("mismatch"), std::string::npos) << r.detail;
  EXPECT_FALSE(r.request_sent);
  EXPECT_TRUE(server->requests().empty());
}

TEST_F(OutboundTlsTest, ACertificateFromAnUnknownAuthorityFailsTheHandshake) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), context_);
  const OutboundResult r =
      PostWebhook(Url(server.url("https")), kBody, {}, Loopback(), Short());  // system roots
  EXPECT_EQ(r.failure, OutboundFailure::kTls) << r.detail;
  EXPECT_NE(r.detail.find("certificate verify failed"), std::string::npos) << r.detail;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(OutboundTlsTest, AMissingCaFileFailsBeforeConnecting) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  OutboundOptions options = Short();
  options.ca_file = certs_.dir() + "/none.pem";
  const OutboundResult r = PostWebhook(Url(server.url("https")), kBody, {}, Loopback(), options);
  EXPECT_EQ(r.failure, OutboundFailure::kTls) << r.detail;
  EXPECT_NE(r.detail.find("none.pem"), std::string::npos) << r.detail;
  EXPECT_EQ(server.SettledConnections(), 0);
}

TEST_F(OutboundTlsTest, HttpsToAPlainServerFailsTheHandshake) {
  TestServer server(Fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  const OutboundResult r = PostWebhook(Url(server.url("https")), kBody, {}, Loopback(), Trusting());
  EXPECT_EQ(r.failure, OutboundFailure::kTls) << r.detail;
  EXPECT_FALSE(r.request_sent);
}

}  // namespace
}  // namespace payments::http
