// std::expected for compilers whose standard library does not provide it.
//
// Why this exists: the fuzz build (fuzz/, docs/fuzzing.md) uses Debian 12's
// clang-14, the only compiler there with libFuzzer, over Debian's libstdc++ 12.
// libstdc++ 12 defines std::expected only when __cpp_concepts >= 202002L
// (conditionally trivial special members, P0848), which clang 14 lacks, so
// <expected> is empty under clang 14. The service itself is built by g++ 12,
// where this header only includes the real <expected> and defines nothing.
// It goes away with clang >= 16, which compiles libstdc++'s <expected>.
//
// What it provides under clang 14 is the subset the code uses: expected<T, E>,
// expected<void, E>, unexpected<E> (with its deduction guide),
// bad_expected_access<E>, unexpect_t / unexpect; construction from a value,
// an unexpected, in_place and unexpect; copy and move (assignment included,
// between the value and the error state); operator bool, has_value, value,
// error, operator*, operator->, value_or, emplace and ==. No monadic
// operations. It is written for clang 14: one user-provided (non-trivial)
// destructor, a union with placement construction, no constrained
// destructors; copy and move are constrained with requires-clauses on single
// declarations, which clang 14 handles. src/core/expected_compat_test.cpp
// pins the behaviour under both compilers. Thread-compatible, like the real one.
#pragma once

#include <expected>

#if !defined(__cpp_lib_expected)

#include <exception>
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <utility>

namespace std {

template <class E>
class unexpected;

namespace expected_compat_detail {
template <class T>
inline constexpr bool kIsUnexpected = false;
template <class E>
inline constexpr bool kIsUnexpected<unexpected<E>> = true;
}  // namespace expected_compat_detail

template <class E>
class bad_expected_access;

template <>
class bad_expected_access<void> : public exception {
 public:
  const char* what() const noexcept override {
    return "bad access to std::expected without expected value";
  }

 protected:
  bad_expected_access() noexcept = default;
  bad_expected_access(const bad_expected_access&) = default;
  bad_expected_access(bad_expected_access&&) = default;
  bad_expected_access& operator=(const bad_expected_access&) = default;
  bad_expected_access& operator=(bad_expected_access&&) = default;
  ~bad_expected_access() override = default;
};

template <class E>
class bad_expected_access : public bad_expected_access<void> {
 public:
  explicit bad_expected_access(E e) : error_(std::move(e)) {}
  E& error() & noexcept { return error_; }
  const E& error() const& noexcept { return error_; }
  E&& error() && noexcept { return std::move(error_); }
  const E&& error() const&& noexcept { return std::move(error_); }

 private:
  E error_;
};

struct unexpect_t {
  explicit unexpect_t() = default;
};
inline constexpr unexpect_t unexpect{};

template <class E>
class unexpected {
 public:
  constexpr unexpected(const unexpected&) = default;
  constexpr unexpected(unexpected&&) = default;

  template <class Err = E>
  requires(!is_same_v<remove_cvref_t<Err>, unexpected> &&
           !is_same_v<remove_cvref_t<Err>, in_place_t> &&
           is_constructible_v<E, Err>) constexpr explicit unexpected(Err&& e)
      : error_(std::forward<Err>(e)) {}

  template <class... Args>
  requires is_constructible_v<E, Args...>
  constexpr explicit unexpected(in_place_t, Args&&... args) : error_(std::forward<Args>(args)...) {}

  constexpr unexpected& operator=(const unexpected&) = default;
  constexpr unexpected& operator=(unexpected&&) = default;

  constexpr E& error() & noexcept { return error_; }
  constexpr const E& error() const& noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }
  constexpr const E&& error() const&& noexcept { return std::move(error_); }

  template <class E2>
  friend constexpr bool operator==(const unexpected& x, const unexpected<E2>& y) {
    return x.error() == y.error();
  }

