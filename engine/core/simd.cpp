// SIMD semantics, lane by lane. Floats are moved as bits (memcpy), so NaN payloads survive.

#include "engine/core/simd.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engine/core/interp_math.h"

namespace lokust::core::simd {
namespace {

constexpr uint8_t I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c;

template <typename T>
struct Lanes {
  static constexpr int N = 16 / sizeof(T);
  T v[N];
};

template <typename T>
Lanes<T> Ld(const uint64_t* p) {
  Lanes<T> l;
  std::memcpy(&l, p, 16);
  return l;
}
template <typename T>
void St(uint64_t* p, const Lanes<T>& l) {
  std::memcpy(p, &l, 16);
}

template <typename T, typename F>
uint64_t* Un(uint64_t* sp, F f) {
  auto a = Ld<T>(sp - 2);
  for (auto& x : a.v) x = f(x);
  St(sp - 2, a);
  return sp;
}
template <typename T, typename F>
uint64_t* Bin(uint64_t* sp, F f) {
  auto b = Ld<T>(sp - 2);
  auto a = Ld<T>(sp - 4);
  for (int i = 0; i < Lanes<T>::N; ++i) a.v[i] = f(a.v[i], b.v[i]);
  St(sp - 4, a);
  return sp - 2;
}
template <typename T>
using Mask =
    std::conditional_t<sizeof(T) == 1, uint8_t,
                       std::conditional_t<sizeof(T) == 2, uint16_t,
                                          std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
template <typename T, typename F>
uint64_t* Cmp(uint64_t* sp, F f) {
  auto b = Ld<T>(sp - 2);
  auto a = Ld<T>(sp - 4);
  Lanes<Mask<T>> r;
  for (int i = 0; i < Lanes<T>::N; ++i) r.v[i] = f(a.v[i], b.v[i]) ? Mask<T>(~Mask<T>(0)) : 0;
  St(sp - 4, r);
  return sp - 2;
}
template <typename T>
uint64_t* Shift(uint64_t* sp, int kind) {  // 0 shl, 1 shr_s, 2 shr_u
  uint32_t n = static_cast<uint32_t>(sp[-1]) & (sizeof(T) * 8 - 1);
  sp -= 1;
  using S = std::make_signed_t<T>;
  using U = std::make_unsigned_t<T>;
  auto a = Ld<U>(sp - 2);
  for (auto& x : a.v) {
    if (kind == 0)
      x = static_cast<U>(x << n);
    else if (kind == 1)
      x = static_cast<U>(static_cast<S>(x) >> n);
    else
      x = static_cast<U>(x >> n);
  }
  St(sp - 2, a);
  return sp;
}
template <typename T>
uint64_t* AllTrue(uint64_t* sp) {
  auto a = Ld<T>(sp - 2);
  bool all = true;
  for (auto x : a.v) all = all && x != 0;
  sp[-2] = all;
  return sp - 1;
}
template <typename T>
uint64_t* Bitmask(uint64_t* sp) {
  auto a = Ld<std::make_signed_t<T>>(sp - 2);
  uint32_t m = 0;
  for (int i = 0; i < Lanes<T>::N; ++i) m |= static_cast<uint32_t>(a.v[i] < 0) << i;
  sp[-2] = m;
  return sp - 1;
}
template <typename T>
T SatNarrow(int64_t v) {
  if (v < std::numeric_limits<T>::min()) return std::numeric_limits<T>::min();
  if (v > std::numeric_limits<T>::max()) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}
// Narrow two vectors of From lanes into one of To lanes, saturating.
template <typename From, typename To>
uint64_t* Narrow(uint64_t* sp) {
  auto b = Ld<From>(sp - 2);
  auto a = Ld<From>(sp - 4);
  Lanes<To> r;
  constexpr int n = Lanes<From>::N;
  for (int i = 0; i < n; ++i) r.v[i] = SatNarrow<To>(a.v[i]);
  for (int i = 0; i < n; ++i) r.v[n + i] = SatNarrow<To>(b.v[i]);
  St(sp - 4, r);
  return sp - 2;
}
template <typename From, typename To>
uint64_t* Extend(uint64_t* sp, bool high) {
  auto a = Ld<From>(sp - 2);
  Lanes<To> r;
  constexpr int n = Lanes<To>::N;
  for (int i = 0; i < n; ++i) r.v[i] = static_cast<To>(a.v[(high ? n : 0) + i]);
  St(sp - 2, r);
  return sp;
}
template <typename From, typename To>
uint64_t* ExtMul(uint64_t* sp, bool high) {
  auto b = Ld<From>(sp - 2);
  auto a = Ld<From>(sp - 4);
  Lanes<To> r;
  constexpr int n = Lanes<To>::N;
  for (int i = 0; i < n; ++i) {
    int k = (high ? n : 0) + i;
    r.v[i] = static_cast<To>(static_cast<To>(a.v[k]) * static_cast<To>(b.v[k]));
  }
  St(sp - 4, r);
  return sp - 2;
}
template <typename From, typename To>
uint64_t* ExtAddPairwise(uint64_t* sp) {
  auto a = Ld<From>(sp - 2);
  Lanes<To> r;
  for (int i = 0; i < Lanes<To>::N; ++i)
    r.v[i] = static_cast<To>(static_cast<To>(a.v[2 * i]) + static_cast<To>(a.v[2 * i + 1]));
  St(sp - 2, r);
  return sp;
}
template <typename T>
T AddSat(T a, T b) {
  return SatNarrow<T>(static_cast<int64_t>(a) + static_cast<int64_t>(b));
}
template <typename T>
T SubSat(T a, T b) {
  return SatNarrow<T>(static_cast<int64_t>(a) - static_cast<int64_t>(b));
}
template <typename T>
T Avgr(T a, T b) {
  return static_cast<T>((static_cast<uint32_t>(a) + static_cast<uint32_t>(b) + 1) / 2);
}
template <typename T>
T Abs(T a) {
  using U = std::make_unsigned_t<T>;
  return a < 0 ? static_cast<T>(U(0) - static_cast<U>(a)) : a;
}
template <typename T>
T Neg(T a) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(U(0) - static_cast<U>(a));
}
template <typename T>
T Wrap(uint64_t v) {
  return static_cast<T>(v);
}

// Float lanes via the scalar semantics of interp_math.h.
template <typename F>
uint64_t* FUn(uint64_t* sp, F (*f)(F)) {
  return Un<F>(sp, f);
}

}  // namespace

