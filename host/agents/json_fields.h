// Reading JSON fields defensively: wrong types read as absent, never throw.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lokust::host::agents {

inline const nlohmann::json* field(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline std::optional<std::string> string_field(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* f = field(j, key);
  if (f == nullptr || !f->is_string()) return std::nullopt;
  return f->get<std::string>();
}

// A non-negative integer (or a whole, non-negative float).
inline std::optional<uint64_t> count_field(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* f = field(j, key);
  if (f == nullptr) return std::nullopt;
  if (f->is_number_unsigned()) return f->get<uint64_t>();
  if (f->is_number_integer()) {
    const int64_t v = f->get<int64_t>();
    return v >= 0 ? std::optional<uint64_t>(static_cast<uint64_t>(v)) : std::nullopt;
  }
  if (f->is_number_float()) {
    const double v = f->get<double>();
    if (v >= 0 && v < 1.8e19 && std::floor(v) == v) return static_cast<uint64_t>(v);
  }
  return std::nullopt;
}

}  // namespace lokust::host::agents
