// Canonical ABI tests: sizes, alignment, flattening, and load/store of every type over a
// plain byte buffer with a bump-allocating realloc.
#include "engine/component/canonical_abi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace lokust::component {
namespace {

struct Env {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(4096, 0);
  MemoryView mem{bytes.data(), bytes.size()};
  uint32_t next = 1024;
  int realloc_calls = 0;
  CallContext cx;

  explicit Env(StringEncoding enc = StringEncoding::kUtf8) {
    cx.opts.memory = &mem;
    cx.opts.string_encoding = enc;
    cx.opts.realloc = [this](uint32_t old_ptr, uint32_t old_size, uint32_t align,
                             uint32_t new_size) -> Result<uint32_t> {
      ++realloc_calls;
      uint32_t p = static_cast<uint32_t>(align_to(next, align));
      if (old_ptr && old_size)
        std::memmove(bytes.data() + p, bytes.data() + old_ptr, std::min(old_size, new_size));
      next = p + new_size;
      return p;
    };
  }
};

ValTypePtr P(ValKind k) { return ValType::Prim(k); }

void RoundTrip(const Val& v, const ValTypePtr& t, StringEncoding enc = StringEncoding::kUtf8) {
  Env env(enc);
  ASSERT_TRUE(ValMatchesType(v, t)) << v.ToString() << " : " << ValTypeToString(t);
  auto s = store(env.cx, v, t, 64);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto l = load(env.cx, 64, t);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(*l, v) << "stored " << v.ToString() << " loaded " << l->ToString();

  // And through the flat representation.
  std::vector<CoreValue> flat;
  auto lf = lower_flat(env.cx, v, t, flat);
  ASSERT_TRUE(lf.ok()) << lf.error().message;
  EXPECT_EQ(flat.size(), flatten_type(t).size());
  CoreValueIter vi{&flat, 0};
  auto back = lift_flat(env.cx, vi, t);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, v);
}

TEST(CanonicalAbi, SizesAndAlignment) {
  EXPECT_EQ(elem_size(P(ValKind::kBool)), 1u);
  EXPECT_EQ(elem_size(P(ValKind::kU64)), 8u);
  EXPECT_EQ(alignment(P(ValKind::kString)), 4u);
  EXPECT_EQ(elem_size(P(ValKind::kString)), 8u);
  auto rec =
      ValType::Record({{"a", P(ValKind::kU8)}, {"b", P(ValKind::kU32)}, {"c", P(ValKind::kU8)}});
  EXPECT_EQ(alignment(rec), 4u);
  EXPECT_EQ(elem_size(rec), 12u);
  auto opt = ValType::Option(P(ValKind::kU64));
  EXPECT_EQ(alignment(opt), 8u);
  EXPECT_EQ(elem_size(opt), 16u);
  auto res = ValType::Result(nullptr, nullptr);
  EXPECT_EQ(elem_size(res), 1u);
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) many.push_back("c" + std::to_string(i));
  EXPECT_EQ(discriminant_type(despecialize(ValType::Enum(many))->fields), ValKind::kU16);
  EXPECT_EQ(elem_size(ValType::Enum(many)), 2u);
  std::vector<std::string> flags17(17, "f");
  EXPECT_EQ(elem_size_flags(flags17), 4u);
  EXPECT_EQ(alignment_flags(flags17), 4u);
  EXPECT_EQ(elem_size(ValType::List(P(ValKind::kU16), 3)), 6u);
  EXPECT_EQ(alignment(ValType::List(P(ValKind::kU16), 3)), 2u);
}

TEST(CanonicalAbi, Flattening) {
  auto v = ValType::Variant({{"a", P(ValKind::kF32)}, {"b", P(ValKind::kU32)}, {"c", nullptr}});
  auto f = flatten_type(v);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0], kI32);
  EXPECT_EQ(f[1], kI32);  // join(f32, i32) = i32
  auto w = ValType::Variant({{"a", P(ValKind::kF32)}, {"b", P(ValKind::kU64)}});
  f = flatten_type(w);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1], kI64);

  FuncType ft;
  for (int i = 0; i < 17; ++i) ft.params.push_back({"p" + std::to_string(i), P(ValKind::kU32)});
  ft.result = P(ValKind::kString);
  CoreFuncType lift = flatten_functype(ft, FlattenContext::kLift);
  EXPECT_EQ(CoreFuncTypeToString(lift), "(func (param i32) (result i32))");
  CoreFuncType lower = flatten_functype(ft, FlattenContext::kLower);
  EXPECT_EQ(CoreFuncTypeToString(lower), "(func (param i32 i32))");
}

