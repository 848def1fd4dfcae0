// Result<T> for the component layer: a value or an Error, returned across every public API of
// engine/component instead of exceptions. Decode errors carry the byte offset and the section
// they were found in; validation errors name the offending index, type or name.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

#include "engine/core/result.h"

namespace lokust::component {

struct Error {
  enum class Kind { kMalformed, kInvalid, kTrap, kLink };
  Kind kind = Kind::kInvalid;
  std::string message;
  size_t offset = 0;  // byte offset into the outermost binary, where known
  // On a trap: the store limit that raised it (core::Limit), kept through lifting, lowering
  // and nested component calls, so that embedders need not match message text.
  core::Limit limit = core::Limit::kNone;

  // "message (at offset N)": the form error printers use.
  std::string ToString() const;
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

inline Error Malformed(std::string message, size_t offset = 0) {
  return Error{Error::Kind::kMalformed, std::move(message), offset};
}
inline Error Invalid(std::string message, size_t offset = 0) {
  return Error{Error::Kind::kInvalid, std::move(message), offset};
}
inline Error LinkError(std::string message) {
  return Error{Error::Kind::kLink, std::move(message), 0};
}
inline Error Trap(std::string message) { return Error{Error::Kind::kTrap, std::move(message), 0}; }

// Propagates an error out of the enclosing function returning Result<...>.
#define LOKUST_CM_TRY(expr)                              \
  do {                                                   \
    auto lokust_cm_r_ = (expr);                          \
    if (!lokust_cm_r_.ok()) return lokust_cm_r_.error(); \
  } while (0)

}  // namespace lokust::component
