// Binary decoder: sections into a Module, module-level validation, then each function body
// through the translator.

#include <algorithm>
#include <set>

#include "engine/core/module.h"
#include "engine/core/reader.h"
#include "engine/core/translator.h"

namespace lokust::core {

bool IsValidUtf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

const char* ValTypeName(ValType t) {
  switch (t) {
    case ValType::kI32:
      return "i32";
    case ValType::kI64:
      return "i64";
    case ValType::kF32:
      return "f32";
    case ValType::kF64:
      return "f64";
    case ValType::kV128:
      return "v128";
    case ValType::kFuncRef:
      return "funcref";
    case ValType::kExternRef:
      return "externref";
  }
  return "?";
}

const char* ExternKindName(ExternKind k) {
  switch (k) {
    case ExternKind::kFunc:
      return "func";
    case ExternKind::kTable:
      return "table";
    case ExternKind::kMemory:
      return "memory";
    case ExternKind::kGlobal:
      return "global";
  }
  return "?";
}

std::string FuncTypeToString(const FuncType& t) {
  std::string s = "(";
  for (size_t i = 0; i < t.params.size(); ++i)
    s += (i ? " " : "") + std::string(ValTypeName(t.params[i]));
  s += ") -> (";
  for (size_t i = 0; i < t.results.size(); ++i)
    s += (i ? " " : "") + std::string(ValTypeName(t.results[i]));
  return s + ")";
}

const Export* Module::find_export(std::string_view name) const {
  for (const auto& e : exports)
    if (e.name == name) return &e;
  return nullptr;
}

namespace {

constexpr uint32_t kMaxPages = 65536;

class Decoder {
 public:
  Decoder(std::span<const uint8_t> bytes, const CompileOptions& options)
      : r_(bytes), options_(options) {}

  Result<std::shared_ptr<const Module>> Run();

 private:
  bool ValType_(Reader& r, ValType* out) {
    uint8_t b;
    if (!r.U8(&b)) return false;
    switch (b) {
      case 0x7f:
      case 0x7e:
      case 0x7d:
      case 0x7c:
      case 0x7b:
      case 0x70:
      case 0x6f:
        *out = static_cast<ValType>(b);
        return true;
      default:
        return r.Fail("malformed value type");
    }
  }
  bool RefType(Reader& r, ValType* out) {
    uint8_t b;
    if (!r.U8(&b)) return false;
    if (b != 0x70 && b != 0x6f) return r.Fail("malformed reference type");
    *out = static_cast<ValType>(b);
    return true;
  }
  bool Limits(Reader& r, SizeLimits* out) {
    uint8_t flags;
    if (!r.U8(&flags)) return false;
    if (flags & 0x80) return r.Fail("integer representation too long");
    if (flags > 1) return r.Fail("integer too large");
    if (!r.U32(&out->min)) return false;
    if (flags & 1) {
      uint32_t max;
      if (!r.U32(&max)) return false;
      out->max = max;
    }
    return true;
  }
  bool TableType_(Reader& r, TableType* out) {
    return RefType(r, &out->elem) && Limits(r, &out->limits);
  }
  bool GlobalType_(Reader& r, GlobalType* out) {
    if (!ValType_(r, &out->type)) return false;
    uint8_t m;
    if (!r.U8(&m)) return false;
    if (m > 1) return r.Fail("malformed mutability");
    out->mut = m == 1;
    return true;
  }
  bool Invalid(std::string msg) {
    if (invalid_.empty()) invalid_ = std::move(msg);
    return false;
  }
  bool CheckTableType(const TableType& t) {
    if (t.limits.max && *t.limits.max < t.limits.min)
      return Invalid("size minimum must not be greater than maximum");
    return true;
  }
  bool CheckMemoryType(const MemoryType& t) {
    if (t.limits.min > kMaxPages || (t.limits.max && *t.limits.max > kMaxPages))
      return Invalid("memory size must be at most 65536 pages (4GiB)");
    if (t.limits.max && *t.limits.max < t.limits.min)
      return Invalid("size minimum must not be greater than maximum");
    return true;
  }
  // Constant expression of type `expect`; `num_globals` = globals visible to it.
  bool ConstExpr_(Reader& r, ValType expect, uint32_t num_globals, ConstExpr* out);

