#include "http/address_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "support/matchers.h"

namespace payments::http {
namespace {

using payments::testing::IsOk;

IpAddress Ip(const std::string& text) {
  const std::optional<IpAddress> a = ParseIpAddress(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

bool Public(const std::string& text) { return IsPublicAddress(Ip(text)); }

TEST(AddressPolicyTest, ParsesStrictAddressesAndPrintsThemCanonically) {
  EXPECT_EQ(Ip("1.2.3.4").ToString(), "1.2.3.4");
  EXPECT_FALSE(Ip("1.2.3.4").v6);
  EXPECT_EQ(Ip("0.0.0.0").ToString(), "0.0.0.0");
  EXPECT_EQ(Ip("255.255.255.255").ToString(), "255.255.255.255");
  EXPECT_EQ(Ip("2001:DB8:0:0:0:0:0:1").ToString(), "2001:db8::1");
  EXPECT_TRUE(Ip("::1").v6);
  EXPECT_EQ(Ip("::ffff:7f00:1").ToString(), "::ffff:127.0.0.1");
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "127.1", "01.2.3.4", "1.2.3.256", "0x7f.0.0.1", "2130706433",
        "1.2.3.4 ", " 1.2.3.4", "1..2.3", "1.2.3.", "::1%lo", "[::1]", "1:2:3:4:5:6:7:8:9",
        "::ffff:127.0.0.01", "gggg::1", ":::", "1.2.3.-4"}) {
    EXPECT_FALSE(ParseIpAddress(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseIpAddress(std::string("1.2.3.4\0", 8)).has_value());
  EXPECT_FALSE(ParseIpAddress(std::string("::1\0", 4)).has_value());
}

TEST(AddressPolicyTest, EveryReservedIpv4RangeIsNotPublicToItsEdges) {
  struct Range {
    const char* before;  // the address just below the range (public), or ""
    const char* first;
    const char* last;
    const char* after;  // just above (public), or ""
  };
  for (const Range& r : {
           Range{"", "0.0.0.0", "0.255.255.255", "1.0.0.0"},
           Range{"9.255.255.255", "10.0.0.0", "10.255.255.255", "11.0.0.0"},
           Range{"100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0"},
           Range{"126.255.255.255", "127.0.0.0", "127.255.255.255", "128.0.0.0"},
           Range{"169.253.255.255", "169.254.0.0", "169.254.255.255", "169.255.0.0"},
           Range{"172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0"},
           Range{"191.255.255.255", "192.0.0.0", "192.0.0.255", "192.0.1.0"},
           Range{"192.0.1.255", "192.0.2.0", "192.0.2.255", "192.0.3.0"},
           Range{"192.88.98.255", "192.88.99.0", "192.88.99.255", "192.88.100.0"},
           Range{"192.167.255.255", "192.168.0.0", "192.168.255.255", "192.169.0.0"},
           Range{"198.17.255.255", "198.18.0.0", "198.19.255.255", "198.20.0.0"},
           Range{"198.51.99.255", "198.51.100.0", "198.51.100.255", "198.51.101.0"},
           Range{"203.0.112.255", "203.0.113.0", "203.0.113.255", "203.0.114.0"},
           Range{"223.255.255.255", "224.0.0.0", "239.255.255.255", ""},
           Range{"", "240.0.0.0", "255.255.255.255", ""},
       }) {
    SCOPED_TRACE(r.first);
    if (*r.before != '\0') {
      EXPECT_TRUE(Public(r.before)) << r.before;
    }
    EXPECT_FALSE(Public(r.first)) << r.first;
    EXPECT_FALSE(Public(r.last)) << r.last;
    if (*r.after != '\0') {
      EXPECT_TRUE(Public(r.after)) << r.after;
    }
  }
  EXPECT_TRUE(Public("8.8.8.8"));
  EXPECT_TRUE(Public("1.1.1.1"));
  EXPECT_FALSE(Public("169.254.169.254"));  // cloud metadata
}

TEST(AddressPolicyTest, EveryReservedIpv6RangeIsNotPublicToItsEdges) {
  EXPECT_FALSE(Public("::"));
  EXPECT_FALSE(Public("::1"));
  EXPECT_TRUE(Public("2606:4700:4700::1111"));
  EXPECT_TRUE(Public("2a00:1450:4001:81b::200e"));

  // Ranges inside global unicast (2000::/3), whose neighbours are public.
  struct Range {
    const char* before;
    const char* first;
    const char* last;
    const char* after;
  };
  for (const Range& r : {
           Range{"", "2000::", "", ""},
           Range{"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                 "2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:200::"},
           Range{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
                 "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"},
           Range{"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                 "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::"},
       }) {
    SCOPED_TRACE(r.first);
    if (*r.before != '\0') {
      EXPECT_TRUE(Public(r.before)) << r.before;
    }
    if (*r.last == '\0') {
      EXPECT_TRUE(Public(r.first)) << r.first;  // the first global unicast address
      continue;
    }
    EXPECT_FALSE(Public(r.first)) << r.first;
    EXPECT_FALSE(Public(r.last)) << r.last;
    EXPECT_TRUE(Public(r.after)) << r.after;
  }
  EXPECT_FALSE(Public("2001:0:4136:e378:8000:63bf:3fff:fdd2"));  // Teredo
  EXPECT_TRUE(Public("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(Public("4000::"));  // past 2000::/3

  // Ranges outside global unicast: their edges, and neighbours are not public either.
  for (const char* text : {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "100::",
                           "100::ffff:ffff:ffff:ffff",
                           "100:0:0:1::",
                           "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "fc00::",
                           "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "fe00::",
                           "fe80::",
                           "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "fec0::1",
                           "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "ff00::",
                           "ff02::1",
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                           "64:ff9b:1::",
                           "64:ff9b:1::8.8.8.8",
                           "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
                           "::fffe:808:808",
                           "1::"}) {
    EXPECT_FALSE(Public(text)) << text;
  }
}

TEST(AddressPolicyTest, IpDisguisedInIpv6IsJudgedByItsIpv4Address) {
  // Mapped (::ffff:0:0/96) and compatible (::/96).
  EXPECT_FALSE(Public("::ffff:127.0.0.1"));
  EXPECT_FALSE(Public("::ffff:7f00:1"));
  EXPECT_FALSE(Public("::ffff:10.1.2.3"));
  EXPECT_FALSE(Public("::ffff:169.254.169.254"));
  EXPECT_FALSE(Public("::ffff:0.0.0.0"));
  EXPECT_TRUE(Public("::ffff:8.8.8.8"));
  EXPECT_FALSE(Public("::127.0.0.1"));
  EXPECT_FALSE(Public("::0.0.0.2"));
  EXPECT_FALSE(Public("::192.168.0.1"));
  EXPECT_TRUE(Public("::8.8.8.8"));
  // NAT64 (64:ff9b::/96) and its edges.
  EXPECT_FALSE(Public("64:ff9b::127.0.0.1"));
  EXPECT_FALSE(Public("64:ff9b::10.0.0.1"));
  EXPECT_TRUE(Public("64:ff9b::8.8.8.8"));
  EXPECT_FALSE(Public("64:ff9b::1:0:0:0"));  // not in the /96: outside 2000::/3
  EXPECT_FALSE(Public("64:ff9a:ffff:ffff:ffff:ffff:808:808"));
  // 6to4 (2002::/16): the IPv4 address sits in bits 16 to 47.
  EXPECT_FALSE(Public("2002:7f00:1::"));
  EXPECT_FALSE(Public("2002:a9fe:a9fe::1"));
  EXPECT_FALSE(Public("2002:c0a8:101:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(Public("2002:808:808::1"));
  EXPECT_FALSE(Public("2002::"));
  EXPECT_TRUE(Public("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(Public("2003::"));
}

TEST(AddressPolicyTest, ParsesAllowedNetworks) {
  auto networks = ParseIpNetworks("127.0.0.1/32, 10.0.0.0/8,::1/128 ,192.168.1.5,,fd00::/8");
  ASSERT_THAT(networks, IsOk());
  ASSERT_EQ(networks->size(), 5u);
  EXPECT_EQ((*networks)[0].base.ToString(), "127.0.0.1");
  EXPECT_EQ((*networks)[0].prefix, 32);
  EXPECT_EQ((*networks)[1].prefix, 8);
  EXPECT_EQ((*networks)[2].base.ToString(), "::1");
  EXPECT_EQ((*networks)[2].prefix, 128);
  EXPECT_EQ((*networks)[3].prefix, 32);  // a bare address is a host route
  EXPECT_EQ((*networks)[4].prefix, 8);
  EXPECT_TRUE((*networks)[1].Contains(Ip("10.255.0.1")));
  EXPECT_FALSE((*networks)[1].Contains(Ip("11.0.0.0")));
  EXPECT_FALSE((*networks)[1].Contains(Ip("::ffff:10.0.0.1")));  // another family
  EXPECT_TRUE((*networks)[4].Contains(Ip("fdff::1")));
  EXPECT_FALSE((*networks)[4].Contains(Ip("fc00::1")));

  ASSERT_THAT(ParseIpNetworks(""), IsOk());
  EXPECT_TRUE(ParseIpNetworks("")->empty());
  EXPECT_TRUE(ParseIpNetworks(" , ")->empty());
  auto everything = ParseIpNetworks("0.0.0.0/0");
  ASSERT_THAT(everything, IsOk());
  EXPECT_TRUE((*everything)[0].Contains(Ip("127.0.0.1")));

  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c :
       {Case{"10.0.0.0/8,localhost", "'localhost' is not an IP address"},
        Case{"10.0.0.0/33", "'10.0.0.0/33' has a bad prefix length (0 to 32)"},
        Case{"::/129", "bad prefix length (0 to 128)"}, Case{"10.0.0.0/", "bad prefix length"},
        Case{"10.0.0.0/-1", "bad prefix length"}, Case{"10.0.0.0/8a", "bad prefix length"},
        Case{"10.0.0.0/0008", "bad prefix length"},
        // A long prefix overflowed its int while it was read (fuzz/regressions/
        // webhook_request/prefix-overflow).
        Case{"127.0.0.1/refund.created::1", "bad prefix length"},
        Case{"10.0.0.0/99999999999999999999", "bad prefix length"},
        Case{"127.1/32", "'127.1/32' is not an IP address"},
        Case{"10.1.2.3/8", "did you mean 10.0.0.0/8?"},
        Case{"fd00::1/8", "did you mean fd00::/8?"}}) {
    const auto parsed = ParseIpNetworks(c.text);
    ASSERT_FALSE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidRequest);
    EXPECT_EQ(parsed.error().param, "PAYMENTS_WEBHOOK_ALLOWED_NETWORKS");
    EXPECT_NE(parsed.error().message.find(c.says), std::string::npos) << parsed.error().message;
  }
}

TEST(AddressPolicyTest, AllowsPublicAddressesAndTheAllowedNetworksOnly) {
  const AddressPolicy strict;
  EXPECT_TRUE(strict.Allows(Ip("8.8.8.8")));
  EXPECT_TRUE(strict.Allows(Ip("2606:4700:4700::1111")));
  EXPECT_FALSE(strict.Allows(Ip("127.0.0.1")));
  EXPECT_FALSE(strict.Allows(Ip("::1")));
  EXPECT_FALSE(strict.Allows(Ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(strict.Allows(Ip("10.0.0.1")));

  const AddressPolicy loopback(ParseIpNetworks("127.0.0.1").value());
  EXPECT_TRUE(loopback.Allows(Ip("127.0.0.1")));
  EXPECT_TRUE(loopback.Allows(Ip("::ffff:127.0.0.1")));  // where a connection to it goes
  EXPECT_FALSE(loopback.Allows(Ip("127.0.0.2")));
  EXPECT_FALSE(loopback.Allows(Ip("::1")));
  EXPECT_FALSE(loopback.Allows(Ip("::127.0.0.1")));
  EXPECT_TRUE(loopback.Allows(Ip("8.8.8.8")));

  const AddressPolicy internal(ParseIpNetworks("10.0.0.0/8,fd00::/8").value());
  EXPECT_TRUE(internal.Allows(Ip("10.20.30.40")));
  EXPECT_TRUE(internal.Allows(Ip("fd12::1")));
  EXPECT_FALSE(internal.Allows(Ip("192.168.0.1")));
  EXPECT_FALSE(internal.Allows(Ip("169.254.169.254")));
}

}  // namespace
}  // namespace payments::http