const Info& GetInfo(uint32_t sub) {
  static const std::array<Info, 256> table = [] {
    std::array<Info, 256> t{};
    auto set = [&](uint32_t from, uint32_t to, Info info) {
      for (uint32_t i = from; i <= to; ++i) t[i] = info;
    };
    set(0, 0, {Kind::kLoad, 0, 0, 4});
    set(1, 6, {Kind::kLoad, 0, 0, 3});
    set(7, 7, {Kind::kLoad, 0, 0, 0});
    set(8, 8, {Kind::kLoad, 0, 0, 1});
    set(9, 9, {Kind::kLoad, 0, 0, 2});
    set(10, 10, {Kind::kLoad, 0, 0, 3});
    set(11, 11, {Kind::kStore, 0, 0, 4});
    set(12, 12, {Kind::kConst});
    set(13, 13, {Kind::kShuffle});
    set(14, 14, {Kind::kBinary});
    set(15, 17, {Kind::kSplat, I32});
    set(18, 18, {Kind::kSplat, I64});
    set(19, 19, {Kind::kSplat, F32});
    set(20, 20, {Kind::kSplat, F64});
    set(21, 22, {Kind::kExtract, I32, 16});
    set(23, 23, {Kind::kReplace, I32, 16});
    set(24, 25, {Kind::kExtract, I32, 8});
    set(26, 26, {Kind::kReplace, I32, 8});
    set(27, 27, {Kind::kExtract, I32, 4});
    set(28, 28, {Kind::kReplace, I32, 4});
    set(29, 29, {Kind::kExtract, I64, 2});
    set(30, 30, {Kind::kReplace, I64, 2});
    set(31, 31, {Kind::kExtract, F32, 4});
    set(32, 32, {Kind::kReplace, F32, 4});
    set(33, 33, {Kind::kExtract, F64, 2});
    set(34, 34, {Kind::kReplace, F64, 2});
    set(35, 76, {Kind::kBinary});
    set(77, 77, {Kind::kUnary});
    set(78, 81, {Kind::kBinary});
    set(82, 82, {Kind::kTernary});
    set(83, 83, {Kind::kTest});
    set(84, 84, {Kind::kLoadLane, 0, 16, 0});
    set(85, 85, {Kind::kLoadLane, 0, 8, 1});
    set(86, 86, {Kind::kLoadLane, 0, 4, 2});
    set(87, 87, {Kind::kLoadLane, 0, 2, 3});
    set(88, 88, {Kind::kStoreLane, 0, 16, 0});
    set(89, 89, {Kind::kStoreLane, 0, 8, 1});
    set(90, 90, {Kind::kStoreLane, 0, 4, 2});
    set(91, 91, {Kind::kStoreLane, 0, 2, 3});
    set(92, 92, {Kind::kLoad, 0, 0, 2});
    set(93, 93, {Kind::kLoad, 0, 0, 3});
    set(94, 98, {Kind::kUnary});
    set(99, 100, {Kind::kTest});
    set(101, 102, {Kind::kBinary});
    set(103, 106, {Kind::kUnary});
    set(107, 109, {Kind::kShift});
    set(110, 115, {Kind::kBinary});
    set(116, 117, {Kind::kUnary});
    set(118, 121, {Kind::kBinary});
    set(122, 122, {Kind::kUnary});
    set(123, 123, {Kind::kBinary});
    set(124, 129, {Kind::kUnary});
    set(130, 130, {Kind::kBinary});
    set(131, 132, {Kind::kTest});
    set(133, 134, {Kind::kBinary});
    set(135, 138, {Kind::kUnary});
    set(139, 141, {Kind::kShift});
    set(142, 147, {Kind::kBinary});
    set(148, 148, {Kind::kUnary});
    set(149, 153, {Kind::kBinary});
    set(155, 159, {Kind::kBinary});
    set(160, 161, {Kind::kUnary});
    set(163, 164, {Kind::kTest});
    set(167, 170, {Kind::kUnary});
    set(171, 173, {Kind::kShift});
    set(174, 174, {Kind::kBinary});
    set(177, 177, {Kind::kBinary});
    set(181, 186, {Kind::kBinary});
    set(188, 191, {Kind::kBinary});
    set(192, 193, {Kind::kUnary});
    set(195, 196, {Kind::kTest});
    set(199, 202, {Kind::kUnary});
    set(203, 205, {Kind::kShift});
    set(206, 206, {Kind::kBinary});
    set(209, 209, {Kind::kBinary});
    set(213, 223, {Kind::kBinary});
    set(224, 225, {Kind::kUnary});
    set(227, 227, {Kind::kUnary});
    set(228, 235, {Kind::kBinary});
    set(236, 237, {Kind::kUnary});
    set(239, 239, {Kind::kUnary});
    set(240, 247, {Kind::kBinary});
    set(248, 255, {Kind::kUnary});
    return t;
  }();
  static const Info invalid{};
  return sub < 256 ? table[sub] : invalid;
}