TEST(CanonicalAbi, RoundTripEveryType) {
  RoundTrip(Val::Bool(true), P(ValKind::kBool));
  RoundTrip(Val::S8(-5), P(ValKind::kS8));
  RoundTrip(Val::U8(250), P(ValKind::kU8));
  RoundTrip(Val::S16(-30000), P(ValKind::kS16));
  RoundTrip(Val::U16(65000), P(ValKind::kU16));
  RoundTrip(Val::S32(-2000000000), P(ValKind::kS32));
  RoundTrip(Val::U32(4000000000u), P(ValKind::kU32));
  RoundTrip(Val::S64(-(int64_t{1} << 62)), P(ValKind::kS64));
  RoundTrip(Val::U64(~uint64_t{0}), P(ValKind::kU64));
  RoundTrip(Val::F32(3.5f), P(ValKind::kF32));
  RoundTrip(Val::F64(-1e300), P(ValKind::kF64));
  RoundTrip(Val::Char(U'⛳'), P(ValKind::kChar));
  RoundTrip(Val::String("hello ☃ wörld 🍰"), P(ValKind::kString));
  RoundTrip(Val::String(""), P(ValKind::kString));
  RoundTrip(Val::List({Val::U16(1), Val::U16(2), Val::U16(3)}), ValType::List(P(ValKind::kU16)));
  RoundTrip(Val::List({Val::U8(7), Val::U8(8)}), ValType::List(P(ValKind::kU8), 2));
  RoundTrip(Val::List({Val::String("a"), Val::String("bc")}), ValType::List(P(ValKind::kString)));
  auto rec = ValType::Record(
      {{"x", P(ValKind::kU8)}, {"y", P(ValKind::kF64)}, {"s", P(ValKind::kString)}});
  RoundTrip(Val::Record({{"x", Val::U8(1)}, {"y", Val::F64(2.5)}, {"s", Val::String("z")}}), rec);
  RoundTrip(Val::Tuple({Val::S32(-1), Val::Bool(false)}),
            ValType::Tuple({P(ValKind::kS32), P(ValKind::kBool)}));
  auto var =
      ValType::Variant({{"none", nullptr}, {"num", P(ValKind::kF32)}, {"big", P(ValKind::kU64)}});
  RoundTrip(Val::Variant("none", std::nullopt), var);
  RoundTrip(Val::Variant("num", Val::F32(1.25f)), var);
  RoundTrip(Val::Variant("big", Val::U64(0x123456789abcdef0ull)), var);
  RoundTrip(Val::Enum("b"), ValType::Enum({"a", "b", "c"}));
  RoundTrip(Val::Option(std::nullopt), ValType::Option(P(ValKind::kString)));
  RoundTrip(Val::Option(Val::String("x")), ValType::Option(P(ValKind::kString)));
  auto res = ValType::Result(P(ValKind::kU32), P(ValKind::kString));
  RoundTrip(Val::Result(true, Val::U32(9)), res);
  RoundTrip(Val::Result(false, Val::String("bad")), res);
  RoundTrip(Val::Result(true, std::nullopt), ValType::Result(nullptr, nullptr));
  std::vector<std::string> labels;
  for (int i = 0; i < 20; ++i) labels.push_back("f" + std::to_string(i));
  RoundTrip(Val::Flags({"f0", "f9", "f19"}), ValType::Flags(labels));
  RoundTrip(Val::Flags({}), ValType::Flags({"a"}));
  auto rt = NewResourceType("r", true);
  RoundTrip(Val::Own(5), ValType::Own(rt));
  RoundTrip(Val::Borrow(6), ValType::Borrow(rt));
  // Nested: list<record { name: string, tags: list<option<u8>> }>
  auto nested = ValType::List(ValType::Record(
      {{"name", P(ValKind::kString)}, {"tags", ValType::List(ValType::Option(P(ValKind::kU8)))}}));
  RoundTrip(Val::List({Val::Record(
                {{"name", Val::String("n")},
                 {"tags", Val::List({Val::Option(Val::U8(1)), Val::Option(std::nullopt)})}})}),
            nested);
}

// list<u8> travels packed (Val::Bytes, one block copy) and compares equal to the same bytes as
// a list of U8 values, both ways.
TEST(CanonicalAbi, PackedByteLists) {
  const uint8_t raw[] = {0, 1, 2, 250, 255};
  Val packed = Val::Bytes(raw);
  Val unpacked = Val::List({Val::U8(0), Val::U8(1), Val::U8(2), Val::U8(250), Val::U8(255)});
  EXPECT_TRUE(packed.is_packed_bytes());
  EXPECT_EQ(packed, unpacked);
  EXPECT_EQ(unpacked, packed);
  EXPECT_NE(packed, Val::Bytes(std::span<const uint8_t>(raw, 4)));
  EXPECT_NE(packed, Val::List({Val::U16(0), Val::U8(1), Val::U8(2), Val::U8(250), Val::U8(255)}));
  EXPECT_EQ(packed.as_bytes(), std::vector<uint8_t>(raw, raw + 5));
  EXPECT_EQ(packed.list_size(), 5u);
  EXPECT_TRUE(ValMatchesType(packed, ValType::List(P(ValKind::kU8))));
  EXPECT_FALSE(ValMatchesType(packed, ValType::List(P(ValKind::kU16))));
  EXPECT_FALSE(ValMatchesType(packed, ValType::List(P(ValKind::kU8), 4)));
  EXPECT_EQ(packed.ToString(), "[0, 1, 2, 250, 255]");
  ASSERT_EQ(packed.elements().size(), 5u);  // unpacks on demand
  EXPECT_EQ(packed.elements()[3], Val::U8(250));

  auto t = ValType::List(P(ValKind::kU8));
  RoundTrip(packed, t);
  RoundTrip(unpacked, t);
  RoundTrip(Val::Bytes({}), t);
  // Lifted from memory, a list<u8> is packed, and its bytes are the memory's.
  Env env;
  ASSERT_TRUE(store(env.cx, unpacked, t, 64).ok());
  auto l = load(env.cx, 64, t);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_TRUE(l->is_packed_bytes());
  EXPECT_EQ(l->as_bytes(), std::vector<uint8_t>(raw, raw + 5));
  // Out-of-bounds content still traps.
  uint32_t bad[2] = {4090, 100};
  std::memcpy(env.bytes.data() + 128, bad, sizeof bad);
  auto oob = load(env.cx, 128, t);
  ASSERT_FALSE(oob.ok());
  EXPECT_NE(oob.error().message.find("out-of-bounds"), std::string::npos) << oob.error().message;
}