 private:
  E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

namespace expected_compat_detail {

// Replaces the active member *old_member of a union by a New built from args.
// If building it throws, *old_member is left as it was (as the standard's
// reinit-expected does).
template <class New, class Old, class... Args>
constexpr void Reinit(New* new_member, Old* old_member, Args&&... args) {
  if constexpr (is_nothrow_constructible_v<New, Args...>) {
    std::destroy_at(old_member);
    std::construct_at(new_member, std::forward<Args>(args)...);
  } else if constexpr (is_nothrow_move_constructible_v<New>) {
    New tmp(std::forward<Args>(args)...);
    std::destroy_at(old_member);
    std::construct_at(new_member, std::move(tmp));
  } else {
    Old saved(std::move(*old_member));
    std::destroy_at(old_member);
    try {
      std::construct_at(new_member, std::forward<Args>(args)...);
    } catch (...) {
      std::construct_at(old_member, std::move(saved));
      throw;
    }
  }
}

}  // namespace expected_compat_detail

template <class T, class E>
class expected {
  // What copy and move need, named so the requires-clauses stay readable.
  static constexpr bool kCopyable = is_copy_constructible_v<T> && is_copy_constructible_v<E>;
  static constexpr bool kMovable = is_move_constructible_v<T> && is_move_constructible_v<E>;
  static constexpr bool kCopyAssignable =
      kCopyable && is_copy_assignable_v<T> && is_copy_assignable_v<E>;
  static constexpr bool kMoveAssignable =
      kMovable && is_move_assignable_v<T> && is_move_assignable_v<E>;
  static constexpr bool kNothrowMove =
      is_nothrow_move_constructible_v<T> && is_nothrow_move_constructible_v<E>;
  static constexpr bool kNothrowMoveAssign =
      kNothrowMove && is_nothrow_move_assignable_v<T> && is_nothrow_move_assignable_v<E>;

 public:
  using value_type = T;
  using error_type = E;
  using unexpected_type = unexpected<E>;
  template <class U>
  using rebind = expected<U, E>;

  constexpr expected() requires is_default_constructible_v<T> : value_(), has_value_(true) {}

  constexpr expected(const expected& other) requires kCopyable : has_value_(other.has_value_) {
    if (has_value_) {
      std::construct_at(std::addressof(value_), other.value_);
    } else {
      std::construct_at(std::addressof(error_), other.error_);
    }
  }

  constexpr expected(expected&& other) noexcept(kNothrowMove) requires kMovable
      : has_value_(other.has_value_) {
    if (has_value_) {
      std::construct_at(std::addressof(value_), std::move(other.value_));
    } else {
      std::construct_at(std::addressof(error_), std::move(other.error_));
    }
  }

  template <class U = T>
  requires(!is_same_v<remove_cvref_t<U>, in_place_t> && !is_same_v<remove_cvref_t<U>, expected> &&
           !is_same_v<remove_cvref_t<U>, unexpect_t> &&
           !expected_compat_detail::kIsUnexpected<remove_cvref_t<U>> &&
           is_constructible_v<T, U>) constexpr explicit(!is_convertible_v<U, T>) expected(U&& v)
      : value_(std::forward<U>(v)), has_value_(true) {}

  template <class G>
  requires is_constructible_v<E, const G&>
  constexpr explicit(!is_convertible_v<const G&, E>) expected(const unexpected<G>& e)
      : error_(e.error()), has_value_(false) {}

  template <class G>
  requires is_constructible_v<E, G>
  constexpr explicit(!is_convertible_v<G, E>) expected(unexpected<G>&& e)
      : error_(std::move(e).error()), has_value_(false) {}

  template <class... Args>
  requires is_constructible_v<T, Args...>
  constexpr explicit expected(in_place_t, Args&&... args)
      : value_(std::forward<Args>(args)...), has_value_(true) {}

  template <class... Args>
  requires is_constructible_v<E, Args...>
  constexpr explicit expected(unexpect_t, Args&&... args)
      : error_(std::forward<Args>(args)...), has_value_(false) {}

  constexpr ~expected() { Destroy(); }

  constexpr expected& operator=(const expected& other) requires kCopyAssignable {
    if (has_value_ && other.has_value_) {
      value_ = other.value_;
    } else if (has_value_) {
      expected_compat_detail::Reinit(std::addressof(error_), std::addressof(value_), other.error_);
    } else if (other.has_value_) {
      expected_compat_detail::Reinit(std::addressof(value_), std::addressof(error_), other.value_);
    } else {
      error_ = other.error_;
    }
    has_value_ = other.has_value_;
    return *this;
  }