uint64_t* Op(uint32_t sub, uint64_t* sp) {
  using i8 = int8_t;
  using u8 = uint8_t;
  using i16 = int16_t;
  using u16 = uint16_t;
  using i32 = int32_t;
  using u32 = uint32_t;
  using i64 = int64_t;
  using u64 = uint64_t;
  switch (sub) {
    case 14: {  // i8x16.swizzle
      auto s = Ld<u8>(sp - 2);
      auto a = Ld<u8>(sp - 4);
      Lanes<u8> r;
      for (int i = 0; i < 16; ++i) r.v[i] = s.v[i] < 16 ? a.v[s.v[i]] : 0;
      St(sp - 4, r);
      return sp - 2;
    }
    case 15: {
      Lanes<u8> r;
      for (auto& x : r.v) x = static_cast<u8>(sp[-1]);
      St(sp - 1, r);
      return sp + 1;
    }
    case 16: {
      Lanes<u16> r;
      for (auto& x : r.v) x = static_cast<u16>(sp[-1]);
      St(sp - 1, r);
      return sp + 1;
    }
    case 17:
    case 19: {
      Lanes<u32> r;
      for (auto& x : r.v) x = static_cast<u32>(sp[-1]);
      St(sp - 1, r);
      return sp + 1;
    }
    case 18:
    case 20: {
      Lanes<u64> r;
      for (auto& x : r.v) x = sp[-1];
      St(sp - 1, r);
      return sp + 1;
    }
    // Comparisons.
    case 35:
      return Cmp<i8>(sp, [](i8 a, i8 b) { return a == b; });
    case 36:
      return Cmp<i8>(sp, [](i8 a, i8 b) { return a != b; });
    case 37:
      return Cmp<i8>(sp, [](i8 a, i8 b) { return a < b; });
    case 38:
      return Cmp<u8>(sp, [](u8 a, u8 b) { return a < b; });
    case 39:
      return Cmp<i8>(sp, [](i8 a, i8 b) { return a > b; });
    case 40:
      return Cmp<u8>(sp, [](u8 a, u8 b) { return a > b; });
    case 41:
      return Cmp<i8>(sp, [](i8 a, i8 b) { return a <= b; });
    case 42:
      return Cmp<u8>(sp, [](u8 a, u8 b) { return a <= b; });
    case 43:
      return Cmp<i8>(sp, [](i8 a, i8 b) { return a >= b; });
    case 44:
      return Cmp<u8>(sp, [](u8 a, u8 b) { return a >= b; });
    case 45:
      return Cmp<i16>(sp, [](i16 a, i16 b) { return a == b; });
    case 46:
      return Cmp<i16>(sp, [](i16 a, i16 b) { return a != b; });
    case 47:
      return Cmp<i16>(sp, [](i16 a, i16 b) { return a < b; });
    case 48:
      return Cmp<u16>(sp, [](u16 a, u16 b) { return a < b; });
    case 49:
      return Cmp<i16>(sp, [](i16 a, i16 b) { return a > b; });
    case 50:
      return Cmp<u16>(sp, [](u16 a, u16 b) { return a > b; });
    case 51:
      return Cmp<i16>(sp, [](i16 a, i16 b) { return a <= b; });
    case 52:
      return Cmp<u16>(sp, [](u16 a, u16 b) { return a <= b; });
    case 53:
      return Cmp<i16>(sp, [](i16 a, i16 b) { return a >= b; });
    case 54:
      return Cmp<u16>(sp, [](u16 a, u16 b) { return a >= b; });
    case 55:
      return Cmp<i32>(sp, [](i32 a, i32 b) { return a == b; });
    case 56:
      return Cmp<i32>(sp, [](i32 a, i32 b) { return a != b; });
    case 57:
      return Cmp<i32>(sp, [](i32 a, i32 b) { return a < b; });
    case 58:
      return Cmp<u32>(sp, [](u32 a, u32 b) { return a < b; });
    case 59:
      return Cmp<i32>(sp, [](i32 a, i32 b) { return a > b; });
    case 60:
      return Cmp<u32>(sp, [](u32 a, u32 b) { return a > b; });
    case 61:
      return Cmp<i32>(sp, [](i32 a, i32 b) { return a <= b; });
    case 62:
      return Cmp<u32>(sp, [](u32 a, u32 b) { return a <= b; });
    case 63:
      return Cmp<i32>(sp, [](i32 a, i32 b) { return a >= b; });
    case 64:
      return Cmp<u32>(sp, [](u32 a, u32 b) { return a >= b; });
    case 65:
      return Cmp<float>(sp, [](float a, float b) { return a == b; });
    case 66:
      return Cmp<float>(sp, [](float a, float b) { return a != b; });
    case 67:
      return Cmp<float>(sp, [](float a, float b) { return a < b; });
    case 68:
      return Cmp<float>(sp, [](float a, float b) { return a > b; });
    case 69:
      return Cmp<float>(sp, [](float a, float b) { return a <= b; });
    case 70:
      return Cmp<float>(sp, [](float a, float b) { return a >= b; });
    case 71:
      return Cmp<double>(sp, [](double a, double b) { return a == b; });
    case 72:
      return Cmp<double>(sp, [](double a, double b) { return a != b; });
    case 73:
      return Cmp<double>(sp, [](double a, double b) { return a < b; });
    case 74:
      return Cmp<double>(sp, [](double a, double b) { return a > b; });
    case 75:
      return Cmp<double>(sp, [](double a, double b) { return a <= b; });
    case 76:
      return Cmp<double>(sp, [](double a, double b) { return a >= b; });
    // Bitwise.
    case 77:
      return Un<u64>(sp, [](u64 a) { return ~a; });
    case 78:
      return Bin<u64>(sp, [](u64 a, u64 b) { return a & b; });
    case 79:
      return Bin<u64>(sp, [](u64 a, u64 b) { return a & ~b; });
    case 80:
      return Bin<u64>(sp, [](u64 a, u64 b) { return a | b; });
    case 81:
      return Bin<u64>(sp, [](u64 a, u64 b) { return a ^ b; });
    case 82: {  // v128.bitselect
      auto c = Ld<u64>(sp - 2);
      auto b = Ld<u64>(sp - 4);
      auto a = Ld<u64>(sp - 6);
      for (int i = 0; i < 2; ++i) a.v[i] = (a.v[i] & c.v[i]) | (b.v[i] & ~c.v[i]);
      St(sp - 6, a);
      return sp - 4;
    }
    case 83: {  // v128.any_true
      bool any = sp[-2] != 0 || sp[-1] != 0;
      sp[-2] = any;
      return sp - 1;
    }
    case 94: {  // f32x4.demote_f64x2_zero
      auto a = Ld<double>(sp - 2);
      Lanes<float> r;
      r.v[0] = static_cast<float>(a.v[0]);
      r.v[1] = static_cast<float>(a.v[1]);
      r.v[2] = 0.0f;
      r.v[3] = 0.0f;
      St(sp - 2, r);
      return sp;
    }
    case 95: {  // f64x2.promote_low_f32x4
      auto a = Ld<float>(sp - 2);
      Lanes<double> r;
      r.v[0] = static_cast<double>(a.v[0]);
      r.v[1] = static_cast<double>(a.v[1]);
      St(sp - 2, r);
      return sp;
    }
    // i8x16
    case 96:
      return Un<i8>(sp, Abs<i8>);
    case 97:
      return Un<i8>(sp, Neg<i8>);
    case 98:
      return Un<u8>(sp, [](u8 a) { return static_cast<u8>(std::popcount(a)); });
    case 99:
      return AllTrue<u8>(sp);
    case 100:
      return Bitmask<u8>(sp);
    case 101:
      return Narrow<i16, i8>(sp);
    case 102:
      return Narrow<i16, u8>(sp);
    case 103:
      return FUn<float>(sp, math::Ceil<float>);
    case 104:
      return FUn<float>(sp, math::Floor<float>);
    case 105:
      return FUn<float>(sp, math::Trunc<float>);
    case 106:
      return FUn<float>(sp, math::Nearest<float>);
    case 107:
      return Shift<u8>(sp, 0);
    case 108:
      return Shift<u8>(sp, 1);
    case 109:
      return Shift<u8>(sp, 2);
    case 110:
      return Bin<u8>(sp, [](u8 a, u8 b) { return static_cast<u8>(a + b); });
    case 111:
      return Bin<i8>(sp, AddSat<i8>);
    case 112:
      return Bin<u8>(sp, AddSat<u8>);
    case 113:
      return Bin<u8>(sp, [](u8 a, u8 b) { return static_cast<u8>(a - b); });
    case 114:
      return Bin<i8>(sp, SubSat<i8>);
    case 115:
      return Bin<u8>(sp, SubSat<u8>);
    case 116:
      return FUn<double>(sp, math::Ceil<double>);
    case 117:
      return FUn<double>(sp, math::Floor<double>);
    case 118:
      return Bin<i8>(sp, [](i8 a, i8 b) { return a < b ? a : b; });
    case 119:
      return Bin<u8>(sp, [](u8 a, u8 b) { return a < b ? a : b; });
    case 120:
      return Bin<i8>(sp, [](i8 a, i8 b) { return a > b ? a : b; });
    case 121:
      return Bin<u8>(sp, [](u8 a, u8 b) { return a > b ? a : b; });
    case 122:
      return FUn<double>(sp, math::Trunc<double>);
    case 123:
      return Bin<u8>(sp, Avgr<u8>);
    case 124:
      return ExtAddPairwise<i8, i16>(sp);
    case 125:
      return ExtAddPairwise<u8, u16>(sp);
    case 126:
      return ExtAddPairwise<i16, i32>(sp);
    case 127:
      return ExtAddPairwise<u16, u32>(sp);
    // i16x8
    case 128:
      return Un<i16>(sp, Abs<i16>);
    case 129:
      return Un<i16>(sp, Neg<i16>);
    case 130:  // i16x8.q15mulr_sat_s
      return Bin<i16>(sp, [](i16 a, i16 b) {
        return SatNarrow<i16>((static_cast<int32_t>(a) * b + 0x4000) >> 15);
      });
    case 131:
      return AllTrue<u16>(sp);
    case 132:
      return Bitmask<u16>(sp);
    case 133:
      return Narrow<i32, i16>(sp);
    case 134:
      return Narrow<i32, u16>(sp);
    case 135:
      return Extend<i8, i16>(sp, false);
    case 136:
      return Extend<i8, i16>(sp, true);
    case 137:
      return Extend<u8, u16>(sp, false);
    case 138:
      return Extend<u8, u16>(sp, true);
    case 139:
      return Shift<u16>(sp, 0);
    case 140:
      return Shift<u16>(sp, 1);
    case 141:
      return Shift<u16>(sp, 2);
    case 142:
      return Bin<u16>(sp, [](u16 a, u16 b) { return static_cast<u16>(a + b); });
    case 143:
      return Bin<i16>(sp, AddSat<i16>);
    case 144:
      return Bin<u16>(sp, AddSat<u16>);
    case 145:
      return Bin<u16>(sp, [](u16 a, u16 b) { return static_cast<u16>(a - b); });
    case 146:
      return Bin<i16>(sp, SubSat<i16>);
    case 147:
      return Bin<u16>(sp, SubSat<u16>);
    case 148:
      return FUn<double>(sp, math::Nearest<double>);
    case 149:
      return Bin<u16>(sp, [](u16 a, u16 b) { return static_cast<u16>(u32{a} * b); });
    case 150:
      return Bin<i16>(sp, [](i16 a, i16 b) { return a < b ? a : b; });
    case 151:
      return Bin<u16>(sp, [](u16 a, u16 b) { return a < b ? a : b; });
    case 152:
      return Bin<i16>(sp, [](i16 a, i16 b) { return a > b ? a : b; });
    case 153:
      return Bin<u16>(sp, [](u16 a, u16 b) { return a > b ? a : b; });
    case 155:
      return Bin<u16>(sp, Avgr<u16>);
    case 156:
      return ExtMul<i8, i16>(sp, false);
    case 157:
      return ExtMul<i8, i16>(sp, true);
    case 158:
      return ExtMul<u8, u16>(sp, false);
    case 159:
      return ExtMul<u8, u16>(sp, true);
    // i32x4
    case 160:
      return Un<i32>(sp, Abs<i32>);
    case 161:
      return Un<i32>(sp, Neg<i32>);
    case 163:
      return AllTrue<u32>(sp);
    case 164:
      return Bitmask<u32>(sp);
    case 167:
      return Extend<i16, i32>(sp, false);
    case 168:
      return Extend<i16, i32>(sp, true);
    case 169:
      return Extend<u16, u32>(sp, false);
    case 170:
      return Extend<u16, u32>(sp, true);
    case 171:
      return Shift<u32>(sp, 0);
    case 172:
      return Shift<u32>(sp, 1);
    case 173:
      return Shift<u32>(sp, 2);
    case 174:
      return Bin<u32>(sp, [](u32 a, u32 b) { return a + b; });
    case 177:
      return Bin<u32>(sp, [](u32 a, u32 b) { return a - b; });
    case 181:
      return Bin<u32>(sp, [](u32 a, u32 b) { return a * b; });
    case 182:
      return Bin<i32>(sp, [](i32 a, i32 b) { return a < b ? a : b; });
    case 183:
      return Bin<u32>(sp, [](u32 a, u32 b) { return a < b ? a : b; });
    case 184:
      return Bin<i32>(sp, [](i32 a, i32 b) { return a > b ? a : b; });
    case 185:
      return Bin<u32>(sp, [](u32 a, u32 b) { return a > b ? a : b; });
    case 186: {  // i32x4.dot_i16x8_s
      auto b = Ld<i16>(sp - 2);
      auto a = Ld<i16>(sp - 4);
      Lanes<u32> r;
      for (int i = 0; i < 4; ++i)
        r.v[i] = static_cast<u32>(static_cast<i32>(a.v[2 * i]) * b.v[2 * i]) +
                 static_cast<u32>(static_cast<i32>(a.v[2 * i + 1]) * b.v[2 * i + 1]);
      St(sp - 4, r);
      return sp - 2;
    }
    case 188:
      return ExtMul<i16, i32>(sp, false);
    case 189:
      return ExtMul<i16, i32>(sp, true);
    case 190:
      return ExtMul<u16, u32>(sp, false);
    case 191:
      return ExtMul<u16, u32>(sp, true);
    // i64x2
    case 192:
      return Un<i64>(sp, Abs<i64>);
    case 193:
      return Un<i64>(sp, Neg<i64>);
    case 195:
      return AllTrue<u64>(sp);
    case 196:
      return Bitmask<u64>(sp);
    case 199:
      return Extend<i32, i64>(sp, false);
    case 200:
      return Extend<i32, i64>(sp, true);
    case 201:
      return Extend<u32, u64>(sp, false);
    case 202:
      return Extend<u32, u64>(sp, true);
    case 203:
      return Shift<u64>(sp, 0);
    case 204:
      return Shift<u64>(sp, 1);
    case 205:
      return Shift<u64>(sp, 2);
    case 206:
      return Bin<u64>(sp, [](u64 a, u64 b) { return a + b; });
    case 209:
      return Bin<u64>(sp, [](u64 a, u64 b) { return a - b; });
    case 213:
      return Bin<u64>(sp, [](u64 a, u64 b) { return a * b; });
    case 214:
      return Cmp<i64>(sp, [](i64 a, i64 b) { return a == b; });
    case 215:
      return Cmp<i64>(sp, [](i64 a, i64 b) { return a != b; });
    case 216:
      return Cmp<i64>(sp, [](i64 a, i64 b) { return a < b; });
    case 217:
      return Cmp<i64>(sp, [](i64 a, i64 b) { return a > b; });
    case 218:
      return Cmp<i64>(sp, [](i64 a, i64 b) { return a <= b; });
    case 219:
      return Cmp<i64>(sp, [](i64 a, i64 b) { return a >= b; });
    case 220:
      return ExtMul<i32, i64>(sp, false);
    case 221:
      return ExtMul<i32, i64>(sp, true);
    case 222:
      return ExtMul<u32, u64>(sp, false);
    case 223:
      return ExtMul<u32, u64>(sp, true);
    // f32x4 (sign ops on bits)
    case 224:
      return Un<u32>(sp, [](u32 a) { return a & 0x7fffffffu; });
    case 225:
      return Un<u32>(sp, [](u32 a) { return a ^ 0x80000000u; });
    case 227:
      return FUn<float>(sp, math::Sqrt<float>);
    case 228:
      return Bin<float>(sp, [](float a, float b) { return a + b; });
    case 229:
      return Bin<float>(sp, [](float a, float b) { return a - b; });
    case 230:
      return Bin<float>(sp, [](float a, float b) { return a * b; });
    case 231:
      return Bin<float>(sp, [](float a, float b) { return a / b; });
    case 232:
      return Bin<float>(sp, math::Min<float>);
    case 233:
      return Bin<float>(sp, math::Max<float>);
    case 234:
      return Bin<float>(sp, [](float a, float b) { return b < a ? b : a; });
    case 235:
      return Bin<float>(sp, [](float a, float b) { return a < b ? b : a; });
    // f64x2
    case 236:
      return Un<u64>(sp, [](u64 a) { return a & 0x7fffffffffffffffull; });
    case 237:
      return Un<u64>(sp, [](u64 a) { return a ^ 0x8000000000000000ull; });
    case 239:
      return FUn<double>(sp, math::Sqrt<double>);
    case 240:
      return Bin<double>(sp, [](double a, double b) { return a + b; });
    case 241:
      return Bin<double>(sp, [](double a, double b) { return a - b; });
    case 242:
      return Bin<double>(sp, [](double a, double b) { return a * b; });
    case 243:
      return Bin<double>(sp, [](double a, double b) { return a / b; });
    case 244:
      return Bin<double>(sp, math::Min<double>);
    case 245:
      return Bin<double>(sp, math::Max<double>);
    case 246:
      return Bin<double>(sp, [](double a, double b) { return b < a ? b : a; });
    case 247:
      return Bin<double>(sp, [](double a, double b) { return a < b ? b : a; });
    // conversions
    case 248: {
      auto a = Ld<float>(sp - 2);
      Lanes<i32> r;
      for (int i = 0; i < 4; ++i) r.v[i] = math::TruncSat<i32>(a.v[i]);
      St(sp - 2, r);
      return sp;
    }
    case 249: {
      auto a = Ld<float>(sp - 2);
      Lanes<u32> r;
      for (int i = 0; i < 4; ++i) r.v[i] = math::TruncSat<u32>(a.v[i]);
      St(sp - 2, r);
      return sp;
    }
    case 250: {
      auto a = Ld<i32>(sp - 2);
      Lanes<float> r;
      for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(a.v[i]);
      St(sp - 2, r);
      return sp;
    }
    case 251: {
      auto a = Ld<u32>(sp - 2);
      Lanes<float> r;
      for (int i = 0; i < 4; ++i) r.v[i] = static_cast<float>(a.v[i]);
      St(sp - 2, r);
      return sp;
    }
    case 252:
    case 253: {
      auto a = Ld<double>(sp - 2);
      Lanes<u32> r{};
      for (int i = 0; i < 2; ++i)
        r.v[i] = sub == 252 ? static_cast<u32>(math::TruncSat<i32>(a.v[i]))
                            : math::TruncSat<u32>(a.v[i]);
      r.v[2] = r.v[3] = 0;
      St(sp - 2, r);
      return sp;
    }
    case 254: {
      auto a = Ld<i32>(sp - 2);
      Lanes<double> r;
      for (int i = 0; i < 2; ++i) r.v[i] = static_cast<double>(a.v[i]);
      St(sp - 2, r);
      return sp;
    }
    case 255: {
      auto a = Ld<u32>(sp - 2);
      Lanes<double> r;
      for (int i = 0; i < 2; ++i) r.v[i] = static_cast<double>(a.v[i]);
      St(sp - 2, r);
      return sp;
    }
    default:
      return sp;  // unreachable: the validator admits only the cases above
  }
}

