// Result<T>: a value or an error message, returned across the whole engine API instead of
// exceptions. Traps, decode errors, validation errors and link errors are all values.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace lokust::core {

// Which of the store's limits stopped execution (store.h: call depth, deadline, fuel,
// Interrupt()). Embedders branch on it to say which budget ran out, or to resume with more,
// without matching message text. Traps the program caused itself are kNone.
enum class Limit : uint8_t { kNone, kCallDepth, kDeadline, kFuel, kInterrupt };

// "call depth", "deadline", "fuel", "interrupt"; "" for kNone.
constexpr const char* LimitName(Limit limit) {
  switch (limit) {
    case Limit::kCallDepth:
      return "call depth";
    case Limit::kDeadline:
      return "deadline";
    case Limit::kFuel:
      return "fuel";
    case Limit::kInterrupt:
      return "interrupt";
    case Limit::kNone:
      break;
  }
  return "";
}

// What went wrong, in the words the WebAssembly specification uses where it has words for it
// ("out of bounds memory access", "integer divide by zero", "type mismatch", ...).
struct Error {
  enum class Kind { kMalformed, kInvalid, kLink, kTrap, kExhaustion, kHost };
  Kind kind = Kind::kTrap;
  std::string message;
  Limit limit = Limit::kNone;  // set on traps that a store limit raised, kept through host calls
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : ok_(false), error_(std::move(error)) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  bool ok_ = true;
  Error error_;
};

inline Error Trap(std::string message) { return Error{Error::Kind::kTrap, std::move(message)}; }
inline Error Malformed(std::string message) {
  return Error{Error::Kind::kMalformed, std::move(message)};
}
inline Error Invalid(std::string message) {
  return Error{Error::Kind::kInvalid, std::move(message)};
}
inline Error LinkError(std::string message) {
  return Error{Error::Kind::kLink, std::move(message)};
}

}  // namespace lokust::core