  constexpr expected& operator=(expected&& other) noexcept(kNothrowMoveAssign) requires
      kMoveAssignable {
    if (has_value_ && other.has_value_) {
      value_ = std::move(other.value_);
    } else if (has_value_) {
      expected_compat_detail::Reinit(std::addressof(error_), std::addressof(value_),
                                     std::move(other.error_));
    } else if (other.has_value_) {
      expected_compat_detail::Reinit(std::addressof(value_), std::addressof(error_),
                                     std::move(other.value_));
    } else {
      error_ = std::move(other.error_);
    }
    has_value_ = other.has_value_;
    return *this;
  }

  template <class U = T>
  requires(!is_same_v<remove_cvref_t<U>, expected> &&
           !expected_compat_detail::kIsUnexpected<remove_cvref_t<U>> && is_constructible_v<T, U> &&
           is_assignable_v<T&, U>) constexpr expected&
  operator=(U&& v) {
    if (has_value_) {
      value_ = std::forward<U>(v);
    } else {
      expected_compat_detail::Reinit(std::addressof(value_), std::addressof(error_),
                                     std::forward<U>(v));
      has_value_ = true;
    }
    return *this;
  }

  template <class G>
  constexpr expected& operator=(const unexpected<G>& e) {
    AssignError(e.error());
    return *this;
  }

  template <class G>
  constexpr expected& operator=(unexpected<G>&& e) {
    AssignError(std::move(e).error());
    return *this;
  }

  template <class... Args>
  constexpr T& emplace(Args&&... args) noexcept {
    static_assert(is_nothrow_constructible_v<T, Args...>);
    Destroy();
    std::construct_at(std::addressof(value_), std::forward<Args>(args)...);
    has_value_ = true;
    return value_;
  }

  constexpr const T* operator->() const noexcept { return std::addressof(value_); }
  constexpr T* operator->() noexcept { return std::addressof(value_); }
  constexpr const T& operator*() const& noexcept { return value_; }
  constexpr T& operator*() & noexcept { return value_; }
  constexpr const T&& operator*() const&& noexcept { return std::move(value_); }
  constexpr T&& operator*() && noexcept { return std::move(value_); }

  constexpr explicit operator bool() const noexcept { return has_value_; }
  constexpr bool has_value() const noexcept { return has_value_; }

  constexpr const T& value() const& {
    if (!has_value_) throw bad_expected_access<E>(error_);
    return value_;
  }
  constexpr T& value() & {
    if (!has_value_) throw bad_expected_access<E>(std::as_const(error_));
    return value_;
  }
  constexpr const T&& value() const&& {
    if (!has_value_) throw bad_expected_access<E>(std::move(error_));
    return std::move(value_);
  }
  constexpr T&& value() && {
    if (!has_value_) throw bad_expected_access<E>(std::move(error_));
    return std::move(value_);
  }

  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr const E&& error() const&& noexcept { return std::move(error_); }
  constexpr E&& error() && noexcept { return std::move(error_); }

  template <class U>
  constexpr T value_or(U&& v) const& {
    return has_value_ ? value_ : static_cast<T>(std::forward<U>(v));
  }
  template <class U>
  constexpr T value_or(U&& v) && {
    return has_value_ ? std::move(value_) : static_cast<T>(std::forward<U>(v));
  }

  template <class T2, class E2>
  requires(!is_void_v<T2>) friend constexpr bool operator==(const expected& x,
                                                            const expected<T2, E2>& y) {
    if (x.has_value() != y.has_value()) return false;
    return x.has_value() ? *x == *y : x.error() == y.error();
  }
  template <class T2>
  requires(!expected_compat_detail::kIsUnexpected<T2>) friend constexpr bool operator==(
      const expected& x, const T2& v) {
    return x.has_value() && static_cast<bool>(*x == v);
  }
  template <class E2>
  friend constexpr bool operator==(const expected& x, const unexpected<E2>& e) {
    return !x.has_value() && static_cast<bool>(x.error() == e.error());
  }

 private:
  constexpr void Destroy() {
    if (has_value_) {
      std::destroy_at(std::addressof(value_));
    } else {
      std::destroy_at(std::addressof(error_));
    }
  }

  template <class G>
  constexpr void AssignError(G&& g) {
    if (has_value_) {
      expected_compat_detail::Reinit(std::addressof(error_), std::addressof(value_),
                                     std::forward<G>(g));
      has_value_ = false;
    } else {
      error_ = std::forward<G>(g);
    }
  }