  bool TypeSection(Reader& r);
  bool ImportSection(Reader& r);
  bool FunctionSection(Reader& r);
  bool TableSection(Reader& r);
  bool MemorySection(Reader& r);
  bool GlobalSection(Reader& r);
  bool ExportSection(Reader& r);
  bool StartSection(Reader& r);
  bool ElemSection(Reader& r);
  bool DataCountSection(Reader& r);
  bool CodeSection(Reader& r);
  bool DataSection(Reader& r);

  Reader r_;
  CompileOptions options_;
  std::unique_ptr<Module> m_ = std::make_unique<Module>();
  std::string invalid_;
  std::vector<std::span<const uint8_t>> bodies_;
  std::vector<bool> declared_;
  bool has_code_ = false;
  std::optional<uint32_t> data_count_;
  uint32_t declared_funcs_ = 0;
};

bool Decoder::ConstExpr_(Reader& r, ValType expect, uint32_t num_globals, ConstExpr* out) {
  uint8_t op;
  if (!r.U8(&op)) return false;
  ValType type;
  switch (op) {
    case 0x41: {
      int32_t v;
      if (!r.S32(&v)) return false;
      out->op = ConstExpr::Op::kConst;
      out->bits = static_cast<uint32_t>(v);
      type = ValType::kI32;
      break;
    }
    case 0x42: {
      int64_t v;
      if (!r.S64(&v)) return false;
      out->op = ConstExpr::Op::kConst;
      out->bits = static_cast<uint64_t>(v);
      type = ValType::kI64;
      break;
    }
    case 0x43: {
      uint32_t v;
      if (!r.F32Bits(&v)) return false;
      out->op = ConstExpr::Op::kConst;
      out->bits = v;
      type = ValType::kF32;
      break;
    }
    case 0x44: {
      if (!r.F64Bits(&out->bits)) return false;
      out->op = ConstExpr::Op::kConst;
      type = ValType::kF64;
      break;
    }
    case 0xfd: {  // v128.const
      uint32_t sub;
      if (!r.U32(&sub)) return false;
      if (sub != 12) return Invalid("constant expression required");
      if (!r.F64Bits(&out->bits) || !r.F64Bits(&out->hi)) return false;
      out->op = ConstExpr::Op::kConst;
      type = ValType::kV128;
      break;
    }
    case 0xd0: {
      if (!RefType(r, &type)) return false;
      out->op = ConstExpr::Op::kRefNull;
      out->bits = 0;
      break;
    }
    case 0xd2: {
      uint32_t idx;
      if (!r.U32(&idx)) return false;
      if (idx >= m_->func_types.size()) return Invalid("unknown function " + std::to_string(idx));
      declared_[idx] = true;
      out->op = ConstExpr::Op::kRefFunc;
      out->index = idx;
      type = ValType::kFuncRef;
      break;
    }
    case 0x23: {
      uint32_t idx;
      if (!r.U32(&idx)) return false;
      if (idx >= num_globals) return Invalid("unknown global " + std::to_string(idx));
      if (m_->globals[idx].mut) return Invalid("constant expression required");
      out->op = ConstExpr::Op::kGlobalGet;
      out->index = idx;
      type = m_->globals[idx].type;
      break;
    }
    case 0x0b:
      return Invalid("type mismatch");
    default:
      // Any other instruction: well-formed ones are "constant expression required";
      // we cannot decode arbitrary instructions here, so treat them all alike.
      Invalid("constant expression required");
      return false;
  }
  out->type = type;
  uint8_t end;
  if (!r.U8(&end)) return false;
  if (end != 0x0b) {
    // A second instruction: a constant after a constant is a type error, anything else
    // is not constant.
    if (end == 0x41 || end == 0x42 || end == 0x43 || end == 0x44 || end == 0xd0 || end == 0xd2 ||
        end == 0x23)
      return Invalid("type mismatch");
    return Invalid("constant expression required");
  }
  if (type != expect) return Invalid("type mismatch");
  return true;
}

bool Decoder::TypeSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t form;
    if (!r.U8(&form)) return false;
    if (form != 0x60) return r.Fail("integer representation too long");
    FuncType t;
    for (auto* vec : {&t.params, &t.results}) {
      uint32_t k;
      if (!r.U32(&k)) return false;
      if (k > r.remaining()) return r.Fail("unexpected end");
      vec->resize(k);
      for (auto& v : *vec)
        if (!ValType_(r, &v)) return false;
    }
    m_->types.push_back(std::move(t));
  }
  return true;
}