uint64_t* LaneOp(uint32_t sub, uint32_t lane, uint64_t* sp) {
  switch (sub) {
    case 21: {
      auto a = Ld<int8_t>(sp - 2);
      sp[-2] = static_cast<uint32_t>(static_cast<int32_t>(a.v[lane]));
      return sp - 1;
    }
    case 22: {
      auto a = Ld<uint8_t>(sp - 2);
      sp[-2] = a.v[lane];
      return sp - 1;
    }
    case 24: {
      auto a = Ld<int16_t>(sp - 2);
      sp[-2] = static_cast<uint32_t>(static_cast<int32_t>(a.v[lane]));
      return sp - 1;
    }
    case 25: {
      auto a = Ld<uint16_t>(sp - 2);
      sp[-2] = a.v[lane];
      return sp - 1;
    }
    case 27:
    case 31: {
      auto a = Ld<uint32_t>(sp - 2);
      sp[-2] = a.v[lane];
      return sp - 1;
    }
    case 29:
    case 33: {
      auto a = Ld<uint64_t>(sp - 2);
      sp[-2] = a.v[lane];
      return sp - 1;
    }
    case 23: {
      auto a = Ld<uint8_t>(sp - 3);
      a.v[lane] = static_cast<uint8_t>(sp[-1]);
      St(sp - 3, a);
      return sp - 1;
    }
    case 26: {
      auto a = Ld<uint16_t>(sp - 3);
      a.v[lane] = static_cast<uint16_t>(sp[-1]);
      St(sp - 3, a);
      return sp - 1;
    }
    case 28:
    case 32: {
      auto a = Ld<uint32_t>(sp - 3);
      a.v[lane] = static_cast<uint32_t>(sp[-1]);
      St(sp - 3, a);
      return sp - 1;
    }
    case 30:
    case 34: {
      auto a = Ld<uint64_t>(sp - 3);
      a.v[lane] = sp[-1];
      St(sp - 3, a);
      return sp - 1;
    }
    default:
      return sp;
  }
}