  union {
    T value_;
    E error_;
  };
  bool has_value_;
};

template <class E>
class expected<void, E> {
  static constexpr bool kCopyAssignable = is_copy_constructible_v<E> && is_copy_assignable_v<E>;
  static constexpr bool kMoveAssignable = is_move_constructible_v<E> && is_move_assignable_v<E>;
  static constexpr bool kNothrowMoveAssign =
      is_nothrow_move_constructible_v<E> && is_nothrow_move_assignable_v<E>;

 public:
  using value_type = void;
  using error_type = E;
  using unexpected_type = unexpected<E>;
  template <class U>
  using rebind = expected<U, E>;

  constexpr expected() noexcept : has_value_(true) {}

  constexpr expected(const expected& other) requires is_copy_constructible_v<E>
      : has_value_(other.has_value_) {
    if (!has_value_) std::construct_at(std::addressof(error_), other.error_);
  }

  constexpr expected(expected&& other) noexcept(is_nothrow_move_constructible_v<E>) requires
      is_move_constructible_v<E> : has_value_(other.has_value_) {
    if (!has_value_) std::construct_at(std::addressof(error_), std::move(other.error_));
  }

  template <class G>
  requires is_constructible_v<E, const G&>
  constexpr explicit(!is_convertible_v<const G&, E>) expected(const unexpected<G>& e)
      : error_(e.error()), has_value_(false) {}

  template <class G>
  requires is_constructible_v<E, G>
  constexpr explicit(!is_convertible_v<G, E>) expected(unexpected<G>&& e)
      : error_(std::move(e).error()), has_value_(false) {}

  constexpr explicit expected(in_place_t) noexcept : has_value_(true) {}

  template <class... Args>
  requires is_constructible_v<E, Args...>
  constexpr explicit expected(unexpect_t, Args&&... args)
      : error_(std::forward<Args>(args)...), has_value_(false) {}

  constexpr ~expected() {
    if (!has_value_) std::destroy_at(std::addressof(error_));
  }

  constexpr expected& operator=(const expected& other) requires kCopyAssignable {
    if (other.has_value_) {
      emplace();
    } else {
      AssignError(other.error_);
    }
    return *this;
  }

  constexpr expected& operator=(expected&& other) noexcept(kNothrowMoveAssign) requires
      kMoveAssignable {
    if (other.has_value_) {
      emplace();
    } else {
      AssignError(std::move(other.error_));
    }
    return *this;
  }

  template <class G>
  constexpr expected& operator=(const unexpected<G>& e) {
    AssignError(e.error());
    return *this;
  }

  template <class G>
  constexpr expected& operator=(unexpected<G>&& e) {
    AssignError(std::move(e).error());
    return *this;
  }

  constexpr void emplace() noexcept {
    if (!has_value_) {
      std::destroy_at(std::addressof(error_));
      has_value_ = true;
    }
  }

  constexpr explicit operator bool() const noexcept { return has_value_; }
  constexpr bool has_value() const noexcept { return has_value_; }
  constexpr void operator*() const noexcept {}

  constexpr void value() const& {
    if (!has_value_) throw bad_expected_access<E>(error_);
  }
  constexpr void value() && {
    if (!has_value_) throw bad_expected_access<E>(std::move(error_));
  }

  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr const E&& error() const&& noexcept { return std::move(error_); }
  constexpr E&& error() && noexcept { return std::move(error_); }

  template <class T2, class E2>
  requires is_void_v<T2>
  friend constexpr bool operator==(const expected& x, const expected<T2, E2>& y) {
    if (x.has_value() != y.has_value()) return false;
    return x.has_value() || static_cast<bool>(x.error() == y.error());
  }
  template <class E2>
  friend constexpr bool operator==(const expected& x, const unexpected<E2>& e) {
    return !x.has_value() && static_cast<bool>(x.error() == e.error());
  }

 private:
  template <class G>
  constexpr void AssignError(G&& g) {
    if (has_value_) {
      std::construct_at(std::addressof(error_), std::forward<G>(g));
      has_value_ = false;
    } else {
      error_ = std::forward<G>(g);
    }
  }

  union {
    E error_;
  };
  bool has_value_;
};

}  // namespace std

#endif  // !defined(__cpp_lib_expected)
