// The interpreter: one function, computed-goto dispatch over the internal code (code.h).
// Wasm-to-wasm calls do not recurse natively: frames live in Store::Exec, bounded by
// Limits::max_call_depth and by the value stack's size.

#include <algorithm>
#include <cstring>
#include <exception>
#ifdef LOKUST_PROFILE_OPS
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>
#include <vector>
#endif

#include "engine/core/code.h"
#include "engine/core/exec.h"
#include "engine/core/interp_math.h"
#include "engine/core/simd.h"

namespace lokust::core {
namespace {

constexpr const char* kMemOob = "out of bounds memory access";
constexpr const char* kTableOob = "out of bounds table access";
constexpr const char* kExhausted = "call stack exhausted";
// The budget traps: compared by address at the trap label to set Error::limit.
constexpr const char* kInterrupted = "interrupted";
constexpr const char* kDeadline = "deadline exceeded";
constexpr const char* kFuelOut = "fuel exhausted";
constexpr int64_t kCheckInterval = 10000;

// A load or store on a memory other than 0 (multi-memory), out of the dispatch loop so that
// memory 0's specialised ops keep the loop's registers. `op` is the memory-0 op it stands
// for; loads replace sp[-1], stores pop two slots. Returns the new sp, or nullptr when the
// access is out of bounds.
template <typename T>
bool MemLoad(Memory& m, uint64_t ea, T* v) {
  if (ea + sizeof(T) > m.size_bytes()) return false;
  std::memcpy(v, m.data() + ea, sizeof(T));
  return true;
}
template <typename T>
bool MemStore(Memory& m, uint64_t ea, T v) {
  if (ea + sizeof(T) > m.size_bytes()) return false;
  std::memcpy(m.data() + ea, &v, sizeof(T));
  return true;
}

[[gnu::noinline]] uint64_t* MemAccessM(code::Op op, Memory& m, uint64_t offset, uint64_t* sp) {
  using code::Op;
  auto load = [&]<typename T>(T, auto conv) -> uint64_t* {
    T v;
    if (!MemLoad(m, static_cast<uint32_t>(sp[-1]) + offset, &v)) return nullptr;
    sp[-1] = conv(v);
    return sp;
  };
  auto store = [&]<typename T>(T) -> uint64_t* {
    if (!MemStore(m, static_cast<uint32_t>(sp[-2]) + offset, static_cast<T>(sp[-1])))
      return nullptr;
    return sp - 2;
  };
  auto same = [](auto v) -> uint64_t { return v; };
  auto s32 = [](auto v) -> uint64_t { return static_cast<uint32_t>(static_cast<int32_t>(v)); };
  auto s64 = [](auto v) -> uint64_t { return static_cast<uint64_t>(static_cast<int64_t>(v)); };
  switch (op) {
    case Op::I32Load:
    case Op::F32Load:
      return load(uint32_t{}, same);
    case Op::I64Load:
    case Op::F64Load:
      return load(uint64_t{}, same);
    case Op::I32Load8S:
      return load(int8_t{}, s32);
    case Op::I32Load8U:
      return load(uint8_t{}, same);
    case Op::I32Load16S:
      return load(int16_t{}, s32);
    case Op::I32Load16U:
      return load(uint16_t{}, same);
    case Op::I64Load8S:
      return load(int8_t{}, s64);
    case Op::I64Load8U:
      return load(uint8_t{}, same);
    case Op::I64Load16S:
      return load(int16_t{}, s64);
    case Op::I64Load16U:
      return load(uint16_t{}, same);
    case Op::I64Load32S:
      return load(int32_t{}, s64);
    case Op::I64Load32U:
      return load(uint32_t{}, same);
    case Op::I32Store:
    case Op::F32Store:
    case Op::I64Store32:
      return store(uint32_t{});
    case Op::I64Store:
    case Op::F64Store:
      return store(uint64_t{});
    case Op::I32Store8:
    case Op::I64Store8:
      return store(uint8_t{});
    case Op::I32Store16:
    case Op::I64Store16:
      return store(uint16_t{});
    default:
      return nullptr;  // the translator emits only the ops above
  }
}

// Slow path of the back-edge/call tick: interrupt flag, deadline, fuel.
const char* SlowCheck(Store& store) {
  Store::Exec& ex = store.exec();
  if (store.interrupt_.exchange(false, std::memory_order_relaxed)) {
    ex.budget = 0;
    return kInterrupted;
  }
  if (store.deadline_ && std::chrono::steady_clock::now() >= *store.deadline_) {
    ex.budget = 0;
    return kDeadline;
  }
  if (store.fuel_) {
    uint64_t& fuel = *store.fuel_;
    if (fuel == 0) {
      ex.budget = 0;
      return kFuelOut;
    }
    uint64_t grant = std::min<uint64_t>(fuel, kCheckInterval);
    fuel -= grant;
    ex.budget = static_cast<int64_t>(grant) - 1;
  } else {
    ex.budget = kCheckInterval;
  }
  return nullptr;
}

Result<void> CallHost(Store& store, Instance* caller_instance, Func* f, uint64_t* args) {
  Value argv_small[8], resv_small[8];
  std::vector<Value> argv_big, resv_big;
  Value* argv = argv_small;
  Value* resv = resv_small;
  const uint32_t np = static_cast<uint32_t>(f->type.params.size());
  const uint32_t nr = static_cast<uint32_t>(f->type.results.size());
  if (np > 8) {
    argv_big.resize(np);
    argv = argv_big.data();
  }
  if (nr > 8) {
    resv_big.resize(nr);
    resv = resv_big.data();
  }
  for (uint32_t i = 0, slot = 0; i < np; ++i) {
    ValType t = f->type.params[i];
    argv[i] = Value{t, args[slot++], 0};
    if (t == ValType::kV128) argv[i].hi = args[slot++];
  }
  for (uint32_t i = 0; i < nr; ++i) resv[i] = Value{f->type.results[i], 0, 0};
  Caller caller{store, caller_instance};
  // Host functions report failure with an Error; an exception escaping one is turned into
  // a trap here so it never unwinds through the interpreter.
  Result<void> r;
  try {
    r = f->host(caller, std::span<const Value>(argv, np), std::span<Value>(resv, nr));
  } catch (const std::exception& e) {
    return Trap(std::string("host function threw: ") + e.what());
  } catch (...) {
    return Trap("host function threw");
  }
  if (!r) return r.error();
  for (uint32_t i = 0, slot = 0; i < nr; ++i) {
    ValType t = f->type.results[i];
    uint64_t bits = resv[i].bits;
    if (t == ValType::kI32 || t == ValType::kF32) bits &= 0xffffffffu;
    args[slot++] = bits;
    if (t == ValType::kV128) args[slot++] = resv[i].hi;
  }
  return {};
}

#ifdef LOKUST_PROFILE_OPS
// Development aid: counts executed ops, op pairs and op triples and prints the top ones (and
// the total) at exit; LOKUST_PROFILE_TOP=N prints N of each (default 60).
struct OpProfile {
  // Executions per op address and the op there: the code may be freed by the time this prints.
  struct AtPc {
    uint64_t n = 0, handler = 0;
  };
  std::map<const uint64_t*, AtPc> pcs;
  std::map<const uint64_t*, uint32_t> entries;  // function entry -> function index
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> pairs;
  std::map<std::tuple<uint64_t, uint64_t, uint64_t>, uint64_t> triples;
  std::map<uint64_t, uint64_t> singles;
  uint64_t prev = 0, prev2 = 0, total = 0;
  ~OpProfile() {
    auto name = [](uint64_t h) { return std::string(code::OpName(code::OpFromHandler(h))); };
    size_t top = 60;
    if (const char* e = std::getenv("LOKUST_PROFILE_TOP")) top = std::strtoul(e, nullptr, 10);
    auto print = [&](std::vector<std::pair<uint64_t, std::string>>& v, const char* what) {
      std::sort(v.rbegin(), v.rend());
      std::fprintf(stderr, "-- %s (of %llu ops)\n", what, static_cast<unsigned long long>(total));
      for (size_t i = 0; i < v.size() && i < top; ++i)
        std::fprintf(stderr, "%12llu %5.2f%% %s\n", static_cast<unsigned long long>(v[i].first),
                     100.0 * static_cast<double>(v[i].first) / static_cast<double>(total),
                     v[i].second.c_str());
    };
    std::vector<std::pair<uint64_t, std::string>> s, p, t;
    for (auto& [k, n] : singles) s.emplace_back(n, name(k));
    for (auto& [k, n] : pairs) p.emplace_back(n, name(k.first) + " -> " + name(k.second));
    for (auto& [k, n] : triples)
      t.emplace_back(
          n, name(std::get<0>(k)) + " -> " + name(std::get<1>(k)) + " -> " + name(std::get<2>(k)));
    print(s, "ops");
    print(p, "pairs");
    print(t, "triples");
    // Each op address belongs to the function with the nearest entry below: ops per function,
    // and the hottest addresses (function, word offset from its entry, op).
    std::map<uint32_t, uint64_t> per_func;
    std::vector<std::pair<uint64_t, std::string>> fs, hot;
    for (auto& [pc, at] : pcs) {
      auto it = entries.upper_bound(pc);
      if (it == entries.begin()) continue;
      --it;
      per_func[it->second] += at.n;
      hot.emplace_back(at.n, "func " + std::to_string(it->second) + " +" +
                                 std::to_string(pc - it->first) + " " + name(at.handler));
    }
    for (auto& [func, n] : per_func) fs.emplace_back(n, "func " + std::to_string(func));
    print(fs, "functions (by wasm function index)");
    print(hot, "op addresses");
  }
};
OpProfile g_profile;
// With LOKUST_PROFILE_GATED set, only ops run between lokust_profile_ops(1) and
// lokust_profile_ops(0) are counted (a benchmark's timed calls, not its setup).
bool g_profile_on = std::getenv("LOKUST_PROFILE_GATED") == nullptr;
}  // namespace
std::map<const uint64_t*, uint32_t>& ProfiledEntries() { return g_profile.entries; }
}  // namespace lokust::core
extern "C" void lokust_profile_ops(int on) { lokust::core::g_profile_on = on != 0; }
namespace lokust::core {
namespace {
void ProfileOp(const uint64_t* pc) {
  if (!g_profile_on) return;
  const uint64_t h = *pc;
  auto& at = g_profile.pcs[pc];
  ++at.n;
  at.handler = h;
  ++g_profile.total;
  ++g_profile.singles[h];
  ++g_profile.pairs[{g_profile.prev, h}];
  ++g_profile.triples[{g_profile.prev2, g_profile.prev, h}];
  g_profile.prev2 = g_profile.prev;
  g_profile.prev = h;
}
#endif

// A failed host call ends the run with the host's error as a trap, its limit kept (a budget
// that ran out in a nested wasm call is still that budget).
bool CallHostOrTrap(Store& store, Instance* inst, Func* f, uint64_t* args, Error* why) {
  auto r = CallHost(store, inst, f, args);
  if (!r) *why = r.error();
  return r.ok();
}

Result<void> Run(Store* store_ptr, Func* func, const void* const** table_out) {
  static const void* const kHandlers[] = {
#define LOKUST_H(name, imms) &&L_##name,
#define LOKUST_HN(name, opcode, a, b, r) &&L_##name,
      LOKUST_CODE_OPS(LOKUST_H) LOKUST_NUMERIC_OPS(LOKUST_HN)
#undef LOKUST_H
#undef LOKUST_HN
  };
  if (table_out) {
    *table_out = kHandlers;
    return {};
  }

  using math::F32;
  using math::F64;
  using math::Slot;

  Store& store = *store_ptr;
  Store::Exec& ex = store.exec();
  Frame* const frames = ex.frames.data();
  const uint32_t entry_depth = ex.depth;
  const uint32_t max_depth = store.limits().max_call_depth;
  uint64_t* const stack_end = ex.stack.data() + ex.stack.size();
  uint64_t* const base = ex.sp;
  uint32_t depth = ex.depth;
  const char* trap_msg = nullptr;
  std::string trap_owned;
  Error host_error;  // a failed host call's error; trap_msg then points at its message

  uint64_t* fp = base;
  uint64_t* sp;
  const uint64_t* pc;
  Instance* inst;
  Global* const* globals;
  Memory* memobj;
  // Memory 0 is read through memobj on each access (two loads that hit L1) rather than
  // cached in locals: that leaves the registers to sp, pc and fp (measured: faster).
#define mem (memobj->data())
#define memsize (memobj->size_bytes())
  Func* f = func;

#ifdef LOKUST_PROFILE_OPS
#define NEXT()                                  \
  do {                                          \
    ProfileOp(pc);                              \
    goto* reinterpret_cast<const void*>(*pc++); \
  } while (0)
#else
#define NEXT() goto* reinterpret_cast<const void*>(*pc++)
#endif
#define TRAP(msg)     \
  do {                \
    trap_msg = (msg); \
    goto trap;        \
  } while (0)
#define RELOAD_MEM() \
  do {               \
  } while (0)
#define LOAD_INST()                                                \
  do {                                                             \
    globals = inst->globals.data();                                \
    memobj = inst->memories.empty() ? nullptr : inst->memories[0]; \
    RELOAD_MEM();                                                  \
  } while (0)
#define TICK()                                           \
  do {                                                   \
    if (__builtin_expect(--ex.budget < 0, 0)) {          \
      if (const char* why = SlowCheck(store)) TRAP(why); \
    }                                                    \
  } while (0)
#define TARGET(i) reinterpret_cast<const uint64_t*>(pc[i])
#define DROPKEEP(dk)                                             \
  do {                                                           \
    uint32_t drop_ = static_cast<uint32_t>((dk) >> 32);          \
    uint32_t keep_ = static_cast<uint32_t>(dk);                  \
    uint64_t* src_ = sp - keep_;                                 \
    uint64_t* dst_ = src_ - drop_;                               \
    for (uint32_t i_ = 0; i_ < keep_; ++i_) dst_[i_] = src_[i_]; \
    sp = dst_ + keep_;                                           \
  } while (0)

  // Enter `func` (a wasm function) with its arguments at base.
  if (depth >= max_depth) return Trap(kExhausted);
  if (base + f->max_stack > stack_end) return Trap(kExhausted);
  frames[depth++] = Frame{nullptr, nullptr, nullptr};
  sp = base + f->num_params;
  for (uint32_t i = 0; i < f->num_locals; ++i) *sp++ = 0;
  pc = f->entry;
  inst = f->instance;
  LOAD_INST();
  NEXT();

  // ---- control
L_Unreachable:
  TRAP("unreachable");
L_Jump:
  pc = TARGET(0);
  NEXT();
L_JumpBack:
  TICK();
  pc = TARGET(0);
  NEXT();
L_Br:
  DROPKEEP(pc[1]);
  pc = TARGET(0);
  NEXT();
L_BrBack:
  TICK();
  DROPKEEP(pc[1]);
  pc = TARGET(0);
  NEXT();
L_BrIf:
  if (static_cast<uint32_t>(*--sp)) {
    DROPKEEP(pc[1]);
    pc = TARGET(0);
  } else {
    pc += 2;
  }
  NEXT();
L_BrIfBack:
  if (static_cast<uint32_t>(*--sp)) {
    TICK();
    DROPKEEP(pc[1]);
    pc = TARGET(0);
  } else {
    pc += 2;
  }
  NEXT();
L_BrIfNoDrop:
  if (static_cast<uint32_t>(*--sp))
    pc = TARGET(0);
  else
    pc += 1;
  NEXT();
L_BrIfNoDropBack:
  if (static_cast<uint32_t>(*--sp)) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
L_BrUnless:
  if (!static_cast<uint32_t>(*--sp))
    pc = TARGET(0);
  else
    pc += 1;
  NEXT();
L_BrIfEqzNoDrop:
  if (!static_cast<uint32_t>(*--sp))
    pc = TARGET(0);
  else
    pc += 1;
  NEXT();
L_BrTable : {
  uint32_t n = static_cast<uint32_t>(pc[0]);
  uint32_t i = static_cast<uint32_t>(*--sp);
  if (i > n) i = n;
  const uint64_t* e = pc + 1 + 2 * static_cast<size_t>(i);
  TICK();
  DROPKEEP(e[1]);
  pc = reinterpret_cast<const uint64_t*>(e[0]);
  NEXT();
}
L_Return : {
  uint32_t n = static_cast<uint32_t>(pc[0]);
  uint64_t* src = sp - n;
  for (uint32_t i = 0; i < n; ++i) fp[i] = src[i];
  sp = fp + n;
  const Frame& fr = frames[--depth];
  if (depth == entry_depth) goto done;
  pc = fr.pc;
  fp = fr.fp;
  if (fr.instance != inst) {
    inst = fr.instance;
    LOAD_INST();
  } else {
    RELOAD_MEM();
  }
  NEXT();
}
L_Call:
  f = inst->funcs[pc[0]];
  pc += 1;
  goto do_call;
L_CallIndirect : {
  Table* t = inst->tables[pc[1]];
  uint32_t expect = inst->type_ids[pc[0]];
  pc += 2;
  uint32_t i = static_cast<uint32_t>(*--sp);
  if (i >= t->size()) TRAP("undefined element");
  uint64_t e = t->elems()[i];
  if (!e) {
    trap_owned = "uninitialized element " + std::to_string(i);
    trap_msg = trap_owned.c_str();
    goto trap;
  }
  f = reinterpret_cast<Func*>(e);
  if (f->type_id != expect) TRAP("indirect call type mismatch");
  goto do_call;
}
do_call : {
  if (f->instance == nullptr) {
    uint64_t* args = sp - f->num_params;
    ex.sp = sp;
    ex.depth = depth;
    bool ok = CallHostOrTrap(store, inst, f, args, &host_error);
    ex.sp = base;
    if (!ok) {
      trap_msg = host_error.message.c_str();
      goto trap;
    }
    sp = args + f->num_results;
    RELOAD_MEM();
    NEXT();
  }
  TICK();
  if (depth >= max_depth) TRAP(kExhausted);
  uint64_t* nfp = sp - f->num_params;
  if (nfp + f->max_stack > stack_end) TRAP(kExhausted);
  frames[depth++] = Frame{pc, fp, inst};
  fp = nfp;
  for (uint32_t i = 0; i < f->num_locals; ++i) *sp++ = 0;
  pc = f->entry;
  if (f->instance != inst) {
    inst = f->instance;
    LOAD_INST();
  }
  NEXT();
}

  // ---- parametric and variables
L_Drop:
  --sp;
  NEXT();
L_DropKeep:
  DROPKEEP(pc[0]);
  pc += 1;
  NEXT();
L_Select : {
  uint32_t c = static_cast<uint32_t>(sp[-1]);
  sp -= 2;
  if (!c) sp[-1] = sp[0];
  NEXT();
}
L_LocalGet:
  *sp++ = fp[pc[0]];
  pc += 1;
  NEXT();
L_LocalSet:
  fp[pc[0]] = *--sp;
  pc += 1;
  NEXT();
L_LocalTee:
  fp[pc[0]] = sp[-1];
  pc += 1;
  NEXT();
L_F64AddL : {
  double a = F64(sp[-1]);
  double b = F64(fp[pc[0]]);
  sp[-1] = Slot(static_cast<double>(a + b));
  pc += 1;
  NEXT();
}
L_F64MulL : {
  double a = F64(sp[-1]);
  double b = F64(fp[pc[0]]);
  sp[-1] = Slot(static_cast<double>(a * b));
  pc += 1;
  NEXT();
}
L_F64SubL : {
  double a = F64(sp[-1]);
  double b = F64(fp[pc[0]]);
  sp[-1] = Slot(static_cast<double>(a - b));
  pc += 1;
  NEXT();
}
L_LocalTeeAddC : {
  uint64_t v =
      static_cast<uint32_t>(static_cast<uint32_t>(fp[pc[1]]) + static_cast<uint32_t>(pc[2]));
  fp[pc[0]] = v;
  *sp++ = v;
  pc += 3;
  NEXT();
}
L_LocalAddC:
  fp[pc[0]] =
      static_cast<uint32_t>(static_cast<uint32_t>(fp[pc[1]]) + static_cast<uint32_t>(pc[2]));
  pc += 3;
  NEXT();
L_LocalAddLL:
  fp[pc[0]] =
      static_cast<uint32_t>(static_cast<uint32_t>(fp[pc[1]]) + static_cast<uint32_t>(fp[pc[2]]));
  pc += 3;
  NEXT();
L_LocalCopy:
  fp[pc[0]] = fp[pc[1]];
  pc += 2;
  NEXT();
L_GlobalGet:
  *sp++ = globals[pc[0]]->bits;
  pc += 1;
  NEXT();
L_GlobalSet:
  globals[pc[0]]->bits = *--sp;
  pc += 1;
  NEXT();
L_Const:
  *sp++ = pc[0];
  pc += 1;
  NEXT();
L_RefIsNull:
  sp[-1] = sp[-1] == 0;
  NEXT();
L_RefFunc:
  *sp++ = reinterpret_cast<uint64_t>(inst->funcs[pc[0]]);
  pc += 1;
  NEXT();

  // ---- tables
L_TableGet : {
  Table* t = inst->tables[pc[0]];
  pc += 1;
  uint32_t i = static_cast<uint32_t>(sp[-1]);
  if (i >= t->size()) TRAP(kTableOob);
  sp[-1] = t->elems()[i];
  NEXT();
}
L_TableSet : {
  Table* t = inst->tables[pc[0]];
  pc += 1;
  uint64_t v = *--sp;
  uint32_t i = static_cast<uint32_t>(*--sp);
  if (i >= t->size()) TRAP(kTableOob);
  t->elems()[i] = v;
  NEXT();
}
L_TableSize:
  *sp++ = inst->tables[pc[0]]->size();
  pc += 1;
  NEXT();
L_TableGrow : {
  Table* t = inst->tables[pc[0]];
  pc += 1;
  uint32_t n = static_cast<uint32_t>(*--sp);
  sp[-1] = static_cast<uint32_t>(t->Grow(n, sp[-1]));
  NEXT();
}
L_TableFill : {
  Table* t = inst->tables[pc[0]];
  pc += 1;
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint64_t v = *--sp;
  uint32_t i = static_cast<uint32_t>(*--sp);
  if (uint64_t{i} + n > t->size()) TRAP(kTableOob);
  std::fill_n(t->elems().begin() + i, n, v);
  NEXT();
}
L_TableCopy : {
  Table* dt = inst->tables[pc[0]];
  Table* st = inst->tables[pc[1]];
  pc += 2;
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint32_t s = static_cast<uint32_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{s} + n > st->size() || uint64_t{d} + n > dt->size()) TRAP(kTableOob);
  if (n) std::memmove(dt->elems().data() + d, st->elems().data() + s, n * sizeof(uint64_t));
  NEXT();
}
L_TableInit : {
  const auto& seg = inst->elems[pc[0]].items;
  Table* t = inst->tables[pc[1]];
  pc += 2;
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint32_t s = static_cast<uint32_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{s} + n > seg.size() || uint64_t{d} + n > t->size()) TRAP(kTableOob);
  if (n) std::memcpy(t->elems().data() + d, seg.data() + s, n * sizeof(uint64_t));
  NEXT();
}
L_ElemDrop:
  inst->elems[pc[0]].items = {};
  pc += 1;
  NEXT();

