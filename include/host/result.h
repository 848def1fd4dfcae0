// result<T, string> for the host: a value or an error message. The host's public API never
// throws; failures are values of this type. (g++ 12 has no std::expected.)
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lokust::host {

template <class T>
class [[nodiscard]] Result {
 public:
  static Result ok(T value) { return Result(std::in_place_index<0>, std::move(value)); }
  static Result err(std::string message) {
    return Result(std::in_place_index<1>, std::move(message));
  }

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }

  // Precondition: is_ok() for value(), !is_ok() for error().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const std::string& error() const { return std::get<1>(v_); }

 private:
  template <std::size_t I, class U>
  Result(std::in_place_index_t<I> i, U&& u) : v_(i, std::forward<U>(u)) {}
  std::variant<T, std::string> v_;
};

// For operations with nothing to return: Status::ok({}) or Status::err(message).
struct Done {};
using Status = Result<Done>;

}  // namespace lokust::host
