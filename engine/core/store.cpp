// Store, instances, memories, tables, instantiation, calls and the Linker.

#include "engine/core/store.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/core/code.h"
#include "engine/core/exec.h"

namespace lokust::core {

namespace {
constexpr uint64_t kPageSize = 65536;
constexpr uint32_t kMaxHostNesting = 200;
}  // namespace

std::string ValueToString(const Value& v) {
  char buf[64];
  switch (v.type) {
    case ValType::kI32:
      std::snprintf(buf, sizeof buf, "i32:%" PRIu32, v.i32());
      break;
    case ValType::kI64:
      std::snprintf(buf, sizeof buf, "i64:%" PRIu64, v.i64());
      break;
    case ValType::kF32:
      std::snprintf(buf, sizeof buf, "f32:%.9g", static_cast<double>(v.f32()));
      break;
    case ValType::kF64:
      std::snprintf(buf, sizeof buf, "f64:%.17g", v.f64());
      break;
    case ValType::kV128:
      std::snprintf(buf, sizeof buf, "v128:0x%016" PRIx64 "%016" PRIx64, v.hi, v.bits);
      break;
    case ValType::kFuncRef:
    case ValType::kExternRef:
      if (v.is_null()) return std::string(ValTypeName(v.type)) + ":null";
      std::snprintf(buf, sizeof buf, "%s:0x%" PRIx64, ValTypeName(v.type), v.bits);
      break;
  }
  return buf;
}

// ---- Memory

Memory::Memory(MemoryType type, uint32_t limit_pages, uint64_t* limit_refusals)
    : type_(type), limit_refusals_(limit_refusals) {
  uint32_t max = type.limits.max.value_or(65536);
  limit_pages_ = std::min({limit_pages, max, uint32_t{65536}});
}

Memory::~Memory() { std::free(data_); }

int64_t Memory::Grow(uint32_t delta) {
  uint64_t old_pages = pages();
  uint64_t new_pages = old_pages + delta;
  if (new_pages > limit_pages_) {
    if (limit_refusals_ && new_pages <= type_.limits.max.value_or(65536)) ++*limit_refusals_;
    return -1;
  }
  if (delta == 0) return static_cast<int64_t>(old_pages);
  uint64_t new_bytes = new_pages * kPageSize;
  void* p = data_ ? std::realloc(data_, new_bytes) : std::calloc(new_bytes, 1);
  if (!p) return -1;
  data_ = static_cast<uint8_t*>(p);
  if (bytes_ && new_bytes > bytes_) std::memset(data_ + bytes_, 0, new_bytes - bytes_);
  bytes_ = new_bytes;
  return static_cast<int64_t>(old_pages);
}

Result<void> Memory::Read(uint64_t addr, std::span<uint8_t> out) const {
  if (addr > bytes_ || out.size() > bytes_ - addr) return Trap("out of bounds memory access");
  if (!out.empty()) std::memcpy(out.data(), data_ + addr, out.size());
  return {};
}

Result<void> Memory::Write(uint64_t addr, std::span<const uint8_t> in) {
  if (addr > bytes_ || in.size() > bytes_ - addr) return Trap("out of bounds memory access");
  if (!in.empty()) std::memcpy(data_ + addr, in.data(), in.size());
  return {};
}

Memory* Caller::memory() const {
  if (!instance || instance->memories.empty()) return nullptr;
  return instance->memories[0];
}

// ---- Table

Table::Table(TableType type, uint32_t limit, uint64_t init, uint64_t* total, uint64_t total_limit)
    : type_(type), total_(total), total_limit_(total_limit) {
  limit_ = std::min(limit, type.limits.max.value_or(UINT32_MAX));
  elems_.assign(type.limits.min, init);
  if (total_) *total_ += type.limits.min;
}

int64_t Table::Grow(uint32_t delta, uint64_t init) {
  uint64_t old = elems_.size();
  if (old + delta > limit_) return -1;
  if (total_ && *total_ + delta > total_limit_) return -1;
  elems_.resize(old + delta, init);
  if (total_) *total_ += delta;
  return static_cast<int64_t>(old);
}

Result<Value> Table::Get(uint32_t index) const {
  if (index >= elems_.size()) return Trap("out of bounds table access");
  return Value{type_.elem, elems_[index]};
}

Result<void> Table::Set(uint32_t index, Value v) {
  if (index >= elems_.size()) return Trap("out of bounds table access");
  if (v.type != type_.elem) return Trap("type mismatch");
  elems_[index] = v.bits;
  return {};
}

// ---- Instance

std::optional<Extern> Instance::GetExport(std::string_view name) const {
  const Export* e = module_->find_export(name);
  if (!e) return std::nullopt;
  switch (e->kind) {
    case ExternKind::kFunc:
      return Extern::Of(funcs[e->index]);
    case ExternKind::kTable:
      return Extern::Of(tables[e->index]);
    case ExternKind::kMemory:
      return Extern::Of(memories[e->index]);
    case ExternKind::kGlobal:
      return Extern::Of(globals[e->index]);
  }
  return std::nullopt;
}
Func* Instance::GetFunc(std::string_view name) const {
  auto e = GetExport(name);
  return e ? e->func() : nullptr;
}
Memory* Instance::GetMemory(std::string_view name) const {
  auto e = GetExport(name);
  return e ? e->memory() : nullptr;
}
Global* Instance::GetGlobal(std::string_view name) const {
  auto e = GetExport(name);
  return e ? e->global() : nullptr;
}
Table* Instance::GetTable(std::string_view name) const {
  auto e = GetExport(name);
  return e ? e->table() : nullptr;
}

// ---- Store

Store::Store(Limits limits) : limits_(limits), exec_(std::make_unique<Exec>(limits_)) {}
Store::~Store() = default;

uint32_t Store::TypeId(const FuncType& type) {
  for (size_t i = 0; i < type_ids_.size(); ++i)
    if (type_ids_[i] == type) return static_cast<uint32_t>(i);
  type_ids_.push_back(type);
  return static_cast<uint32_t>(type_ids_.size() - 1);
}

Func* Store::CreateHostFunc(FuncType type, HostFunc fn) {
  auto f = std::make_unique<Func>();
  f->type_id = TypeId(type);
  for (ValType t : type.params) f->num_params += SlotCount(t);
  for (ValType t : type.results) f->num_results += SlotCount(t);
  f->type = std::move(type);
  f->host = std::move(fn);
  funcs_.push_back(std::move(f));
  return funcs_.back().get();
}

Memory* Store::CreateMemory(MemoryType type) {
  auto m = std::make_unique<Memory>(type, limits_.max_memory_pages, &memory_limit_refusals_);
  if (m->Grow(type.limits.min) < 0) return nullptr;
  memories_.push_back(std::move(m));
  return memories_.back().get();
}

Table* Store::CreateTable(TableType type, Value init) {
  if (type.limits.min > limits_.max_table_elements ||
      table_elements_ + type.limits.min > limits_.max_total_table_elements)
    return nullptr;
  tables_.push_back(std::make_unique<Table>(type, limits_.max_table_elements, init.bits,
                                            &table_elements_, limits_.max_total_table_elements));
  return tables_.back().get();
}

Global* Store::CreateGlobal(GlobalType type, Value init) {
  auto g = std::make_unique<Global>();
  g->type = type;
  g->bits = init.bits;
  g->hi = init.hi;
  globals_.push_back(std::move(g));
  return globals_.back().get();
}

void Store::SetFuel(std::optional<uint64_t> fuel) { fuel_ = fuel; }
std::optional<uint64_t> Store::fuel_remaining() const { return fuel_; }
void Store::SetDeadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
  deadline_ = deadline;
}