  // ---- memory
L_MemorySize:
  *sp++ = memsize >> 16;
  NEXT();
L_MemoryGrow : {
  uint32_t n = static_cast<uint32_t>(sp[-1]);
  sp[-1] = static_cast<uint32_t>(memobj->Grow(n));
  RELOAD_MEM();
  NEXT();
}
L_MemoryInit : {
  std::span<const uint8_t> seg = inst->datas[pc[0]];
  pc += 1;
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint32_t s = static_cast<uint32_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{s} + n > seg.size() || uint64_t{d} + n > memsize) TRAP(kMemOob);
  if (n) std::memcpy(mem + d, seg.data() + s, n);
  NEXT();
}
L_DataDrop:
  inst->datas[pc[0]] = {};
  pc += 1;
  NEXT();
L_MemoryCopy : {
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint32_t s = static_cast<uint32_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{s} + n > memsize || uint64_t{d} + n > memsize) TRAP(kMemOob);
  if (n) std::memmove(mem + d, mem + s, n);
  NEXT();
}
L_MemoryFill : {
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint8_t v = static_cast<uint8_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{d} + n > memsize) TRAP(kMemOob);
  if (n) std::memset(mem + d, v, n);
  NEXT();
}

  // ---- memories other than 0 (multi-memory)
L_MemAccessM : {
  uint64_t* r = MemAccessM(static_cast<code::Op>(pc[0]), *inst->memories[pc[1]], pc[2], sp);
  if (!r) TRAP(kMemOob);
  sp = r;
  pc += 3;
  NEXT();
}
L_MemorySizeM:
  *sp++ = inst->memories[pc[0]]->size_bytes() >> 16;
  pc += 1;
  NEXT();
