// Value types, function types and the dynamic Value used at the API boundary.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

namespace lokust::core {

enum class ValType : uint8_t {
  kI32 = 0x7f,
  kI64 = 0x7e,
  kF32 = 0x7d,
  kF64 = 0x7c,
  kV128 = 0x7b,
  kFuncRef = 0x70,
  kExternRef = 0x6f,
};

inline bool IsRefType(ValType t) { return t == ValType::kFuncRef || t == ValType::kExternRef; }
// 64-bit stack slots a value of type `t` occupies (v128: two).
inline uint32_t SlotCount(ValType t) { return t == ValType::kV128 ? 2 : 1; }
const char* ValTypeName(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};
std::string FuncTypeToString(const FuncType& t);

struct Func;  // runtime function (store.h)

// A WebAssembly value with its type. Numbers are kept as raw bits (floats keep their NaN
// payloads). References: 0 is null; a funcref holds a Func*; an externref holds an opaque
// non-zero host word. A v128 keeps its low 64 bits in `bits` and its high 64 bits in `hi`.
struct Value {
  ValType type = ValType::kI32;
  uint64_t bits = 0;
  uint64_t hi = 0;

  static Value I32(uint32_t v) { return {ValType::kI32, v}; }
  static Value I64(uint64_t v) { return {ValType::kI64, v}; }
  static Value F32(float v) { return {ValType::kF32, std::bit_cast<uint32_t>(v)}; }
  static Value F64(double v) { return {ValType::kF64, std::bit_cast<uint64_t>(v)}; }
  static Value F32Bits(uint32_t b) { return {ValType::kF32, b}; }
  static Value F64Bits(uint64_t b) { return {ValType::kF64, b}; }
  static Value FuncRef(const Func* f) { return {ValType::kFuncRef, reinterpret_cast<uint64_t>(f)}; }
  static Value ExternRef(uint64_t host_word) { return {ValType::kExternRef, host_word}; }
  static Value Null(ValType t) { return {t, 0}; }
  static Value V128(uint64_t lo, uint64_t high) { return {ValType::kV128, lo, high}; }

  uint32_t i32() const { return static_cast<uint32_t>(bits); }
  uint64_t i64() const { return bits; }
  float f32() const { return std::bit_cast<float>(static_cast<uint32_t>(bits)); }
  double f64() const { return std::bit_cast<double>(bits); }
  bool is_null() const { return bits == 0; }
};

// "i32:42", "f64:1.5", "funcref:null" ...
std::string ValueToString(const Value& v);

}  // namespace lokust::core
