// Canonical ABI: see canonical_abi.h. Function names and structure follow
// design/mvp/canonical-abi/definitions.py; comments name the spec function where a C++
// helper splits or merges one.
#include "engine/component/canonical_abi.h"

#include <cmath>
#include <cstring>

#include "engine/component/reader.h"
#include "engine/component/utf8.h"

namespace lokust::component {
namespace {

Error TrapMsg(const std::string& m) { return Trap(m); }

// The spec's trap text, then what an embedder debugging a guest needs: where and how much
// against what the memory has, or which discriminant against how many cases.
std::string RangeText(uint64_t ptr, uint64_t len, uint64_t mem_size) {
  return " (" + std::to_string(len) + " bytes at " + std::to_string(ptr) + "; the memory has " +
         std::to_string(mem_size) + ")";
}
Error BadDiscriminant(uint64_t index, const ValType& t, size_t n_cases) {
  return TrapMsg("invalid variant discriminant " + std::to_string(index) + " (" +
                 ValKindName(t.kind) + " with " + std::to_string(n_cases) + " cases)");
}

Field MakeField(std::string l, ValTypePtr t) { return Field{std::move(l), std::move(t)}; }

}  // namespace

// ---------------------------------------------------------------------------------------
// Despecialization

ValTypePtr despecialize(const ValTypePtr& t) {
  switch (t->kind) {
    case ValKind::kTuple: {
      std::vector<Field> fs;
      for (size_t i = 0; i < t->fields.size(); ++i)
        fs.push_back(MakeField(std::to_string(i), t->fields[i].type));
      return ValType::Record(std::move(fs));
    }
    case ValKind::kEnum: {
      std::vector<Field> cs;
      for (auto& l : t->labels) cs.push_back(MakeField(l, nullptr));
      return ValType::Variant(std::move(cs));
    }
    case ValKind::kOption:
      return ValType::Variant({MakeField("none", nullptr), MakeField("some", t->elem)});
    case ValKind::kResult:
      return ValType::Variant({MakeField("ok", t->ok), MakeField("error", t->err)});
    case ValKind::kMap:
      return ValType::List(
          ValType::Record({MakeField("key", t->elem), MakeField("value", t->value)}));
    default:
      return t;
  }
}

// ---------------------------------------------------------------------------------------
// Alignment

// alignment and elem_size switch on the specialized kinds directly (same results as
// despecializing first, without allocating): they run for every value loaded or stored.
namespace {

uint32_t DiscAlignment(size_t ncases) { return ncases <= 256 ? 1 : ncases <= 65536 ? 2 : 4; }

// Variant layout over case payload types (null = no payload).
template <typename Payloads>
uint32_t VariantAlignment(size_t ncases, const Payloads& payloads) {
  uint32_t a = DiscAlignment(ncases);
  for (const ValTypePtr& p : payloads)
    if (p) a = std::max(a, alignment(p));
  return a;
}

template <typename Payloads>
uint32_t VariantSize(size_t ncases, const Payloads& payloads) {
  uint64_t s = DiscAlignment(ncases);  // discriminant size equals its alignment
  uint32_t max_case_align = 1;
  uint32_t cs = 0;
  for (const ValTypePtr& p : payloads) {
    if (!p) continue;
    max_case_align = std::max(max_case_align, alignment(p));
    cs = std::max(cs, elem_size(p));
  }
  s = align_to(s, max_case_align) + cs;
  return static_cast<uint32_t>(align_to(s, VariantAlignment(ncases, payloads)));
}

struct FieldTypes {
  const std::vector<Field>& fields;
  struct It {
    std::vector<Field>::const_iterator i;
    const ValTypePtr& operator*() const { return i->type; }
    It& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const It& o) const { return i != o.i; }
  };
  It begin() const { return {fields.begin()}; }
  It end() const { return {fields.end()}; }
};

// The cases of a variant, enum, option or result as despecialize() would produce them, without
// building the despecialized type.
struct CaseView {
  const ValType& t;
  size_t size() const {
    switch (t.kind) {
      case ValKind::kVariant:
        return t.fields.size();
      case ValKind::kEnum:
        return t.labels.size();
      default:
        return 2;  // option, result
    }
  }
  const ValTypePtr& type(size_t i) const {
    static const ValTypePtr kNone;
    switch (t.kind) {
      case ValKind::kVariant:
        return t.fields[i].type;
      case ValKind::kEnum:
        return kNone;
      case ValKind::kOption:
        return i == 0 ? kNone : t.elem;
      default:
        return i == 0 ? t.ok : t.err;
    }
  }
  std::string label(size_t i) const {
    switch (t.kind) {
      case ValKind::kVariant:
        return t.fields[i].label;
      case ValKind::kEnum:
        return t.labels[i];
      case ValKind::kOption:
        return i == 0 ? "none" : "some";
      default:
        return i == 0 ? "ok" : "error";
    }
  }
  uint32_t max_case_alignment() const {
    uint32_t a = 1;
    for (size_t i = 0; i < size(); ++i)
      if (type(i)) a = std::max(a, alignment(type(i)));
    return a;
  }
  std::vector<CoreValType> flatten() const;  // flatten_variant
};

}  // namespace

namespace {

// alignment, elem_size and flatten_type as the spec computes them; their children's layouts
// come from LayoutOf, so each type is walked once.
uint32_t AlignmentUncached(const ValType* t) {
  switch (t->kind) {
    case ValKind::kBool:
    case ValKind::kS8:
    case ValKind::kU8:
      return 1;
    case ValKind::kS16:
    case ValKind::kU16:
      return 2;
    case ValKind::kS32:
    case ValKind::kU32:
    case ValKind::kF32:
    case ValKind::kChar:
      return 4;
    case ValKind::kS64:
    case ValKind::kU64:
    case ValKind::kF64:
      return 8;
    case ValKind::kString:
    case ValKind::kMap:
      return 4;
    case ValKind::kList:
      return alignment_list(t->elem, t->fixed_length);
    case ValKind::kRecord:
    case ValKind::kTuple:
      return alignment_record(t->fields);
    case ValKind::kVariant:
      return alignment_variant(t->fields);
    case ValKind::kEnum:
      return DiscAlignment(t->labels.size());
    case ValKind::kOption: {
      const ValTypePtr cases[] = {nullptr, t->elem};
      return VariantAlignment(2, cases);
    }
    case ValKind::kResult: {
      const ValTypePtr cases[] = {t->ok, t->err};
      return VariantAlignment(2, cases);
    }
    case ValKind::kFlags:
      return alignment_flags(t->labels);
    case ValKind::kOwn:
    case ValKind::kBorrow:
    case ValKind::kStream:
    case ValKind::kFuture:
    case ValKind::kErrorContext:
      return 4;
  }
  return 1;
}

}  // namespace

uint32_t alignment(const ValTypePtr& t) { return LayoutOf(*t).alignment; }

uint32_t alignment_list(const ValTypePtr& elem_type, std::optional<uint32_t> maybe_length) {
  if (maybe_length) return alignment(elem_type);
  return 4;
}

uint32_t alignment_record(const std::vector<Field>& fields) {
  uint32_t a = 1;
  for (auto& f : fields) a = std::max(a, alignment(f.type));
  return a;
}

uint32_t alignment_variant(const std::vector<Field>& cases) {
  return VariantAlignment(cases.size(), FieldTypes{cases});
}

ValKind discriminant_type(const std::vector<Field>& cases) {
  size_t n = cases.size();
  if (n <= 256) return ValKind::kU8;
  if (n <= 65536) return ValKind::kU16;
  return ValKind::kU32;
}

uint32_t max_case_alignment(const std::vector<Field>& cases) {
  uint32_t a = 1;
  for (auto& c : cases)
    if (c.type) a = std::max(a, alignment(c.type));
  return a;
}

uint32_t alignment_flags(const std::vector<std::string>& labels) {
  size_t n = labels.size();
  if (n <= 8) return 1;
  if (n <= 16) return 2;
  return 4;
}

// ---------------------------------------------------------------------------------------
// Element size

uint64_t align_to(uint64_t ptr, uint32_t alignment) {
  return (ptr + alignment - 1) / alignment * alignment;
}