L_MemoryGrowM : {
  uint32_t n = static_cast<uint32_t>(sp[-1]);
  sp[-1] = static_cast<uint32_t>(inst->memories[pc[0]]->Grow(n));
  pc += 1;
  NEXT();
}
L_MemoryInitM : {
  std::span<const uint8_t> seg = inst->datas[pc[0]];
  Memory* m = inst->memories[pc[1]];
  pc += 2;
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint32_t s = static_cast<uint32_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{s} + n > seg.size() || uint64_t{d} + n > m->size_bytes()) TRAP(kMemOob);
  if (n) std::memcpy(m->data() + d, seg.data() + s, n);
  NEXT();
}
L_MemoryCopyM : {
  Memory* dm = inst->memories[pc[0]];
  Memory* sm = inst->memories[pc[1]];
  pc += 2;
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint32_t s = static_cast<uint32_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{s} + n > sm->size_bytes() || uint64_t{d} + n > dm->size_bytes()) TRAP(kMemOob);
  if (n) std::memmove(dm->data() + d, sm->data() + s, n);
  NEXT();
}
L_MemoryFillM : {
  Memory* m = inst->memories[pc[0]];
  pc += 1;
  uint32_t n = static_cast<uint32_t>(*--sp);
  uint8_t v = static_cast<uint8_t>(*--sp);
  uint32_t d = static_cast<uint32_t>(*--sp);
  if (uint64_t{d} + n > m->size_bytes()) TRAP(kMemOob);
  if (n) std::memset(m->data() + d, v, n);
  NEXT();
}