uint32_t F32Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float F32FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// list<f32> (tensors) travels packed too: Val::F32s / lifted lists keep one float buffer, equal
// to the same floats as a list of F32 Vals, with NaNs canonicalised as for a single f32.
TEST(CanonicalAbi, PackedF32Lists) {
  const float raw[] = {0.0f, -0.0f, 1.5f, -3.25e10f, INFINITY};
  Val packed = Val::F32s(raw);
  Val unpacked = Val::List(
      {Val::F32(0.0f), Val::F32(-0.0f), Val::F32(1.5f), Val::F32(-3.25e10f), Val::F32(INFINITY)});
  EXPECT_TRUE(packed.is_packed());
  EXPECT_FALSE(packed.is_packed_bytes());
  EXPECT_EQ(packed.packed_elem(), ValKind::kF32);
  EXPECT_EQ(packed, unpacked);
  EXPECT_EQ(unpacked, packed);
  EXPECT_NE(packed, Val::F32s(std::span<const float>(raw, 4)));
  // -0.0 and 0.0 are different bit patterns and so different values, as for Val::F32.
  const float zeros[] = {0.0f};
  const float negzeros[] = {-0.0f};
  EXPECT_NE(Val::F32s(zeros), Val::F32s(negzeros));
  EXPECT_NE(packed, Val::List({Val::F64(0.0), Val::F32(-0.0f), Val::F32(1.5f), Val::F32(-3.25e10f),
                               Val::F32(INFINITY)}));
  EXPECT_EQ(packed.list_size(), 5u);
  ASSERT_EQ(packed.packed_f32s().size(), 5u);
  EXPECT_EQ(F32Bits(packed.packed_f32s()[1]), F32Bits(-0.0f));
  EXPECT_EQ(packed.as_f32s(), std::vector<float>(raw, raw + 5));
  EXPECT_EQ(unpacked.as_f32s(), std::vector<float>(raw, raw + 5));
  EXPECT_TRUE(unpacked.packed_f32s().empty());
  EXPECT_TRUE(ValMatchesType(packed, ValType::List(P(ValKind::kF32))));
  EXPECT_FALSE(ValMatchesType(packed, ValType::List(P(ValKind::kF64))));
  EXPECT_FALSE(ValMatchesType(packed, ValType::List(P(ValKind::kU32))));
  EXPECT_TRUE(ValMatchesType(packed, ValType::List(P(ValKind::kF32), 5)));
  EXPECT_FALSE(ValMatchesType(packed, ValType::List(P(ValKind::kF32), 4)));
  ASSERT_EQ(packed.elements().size(), 5u);  // unpacks on demand
  EXPECT_EQ(packed.elements()[2], Val::F32(1.5f));
  EXPECT_EQ(packed.ToString(), unpacked.ToString());

  auto t = ValType::List(P(ValKind::kF32));
  RoundTrip(packed, t);
  RoundTrip(unpacked, t);
  RoundTrip(Val::F32s({}), t);
  RoundTrip(packed, ValType::List(P(ValKind::kF32), 5));  // fixed-length: inline elements

  // Lifted from memory: packed, the memory's floats, NaNs (any payload, either sign) made the
  // canonical 0x7fc00000 exactly as load does for one f32.
  Env env;
  const uint32_t bits[] = {F32Bits(2.0f), 0x7fa00001u, 0xffc00123u, 0x7f800000u, 0x7fc00000u};
  std::memcpy(env.bytes.data() + 256, bits, sizeof bits);
  uint32_t desc[2] = {256, 5};
  std::memcpy(env.bytes.data() + 128, desc, sizeof desc);
  auto l = load(env.cx, 128, t);
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_TRUE(l->is_packed());
  auto f = l->packed_f32s();
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(F32Bits(f[0]), F32Bits(2.0f));
  EXPECT_EQ(F32Bits(f[1]), 0x7fc00000u);
  EXPECT_EQ(F32Bits(f[2]), 0x7fc00000u);
  EXPECT_EQ(F32Bits(f[3]), 0x7f800000u);  // +inf is not a NaN
  EXPECT_EQ(F32Bits(f[4]), 0x7fc00000u);
  for (uint32_t i = 0; i < 5; ++i) {
    auto one = load(env.cx, 256 + 4 * i, P(ValKind::kF32));
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(F32Bits(one->as_f32()), F32Bits(f[i])) << "element " << i;
    EXPECT_EQ(l->elements()[i], *one) << "element " << i;
  }
  // Lowering a packed list with a NaN writes the canonical NaN, as storing a Val::F32 does.
  const float with_nan[] = {F32FromBits(0x7f800001u), 1.0f};
  auto s = store(env.cx, Val::F32s(with_nan), t, 192);
  ASSERT_TRUE(s.ok()) << s.error().message;
  uint32_t out_desc[2];
  std::memcpy(out_desc, env.bytes.data() + 192, sizeof out_desc);
  EXPECT_EQ(out_desc[1], 2u);
  EXPECT_EQ(out_desc[0] % 4, 0u);
  uint32_t out_bits[2];
  std::memcpy(out_bits, env.bytes.data() + out_desc[0], sizeof out_bits);
  EXPECT_EQ(out_bits[0], 0x7fc00000u);
  EXPECT_EQ(out_bits[1], F32Bits(1.0f));

  // Misaligned content traps, as for any list<f32>.
  uint32_t misaligned[2] = {258, 2};
  std::memcpy(env.bytes.data() + 136, misaligned, sizeof misaligned);
  auto mis = load(env.cx, 136, t);
  ASSERT_FALSE(mis.ok());
  EXPECT_NE(mis.error().message.find("unaligned"), std::string::npos) << mis.error().message;
  // Content past the end of memory traps: by element count * 4, not by byte count.
  uint32_t oob1[2] = {4084, 4};  // 16 bytes from 4084: 4 past the end
  std::memcpy(env.bytes.data() + 144, oob1, sizeof oob1);
  auto oob = load(env.cx, 144, t);
  ASSERT_FALSE(oob.ok());
  EXPECT_NE(oob.error().message.find("out-of-bounds"), std::string::npos) << oob.error().message;
  uint32_t fits[2] = {4084, 3};  // 12 bytes: exactly to the end
  std::memcpy(env.bytes.data() + 152, fits, sizeof fits);
  auto ok = load(env.cx, 152, t);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->list_size(), 3u);
  // A length whose byte size wraps 32 bits still traps.
  uint32_t wrap[2] = {0, 0x40000001u};
  std::memcpy(env.bytes.data() + 160, wrap, sizeof wrap);
  auto w = load(env.cx, 160, t);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("out-of-bounds"), std::string::npos) << w.error().message;

  // take_elements leaves the Val an unpacked, empty list.
  Val moved = Val::F32s(raw);
  auto elems = moved.take_elements();
  ASSERT_EQ(elems.size(), 5u);
  EXPECT_EQ(elems[4], Val::F32(INFINITY));
  EXPECT_EQ(moved.list_size(), 0u);
}

