// Validation and translation of function bodies in one pass. The validator keeps the
// operand-type stack and control stack of the specification's validation algorithm; while
// code is reachable the emitter appends internal code whose stack heights follow exactly
// from the validator's stack, so branches carry pre-computed drop/keep counts.

#include "engine/core/translator.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/core/code.h"
#include "engine/core/reader.h"
#include "engine/core/simd.h"

namespace lokust::core {
namespace {

using code::Op;
using VT = uint8_t;  // a ValType byte, or kAny for the polymorphic stack's unknown type
constexpr VT kAny = 0;
constexpr VT I32 = static_cast<VT>(ValType::kI32);
constexpr VT I64 = static_cast<VT>(ValType::kI64);
constexpr VT F32 = static_cast<VT>(ValType::kF32);
constexpr VT F64 = static_cast<VT>(ValType::kF64);
constexpr VT None = 0xff;

constexpr uint64_t kMaxLocals = 50000;  // implementation limit

constexpr VT V128 = static_cast<VT>(ValType::kV128);
bool IsRef(VT t) { return t == 0x70 || t == 0x6f; }
bool IsNum(VT t) { return t == I32 || t == I64 || t == F32 || t == F64; }
bool IsValType(VT t) { return IsNum(t) || IsRef(t) || t == V128; }
// Stack slots a value takes (v128: two 64-bit slots).
uint32_t W(VT t) { return t == V128 ? 2 : 1; }
uint32_t W(const std::vector<VT>& ts) {
  uint32_t n = 0;
  for (VT t : ts) n += W(t);
  return n;
}

struct NumericInfo {
  Op op;
  VT in1, in2, out;
  bool valid = false;
};

const std::array<NumericInfo, 256>& NumericTable() {
  static const std::array<NumericInfo, 256> table = [] {
    std::array<NumericInfo, 256> t{};
#define LOKUST_NUM_ROW(name, opcode, a, b, r) \
  if ((opcode) < 0x100) t[(opcode)] = NumericInfo{Op::name, a, b, r, true};
    LOKUST_NUMERIC_OPS(LOKUST_NUM_ROW)
#undef LOKUST_NUM_ROW
    return t;
  }();
  return table;
}

const std::array<NumericInfo, 8>& SatTable() {
  static const std::array<NumericInfo, 8> table = [] {
    std::array<NumericInfo, 8> t{};
#define LOKUST_SAT_ROW(name, opcode, a, b, r) \
  if ((opcode) >= 0xfc00) t[(opcode)-0xfc00] = NumericInfo{Op::name, a, b, r, true};
    LOKUST_NUMERIC_OPS(LOKUST_SAT_ROW)
#undef LOKUST_SAT_ROW
    return t;
  }();
  return table;
}

struct Ctrl {
  uint8_t opcode = 0;  // 0 function, 0x02 block, 0x03 loop, 0x04 if, 0x05 else
  std::vector<VT> params;
  std::vector<VT> results;
  uint32_t height = 0;       // operand stack height at entry, params excluded (values)
  uint32_t slot_height = 0;  // the same in slots
  bool unreachable = false;
  bool live = true;  // code was being emitted when the frame began
  size_t loop_target = 0;
  std::vector<size_t> fixups;  // words to patch with the end address
  size_t else_fixup = SIZE_MAX;
  const std::vector<VT>& label_types() const { return opcode == 0x03 ? params : results; }
};

class Translator {
 public:
  Translator(const ModuleContext& ctx, std::vector<uint64_t>* code, std::vector<size_t>* relocs)
      : ctx_(ctx),
        m_(*ctx.module),
        code_(*code),
        relocs_(*relocs),
        handlers_(code::HandlerTable()) {}

  Result<void> Run(uint32_t defined_index, std::span<const uint8_t> body, FuncCode* out);

 private:
  // ---- errors
  bool Invalid(std::string msg) {
    if (error_.message.empty()) error_ = core::Invalid(std::move(msg));
    return false;
  }
  bool Malformed(std::string msg) {
    if (error_.message.empty()) error_ = core::Malformed(std::move(msg));
    return false;
  }

  // ---- operand stack
  void Push(VT t) {
    vals_.push_back(t);
    slots_ += W(t);
    uint32_t h = height();
    if (h > max_height_) max_height_ = h;
  }
  bool Pop(VT expect, VT* got = nullptr) {
    Ctrl& c = ctrls_.back();
    VT v;
    if (vals_.size() == c.height) {
      if (!c.unreachable) return Invalid("type mismatch");
      v = kAny;
    } else {
      v = vals_.back();
      vals_.pop_back();
      slots_ -= W(v);
    }
    if (expect != kAny && v != kAny && v != expect) return Invalid("type mismatch");
    if (got) *got = v == kAny ? expect : v;
    return true;
  }
  bool PopVals(const std::vector<VT>& types) {
    for (size_t i = types.size(); i-- > 0;)
      if (!Pop(types[i])) return false;
    return true;
  }
  void PushVals(const std::vector<VT>& types) {
    for (VT t : types) Push(t);
  }
  // Check the top of stack matches `types` without popping (for br / br_table); unknown
  // values of the polymorphic stack stay unknown.
  bool PeekVals(const std::vector<VT>& types) {
    std::vector<VT> popped(types.size());
    for (size_t i = types.size(); i-- > 0;) {
      Ctrl& c = ctrls_.back();
      if (vals_.size() == c.height) {
        if (!c.unreachable) return Invalid("type mismatch");
        popped[i] = kAny;
        continue;
      }
      VT v = vals_.back();
      if (types[i] != kAny && v != kAny && v != types[i]) return Invalid("type mismatch");
      vals_.pop_back();
      slots_ -= W(v);
      popped[i] = v;
    }
    for (VT v : popped) {
      vals_.push_back(v);
      slots_ += W(v);
    }
    return true;
  }
  void SetUnreachable() {
    Ctrl& c = ctrls_.back();
    vals_.resize(c.height);
    slots_ = c.slot_height;
    c.unreachable = true;
  }
  bool live() const { return !ctrls_.back().unreachable && ctrls_.back().live; }
  // Runtime stack height in slots above the frame base.
  uint32_t height() const { return num_local_slots_ + slots_; }