#define LOAD_OP(name, T, CONV)                                        \
  L_##name : {                                                        \
    uint64_t ea = static_cast<uint32_t>(sp[-1]) + pc[0];              \
    pc += 1;                                                          \
    if (__builtin_expect(ea + sizeof(T) > memsize, 0)) TRAP(kMemOob); \
    T v;                                                              \
    std::memcpy(&v, mem + ea, sizeof(T));                             \
    sp[-1] = CONV;                                                    \
    NEXT();                                                           \
  }
  LOAD_OP(I32Load, uint32_t, v)
  LOAD_OP(I64Load, uint64_t, v)
  LOAD_OP(F32Load, uint32_t, v)
  LOAD_OP(F64Load, uint64_t, v)
  LOAD_OP(I32Load8S, int8_t, static_cast<uint32_t>(static_cast<int32_t>(v)))
  LOAD_OP(I32Load8U, uint8_t, v)
  LOAD_OP(I32Load16S, int16_t, static_cast<uint32_t>(static_cast<int32_t>(v)))
  LOAD_OP(I32Load16U, uint16_t, v)
  LOAD_OP(I64Load8S, int8_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  LOAD_OP(I64Load8U, uint8_t, v)
  LOAD_OP(I64Load16S, int16_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  LOAD_OP(I64Load16U, uint16_t, v)
  LOAD_OP(I64Load32S, int32_t, static_cast<uint64_t>(static_cast<int64_t>(v)))
  LOAD_OP(I64Load32U, uint32_t, v)
#undef LOAD_OP
  // local.get a; load offset: the address from a local, the value pushed.
#define LOAD_L(name, T, CONV)                                         \
  L_##name : {                                                        \
    uint64_t ea = static_cast<uint32_t>(fp[pc[0]]) + pc[1];           \
    pc += 2;                                                          \
    if (__builtin_expect(ea + sizeof(T) > memsize, 0)) TRAP(kMemOob); \
    T v;                                                              \
    std::memcpy(&v, mem + ea, sizeof(T));                             \
    *sp++ = CONV;                                                     \
    NEXT();                                                           \
  }
  LOAD_L(I32LoadL, uint32_t, v)
  LOAD_L(I64LoadL, uint64_t, v)
  LOAD_L(F64LoadL, uint64_t, v)
  LOAD_L(I32Load8UL, uint8_t, v)
  LOAD_L(I32Load8SL, int8_t, static_cast<uint32_t>(static_cast<int32_t>(v)))
#undef LOAD_L

#define STORE_OP(name, T)                                             \
  L_##name : {                                                        \
    T v = static_cast<T>(sp[-1]);                                     \
    uint64_t ea = static_cast<uint32_t>(sp[-2]) + pc[0];              \
    sp -= 2;                                                          \
    pc += 1;                                                          \
    if (__builtin_expect(ea + sizeof(T) > memsize, 0)) TRAP(kMemOob); \
    std::memcpy(mem + ea, &v, sizeof(T));                             \
    NEXT();                                                           \
  }
  STORE_OP(I32Store, uint32_t)
  STORE_OP(I64Store, uint64_t)
  STORE_OP(F32Store, uint32_t)
  STORE_OP(F64Store, uint64_t)
  STORE_OP(I32Store8, uint8_t)
  STORE_OP(I32Store16, uint16_t)
  STORE_OP(I64Store8, uint8_t)
  STORE_OP(I64Store16, uint16_t)
  STORE_OP(I64Store32, uint32_t)