// The other fixed-size number types are lifted packed as well, with their own element kinds
// (signed values sign-extended when unpacked) and f64 NaNs canonicalised.
TEST(CanonicalAbi, PackedNumberLists) {
  Val s16 = Val::List({Val::S16(-32768), Val::S16(-1), Val::S16(7), Val::S16(32767)});
  Val s8 = Val::List({Val::S8(-128), Val::S8(0), Val::S8(127)});
  Val u64 = Val::List({Val::U64(0), Val::U64(~uint64_t{0}), Val::U64(1)});
  Val s64 = Val::List({Val::S64(INT64_MIN), Val::S64(-2)});
  Val u32 = Val::List({Val::U32(0xffffffffu), Val::U32(3)});
  Val f64 = Val::List({Val::F64(-0.0), Val::F64(NAN), Val::F64(1e300)});
  struct Case {
    Val v;
    ValKind k;
  };
  for (auto& c : {Case{s16, ValKind::kS16}, Case{s8, ValKind::kS8}, Case{u64, ValKind::kU64},
                  Case{s64, ValKind::kS64}, Case{u32, ValKind::kU32}, Case{f64, ValKind::kF64}}) {
    auto t = ValType::List(P(c.k));
    RoundTrip(c.v, t);
    Env env;
    ASSERT_TRUE(store(env.cx, c.v, t, 64).ok());
    auto l = load(env.cx, 64, t);
    ASSERT_TRUE(l.ok()) << l.error().message;
    EXPECT_TRUE(l->is_packed()) << c.v.ToString();
    EXPECT_EQ(l->packed_elem(), c.k);
    EXPECT_EQ(*l, c.v);
    EXPECT_EQ(l->ToString(), c.v.ToString());
    ASSERT_EQ(l->elements().size(), c.v.elements().size());
    for (size_t i = 0; i < c.v.elements().size(); ++i) {
      EXPECT_EQ(l->elements()[i].kind(), c.k);
      EXPECT_EQ(l->elements()[i], c.v.elements()[i]) << i;
    }
    // A packed list lowers again (one block copy) to the same value.
    RoundTrip(*l, t);
    EXPECT_TRUE(ValMatchesType(*l, t));
  }
  // Equal integers but different element kinds are different values.
  EXPECT_NE(Val::PackedList(ValKind::kU16, std::vector<uint8_t>{1, 0}),
            Val::PackedList(ValKind::kS16, std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(Val::PackedList(ValKind::kS16, std::vector<uint8_t>{0xff, 0xff}),
            Val::List({Val::S16(-1)}));
  // f64 NaN payloads lift as the canonical NaN.
  Env env;
  uint64_t nan_bits = 0xfff0000000000001ull;
  std::memcpy(env.bytes.data() + 256, &nan_bits, 8);
  uint32_t desc[2] = {256, 1};
  std::memcpy(env.bytes.data() + 128, desc, sizeof desc);
  auto l = load(env.cx, 128, ValType::List(P(ValKind::kF64)));
  ASSERT_TRUE(l.ok());
  uint64_t got;
  std::memcpy(&got, l->packed_bytes().data(), 8);
  EXPECT_EQ(got, 0x7ff8000000000000ull);
  // Misaligned u64 content traps.
  uint32_t mis[2] = {260, 1};
  std::memcpy(env.bytes.data() + 136, mis, sizeof mis);
  EXPECT_FALSE(load(env.cx, 136, ValType::List(P(ValKind::kU64))).ok());
}

TEST(CanonicalAbi, StringEncodings) {
  for (auto enc : {StringEncoding::kUtf16, StringEncoding::kLatin1Utf16}) {
    RoundTrip(Val::String("plain ascii"), P(ValKind::kString), enc);
    RoundTrip(Val::String("latin1 é ü"), P(ValKind::kString), enc);
    RoundTrip(Val::String("wide ☃ 🍰"), P(ValKind::kString), enc);
  }
  // latin1+utf16: a latin-1 string is stored one byte per char, untagged.
  Env env(StringEncoding::kLatin1Utf16);
  auto r = store_string_into_range(env.cx, "é!");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tagged_code_units, 2u);
  EXPECT_EQ(env.bytes[r->ptr], 0xe9);
  auto w = store_string_into_range(env.cx, "☃");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->tagged_code_units, 1u | UTF16_TAG);
  // utf16: code units, not bytes.
  Env env16(StringEncoding::kUtf16);
  auto u = store_string_into_range(env16.cx, "a🍰");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->tagged_code_units, 3u);
}