bool Decoder::ImportSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    Import imp;
    if (!r.Name(&imp.module) || !r.Name(&imp.name)) return false;
    uint8_t kind;
    if (!r.U8(&kind)) return false;
    switch (kind) {
      case 0:
        if (!r.U32(&imp.func_type)) return false;
        if (imp.func_type >= m_->types.size())
          return Invalid("unknown type " + std::to_string(imp.func_type));
        m_->func_types.push_back(imp.func_type);
        ++m_->num_imported_funcs;
        break;
      case 1:
        if (!TableType_(r, &imp.table)) return false;
        if (!CheckTableType(imp.table)) return false;
        m_->tables.push_back(imp.table);
        ++m_->num_imported_tables;
        break;
      case 2:
        if (!Limits(r, &imp.memory.limits)) return false;
        if (!CheckMemoryType(imp.memory)) return false;
        m_->memories.push_back(imp.memory);
        ++m_->num_imported_memories;
        break;
      case 3:
        if (!GlobalType_(r, &imp.global)) return false;
        m_->globals.push_back(imp.global);
        ++m_->num_imported_globals;
        break;
      default:
        return r.Fail("malformed import kind");
    }
    imp.kind = static_cast<ExternKind>(kind);
    m_->imports.push_back(std::move(imp));
  }
  return true;
}

bool Decoder::FunctionSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  if (n > r.remaining()) return r.Fail("unexpected end");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t t;
    if (!r.U32(&t)) return false;
    if (t >= m_->types.size()) return Invalid("unknown type " + std::to_string(t));
    m_->func_types.push_back(t);
    FuncCode fc;
    fc.type = t;
    m_->funcs.push_back(std::move(fc));
  }
  declared_funcs_ = n;
  return true;
}

bool Decoder::TableSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    TableType t;
    if (!TableType_(r, &t)) return false;
    if (!CheckTableType(t)) return false;
    m_->tables.push_back(t);
  }
  return true;
}

bool Decoder::MemorySection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    MemoryType t;
    if (!Limits(r, &t.limits)) return false;
    if (!CheckMemoryType(t)) return false;
    m_->memories.push_back(t);
  }
  return true;
}

bool Decoder::GlobalSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    GlobalType t;
    if (!GlobalType_(r, &t)) return false;
    ConstExpr init;
    // Wasm 2.0: a global's initialiser sees only the imported globals.
    if (!ConstExpr_(r, t.type, m_->num_imported_globals, &init)) return false;
    m_->globals.push_back(t);
    m_->global_inits.push_back(init);
  }
  return true;
}

bool Decoder::ExportSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  std::set<std::string> names;
  for (uint32_t i = 0; i < n; ++i) {
    Export e;
    if (!r.Name(&e.name)) return false;
    uint8_t kind;
    if (!r.U8(&kind)) return false;
    if (kind > 3) return r.Fail("malformed export kind");
    e.kind = static_cast<ExternKind>(kind);
    if (!r.U32(&e.index)) return false;
    size_t limit = 0;
    switch (e.kind) {
      case ExternKind::kFunc:
        limit = m_->func_types.size();
        break;
      case ExternKind::kTable:
        limit = m_->tables.size();
        break;
      case ExternKind::kMemory:
        limit = m_->memories.size();
        break;
      case ExternKind::kGlobal:
        limit = m_->globals.size();
        break;
    }
    if (e.index >= limit)
      return Invalid(std::string("unknown ") +
                     (e.kind == ExternKind::kFunc ? "function" : ExternKindName(e.kind)) + " " +
                     std::to_string(e.index));
    if (e.kind == ExternKind::kFunc) declared_[e.index] = true;
    if (!names.insert(e.name).second) return Invalid("duplicate export name");
    m_->exports.push_back(std::move(e));
  }
  return true;
}

bool Decoder::StartSection(Reader& r) {
  uint32_t idx;
  if (!r.U32(&idx)) return false;
  if (idx >= m_->func_types.size()) return Invalid("unknown function " + std::to_string(idx));
  const FuncType& t = m_->func_type(idx);
  if (!t.params.empty() || !t.results.empty()) return Invalid("start function");
  m_->start = idx;
  return true;
}