#undef STORE_OP

  // ---- fused
L_I32AddLL:
  *sp++ =
      static_cast<uint32_t>(static_cast<uint32_t>(fp[pc[0]]) + static_cast<uint32_t>(fp[pc[1]]));
  pc += 2;
  NEXT();
L_I32SubLL:
  *sp++ =
      static_cast<uint32_t>(static_cast<uint32_t>(fp[pc[0]]) - static_cast<uint32_t>(fp[pc[1]]));
  pc += 2;
  NEXT();
L_I32LtSLL:
  *sp++ = static_cast<int32_t>(fp[pc[0]]) < static_cast<int32_t>(fp[pc[1]]);
  pc += 2;
  NEXT();
L_I32LtULL:
  *sp++ = static_cast<uint32_t>(fp[pc[0]]) < static_cast<uint32_t>(fp[pc[1]]);
  pc += 2;
  NEXT();
L_I64AddLL:
  *sp++ = fp[pc[0]] + fp[pc[1]];
  pc += 2;
  NEXT();
L_I32AddLC:
L_I32SubLC:  // the translator negates the constant
  *sp++ = static_cast<uint32_t>(static_cast<uint32_t>(fp[pc[0]]) + static_cast<uint32_t>(pc[1]));
  pc += 2;
  NEXT();
L_I32AddC:
  sp[-1] = static_cast<uint32_t>(static_cast<uint32_t>(sp[-1]) + static_cast<uint32_t>(pc[0]));
  pc += 1;
  NEXT();

  // ---- numeric
#define UN_I32(name, expr)                      \
  L_##name : {                                  \
    uint32_t a = static_cast<uint32_t>(sp[-1]); \
    sp[-1] = static_cast<uint32_t>(expr);       \
    NEXT();                                     \
  }
#define BIN_I32(name, expr)                     \
  L_##name : {                                  \
    uint32_t b = static_cast<uint32_t>(sp[-1]); \
    uint32_t a = static_cast<uint32_t>(sp[-2]); \
    --sp;                                       \
    sp[-1] = static_cast<uint32_t>(expr);       \
    NEXT();                                     \
  }
#define UN_I64(name, expr)                \
  L_##name : {                            \
    uint64_t a = sp[-1];                  \
    sp[-1] = static_cast<uint64_t>(expr); \
    NEXT();                               \
  }
#define BIN_I64(name, expr)               \
  L_##name : {                            \
    uint64_t b = sp[-1];                  \
    uint64_t a = sp[-2];                  \
    --sp;                                 \
    sp[-1] = static_cast<uint64_t>(expr); \
    NEXT();                               \
  }
#define CMP_I64(name, expr)  \
  L_##name : {               \
    uint64_t b = sp[-1];     \
    uint64_t a = sp[-2];     \
    --sp;                    \
    sp[-1] = (expr) ? 1 : 0; \
    NEXT();                  \
  }
#define UN_F32(name, expr)                   \
  L_##name : {                               \
    float a = F32(sp[-1]);                   \
    sp[-1] = Slot(static_cast<float>(expr)); \
    NEXT();                                  \
  }
#define BIN_F32(name, expr)                  \
  L_##name : {                               \
    float b = F32(sp[-1]);                   \
    float a = F32(sp[-2]);                   \
    --sp;                                    \
    sp[-1] = Slot(static_cast<float>(expr)); \
    NEXT();                                  \
  }
#define CMP_F32(name, expr)  \
  L_##name : {               \
    float b = F32(sp[-1]);   \
    float a = F32(sp[-2]);   \
    --sp;                    \
    sp[-1] = (expr) ? 1 : 0; \
    NEXT();                  \
  }
#define UN_F64(name, expr)                    \
  L_##name : {                                \
    double a = F64(sp[-1]);                   \
    sp[-1] = Slot(static_cast<double>(expr)); \
    NEXT();                                   \
  }
#define BIN_F64(name, expr)                   \
  L_##name : {                                \
    double b = F64(sp[-1]);                   \
    double a = F64(sp[-2]);                   \
    --sp;                                     \
    sp[-1] = Slot(static_cast<double>(expr)); \
    NEXT();                                   \
  }
#define CMP_F64(name, expr)  \
  L_##name : {               \
    double b = F64(sp[-1]);  \
    double a = F64(sp[-2]);  \
    --sp;                    \
    sp[-1] = (expr) ? 1 : 0; \
    NEXT();                  \
  }
#define BITS_OP(name, expr) \
  L_##name : {              \
    sp[-1] = (expr);        \
    NEXT();                 \
  }
#define BITS_BIN(name, expr) \
  L_##name : {               \
    uint64_t b = sp[-1];     \
    uint64_t a = sp[-2];     \
    --sp;                    \
    sp[-1] = (expr);         \
    NEXT();                  \
  }
#define S32(x) static_cast<int32_t>(x)
#define S64(x) static_cast<int64_t>(x)

  UN_I32(I32Eqz, a == 0)
  BIN_I32(I32Eq, a == b)
  BIN_I32(I32Ne, a != b)
  BIN_I32(I32LtS, S32(a) < S32(b))
  BIN_I32(I32LtU, a < b)
  BIN_I32(I32GtS, S32(a) > S32(b))
  BIN_I32(I32GtU, a > b)
  BIN_I32(I32LeS, S32(a) <= S32(b))
  BIN_I32(I32LeU, a <= b)
  BIN_I32(I32GeS, S32(a) >= S32(b))
  BIN_I32(I32GeU, a >= b)
L_I64Eqz:
  sp[-1] = sp[-1] == 0;
  NEXT();
  CMP_I64(I64Eq, a == b)
  CMP_I64(I64Ne, a != b)
  CMP_I64(I64LtS, S64(a) < S64(b))
  CMP_I64(I64LtU, a < b)
  CMP_I64(I64GtS, S64(a) > S64(b))
  CMP_I64(I64GtU, a > b)
  CMP_I64(I64LeS, S64(a) <= S64(b))
  CMP_I64(I64LeU, a <= b)
  CMP_I64(I64GeS, S64(a) >= S64(b))
  CMP_I64(I64GeU, a >= b)
  CMP_F32(F32Eq, a == b)
  CMP_F32(F32Ne, a != b)
  CMP_F32(F32Lt, a < b)
  CMP_F32(F32Gt, a > b)
  CMP_F32(F32Le, a <= b)
  CMP_F32(F32Ge, a >= b)
  CMP_F64(F64Eq, a == b)
  CMP_F64(F64Ne, a != b)
  CMP_F64(F64Lt, a < b)
  CMP_F64(F64Gt, a > b)
  CMP_F64(F64Le, a <= b)
  CMP_F64(F64Ge, a >= b)
  UN_I32(I32Clz, std::countl_zero(a))
  UN_I32(I32Ctz, std::countr_zero(a))
  UN_I32(I32Popcnt, std::popcount(a))
  BIN_I32(I32Add, a + b)
  BIN_I32(I32Sub, a - b)
  BIN_I32(I32Mul, a * b)
