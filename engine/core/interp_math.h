// Numeric semantics of WebAssembly in one place: NaN rules, min/max, nearest, conversions
// with their trap conditions, saturating conversions. Floats travel as bits in and out, so
// NaN payloads are never normalised by the host.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace lokust::core::math {

inline float F32(uint64_t slot) { return std::bit_cast<float>(static_cast<uint32_t>(slot)); }
inline double F64(uint64_t slot) { return std::bit_cast<double>(slot); }
inline uint64_t Slot(float f) { return std::bit_cast<uint32_t>(f); }
inline uint64_t Slot(double d) { return std::bit_cast<uint64_t>(d); }

template <typename T>
using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;

template <typename T>
constexpr Bits<T> kQuietBit = Bits<T>{1} << (std::numeric_limits<T>::digits - 2);

template <typename T>
inline T Quiet(T v) {
  return std::bit_cast<T>(static_cast<Bits<T>>(std::bit_cast<Bits<T>>(v) | kQuietBit<T>));
}

template <typename T>
inline T Min(T a, T b) {
  if (std::isnan(a)) return Quiet(a);
  if (std::isnan(b)) return Quiet(b);
  if (a == b) return std::signbit(a) ? a : b;  // min(-0, +0) = -0
  return a < b ? a : b;
}

template <typename T>
inline T Max(T a, T b) {
  if (std::isnan(a)) return Quiet(a);
  if (std::isnan(b)) return Quiet(b);
  if (a == b) return std::signbit(a) ? b : a;  // max(-0, +0) = +0
  return a > b ? a : b;
}

template <typename T>
inline T Nearest(T v) {
  if (std::isnan(v)) return Quiet(v);
  return std::nearbyint(v);  // default rounding mode: to nearest, ties to even
}
template <typename T>
inline T Ceil(T v) {
  return std::isnan(v) ? Quiet(v) : std::ceil(v);
}
template <typename T>
inline T Floor(T v) {
  return std::isnan(v) ? Quiet(v) : std::floor(v);
}
template <typename T>
inline T Trunc(T v) {
  return std::isnan(v) ? Quiet(v) : std::trunc(v);
}
template <typename T>
inline T Sqrt(T v) {
  return std::isnan(v) ? Quiet(v) : std::sqrt(v);
}

// Bit-level sign operations (never touch NaN payloads).
inline uint64_t F32Abs(uint64_t s) { return s & 0x7fffffffu; }
inline uint64_t F32Neg(uint64_t s) { return (s ^ 0x80000000u) & 0xffffffffu; }
inline uint64_t F32Copysign(uint64_t a, uint64_t b) {
  return (a & 0x7fffffffu) | (b & 0x80000000u);
}
inline uint64_t F64Abs(uint64_t s) { return s & 0x7fffffffffffffffull; }
inline uint64_t F64Neg(uint64_t s) { return s ^ 0x8000000000000000ull; }
inline uint64_t F64Copysign(uint64_t a, uint64_t b) {
  return (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull);
}

// Float -> int conversion. Returns 0 on success, 1 for NaN ("invalid conversion to
// integer"), 2 for out of range ("integer overflow").
template <typename I, typename F>
inline int TruncChecked(F v, I* out) {
  if (std::isnan(v)) return 1;
  // Exclusive bounds in F, exactly representable: [lo, hi).
  constexpr bool is_signed = std::is_signed_v<I>;
  constexpr int bits = sizeof(I) * 8;
  const F hi = is_signed ? std::ldexp(F(1), bits - 1) : std::ldexp(F(1), bits);
  const F lo = is_signed ? -std::ldexp(F(1), bits - 1) : F(0);
  // Values in (lo-1, lo) truncate to lo (or to 0 for unsigned): allowed.
  if (!(v < hi)) return 2;
  if (is_signed) {
    if (v < lo) {
      // v in (lo - 1, lo) truncates to lo only if representable; for lo = -2^(n-1) any
      // smaller value truncates below it unless v > lo - 1.
      if (!(v > lo - F(1))) return 2;
    }
  } else {
    if (!(v > F(-1))) return 2;
  }
  *out = static_cast<I>(std::trunc(v));
  return 0;
}

template <typename I, typename F>
inline I TruncSat(F v) {
  if (std::isnan(v)) return 0;
  constexpr bool is_signed = std::is_signed_v<I>;
  constexpr int bits = sizeof(I) * 8;
  const F hi = is_signed ? std::ldexp(F(1), bits - 1) : std::ldexp(F(1), bits);
  if (v >= hi) return std::numeric_limits<I>::max();
  if (is_signed) {
    if (v <= -hi) return std::numeric_limits<I>::min();
  } else {
    if (v <= F(-1)) return 0;
  }
  return static_cast<I>(std::trunc(v));
}

}  // namespace lokust::core::math