namespace {

bool LimitsMatch(const SizeLimits& actual, const SizeLimits& expected) {
  if (actual.min < expected.min) return false;
  if (expected.max) {
    if (!actual.max || *actual.max > *expected.max) return false;
  }
  return true;
}

std::string ImportName(const Import& imp) { return "\"" + imp.module + "\" \"" + imp.name + "\""; }

uint64_t EvalConst(const ConstExpr& e, const Instance& inst) {
  switch (e.op) {
    case ConstExpr::Op::kConst:
      return e.bits;
    case ConstExpr::Op::kRefNull:
      return 0;
    case ConstExpr::Op::kRefFunc:
      return reinterpret_cast<uint64_t>(inst.funcs[e.index]);
    case ConstExpr::Op::kGlobalGet:
      return inst.globals[e.index]->bits;
  }
  return 0;
}

}  // namespace

Result<Instance*> Store::Instantiate(std::shared_ptr<const Module> module,
                                     std::span<const Extern> imports) {
  const Module& m = *module;
  if (imports.size() != m.imports.size())
    return LinkError("expected " + std::to_string(m.imports.size()) + " imports, got " +
                     std::to_string(imports.size()));
  // Check every import before creating anything.
  for (size_t i = 0; i < imports.size(); ++i) {
    const Import& imp = m.imports[i];
    const Extern& ext = imports[i];
    if (ext.kind != imp.kind || !ext.ptr)
      return LinkError("incompatible import type for " + ImportName(imp) + ": expected " +
                       ExternKindName(imp.kind) + ", got " + ExternKindName(ext.kind));
    switch (imp.kind) {
      case ExternKind::kFunc: {
        const FuncType& want = m.types[imp.func_type];
        if (ext.func()->type != want)
          return LinkError("incompatible import type for " + ImportName(imp) + ": expected " +
                           FuncTypeToString(want) + ", got " + FuncTypeToString(ext.func()->type));
        break;
      }
      case ExternKind::kTable: {
        Table* t = ext.table();
        SizeLimits actual{t->size(), t->type().limits.max};
        if (t->type().elem != imp.table.elem || !LimitsMatch(actual, imp.table.limits))
          return LinkError("incompatible import type for " + ImportName(imp) + ": table type");
        break;
      }
      case ExternKind::kMemory: {
        Memory* mem = ext.memory();
        SizeLimits actual{mem->pages(), mem->type().limits.max};
        if (!LimitsMatch(actual, imp.memory.limits))
          return LinkError("incompatible import type for " + ImportName(imp) + ": memory limits");
        break;
      }
      case ExternKind::kGlobal: {
        Global* g = ext.global();
        if (g->type.type != imp.global.type || g->type.mut != imp.global.mut)
          return LinkError("incompatible import type for " + ImportName(imp) + ": global type");
        break;
      }
    }
  }

  instances_.push_back(std::make_unique<Instance>());
  Instance* inst = instances_.back().get();
  inst->module_ = module;
  for (const auto& t : m.types) inst->type_ids.push_back(TypeId(t));
  for (size_t i = 0; i < imports.size(); ++i) {
    switch (imports[i].kind) {
      case ExternKind::kFunc:
        inst->funcs.push_back(imports[i].func());
        break;
      case ExternKind::kTable:
        inst->tables.push_back(imports[i].table());
        break;
      case ExternKind::kMemory:
        inst->memories.push_back(imports[i].memory());
        break;
      case ExternKind::kGlobal:
        inst->globals.push_back(imports[i].global());
        break;
    }
  }
  const uint64_t* code_base = m.code().data();
  for (const FuncCode& fc : m.funcs) {
    auto f = std::make_unique<Func>();
    f->type = m.types[fc.type];
    f->type_id = inst->type_ids[fc.type];
    f->instance = inst;
    f->entry = code_base + fc.code_offset;
#ifdef LOKUST_PROFILE_OPS
    ProfiledEntries()[f->entry] = static_cast<uint32_t>(inst->funcs.size());
#endif
    for (ValType t : f->type.params) f->num_params += SlotCount(t);
    for (ValType t : f->type.results) f->num_results += SlotCount(t);
    for (ValType t : fc.locals) f->num_locals += SlotCount(t);
    f->max_stack = fc.max_stack;
    funcs_.push_back(std::move(f));
    inst->funcs.push_back(funcs_.back().get());
  }
  for (size_t i = m.num_imported_tables; i < m.tables.size(); ++i) {
    Table* t = CreateTable(m.tables[i]);
    if (!t) return Trap("table size exceeds the store's limit");
    inst->tables.push_back(t);
  }
  for (size_t i = m.num_imported_memories; i < m.memories.size(); ++i) {
    Memory* mem = CreateMemory(m.memories[i]);
    if (!mem) return Trap("memory size exceeds the store's limit");
    inst->memories.push_back(mem);
  }
  for (size_t i = 0; i < m.global_inits.size(); ++i) {
    const GlobalType& gt = m.globals[m.num_imported_globals + i];
    const ConstExpr& init = m.global_inits[i];
    Value v{gt.type, EvalConst(init, *inst), 0};
    if (init.op == ConstExpr::Op::kConst) v.hi = init.hi;
    if (init.op == ConstExpr::Op::kGlobalGet) v.hi = inst->globals[init.index]->hi;
    Global* g = CreateGlobal(gt, v);
    inst->globals.push_back(g);
  }
  for (const ElemSegment& seg : m.elems) {
    Instance::Elem e;
    e.type = seg.type;
    for (const ConstExpr& item : seg.items) e.items.push_back(EvalConst(item, *inst));
    inst->elems.push_back(std::move(e));
  }
  for (const DataSegment& seg : m.datas) inst->datas.emplace_back(seg.bytes);

  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& seg = m.elems[i];
    if (seg.mode == SegmentMode::kActive) {
      uint32_t offset = static_cast<uint32_t>(EvalConst(seg.offset, *inst));
      Table* t = inst->tables[seg.table];
      auto& items = inst->elems[i].items;
      if (uint64_t{offset} + items.size() > t->size()) return Trap("out of bounds table access");
      std::copy(items.begin(), items.end(), t->elems().begin() + offset);
    }
    if (seg.mode != SegmentMode::kPassive) inst->elems[i].items = {};
  }
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const DataSegment& seg = m.datas[i];
    if (seg.mode != SegmentMode::kActive) continue;
    uint32_t offset = static_cast<uint32_t>(EvalConst(seg.offset, *inst));
    Memory* mem = inst->memories[seg.memory];
    auto w = mem->Write(offset, seg.bytes);
    if (!w) return w.error();
    inst->datas[i] = {};
  }
  if (m.start) {
    auto r = Call(inst->funcs[*m.start], {});
    if (!r) return r.error();
  }
  return inst;
}