L_I32DivS : {
  int32_t b = S32(sp[-1]), a = S32(sp[-2]);
  if (b == 0) TRAP("integer divide by zero");
  if (a == INT32_MIN && b == -1) TRAP("integer overflow");
  --sp;
  sp[-1] = static_cast<uint32_t>(a / b);
  NEXT();
}
L_I32DivU : {
  uint32_t b = static_cast<uint32_t>(sp[-1]), a = static_cast<uint32_t>(sp[-2]);
  if (b == 0) TRAP("integer divide by zero");
  --sp;
  sp[-1] = a / b;
  NEXT();
}
L_I32RemS : {
  int32_t b = S32(sp[-1]), a = S32(sp[-2]);
  if (b == 0) TRAP("integer divide by zero");
  --sp;
  sp[-1] = b == -1 ? 0 : static_cast<uint32_t>(a % b);
  NEXT();
}
L_I32RemU : {
  uint32_t b = static_cast<uint32_t>(sp[-1]), a = static_cast<uint32_t>(sp[-2]);
  if (b == 0) TRAP("integer divide by zero");
  --sp;
  sp[-1] = a % b;
  NEXT();
}
  BIN_I32(I32And, a & b)
  BIN_I32(I32Or, a | b)
  BIN_I32(I32Xor, a ^ b)
  BIN_I32(I32Shl, a << (b & 31))
  BIN_I32(I32ShrS, S32(a) >> (b & 31))
  BIN_I32(I32ShrU, a >> (b & 31))
  BIN_I32(I32Rotl, std::rotl(a, static_cast<int>(b & 31)))
  BIN_I32(I32Rotr, std::rotr(a, static_cast<int>(b & 31)))
  UN_I64(I64Clz, std::countl_zero(a))
  UN_I64(I64Ctz, std::countr_zero(a))
  UN_I64(I64Popcnt, std::popcount(a))
  BIN_I64(I64Add, a + b)
  BIN_I64(I64Sub, a - b)
  BIN_I64(I64Mul, a * b)
L_I64DivS : {
  int64_t b = S64(sp[-1]), a = S64(sp[-2]);
  if (b == 0) TRAP("integer divide by zero");
  if (a == INT64_MIN && b == -1) TRAP("integer overflow");
  --sp;
  sp[-1] = static_cast<uint64_t>(a / b);
  NEXT();
}
L_I64DivU : {
  uint64_t b = sp[-1], a = sp[-2];
  if (b == 0) TRAP("integer divide by zero");
  --sp;
  sp[-1] = a / b;
  NEXT();
}
L_I64RemS : {
  int64_t b = S64(sp[-1]), a = S64(sp[-2]);
  if (b == 0) TRAP("integer divide by zero");
  --sp;
  sp[-1] = b == -1 ? 0 : static_cast<uint64_t>(a % b);
  NEXT();
}
L_I64RemU : {
  uint64_t b = sp[-1], a = sp[-2];
  if (b == 0) TRAP("integer divide by zero");
  --sp;
  sp[-1] = a % b;
  NEXT();
}
  BIN_I64(I64And, a & b)
  BIN_I64(I64Or, a | b)
  BIN_I64(I64Xor, a ^ b)
  BIN_I64(I64Shl, a << (b & 63))
  BIN_I64(I64ShrS, S64(a) >> (b & 63))
  BIN_I64(I64ShrU, a >> (b & 63))
  BIN_I64(I64Rotl, std::rotl(a, static_cast<int>(b & 63)))
  BIN_I64(I64Rotr, std::rotr(a, static_cast<int>(b & 63)))
  BITS_OP(F32Abs, math::F32Abs(sp[-1]))
  BITS_OP(F32Neg, math::F32Neg(sp[-1]))
  UN_F32(F32Ceil, math::Ceil(a))
  UN_F32(F32Floor, math::Floor(a))
  UN_F32(F32Trunc, math::Trunc(a))
  UN_F32(F32Nearest, math::Nearest(a))
  UN_F32(F32Sqrt, math::Sqrt(a))
  BIN_F32(F32Add, a + b)
  BIN_F32(F32Sub, a - b)
  BIN_F32(F32Mul, a * b)
  BIN_F32(F32Div, a / b)
  BIN_F32(F32Min, math::Min(a, b))
  BIN_F32(F32Max, math::Max(a, b))
  BITS_BIN(F32Copysign, math::F32Copysign(a, b))
  BITS_OP(F64Abs, math::F64Abs(sp[-1]))
  BITS_OP(F64Neg, math::F64Neg(sp[-1]))
  UN_F64(F64Ceil, math::Ceil(a))
  UN_F64(F64Floor, math::Floor(a))
  UN_F64(F64Trunc, math::Trunc(a))
  UN_F64(F64Nearest, math::Nearest(a))
  UN_F64(F64Sqrt, math::Sqrt(a))
  BIN_F64(F64Add, a + b)
  BIN_F64(F64Sub, a - b)
  BIN_F64(F64Mul, a * b)
  BIN_F64(F64Div, a / b)
  BIN_F64(F64Min, math::Min(a, b))
  BIN_F64(F64Max, math::Max(a, b))
  BITS_BIN(F64Copysign, math::F64Copysign(a, b))
  BITS_OP(I32WrapI64, sp[-1] & 0xffffffffu)

#define TRUNC_OP(name, I, FROM, OUT)                                            \
  L_##name : {                                                                  \
    I r;                                                                        \
    int e = math::TruncChecked<I>(FROM(sp[-1]), &r);                            \
    if (e) TRAP(e == 1 ? "invalid conversion to integer" : "integer overflow"); \
    sp[-1] = OUT;                                                               \
    NEXT();                                                                     \
  }
  TRUNC_OP(I32TruncF32S, int32_t, F32, static_cast<uint32_t>(r))
  TRUNC_OP(I32TruncF32U, uint32_t, F32, r)
  TRUNC_OP(I32TruncF64S, int32_t, F64, static_cast<uint32_t>(r))
  TRUNC_OP(I32TruncF64U, uint32_t, F64, r)
  TRUNC_OP(I64TruncF32S, int64_t, F32, static_cast<uint64_t>(r))
  TRUNC_OP(I64TruncF32U, uint64_t, F32, r)
  TRUNC_OP(I64TruncF64S, int64_t, F64, static_cast<uint64_t>(r))
  TRUNC_OP(I64TruncF64U, uint64_t, F64, r)