uint64_t* MemOp(uint32_t sub, uint64_t offset, uint32_t lane, uint64_t* sp, uint8_t* mem,
                uint64_t memsize) {
  auto ea_of = [&](uint64_t slot) { return static_cast<uint32_t>(slot) + offset; };
  auto check = [&](uint64_t ea, uint64_t n) { return ea + n <= memsize; };
  switch (sub) {
    case 0: {  // v128.load
      uint64_t ea = ea_of(sp[-1]);
      if (!check(ea, 16)) return nullptr;
      std::memcpy(sp - 1, mem + ea, 16);
      return sp + 1;
    }
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6: {
      uint64_t ea = ea_of(sp[-1]);
      if (!check(ea, 8)) return nullptr;
      uint8_t b[8];
      std::memcpy(b, mem + ea, 8);
      uint64_t* out = sp - 1;
      if (sub <= 2) {
        Lanes<int16_t> r;
        for (int i = 0; i < 8; ++i)
          r.v[i] = sub == 1 ? static_cast<int16_t>(static_cast<int8_t>(b[i])) : int16_t{b[i]};
        St(out, r);
      } else if (sub <= 4) {
        int16_t h[4];
        std::memcpy(h, b, 8);
        Lanes<int32_t> r;
        for (int i = 0; i < 4; ++i)
          r.v[i] = sub == 3 ? int32_t{h[i]} : int32_t{static_cast<uint16_t>(h[i])};
        St(out, r);
      } else {
        int32_t w[2];
        std::memcpy(w, b, 8);
        Lanes<int64_t> r;
        for (int i = 0; i < 2; ++i)
          r.v[i] = sub == 5 ? int64_t{w[i]} : int64_t{static_cast<uint32_t>(w[i])};
        St(out, r);
      }
      return sp + 1;
    }
    case 7:
    case 8:
    case 9:
    case 10: {  // load splat
      uint64_t n = uint64_t{1} << (sub - 7);
      uint64_t ea = ea_of(sp[-1]);
      if (!check(ea, n)) return nullptr;
      uint8_t r[16];
      for (int i = 0; i < 16; i += static_cast<int>(n)) std::memcpy(r + i, mem + ea, n);
      std::memcpy(sp - 1, r, 16);
      return sp + 1;
    }
    case 92:
    case 93: {  // load32_zero / load64_zero
      uint64_t n = sub == 92 ? 4 : 8;
      uint64_t ea = ea_of(sp[-1]);
      if (!check(ea, n)) return nullptr;
      uint8_t r[16] = {};
      std::memcpy(r, mem + ea, n);
      std::memcpy(sp - 1, r, 16);
      return sp + 1;
    }
    case 11: {  // v128.store
      uint64_t ea = ea_of(sp[-3]);
      if (!check(ea, 16)) return nullptr;
      std::memcpy(mem + ea, sp - 2, 16);
      return sp - 3;
    }
    case 84:
    case 85:
    case 86:
    case 87: {  // load lane
      uint64_t n = uint64_t{1} << (sub - 84);
      uint64_t ea = ea_of(sp[-3]);
      if (!check(ea, n)) return nullptr;
      uint8_t v[16];
      std::memcpy(v, sp - 2, 16);
      std::memcpy(v + lane * n, mem + ea, n);
      std::memcpy(sp - 3, v, 16);
      return sp - 1;
    }
    case 88:
    case 89:
    case 90:
    case 91: {  // store lane
      uint64_t n = uint64_t{1} << (sub - 88);
      uint64_t ea = ea_of(sp[-3]);
      if (!check(ea, n)) return nullptr;
      uint8_t v[16];
      std::memcpy(v, sp - 2, 16);
      std::memcpy(mem + ea, v + lane * n, n);
      return sp - 3;
    }
    default:
      return sp;
  }
}

}  // namespace lokust::core::simd
