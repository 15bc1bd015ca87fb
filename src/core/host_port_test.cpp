#include "core/host_port.h"

#include <gtest/gtest.h>

namespace payments {
namespace {

TEST(HostPortTest, Parses) {
  auto v4 = ParseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = ParseHostPort("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
}

TEST(HostPortTest, RejectsBadInput) {
  for (const char* bad : {"8080", "127.0.0.1:", ":8080", "h:65536", "h:80x", "h:-1"}) {
    EXPECT_FALSE(ParseHostPort(bad)) << bad;
  }
}

}  // namespace
}  // namespace payments