#undef TRUNC_OP
  BITS_OP(I64ExtendI32S, static_cast<uint64_t>(static_cast<int64_t>(S32(sp[-1]))))
  BITS_OP(F32ConvertI32S, Slot(static_cast<float>(S32(sp[-1]))))
  BITS_OP(F32ConvertI32U, Slot(static_cast<float>(static_cast<uint32_t>(sp[-1]))))
  BITS_OP(F32ConvertI64S, Slot(static_cast<float>(S64(sp[-1]))))
  BITS_OP(F32ConvertI64U, Slot(static_cast<float>(sp[-1])))
  BITS_OP(F32DemoteF64, Slot(static_cast<float>(F64(sp[-1]))))
  BITS_OP(F64ConvertI32S, Slot(static_cast<double>(S32(sp[-1]))))
  BITS_OP(F64ConvertI32U, Slot(static_cast<double>(static_cast<uint32_t>(sp[-1]))))
  BITS_OP(F64ConvertI64S, Slot(static_cast<double>(S64(sp[-1]))))
  BITS_OP(F64ConvertI64U, Slot(static_cast<double>(sp[-1])))
  BITS_OP(F64PromoteF32, Slot(static_cast<double>(F32(sp[-1]))))
  BITS_OP(I32Extend8S, static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(sp[-1]))))
  BITS_OP(I32Extend16S, static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(sp[-1]))))
  BITS_OP(I64Extend8S, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(sp[-1]))))
  BITS_OP(I64Extend16S, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(sp[-1]))))
  BITS_OP(I64Extend32S, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(sp[-1]))))
  BITS_OP(I32TruncSatF32S, static_cast<uint32_t>(math::TruncSat<int32_t>(F32(sp[-1]))))
  BITS_OP(I32TruncSatF32U, math::TruncSat<uint32_t>(F32(sp[-1])))
  BITS_OP(I32TruncSatF64S, static_cast<uint32_t>(math::TruncSat<int32_t>(F64(sp[-1]))))
  BITS_OP(I32TruncSatF64U, math::TruncSat<uint32_t>(F64(sp[-1])))
  BITS_OP(I64TruncSatF32S, static_cast<uint64_t>(math::TruncSat<int64_t>(F32(sp[-1]))))
  BITS_OP(I64TruncSatF32U, math::TruncSat<uint64_t>(F32(sp[-1])))
  BITS_OP(I64TruncSatF64S, static_cast<uint64_t>(math::TruncSat<int64_t>(F64(sp[-1]))))
  BITS_OP(I64TruncSatF64U, math::TruncSat<uint64_t>(F64(sp[-1])))

  // ---- fused with a constant operand / compare-and-branch
L_I32AndC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a & c);
  pc += 1;
  NEXT();
}
L_I32OrC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a | c);
  pc += 1;
  NEXT();
}
L_I32XorC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a ^ c);
  pc += 1;
  NEXT();
}
L_I32ShlC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a << (c & 31));
  pc += 1;
  NEXT();
}
L_I32ShrSC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(S32(a) >> (c & 31));
  pc += 1;
  NEXT();
}
L_I32ShrUC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a >> (c & 31));
  pc += 1;
  NEXT();
}
L_I32RotlC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(std::rotl(a, static_cast<int>(c & 31)));
  pc += 1;
  NEXT();
}
L_I32RotrC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(std::rotr(a, static_cast<int>(c & 31)));
  pc += 1;
  NEXT();
}
L_I32MulC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a * c);
  pc += 1;
  NEXT();
}
L_I32EqC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a == c);
  pc += 1;
  NEXT();
}
L_I32NeC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a != c);
  pc += 1;
  NEXT();
}
L_I32LtUC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a < c);
  pc += 1;
  NEXT();
}
L_I32LtSC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(S32(a) < S32(c));
  pc += 1;
  NEXT();
}
L_I32GtUC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a > c);
  pc += 1;
  NEXT();
}
L_I32GtSC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(S32(a) > S32(c));
  pc += 1;
  NEXT();
}
L_I32LeUC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a <= c);
  pc += 1;
  NEXT();
}
L_I32GeUC : {
  uint32_t a = static_cast<uint32_t>(sp[-1]);
  uint32_t c = static_cast<uint32_t>(pc[0]);
  sp[-1] = static_cast<uint32_t>(a >= c);
  pc += 1;
  NEXT();
}
L_I64AddC : {
  uint64_t a = sp[-1];
  uint64_t c = pc[0];
  sp[-1] = a + c;
  pc += 1;
  NEXT();
}
L_I64AndC : {
  uint64_t a = sp[-1];
  uint64_t c = pc[0];
  sp[-1] = a & c;
  pc += 1;
  NEXT();
}
L_I64ShlC : {
  uint64_t a = sp[-1];
  uint64_t c = pc[0];
  sp[-1] = a << (c & 63);
  pc += 1;
  NEXT();
}
L_I64ShrUC : {
  uint64_t a = sp[-1];
  uint64_t c = pc[0];
  sp[-1] = a >> (c & 63);
  pc += 1;
  NEXT();
}
L_I64XorC : {
  uint64_t a = sp[-1];
  uint64_t c = pc[0];
  sp[-1] = a ^ c;
  pc += 1;
  NEXT();
}
L_BrIfI32Eq : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (a == b) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
L_BrIfI32Ne : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (a != b) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
L_BrIfI32LtU : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (a < b) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
L_BrIfI32LtS : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (S32(a) < S32(b)) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
L_BrIfI32GtU : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (a > b) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
L_BrIfI32GtS : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (S32(a) > S32(b)) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
L_BrIfI32LeU : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (a <= b) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
L_BrIfI32GeU : {
  uint32_t b = static_cast<uint32_t>(sp[-1]);
  uint32_t a = static_cast<uint32_t>(sp[-2]);
  sp -= 2;
  if (a >= b) {
    TICK();
    pc = TARGET(0);
  } else {
    pc += 1;
  }
  NEXT();
}
// Compare with a constant and branch forward (no tick: never a loop back-edge).
#define BR_IF_C(name, cmp)                     \
  L_##name : {                                 \
    uint32_t a = static_cast<uint32_t>(*--sp); \
    uint32_t c = static_cast<uint32_t>(pc[1]); \
    if (cmp)                                   \
      pc = TARGET(0);                          \
    else                                       \
      pc += 2;                                 \
    NEXT();                                    \
  }
  BR_IF_C(BrIfI32EqC, a == c)
  BR_IF_C(BrIfI32NeC, a != c)
  BR_IF_C(BrIfI32LtUC, a < c)
  BR_IF_C(BrIfI32LtSC, S32(a) < S32(c))
  BR_IF_C(BrIfI32GtUC, a > c)
  BR_IF_C(BrIfI32GtSC, S32(a) > S32(c))
  BR_IF_C(BrIfI32LeUC, a <= c)
  BR_IF_C(BrIfI32LeSC, S32(a) <= S32(c))
  BR_IF_C(BrIfI32GeUC, a >= c)
  BR_IF_C(BrIfI32GeSC, S32(a) >= S32(c))
#undef BR_IF_C
#undef S32
#undef S64
  // ---- fused locals, loads and stores
L_LocalGet2:
  sp[0] = fp[pc[0]];
  sp[1] = fp[pc[1]];
  sp += 2;
  pc += 2;
  NEXT();
L_LocalSetC:
  fp[pc[0]] = pc[1];
  pc += 2;
  NEXT();
L_I32LoadA : {
  uint64_t ea = pc[0];  // the constant address plus the offset, made at translation
  pc += 1;
  if (__builtin_expect(ea + 4 > memsize, 0)) TRAP(kMemOob);
  uint32_t v;
  std::memcpy(&v, mem + ea, 4);
  *sp++ = v;
  NEXT();
}
L_I32LoadTee : {
  uint64_t ea = static_cast<uint32_t>(sp[-1]) + pc[1];
  if (__builtin_expect(ea + 4 > memsize, 0)) TRAP(kMemOob);
  uint32_t v;
  std::memcpy(&v, mem + ea, 4);
  sp[-1] = v;
  fp[pc[0]] = v;
  pc += 2;
  NEXT();
}
// i32.load from local a + offset into local d, and onto the stack too for the tee.
#define LOAD_L_TO_LOCAL(name, tee)                            \
  L_##name : {                                                \
    uint64_t ea = static_cast<uint32_t>(fp[pc[1]]) + pc[2];   \
    if (__builtin_expect(ea + 4 > memsize, 0)) TRAP(kMemOob); \
    uint32_t v;                                               \
    std::memcpy(&v, mem + ea, 4);                             \
    fp[pc[0]] = v;                                            \
    if (tee) *sp++ = v;                                       \
    pc += 3;                                                  \
    NEXT();                                                   \
  }
  LOAD_L_TO_LOCAL(I32LoadLSet, false)
  LOAD_L_TO_LOCAL(I32LoadLTee, true)