bool Decoder::ElemSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  uint32_t nglobals = m_->num_imported_globals;  // constant expressions see imports only
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t flags;
    if (!r.U32(&flags)) return false;
    if (flags > 7) return r.Fail("malformed elements segment kind");
    ElemSegment seg;
    seg.mode = (flags & 1) ? ((flags & 2) ? SegmentMode::kDeclarative : SegmentMode::kPassive)
                           : SegmentMode::kActive;
    if (seg.mode == SegmentMode::kActive) {
      if (flags & 2) {
        if (!r.U32(&seg.table)) return false;
      }
      if (!ConstExpr_(r, ValType::kI32, nglobals, &seg.offset)) return false;
    }
    bool exprs = flags & 4;
    if (flags & 3) {
      // Explicit elemkind (0x00 = funcref) or reftype.
      if (exprs) {
        if (!RefType(r, &seg.type)) return false;
      } else {
        uint8_t kind;
        if (!r.U8(&kind)) return false;
        if (kind != 0) return r.Fail("malformed element kind");
        seg.type = ValType::kFuncRef;
      }
    }
    uint32_t count;
    if (!r.U32(&count)) return false;
    if (count > r.remaining()) return r.Fail("unexpected end");
    seg.items.resize(count);
    for (auto& item : seg.items) {
      if (exprs) {
        if (!ConstExpr_(r, seg.type, nglobals, &item)) return false;
      } else {
        uint32_t f;
        if (!r.U32(&f)) return false;
        if (f >= m_->func_types.size()) return Invalid("unknown function " + std::to_string(f));
        declared_[f] = true;
        item.op = ConstExpr::Op::kRefFunc;
        item.type = ValType::kFuncRef;
        item.index = f;
      }
    }
    if (seg.mode == SegmentMode::kActive) {
      if (seg.table >= m_->tables.size())
        return Invalid("unknown table " + std::to_string(seg.table));
      if (m_->tables[seg.table].elem != seg.type) return Invalid("type mismatch");
    }
    m_->elems.push_back(std::move(seg));
  }
  return true;
}

bool Decoder::DataCountSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  data_count_ = n;
  return true;
}

bool Decoder::CodeSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  if (n != declared_funcs_) return r.Fail("function and code section have inconsistent lengths");
  has_code_ = true;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t size;
    if (!r.U32(&size)) return false;
    if (size > r.remaining()) return r.Fail("unexpected end");
    const uint8_t* body;
    if (!r.Bytes(size, &body)) return false;
    bodies_.emplace_back(body, size);
  }
  return true;
}

bool Decoder::DataSection(Reader& r) {
  uint32_t n;
  if (!r.U32(&n)) return false;
  if (data_count_ && *data_count_ != n)
    return r.Fail("data count and data section have inconsistent lengths");
  uint32_t nglobals = m_->num_imported_globals;  // constant expressions see imports only
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t flags;
    if (!r.U32(&flags)) return false;
    if (flags > 2) return r.Fail("malformed data segment kind");
    DataSegment seg;
    if (flags == 1) {
      seg.mode = SegmentMode::kPassive;
    } else {
      seg.mode = SegmentMode::kActive;
      if (flags == 2 && !r.U32(&seg.memory)) return false;
      if (!ConstExpr_(r, ValType::kI32, nglobals, &seg.offset)) return false;
      if (seg.memory >= m_->memories.size())
        return Invalid("unknown memory " + std::to_string(seg.memory));
    }
    uint32_t len;
    if (!r.U32(&len)) return false;
    if (len > r.remaining()) return r.Fail("unexpected end of section or function");
    const uint8_t* b;
    if (!r.Bytes(len, &b)) return false;
    seg.bytes.assign(b, b + len);
    m_->datas.push_back(std::move(seg));
  }
  return true;
}