  // ---- emission
  void Emit(Op op) {
    if (!live()) return;
    // Two local.gets in a row become one LocalGet2 once the next op is known not to fuse with
    // them: a local.get or a const may still pair with the second one (I32AddLL, I32StoreLC,
    // ...), and a consumer that fused them rewinds them before it emits.
    if (op != Op::LocalGet && op != Op::Const && Is(ops_[0], Op::LocalGet) &&
        ops_[0] + 2 == code_.size() && Is(ops_[1], Op::LocalGet) && ops_[1] + 2 == ops_[0]) {
      const uint64_t a = code_[ops_[1] + 1], b = code_[ops_[0] + 1];
      const size_t at = ops_[1];
      code_.resize(at);
      code_.push_back(reinterpret_cast<uint64_t>(handlers_[static_cast<int>(Op::LocalGet2)]));
      code_.push_back(a);
      code_.push_back(b);
      ops_ = {at, ops_[2], SIZE_MAX};
    }
    ops_[2] = ops_[1];
    ops_[1] = ops_[0];
    ops_[0] = code_.size();
    code_.push_back(reinterpret_cast<uint64_t>(handlers_[static_cast<int>(op)]));
  }
  void Imm(uint64_t v) {
    if (live()) code_.push_back(v);
  }
  void Target(size_t word) {
    if (!live()) return;
    relocs_.push_back(code_.size());
    code_.push_back(word);
  }
  // Emits a target word to be patched when the label's frame ends.
  void Fixup(Ctrl& c) {
    if (!live()) return;
    c.fixups.push_back(code_.size());
    relocs_.push_back(code_.size());
    code_.push_back(0);
  }
  void LabelHere() { ops_ = {SIZE_MAX, SIZE_MAX, SIZE_MAX}; }
  Op OpAt(size_t pos) const {
    if (pos == SIZE_MAX) return Op::kCount;
    for (int i = 0; i < static_cast<int>(Op::kCount); ++i)
      if (code_[pos] == reinterpret_cast<uint64_t>(handlers_[i])) return static_cast<Op>(i);
    return Op::kCount;
  }
  bool Is(size_t pos, Op op) const {
    return pos != SIZE_MAX &&
           code_[pos] == reinterpret_cast<uint64_t>(handlers_[static_cast<int>(op)]);
  }
  void Rewind(size_t pos) {
    code_.resize(pos);
    ops_ = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
  }
  void EmitBinary(Op op);
  // The BrIfI32*C op that branches when the I32*C compare with a constant at `pos` is true,
  // or false with `inverse`; kCount if `pos` holds no such compare. Eight handler comparisons,
  // not OpAt's scan of every op: this runs at every `if`.
  Op BranchOnCompareC(size_t pos, bool inverse) const {
    static constexpr struct {
      Op cmp, when_true, when_false;
    } kBranches[] = {
        {Op::I32EqC, Op::BrIfI32EqC, Op::BrIfI32NeC},
        {Op::I32NeC, Op::BrIfI32NeC, Op::BrIfI32EqC},
        {Op::I32LtUC, Op::BrIfI32LtUC, Op::BrIfI32GeUC},
        {Op::I32LtSC, Op::BrIfI32LtSC, Op::BrIfI32GeSC},
        {Op::I32GtUC, Op::BrIfI32GtUC, Op::BrIfI32LeUC},
        {Op::I32GtSC, Op::BrIfI32GtSC, Op::BrIfI32LeSC},
        {Op::I32LeUC, Op::BrIfI32LeUC, Op::BrIfI32GtUC},
        {Op::I32GeUC, Op::BrIfI32GeUC, Op::BrIfI32LtUC},
    };
    for (const auto& b : kBranches)
      if (Is(pos, b.cmp)) return inverse ? b.when_false : b.when_true;
    return Op::kCount;
  }

  // Emit a branch to label `depth` with the current stack (label values on top).
  void EmitBranch(uint32_t depth, bool conditional);

  bool BlockType(Reader& r, std::vector<VT>* params, std::vector<VT>* results);
  bool MemArg(Reader& r, uint32_t natural_align, uint32_t* offset, uint32_t* memory);
  bool CheckMemory(uint32_t memory = 0) {
    if (memory >= m_.memories.size()) return Invalid("unknown memory " + std::to_string(memory));
    return true;
  }
  // The memory index of memory.size/grow/fill/copy/init: a reserved zero byte in Wasm 2.0,
  // a memidx with multi-memory.
  bool MemIndex(Reader& r, uint32_t* memory) {
    if (ctx_.multi_memory) return r.U32(memory);
    uint8_t zero;
    if (!r.U8(&zero)) return false;
    if (zero != 0) return Malformed("zero byte expected");
    *memory = 0;
    return true;
  }
  bool CheckTable(uint32_t t) {
    if (t >= m_.tables.size()) return Invalid("unknown table " + std::to_string(t));
    return true;
  }
  bool Load(Reader& r, Op op, uint32_t align, VT type);
  // A load or store on a memory other than 0: one generic op, so that memory 0's ops stay
  // specialised (memidx != 0 only occurs with multi-memory).
  bool EmitMemAccessM(Op op, uint32_t memory, uint32_t offset) {
    Emit(Op::MemAccessM);
    Imm(static_cast<uint64_t>(op));
    Imm(memory);
    Imm(offset);
    return true;
  }
  bool Store(Reader& r, Op op, uint32_t align, VT type);
  bool Instr(Reader& r, uint8_t opcode);
  bool Simd(Reader& r);
  bool PushCtrl(uint8_t opcode, std::vector<VT> params, std::vector<VT> results);

