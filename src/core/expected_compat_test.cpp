// Pins the behaviour of std::expected the code relies on. Under g++ this tests
// libstdc++'s std::expected; under clang 14 (the fuzz build) the stand-in of
// core/expected_compat.h.
#include "core/expected_compat.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"

namespace payments {
namespace {

// Counts live instances, so a test can tell that every state change destroys
// what it replaces and nothing twice.
struct Tracked {
  static inline int live = 0;
  std::string text;
  explicit Tracked(std::string t) : text(std::move(t)) { ++live; }
  Tracked(const Tracked& o) : text(o.text) { ++live; }
  Tracked(Tracked&& o) noexcept : text(std::move(o.text)) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) noexcept = default;
  ~Tracked() { --live; }
  bool operator==(const Tracked& o) const { return text == o.text; }
};

using TrackedResult = std::expected<Tracked, Tracked>;

Result<int> Half(int n) {
  if (n % 2 != 0) return std::unexpected(Error::InvalidRequest("odd", "n is odd", "n"));
  return n / 2;
}

Status Check(bool ok) {
  if (!ok) return std::unexpected(Error::Internal("not ok"));
  return {};
}

TEST(ExpectedCompatTest, HoldsAValue) {
  Result<int> r = Half(8);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.has_value());
  EXPECT_EQ(*r, 4);
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(r.value_or(-1), 4);
  Result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
  *s += "d";
  EXPECT_EQ(*s, "abcd");
  EXPECT_EQ(std::move(s).value(), "abcd");
}

TEST(ExpectedCompatTest, HoldsAnErrorFromUnexpected) {
  Result<int> r = Half(3);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "odd");
  EXPECT_EQ(r.error().param, "n");
  EXPECT_EQ(r.value_or(-1), -1);
  // The deduction guide: std::unexpected(e) is unexpected<Error>, also from a const&.
  const Error& e = r.error();
  static_assert(std::is_same_v<decltype(std::unexpected(e)), std::unexpected<Error>>);
  Result<std::string> copy = std::unexpected(e);
  EXPECT_EQ(copy.error().message, "n is odd");
}

TEST(ExpectedCompatTest, ValueOnAnErrorThrowsBadExpectedAccessCarryingTheError) {
  Result<int> r = Half(1);
  try {
    (void)r.value();
    FAIL() << "value() did not throw";
  } catch (const std::bad_expected_access<Error>& e) {
    EXPECT_EQ(e.error().code, "odd");
    EXPECT_NE(std::string(e.what()), "");
  }
  Status s = Check(false);
  EXPECT_THROW(s.value(), std::bad_expected_access<Error>);
  // Catchable as the base, as the standard says.
  EXPECT_THROW(r.value(), std::bad_expected_access<void>);
}

TEST(ExpectedCompatTest, VoidSpecialisation) {
  Status ok = Check(true);
  EXPECT_TRUE(ok);
  EXPECT_NO_THROW(ok.value());
  Status bad = Check(false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInternal);
  Status braces{};
  EXPECT_TRUE(braces.has_value());
  Status in_place(std::in_place);
  EXPECT_TRUE(in_place);

  // Assignment between the two states, both ways.
  ok = bad;
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().message, "not ok");
  ok = Status{};
  EXPECT_TRUE(ok);
  ok = std::unexpected(Error::Internal("again"));
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().message, "again");
  bad = std::move(ok);
  EXPECT_EQ(bad.error().message, "again");
  ok.emplace();
  EXPECT_TRUE(ok);
  Status moved(std::move(bad));
  EXPECT_EQ(moved.error().message, "again");
}

TEST(ExpectedCompatTest, InPlaceAndUnexpectConstruction) {
  std::expected<std::string, int> v(std::in_place, 3, 'x');
  EXPECT_EQ(*v, "xxx");
  std::expected<std::string, std::string> e(std::unexpect, 2, 'y');
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), "yy");
}

TEST(ExpectedCompatTest, CopyAndMoveConstructionInBothStates) {
  {
    TrackedResult value(std::in_place, "v");
    TrackedResult error(std::unexpect, "e");
    TrackedResult value_copy(value);
    TrackedResult error_copy(error);
    EXPECT_EQ(value_copy->text, "v");
    EXPECT_EQ(error_copy.error().text, "e");
    TrackedResult value_moved(std::move(value));
    TrackedResult error_moved(std::move(error));
    EXPECT_EQ(value_moved->text, "v");
    EXPECT_EQ(error_moved.error().text, "e");
    EXPECT_EQ(Tracked::live, 6);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(ExpectedCompatTest, CopyAndMoveAssignmentBetweenAllStates) {
  {
    const TrackedResult value(std::in_place, "v");
    const TrackedResult error(std::unexpect, "e");
    for (bool from_value : {true, false}) {
      for (bool to_value : {true, false}) {
        for (bool by_move : {false, true}) {
          TrackedResult target =
              to_value ? TrackedResult(std::in_place, "old") : TrackedResult(std::unexpect, "old");
          TrackedResult source = from_value ? value : error;
          if (by_move) {
            target = std::move(source);
          } else {
            target = source;
          }
          ASSERT_EQ(target.has_value(), from_value);
          EXPECT_EQ(from_value ? target->text : target.error().text, from_value ? "v" : "e");
          EXPECT_EQ(Tracked::live, 4);  // value, error, target, source
        }
      }
    }
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(ExpectedCompatTest, AssignsAValueOrAnUnexpectedOverEitherState) {
  {
    TrackedResult r(std::in_place, "v");
    r = std::unexpected(Tracked("e"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().text, "e");
    r = std::unexpected(Tracked("e2"));
    EXPECT_EQ(r.error().text, "e2");
    r = Tracked("v2");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, "v2");
    r = Tracked("v3");
    EXPECT_EQ(r->text, "v3");
    EXPECT_EQ(Tracked::live, 1);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(ExpectedCompatTest, MoveOnlyValuesAndNoexceptMoves) {
  using Owned = Result<std::unique_ptr<int>>;
  static_assert(!std::is_copy_constructible_v<Owned>);
  static_assert(!std::is_copy_assignable_v<Owned>);
  static_assert(std::is_nothrow_move_constructible_v<Owned>);
  static_assert(std::is_copy_constructible_v<Result<std::string>>);
  static_assert(std::is_nothrow_move_constructible_v<Status>);
  Owned a = std::make_unique<int>(7);
  Owned b = std::move(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(**b, 7);
  // A vector of results moves, not copies, its elements when it grows.
  std::vector<Owned> all;
  for (int i = 0; i < 20; ++i) all.push_back(std::make_unique<int>(i));
  EXPECT_EQ(*all[19].value(), 19);
  std::unique_ptr<int> taken = std::move(b).value();
  EXPECT_EQ(*taken, 7);
}

TEST(ExpectedCompatTest, Equality) {
  std::expected<int, std::string> one = 1;
  std::expected<int, std::string> other_one = 1;
  std::expected<int, std::string> err = std::unexpected(std::string("x"));
  EXPECT_TRUE(one == other_one);
  EXPECT_TRUE(one == 1);
  EXPECT_FALSE(one == 2);
  EXPECT_FALSE(one == err);
  EXPECT_TRUE(err == std::unexpected(std::string("x")));
  EXPECT_FALSE(one == std::unexpected(std::string("x")));
  std::expected<void, int> v;
  std::expected<void, int> verr = std::unexpected(3);
  EXPECT_TRUE((v == std::expected<void, int>()));
  EXPECT_FALSE(v == verr);
  EXPECT_TRUE(verr == std::unexpected(3));
}

}  // namespace
}  // namespace payments
