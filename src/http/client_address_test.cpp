#include "http/client_address.h"

#include <gtest/gtest.h>

namespace payments::http {
namespace {

Request From(std::string remote, std::vector<std::string> forwarded = {}) {
  Request r;
  r.remote_address = std::move(remote);
  for (auto& f : forwarded) r.headers.emplace_back("x-forwarded-for", std::move(f));
  return r;
}

TrustedProxies Trust(std::string_view list) {
  auto parsed = TrustedProxies::Parse(list);
  EXPECT_TRUE(parsed.has_value()) << list;
  return parsed.value_or(TrustedProxies());
}

TEST(ClientAddressTest, WithoutTrustedProxiesTheSocketPeerIsTheClientWhateverTheHeaderSays) {
  EXPECT_EQ(ClientAddress(From("203.0.113.9:5555", {"1.2.3.4"}), TrustedProxies()), "203.0.113.9");
  EXPECT_EQ(ClientAddress(From("[::1]:80"), TrustedProxies()), "[::1]:80");  // not ours: raw
  EXPECT_EQ(ClientAddress(From("::1:8080"), TrustedProxies()), "::1");
  EXPECT_EQ(ClientAddress(From("::ffff:10.1.2.3:99"), TrustedProxies()), "10.1.2.3");
}

TEST(ClientAddressTest, APeerThatIsNotTrustedCannotNameAnotherClient) {
  const TrustedProxies proxies = Trust("10.0.0.0/8");
  EXPECT_EQ(ClientAddress(From("198.51.100.7:1", {"10.0.0.1"}), proxies), "198.51.100.7");
}

TEST(ClientAddressTest, BehindTrustedProxiesTheRightmostUntrustedHopIsTheClient) {
  const TrustedProxies proxies = Trust("10.0.0.0/8, 192.168.1.7");
  // The client wrote "1.1.1.1" itself; the proxies appended the rest.
  EXPECT_EQ(ClientAddress(From("10.0.0.5:1", {"1.1.1.1, 203.0.113.9, 192.168.1.7"}), proxies),
            "203.0.113.9");
  // Several header fields are one list.
  EXPECT_EQ(ClientAddress(From("10.0.0.5:1", {"1.1.1.1", "203.0.113.9"}), proxies), "203.0.113.9");
  // Only proxies all the way: the leftmost is as far as anyone vouches.
  EXPECT_EQ(ClientAddress(From("10.0.0.5:1", {"10.9.9.9"}), proxies), "10.9.9.9");
  // No header: the proxy itself.
  EXPECT_EQ(ClientAddress(From("10.0.0.5:1"), proxies), "10.0.0.5");
  // Garbage where an address should be stops the walk at the last trusted hop.
  EXPECT_EQ(ClientAddress(From("10.0.0.5:1", {"203.0.113.9, not-an-ip"}), proxies), "10.0.0.5");
  EXPECT_EQ(ClientAddress(From("10.0.0.5:1", {"not-an-ip, 203.0.113.9"}), proxies), "203.0.113.9");
}

TEST(ClientAddressTest, IPv6NetworksMatchByPrefix) {
  const TrustedProxies proxies = Trust("fd00::/8");
  EXPECT_EQ(ClientAddress(From("fd12:3456::1:443", {"2001:db8::42"}), proxies), "2001:db8::42");
  EXPECT_EQ(ClientAddress(From("fe80::1:443", {"2001:db8::42"}), proxies), "fe80::1");
}

TEST(TrustedProxiesTest, ParsesAddressesAndNetworksAndRefusesAnythingElse) {
  EXPECT_TRUE(Trust("").empty());
  EXPECT_TRUE(Trust(" , ").empty());
  const TrustedProxies p = Trust("127.0.0.1,10.1.0.0/16,::1");
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("127.0.0.1")));
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("10.1.255.3")));
  EXPECT_FALSE(p.Contains(boost::asio::ip::make_address("10.2.0.1")));
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("::1")));
  EXPECT_TRUE(Trust("0.0.0.0/0").Contains(boost::asio::ip::make_address("8.8.8.8")));
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x", "example.com",
                          "10.0.0", "1.2.3.4/-1", "10.0.0.0/08/1"}) {
    auto parsed = TrustedProxies::Parse(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, "invalid_trusted_proxies");
  }
}

}  // namespace
}  // namespace payments::http
