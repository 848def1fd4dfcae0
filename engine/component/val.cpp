// Val: see val.h.
#include "engine/component/val.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "engine/component/canonical_abi.h"
#include "engine/component/utf8.h"

namespace lokust::component {
namespace {

// Rewrites every NaN of a packed list of T (little-endian, unaligned) with `canonical`, the
// canonical ABI's canonicalize_nan32/64.
template <typename T>
void CanonicalizeNans(std::string& bytes, T (*canonical)(T)) {
  for (size_t o = 0; o + sizeof(T) <= bytes.size(); o += sizeof(T)) {
    T x;
    std::memcpy(&x, bytes.data() + o, sizeof x);
    if (std::isnan(x)) {
      x = canonical(x);
      std::memcpy(bytes.data() + o, &x, sizeof x);
    }
  }
}

std::string QuoteString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

#define LOKUST_VAL_FACTORY(Name, Kind, Type, Expr) \
  Val Val::Name(Type v) {                          \
    Val r;                                         \
    r.kind_ = ValKind::Kind;                       \
    r.bits_ = (Expr);                              \
    return r;                                      \
  }

LOKUST_VAL_FACTORY(Bool, kBool, bool, v ? 1 : 0)
LOKUST_VAL_FACTORY(S8, kS8, int8_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
LOKUST_VAL_FACTORY(U8, kU8, uint8_t, v)
LOKUST_VAL_FACTORY(S16, kS16, int16_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
LOKUST_VAL_FACTORY(U16, kU16, uint16_t, v)
LOKUST_VAL_FACTORY(S32, kS32, int32_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
LOKUST_VAL_FACTORY(U32, kU32, uint32_t, v)
LOKUST_VAL_FACTORY(S64, kS64, int64_t, static_cast<uint64_t>(v))
LOKUST_VAL_FACTORY(U64, kU64, uint64_t, v)
LOKUST_VAL_FACTORY(Char, kChar, char32_t, static_cast<uint64_t>(v))
LOKUST_VAL_FACTORY(Own, kOwn, uint32_t, v)
LOKUST_VAL_FACTORY(Borrow, kBorrow, uint32_t, v)
#undef LOKUST_VAL_FACTORY

Val Val::F32(float v) {
  Val r;
  r.kind_ = ValKind::kF32;
  uint32_t b;
  std::memcpy(&b, &v, 4);
  r.bits_ = b;
  return r;
}
Val Val::F64(double v) {
  Val r;
  r.kind_ = ValKind::kF64;
  std::memcpy(&r.bits_, &v, 8);
  return r;
}
float Val::as_f32() const {
  uint32_t b = static_cast<uint32_t>(bits_);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
double Val::as_f64() const {
  double d;
  std::memcpy(&d, &bits_, 8);
  return d;
}
Val Val::String(std::string utf8) {
  Val r;
  r.kind_ = ValKind::kString;
  r.str_ = std::move(utf8);
  return r;
}
Val Val::List(std::vector<Val> elems) {
  Val r;
  r.kind_ = ValKind::kList;
  r.elems_ = std::move(elems);
  return r;
}
Val Val::Bytes(std::span<const uint8_t> bytes) {
  Val r;
  r.kind_ = ValKind::kList;
  r.packed_ = true;
  r.str_.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return r;
}
Val Val::F32s(std::span<const float> values) {
  return PackedList(ValKind::kF32,
                    {reinterpret_cast<const uint8_t*>(values.data()), values.size_bytes()});
}
Val Val::PackedList(ValKind elem, std::span<const uint8_t> raw) {
  Val r;
  r.kind_ = ValKind::kList;
  r.packed_ = true;
  r.packed_elem_ = elem;
  r.str_.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
  // Canonical NaNs, as lifting a single f32/f64 gives (and lowering would write anyway).
  if (elem == ValKind::kF32) CanonicalizeNans<float>(r.str_, canonicalize_nan32);
  if (elem == ValKind::kF64) CanonicalizeNans<double>(r.str_, canonicalize_nan64);
  return r;
}
size_t Val::PackedElemSize() const {
  switch (packed_elem_) {
    case ValKind::kS16:
    case ValKind::kU16:
      return 2;
    case ValKind::kS32:
    case ValKind::kU32:
    case ValKind::kF32:
      return 4;
    case ValKind::kS64:
    case ValKind::kU64:
    case ValKind::kF64:
      return 8;
    default:
      return 1;
  }
}
// The packed bytes are in the Canonical ABI's little-endian layout; memcpy reads them as host
// numbers only on a little-endian host.
static_assert(std::endian::native == std::endian::little);
void Val::Unpack() const {
  size_t n = list_size(), es = PackedElemSize();
  elems_.clear();
  elems_.reserve(n);
  const char* p = str_.data();
  for (size_t i = 0; i < n; ++i, p += es) {
    switch (packed_elem_) {
#define LOKUST_UNPACK(K, T, MAKE) \
  case ValKind::K: {              \
    T x;                          \
    std::memcpy(&x, p, sizeof x); \
    elems_.push_back(MAKE(x));    \
    break;                        \
  }
      LOKUST_UNPACK(kS8, int8_t, S8)
      LOKUST_UNPACK(kS16, int16_t, S16)
      LOKUST_UNPACK(kU16, uint16_t, U16)
      LOKUST_UNPACK(kS32, int32_t, S32)
      LOKUST_UNPACK(kU32, uint32_t, U32)
      LOKUST_UNPACK(kS64, int64_t, S64)
      LOKUST_UNPACK(kU64, uint64_t, U64)
      LOKUST_UNPACK(kF32, float, F32)
      LOKUST_UNPACK(kF64, double, F64)
#undef LOKUST_UNPACK
      default:
        elems_.push_back(U8(static_cast<uint8_t>(*p)));
    }
  }
}
std::vector<float> Val::as_f32s() const {
  if (packed_) {
    auto s = packed_f32s();
    return std::vector<float>(s.begin(), s.end());
  }
  std::vector<float> out;
  out.reserve(elems_.size());
  for (const auto& e : elems_) out.push_back(e.as_f32());
  return out;
}
std::span<const float> Val::packed_f32s() const {
  if (!packed_ || packed_elem_ != ValKind::kF32) return {};
  // std::string storage is at least 8-byte aligned (heap or in-object), enough for float.
  return {reinterpret_cast<const float*>(str_.data()), str_.size() / sizeof(float)};
}
const Val* Val::field(std::string_view name) const {
  if (kind_ != ValKind::kRecord) return nullptr;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return &elems_[i];
  }
  return nullptr;
}
std::vector<uint8_t> Val::as_bytes() const {
  if (packed_) {
    // From byte pointers, so the copy is one memcpy, not a loop converting char to uint8_t.
    auto b = packed_bytes();
    return std::vector<uint8_t>(b.data(), b.data() + b.size());
  }
  std::vector<uint8_t> out;
  out.reserve(elems_.size());
  for (const auto& e : elems_) out.push_back(static_cast<uint8_t>(e.as_u64()));
  return out;
}
std::span<const uint8_t> Val::bytes() const {
  if (kind_ != ValKind::kList) return {};
  if (packed_) return packed_elem_ == ValKind::kU8 ? packed_bytes() : std::span<const uint8_t>{};
  // An empty list stays unpacked: packing would make it a list<u8> for ValMatchesType.
  if (elems_.empty()) return {};
  for (const auto& e : elems_)
    if (e.kind_ != ValKind::kU8) return {};
  // Packed alongside the elements (both stay valid: list_size() is the same either way).
  str_.resize(elems_.size());
  for (size_t i = 0; i < elems_.size(); ++i) str_[i] = static_cast<char>(elems_[i].bits_);
  packed_ = true;
  return packed_bytes();
}
Val Val::Record(std::vector<std::pair<std::string, Val>> fields) {
  Val r;
  r.kind_ = ValKind::kRecord;
  r.names_.reserve(fields.size());
  r.elems_.reserve(fields.size());
  for (auto& [n, v] : fields) {
    r.names_.push_back(std::move(n));
    r.elems_.push_back(std::move(v));
  }
  return r;
}
Val Val::Record(std::vector<std::string> names, std::vector<Val> values) {
  Val r;
  r.kind_ = ValKind::kRecord;
  r.names_ = std::move(names);
  r.elems_ = std::move(values);
  r.names_.resize(r.elems_.size());  // a shorter list of names still gives one per field
  return r;
}
Val Val::Tuple(std::vector<Val> elems) {
  Val r;
  r.kind_ = ValKind::kTuple;
  r.elems_ = std::move(elems);
  return r;
}
Val Val::Variant(std::string label, std::optional<Val> payload) {
  Val r;
  r.kind_ = ValKind::kVariant;
  r.str_ = std::move(label);
  if (payload) r.elems_.push_back(std::move(*payload));
  return r;
}
Val Val::Enum(std::string label) {
  Val r;
  r.kind_ = ValKind::kEnum;
  r.str_ = std::move(label);
  return r;
}
Val Val::Option(std::optional<Val> payload) {
  Val r;
  r.kind_ = ValKind::kOption;
  r.bits_ = payload ? 1 : 0;
  if (payload) r.elems_.push_back(std::move(*payload));
  return r;
}
Val Val::Result(bool ok, std::optional<Val> payload) {
  Val r;
  r.kind_ = ValKind::kResult;
  r.bits_ = ok ? 1 : 0;
  if (payload) r.elems_.push_back(std::move(*payload));
  return r;
}
Val Val::Flags(std::vector<std::string> set) {
  Val r;
  r.kind_ = ValKind::kFlags;
  r.names_ = std::move(set);
  return r;
}

bool Val::operator==(const Val& o) const {
  if (kind_ != o.kind_) return false;
  if (kind_ == ValKind::kF32) {
    float a = as_f32(), b = o.as_f32();
    return (std::isnan(a) && std::isnan(b)) || bits_ == o.bits_;
  }
  if (kind_ == ValKind::kF64) {
    double a = as_f64(), b = o.as_f64();
    return (std::isnan(a) && std::isnan(b)) || bits_ == o.bits_;
  }
  if (packed_ || o.packed_) {
    // A packed list equals any list of the same values, packed or not. Floats compare as
    // F32/F64 Vals do (all NaNs equal), so raw bytes decide only for integers.
    if (packed_ && o.packed_ && packed_elem_ == o.packed_elem_ && packed_elem_ != ValKind::kF32 &&
        packed_elem_ != ValKind::kF64)
      return str_ == o.str_;
    if (list_size() != o.list_size()) return false;
    return elements() == o.elements();
  }
  return bits_ == o.bits_ && str_ == o.str_ && elems_ == o.elems_ && names_ == o.names_;
}

std::string Val::ToString() const {
  switch (kind_) {
    case ValKind::kBool:
      return bits_ ? "true" : "false";
    case ValKind::kS8:
    case ValKind::kS16:
    case ValKind::kS32:
    case ValKind::kS64:
      return std::to_string(as_s64());
    case ValKind::kU8:
    case ValKind::kU16:
    case ValKind::kU32:
    case ValKind::kU64:
      return std::to_string(as_u64());
    case ValKind::kF32:
    case ValKind::kF64: {
      double d = kind_ == ValKind::kF32 ? as_f32() : as_f64();
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return buf;
    }
    case ValKind::kChar: {
      std::string s = "'";
      AppendUtf8(s, as_char());
      return s + "'";
    }
    case ValKind::kString:
      return QuoteString(str_);
    case ValKind::kList:
    case ValKind::kTuple: {
      elements();  // unpacks a packed list<u8>
      std::string s = kind_ == ValKind::kList ? "[" : "(";
      for (size_t i = 0; i < elems_.size(); ++i) {
        if (i) s += ", ";
        s += elems_[i].ToString();
      }
      return s + (kind_ == ValKind::kList ? "]" : ")");
    }
    case ValKind::kRecord: {
      std::string s = "{";
      for (size_t i = 0; i < elems_.size(); ++i) {
        if (i) s += ", ";
        s += names_[i] + ": " + elems_[i].ToString();
      }
      return s + "}";
    }
    case ValKind::kVariant:
      return elems_.empty() ? str_ : str_ + "(" + elems_[0].ToString() + ")";
    case ValKind::kEnum:
      return str_;
    case ValKind::kOption:
      return bits_ ? "some(" + elems_[0].ToString() + ")" : "none";
    case ValKind::kResult: {
      std::string s = bits_ ? "ok" : "err";
      return elems_.empty() ? s : s + "(" + elems_[0].ToString() + ")";
    }
    case ValKind::kFlags: {
      std::string s = "{";
      for (size_t i = 0; i < names_.size(); ++i) {
        if (i) s += ", ";
        s += names_[i];
      }
      return s + "}";
    }
    case ValKind::kOwn:
      return "own(" + std::to_string(bits_) + ")";
    case ValKind::kBorrow:
      return "borrow(" + std::to_string(bits_) + ")";
    default:
      return "<" + std::string(ValKindName(kind_)) + ">";
  }
}

bool ValMatchesType(const Val& v, const ValTypePtr& t) {
  if (!t) return false;
  ValKind k = t->kind;
  if (k == ValKind::kMap) {  // a list of {key, value} records
    if (v.kind() != ValKind::kList) return false;
    for (auto& e : v.elements()) {
      if (e.kind() != ValKind::kRecord || e.elements().size() != 2 || e.field_names()[0] != "key" ||
          e.field_names()[1] != "value" || !ValMatchesType(e.elements()[0], t->elem) ||
          !ValMatchesType(e.elements()[1], t->value))
        return false;
    }
    return true;
  }
  if (v.kind() != k) return false;
  switch (k) {
    case ValKind::kS8:
      return v.as_s64() >= -128 && v.as_s64() <= 127;
    case ValKind::kU8:
      return v.as_u64() <= 0xff;
    case ValKind::kS16:
      return v.as_s64() >= -32768 && v.as_s64() <= 32767;
    case ValKind::kU16:
      return v.as_u64() <= 0xffff;
    case ValKind::kS32:
      return v.as_s64() >= INT32_MIN && v.as_s64() <= INT32_MAX;
    case ValKind::kU32:
      return v.as_u64() <= 0xffffffffu;
    case ValKind::kChar: {
      uint32_t c = v.as_char();
      return c < 0x110000 && !(c >= 0xd800 && c <= 0xdfff);
    }
    case ValKind::kList:
      if (t->fixed_length && v.list_size() != *t->fixed_length) return false;
      if (v.is_packed()) return t->elem && t->elem->kind == v.packed_elem();
      for (auto& e : v.elements())
        if (!ValMatchesType(e, t->elem)) return false;
      return true;
    case ValKind::kRecord:
      if (v.elements().size() != t->fields.size()) return false;
      for (size_t i = 0; i < t->fields.size(); ++i)
        if (v.field_names()[i] != t->fields[i].label ||
            !ValMatchesType(v.elements()[i], t->fields[i].type))
          return false;
      return true;
    case ValKind::kTuple:
      if (v.elements().size() != t->fields.size()) return false;
      for (size_t i = 0; i < t->fields.size(); ++i)
        if (!ValMatchesType(v.elements()[i], t->fields[i].type)) return false;
      return true;
    case ValKind::kVariant:
      for (auto& c : t->fields)
        if (c.label == v.label()) {
          if (!c.type) return v.payload() == nullptr;
          return v.payload() && ValMatchesType(*v.payload(), c.type);
        }
      return false;
    case ValKind::kEnum:
      for (auto& l : t->labels)
        if (l == v.label()) return true;
      return false;
    case ValKind::kOption:
      return !v.is_some() || (v.payload() && ValMatchesType(*v.payload(), t->elem));
    case ValKind::kResult: {
      const ValTypePtr& pt = v.is_ok() ? t->ok : t->err;
      if (!pt) return v.payload() == nullptr;
      return v.payload() && ValMatchesType(*v.payload(), pt);
    }
    case ValKind::kFlags:
      for (auto& f : v.flags()) {
        bool found = false;
        for (auto& l : t->labels) found |= l == f;
        if (!found) return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace lokust::component
