#include "core/crypto.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

namespace payments {
namespace {

TEST(RandomBytesTest, NoBytesAreHandedOutTwice) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {  // several refills of the per-thread buffer
    const std::string b = RandomBytes(i % 3 == 0 ? 10 : 16);
    EXPECT_EQ(b.size(), i % 3 == 0 ? 10u : 16u);
    EXPECT_TRUE(seen.insert(b).second) << "repeated after " << i << " draws";
  }
  EXPECT_EQ(RandomBytes(0), "");
  EXPECT_EQ(RandomBytes(4096).size(), 4096u);  // more than the buffer holds
}

// A forked child must not draw what its parent's buffer still holds: parent
// and child would make the same ids.
TEST(RandomBytesTest, AForkedChildDrawsAfresh) {
  (void)RandomBytes(16);  // the buffer now holds unused bytes
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string b = RandomBytes(16);
    _exit(::write(fds[1], b.data(), b.size()) == 16 ? 0 : 1);
  }
  std::string from_child(16, '\0');
  ASSERT_EQ(::read(fds[0], from_child.data(), 16), 16);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_NE(RandomBytes(16), from_child);
}

TEST(RandomBase62Test, DrawsTheAlphabetOnly) {
  const std::string s = RandomBase62(200);
  ASSERT_EQ(s.size(), 200u);
  for (char c : s) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
}

}  // namespace
}  // namespace payments