TEST(CanonicalAbi, Traps) {
  Env env;
  // Bad UTF-8.
  env.bytes[100] = 0xff;
  auto s = load_string_from_range(env.cx, 100, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, Error::Kind::kTrap);
  // Out of bounds string.
  s = load_string_from_range(env.cx, 4000, 200);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("out of bounds"), std::string::npos);
  // Unaligned UTF-16.
  Env env16(StringEncoding::kUtf16);
  s = load_string_from_range(env16.cx, 101, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("unaligned"), std::string::npos);
  // Unaligned load.
  auto l = load(env.cx, 2, P(ValKind::kU32));
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("unaligned pointer"), std::string::npos);
  // Bad discriminant.
  env.bytes[200] = 7;
  l = load(env.cx, 200, ValType::Enum({"a", "b"}));
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("invalid variant discriminant"), std::string::npos);
  // Bad char.
  uint32_t surrogate = 0xd800;
  std::memcpy(env.bytes.data() + 204, &surrogate, 4);
  l = load(env.cx, 204, P(ValKind::kChar));
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("invalid `char` bit pattern"), std::string::npos);
  // List out of bounds.
  l = load_list_from_range(env.cx, 4000, 100, P(ValKind::kU32));
  ASSERT_FALSE(l.ok());
  // Realloc returning a misaligned pointer.
  Env bad;
  bad.cx.opts.realloc = [](uint32_t, uint32_t, uint32_t, uint32_t) -> Result<uint32_t> {
    return 1u;
  };
  auto st = store(bad.cx, Val::List({Val::U32(1)}), ValType::List(P(ValKind::kU32)), 0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("realloc return: result not aligned"), std::string::npos);
}

TEST(CanonicalAbi, FlagsUpperBitsMaskedAndNanCanonicalized) {
  Env env;
  env.bytes[300] = 0xff;  // 3 flags: only the low 3 bits mean anything
  auto l = load(env.cx, 300, ValType::Flags({"a", "b", "c"}));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->flags().size(), 3u);
  uint32_t nan_bits = 0x7fa00001;
  std::memcpy(env.bytes.data() + 304, &nan_bits, 4);
  l = load(env.cx, 304, P(ValKind::kF32));
  ASSERT_TRUE(l.ok());
  float f = l->as_f32();
  uint32_t back;
  std::memcpy(&back, &f, 4);
  EXPECT_EQ(back, 0x7fc00000u);
}

TEST(CanonicalAbi, FlatValuesSpillToMemory) {
  Env env;
  std::vector<ValTypePtr> ts;
  std::vector<Val> vs;
  for (int i = 0; i < 20; ++i) {
    ts.push_back(P(ValKind::kU32));
    vs.push_back(Val::U32(static_cast<uint32_t>(i * 3)));
  }
  auto flat = lower_flat_values(env.cx, MAX_FLAT_PARAMS, vs, ts);
  ASSERT_TRUE(flat.ok()) << flat.error().message;
  ASSERT_EQ(flat->size(), 1u);  // a pointer to the spilled tuple
  CoreValueIter vi{&*flat, 0};
  auto back = lift_flat_values(env.cx, MAX_FLAT_PARAMS, vi, ts);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, vs);
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

