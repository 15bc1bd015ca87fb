#include "http/webhook_url.h"

#include <gtest/gtest.h>

#include <string>

#include "support/matchers.h"

namespace payments::http {
namespace {

using payments::testing::IsOk;

struct Refusal {
  std::string url;
  std::string says;  // part of the message
};

void ExpectRefused(const Refusal& r) {
  const auto parsed = ParseWebhookUrl(r.url);
  ASSERT_FALSE(parsed.has_value()) << r.url << " parsed as " << parsed->ToString();
  const Error& e = parsed.error();
  EXPECT_EQ(e.kind, ErrorKind::kInvalidRequest) << r.url;
  EXPECT_EQ(e.code, "url_invalid") << r.url;
  EXPECT_EQ(e.param, "url") << r.url;
  EXPECT_NE(e.message.find(r.says), std::string::npos) << r.url << ": " << e.message;
  EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
  EXPECT_LT(e.message.size(), 200u) << e.message;
}

TEST(WebhookUrlTest, ParsesTheUsualFormsIntoCanonicalFields) {
  auto url = ParseWebhookUrl("https://example.com/hooks/payments?v=2&x=%2F");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/hooks/payments?v=2&x=%2F");
  EXPECT_FALSE(url->host_is_ip);
  EXPECT_EQ(url->ToString(), "https://example.com/hooks/payments?v=2&x=%2F");

  url = ParseWebhookUrl("HTTP://Shop.Example.COM.:8080");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "shop.example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->ToString(), "http://shop.example.com:8080/");
  EXPECT_EQ(url->Authority(), "shop.example.com:8080");

  url = ParseWebhookUrl("https://example.com:443?a=b");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->target, "/?a=b");
  EXPECT_EQ(url->ToString(), "https://example.com/?a=b");

  url = ParseWebhookUrl("http://203.0.113.9:80/x");
  ASSERT_THAT(url, IsOk());
  EXPECT_TRUE(url->host_is_ip);
  EXPECT_EQ(url->host, "203.0.113.9");
  EXPECT_EQ(url->ToString(), "http://203.0.113.9/x");

  url = ParseWebhookUrl("https://xn--bcher-kva.example/a/b:c@d;e=f!$&'()*+,~");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->target, "/a/b:c@d;e=f!$&'()*+,~");
}

TEST(WebhookUrlTest, TakesIpv6LiteralsInBracketsAndWritesThemCanonically) {
  auto url = ParseWebhookUrl("https://[2001:DB8:0:0:0:0:0:1]:8443/h");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->host, "2001:db8::1");
  EXPECT_TRUE(url->host_is_ip);
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->ToString(), "https://[2001:db8::1]:8443/h");
  EXPECT_EQ(url->Authority(), "[2001:db8::1]:8443");

  url = ParseWebhookUrl("http://[::ffff:127.0.0.1]");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->host, "::ffff:127.0.0.1");
  EXPECT_EQ(url->ToString(), "http://[::ffff:127.0.0.1]/");
}

TEST(WebhookUrlTest, RefusesCredentialsWithoutRepeatingThem) {
  for (const char* text : {"https://u:p@x", "https://x@y", "https://user:hunter2@example.com/",
                           "https://@example.com", "https://a:b@[::1]/", "https://x\\@y/"}) {
    SCOPED_TRACE(text);
    ExpectRefused({text, "must not contain credentials"});
    const auto parsed = ParseWebhookUrl(text);
    EXPECT_EQ(parsed.error().message.find("hunter2"), std::string::npos);
    EXPECT_EQ(parsed.error().message.find("u:p"), std::string::npos);
  }
  // An '@' after the authority is part of the path or query, not a user.
  EXPECT_THAT(ParseWebhookUrl("https://example.com/@x?y@z"), IsOk());
}