namespace {

uint32_t ElemSizeUncached(const ValType* t) {
  switch (t->kind) {
    case ValKind::kBool:
    case ValKind::kS8:
    case ValKind::kU8:
      return 1;
    case ValKind::kS16:
    case ValKind::kU16:
      return 2;
    case ValKind::kS32:
    case ValKind::kU32:
    case ValKind::kF32:
    case ValKind::kChar:
      return 4;
    case ValKind::kS64:
    case ValKind::kU64:
    case ValKind::kF64:
      return 8;
    case ValKind::kString:
    case ValKind::kMap:
      return 8;
    case ValKind::kList:
      return elem_size_list(t->elem, t->fixed_length);
    case ValKind::kRecord:
    case ValKind::kTuple:
      return elem_size_record(t->fields);
    case ValKind::kVariant:
      return elem_size_variant(t->fields);
    case ValKind::kEnum:
      return DiscAlignment(t->labels.size());
    case ValKind::kOption: {
      const ValTypePtr cases[] = {nullptr, t->elem};
      return VariantSize(2, cases);
    }
    case ValKind::kResult: {
      const ValTypePtr cases[] = {t->ok, t->err};
      return VariantSize(2, cases);
    }
    case ValKind::kFlags:
      return elem_size_flags(t->labels);
    case ValKind::kOwn:
    case ValKind::kBorrow:
    case ValKind::kStream:
    case ValKind::kFuture:
    case ValKind::kErrorContext:
      return 4;
  }
  return 0;
}

}  // namespace

uint32_t elem_size(const ValTypePtr& t) { return LayoutOf(*t).size; }

uint32_t elem_size_list(const ValTypePtr& elem_type, std::optional<uint32_t> maybe_length) {
  if (maybe_length) return *maybe_length * elem_size(elem_type);
  return 8;
}

uint32_t elem_size_record(const std::vector<Field>& fields) {
  uint64_t s = 0;
  for (auto& f : fields) {
    s = align_to(s, alignment(f.type));
    s += elem_size(f.type);
  }
  return static_cast<uint32_t>(align_to(s, alignment_record(fields)));
}

uint32_t elem_size_variant(const std::vector<Field>& cases) {
  return VariantSize(cases.size(), FieldTypes{cases});
}

uint32_t elem_size_flags(const std::vector<std::string>& labels) {
  size_t n = labels.size();
  if (n <= 8) return 1;
  if (n <= 16) return 2;
  return 4 * num_i32_flags(labels);
}

uint32_t num_i32_flags(const std::vector<std::string>& labels) {
  return static_cast<uint32_t>((labels.size() + 31) / 32);
}

// ---------------------------------------------------------------------------------------
// Flattening

std::vector<CoreValType> CaseView::flatten() const {
  std::vector<CoreValType> flat;
  for (size_t c = 0; c < size(); ++c) {
    if (!type(c)) continue;
    auto ft = flatten_type(type(c));
    for (size_t i = 0; i < ft.size(); ++i) {
      if (i < flat.size())
        flat[i] = join(flat[i], ft[i]);
      else
        flat.push_back(ft[i]);
    }
  }
  std::vector<CoreValType> out{kI32};  // every discriminant type flattens to i32
  out.insert(out.end(), flat.begin(), flat.end());
  return out;
}

namespace {

std::vector<CoreValType> FlattenUncached(const ValType* t) {
  switch (t->kind) {
    case ValKind::kBool:
    case ValKind::kS8:
    case ValKind::kU8:
    case ValKind::kS16:
    case ValKind::kU16:
    case ValKind::kS32:
    case ValKind::kU32:
    case ValKind::kChar:
      return {kI32};
    case ValKind::kS64:
    case ValKind::kU64:
      return {kI64};
    case ValKind::kF32:
      return {kF32};
    case ValKind::kF64:
      return {kF64};
    case ValKind::kString:
      return {kI32, kI32};
    case ValKind::kList:
      if (t->fixed_length) {
        std::vector<CoreValType> out;
        auto e = flatten_type(t->elem);
        for (uint32_t i = 0; i < *t->fixed_length; ++i) out.insert(out.end(), e.begin(), e.end());
        return out;
      }
      return {kI32, kI32};
    case ValKind::kRecord:
    case ValKind::kTuple:
      return flatten_record(t->fields);
    case ValKind::kEnum:
    case ValKind::kOption:
    case ValKind::kResult:
      return CaseView{*t}.flatten();
    case ValKind::kMap:
      return {kI32, kI32};
    case ValKind::kVariant:
      return flatten_variant(t->fields);
    case ValKind::kFlags:
      return std::vector<CoreValType>(num_i32_flags(t->labels), kI32);
    case ValKind::kOwn:
    case ValKind::kBorrow:
    case ValKind::kStream:
    case ValKind::kFuture:
    case ValKind::kErrorContext:
      return {kI32};
    default:
      return {};
  }
}

// The number of flat values of `t` (flatten_type(t).size()) without building them: a
// fixed-length list can flatten to millions.
uint64_t FlatCountUncached(const ValType* t) {
  switch (t->kind) {
    case ValKind::kString:
    case ValKind::kMap:
      return 2;
    case ValKind::kList:
      return t->fixed_length ? *t->fixed_length * LayoutOf(*t->elem).flat_count : 2;
    case ValKind::kRecord:
    case ValKind::kTuple: {
      uint64_t n = 0;
      for (auto& f : t->fields) n += LayoutOf(*f.type).flat_count;
      return n;
    }
    case ValKind::kVariant:
    case ValKind::kEnum:
    case ValKind::kOption:
    case ValKind::kResult: {
      CaseView cases{*t};
      uint64_t n = 0;
      for (size_t i = 0; i < cases.size(); ++i)
        if (cases.type(i)) n = std::max(n, LayoutOf(*cases.type(i)).flat_count);
      return 1 + n;
    }
    case ValKind::kFlags:
      return num_i32_flags(t->labels);
    default:
      return FlattenUncached(t).size();  // one value, or none
  }
}

// Flat signatures longer than this spill to memory, so no lift or lower walks a longer one:
// layouts keep their flat types up to this many.
constexpr uint64_t kCachedFlatMax = MAX_FLAT_PARAMS;

// flatten_type(t) from its layout, or built into `scratch` when too long to be kept there.
const std::vector<CoreValType>& FlatOf(const ValType& t, std::vector<CoreValType>& scratch) {
  const CanonLayout& l = LayoutOf(t);
  if (l.flat_count <= kCachedFlatMax) return l.flat;
  return scratch = FlattenUncached(&t);
}

}  // namespace

std::vector<CoreValType> flatten_type(const ValTypePtr& t) {
  const CanonLayout& l = LayoutOf(*t);
  if (l.flat_count <= kCachedFlatMax) return l.flat;
  return FlattenUncached(t.get());
}

const CanonLayout& LayoutOf(const ValType& t) {
  if (const CanonLayout* l = t.layout.get()) return *l;
  auto* l = new CanonLayout;
  l->alignment = AlignmentUncached(&t);
  l->size = ElemSizeUncached(&t);
  l->flat_count = FlatCountUncached(&t);
  if (l->flat_count <= kCachedFlatMax) l->flat = FlattenUncached(&t);
  switch (t.kind) {
    case ValKind::kVariant:
    case ValKind::kEnum:
    case ValKind::kOption:
    case ValKind::kResult: {
      CaseView cases{t};
      l->payload_offset =
          static_cast<uint32_t>(align_to(DiscAlignment(cases.size()), cases.max_case_alignment()));
      break;
    }
    default:
      break;
  }
  return *t.layout.publish(l);
}

CanonLayoutSlot& CanonLayoutSlot::operator=(const CanonLayoutSlot&) {
  delete p_.exchange(nullptr, std::memory_order_acq_rel);
  return *this;
}

CanonLayoutSlot::~CanonLayoutSlot() { delete p_.load(std::memory_order_acquire); }

const CanonLayout* CanonLayoutSlot::publish(const CanonLayout* l) const {
  const CanonLayout* expected = nullptr;
  if (p_.compare_exchange_strong(expected, l, std::memory_order_acq_rel)) return l;
  delete l;  // another thread computed the same layout first
  return expected;
}