TEST(ComponentVal, TextAndTypeMatching) {
  Val v = Val::Record({{"name", Val::String("a\"b")},
                       {"tags", Val::List({Val::U8(1), Val::U8(2)})},
                       {"opt", Val::Option(std::nullopt)},
                       {"res", Val::Result(false, Val::Enum("bad"))},
                       {"fl", Val::Flags({"x", "z"})},
                       {"c", Val::Char(U'☃')}});
  EXPECT_EQ(v.ToString(),
            "{name: \"a\\\"b\", tags: [1, 2], opt: none, res: err(bad), fl: {x, z}, c: '☃'}");
  auto t = ValType::Record({{"name", ValType::Prim(ValKind::kString)},
                            {"tags", ValType::List(ValType::Prim(ValKind::kU8))},
                            {"opt", ValType::Option(ValType::Prim(ValKind::kU32))},
                            {"res", ValType::Result(nullptr, ValType::Enum({"bad"}))},
                            {"fl", ValType::Flags({"x", "y", "z"})},
                            {"c", ValType::Prim(ValKind::kChar)}});
  EXPECT_TRUE(ValMatchesType(v, t));
  EXPECT_FALSE(ValMatchesType(Val::U32(1), ValType::Prim(ValKind::kS32)));
  EXPECT_FALSE(ValMatchesType(Val::Enum("nope"), ValType::Enum({"a"})));
  EXPECT_FALSE(ValMatchesType(Val::Flags({"q"}), ValType::Flags({"a"})));
  EXPECT_FALSE(ValMatchesType(Val::Char(0xd800), ValType::Prim(ValKind::kChar)));
  EXPECT_EQ(Val::F64(std::nan("")), Val::F64(std::nan("")));
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

// alignment/elem_size/flatten_type handle tuple, enum, option and result directly; they must
// agree with the spec's formulation over despecialize(t).
TEST(CanonicalAbi, SpecializedLayoutsMatchDespecialized) {
  auto P = [](ValKind k) { return ValType::Prim(k); };
  std::vector<std::string> big;
  for (int i = 0; i < 70000; ++i) big.push_back("c" + std::to_string(i));
  std::vector<ValTypePtr> ts = {
      ValType::Tuple({P(ValKind::kU8), P(ValKind::kF64), P(ValKind::kU16)}),
      ValType::Enum({"a", "b"}),
      ValType::Enum(big),
      ValType::Option(P(ValKind::kU64)),
      ValType::Option(ValType::Tuple({P(ValKind::kF32), P(ValKind::kString)})),
      ValType::Result(nullptr, nullptr),
      ValType::Result(P(ValKind::kF32), P(ValKind::kU64)),
      ValType::Result(P(ValKind::kString), nullptr),
      ValType::Option(ValType::Result(P(ValKind::kU8), ValType::Enum({"x"}))),
  };
  for (auto& t : ts) {
    ValTypePtr d = despecialize(t);
    EXPECT_EQ(alignment(t), alignment(d)) << ValTypeToString(t);
    EXPECT_EQ(elem_size(t), elem_size(d)) << ValTypeToString(t);
    EXPECT_EQ(flatten_type(t), flatten_type(d)) << ValTypeToString(t);
  }
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

// canon_lift then canon_lower against a fake "core function" working on the same byte buffer:
// string in, record out (spilled through a return pointer), post-return observed.
TEST(CanonicalAbi, CanonLiftAndLowerRoundTrip) {
  Env env;
  FuncType ft;
  ft.params.push_back({"name", ValType::Prim(ValKind::kString)});
  ft.result = ValType::Record(
      {{"greeting", ValType::Prim(ValKind::kString)}, {"len", ValType::Prim(ValKind::kU32)}});
  // The core callee: (ptr, len) -> retptr, as flatten_functype(ft, lift) says.
  EXPECT_EQ(CoreFuncTypeToString(flatten_functype(ft, FlattenContext::kLift)),
            "(func (param i32 i32) (result i32))");
  bool post_returned = false;
  CoreCallee core = [&](const std::vector<CoreValue>& a) -> Result<std::vector<CoreValue>> {
    // Read the string the host lowered, write "hi <name>" and a record at a return area.
    std::string name(reinterpret_cast<const char*>(env.bytes.data() + a[0].bits), a[1].bits);
    std::string g = "hi " + name;
    std::memcpy(env.bytes.data() + 2000, g.data(), g.size());
    uint32_t rec[3] = {2000, static_cast<uint32_t>(g.size()), static_cast<uint32_t>(name.size())};
    std::memcpy(env.bytes.data() + 1900, rec, sizeof rec);
    return std::vector<CoreValue>{CoreValue::I32(1900)};
  };
  auto r = canon_lift(env.cx, ft, core, {Val::String("bob")},
                      [&](const std::vector<CoreValue>& flat) -> Result<void> {
                        post_returned = flat.size() == 1 && flat[0].bits == 1900;
                        return {};
                      });
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].ToString(), "{greeting: \"hi bob\", len: 3}");
  EXPECT_TRUE(post_returned);

  // canon_lower: core code calls a component function with (ptr, len, retptr).
  EXPECT_EQ(CoreFuncTypeToString(flatten_functype(ft, FlattenContext::kLower)),
            "(func (param i32 i32 i32))");
  std::memcpy(env.bytes.data() + 100, "ann", 3);
  ComponentCallee host = [](const std::vector<Val>& args) -> Result<std::vector<Val>> {
    std::string n = args[0].as_string();
    return std::vector<Val>{Val::Record({{"greeting", Val::String("yo " + n)},
                                         {"len", Val::U32(static_cast<uint32_t>(n.size()))}})};
  };
  auto flat =
      canon_lower(env.cx, ft, host, {CoreValue::I32(100), CoreValue::I32(3), CoreValue::I32(3000)});
  ASSERT_TRUE(flat.ok()) << flat.error().message;
  EXPECT_TRUE(flat->empty());
  auto back = load(env.cx, 3000, ft.result);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->ToString(), "{greeting: \"yo ann\", len: 3}");

  // A host result of the wrong shape is a trap, not a corrupt store.
  ComponentCallee bad = [](const std::vector<Val>&) -> Result<std::vector<Val>> {
    return std::vector<Val>{Val::U32(1)};
  };
  EXPECT_FALSE(
      canon_lower(env.cx, ft, bad, {CoreValue::I32(100), CoreValue::I32(3), CoreValue::I32(3000)})
          .ok());
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

// realloc may grow (and move) the memory; the ABI code re-reads data()/size() after it.
class GrowableMemory : public LinearMemory {
 public:
  std::vector<uint8_t> bytes = std::vector<uint8_t>(64, 0);
  uint8_t* data() override { return bytes.data(); }
  size_t size() const override { return bytes.size(); }
};