TEST(WebhookUrlTest, RefusesWhatIsNotAnAbsoluteHttpUrl) {
  for (const Refusal& r : std::initializer_list<Refusal>{
           {"", "must be absolute"},
           {"example.com/hook", "must be absolute"},
           {"//example.com/hook", "must be absolute"},
           {"/hook", "must be absolute"},
           {"https:example.com", "must be absolute"},
           {"https:/example.com", "must be absolute"},
           {"1http://example.com", "must be absolute"},
           {"javascript:alert(1)", "scheme, not 'javascript'"},
           {"ftp://example.com/", "not 'ftp'"},
           {"file:///etc/passwd", "not 'file'"},
           {"gopher://127.0.0.1:6379/_", "not 'gopher'"},
           {"https:///x", "has no host"},
           {"https://", "has no host"},
           {"https://:443/", "has no host"},
           {"https://?a", "has no host"},
           {"https://example.com/#top", "fragment"},
           {"https://example.com#", "fragment"},
       }) {
    SCOPED_TRACE(r.url);
    ExpectRefused(r);
  }
}

TEST(WebhookUrlTest, RefusesWhitespaceControlAndNonAsciiBytesAnywhere) {
  for (const Refusal& r : std::initializer_list<Refusal>{
           {"https://exa mple.com", "whitespace"},
           {" https://example.com", "whitespace"},
           {"https://example.com/\r\nHost: evil", "whitespace"},
           {"https://example.com/a\tb", "whitespace"},
           {std::string("https://example.com/\0x", 21), "control character"},
           {"https://example.com/\x7f", "control character"},
           {"https://example.com/\x1b[2J", "control character"},
           {"https://b\xc3\xbc"
            "cher.example/",
            "not ASCII"},
           {"https://example.com/caf\xc3\xa9", "not ASCII"},
           {"https://example.com/\xff", "byte 0xff"},
       }) {
    SCOPED_TRACE(r.url);
    ExpectRefused(r);
  }
}

TEST(WebhookUrlTest, RefusesInvalidHosts) {
  const std::string label63(63, 'a');
  std::string long_name;
  while (long_name.size() < 250) long_name += label63.substr(0, 49) + ".";
  long_name += "abcd";  // 254 characters
  ASSERT_EQ(long_name.size(), 254u);
  std::string name253 = long_name.substr(1);
  EXPECT_THAT(ParseWebhookUrl("https://" + name253 + "/"), IsOk());
  EXPECT_THAT(ParseWebhookUrl("https://" + name253 + "./"), IsOk());
  EXPECT_THAT(ParseWebhookUrl("https://" + label63 + ".example/"), IsOk());
  EXPECT_THAT(ParseWebhookUrl("https://a-b.example/"), IsOk());
  EXPECT_THAT(ParseWebhookUrl("https://localhost:8080/"), IsOk());
  EXPECT_THAT(ParseWebhookUrl("https://1.2.3.4./"), IsOk());

  for (const Refusal& r : std::initializer_list<Refusal>{
           {"https://" + long_name + "/", "longer than 253"},
           {"https://" + label63 + "a.example/", "longer than 63"},
           {"https://-example.com/", "starts or ends with '-'"},
           {"https://example-.com/", "starts or ends with '-'"},
           {"https://example..com/", "empty label"},
           {"https://.example.com/", "empty label"},
           {"https://example.com../", "empty label"},
           {"https://./", "has no host"},
           {"https://ex_ample.com/", "not allowed in a host name ('_')"},
           {"https://ex%61mple.com/", "not allowed in a host name ('%')"},
           {"https://example.com\\evil/", "not allowed in a host name ('\\')"},
           {"https://127.1/", "not a valid IPv4"},
           {"https://2130706433/", "not a valid IPv4"},
           {"https://0x7f.0.0.1/", "not a valid IPv4"},
           {"https://0x7f000001/", "not a valid IPv4"},
           {"https://127.0.0.01/", "not a valid IPv4"},
           {"https://256.0.0.1/", "not a valid IPv4"},
           {"https://1.2.3.4.5/", "not a valid IPv4"},
           {"https://example.123/", "not a valid IPv4"},
           {"https://[::1/", "without its closing ']'"},
           {"https://[::1", "without its closing ']'"},
           {"https://[::1]x/", "after the IPv6 address"},
           {"https://[127.0.0.1]/", "invalid IPv6"},
           {"https://[fe80::1%25eth0]/", "invalid IPv6"},
           {"https://[v1.fe]/", "invalid IPv6"},
           {"https://[]/", "invalid IPv6"},
           {"https://[1:2:3:4:5:6:7:8:9]/", "invalid IPv6"},
           {"https://::1/", "has no host"},
       }) {
    SCOPED_TRACE(r.url);
    ExpectRefused(r);
  }
}