Result<std::shared_ptr<const Module>> Decoder::Run() {
  const uint8_t* magic;
  size_t head = std::min<size_t>(r_.remaining(), 4);
  if (std::memcmp(r_.pos(), "\0asm", head) != 0) return Malformed("magic header not detected");
  if (head < 4) return Malformed("unexpected end");
  (void)r_.Bytes(4, &magic);
  const uint8_t* version;
  size_t vhead = std::min<size_t>(r_.remaining(), 4);
  if (std::memcmp(r_.pos(), "\x01\0\0\0", vhead) != 0) return Malformed("unknown binary version");
  if (vhead < 4) return Malformed("unexpected end");
  (void)r_.Bytes(4, &version);
  if (std::memcmp(version, "\x01\0\0\0", 4) != 0) return Malformed("unknown binary version");

  // Section order rank: type..start, elem, datacount, code, data.
  auto rank = [](uint8_t id) -> int {
    static const int kRank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return kRank[id];
  };
  int last_rank = 0;
  bool function_section_seen = false;
  while (!r_.at_end()) {
    uint8_t id;
    if (!r_.U8(&id)) break;
    uint32_t size;
    if (!r_.U32(&size)) break;
    if (id > 12) {
      r_.Fail("malformed section id");
      break;
    }
    if (size > r_.remaining()) {
      r_.Fail("length out of bounds");
      break;
    }
    const uint8_t* content;
    (void)r_.Bytes(size, &content);
    Reader sr(content, content + size);
    if (id == 0) {
      CustomSection cs;
      if (!sr.Name(&cs.name)) {
        r_.Fail(sr.error() == "length out of bounds" ? "unexpected end" : sr.error());
        break;
      }
      cs.bytes.assign(sr.pos(), sr.end());
      m_->customs.push_back(std::move(cs));
      continue;
    }
    if (rank(id) <= last_rank) {
      r_.Fail("unexpected content after last section");
      break;
    }
    last_rank = rank(id);
    if (id == 6 || id == 7 || id == 9 || id == 10) {
      if (declared_.size() != m_->func_types.size()) declared_.resize(m_->func_types.size());
    }
    bool ok = true;
    switch (id) {
      case 1:
        ok = TypeSection(sr);
        break;
      case 2:
        ok = ImportSection(sr);
        break;
      case 3:
        ok = FunctionSection(sr);
        function_section_seen = true;
        break;
      case 4:
        ok = TableSection(sr);
        break;
      case 5:
        ok = MemorySection(sr);
        break;
      case 6:
        ok = GlobalSection(sr);
        break;
      case 7:
        ok = ExportSection(sr);
        break;
      case 8:
        ok = StartSection(sr);
        break;
      case 9:
        ok = ElemSection(sr);
        break;
      case 12:
        ok = DataCountSection(sr);
        break;
      case 10:
        ok = CodeSection(sr);
        break;
      case 11:
        ok = DataSection(sr);
        break;
    }
    if (!sr.ok()) {
      // Running out of a section that is not the end of the binary.
      if (sr.error() == "unexpected end" && content + size < r_.end())
        r_.Fail("unexpected end of section or function");
      else
        r_.Fail(sr.error());
      break;
    }
    if (!ok) {
      if (!invalid_.empty()) {
        // Keep decoding to report malformedness first? The spec tests only need rejection.
        return core::Invalid(invalid_);
      }
    }
    if (!sr.at_end()) {
      r_.Fail("section size mismatch");
      break;
    }
  }
  (void)function_section_seen;
  if (!r_.ok()) return Malformed(r_.error());
  if (!has_code_ && declared_funcs_ != 0)
    return Malformed("function and code section have inconsistent lengths");
  if (data_count_ && *data_count_ != m_->datas.size())
    return Malformed("data count and data section have inconsistent lengths");

  if (m_->memories.size() > 1 && !options_.multi_memory) return core::Invalid("multiple memories");
  if (declared_.size() != m_->func_types.size()) declared_.resize(m_->func_types.size());

  ModuleContext ctx;
  ctx.module = m_.get();
  ctx.declared_funcs = declared_;
  ctx.has_data_count = data_count_.has_value();
  ctx.data_count = data_count_.value_or(0);
  ctx.multi_memory = options_.multi_memory;
  std::vector<size_t> relocs;
  std::vector<uint64_t>& code = m_->mutable_code();
  // Bodies are decoded (malformed checks) before any is validated, so that a malformed
  // body later in the section wins over an invalid one earlier; the translator reports
  // both kinds, so run it over all and keep the first malformed error if any.
  std::optional<Error> first_invalid;
  for (size_t i = 0; i < bodies_.size(); ++i) {
    auto r =
        TranslateFunction(ctx, static_cast<uint32_t>(i), bodies_[i], &m_->funcs[i], &code, &relocs);
    if (!r) {
      if (r.error().kind == Error::Kind::kMalformed) return r.error();
      if (!first_invalid) first_invalid = r.error();
    }
  }
  if (first_invalid) return *first_invalid;
  uint64_t base = reinterpret_cast<uint64_t>(code.data());
  for (size_t pos : relocs) code[pos] = base + code[pos] * sizeof(uint64_t);
  return std::shared_ptr<const Module>(std::move(m_));
}

}  // namespace

Result<std::shared_ptr<const Module>> Module::Compile(std::span<const uint8_t> bytes,
                                                      const CompileOptions& options) {
  Decoder d(bytes, options);
  return d.Run();
}

}  // namespace lokust::core
