// Val: a dynamic component value of any component value type (the vocabulary of wasmtime's
// component::Val). Strings are UTF-8; own/borrow carry a u32: on the host side, the host's rep
// for a host-defined resource and a host handle for a guest-defined one (instance.h), a rep
// or a handle index inside the Canonical ABI; a map<K, V> value is a List of Records
// {key, value}.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/component/types.h"

namespace lokust::component {

class Val {
 public:
  Val() = default;

  static Val Bool(bool v);
  static Val S8(int8_t v);
  static Val U8(uint8_t v);
  static Val S16(int16_t v);
  static Val U16(uint16_t v);
  static Val S32(int32_t v);
  static Val U32(uint32_t v);
  static Val S64(int64_t v);
  static Val U64(uint64_t v);
  static Val F32(float v);
  static Val F64(double v);
  static Val Char(char32_t v);
  static Val String(std::string utf8);
  static Val List(std::vector<Val> elems);
  // A list<u8>, kept packed (one byte per element, not one Val): lifting and lowering copy it
  // as a block. elements() still works (it unpacks on first use).
  static Val Bytes(std::span<const uint8_t> bytes);
  // A list<f32>, kept packed the same way (tensors cross gpu.infer as list<f32>). NaNs are
  // stored canonical (0x7fc00000), as lifting and lowering a Val::F32 make them.
  static Val F32s(std::span<const float> values);
  // A packed list of any fixed-size number type (s8..u64, f32, f64; u8 is Bytes): `raw` holds
  // size_of(elem) * n bytes, little-endian, as the Canonical ABI lays them out in memory.
  // Float NaNs are canonicalised.
  static Val PackedList(ValKind elem, std::span<const uint8_t> raw);
  static Val Record(std::vector<std::pair<std::string, Val>> fields);
  // The same from the names and the values side by side (as lifting builds them: no pairs to
  // split). The two must have the same length.
  static Val Record(std::vector<std::string> names, std::vector<Val> values);
  static Val Tuple(std::vector<Val> elems);
  static Val Variant(std::string label, std::optional<Val> payload);
  static Val Enum(std::string label);
  static Val Option(std::optional<Val> payload);
  static Val Result(bool ok, std::optional<Val> payload);
  static Val Flags(std::vector<std::string> set);
  static Val Own(uint32_t handle);
  static Val Borrow(uint32_t handle);

  ValKind kind() const { return kind_; }

  bool as_bool() const { return bits_ != 0; }
  int64_t as_s64() const { return static_cast<int64_t>(bits_); }  // any signed integer
  uint64_t as_u64() const { return bits_; }                       // any unsigned integer
  float as_f32() const;
  double as_f64() const;
  char32_t as_char() const { return static_cast<char32_t>(bits_); }
  const std::string& as_string() const { return str_; }
  uint32_t handle() const { return static_cast<uint32_t>(bits_); }

  // list, tuple: the elements; record: the field values (names in field_names()). A packed
  // list (Bytes, F32s, PackedList) is unpacked on the first call (not thread-safe on a shared
  // Val).
  const std::vector<Val>& elements() const {
    if (packed_ && elems_.size() != list_size()) Unpack();
    return elems_;
  }
  // Moves the elements out (list, tuple, record values), leaving this Val empty of them.
  std::vector<Val> take_elements() {
    if (packed_) {
      Unpack();
      packed_ = false;
      str_.clear();
    }
    return std::move(elems_);
  }
  // list: the number of elements (packed or not).
  size_t list_size() const { return packed_ ? str_.size() / PackedElemSize() : elems_.size(); }
  // A packed list<u8> (made by Bytes or lifted from memory): its bytes without unpacking.
  bool is_packed_bytes() const { return packed_ && packed_elem_ == ValKind::kU8; }
  // A packed list of any number type: its element kind, and its raw little-endian bytes.
  bool is_packed() const { return packed_; }
  ValKind packed_elem() const { return packed_elem_; }
  std::span<const uint8_t> packed_bytes() const {
    return {reinterpret_cast<const uint8_t*>(str_.data()), str_.size()};
  }
  const std::vector<std::string>& field_names() const { return names_; }
  // record: the field of that name, or null.
  const Val* field(std::string_view name) const;
  // list<u8>: the bytes (one block copy when packed).
  std::vector<uint8_t> as_bytes() const;
  // list<u8>: a view of the bytes without a copy, valid while this Val lives unchanged. A
  // list<u8> made of U8 Vals (Val::List) is packed on the first call (not thread-safe on a
  // shared Val, as elements() is not); empty for any other Val.
  std::span<const uint8_t> bytes() const;
  // list<f32>: the floats (packed or a List of F32 Vals).
  std::vector<float> as_f32s() const;
  // A packed list<f32>: a view of its floats without a copy, valid while this Val lives
  // unchanged; empty for any other Val.
  std::span<const float> packed_f32s() const;
  // variant, enum: the case label.
  const std::string& label() const { return str_; }
  // variant, option, result: the payload, or null.
  const Val* payload() const { return elems_.empty() ? nullptr : &elems_[0]; }
  bool is_some() const { return bits_ != 0; }  // option
  bool is_ok() const { return bits_ != 0; }    // result
  // flags: the labels that are set.
  const std::vector<std::string>& flags() const { return names_; }

  bool operator==(const Val& o) const;
  // WAVE-like text: `"str"`, `[1, 2]`, `{a: 1}`, `(1, "x")`, `case(payload)`, `some(1)`,
  // `ok("x")`, `{read, write}`.
  std::string ToString() const;

 private:
  // Instantiation rewrites own/borrow values in place (guest reps <-> host handles).
  friend struct ValAccess;
  void Unpack() const;
  size_t PackedElemSize() const;

  ValKind kind_ = ValKind::kBool;
  // A list of numbers whose raw bytes are in str_ (bytes() may pack a list<u8> of U8 Vals
  // lazily, keeping elems_ too, hence mutable).
  mutable bool packed_ = false;
  ValKind packed_elem_ = ValKind::kU8;
  uint64_t bits_ = 0;
  mutable std::string str_;
  mutable std::vector<Val> elems_;
  std::vector<std::string> names_;
};

// Whether `v` is a value of type `t` (labels, arity and integer ranges checked).
bool ValMatchesType(const Val& v, const ValTypePtr& t);

}  // namespace lokust::component
