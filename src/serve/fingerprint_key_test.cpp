#include "serve/fingerprint_key.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace payments::serve {
namespace {

const std::string kKey(40, 'k');
const std::string kOld(40, 'o');

std::string Message(const FingerprintKeySources& s) {
  auto r = ResolveFingerprintKeys(s);
  return r ? "" : r.error().message;
}

TEST(FingerprintKeyTest, OutsideTheEmbeddedDefaultAKeyIsRequired) {
  EXPECT_NE(Message({}).find("must be set with PAYMENTS_DATABASE_URL"), std::string::npos);
  auto ok = ResolveFingerprintKeys({.key = kKey});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->key, kKey);
  EXPECT_EQ(ok->previous, "");
}

TEST(FingerprintKeyTest, TheEmbeddedDefaultMayGenerateOne) {
  auto ok = ResolveFingerprintKeys({.embedded_default = true});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->key, "");
  EXPECT_NE(Message({.previous = kOld, .embedded_default = true}).find("needs"), std::string::npos);
}

TEST(FingerprintKeyTest, RefusesWeakOrAmbiguousKeys) {
  EXPECT_NE(Message({.key = "short"}).find("at least 32 characters (it has 5)"), std::string::npos);
  EXPECT_NE(Message({.key = kKey + "\n"}).find("line break"), std::string::npos);
  EXPECT_NE(Message({.key = kKey, .key_file = "/x"}).find("not both"), std::string::npos);
  EXPECT_NE(Message({.key = kKey, .previous = "short"}).find("PREVIOUS must be at least"),
            std::string::npos);
  EXPECT_NE(Message({.key = kKey, .previous = kKey}).find("the same"), std::string::npos);
  auto rotating = ResolveFingerprintKeys({.key = kKey, .previous = kOld});
  ASSERT_TRUE(rotating);
  EXPECT_EQ(rotating->previous, kOld);
}

TEST(FingerprintKeyTest, ReadsAMountedSecretFile) {
  char path[] = "/tmp/fingerprint-key-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << kKey << "\n";
  auto ok = ResolveFingerprintKeys({.key_file = path});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->key, kKey);
  std::ofstream(path) << "short\n";
  EXPECT_NE(Message({.key_file = path}).find("FILE must be at least"), std::string::npos);
  std::remove(path);
  EXPECT_NE(Message({.key_file = path}).find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace payments::serve