std::vector<CoreValType> flatten_types(const std::vector<ValTypePtr>& ts) {
  std::vector<CoreValType> out;
  for (auto& t : ts) {
    auto f = flatten_type(t);
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

std::vector<CoreValType> flatten_record(const std::vector<Field>& fields) {
  std::vector<CoreValType> flat;
  for (auto& f : fields) {
    auto x = flatten_type(f.type);
    flat.insert(flat.end(), x.begin(), x.end());
  }
  return flat;
}

std::vector<CoreValType> flatten_variant(const std::vector<Field>& cases) {
  std::vector<CoreValType> flat;
  for (auto& c : cases) {
    if (!c.type) continue;
    auto ft = flatten_type(c.type);
    for (size_t i = 0; i < ft.size(); ++i) {
      if (i < flat.size())
        flat[i] = join(flat[i], ft[i]);
      else
        flat.push_back(ft[i]);
    }
  }
  std::vector<CoreValType> out = flatten_type(ValType::Prim(discriminant_type(cases)));
  out.insert(out.end(), flat.begin(), flat.end());
  return out;
}

CoreValType join(CoreValType a, CoreValType b) {
  if (a == b) return a;
  if ((a == kI32 && b == kF32) || (a == kF32 && b == kI32)) return kI32;
  return kI64;
}

CoreFuncType flatten_functype(const FuncType& ft, FlattenContext context) {
  CoreFuncType out;
  out.params = flatten_types(ft.param_types());
  if (out.params.size() > MAX_FLAT_PARAMS) out.params = {kI32};
  out.results = flatten_types(ft.result_types());
  if (out.results.size() > MAX_FLAT_RESULTS) {
    if (context == FlattenContext::kLift) {
      out.results = {kI32};
    } else {
      out.params.push_back(kI32);
      out.results.clear();
    }
  }
  return out;
}

bool needs_memory(const ValTypePtr& t) {
  if (!t) return false;
  switch (t->kind) {
    case ValKind::kString:
    case ValKind::kMap:
      return true;
    case ValKind::kList:
      if (!t->fixed_length) return true;
      return needs_memory(t->elem);
    default:
      break;
  }
  for (auto& f : t->fields)
    if (needs_memory(f.type)) return true;
  return needs_memory(t->elem) || needs_memory(t->ok) || needs_memory(t->err);
}

// ---------------------------------------------------------------------------------------
// Loading

namespace {

size_t MemSize(CallContext& cx) { return cx.opts.memory ? cx.opts.memory->size() : 0; }

uint64_t load_int(CallContext& cx, uint32_t ptr, uint32_t nbytes) {
  uint64_t v = 0;
  std::memcpy(&v, cx.opts.memory->data() + ptr, nbytes);  // little-endian host
  return v;
}

void store_int(CallContext& cx, uint64_t v, uint32_t ptr, uint32_t nbytes) {
  std::memcpy(cx.opts.memory->data() + ptr, &v, nbytes);
}

int64_t SignExtend(uint64_t v, uint32_t nbytes) {
  if (nbytes == 8) return static_cast<int64_t>(v);
  uint32_t bits = nbytes * 8;
  uint64_t m = uint64_t{1} << (bits - 1);
  v &= (uint64_t{1} << bits) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

Result<void> CheckRange(CallContext& cx, uint64_t ptr, uint64_t len) {
  if (!cx.opts.memory) return TrapMsg("canonical option `memory` is required");
  if (ptr + len > MemSize(cx))
    return TrapMsg("out of bounds memory access" + RangeText(ptr, len, MemSize(cx)));
  return {};
}

float DecodeF32(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return canonicalize_nan32(f);
}
double DecodeF64(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return canonicalize_nan64(d);
}

Result<Val> load_record(CallContext& cx, uint32_t ptr, const std::vector<Field>& fields,
                        bool as_tuple);
Result<Val> load_variant_like(CallContext& cx, uint32_t ptr, const ValTypePtr& t);
Result<Val> load_flags(CallContext& cx, uint32_t ptr, const std::vector<std::string>& labels);

std::vector<std::string> unpack_flags_from_int(uint64_t i, const std::vector<std::string>& labels) {
  std::vector<std::string> set;
  for (auto& l : labels) {
    if (i & 1) set.push_back(l);
    i >>= 1;
  }
  return set;
}

uint64_t pack_flags_into_int(const Val& v, const std::vector<std::string>& labels) {
  uint64_t i = 0;
  for (size_t k = 0; k < labels.size(); ++k)
    for (auto& f : v.flags())
      if (f == labels[k]) i |= uint64_t{1} << k;
  return i;
}

// Converts a loaded despecialized variant case back to the specialized Val.
Val SpecializeVariant(const ValTypePtr& t, uint32_t case_index, std::string label,
                      std::optional<Val> payload) {
  switch (t->kind) {
    case ValKind::kEnum:
      return Val::Enum(std::move(label));
    case ValKind::kOption:
      return Val::Option(case_index == 0 ? std::nullopt : std::move(payload));
    case ValKind::kResult:
      return Val::Result(case_index == 0, std::move(payload));
    default:
      return Val::Variant(std::move(label), std::move(payload));
  }
}

// Index of the case a Val selects (match_case), or -1.
int64_t match_case(const Val& v, const ValTypePtr& t) {
  switch (t->kind) {
    case ValKind::kOption:
      return v.is_some() ? 1 : 0;
    case ValKind::kResult:
      return v.is_ok() ? 0 : 1;
    case ValKind::kEnum:
      for (size_t i = 0; i < t->labels.size(); ++i)
        if (t->labels[i] == v.label()) return static_cast<int64_t>(i);
      return -1;
    default:
      for (size_t i = 0; i < t->fields.size(); ++i)
        if (t->fields[i].label == v.label()) return static_cast<int64_t>(i);
      return -1;
  }
}

}  // namespace

float canonicalize_nan32(float f) {
  if (std::isnan(f)) {
    uint32_t b = 0x7fc00000;
    std::memcpy(&f, &b, 4);
  }
  return f;
}
double canonicalize_nan64(double f) {
  if (std::isnan(f)) {
    uint64_t b = 0x7ff8000000000000ull;
    std::memcpy(&f, &b, 8);
  }
  return f;
}

Result<uint32_t> convert_i32_to_char(uint32_t i) {
  if (i >= 0x110000) return TrapMsg("invalid `char` bit pattern");
  if (i >= 0xD800 && i <= 0xDFFF) return TrapMsg("invalid `char` bit pattern");
  return i;
}

Result<Val> load(CallContext& cx, uint32_t ptr, const ValTypePtr& t) {
  const CanonLayout& layout = LayoutOf(*t);
  if (ptr != align_to(ptr, layout.alignment)) return TrapMsg("unaligned pointer");
  LOKUST_CM_TRY(CheckRange(cx, ptr, layout.size));
  switch (t->kind) {
    case ValKind::kBool:
      return Val::Bool(load_int(cx, ptr, 1) != 0);
    case ValKind::kU8:
      return Val::U8(static_cast<uint8_t>(load_int(cx, ptr, 1)));
    case ValKind::kU16:
      return Val::U16(static_cast<uint16_t>(load_int(cx, ptr, 2)));
    case ValKind::kU32:
      return Val::U32(static_cast<uint32_t>(load_int(cx, ptr, 4)));
    case ValKind::kU64:
      return Val::U64(load_int(cx, ptr, 8));
    case ValKind::kS8:
      return Val::S8(static_cast<int8_t>(SignExtend(load_int(cx, ptr, 1), 1)));
    case ValKind::kS16:
      return Val::S16(static_cast<int16_t>(SignExtend(load_int(cx, ptr, 2), 2)));
    case ValKind::kS32:
      return Val::S32(static_cast<int32_t>(SignExtend(load_int(cx, ptr, 4), 4)));
    case ValKind::kS64:
      return Val::S64(static_cast<int64_t>(load_int(cx, ptr, 8)));
    case ValKind::kF32:
      return Val::F32(DecodeF32(static_cast<uint32_t>(load_int(cx, ptr, 4))));
    case ValKind::kF64:
      return Val::F64(DecodeF64(load_int(cx, ptr, 8)));
    case ValKind::kChar: {
      auto c = convert_i32_to_char(static_cast<uint32_t>(load_int(cx, ptr, 4)));
      if (!c) return c.error();
      return Val::Char(static_cast<char32_t>(*c));
    }
    case ValKind::kString:
      return load_string(cx, ptr);
    case ValKind::kList:
      return load_list(cx, ptr, t->elem, t->fixed_length);
    case ValKind::kMap: {
      auto l = load_list(cx, ptr, despecialize(t)->elem, std::nullopt);
      if (!l) return l.error();
      return *l;
    }
    case ValKind::kRecord:
      return load_record(cx, ptr, t->fields, false);
    case ValKind::kTuple:
      return load_record(cx, ptr, t->fields, true);
    case ValKind::kVariant:
    case ValKind::kEnum:
    case ValKind::kOption:
    case ValKind::kResult:
      return load_variant_like(cx, ptr, t);
    case ValKind::kFlags:
      return load_flags(cx, ptr, t->labels);
    case ValKind::kOwn:
    case ValKind::kBorrow: {
      uint32_t i = static_cast<uint32_t>(load_int(cx, ptr, 4));
      if (cx.handles) {
        auto r = t->kind == ValKind::kOwn ? cx.handles->lift_own(*t->resource, i)
                                          : cx.handles->lift_borrow(*t->resource, i);
        if (!r) return r.error();
        i = *r;
      }
      return t->kind == ValKind::kOwn ? Val::Own(i) : Val::Borrow(i);
    }
    default:
      return TrapMsg(std::string("cannot load a value of type ") + ValKindName(t->kind));
  }
}

Result<Val> load_string(CallContext& cx, uint32_t ptr) {
  uint32_t begin = static_cast<uint32_t>(load_int(cx, ptr, 4));
  uint32_t tagged_code_units = static_cast<uint32_t>(load_int(cx, ptr + 4, 4));
  return load_string_from_range(cx, begin, tagged_code_units);
}

Result<Val> load_string_from_range(CallContext& cx, uint32_t ptr, uint32_t tagged_code_units) {
  uint32_t align = 1;
  uint64_t byte_length = tagged_code_units;
  enum { kUtf8, kUtf16, kLatin1 } encoding = kUtf8;
  switch (cx.opts.string_encoding) {
    case StringEncoding::kUtf8:
      break;
    case StringEncoding::kUtf16:
      align = 2;
      byte_length = 2ull * tagged_code_units;
      encoding = kUtf16;
      break;
    case StringEncoding::kLatin1Utf16:
      align = 2;
      if (tagged_code_units & UTF16_TAG) {
        byte_length = 2ull * (tagged_code_units ^ UTF16_TAG);
        encoding = kUtf16;
      } else {
        encoding = kLatin1;
      }
      break;
  }
  if (ptr != align_to(ptr, align)) return TrapMsg("unaligned pointer");
  if (!cx.opts.memory) return TrapMsg("canonical option `memory` is required");
  if (ptr + byte_length > MemSize(cx))
    return TrapMsg("string content out-of-bounds: string pointer/length out of bounds of memory" +
                   RangeText(ptr, byte_length, MemSize(cx)));
  const uint8_t* p = cx.opts.memory->data() + ptr;
  std::string out;
  if (encoding == kUtf8) {
    int bad = detail::CheckUtf8(p, byte_length);
    if (bad == 1) return TrapMsg("invalid utf-8");
    if (bad == 2) return TrapMsg("invalid utf-8: incomplete utf-8 byte sequence");
    out.assign(reinterpret_cast<const char*>(p), byte_length);
  } else if (encoding == kLatin1) {
    for (uint64_t i = 0; i < byte_length; ++i) {
      uint8_t c = p[i];
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
      }
    }
  } else {
    uint64_t n = byte_length / 2;
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t u = p[2 * i] | (p[2 * i + 1] << 8);
      uint32_t cp = u;
      if (u >= 0xd800 && u <= 0xdbff) {
        if (i + 1 >= n) return TrapMsg("invalid utf-16: unpaired surrogate");
        uint32_t u2 = p[2 * i + 2] | (p[2 * i + 3] << 8);
        if (u2 < 0xdc00 || u2 > 0xdfff) return TrapMsg("invalid utf-16: unpaired surrogate");
        cp = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
        ++i;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return TrapMsg("invalid utf-16: unpaired surrogate");
      }
      AppendUtf8(out, cp);
    }
  }
  return Val::String(std::move(out));
}

Result<Val> load_list(CallContext& cx, uint32_t ptr, const ValTypePtr& elem_type,
                      std::optional<uint32_t> maybe_length) {
  if (maybe_length) {
    // load_list_from_valid_range: the elements are inline.
    std::vector<Val> a;
    uint32_t es = elem_size(elem_type);
    for (uint32_t i = 0; i < *maybe_length; ++i) {
      auto v = load(cx, ptr + i * es, elem_type);
      if (!v) return v.error();
      a.push_back(std::move(*v));
    }
    return Val::List(std::move(a));
  }
  uint32_t begin = static_cast<uint32_t>(load_int(cx, ptr, 4));
  uint32_t length = static_cast<uint32_t>(load_int(cx, ptr + 4, 4));
  return load_list_from_range(cx, begin, length, elem_type);
}

namespace {
// The number types a Val keeps packed as a list (everything fixed-size but bool and char, whose
// bit patterns must be validated one by one).
bool IsPackableNumber(ValKind k) {
  switch (k) {
    case ValKind::kS8:
    case ValKind::kU8:
    case ValKind::kS16:
    case ValKind::kU16:
    case ValKind::kS32:
    case ValKind::kU32:
    case ValKind::kS64:
    case ValKind::kU64:
    case ValKind::kF32:
    case ValKind::kF64:
      return true;
    default:
      return false;
  }
}
}  // namespace

Result<Val> load_list_from_range(CallContext& cx, uint32_t ptr, uint32_t length,
                                 const ValTypePtr& elem_type) {
  if (ptr != align_to(ptr, alignment(elem_type))) return TrapMsg("unaligned pointer");
  if (!cx.opts.memory) return TrapMsg("canonical option `memory` is required");
  uint64_t es = elem_size(elem_type);
  if (ptr + uint64_t{length} * es > MemSize(cx))
    return TrapMsg("list content out-of-bounds" +
                   RangeText(ptr, uint64_t{length} * es, MemSize(cx)));
  if (es == 0 && length > 0) return TrapMsg("list element type has zero size");
  if (IsPackableNumber(elem_type->kind)) {
    // A list of fixed-size numbers (list<u8>, tensors as list<f32>): one block copy into a
    // packed Val, not a Val per element. PackedList canonicalises float NaNs, as load does.
    return Val::PackedList(elem_type->kind,
                           std::span<const uint8_t>(cx.opts.memory->data() + ptr, length * es));
  }
  std::vector<Val> a;
  a.reserve(std::min<uint32_t>(length, 1u << 16));  // grows further only with real content
  for (uint32_t i = 0; i < length; ++i) {
    auto v = load(cx, static_cast<uint32_t>(ptr + i * es), elem_type);
    if (!v) return v.error();
    a.push_back(std::move(*v));
  }
  return Val::List(std::move(a));
}

namespace {

Result<Val> load_record(CallContext& cx, uint32_t ptr, const std::vector<Field>& fields,
                        bool as_tuple) {
  std::vector<std::string> names;
  std::vector<Val> values;
  if (!as_tuple) names.reserve(fields.size());
  values.reserve(fields.size());
  uint64_t p = ptr;
  for (auto& f : fields) {
    const CanonLayout& fl = LayoutOf(*f.type);
    p = align_to(p, fl.alignment);
    auto v = load(cx, static_cast<uint32_t>(p), f.type);
    if (!v) return v.error();
    values.push_back(std::move(*v));
    if (!as_tuple) names.push_back(f.label);
    p += fl.size;
  }
  return as_tuple ? Val::Tuple(std::move(values))
                  : Val::Record(std::move(names), std::move(values));
}

// load_variant over the despecialized cases of variant/enum/option/result.
Result<Val> load_variant_like(CallContext& cx, uint32_t ptr, const ValTypePtr& t) {
  CaseView cases{*t};
  uint32_t disc_size = DiscAlignment(cases.size());  // elem_size(discriminant_type(cases))
  uint64_t case_index = load_int(cx, ptr, disc_size);
  if (case_index >= cases.size()) return BadDiscriminant(case_index, *t, cases.size());
  const ValTypePtr& ct = cases.type(case_index);
  uint64_t p = uint64_t{ptr} + LayoutOf(*t).payload_offset;
  std::optional<Val> payload;
  if (ct) {
    auto v = load(cx, static_cast<uint32_t>(p), ct);
    if (!v) return v.error();
    payload = std::move(*v);
  }
  return SpecializeVariant(t, static_cast<uint32_t>(case_index),
                           t->kind == ValKind::kVariant || t->kind == ValKind::kEnum
                               ? cases.label(case_index)
                               : std::string(),
                           std::move(payload));
}

Result<Val> load_flags(CallContext& cx, uint32_t ptr, const std::vector<std::string>& labels) {
  uint32_t size = elem_size_flags(labels);
  uint64_t i = 0;
  if (size <= 8) {
    i = load_int(cx, ptr, size);
  } else {
    for (uint32_t k = 0; k < size / 4 && k < 2; ++k) i |= load_int(cx, ptr + 4 * k, 4) << (32 * k);
  }
  return Val::Flags(unpack_flags_from_int(i, labels));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Storing

namespace {

Result<uint32_t> CallRealloc(CallContext& cx, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  if (!cx.opts.realloc) return TrapMsg("canonical option `realloc` is required");
  return cx.opts.realloc(a, b, c, d);
}

Result<void> store_record(CallContext& cx, const Val& v, uint32_t ptr,
                          const std::vector<Field>& fields);
Result<void> store_variant(CallContext& cx, const Val& v, uint32_t ptr, const ValTypePtr& t);

// The code points of a UTF-8 string (the Val is known-valid UTF-8).
std::vector<char32_t> CodePoints(const std::string& s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    char32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      len = 3;
    } else {
      cp = c & 0x07;
      len = 4;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::vector<uint16_t> EncodeUtf16(const std::vector<char32_t>& cps) {
  std::vector<uint16_t> out;
  for (char32_t cp : cps) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<uint16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<uint16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<uint16_t>(cp));
    }
  }
  return out;
}

Result<void> CheckDst(CallContext& cx, uint32_t ptr, uint32_t align, uint64_t len) {
  if (ptr != align_to(ptr, align)) return TrapMsg("realloc return: result not aligned");
  if (!cx.opts.memory) return TrapMsg("canonical option `memory` is required");
  if (ptr + len > MemSize(cx))
    return TrapMsg("realloc return: beyond end of memory" + RangeText(ptr, len, MemSize(cx)));
  return {};
}

// store_string_copy for a UTF-8 source into a UTF-8 destination.
Result<StoredString> store_string_copy(CallContext& cx, const std::string& src,
                                       uint32_t src_code_units, uint32_t dst_code_unit_size,
                                       uint32_t dst_alignment) {
  uint64_t dst_byte_length = uint64_t{dst_code_unit_size} * src_code_units;
  if (dst_byte_length > MAX_STRING_BYTE_LENGTH) return TrapMsg("string too large");
  auto ptr = CallRealloc(cx, 0, 0, dst_alignment, static_cast<uint32_t>(dst_byte_length));
  if (!ptr) return ptr.error();
  LOKUST_CM_TRY(CheckDst(cx, *ptr, dst_alignment, dst_byte_length));
  if (dst_byte_length) std::memcpy(cx.opts.memory->data() + *ptr, src.data(), dst_byte_length);
  return StoredString{*ptr, src_code_units};
}

Result<StoredString> store_utf8_to_utf16(CallContext& cx, const std::string& src,
                                         uint32_t src_code_units) {
  uint64_t worst_case_size = 2ull * src_code_units;
  if (worst_case_size > MAX_STRING_BYTE_LENGTH) return TrapMsg("string too large");
  auto ptr = CallRealloc(cx, 0, 0, 2, static_cast<uint32_t>(worst_case_size));
  if (!ptr) return ptr.error();
  LOKUST_CM_TRY(CheckDst(cx, *ptr, 2, worst_case_size));
  auto encoded = EncodeUtf16(CodePoints(src));
  uint32_t p = *ptr;
  if (!encoded.empty()) std::memcpy(cx.opts.memory->data() + p, encoded.data(), encoded.size() * 2);
  if (encoded.size() * 2 < worst_case_size) {
    auto np = CallRealloc(cx, p, static_cast<uint32_t>(worst_case_size), 2,
                          static_cast<uint32_t>(encoded.size() * 2));
    if (!np) return np.error();
    LOKUST_CM_TRY(CheckDst(cx, *np, 2, encoded.size() * 2));
    p = *np;
  }
  return StoredString{p, static_cast<uint32_t>(encoded.size())};
}

Result<StoredString> store_string_to_latin1_or_utf16(CallContext& cx, const std::string& src,
                                                     uint32_t src_code_units) {
  auto ptr = CallRealloc(cx, 0, 0, 2, src_code_units);
  if (!ptr) return ptr.error();
  LOKUST_CM_TRY(CheckDst(cx, *ptr, 2, src_code_units));
  uint32_t p = *ptr;
  uint8_t* mem = cx.opts.memory->data();
  uint32_t dst_byte_length = 0;
  auto cps = CodePoints(src);
  for (char32_t usv : cps) {
    if (usv < (1u << 8)) {
      mem[p + dst_byte_length] = static_cast<uint8_t>(usv);
      dst_byte_length += 1;
    } else {
      uint64_t worst_case_size = 2ull * src_code_units;
      if (worst_case_size > MAX_STRING_BYTE_LENGTH) return TrapMsg("string too large");
      auto np = CallRealloc(cx, p, src_code_units, 2, static_cast<uint32_t>(worst_case_size));
      if (!np) return np.error();
      LOKUST_CM_TRY(CheckDst(cx, *np, 2, worst_case_size));
      p = *np;
      mem = cx.opts.memory->data();
      for (int64_t j = static_cast<int64_t>(dst_byte_length) - 1; j >= 0; --j) {
        mem[p + 2 * j] = mem[p + j];
        mem[p + 2 * j + 1] = 0;
      }
      auto encoded = EncodeUtf16(cps);
      std::memcpy(mem + p + 2 * dst_byte_length, encoded.data() + dst_byte_length,
                  (encoded.size() - dst_byte_length) * 2);
      if (worst_case_size > encoded.size() * 2) {
        auto rp = CallRealloc(cx, p, static_cast<uint32_t>(worst_case_size), 2,
                              static_cast<uint32_t>(encoded.size() * 2));
        if (!rp) return rp.error();
        LOKUST_CM_TRY(CheckDst(cx, *rp, 2, encoded.size() * 2));
        p = *rp;
      }
      return StoredString{p, static_cast<uint32_t>(encoded.size()) | UTF16_TAG};
    }
  }
  if (dst_byte_length < src_code_units) {
    auto rp = CallRealloc(cx, p, src_code_units, 2, dst_byte_length);
    if (!rp) return rp.error();
    LOKUST_CM_TRY(CheckDst(cx, *rp, 2, dst_byte_length));
    p = *rp;
  }
  return StoredString{p, dst_byte_length};
}

}  // namespace

Result<StoredString> store_string_into_range(CallContext& cx, const std::string& utf8) {
  // Host strings are UTF-8: src_encoding = 'utf8', src_code_units = byte length.
  if (utf8.size() > MAX_STRING_BYTE_LENGTH) return TrapMsg("string too large");
  uint32_t src_code_units = static_cast<uint32_t>(utf8.size());
  switch (cx.opts.string_encoding) {
    case StringEncoding::kUtf8:
      return store_string_copy(cx, utf8, src_code_units, 1, 1);
    case StringEncoding::kUtf16:
      return store_utf8_to_utf16(cx, utf8, src_code_units);
    case StringEncoding::kLatin1Utf16:
      return store_string_to_latin1_or_utf16(cx, utf8, src_code_units);
  }
  return TrapMsg("unknown string encoding");
}

Result<void> store_string(CallContext& cx, const Val& v, uint32_t ptr) {
  auto r = store_string_into_range(cx, v.as_string());
  if (!r) return r.error();
  store_int(cx, r->ptr, ptr, 4);
  store_int(cx, r->tagged_code_units, ptr + 4, 4);
  return {};
}

namespace {

Result<std::pair<uint32_t, uint32_t>> store_list_into_range(CallContext& cx, const Val& v,
                                                            const ValTypePtr& elem_type) {
  uint64_t byte_length = v.list_size() * uint64_t{elem_size(elem_type)};
  if (byte_length >= (uint64_t{1} << 32)) return TrapMsg("list too large");
  uint32_t align = alignment(elem_type);
  auto ptr = CallRealloc(cx, 0, 0, align, static_cast<uint32_t>(byte_length));
  if (!ptr) return ptr.error();
  LOKUST_CM_TRY(CheckDst(cx, *ptr, align, byte_length));
  if (v.is_packed() && elem_type->kind == v.packed_elem()) {
    // A packed list: one block copy (memory re-read after realloc). Its float NaNs are already
    // canonical (PackedList), as store's maybe_scramble_nan would make them.
    auto b = v.packed_bytes();
    if (!b.empty()) std::memcpy(cx.opts.memory->data() + *ptr, b.data(), b.size());
    return std::make_pair(*ptr, static_cast<uint32_t>(v.list_size()));
  }
  uint32_t es = elem_size(elem_type);
  for (size_t i = 0; i < v.elements().size(); ++i)
    LOKUST_CM_TRY(store(cx, v.elements()[i], elem_type, static_cast<uint32_t>(*ptr + i * es)));
  return std::make_pair(*ptr, static_cast<uint32_t>(v.elements().size()));
}

}  // namespace

Result<void> store_list(CallContext& cx, const Val& v, uint32_t ptr, const ValTypePtr& elem_type,
                        std::optional<uint32_t> maybe_length) {
  if (maybe_length) {
    // store_list_into_valid_range: inline elements.
    if (v.elements().size() != *maybe_length) return TrapMsg("fixed-length list length mismatch");
    uint32_t es = elem_size(elem_type);
    for (uint32_t i = 0; i < *maybe_length; ++i)
      LOKUST_CM_TRY(store(cx, v.elements()[i], elem_type, ptr + i * es));
    return {};
  }
  auto r = store_list_into_range(cx, v, elem_type);
  if (!r) return r.error();
  store_int(cx, r->first, ptr, 4);
  store_int(cx, r->second, ptr + 4, 4);
  return {};
}

namespace {

Result<void> store_record(CallContext& cx, const Val& v, uint32_t ptr,
                          const std::vector<Field>& fields) {
  if (v.elements().size() != fields.size()) return TrapMsg("record arity mismatch");
  uint64_t p = ptr;
  for (size_t i = 0; i < fields.size(); ++i) {
    const CanonLayout& fl = LayoutOf(*fields[i].type);
    p = align_to(p, fl.alignment);
    LOKUST_CM_TRY(store(cx, v.elements()[i], fields[i].type, static_cast<uint32_t>(p)));
    p += fl.size;
  }
  return {};
}

Result<void> store_variant(CallContext& cx, const Val& v, uint32_t ptr, const ValTypePtr& t) {
  CaseView cases{*t};
  int64_t case_index = match_case(v, t);
  if (case_index < 0) return TrapMsg("value does not match any variant case");
  uint32_t disc_size = DiscAlignment(cases.size());
  store_int(cx, static_cast<uint64_t>(case_index), ptr, disc_size);
  uint64_t p = uint64_t{ptr} + LayoutOf(*t).payload_offset;
  const ValTypePtr& ct = cases.type(case_index);
  if (ct) {
    if (!v.payload()) return TrapMsg("variant case payload missing");
    LOKUST_CM_TRY(store(cx, *v.payload(), ct, static_cast<uint32_t>(p)));
  }
  return {};
}

}  // namespace

Result<void> store(CallContext& cx, const Val& v, const ValTypePtr& t, uint32_t ptr) {
  if (v.kind() != t->kind && !(t->kind == ValKind::kMap && v.kind() == ValKind::kList))
    return TrapMsg(std::string("a ") + ValKindName(v.kind()) + " value cannot be stored as " +
                   ValTypeToString(t));
  const CanonLayout& layout = LayoutOf(*t);
  if (ptr != align_to(ptr, layout.alignment)) return TrapMsg("unaligned pointer");
  LOKUST_CM_TRY(CheckRange(cx, ptr, layout.size));
  switch (t->kind) {
    case ValKind::kBool:
      store_int(cx, v.as_bool() ? 1 : 0, ptr, 1);
      return {};
    case ValKind::kU8:
    case ValKind::kS8:
      store_int(cx, v.as_u64(), ptr, 1);
      return {};
    case ValKind::kU16:
    case ValKind::kS16:
      store_int(cx, v.as_u64(), ptr, 2);
      return {};
    case ValKind::kU32:
    case ValKind::kS32:
      store_int(cx, v.as_u64(), ptr, 4);
      return {};
    case ValKind::kU64:
    case ValKind::kS64:
      store_int(cx, v.as_u64(), ptr, 8);
      return {};
    case ValKind::kF32: {
      // maybe_scramble_nan32: deterministic profile (canonical NaN).
      float f = canonicalize_nan32(v.as_f32());
      uint32_t b;
      std::memcpy(&b, &f, 4);
      store_int(cx, b, ptr, 4);
      return {};
    }
    case ValKind::kF64: {
      double f = canonicalize_nan64(v.as_f64());
      uint64_t b;
      std::memcpy(&b, &f, 8);
      store_int(cx, b, ptr, 8);
      return {};
    }
    case ValKind::kChar: {
      auto c = convert_i32_to_char(v.as_char());  // char_to_i32's assertion, checked
      if (!c) return c.error();
      store_int(cx, *c, ptr, 4);
      return {};
    }
    case ValKind::kString:
      return store_string(cx, v, ptr);
    case ValKind::kList:
      return store_list(cx, v, ptr, t->elem, t->fixed_length);
    case ValKind::kMap:
      return store_list(cx, v, ptr, despecialize(t)->elem, std::nullopt);
    case ValKind::kRecord:
    case ValKind::kTuple:
      return store_record(cx, v, ptr, t->fields);
    case ValKind::kVariant:
    case ValKind::kEnum:
    case ValKind::kOption:
    case ValKind::kResult:
      return store_variant(cx, v, ptr, t);
    case ValKind::kFlags: {
      uint64_t i = pack_flags_into_int(v, t->labels);
      uint32_t size = elem_size_flags(t->labels);
      if (size <= 8) {
        store_int(cx, i, ptr, size);
      } else {
        for (uint32_t k = 0; k < size / 4; ++k)
          store_int(cx, k < 2 ? (i >> (32 * k)) : 0, ptr + 4 * k, 4);
      }
      return {};
    }
    case ValKind::kOwn:
    case ValKind::kBorrow: {
      uint32_t i = v.handle();
      if (cx.handles) {
        auto r = t->kind == ValKind::kOwn ? cx.handles->lower_own(*t->resource, i)
                                          : cx.handles->lower_borrow(*t->resource, i);
        if (!r) return r.error();
        i = *r;
      }
      store_int(cx, i, ptr, 4);
      return {};
    }
    default:
      return TrapMsg(std::string("cannot store a value of type ") + ValKindName(t->kind));
  }
}

// ---------------------------------------------------------------------------------------
// Flat lifting and lowering

CoreValue CoreValue::F32(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return {kF32, b};
}
CoreValue CoreValue::F64(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return {kF64, b};
}
float CoreValue::f32() const {
  uint32_t b = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
double CoreValue::f64() const {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

Result<CoreValue> CoreValueIter::next(CoreValType t) {
  if (!values || i >= values->size()) return TrapMsg("too few core values");
  const CoreValue& v = (*values)[i++];
  if (!(v.type == t)) return TrapMsg("core value type mismatch");
  return v;
}

namespace {

// A CoreValueIter view that coerces the joined flat types of a variant back to the case's
// own types (lift_flat_variant's CoerceValueIter).
Result<Val> lift_flat_variant(CallContext& cx, CoreValueIter& vi, const ValTypePtr& t) {
  CaseView cases{*t};
  std::vector<CoreValType> scratch;
  const std::vector<CoreValType>& flat_types = FlatOf(*t, scratch);  // [0]: the discriminant
  auto disc = vi.next(kI32);
  if (!disc) return disc.error();
  uint32_t case_index = static_cast<uint32_t>(disc->bits);
  if (case_index >= cases.size()) return BadDiscriminant(case_index, *t, cases.size());
  // Read the joined values, coerce to the case's types.
  std::vector<CoreValue> raw;
  raw.reserve(flat_types.size() - 1);
  for (size_t k = 1; k < flat_types.size(); ++k) {
    auto v = vi.next(flat_types[k]);
    if (!v) return v.error();
    raw.push_back(*v);
  }
  const ValTypePtr& ct = cases.type(case_index);
  std::optional<Val> payload;
  if (ct) {
    std::vector<CoreValType> want_scratch;
    const std::vector<CoreValType>& want = FlatOf(*ct, want_scratch);
    std::vector<CoreValue> coerced;
    coerced.reserve(want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      CoreValue have = raw[k];
      CoreValue out{want[k], 0};
      if (have.type == kI32 && want[k] == kF32) {
        out.bits = have.bits & 0xffffffffu;  // decode_i32_as_float
      } else if (have.type == kI64 && want[k] == kI32) {
        out.bits = have.bits & 0xffffffffu;  // wrap_i64_to_i32
      } else if (have.type == kI64 && want[k] == kF32) {
        out.bits = have.bits & 0xffffffffu;
      } else if (have.type == kI64 && want[k] == kF64) {
        out.bits = have.bits;
      } else {
        out.bits = have.bits;
      }
      coerced.push_back(out);
    }
    CoreValueIter inner{&coerced, 0};
    auto v = lift_flat(cx, inner, ct);
    if (!v) return v.error();
    payload = std::move(*v);
  }
  return SpecializeVariant(t, case_index,
                           t->kind == ValKind::kVariant || t->kind == ValKind::kEnum
                               ? cases.label(case_index)
                               : std::string(),
                           std::move(payload));
}

}  // namespace

Result<Val> lift_flat(CallContext& cx, CoreValueIter& vi, const ValTypePtr& t) {
  auto i32 = [&]() -> Result<uint32_t> {
    auto v = vi.next(kI32);
    if (!v) return v.error();
    return static_cast<uint32_t>(v->bits);
  };
  switch (t->kind) {
    case ValKind::kBool: {
      auto v = i32();
      if (!v) return v.error();
      return Val::Bool(*v != 0);
    }
    case ValKind::kU8: {
      auto v = i32();
      if (!v) return v.error();
      return Val::U8(static_cast<uint8_t>(*v));
    }
    case ValKind::kU16: {
      auto v = i32();
      if (!v) return v.error();
      return Val::U16(static_cast<uint16_t>(*v));
    }
    case ValKind::kU32: {
      auto v = i32();
      if (!v) return v.error();
      return Val::U32(*v);
    }
    case ValKind::kS8: {
      auto v = i32();
      if (!v) return v.error();
      return Val::S8(static_cast<int8_t>(*v));
    }
    case ValKind::kS16: {
      auto v = i32();
      if (!v) return v.error();
      return Val::S16(static_cast<int16_t>(*v));
    }
    case ValKind::kS32: {
      auto v = i32();
      if (!v) return v.error();
      return Val::S32(static_cast<int32_t>(*v));
    }
    case ValKind::kU64:
    case ValKind::kS64: {
      auto v = vi.next(kI64);
      if (!v) return v.error();
      return t->kind == ValKind::kU64 ? Val::U64(v->bits) : Val::S64(static_cast<int64_t>(v->bits));
    }
    case ValKind::kF32: {
      auto v = vi.next(kF32);
      if (!v) return v.error();
      return Val::F32(canonicalize_nan32(v->f32()));
    }
    case ValKind::kF64: {
      auto v = vi.next(kF64);
      if (!v) return v.error();
      return Val::F64(canonicalize_nan64(v->f64()));
    }
    case ValKind::kChar: {
      auto v = i32();
      if (!v) return v.error();
      auto c = convert_i32_to_char(*v);
      if (!c) return c.error();
      return Val::Char(static_cast<char32_t>(*c));
    }
    case ValKind::kString: {  // lift_flat_string
      auto ptr = i32();
      if (!ptr) return ptr.error();
      auto packed_length = i32();
      if (!packed_length) return packed_length.error();
      return load_string_from_range(cx, *ptr, *packed_length);
    }
    case ValKind::kList:
    case ValKind::kMap: {  // lift_flat_list
      ValTypePtr elem = t->kind == ValKind::kMap ? despecialize(t)->elem : t->elem;
      if (t->fixed_length) {
        std::vector<Val> a;
        for (uint32_t k = 0; k < *t->fixed_length; ++k) {
          auto v = lift_flat(cx, vi, elem);
          if (!v) return v.error();
          a.push_back(std::move(*v));
        }
        return Val::List(std::move(a));
      }
      auto ptr = i32();
      if (!ptr) return ptr.error();
      auto length = i32();
      if (!length) return length.error();
      return load_list_from_range(cx, *ptr, *length, elem);
    }
    case ValKind::kRecord:
    case ValKind::kTuple: {  // lift_flat_record
      const bool tuple = t->kind == ValKind::kTuple;
      std::vector<std::string> names;
      std::vector<Val> values;
      if (!tuple) names.reserve(t->fields.size());
      values.reserve(t->fields.size());
      for (auto& f : t->fields) {
        auto v = lift_flat(cx, vi, f.type);
        if (!v) return v.error();
        values.push_back(std::move(*v));
        if (!tuple) names.push_back(f.label);
      }
      return tuple ? Val::Tuple(std::move(values))
                   : Val::Record(std::move(names), std::move(values));
    }
    case ValKind::kVariant:
    case ValKind::kEnum:
    case ValKind::kOption:
    case ValKind::kResult:
      return lift_flat_variant(cx, vi, t);
    case ValKind::kFlags: {  // lift_flat_flags
      uint64_t i = 0;
      uint32_t shift = 0;
      for (uint32_t k = 0; k < num_i32_flags(t->labels); ++k) {
        auto v = i32();
        if (!v) return v.error();
        if (shift < 64) i |= uint64_t{*v} << shift;
        shift += 32;
      }
      return Val::Flags(unpack_flags_from_int(i, t->labels));
    }
    case ValKind::kOwn:
    case ValKind::kBorrow: {
      auto v = i32();
      if (!v) return v.error();
      uint32_t h = *v;
      if (cx.handles) {
        auto r = t->kind == ValKind::kOwn ? cx.handles->lift_own(*t->resource, h)
                                          : cx.handles->lift_borrow(*t->resource, h);
        if (!r) return r.error();
        h = *r;
      }
      return t->kind == ValKind::kOwn ? Val::Own(h) : Val::Borrow(h);
    }
    default:
      return TrapMsg(std::string("cannot lift a value of type ") + ValKindName(t->kind));
  }
}

Result<void> lower_flat(CallContext& cx, const Val& v, const ValTypePtr& t,
                        std::vector<CoreValue>& out) {
  if (v.kind() != t->kind && !(t->kind == ValKind::kMap && v.kind() == ValKind::kList))
    return TrapMsg(std::string("a ") + ValKindName(v.kind()) + " value cannot be lowered as " +
                   ValTypeToString(t));
  switch (t->kind) {
    case ValKind::kBool:
      out.push_back(CoreValue::I32(v.as_bool() ? 1 : 0));
      return {};
    case ValKind::kU8:
    case ValKind::kU16:
    case ValKind::kU32:
      out.push_back(CoreValue::I32(static_cast<uint32_t>(v.as_u64())));
      return {};
    case ValKind::kS8:
    case ValKind::kS16:
    case ValKind::kS32:  // lower_flat_signed
      out.push_back(CoreValue::I32(static_cast<uint32_t>(static_cast<int32_t>(v.as_s64()))));
      return {};
    case ValKind::kU64:
    case ValKind::kS64:
      out.push_back(CoreValue::I64(v.as_u64()));
      return {};
    case ValKind::kF32:
      out.push_back(CoreValue::F32(canonicalize_nan32(v.as_f32())));
      return {};
    case ValKind::kF64:
      out.push_back(CoreValue::F64(canonicalize_nan64(v.as_f64())));
      return {};
    case ValKind::kChar: {
      auto c = convert_i32_to_char(v.as_char());
      if (!c) return c.error();
      out.push_back(CoreValue::I32(*c));
      return {};
    }
    case ValKind::kString: {  // lower_flat_string
      auto r = store_string_into_range(cx, v.as_string());
      if (!r) return r.error();
      out.push_back(CoreValue::I32(r->ptr));
      out.push_back(CoreValue::I32(r->tagged_code_units));
      return {};
    }
    case ValKind::kList:
    case ValKind::kMap: {  // lower_flat_list
      ValTypePtr elem = t->kind == ValKind::kMap ? despecialize(t)->elem : t->elem;
      if (t->fixed_length) {
        for (auto& e : v.elements()) LOKUST_CM_TRY(lower_flat(cx, e, elem, out));
        return {};
      }
      auto r = store_list_into_range(cx, v, elem);
      if (!r) return r.error();
      out.push_back(CoreValue::I32(r->first));
      out.push_back(CoreValue::I32(r->second));
      return {};
    }
    case ValKind::kRecord:
    case ValKind::kTuple:  // lower_flat_record
      for (size_t i = 0; i < t->fields.size(); ++i)
        LOKUST_CM_TRY(lower_flat(cx, v.elements()[i], t->fields[i].type, out));
      return {};
    case ValKind::kVariant:
    case ValKind::kEnum:
    case ValKind::kOption:
    case ValKind::kResult: {  // lower_flat_variant
      CaseView cases{*t};
      int64_t case_index = match_case(v, t);
      if (case_index < 0) return TrapMsg("value does not match any variant case");
      std::vector<CoreValType> scratch;
      const std::vector<CoreValType>& flat_types = FlatOf(*t, scratch);  // [0]: discriminant
      std::vector<CoreValue> payload;
      const ValTypePtr& ct = cases.type(case_index);
      if (ct) {
        if (!v.payload()) return TrapMsg("variant case payload missing");
        LOKUST_CM_TRY(lower_flat(cx, *v.payload(), ct, payload));
      }
      out.push_back(CoreValue::I32(static_cast<uint32_t>(case_index)));
      for (size_t i = 0; i + 1 < flat_types.size(); ++i) {
        CoreValType want = flat_types[i + 1];
        if (i < payload.size()) {
          CoreValue have = payload[i];
          CoreValue o{want, have.bits};
          if (want == kI64 && (have.type == kI32 || have.type == kF32))
            o.bits = have.bits & 0xffffffffu;  // zero-extend / reinterpret f32 bits
          out.push_back(o);
        } else {
          out.push_back(CoreValue{want, 0});
        }
      }
      return {};
    }
    case ValKind::kFlags: {  // lower_flat_flags
      uint64_t i = pack_flags_into_int(v, t->labels);
      for (uint32_t k = 0; k < num_i32_flags(t->labels); ++k) {
        out.push_back(CoreValue::I32(k < 2 ? static_cast<uint32_t>(i >> (32 * k)) : 0));
      }
      return {};
    }
    case ValKind::kOwn:
    case ValKind::kBorrow: {
      uint32_t h = v.handle();
      if (cx.handles) {
        auto r = t->kind == ValKind::kOwn ? cx.handles->lower_own(*t->resource, h)
                                          : cx.handles->lower_borrow(*t->resource, h);
        if (!r) return r.error();
        h = *r;
      }
      out.push_back(CoreValue::I32(h));
      return {};
    }
    default:
      return TrapMsg(std::string("cannot lower a value of type ") + ValKindName(t->kind));
  }
}

namespace {

uint64_t FlatCount(const std::vector<ValTypePtr>& ts) {
  uint64_t n = 0;
  for (const auto& t : ts) n += LayoutOf(*t).flat_count;
  return n;
}

// lift_flat_values with the flat count of `ts` known, and `tuple` (tuple<ts...>) made
// beforehand or null (made here if the values spill).
Result<std::vector<Val>> LiftFlatValues(CallContext& cx, uint32_t max_flat, CoreValueIter& vi,
                                        const std::vector<ValTypePtr>& ts, uint64_t flat_count,
                                        ValTypePtr tuple) {
  if (flat_count > max_flat) {
    auto ptr = vi.next(kI32);
    if (!ptr) return ptr.error();
    if (!tuple) tuple = ValType::Tuple(ts);
    auto v = load(cx, static_cast<uint32_t>(ptr->bits), tuple);
    if (!v) return v.error();
    return v->take_elements();  // moved, not copied: results can be large trees
  }
  std::vector<Val> out;
  out.reserve(ts.size());
  for (auto& t : ts) {
    auto v = lift_flat(cx, vi, t);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

// lower_flat_values, the same way.
Result<std::vector<CoreValue>> LowerFlatValues(CallContext& cx, uint32_t max_flat,
                                               const std::vector<Val>& vs,
                                               const std::vector<ValTypePtr>& ts,
                                               uint64_t flat_count, ValTypePtr tuple,
                                               std::optional<uint32_t> out_param) {
  std::vector<CoreValue> flat;
  if (flat_count > max_flat) {
    if (!tuple) tuple = ValType::Tuple(ts);
    const CanonLayout& tl = LayoutOf(*tuple);
    uint32_t ptr;
    if (!out_param) {
      auto p = CallRealloc(cx, 0, 0, tl.alignment, tl.size);
      if (!p) return p.error();
      ptr = *p;
      LOKUST_CM_TRY(CheckDst(cx, ptr, tl.alignment, tl.size));
      flat.push_back(CoreValue::I32(ptr));
    } else {
      ptr = *out_param;
    }
    if (ptr != align_to(ptr, tl.alignment)) return TrapMsg("unaligned pointer");
    LOKUST_CM_TRY(CheckRange(cx, ptr, tl.size));
    // store(tuple) field by field, without copying the values into a tuple Val first.
    if (vs.size() != ts.size()) return TrapMsg("record arity mismatch");
    uint64_t p = ptr;
    for (size_t i = 0; i < ts.size(); ++i) {
      const CanonLayout& l = LayoutOf(*ts[i]);
      p = align_to(p, l.alignment);
      LOKUST_CM_TRY(store(cx, vs[i], ts[i], static_cast<uint32_t>(p)));
      p += l.size;
    }
    return flat;
  }
  flat.reserve(flat_count);
  for (size_t i = 0; i < ts.size(); ++i) LOKUST_CM_TRY(lower_flat(cx, vs[i], ts[i], flat));
  return flat;
}

}  // namespace

Result<std::vector<Val>> lift_flat_values(CallContext& cx, uint32_t max_flat, CoreValueIter& vi,
                                          const std::vector<ValTypePtr>& ts) {
  return LiftFlatValues(cx, max_flat, vi, ts, FlatCount(ts), nullptr);
}

Result<std::vector<CoreValue>> lower_flat_values(CallContext& cx, uint32_t max_flat,
                                                 const std::vector<Val>& vs,
                                                 const std::vector<ValTypePtr>& ts,
                                                 std::optional<uint32_t> out_param) {
  return LowerFlatValues(cx, max_flat, vs, ts, FlatCount(ts), nullptr, out_param);
}

FuncLayout MakeFuncLayout(const FuncType& ft) {
  FuncLayout l;
  l.params = ft.param_types();
  l.results = ft.result_types();
  l.flat_params = FlatCount(l.params);
  l.flat_results = FlatCount(l.results);
  l.params_tuple = ValType::Tuple(l.params);
  l.results_tuple = ValType::Tuple(l.results);
  return l;
}

// ---------------------------------------------------------------------------------------
// Synchronous canon lift / canon lower

Result<std::vector<Val>> canon_lift(CallContext& cx, const FuncType& ft, const CoreCallee& callee,
                                    const std::vector<Val>& args, const PostReturnFn& post_return) {
  return canon_lift(cx, MakeFuncLayout(ft), callee, args, post_return);
}

Result<std::vector<Val>> canon_lift(CallContext& cx, const FuncLayout& layout,
                                    const CoreCallee& callee, const std::vector<Val>& args,
                                    const PostReturnFn& post_return) {
  const std::vector<ValTypePtr>& params = layout.params;
  if (args.size() != params.size()) return TrapMsg("wrong number of arguments");
  for (size_t i = 0; i < args.size(); ++i)
    if (!ValMatchesType(args[i], params[i]))
      return TrapMsg("argument " + std::to_string(i) + " does not match parameter type " +
                     ValTypeToString(params[i]));
  auto flat_args = LowerFlatValues(cx, MAX_FLAT_PARAMS, args, params, layout.flat_params,
                                   layout.params_tuple, std::nullopt);
  if (!flat_args) return flat_args.error();
  auto flat_results = callee(*flat_args);
  if (!flat_results) return flat_results.error();
  CoreValueIter vi{&*flat_results, 0};
  auto results = LiftFlatValues(cx, MAX_FLAT_RESULTS, vi, layout.results, layout.flat_results,
                                layout.results_tuple);
  if (!results) return results.error();
  if (post_return) LOKUST_CM_TRY(post_return(*flat_results));
  return results;
}

Result<std::vector<CoreValue>> canon_lower(CallContext& cx, const FuncType& ft,
                                           const ComponentCallee& callee,
                                           const std::vector<CoreValue>& flat_args,
                                           bool check_results) {
  return canon_lower(cx, MakeFuncLayout(ft), callee, flat_args, check_results);
}

Result<std::vector<CoreValue>> canon_lower(CallContext& cx, const FuncLayout& layout,
                                           const ComponentCallee& callee,
                                           const std::vector<CoreValue>& flat_args,
                                           bool check_results) {
  // flatten_functype(ft, kLower)'s parameter count: the flat parameters (or one pointer to
  // them), plus an out-pointer when the results spill.
  const bool results_spill = layout.flat_results > MAX_FLAT_RESULTS;
  const uint64_t core_params =
      (layout.flat_params > MAX_FLAT_PARAMS ? 1 : layout.flat_params) + (results_spill ? 1 : 0);
  if (flat_args.size() != core_params) return TrapMsg("wrong number of core arguments");
  CoreValueIter vi{&flat_args, 0};
  auto args = LiftFlatValues(cx, MAX_FLAT_PARAMS, vi, layout.params, layout.flat_params,
                             layout.params_tuple);
  if (!args) return args.error();
  auto results = callee(*args);
  if (!results) return results.error();
  const std::vector<ValTypePtr>& rts = layout.results;
  if (results->size() != rts.size()) return TrapMsg("wrong number of results");
  for (size_t i = 0; check_results && i < rts.size(); ++i)
    if (!ValMatchesType((*results)[i], rts[i]))
      return TrapMsg("result does not match result type " + ValTypeToString(rts[i]));
  std::optional<uint32_t> out_param;
  if (results_spill) {
    // The out-pointer is the last flat argument.
    auto p = vi.next(kI32);
    if (!p) return p.error();
    out_param = static_cast<uint32_t>(p->bits);
  }
  return LowerFlatValues(cx, MAX_FLAT_RESULTS, *results, rts, layout.flat_results,
                         layout.results_tuple, out_param);
}

}  // namespace lokust::component
