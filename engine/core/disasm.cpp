// Disassembler for the internal code, so that a wrong translation can be seen:
// `wasm-run --disassemble FILE` or Module::Disassemble(func_index).

#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/core/code.h"
#include "engine/core/module.h"

namespace lokust::core {

std::string Module::Disassemble(uint32_t func_index) const {
  if (func_index < num_imported_funcs || func_index - num_imported_funcs >= funcs.size())
    return "(imported or unknown function)\n";
  const FuncCode& fc = funcs[func_index - num_imported_funcs];
  const uint64_t* base = code_.data();
  const uint64_t* pc = base + fc.code_offset;
  const uint64_t* end = code_.data() + code_.size();
  // A function ends where the next one begins.
  for (const FuncCode& other : funcs)
    if (other.code_offset > fc.code_offset && base + other.code_offset < end)
      end = base + other.code_offset;
  std::string out;
  char buf[128];
  auto word_of = [&](uint64_t target) -> long long {
    return static_cast<long long>((reinterpret_cast<const uint64_t*>(target) - base));
  };
  while (pc < end) {
    long long at = pc - base;
    code::Op op = code::OpFromHandler(*pc++);
    std::snprintf(buf, sizeof buf, "%6lld  %s", at, code::OpName(op));
    out += buf;
    if (op == code::Op::kCount) {
      out += "\n";
      break;
    }
    bool has_target = op == code::Op::Jump || op == code::Op::JumpBack || op == code::Op::Br ||
                      op == code::Op::BrBack || op == code::Op::BrIf || op == code::Op::BrIfBack ||
                      op == code::Op::BrIfNoDrop || op == code::Op::BrIfNoDropBack ||
                      op == code::Op::BrUnless || op == code::Op::BrIfEqzNoDrop ||
                      (op >= code::Op::BrIfI32Eq && op <= code::Op::BrIfI32GeU);
    // Compare with a constant and branch: target, then the constant.
    const bool target_then_const = op >= code::Op::BrIfI32EqC && op <= code::Op::BrIfI32GeSC;
    has_target = has_target || target_then_const;
    if (op == code::Op::BrTable) {
      uint64_t n = *pc++;
      for (uint64_t i = 0; i <= n; ++i) {
        std::snprintf(buf, sizeof buf, " [@%lld drop=%u keep=%u]", word_of(pc[0]),
                      static_cast<unsigned>(pc[1] >> 32), static_cast<unsigned>(pc[1]));
        out += buf;
        pc += 2;
      }
    } else {
      int n = code::OpImmediates(op);
      for (int i = 0; i < n; ++i) {
        if (i == 0 && has_target) {
          std::snprintf(buf, sizeof buf, " @%lld", word_of(pc[i]));
        } else if (i == 1 && has_target && !target_then_const) {
          std::snprintf(buf, sizeof buf, " drop=%u keep=%u", static_cast<unsigned>(pc[i] >> 32),
                        static_cast<unsigned>(pc[i]));
        } else {
          std::snprintf(buf, sizeof buf, " %" PRIu64, pc[i]);
        }
        out += buf;
      }
      pc += n;
    }
    out += "\n";
  }
  return out;
}

}  // namespace lokust::core