#undef LOAD_L_TO_LOCAL
// Stores with the value (V) and maybe the address (A) from a local or a constant.
#define STORE_FUSED(name, T, addr, value, pops, words)                \
  L_##name : {                                                        \
    T v = static_cast<T>(value);                                      \
    uint64_t ea = static_cast<uint32_t>(addr) + pc[(words)-1];        \
    sp -= (pops);                                                     \
    pc += (words);                                                    \
    if (__builtin_expect(ea + sizeof(T) > memsize, 0)) TRAP(kMemOob); \
    std::memcpy(mem + ea, &v, sizeof(T));                             \
    NEXT();                                                           \
  }
  STORE_FUSED(I32StoreL, uint32_t, sp[-1], fp[pc[0]], 1, 2)
  STORE_FUSED(I32StoreLL, uint32_t, fp[pc[0]], fp[pc[1]], 0, 3)
  STORE_FUSED(I32StoreC, uint32_t, sp[-1], pc[0], 1, 2)
  STORE_FUSED(I32StoreLC, uint32_t, fp[pc[0]], pc[1], 0, 3)
  STORE_FUSED(I64StoreC, uint64_t, sp[-1], pc[0], 1, 2)
  STORE_FUSED(I64StoreLC, uint64_t, fp[pc[0]], pc[1], 0, 3)
  STORE_FUSED(I32Store8C, uint8_t, sp[-1], pc[0], 1, 2)
#undef STORE_FUSED
  // ---- v128 (two slots) and SIMD
L_Drop2:
  sp -= 2;
  NEXT();
L_Select128 : {
  uint32_t c = static_cast<uint32_t>(sp[-1]);
  sp -= 3;
  if (!c) {
    sp[-2] = sp[0];
    sp[-1] = sp[1];
  }
  NEXT();
}
L_LocalGet128:
  sp[0] = fp[pc[0]];
  sp[1] = fp[pc[0] + 1];
  sp += 2;
  pc += 1;
  NEXT();
L_LocalSet128:
  fp[pc[0]] = sp[-2];
  fp[pc[0] + 1] = sp[-1];
  sp -= 2;
  pc += 1;
  NEXT();
L_LocalTee128:
  fp[pc[0]] = sp[-2];
  fp[pc[0] + 1] = sp[-1];
  pc += 1;
  NEXT();
L_GlobalGet128:
  sp[0] = globals[pc[0]]->bits;
  sp[1] = globals[pc[0]]->hi;
  sp += 2;
  pc += 1;
  NEXT();
L_GlobalSet128:
  globals[pc[0]]->bits = sp[-2];
  globals[pc[0]]->hi = sp[-1];
  sp -= 2;
  pc += 1;
  NEXT();
L_Const128:
  sp[0] = pc[0];
  sp[1] = pc[1];
  sp += 2;
  pc += 2;
  NEXT();
L_Simd:
  sp = simd::Op(static_cast<uint32_t>(pc[0]), sp);
  pc += 1;
  NEXT();
L_SimdLane:
  sp = simd::LaneOp(static_cast<uint32_t>(pc[0]), static_cast<uint32_t>(pc[1]), sp);
  pc += 2;
  NEXT();
L_SimdMem : {
  uint64_t* r = simd::MemOp(static_cast<uint32_t>(pc[0]), pc[1], 0, sp, mem, memsize);
  if (!r) TRAP(kMemOob);
  sp = r;
  pc += 2;
  NEXT();
}
L_SimdMemLane : {
  uint64_t* r = simd::MemOp(static_cast<uint32_t>(pc[0]), pc[1], static_cast<uint32_t>(pc[2]), sp,
                            mem, memsize);
  if (!r) TRAP(kMemOob);
  sp = r;
  pc += 3;
  NEXT();
}
L_SimdMemM : {
  Memory* m = inst->memories[pc[2]];
  uint64_t* r = simd::MemOp(static_cast<uint32_t>(pc[0]), pc[1], 0, sp, m->data(), m->size_bytes());
  if (!r) TRAP(kMemOob);
  sp = r;
  pc += 3;
  NEXT();
}
L_SimdMemLaneM : {
  Memory* m = inst->memories[pc[3]];
  uint64_t* r = simd::MemOp(static_cast<uint32_t>(pc[0]), pc[1], static_cast<uint32_t>(pc[2]), sp,
                            m->data(), m->size_bytes());
  if (!r) TRAP(kMemOob);
  sp = r;
  pc += 4;
  NEXT();
}
L_Shuffle : {
  uint8_t idx[16], in[32], out[16];
  std::memcpy(idx, pc, 16);
  std::memcpy(in, sp - 4, 32);
  for (int i = 0; i < 16; ++i) out[i] = in[idx[i]];
  std::memcpy(sp - 4, out, 16);
  sp -= 2;
  pc += 2;
  NEXT();
}

#undef mem
#undef memsize
done:
  ex.depth = entry_depth;
  return {};

trap:
  ex.depth = entry_depth;
  ex.sp = base;
  if (trap_msg == kExhausted) return Error{Error::Kind::kExhaustion, kExhausted, Limit::kCallDepth};
  if (trap_msg == host_error.message.c_str()) {
    if (host_error.limit == Limit::kCallDepth)
      host_error.kind = Error::Kind::kExhaustion;
    else
      host_error.kind = Error::Kind::kTrap;
    return host_error;  // moved: a local
  }
  Error e = Trap(trap_msg);
  if (trap_msg == kInterrupted)
    e.limit = Limit::kInterrupt;
  else if (trap_msg == kDeadline)
    e.limit = Limit::kDeadline;
  else if (trap_msg == kFuelOut)
    e.limit = Limit::kFuel;
  return e;
}

}  // namespace

namespace code {

const void* const* HandlerTable() {
  static const void* const* table = [] {
    const void* const* t = nullptr;
    (void)Run(nullptr, nullptr, &t);
    return t;
  }();
  return table;
}

namespace {
struct OpInfo {
  const char* name;
  int imms;
};
constexpr OpInfo kOpInfo[] = {
#define LOKUST_I(name, imms) {#name, imms},
#define LOKUST_IN(name, opcode, a, b, r) {#name, 0},
    LOKUST_CODE_OPS(LOKUST_I) LOKUST_NUMERIC_OPS(LOKUST_IN)
#undef LOKUST_I
#undef LOKUST_IN
};
}  // namespace

Op OpFromHandler(uint64_t handler) {
  const void* const* t = HandlerTable();
  for (int i = 0; i < static_cast<int>(Op::kCount); ++i)
    if (reinterpret_cast<uint64_t>(t[i]) == handler) return static_cast<Op>(i);
  return Op::kCount;
}
const char* OpName(Op op) { return op < Op::kCount ? kOpInfo[static_cast<int>(op)].name : "?"; }
int OpImmediates(Op op) { return op < Op::kCount ? kOpInfo[static_cast<int>(op)].imms : 0; }

}  // namespace code

Result<void> Interp::Execute(Store& store, Func* func) {
  Store::Exec& ex = store.exec();
  if (func->is_host()) return CallHost(store, nullptr, func, ex.sp);
  return Run(&store, func, nullptr);
}

}  // namespace lokust::core
