// A merchant's webhook endpoint for end-to-end tests of deliveries: a real
// HTTP/1.1 server on 127.0.0.1 (an ephemeral port), plain or TLS, that
// records every request and answers as the test's behaviour says — a status,
// Retry-After, or no answer at all until Stop(). One thread accepts and one
// thread serves each connection (keep-alive or Connection: close, bodies up
// to 1 MiB, a larger one is answered 413 and not recorded).
//
//   auto hooks = WebhookReceiver::Start(FailTimesThenSucceed(2));
//   env["..."] = hooks->Url();                     // http://127.0.0.1:<port>/hooks
//   ASSERT_TRUE(Eventually([&] { return hooks->Count() == 3; }));
//   const auto got = hooks->Received();
//   EXPECT_EQ(VerifyStandardWebhook(secret, got[2].headers, got[2].body), "");
//
// Thread-safe. The behaviour is called on the connections' threads, possibly
// several at once, so it must be thread-safe itself (the ready-made ones are),
// and must not call Stop().
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/test_certificates.h"

namespace payments::testing {

struct ReceivedWebhook {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by ", "
  std::string body;
  std::chrono::system_clock::time_point at;  // when the whole request had arrived
};

struct WebhookReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};  // e.g. {"Retry-After", "2"}
  std::string body{};
  bool never_answer = false;  // read the request, then hold the connection open without answering
                              // until Stop()
};

// Decides the reply for the n-th request (0-based, counted over the receiver's
// life, in the order of Received()).
using WebhookBehaviour = std::function<WebhookReply(const ReceivedWebhook&, int n)>;

class WebhookReceiver {
 public:
  // Listens on 127.0.0.1:0. An empty behaviour answers 200 to everything.
  // With tls (support/test_certificates.h: its cert_file and key_file) the
  // server speaks HTTPS only. Fails the test and returns nullptr when it cannot
  // listen or load the certificate.
  static std::unique_ptr<WebhookReceiver> Start(WebhookBehaviour behaviour = {},
                                                std::optional<TestCertificate> tls = std::nullopt);
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;
  ~WebhookReceiver();  // Stop()

  // Closes the listener and every connection, held ones included, and joins
  // every thread. Idempotent.
  void Stop();

  int port() const;
  // "http://127.0.0.1:<port>/hooks" ("https://..." with TLS).
  std::string Url(std::string_view path = "/hooks") const;
  // Everything so far, in arrival order (a snapshot).
  std::vector<ReceivedWebhook> Received() const;
  size_t Count() const;
  // TCP connections accepted.
  int Connections() const;

 private:
  struct Impl;
  explicit WebhookReceiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Ready-made behaviours:
// Every request answered with this status.
WebhookBehaviour AlwaysStatus(int status);
// The first `failures` requests answered with failure_status, the rest 200.
WebhookBehaviour FailTimesThenSucceed(int failures, int failure_status = 500);
// No request ever answered (until Stop()).
WebhookBehaviour NeverAnswer();
// The first `times` requests answered `status` (429 or 503) with
// Retry-After: retry_after_value, the rest 200.
WebhookBehaviour RetryAfter(int status, std::string retry_after_value, int times);

}  // namespace payments::testing