TEST(CanonicalAbi, ReallocThatGrowsMemory) {
  GrowableMemory mem;
  CallContext cx;
  cx.opts.memory = &mem;
  for (auto enc : {StringEncoding::kUtf8, StringEncoding::kUtf16, StringEncoding::kLatin1Utf16}) {
    cx.opts.string_encoding = enc;
    cx.opts.realloc = [&mem](uint32_t old_ptr, uint32_t old_size, uint32_t align,
                             uint32_t new_size) -> Result<uint32_t> {
      uint32_t p = static_cast<uint32_t>(align_to(mem.bytes.size(), align));
      mem.bytes.resize(p + new_size + 4096);  // moves the buffer
      if (old_ptr)
        std::memmove(mem.bytes.data() + p, mem.bytes.data() + old_ptr,
                     std::min(old_size, new_size));
      return p;
    };
    std::string s(3000, 'x');
    s += "☃ and é";
    Val v = Val::List({Val::String(s), Val::String("short")});
    auto t = ValType::List(ValType::Prim(ValKind::kString));
    ASSERT_TRUE(store(cx, v, t, 8).ok());
    auto back = load(cx, 8, t);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, v);
  }
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

TEST(CanonicalAbi, MapsAreListsOfKeyValueRecords) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kMap;
  t->elem = ValType::Prim(ValKind::kString);
  t->value = ValType::Prim(ValKind::kU32);
  ValTypePtr map = t;
  Val v = Val::List({Val::Record({{"key", Val::String("a")}, {"value", Val::U32(1)}}),
                     Val::Record({{"key", Val::String("b")}, {"value", Val::U32(2)}})});
  EXPECT_TRUE(ValMatchesType(v, map));
  EXPECT_EQ(elem_size(map), 8u);
  RoundTrip(v, map);
  EXPECT_FALSE(ValMatchesType(Val::List({Val::U32(1)}), map));
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

// Val::bytes(): a view of a packed list<u8> in place; a list of U8 Vals is packed on the first
// call and still reads the same either way; anything else gives an empty view.
TEST(ComponentVal, BytesViewsAPackedListWithoutACopy) {
  const uint8_t raw[] = {9, 0, 255, 7};
  Val packed = Val::Bytes(raw);
  std::span<const uint8_t> b = packed.bytes();
  EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.end()), std::vector<uint8_t>(raw, raw + 4));
  EXPECT_EQ(b.data(), packed.packed_bytes().data());  // the Val's own buffer, not a copy

  Val unpacked = Val::List({Val::U8(9), Val::U8(0), Val::U8(255), Val::U8(7)});
  b = unpacked.bytes();
  EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.end()), std::vector<uint8_t>(raw, raw + 4));
  EXPECT_EQ(unpacked.bytes().data(), b.data());  // packed once, then viewed
  EXPECT_EQ(unpacked, packed);
  ASSERT_EQ(unpacked.elements().size(), 4u);
  EXPECT_EQ(unpacked.elements()[2], Val::U8(255));
  EXPECT_EQ(unpacked.as_bytes(), std::vector<uint8_t>(raw, raw + 4));
  EXPECT_TRUE(ValMatchesType(unpacked, ValType::List(P(ValKind::kU8))));

  EXPECT_TRUE(Val::Bytes({}).bytes().empty());
  Val empty = Val::List({});
  EXPECT_TRUE(empty.bytes().empty());
  // Still a list of any element type: an empty list was not turned into a list<u8>.
  EXPECT_TRUE(ValMatchesType(empty, ValType::List(P(ValKind::kS32))));
  Val u16s = Val::List({Val::U16(1), Val::U16(2)});
  EXPECT_TRUE(u16s.bytes().empty());
  EXPECT_TRUE(ValMatchesType(u16s, ValType::List(P(ValKind::kU16))));
  const float fs[] = {1.0f, 2.0f};
  EXPECT_TRUE(Val::F32s(fs).bytes().empty());
  EXPECT_TRUE(Val::String("abc").bytes().empty());
}

// LayoutOf keeps one layout per type object, equal to what the spec's functions compute, and
// a copy of a type (made to be changed) gets its own.
TEST(CanonicalAbi, LayoutsAreComputedOnceAndMatchTheSpec) {
  auto rec = ValType::Record({{"a", P(ValKind::kU8)},
                              {"b", ValType::Option(P(ValKind::kU64))},
                              {"c", P(ValKind::kString)}});
  const CanonLayout& l = LayoutOf(*rec);
  EXPECT_EQ(&LayoutOf(*rec), &l);  // cached on the type
  EXPECT_EQ(l.alignment, 8u);
  EXPECT_EQ(l.size, 32u);  // u8 @0, option<u64> @8 (16 bytes), string @24
  EXPECT_EQ(l.flat_count, 5u);
  EXPECT_EQ(l.flat, (std::vector<CoreValType>{kI32, kI32, kI64, kI32, kI32}));
  EXPECT_EQ(alignment(rec), alignment_record(rec->fields));
  EXPECT_EQ(elem_size(rec), elem_size_record(rec->fields));
  EXPECT_EQ(flatten_type(rec), flatten_record(rec->fields));

  // Variants: the payload starts after the discriminant, at the widest case's alignment.
  EXPECT_EQ(LayoutOf(*ValType::Option(P(ValKind::kU64))).payload_offset, 8u);
  EXPECT_EQ(LayoutOf(*ValType::Result(P(ValKind::kU8), nullptr)).payload_offset, 1u);
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) many.push_back("c" + std::to_string(i));
  EXPECT_EQ(LayoutOf(*ValType::Enum(many)).payload_offset, 2u);

  // A copy starts without the original's layout: changing it changes its own.
  auto copy = std::make_shared<ValType>(*rec);
  copy->fields.push_back({"d", P(ValKind::kU64)});
  EXPECT_NE(&LayoutOf(*copy), &l);
  EXPECT_EQ(elem_size(copy), 40u);
  EXPECT_EQ(flatten_type(copy).size(), 6u);
  EXPECT_EQ(elem_size(rec), 32u);  // the original's is unchanged

  // A long flattening is counted, not kept; flatten_type still returns all of it.
  auto big = ValType::List(P(ValKind::kU32), 1000);
  EXPECT_EQ(LayoutOf(*big).flat_count, 1000u);
  EXPECT_TRUE(LayoutOf(*big).flat.empty());
  EXPECT_EQ(flatten_type(big).size(), 1000u);
  EXPECT_EQ(elem_size(big), 4000u);
}