Result<std::vector<Value>> Store::Call(Func* func, std::span<const Value> args) {
  if (!func) return Error{Error::Kind::kHost, "null function"};
  if (args.size() != func->type.params.size())
    return Error{Error::Kind::kHost, "expected " + std::to_string(func->type.params.size()) +
                                         " arguments, got " + std::to_string(args.size())};
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].type != func->type.params[i])
      return Error{Error::Kind::kHost, "argument " + std::to_string(i) + ": expected " +
                                           ValTypeName(func->type.params[i]) + ", got " +
                                           ValTypeName(args[i].type)};
  Exec& ex = *exec_;
  if (ex.host_nesting >= kMaxHostNesting)
    return Error{Error::Kind::kExhaustion, "call stack exhausted", Limit::kCallDepth};
  uint64_t* base = ex.sp;
  size_t need = std::max(func->num_params, func->num_results);
  if (base + need > ex.stack.data() + ex.stack.size())
    return Error{Error::Kind::kExhaustion, "call stack exhausted", Limit::kCallDepth};
  size_t slot = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    uint64_t bits = args[i].bits;
    if (args[i].type == ValType::kI32 || args[i].type == ValType::kF32) bits &= 0xffffffffu;
    base[slot++] = bits;
    if (args[i].type == ValType::kV128) base[slot++] = args[i].hi;
  }
  bool outermost = ex.host_nesting == 0 && ex.depth == 0;
  if (outermost) ex.budget = 0;
  ++ex.host_nesting;
  auto r = Interp::Execute(*this, func);
  --ex.host_nesting;
  if (outermost) {
    if (fuel_ && ex.budget > 0) *fuel_ += static_cast<uint64_t>(ex.budget);
    ex.budget = 0;
  }
  ex.sp = base;
  if (!r) return r.error();
  std::vector<Value> results(func->type.results.size());
  slot = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    ValType t = func->type.results[i];
    results[i] = Value{t, base[slot++], 0};
    if (t == ValType::kV128) results[i].hi = base[slot++];
  }
  return results;
}

// ---- Linker

void Linker::Define(std::string module, std::string name, Extern value) {
  defs_[{std::move(module), std::move(name)}] = value;
}

void Linker::DefineInstance(std::string module, const Instance& instance) {
  for (const Export& e : instance.module().exports) {
    auto ext = instance.GetExport(e.name);
    if (ext) Define(module, e.name, *ext);
  }
}

std::optional<Extern> Linker::Find(std::string_view module, std::string_view name) const {
  auto it = defs_.find(std::pair<std::string, std::string>(module, name));
  if (it == defs_.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<Extern>> Linker::Resolve(const Module& module) const {
  std::vector<Extern> out;
  for (const Import& imp : module.imports) {
    auto e = Find(imp.module, imp.name);
    if (!e) return LinkError("unknown import " + ImportName(imp));
    out.push_back(*e);
  }
  return out;
}

Result<Instance*> Linker::Instantiate(Store& store, std::shared_ptr<const Module> module) const {
  auto imports = Resolve(*module);
  if (!imports) return imports.error();
  return store.Instantiate(std::move(module), *imports);
}

}  // namespace lokust::core