TEST(WebhookUrlTest, RefusesBadPorts) {
  EXPECT_EQ(ParseWebhookUrl("https://example.com:1/")->port, 1);
  EXPECT_EQ(ParseWebhookUrl("https://example.com:65535/")->port, 65535);
  EXPECT_EQ(ParseWebhookUrl("https://[::1]:8443/")->port, 8443);
  for (const char* text :
       {"https://example.com:0/", "https://example.com:65536/", "https://example.com:80a/",
        "https://example.com:/", "https://example.com:-1/", "https://example.com:+80/",
        "https://example.com:999999/", "https://example.com:0000080/", "https://[::1]:/",
        "https://[::1]:0/", "https://example.com:80:80/", "https://example.com:0x50/"}) {
    SCOPED_TRACE(text);
    ExpectRefused({text, "invalid port"});
  }
}

TEST(WebhookUrlTest, RefusesBadPercentEscapesAndCharactersThatMustBeEncoded) {
  EXPECT_THAT(ParseWebhookUrl("https://example.com/%41%2f?q=%7E"), IsOk());
  for (const Refusal& r : std::initializer_list<Refusal>{
           {"https://example.com/%", "'%' not followed"},
           {"https://example.com/%4", "'%' not followed"},
           {"https://example.com/%zz", "'%' not followed"},
           {"https://example.com/?q=%G1", "'%' not followed"},
           {"https://example.com/a%2", "'%' not followed"},
           {"https://example.com/a\\b", "must be percent-encoded ('\\'"},
           {"https://example.com/<script>", "must be percent-encoded ('<'"},
           {"https://example.com/?q=\"x\"", "must be percent-encoded ('\"'"},
           {"https://example.com/{a}", "must be percent-encoded ('{'"},
           {"https://example.com/a|b", "must be percent-encoded ('|'"},
           {"https://example.com/a^b", "must be percent-encoded ('^'"},
           {"https://example.com/a`b", "must be percent-encoded ('`'"},
       }) {
    SCOPED_TRACE(r.url);
    ExpectRefused(r);
  }
}

TEST(WebhookUrlTest, RefusesOverLongUrlsWithoutEchoingThem) {
  const std::string base = "https://example.com/";
  const std::string at_limit = base + std::string(kMaxWebhookUrlLength - base.size(), 'a');
  EXPECT_THAT(ParseWebhookUrl(at_limit), IsOk());
  const std::string over = at_limit + "a";
  ExpectRefused({over, "at most 2048 characters"});
  EXPECT_EQ(ParseWebhookUrl(over).error().message.find("aaaa"), std::string::npos);
}

TEST(WebhookUrlTest, EchoesAtMostAShortPrefix) {
  const std::string scheme(500, 'z');
  const auto parsed = ParseWebhookUrl(scheme + "://example.com/");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LT(parsed.error().message.size(), 120u) << parsed.error().message;
  const auto host = ParseWebhookUrl("https://" + std::string(300, '9') + "/");
  ASSERT_FALSE(host.has_value());
  EXPECT_LT(host.error().message.size(), 120u) << host.error().message;
}

TEST(WebhookUrlTest, ToStringParsesBackToTheSameFields) {
  for (const char* text :
       {"https://example.com", "HTTPS://EXAMPLE.com:443/a?b", "http://example.com:443/",
        "https://example.com:80/", "http://[::1]:8080/x?y=%20", "https://[::ffff:1.2.3.4]",
        "https://1.2.3.4.", "http://a.b.c.d.e:65535?"}) {
    SCOPED_TRACE(text);
    const auto url = ParseWebhookUrl(text);
    ASSERT_THAT(url, IsOk());
    const auto again = ParseWebhookUrl(url->ToString());
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(*again, *url) << url->ToString();
  }
}

}  // namespace
}  // namespace payments::http
