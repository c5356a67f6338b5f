// Parsed<T>: what a parser of setup input returns, a value or the reason there is none
// (std::expected, which g++ 12 does not have yet). Setup turns a failure into a Corefile
// error at the token (SetupContext::error), data loaders into a log line.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace cxxdns {

template <typename T>
class [[nodiscard]] Parsed {
 public:
  Parsed(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  static Parsed failure(const std::string& why) {
    Parsed p;
    p.error_ = why;
    return p;
  }

  explicit operator bool() const { return value_.has_value(); }
  T& operator*() {
    assert(value_);
    return *value_;
  }
  const T& operator*() const {
    assert(value_);
    return *value_;
  }
  T* operator->() { return &**this; }
  const T* operator->() const { return &**this; }
  // Why it failed (empty on success).
  const std::string& error() const { return error_; }

 private:
  Parsed() = default;
  std::optional<T> value_;
  std::string error_;
};

}  // namespace cxxdns