  const ModuleContext& ctx_;
  const Module& m_;
  std::vector<uint64_t>& code_;
  std::vector<size_t>& relocs_;
  const void* const* handlers_;
  Error error_{Error::Kind::kInvalid, ""};
  std::vector<VT> locals_;
  uint32_t num_locals_ = 0;
  std::vector<uint32_t> local_slot_;  // slot offset of each local
  uint32_t num_local_slots_ = 0;
  uint32_t slots_ = 0;  // operand stack height in slots
  uint32_t max_height_ = 0;
  std::vector<VT> vals_;
  std::vector<Ctrl> ctrls_;
  std::array<size_t, 3> ops_{SIZE_MAX, SIZE_MAX, SIZE_MAX};  // last instructions (fusion)
};

std::vector<VT> ToVT(const std::vector<ValType>& v) {
  std::vector<VT> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<VT>(v[i]);
  return out;
}

bool Translator::PushCtrl(uint8_t opcode, std::vector<VT> params, std::vector<VT> results) {
  Ctrl c;
  c.opcode = opcode;
  c.live = live();
  c.height = static_cast<uint32_t>(vals_.size() - params.size());
  c.slot_height = slots_ - W(params);
  c.params = std::move(params);
  c.results = std::move(results);
  ctrls_.push_back(std::move(c));
  return true;
}

void Translator::EmitBranch(uint32_t depth, bool conditional) {
  if (!live()) return;
  Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
  uint32_t keep = W(target.label_types());
  if (!conditional && depth == ctrls_.size() - 1) {
    Emit(Op::Return);
    Imm(keep);
    return;
  }
  uint32_t drop = height() - keep - (num_local_slots_ + target.slot_height);
  bool back = target.opcode == 0x03;
  if (drop == 0) {
    Emit(conditional ? (back ? Op::BrIfNoDropBack : Op::BrIfNoDrop)
                     : (back ? Op::JumpBack : Op::Jump));
  } else {
    Emit(conditional ? (back ? Op::BrIfBack : Op::BrIf) : (back ? Op::BrBack : Op::Br));
  }
  if (back) {
    Target(target.loop_target);
  } else {
    Fixup(target);
  }
  if (drop != 0) Imm(code::DropKeep(drop, keep));
}

bool Translator::BlockType(Reader& r, std::vector<VT>* params, std::vector<VT>* results) {
  if (r.at_end()) return Malformed("unexpected end");
  uint8_t b = *r.pos();
  if (b == 0x40) {
    r.Skip(1);
    return true;
  }
  if (IsValType(b)) {
    r.Skip(1);
    results->push_back(b);
    return true;
  }
  int64_t idx;
  if (!r.S33(&idx)) return Malformed(r.error());
  if (idx < 0) return Malformed("malformed value type");
  if (static_cast<uint64_t>(idx) >= m_.types.size())
    return Invalid("unknown type " + std::to_string(idx));
  *params = ToVT(m_.types[idx].params);
  *results = ToVT(m_.types[idx].results);
  return true;
}

bool Translator::MemArg(Reader& r, uint32_t natural_align, uint32_t* offset, uint32_t* memory) {
  uint32_t align;
  *memory = 0;
  if (!r.U32(&align)) return Malformed(r.error());
  // Multi-memory: flag bit 6 says a memory index follows the alignment (before the offset).
  if (ctx_.multi_memory && align >= 64 && align < 128) {
    if (!r.U32(memory)) return Malformed(r.error());
    align -= 64;
  }
  if (!r.U32(offset)) return Malformed(r.error());
  if (!CheckMemory(*memory)) return false;
  if (align >= 32) return Malformed("malformed memop flags");
  if (align > natural_align) return Invalid("alignment must not be larger than natural");
  return true;
}

bool Translator::Load(Reader& r, Op op, uint32_t align, VT type) {
  uint32_t offset, memory;
  if (!MemArg(r, align, &offset, &memory)) return false;
  if (!Pop(I32)) return false;
  Push(type);
  if (memory != 0) return EmitMemAccessM(op, memory, offset);
  // i32.const c; i32.load offset: the address is known now (c + offset, no wrap: 33 bits).
  if (op == Op::I32Load && Is(ops_[0], Op::Const) && ops_[0] + 2 == code_.size()) {
    const uint64_t ea = static_cast<uint32_t>(code_[ops_[0] + 1]) + uint64_t{offset};
    Rewind(ops_[0]);
    Emit(Op::I32LoadA);
    Imm(ea);
    return true;
  }
  Op lop = op == Op::I32Load     ? Op::I32LoadL
           : op == Op::I64Load   ? Op::I64LoadL
           : op == Op::F64Load   ? Op::F64LoadL
           : op == Op::I32Load8U ? Op::I32Load8UL
           : op == Op::I32Load8S ? Op::I32Load8SL
                                 : Op::kCount;
  if (lop != Op::kCount && Is(ops_[0], Op::LocalGet) && ops_[0] + 2 == code_.size()) {
    uint64_t local = code_[ops_[0] + 1];
    Rewind(ops_[0]);
    Emit(lop);
    Imm(local);
    Imm(offset);
    return true;
  }
  Emit(op);
  Imm(offset);
  return true;
}

bool Translator::Store(Reader& r, Op op, uint32_t align, VT type) {
  uint32_t offset, memory;
  if (!MemArg(r, align, &offset, &memory)) return false;
  if (!Pop(type) || !Pop(I32)) return false;
  if (memory != 0) return EmitMemAccessM(op, memory, offset);
  if (live()) {
    const size_t n = code_.size();
    const bool value_local = Is(ops_[0], Op::LocalGet) && ops_[0] + 2 == n;
    const bool value_const = Is(ops_[0], Op::Const) && ops_[0] + 2 == n;
    const bool addr_local =
        (value_local || value_const) && Is(ops_[1], Op::LocalGet) && ops_[1] + 2 == ops_[0];
    Op fused = Op::kCount;
    if (op == Op::I32Store && value_local) fused = addr_local ? Op::I32StoreLL : Op::I32StoreL;
    if (op == Op::I32Store && value_const) fused = addr_local ? Op::I32StoreLC : Op::I32StoreC;
    if (op == Op::I64Store && value_const) fused = addr_local ? Op::I64StoreLC : Op::I64StoreC;
    if (op == Op::I32Store8 && value_const && !addr_local) fused = Op::I32Store8C;
    if (fused != Op::kCount) {  // every fused store with addr_local takes the address local
      const uint64_t value = code_[ops_[0] + 1];
      const uint64_t addr = addr_local ? code_[ops_[1] + 1] : 0;
      Rewind(addr_local ? ops_[1] : ops_[0]);
      Emit(fused);
      if (addr_local) Imm(addr);
      Imm(value);
      Imm(offset);
      return true;
    }
  }
  Emit(op);
  Imm(offset);
  return true;
}

void Translator::EmitBinary(Op op) {
  if (!live()) return;
  size_t n = code_.size();
  // local.get a; local.get b; op  ->  opLL a b
  Op ll = Op::kCount, lc = Op::kCount;
  switch (op) {
    case Op::I32Add:
      ll = Op::I32AddLL;
      lc = Op::I32AddLC;
      break;
    case Op::I32Sub:
      ll = Op::I32SubLL;
      lc = Op::I32SubLC;
      break;
    case Op::I32LtS:
      ll = Op::I32LtSLL;
      break;
    case Op::I32LtU:
      ll = Op::I32LtULL;
      break;
    case Op::I64Add:
      ll = Op::I64AddLL;
      break;
    default:
      break;
  }
  if (ll != Op::kCount && Is(ops_[0], Op::LocalGet) && ops_[0] + 2 == n &&
      Is(ops_[1], Op::LocalGet) && ops_[1] + 2 == ops_[0]) {
    uint64_t a = code_[ops_[1] + 1], b = code_[ops_[0] + 1];
    Rewind(ops_[1]);
    Emit(ll);
    Imm(a);
    Imm(b);
    return;
  }
  if (lc != Op::kCount && Is(ops_[0], Op::Const) && ops_[0] + 2 == n && Is(ops_[1], Op::LocalGet) &&
      ops_[1] + 2 == ops_[0]) {
    uint64_t a = code_[ops_[1] + 1], c = code_[ops_[0] + 1];
    Rewind(ops_[1]);
    Emit(lc);
    Imm(a);
    Imm(op == Op::I32Sub ? static_cast<uint32_t>(-static_cast<uint32_t>(c)) : c);
    return;
  }
  Op c_op = Op::kCount;
  switch (op) {
    case Op::I32Add:
      c_op = Op::I32AddC;
      break;
    case Op::I32And:
      c_op = Op::I32AndC;
      break;
    case Op::I32Or:
      c_op = Op::I32OrC;
      break;
    case Op::I32Xor:
      c_op = Op::I32XorC;
      break;
    case Op::I32Shl:
      c_op = Op::I32ShlC;
      break;
    case Op::I32ShrS:
      c_op = Op::I32ShrSC;
      break;
    case Op::I32ShrU:
      c_op = Op::I32ShrUC;
      break;
    case Op::I32Rotl:
      c_op = Op::I32RotlC;
      break;
    case Op::I32Rotr:
      c_op = Op::I32RotrC;
      break;
    case Op::I32Mul:
      c_op = Op::I32MulC;
      break;
    case Op::I32Eq:
      c_op = Op::I32EqC;
      break;
    case Op::I32Ne:
      c_op = Op::I32NeC;
      break;
    case Op::I32LtU:
      c_op = Op::I32LtUC;
      break;
    case Op::I32LtS:
      c_op = Op::I32LtSC;
      break;
    case Op::I32GtU:
      c_op = Op::I32GtUC;
      break;
    case Op::I32GtS:
      c_op = Op::I32GtSC;
      break;
    case Op::I32LeU:
      c_op = Op::I32LeUC;
      break;
    case Op::I32GeU:
      c_op = Op::I32GeUC;
      break;
    case Op::I64Add:
      c_op = Op::I64AddC;
      break;
    case Op::I64And:
      c_op = Op::I64AndC;
      break;
    case Op::I64Shl:
      c_op = Op::I64ShlC;
      break;
    case Op::I64ShrU:
      c_op = Op::I64ShrUC;
      break;
    case Op::I64Xor:
      c_op = Op::I64XorC;
      break;
    default:
      break;
  }
  Op l_op = Op::kCount;
  switch (op) {
    case Op::F64Add:
      l_op = Op::F64AddL;
      break;
    case Op::F64Mul:
      l_op = Op::F64MulL;
      break;
    case Op::F64Sub:
      l_op = Op::F64SubL;
      break;
    default:
      break;
  }
  if (l_op != Op::kCount && Is(ops_[0], Op::LocalGet) && ops_[0] + 2 == n) {
    uint64_t b = code_[ops_[0] + 1];
    Rewind(ops_[0]);
    Emit(l_op);
    Imm(b);
    return;
  }
  if (c_op != Op::kCount && Is(ops_[0], Op::Const) && ops_[0] + 2 == n) {
    uint64_t c = code_[ops_[0] + 1];
    Rewind(ops_[0]);
    Emit(c_op);
    Imm(c);
    return;
  }
  Emit(op);
}

Result<void> Translator::Run(uint32_t defined_index, std::span<const uint8_t> body, FuncCode* out) {
  Reader r(body);
  const FuncType& ft = m_.types[out->type];
  locals_ = ToVT(ft.params);
  uint32_t groups;
  if (!r.U32(&groups)) return core::Malformed(r.error());
  uint64_t total = 0;
  for (uint32_t i = 0; i < groups; ++i) {
    uint32_t n;
    if (!r.U32(&n)) return core::Malformed(r.error());
    total += n;
    if (total > 0xffffffffull) return core::Malformed("too many locals");
    if (total > kMaxLocals) return core::Malformed("too many locals");
    uint8_t t;
    if (!r.U8(&t)) return core::Malformed(r.error());
    if (!IsValType(t)) return core::Malformed("malformed value type");
    for (uint32_t k = 0; k < n; ++k) {
      locals_.push_back(t);
      out->locals.push_back(static_cast<ValType>(t));
    }
  }
  num_locals_ = static_cast<uint32_t>(locals_.size());
  local_slot_.resize(num_locals_);
  num_local_slots_ = 0;
  for (uint32_t i = 0; i < num_locals_; ++i) {
    local_slot_[i] = num_local_slots_;
    num_local_slots_ += W(locals_[i]);
  }
  slots_ = 0;
  max_height_ = num_local_slots_;
  out->code_offset = code_.size();
  (void)defined_index;

  ctrls_.clear();
  vals_.clear();
  Ctrl fn;
  fn.opcode = 0;
  fn.results = ToVT(ft.results);
  fn.height = 0;
  ctrls_.push_back(std::move(fn));

  while (!ctrls_.empty()) {
    uint8_t opcode;
    if (!r.U8(&opcode)) return core::Malformed("unexpected end");
    if (!Instr(r, opcode)) {
      if (!r.ok() && error_.message.empty()) return core::Malformed(r.error());
      if (error_.message.empty()) return core::Malformed(r.error());
      return error_;
    }
    if (!r.ok()) return core::Malformed(r.error());
  }
  if (!r.at_end()) return core::Malformed("section size mismatch");
  out->max_stack = max_height_ + 1;
  return {};
}

bool Translator::Instr(Reader& r, uint8_t opcode) {
  switch (opcode) {
    case 0x00:  // unreachable
      Emit(Op::Unreachable);
      SetUnreachable();
      return true;
    case 0x01:  // nop
      return true;
    case 0x02:    // block
    case 0x03: {  // loop
      std::vector<VT> params, results;
      if (!BlockType(r, &params, &results)) return false;
      if (!PopVals(params)) return false;
      PushVals(params);
      PushCtrl(opcode, std::move(params), std::move(results));
      if (opcode == 0x03) {
        LabelHere();
        ctrls_.back().loop_target = code_.size();
      }
      return true;
    }
    case 0x04: {  // if
      std::vector<VT> params, results;
      if (!BlockType(r, &params, &results)) return false;
      if (!Pop(I32)) return false;
      if (!PopVals(params)) return false;
      PushVals(params);
      bool was_live = live();
      size_t fix = SIZE_MAX;
      if (was_live) {
        // The condition's op and the branch to else (or end) in one: i32.eqz; if branches when
        // the value is non-zero, i32.lt_s c; if when it is >= c, ...
        Op fused = Op::BrUnless;
        uint64_t c = 0;
        if (Is(ops_[0], Op::I32Eqz) && ops_[0] + 1 == code_.size()) {
          Rewind(ops_[0]);
          fused = Op::BrIfNoDrop;
        } else if (ops_[0] != SIZE_MAX && ops_[0] + 2 == code_.size()) {
          if (Op inv = BranchOnCompareC(ops_[0], /*inverse=*/true); inv != Op::kCount) {
            c = code_[ops_[0] + 1];
            Rewind(ops_[0]);
            fused = inv;
          }
        }
        Emit(fused);
        fix = code_.size();
        relocs_.push_back(fix);
        code_.push_back(0);
        if (fused != Op::BrUnless && fused != Op::BrIfNoDrop) Imm(c);
      }
      PushCtrl(opcode, std::move(params), std::move(results));
      ctrls_.back().else_fixup = fix;
      return true;
    }
    case 0x05: {  // else
      Ctrl& c = ctrls_.back();
      if (c.opcode != 0x04) return Invalid("else without if");
      if (!PopVals(c.results)) return false;
      if (vals_.size() != c.height) return Invalid("type mismatch");
      if (live()) {
        Emit(Op::Jump);
        Fixup(c);
      }
      if (c.else_fixup != SIZE_MAX) {
        code_[c.else_fixup] = code_.size();
        c.else_fixup = SIZE_MAX;
      }
      LabelHere();
      c.opcode = 0x05;
      c.unreachable = false;
      PushVals(c.params);
      return true;
    }
    case 0x0b: {  // end
      Ctrl& c = ctrls_.back();
      if (!PopVals(c.results)) return false;
      if (vals_.size() != c.height) return Invalid("type mismatch");
      if (c.opcode == 0x04 && c.params != c.results) return Invalid("type mismatch");
      if (ctrls_.size() == 1) {
        // Falling off the end and branches to the function label both reach a Return.
        size_t end = code_.size();
        if (live() || !c.fixups.empty()) {
          code_.push_back(reinterpret_cast<uint64_t>(handlers_[static_cast<int>(Op::Return)]));
          code_.push_back(W(c.results));
        }
        for (size_t f : c.fixups) code_[f] = end;
        ctrls_.pop_back();
        return true;
      }
      size_t end = code_.size();
      if (c.else_fixup != SIZE_MAX) code_[c.else_fixup] = end;
      for (size_t f : c.fixups) code_[f] = end;
      std::vector<VT> results = std::move(c.results);
      ctrls_.pop_back();
      LabelHere();
      PushVals(results);
      return true;
    }
    case 0x0c: {  // br
      uint32_t depth;
      if (!r.U32(&depth)) return false;
      if (depth >= ctrls_.size()) return Invalid("unknown label");
      const auto& types = ctrls_[ctrls_.size() - 1 - depth].label_types();
      if (!PeekVals(types)) return false;
      EmitBranch(depth, false);
      SetUnreachable();
      return true;
    }
    case 0x0d: {  // br_if
      uint32_t depth;
      if (!r.U32(&depth)) return false;
      if (depth >= ctrls_.size()) return Invalid("unknown label");
      if (!Pop(I32)) return false;
      const auto types = ctrls_[ctrls_.size() - 1 - depth].label_types();
      if (!PopVals(types)) return false;
      PushVals(types);
      if (live() && Is(ops_[0], Op::I32Eqz) && ops_[0] + 1 == code_.size()) {
        Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
        uint32_t keep = W(types);
        uint32_t drop = height() - keep - (num_local_slots_ + target.slot_height);
        if (drop == 0 && target.opcode != 0x03) {
          Rewind(ops_[0]);
          Emit(Op::BrIfEqzNoDrop);
          Fixup(target);
          return true;
        }
      }
      if (live() && ops_[0] != SIZE_MAX && ops_[0] + 1 == code_.size()) {
        Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
        uint32_t keep = W(types);
        uint32_t drop = height() - keep - (num_local_slots_ + target.slot_height);
        Op fused = Op::kCount;
        switch (OpAt(ops_[0])) {
          case Op::I32Eq:
            fused = Op::BrIfI32Eq;
            break;
          case Op::I32Ne:
            fused = Op::BrIfI32Ne;
            break;
          case Op::I32LtU:
            fused = Op::BrIfI32LtU;
            break;
          case Op::I32LtS:
            fused = Op::BrIfI32LtS;
            break;
          case Op::I32GtU:
            fused = Op::BrIfI32GtU;
            break;
          case Op::I32GtS:
            fused = Op::BrIfI32GtS;
            break;
          case Op::I32LeU:
            fused = Op::BrIfI32LeU;
            break;
          case Op::I32GeU:
            fused = Op::BrIfI32GeU;
            break;
          default:
            break;
        }
        if (drop == 0 && fused != Op::kCount) {
          Rewind(ops_[0]);
          Emit(fused);
          if (target.opcode == 0x03)
            Target(target.loop_target);
          else
            Fixup(target);
          return true;
        }
      }
      // i32.const c; cmp; br_if forward: the BrIfI32*C ops do not tick, so not to a loop.
      if (live() && ops_[0] != SIZE_MAX && ops_[0] + 2 == code_.size()) {
        Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
        uint32_t keep = W(types);
        uint32_t drop = height() - keep - (num_local_slots_ + target.slot_height);
        Op fused = BranchOnCompareC(ops_[0], /*inverse=*/false);
        if (drop == 0 && target.opcode != 0x03 && fused != Op::kCount) {
          uint64_t c = code_[ops_[0] + 1];
          Rewind(ops_[0]);
          Emit(fused);
          Fixup(target);
          Imm(c);
          return true;
        }
      }
      // Runtime: the condition is popped before the branch, so heights are as now.
      EmitBranch(depth, true);
      return true;
    }
    case 0x0e: {  // br_table
      uint32_t n;
      if (!r.U32(&n)) return false;
      if (n > r.remaining()) return Malformed("unexpected end");
      std::vector<uint32_t> depths(n + 1);
      for (auto& d : depths) {
        if (!r.U32(&d)) return false;
        if (d >= ctrls_.size()) return Invalid("unknown label");
      }
      if (!Pop(I32)) return false;
      size_t arity = ctrls_[ctrls_.size() - 1 - depths[n]].label_types().size();
      for (uint32_t d : depths) {
        const auto types = ctrls_[ctrls_.size() - 1 - d].label_types();
        if (types.size() != arity) return Invalid("type mismatch");
        if (!PeekVals(types)) return false;
      }
      if (live()) {
        Emit(Op::BrTable);
        Imm(n);
        for (uint32_t d : depths) {
          Ctrl& target = ctrls_[ctrls_.size() - 1 - d];
          uint32_t keep = W(target.label_types());
          uint32_t drop = height() - keep - (num_local_slots_ + target.slot_height);
          if (target.opcode == 0x03)
            Target(target.loop_target);
          else
            Fixup(target);
          Imm(code::DropKeep(drop, keep));
        }
      }
      SetUnreachable();
      return true;
    }
    case 0x0f: {  // return
      const auto& types = ctrls_[0].results;
      if (!PeekVals(types)) return false;
      Emit(Op::Return);
      Imm(W(types));
      SetUnreachable();
      return true;
    }
    case 0x10: {  // call
      uint32_t f;
      if (!r.U32(&f)) return false;
      if (f >= m_.func_types.size()) return Invalid("unknown function " + std::to_string(f));
      const FuncType& t = m_.func_type(f);
      if (!PopVals(ToVT(t.params))) return false;
      PushVals(ToVT(t.results));
      Emit(Op::Call);
      Imm(f);
      return true;
    }
    case 0x11: {  // call_indirect
      uint32_t ti, table;
      if (!r.U32(&ti) || !r.U32(&table)) return false;
      if (!CheckTable(table)) return false;
      if (ti >= m_.types.size()) return Invalid("unknown type " + std::to_string(ti));
      if (m_.tables[table].elem != ValType::kFuncRef) return Invalid("type mismatch");
      if (!Pop(I32)) return false;
      const FuncType& t = m_.types[ti];
      if (!PopVals(ToVT(t.params))) return false;
      PushVals(ToVT(t.results));
      Emit(Op::CallIndirect);
      Imm(ti);
      Imm(table);
      return true;
    }
    case 0x1a: {  // drop
      VT t;
      if (!Pop(kAny, &t)) return false;
      Emit(t == V128 ? Op::Drop2 : Op::Drop);
      return true;
    }
    case 0x1b:    // select
    case 0x1c: {  // select t*
      VT t = kAny;
      if (opcode == 0x1c) {
        uint32_t n;
        if (!r.U32(&n)) return false;
        if (n != 1) return Invalid("invalid result arity");
        if (!r.U8(&t)) return false;
        if (!IsValType(t)) return Malformed("malformed value type");
      }
      if (!Pop(I32)) return false;
      VT a, b;
      if (!Pop(t, &a) || !Pop(t, &b)) return false;
      if (opcode == 0x1b) {
        auto numeric_or_vector = [](VT v) { return v == kAny || IsNum(v) || v == V128; };
        if (!numeric_or_vector(a) || !numeric_or_vector(b)) return Invalid("type mismatch");
        if (a != kAny && b != kAny && a != b) return Invalid("type mismatch");
        t = a != kAny ? a : b;
      }
      Push(t);
      Emit(t == V128 ? Op::Select128 : Op::Select);
      return true;
    }
    case 0x20:    // local.get
    case 0x21:    // local.set
    case 0x22: {  // local.tee
      uint32_t i;
      if (!r.U32(&i)) return false;
      if (i >= num_locals_) return Invalid("unknown local " + std::to_string(i));
      VT t = locals_[i];
      uint32_t slot = local_slot_[i];
      if (t == V128) {
        if (opcode != 0x20 && !Pop(t)) return false;
        if (opcode != 0x21) Push(t);
        Emit(opcode == 0x20 ? Op::LocalGet128 : opcode == 0x21 ? Op::LocalSet128 : Op::LocalTee128);
        Imm(slot);
        return true;
      }
      if (opcode == 0x20) {
        Push(t);
        Emit(Op::LocalGet);
        Imm(slot);
        return true;
      }
      if (!Pop(t)) return false;
      if (opcode == 0x22) Push(t);
      if (opcode == 0x22 && live() && ops_[0] != SIZE_MAX && ops_[0] + 3 == code_.size() &&
          (Is(ops_[0], Op::I32AddLC) || Is(ops_[0], Op::I32SubLC))) {
        uint64_t a = code_[ops_[0] + 1], c = code_[ops_[0] + 2];
        Rewind(ops_[0]);
        Emit(Op::LocalTeeAddC);
        Imm(slot);
        Imm(a);
        Imm(c);
        return true;
      }
      if (opcode == 0x21 && live() && ops_[0] != SIZE_MAX && ops_[0] + 3 == code_.size() &&
          (Is(ops_[0], Op::I32AddLC) || Is(ops_[0], Op::I32SubLC) || Is(ops_[0], Op::I32AddLL))) {
        bool ll = Is(ops_[0], Op::I32AddLL);
        uint64_t a = code_[ops_[0] + 1], b = code_[ops_[0] + 2];
        Rewind(ops_[0]);
        Emit(ll ? Op::LocalAddLL : Op::LocalAddC);
        Imm(slot);
        Imm(a);
        Imm(b);
        return true;
      }
      // A load into a local: i32.load's result goes straight to the local (and stays on the
      // stack for local.tee).
      if (live() && Is(ops_[0], Op::I32LoadL) && ops_[0] + 3 == code_.size()) {
        uint64_t a = code_[ops_[0] + 1], offset = code_[ops_[0] + 2];
        Rewind(ops_[0]);
        Emit(opcode == 0x21 ? Op::I32LoadLSet : Op::I32LoadLTee);
        Imm(slot);
        Imm(a);
        Imm(offset);
        return true;
      }
      if (opcode == 0x22 && live() && Is(ops_[0], Op::I32Load) && ops_[0] + 2 == code_.size()) {
        uint64_t offset = code_[ops_[0] + 1];
        Rewind(ops_[0]);
        Emit(Op::I32LoadTee);
        Imm(slot);
        Imm(offset);
        return true;
      }
      if (opcode == 0x21 && live() && Is(ops_[0], Op::Const) && ops_[0] + 2 == code_.size()) {
        uint64_t c = code_[ops_[0] + 1];
        Rewind(ops_[0]);
        Emit(Op::LocalSetC);
        Imm(slot);
        Imm(c);
        return true;
      }
      if (opcode == 0x21 && live() && Is(ops_[0], Op::LocalGet) && ops_[0] + 2 == code_.size()) {
        uint64_t src = code_[ops_[0] + 1];
        Rewind(ops_[0]);
        Emit(Op::LocalCopy);
        Imm(slot);
        Imm(src);
        return true;
      }
      Emit(opcode == 0x21 ? Op::LocalSet : Op::LocalTee);
      Imm(slot);
      return true;
    }
    case 0x23:    // global.get
    case 0x24: {  // global.set
      uint32_t i;
      if (!r.U32(&i)) return false;
      if (i >= m_.globals.size()) return Invalid("unknown global " + std::to_string(i));
      const GlobalType& g = m_.globals[i];
      if (opcode == 0x23) {
        Push(static_cast<VT>(g.type));
        Emit(g.type == ValType::kV128 ? Op::GlobalGet128 : Op::GlobalGet);
      } else {
        if (!g.mut) return Invalid("global is immutable");
        if (!Pop(static_cast<VT>(g.type))) return false;
        Emit(g.type == ValType::kV128 ? Op::GlobalSet128 : Op::GlobalSet);
      }
      Imm(i);
      return true;
    }
    case 0x25:    // table.get
    case 0x26: {  // table.set
      uint32_t t;
      if (!r.U32(&t)) return false;
      if (!CheckTable(t)) return false;
      VT et = static_cast<VT>(m_.tables[t].elem);
      if (opcode == 0x25) {
        if (!Pop(I32)) return false;
        Push(et);
        Emit(Op::TableGet);
      } else {
        if (!Pop(et) || !Pop(I32)) return false;
        Emit(Op::TableSet);
      }
      Imm(t);
      return true;
    }
    case 0x28:
      return Load(r, Op::I32Load, 2, I32);
    case 0x29:
      return Load(r, Op::I64Load, 3, I64);
    case 0x2a:
      return Load(r, Op::F32Load, 2, F32);
    case 0x2b:
      return Load(r, Op::F64Load, 3, F64);
    case 0x2c:
      return Load(r, Op::I32Load8S, 0, I32);
    case 0x2d:
      return Load(r, Op::I32Load8U, 0, I32);
    case 0x2e:
      return Load(r, Op::I32Load16S, 1, I32);
    case 0x2f:
      return Load(r, Op::I32Load16U, 1, I32);
    case 0x30:
      return Load(r, Op::I64Load8S, 0, I64);
    case 0x31:
      return Load(r, Op::I64Load8U, 0, I64);
    case 0x32:
      return Load(r, Op::I64Load16S, 1, I64);
    case 0x33:
      return Load(r, Op::I64Load16U, 1, I64);
    case 0x34:
      return Load(r, Op::I64Load32S, 2, I64);
    case 0x35:
      return Load(r, Op::I64Load32U, 2, I64);
    case 0x36:
      return Store(r, Op::I32Store, 2, I32);
    case 0x37:
      return Store(r, Op::I64Store, 3, I64);
    case 0x38:
      return Store(r, Op::F32Store, 2, F32);
    case 0x39:
      return Store(r, Op::F64Store, 3, F64);
    case 0x3a:
      return Store(r, Op::I32Store8, 0, I32);
    case 0x3b:
      return Store(r, Op::I32Store16, 1, I32);
    case 0x3c:
      return Store(r, Op::I64Store8, 0, I64);
    case 0x3d:
      return Store(r, Op::I64Store16, 1, I64);
    case 0x3e:
      return Store(r, Op::I64Store32, 2, I64);
    case 0x3f:    // memory.size
    case 0x40: {  // memory.grow
      uint32_t memory;
      if (!MemIndex(r, &memory)) return false;
      if (!CheckMemory(memory)) return false;
      if (opcode == 0x3f) {
        Push(I32);
        Emit(memory == 0 ? Op::MemorySize : Op::MemorySizeM);
      } else {
        if (!Pop(I32)) return false;
        Push(I32);
        Emit(memory == 0 ? Op::MemoryGrow : Op::MemoryGrowM);
      }
      if (memory != 0) Imm(memory);
      return true;
    }
    case 0x41: {
      int32_t v;
      if (!r.S32(&v)) return false;
      Push(I32);
      Emit(Op::Const);
      Imm(static_cast<uint32_t>(v));
      return true;
    }
    case 0x42: {
      int64_t v;
      if (!r.S64(&v)) return false;
      Push(I64);
      Emit(Op::Const);
      Imm(static_cast<uint64_t>(v));
      return true;
    }
    case 0x43: {
      uint32_t v;
      if (!r.F32Bits(&v)) return false;
      Push(F32);
      Emit(Op::Const);
      Imm(v);
      return true;
    }
    case 0x44: {
      uint64_t v;
      if (!r.F64Bits(&v)) return false;
      Push(F64);
      Emit(Op::Const);
      Imm(v);
      return true;
    }
    // No-ops under the zero-extended 32-bit slot convention.
    case 0xad:  // i64.extend_i32_u
      if (!Pop(I32)) return false;
      Push(I64);
      return true;
    case 0xbc:    // i32.reinterpret_f32
    case 0xbd:    // i64.reinterpret_f64
    case 0xbe:    // f32.reinterpret_i32
    case 0xbf: {  // f64.reinterpret_i64
      static const VT from[] = {F32, F64, I32, I64}, to[] = {I32, I64, F32, F64};
      if (!Pop(from[opcode - 0xbc])) return false;
      Push(to[opcode - 0xbc]);
      return true;
    }
    case 0xd0: {  // ref.null
      uint8_t t;
      if (!r.U8(&t)) return false;
      if (!IsRef(t)) return Malformed("malformed reference type");
      Push(t);
      Emit(Op::Const);
      Imm(0);
      return true;
    }
    case 0xd1: {  // ref.is_null
      VT t;
      if (!Pop(kAny, &t)) return false;
      if (t != kAny && !IsRef(t)) return Invalid("type mismatch");
      Push(I32);
      Emit(Op::RefIsNull);
      return true;
    }
    case 0xd2: {  // ref.func
      uint32_t f;
      if (!r.U32(&f)) return false;
      if (f >= m_.func_types.size()) return Invalid("unknown function " + std::to_string(f));
      if (!ctx_.declared_funcs[f]) return Invalid("undeclared function reference");
      Push(0x70);
      Emit(Op::RefFunc);
      Imm(f);
      return true;
    }
    case 0xfc: {
      uint32_t sub;
      if (!r.U32(&sub)) return false;
      if (sub < 8) {
        const NumericInfo& ni = SatTable()[sub];
        if (!Pop(ni.in1)) return false;
        Push(ni.out);
        Emit(ni.op);
        return true;
      }
      switch (sub) {
        case 8: {  // memory.init
          uint32_t seg, memory;
          if (!r.U32(&seg) || !MemIndex(r, &memory)) return false;
          if (!ctx_.has_data_count) return Malformed("data count section required");
          if (!CheckMemory(memory)) return false;
          if (seg >= ctx_.data_count) return Invalid("unknown data segment " + std::to_string(seg));
          if (!Pop(I32) || !Pop(I32) || !Pop(I32)) return false;
          Emit(memory == 0 ? Op::MemoryInit : Op::MemoryInitM);
          Imm(seg);
          if (memory != 0) Imm(memory);
          return true;
        }
        case 9: {  // data.drop
          uint32_t seg;
          if (!r.U32(&seg)) return false;
          if (!ctx_.has_data_count) return Malformed("data count section required");
          if (seg >= ctx_.data_count) return Invalid("unknown data segment " + std::to_string(seg));
          Emit(Op::DataDrop);
          Imm(seg);
          return true;
        }
        case 10: {  // memory.copy
          uint32_t dst, src;
          if (!MemIndex(r, &dst) || !MemIndex(r, &src)) return false;
          if (!CheckMemory(dst) || !CheckMemory(src)) return false;
          if (!Pop(I32) || !Pop(I32) || !Pop(I32)) return false;
          if (dst == 0 && src == 0) {
            Emit(Op::MemoryCopy);
          } else {
            Emit(Op::MemoryCopyM);
            Imm(dst);
            Imm(src);
          }
          return true;
        }
        case 11: {  // memory.fill
          uint32_t memory;
          if (!MemIndex(r, &memory)) return false;
          if (!CheckMemory(memory)) return false;
          if (!Pop(I32) || !Pop(I32) || !Pop(I32)) return false;
          Emit(memory == 0 ? Op::MemoryFill : Op::MemoryFillM);
          if (memory != 0) Imm(memory);
          return true;
        }
        case 12: {  // table.init
          uint32_t seg, table;
          if (!r.U32(&seg) || !r.U32(&table)) return false;
          if (!CheckTable(table)) return false;
          if (seg >= m_.elems.size()) return Invalid("unknown elem segment " + std::to_string(seg));
          if (m_.elems[seg].type != m_.tables[table].elem) return Invalid("type mismatch");
          if (!Pop(I32) || !Pop(I32) || !Pop(I32)) return false;
          Emit(Op::TableInit);
          Imm(seg);
          Imm(table);
          return true;
        }
        case 13: {  // elem.drop
          uint32_t seg;
          if (!r.U32(&seg)) return false;
          if (seg >= m_.elems.size()) return Invalid("unknown elem segment " + std::to_string(seg));
          Emit(Op::ElemDrop);
          Imm(seg);
          return true;
        }
        case 14: {  // table.copy
          uint32_t dst, src;
          if (!r.U32(&dst) || !r.U32(&src)) return false;
          if (!CheckTable(dst) || !CheckTable(src)) return false;
          if (m_.tables[dst].elem != m_.tables[src].elem) return Invalid("type mismatch");
          if (!Pop(I32) || !Pop(I32) || !Pop(I32)) return false;
          Emit(Op::TableCopy);
          Imm(dst);
          Imm(src);
          return true;
        }
        case 15:    // table.grow
        case 16:    // table.size
        case 17: {  // table.fill
          uint32_t t;
          if (!r.U32(&t)) return false;
          if (!CheckTable(t)) return false;
          VT et = static_cast<VT>(m_.tables[t].elem);
          if (sub == 15) {
            if (!Pop(I32) || !Pop(et)) return false;
            Push(I32);
            Emit(Op::TableGrow);
          } else if (sub == 16) {
            Push(I32);
            Emit(Op::TableSize);
          } else {
            if (!Pop(I32) || !Pop(et) || !Pop(I32)) return false;
            Emit(Op::TableFill);
          }
          Imm(t);
          return true;
        }
        default:
          return Malformed("illegal opcode");
      }
    }
    case 0xfd:
      return Simd(r);
    default: {
      const NumericInfo& ni = NumericTable()[opcode];
      if (!ni.valid) return Malformed("illegal opcode");
      if (ni.in2 != None) {
        if (!Pop(ni.in2) || !Pop(ni.in1)) return false;
        Push(ni.out);
        EmitBinary(ni.op);
      } else {
        if (!Pop(ni.in1)) return false;
        Push(ni.out);
        Emit(ni.op);
      }
      return true;
    }
  }
}

bool Translator::Simd(Reader& r) {
  uint32_t sub;
  if (!r.U32(&sub)) return false;
  const simd::Info& info = simd::GetInfo(sub);
  uint32_t memory = 0;
  auto memarg = [&](uint32_t* offset) { return MemArg(r, info.align, offset, &memory); };
  auto lane_imm = [&](uint8_t* lane) {
    if (!r.U8(lane)) return false;
    if (*lane >= info.lanes) return Invalid("invalid lane index");
    return true;
  };
  switch (info.kind) {
    case simd::Kind::kInvalid:
      return Malformed("illegal opcode");
    case simd::Kind::kLoad:
    case simd::Kind::kStore: {
      uint32_t offset;
      if (!memarg(&offset)) return false;
      if (info.kind == simd::Kind::kStore && !Pop(V128)) return false;
      if (!Pop(I32)) return false;
      if (info.kind == simd::Kind::kLoad) Push(V128);
      Emit(memory == 0 ? Op::SimdMem : Op::SimdMemM);
      Imm(sub);
      Imm(offset);
      if (memory != 0) Imm(memory);
      return true;
    }
    case simd::Kind::kLoadLane:
    case simd::Kind::kStoreLane: {
      uint32_t offset;
      uint8_t lane;
      if (!memarg(&offset) || !lane_imm(&lane)) return false;
      if (!Pop(V128) || !Pop(I32)) return false;
      if (info.kind == simd::Kind::kLoadLane) Push(V128);
      Emit(memory == 0 ? Op::SimdMemLane : Op::SimdMemLaneM);
      Imm(sub);
      Imm(offset);
      Imm(lane);
      if (memory != 0) Imm(memory);
      return true;
    }
    case simd::Kind::kConst: {
      uint64_t lo, hi;
      if (!r.F64Bits(&lo) || !r.F64Bits(&hi)) return false;
      Push(V128);
      Emit(Op::Const128);
      Imm(lo);
      Imm(hi);
      return true;
    }
    case simd::Kind::kShuffle: {
      uint8_t lanes[16];
      for (auto& l : lanes) {
        if (!r.U8(&l)) return false;
        if (l >= 32) return Invalid("invalid lane index");
      }
      if (!Pop(V128) || !Pop(V128)) return false;
      Push(V128);
      uint64_t lo, hi;
      std::memcpy(&lo, lanes, 8);
      std::memcpy(&hi, lanes + 8, 8);
      Emit(Op::Shuffle);
      Imm(lo);
      Imm(hi);
      return true;
    }
    case simd::Kind::kExtract:
    case simd::Kind::kReplace: {
      uint8_t lane;
      if (!lane_imm(&lane)) return false;
      if (info.kind == simd::Kind::kReplace) {
        if (!Pop(info.scalar) || !Pop(V128)) return false;
        Push(V128);
      } else {
        if (!Pop(V128)) return false;
        Push(info.scalar);
      }
      Emit(Op::SimdLane);
      Imm(sub);
      Imm(lane);
      return true;
    }
    case simd::Kind::kSplat:
      if (!Pop(info.scalar)) return false;
      Push(V128);
      break;
    case simd::Kind::kUnary:
      if (!Pop(V128)) return false;
      Push(V128);
      break;
    case simd::Kind::kBinary:
      if (!Pop(V128) || !Pop(V128)) return false;
      Push(V128);
      break;
    case simd::Kind::kTernary:
      if (!Pop(V128) || !Pop(V128) || !Pop(V128)) return false;
      Push(V128);
      break;
    case simd::Kind::kTest:
      if (!Pop(V128)) return false;
      Push(I32);
      break;
    case simd::Kind::kShift:
      if (!Pop(I32) || !Pop(V128)) return false;
      Push(V128);
      break;
  }
  Emit(Op::Simd);
  Imm(sub);
  return true;
}

}  // namespace

Result<void> TranslateFunction(const ModuleContext& ctx, uint32_t defined_index,
                               std::span<const uint8_t> body, FuncCode* out,
                               std::vector<uint64_t>* code, std::vector<size_t>* relocs) {
  Translator t(ctx, code, relocs);
  return t.Run(defined_index, body, out);
}

}  // namespace lokust::core
