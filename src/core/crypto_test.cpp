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

namespace payments {
namespace {

TEST(Base64Test, RoundTripsAndRefusesNonCanonicalText) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Decode("Zm8="), "fo");
  EXPECT_EQ(Base64Decode("Zg=="), "f");
  EXPECT_EQ(Base64Decode(""), "");
  for (std::string_view bad : {"Zg=", "Zh==", " Zg==", "Zg==\n", "Z===", "Zm=8", "Zm8*", "=Zm8"}) {
    EXPECT_FALSE(Base64Decode(bad)) << bad;
  }
  const std::string all = RandomBytes(300);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(HmacSha256Test, MatchesRfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacSha256("Jefe", "what do ya want for nothing?").size(), 32u);
}

TEST(SealTest, OpensOnlyUnderTheSameKeyAndAad) {
  const std::string key = RandomBytes(32);
  const std::string sealed = SealAes256Gcm(key, "whsec_secret", "we_1");
  EXPECT_TRUE(sealed.starts_with("v1:"));
  EXPECT_EQ(sealed.find("whsec_secret"), std::string::npos);
  EXPECT_EQ(OpenAes256Gcm(key, sealed, "we_1"), "whsec_secret");
  EXPECT_FALSE(OpenAes256Gcm(key, sealed, "we_2"));               // moved to another row
  EXPECT_FALSE(OpenAes256Gcm(RandomBytes(32), sealed, "we_1"));   // another key
  EXPECT_NE(SealAes256Gcm(key, "whsec_secret", "we_1"), sealed);  // a fresh nonce each time
  std::string tampered = sealed;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(OpenAes256Gcm(key, tampered, "we_1"));
  EXPECT_FALSE(OpenAes256Gcm(key, "v1:AAAA", "we_1"));
  EXPECT_FALSE(OpenAes256Gcm(key, "garbage", "we_1"));
}

}  // namespace
}  // namespace payments