// canon_lift/canon_lower with a FuncLayout made once give what the FuncType forms give, call
// after call.
TEST(CanonicalAbi, FuncLayoutMadeOnceLiftsAndLowersTheSame) {
  FuncType ft;
  ft.params.push_back({"name", P(ValKind::kString)});
  ft.params.push_back({"n", P(ValKind::kU32)});
  ft.result = ValType::Result(P(ValKind::kString), P(ValKind::kU8));
  const FuncLayout layout = MakeFuncLayout(ft);
  EXPECT_EQ(layout.params.size(), 2u);
  EXPECT_EQ(layout.flat_params, 3u);
  EXPECT_EQ(layout.flat_results, 3u);  // spills through a return pointer
  ASSERT_TRUE(layout.results_tuple);
  EXPECT_EQ(elem_size(layout.results_tuple), 12u);

  // The core callee writes ok("<name>!") at a return area.
  auto core_for = [](Env& env) {
    return [&env](const std::vector<CoreValue>& a) -> Result<std::vector<CoreValue>> {
      std::string s(reinterpret_cast<const char*>(env.bytes.data() + a[0].bits), a[1].bits);
      s += std::string(a[2].bits, '!');
      std::memcpy(env.bytes.data() + 2000, s.data(), s.size());
      uint32_t ret[3] = {0, 2000, static_cast<uint32_t>(s.size())};  // disc 0 (ok), ptr, len
      std::memcpy(env.bytes.data() + 1900, ret, sizeof ret);
      return std::vector<CoreValue>{CoreValue::I32(1900)};
    };
  };
  for (int call = 0; call < 3; ++call) {
    Env a, b;
    std::vector<Val> args = {Val::String("hey"), Val::U32(static_cast<uint32_t>(call))};
    auto by_type = canon_lift(a.cx, ft, core_for(a), args);
    auto by_layout = canon_lift(b.cx, layout, core_for(b), args);
    ASSERT_TRUE(by_type.ok()) << by_type.error().message;
    ASSERT_TRUE(by_layout.ok()) << by_layout.error().message;
    EXPECT_EQ(*by_type, *by_layout);
    EXPECT_EQ((*by_layout)[0].ToString(), "ok(\"hey" + std::string(call, '!') + "\")");
  }

  ComponentCallee host = [](const std::vector<Val>& args) -> Result<std::vector<Val>> {
    if (args[1].as_u64() == 0) return std::vector<Val>{Val::Result(false, Val::U8(7))};
    return std::vector<Val>{Val::Result(true, Val::String(args[0].as_string() + "?"))};
  };
  for (uint32_t n : {0u, 1u}) {
    Env a, b;
    std::memcpy(a.bytes.data() + 100, "you", 3);
    std::memcpy(b.bytes.data() + 100, "you", 3);
    std::vector<CoreValue> flat = {CoreValue::I32(100), CoreValue::I32(3), CoreValue::I32(n),
                                   CoreValue::I32(3000)};
    auto by_type = canon_lower(a.cx, ft, host, flat);
    auto by_layout = canon_lower(b.cx, layout, host, flat);
    ASSERT_TRUE(by_type.ok()) << by_type.error().message;
    ASSERT_TRUE(by_layout.ok()) << by_layout.error().message;
    EXPECT_TRUE(by_layout->empty());
    EXPECT_EQ(a.bytes, b.bytes);  // the same bytes stored at the out-pointer and beyond
    auto back = load(b.cx, 3000, ft.result);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->ToString(), n ? "ok(\"you?\")" : "err(7)");
    // One flat argument too few is a trap either way.
    flat.pop_back();
    EXPECT_FALSE(canon_lower(b.cx, layout, host, flat).ok());
  }
}

}  // namespace
}  // namespace lokust::component

namespace lokust::component {
namespace {

// Val::Record from names and values side by side is the same record as from pairs.
TEST(ComponentVal, RecordFromNamesAndValues) {
  std::vector<Val> values;
  values.push_back(Val::U32(1));
  values.push_back(Val::String("t"));
  Val a = Val::Record(std::vector<std::string>{"x", "s"}, std::move(values));
  Val b = Val::Record({{"x", Val::U32(1)}, {"s", Val::String("t")}});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.ToString(), "{x: 1, s: \"t\"}");
  ASSERT_NE(a.field("s"), nullptr);
  EXPECT_EQ(a.field("s")->as_string(), "t");
  EXPECT_TRUE(
      ValMatchesType(a, ValType::Record({{"x", P(ValKind::kU32)}, {"s", P(ValKind::kString)}})));
}

}  // namespace
}  // namespace lokust::component
