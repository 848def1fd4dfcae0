// The internal code: what the translator emits and the interpreter runs.
//
// A function is a sequence of 64-bit words. Each instruction is one handler word (the address
// of the interpreter's label for the op, so dispatch is one indirect jump) followed by its
// immediates. Branch targets are absolute word addresses, patched after translation; stack
// heights are pre-resolved into "drop/keep" pairs (drop << 32 | keep).
#pragma once

#include <cstdint>

namespace lokust::core::code {

// X(name, number of immediate words). Numeric ops (no immediates) are listed below.
// BrTable is followed by its count word and then
// count+1 (target, dropkeep) pairs.
#define LOKUST_CODE_OPS(X)                                                              \
  X(Unreachable, 0)                                                                     \
  X(Jump, 1)     /* target */                                                           \
  X(JumpBack, 1) /* target (loop back-edge: checks fuel/interrupt) */                   \
  X(Br, 2)       /* target, dropkeep */                                                 \
  X(BrBack, 2)                                                                          \
  X(BrIf, 2) /* target, dropkeep */                                                     \
  X(BrIfBack, 2)                                                                        \
  X(BrIfNoDrop, 1) /* target */                                                         \
  X(BrIfNoDropBack, 1)                                                                  \
  X(BrUnless, 1)     /* target (if without else / else branch) */                       \
  X(BrTable, 1)      /* count, then pairs */                                            \
  X(Return, 1)       /* number of results */                                            \
  X(Call, 1)         /* function index */                                               \
  X(CallIndirect, 2) /* type index, table index */                                      \
  X(Drop, 0)                                                                            \
  X(DropKeep, 1) /* dropkeep */                                                         \
  X(Select, 0)                                                                          \
  X(LocalGet, 1) /* slot offset from frame base */                                      \
  X(LocalSet, 1)                                                                        \
  X(LocalTee, 1)                                                                        \
  X(GlobalGet, 1)                                                                       \
  X(GlobalSet, 1)                                                                       \
  X(Const, 1)                                                                           \
  X(RefIsNull, 0)                                                                       \
  X(RefFunc, 1)                                                                         \
  X(TableGet, 1)                                                                        \
  X(TableSet, 1)                                                                        \
  X(TableSize, 1)                                                                       \
  X(TableGrow, 1)                                                                       \
  X(TableFill, 1)                                                                       \
  X(TableCopy, 2) /* dst, src */                                                        \
  X(TableInit, 2) /* segment, table */                                                  \
  X(ElemDrop, 1)                                                                        \
  X(MemorySize, 0)                                                                      \
  X(MemoryGrow, 0)                                                                      \
  X(MemoryInit, 1)                                                                      \
  X(DataDrop, 1)                                                                        \
  X(MemoryCopy, 0)                                                                      \
  X(MemoryFill, 0)                                                                      \
  X(I32Load, 1) /* offset */                                                            \
  X(I64Load, 1)                                                                         \
  X(F32Load, 1)                                                                         \
  X(F64Load, 1)                                                                         \
  X(I32Load8S, 1)                                                                       \
  X(I32Load8U, 1)                                                                       \
  X(I32Load16S, 1)                                                                      \
  X(I32Load16U, 1)                                                                      \
  X(I64Load8S, 1)                                                                       \
  X(I64Load8U, 1)                                                                       \
  X(I64Load16S, 1)                                                                      \
  X(I64Load16U, 1)                                                                      \
  X(I64Load32S, 1)                                                                      \
  X(I64Load32U, 1)                                                                      \
  X(I32Store, 1)                                                                        \
  X(I64Store, 1)                                                                        \
  X(F32Store, 1)                                                                        \
  X(F64Store, 1)                                                                        \
  X(I32Store8, 1)                                                                       \
  X(I32Store16, 1)                                                                      \
  X(I64Store8, 1)                                                                       \
  X(I64Store16, 1)                                                                      \
  X(I64Store32, 1)                                                                      \
  /* fused: local.get a; local.get b; <binop> */                                        \
  X(I32AddLL, 2)                                                                        \
  X(I32SubLL, 2)                                                                        \
  X(I32LtSLL, 2)                                                                        \
  X(I32LtULL, 2)                                                                        \
  X(I64AddLL, 2)                                                                        \
  /* fused: local.get a; i32.const c; <binop> */                                        \
  X(I32AddLC, 2)                                                                        \
  X(I32SubLC, 2)                                                                        \
  X(I32AddC, 1)       /* i32.const c; i32.add */                                        \
  X(I32LoadL, 2)      /* local.get a; i32.load offset */                                \
  X(I64LoadL, 2)      /* local.get a; load offset */                                    \
  X(F64LoadL, 2)      /* local.get a; load offset */                                    \
  X(I32Load8UL, 2)    /* local.get a; load offset */                                    \
  X(F64AddL, 1)       /* local.get b; op (right operand from a local) */                \
  X(F64MulL, 1)       /* local.get b; op (right operand from a local) */                \
  X(F64SubL, 1)       /* local.get b; op (right operand from a local) */                \
  X(LocalTeeAddC, 3)  /* local.get a; i32.const c; i32.add; local.tee d: d, a, c */     \
  X(LocalCopy, 2)     /* local.get a; local.set b: dst, src */                          \
  X(LocalAddC, 3)     /* local.get a; i32.const c; i32.add; local.set d: d, a, c */     \
  X(LocalAddLL, 3)    /* local.get a; local.get b; i32.add; local.set d: d, a, b */     \
  X(BrIfEqzNoDrop, 1) /* i32.eqz; br_if */                                              \
  X(I32AndC, 1)       /* i32/i64.const c; op */                                         \
  X(I32OrC, 1)        /* i32/i64.const c; op */                                         \
  X(I32XorC, 1)       /* i32/i64.const c; op */                                         \
  X(I32ShlC, 1)       /* i32/i64.const c; op */                                         \
  X(I32ShrSC, 1)      /* i32/i64.const c; op */                                         \
  X(I32ShrUC, 1)      /* i32/i64.const c; op */                                         \
  X(I32RotlC, 1)      /* i32/i64.const c; op */                                         \
  X(I32RotrC, 1)      /* i32/i64.const c; op */                                         \
  X(I32MulC, 1)       /* i32/i64.const c; op */                                         \
  X(I32EqC, 1)        /* i32/i64.const c; op */                                         \
  X(I32NeC, 1)        /* i32/i64.const c; op */                                         \
  X(I32LtUC, 1)       /* i32/i64.const c; op */                                         \
  X(I32LtSC, 1)       /* i32/i64.const c; op */                                         \
  X(I32GtUC, 1)       /* i32/i64.const c; op */                                         \
  X(I32GtSC, 1)       /* i32/i64.const c; op */                                         \
  X(I32LeUC, 1)       /* i32/i64.const c; op */                                         \
  X(I32GeUC, 1)       /* i32/i64.const c; op */                                         \
  X(I64AddC, 1)       /* i32/i64.const c; op */                                         \
  X(I64AndC, 1)       /* i32/i64.const c; op */                                         \
  X(I64ShlC, 1)       /* i32/i64.const c; op */                                         \
  X(I64ShrUC, 1)      /* i32/i64.const c; op */                                         \
  X(I64XorC, 1)       /* i32/i64.const c; op */                                         \
  X(BrIfI32Eq, 1)     /* cmp; br_if (no drop): target */                                \
  X(BrIfI32Ne, 1)     /* cmp; br_if (no drop): target */                                \
  X(BrIfI32LtU, 1)    /* cmp; br_if (no drop): target */                                \
  X(BrIfI32LtS, 1)    /* cmp; br_if (no drop): target */                                \
  X(BrIfI32GtU, 1)    /* cmp; br_if (no drop): target */                                \
  X(BrIfI32GtS, 1)    /* cmp; br_if (no drop): target */                                \
  X(BrIfI32LeU, 1)    /* cmp; br_if (no drop): target */                                \
  X(BrIfI32GeU, 1)    /* cmp; br_if (no drop): target */                                \
  /* i32.const c; cmp; br_if (no drop) forward, or cmp; if (the inverse compare); no */ \
  /* fuel tick (the target is never a loop): target, c */                               \
  X(BrIfI32EqC, 2)                                                                      \
  X(BrIfI32NeC, 2)                                                                      \
  X(BrIfI32LtUC, 2)                                                                     \
  X(BrIfI32LtSC, 2)                                                                     \
  X(BrIfI32GtUC, 2)                                                                     \
  X(BrIfI32GtSC, 2)                                                                     \
  X(BrIfI32LeUC, 2)                                                                     \
  X(BrIfI32LeSC, 2)                                                                     \
  X(BrIfI32GeUC, 2)                                                                     \
  X(BrIfI32GeSC, 2)                                                                     \
  X(LocalGet2, 2)   /* local.get a; local.get b: a, b */                                \
  X(LocalSetC, 2)   /* const c; local.set d: d, c */                                    \
  X(I32Load8SL, 2)  /* local.get a; load offset */                                      \
  X(I32LoadA, 1)    /* i32.const c; i32.load offset: c + offset (33 bits) */            \
  X(I32LoadTee, 2)  /* i32.load offset; local.tee d: d, offset */                       \
  X(I32LoadLSet, 3) /* local.get a; i32.load offset; local.set d: d, a, offset */       \
  X(I32LoadLTee, 3) /* local.get a; i32.load offset; local.tee d: d, a, offset */       \
  X(I32StoreL, 2)   /* local.get v; i32.store offset: v, offset */                      \
  X(I32StoreLL, 3)  /* local.get a; local.get v; i32.store offset: a, v, offset */      \
  X(I32StoreC, 2)   /* const c; i32.store offset: c, offset */                          \
  X(I32StoreLC, 3)  /* local.get a; const c; i32.store offset: a, c, offset */          \
  X(I64StoreC, 2)   /* const c; i64.store offset: c, offset */                          \
  X(I64StoreLC, 3)  /* local.get a; const c; i64.store offset: a, c, offset */          \
  X(I32Store8C, 2)  /* const c; i32.store8 offset: c, offset */                         \
  /* v128 values take two slots (low word first) */                                     \
  X(Drop2, 0)                                                                           \
  X(Select128, 0)                                                                       \
  X(LocalGet128, 1)                                                                     \
  X(LocalSet128, 1)                                                                     \
  X(LocalTee128, 1)                                                                     \
  X(GlobalGet128, 1)                                                                    \
  X(GlobalSet128, 1)                                                                    \
  X(Const128, 2)    /* low, high */                                                     \
  X(Simd, 1)        /* 0xfd sub-opcode (no immediates) */                               \
  X(SimdLane, 2)    /* sub-opcode, lane */                                              \
  X(SimdMem, 2)     /* sub-opcode, offset */                                            \
  X(SimdMemLane, 3) /* sub-opcode, offset, lane */                                      \
  X(Shuffle, 2)     /* 16 lane indices, bytes 0-7 then 8-15 */                          \
  /* multi-memory: memories other than 0 (memory 0 keeps the ops above) */              \
  X(MemAccessM, 3)   /* load/store Op, memory, offset */                                \
  X(MemorySizeM, 1)  /* memory */                                                       \
  X(MemoryGrowM, 1)  /* memory */                                                       \
  X(MemoryInitM, 2)  /* segment, memory */                                              \
  X(MemoryCopyM, 2)  /* dst memory, src memory */                                       \
  X(MemoryFillM, 1)  /* memory */                                                       \
  X(SimdMemM, 3)     /* sub-opcode, offset, memory */                                   \
  X(SimdMemLaneM, 4) /* sub-opcode, offset, lane, memory */

// Simple numeric instructions: X(name, wasm opcode, operand 1, operand 2, result).
// Types: I32 I64 F32 F64, or None. Opcodes >= 0xfc00 are 0xfc-prefixed.
// i32.reinterpret_f32 and friends, and i64.extend_i32_u, are absent: with 32-bit values kept
// zero-extended in their slots they are no-ops and emit nothing.
#define LOKUST_NUMERIC_OPS(X)                \
  X(I32Eqz, 0x45, I32, None, I32)            \
  X(I32Eq, 0x46, I32, I32, I32)              \
  X(I32Ne, 0x47, I32, I32, I32)              \
  X(I32LtS, 0x48, I32, I32, I32)             \
  X(I32LtU, 0x49, I32, I32, I32)             \
  X(I32GtS, 0x4a, I32, I32, I32)             \
  X(I32GtU, 0x4b, I32, I32, I32)             \
  X(I32LeS, 0x4c, I32, I32, I32)             \
  X(I32LeU, 0x4d, I32, I32, I32)             \
  X(I32GeS, 0x4e, I32, I32, I32)             \
  X(I32GeU, 0x4f, I32, I32, I32)             \
  X(I64Eqz, 0x50, I64, None, I32)            \
  X(I64Eq, 0x51, I64, I64, I32)              \
  X(I64Ne, 0x52, I64, I64, I32)              \
  X(I64LtS, 0x53, I64, I64, I32)             \
  X(I64LtU, 0x54, I64, I64, I32)             \
  X(I64GtS, 0x55, I64, I64, I32)             \
  X(I64GtU, 0x56, I64, I64, I32)             \
  X(I64LeS, 0x57, I64, I64, I32)             \
  X(I64LeU, 0x58, I64, I64, I32)             \
  X(I64GeS, 0x59, I64, I64, I32)             \
  X(I64GeU, 0x5a, I64, I64, I32)             \
  X(F32Eq, 0x5b, F32, F32, I32)              \
  X(F32Ne, 0x5c, F32, F32, I32)              \
  X(F32Lt, 0x5d, F32, F32, I32)              \
  X(F32Gt, 0x5e, F32, F32, I32)              \
  X(F32Le, 0x5f, F32, F32, I32)              \
  X(F32Ge, 0x60, F32, F32, I32)              \
  X(F64Eq, 0x61, F64, F64, I32)              \
  X(F64Ne, 0x62, F64, F64, I32)              \
  X(F64Lt, 0x63, F64, F64, I32)              \
  X(F64Gt, 0x64, F64, F64, I32)              \
  X(F64Le, 0x65, F64, F64, I32)              \
  X(F64Ge, 0x66, F64, F64, I32)              \
  X(I32Clz, 0x67, I32, None, I32)            \
  X(I32Ctz, 0x68, I32, None, I32)            \
  X(I32Popcnt, 0x69, I32, None, I32)         \
  X(I32Add, 0x6a, I32, I32, I32)             \
  X(I32Sub, 0x6b, I32, I32, I32)             \
  X(I32Mul, 0x6c, I32, I32, I32)             \
  X(I32DivS, 0x6d, I32, I32, I32)            \
  X(I32DivU, 0x6e, I32, I32, I32)            \
  X(I32RemS, 0x6f, I32, I32, I32)            \
  X(I32RemU, 0x70, I32, I32, I32)            \
  X(I32And, 0x71, I32, I32, I32)             \
  X(I32Or, 0x72, I32, I32, I32)              \
  X(I32Xor, 0x73, I32, I32, I32)             \
  X(I32Shl, 0x74, I32, I32, I32)             \
  X(I32ShrS, 0x75, I32, I32, I32)            \
  X(I32ShrU, 0x76, I32, I32, I32)            \
  X(I32Rotl, 0x77, I32, I32, I32)            \
  X(I32Rotr, 0x78, I32, I32, I32)            \
  X(I64Clz, 0x79, I64, None, I64)            \
  X(I64Ctz, 0x7a, I64, None, I64)            \
  X(I64Popcnt, 0x7b, I64, None, I64)         \
  X(I64Add, 0x7c, I64, I64, I64)             \
  X(I64Sub, 0x7d, I64, I64, I64)             \
  X(I64Mul, 0x7e, I64, I64, I64)             \
  X(I64DivS, 0x7f, I64, I64, I64)            \
  X(I64DivU, 0x80, I64, I64, I64)            \
  X(I64RemS, 0x81, I64, I64, I64)            \
  X(I64RemU, 0x82, I64, I64, I64)            \
  X(I64And, 0x83, I64, I64, I64)             \
  X(I64Or, 0x84, I64, I64, I64)              \
  X(I64Xor, 0x85, I64, I64, I64)             \
  X(I64Shl, 0x86, I64, I64, I64)             \
  X(I64ShrS, 0x87, I64, I64, I64)            \
  X(I64ShrU, 0x88, I64, I64, I64)            \
  X(I64Rotl, 0x89, I64, I64, I64)            \
  X(I64Rotr, 0x8a, I64, I64, I64)            \
  X(F32Abs, 0x8b, F32, None, F32)            \
  X(F32Neg, 0x8c, F32, None, F32)            \
  X(F32Ceil, 0x8d, F32, None, F32)           \
  X(F32Floor, 0x8e, F32, None, F32)          \
  X(F32Trunc, 0x8f, F32, None, F32)          \
  X(F32Nearest, 0x90, F32, None, F32)        \
  X(F32Sqrt, 0x91, F32, None, F32)           \
  X(F32Add, 0x92, F32, F32, F32)             \
  X(F32Sub, 0x93, F32, F32, F32)             \
  X(F32Mul, 0x94, F32, F32, F32)             \
  X(F32Div, 0x95, F32, F32, F32)             \
  X(F32Min, 0x96, F32, F32, F32)             \
  X(F32Max, 0x97, F32, F32, F32)             \
  X(F32Copysign, 0x98, F32, F32, F32)        \
  X(F64Abs, 0x99, F64, None, F64)            \
  X(F64Neg, 0x9a, F64, None, F64)            \
  X(F64Ceil, 0x9b, F64, None, F64)           \
  X(F64Floor, 0x9c, F64, None, F64)          \
  X(F64Trunc, 0x9d, F64, None, F64)          \
  X(F64Nearest, 0x9e, F64, None, F64)        \
  X(F64Sqrt, 0x9f, F64, None, F64)           \
  X(F64Add, 0xa0, F64, F64, F64)             \
  X(F64Sub, 0xa1, F64, F64, F64)             \
  X(F64Mul, 0xa2, F64, F64, F64)             \
  X(F64Div, 0xa3, F64, F64, F64)             \
  X(F64Min, 0xa4, F64, F64, F64)             \
  X(F64Max, 0xa5, F64, F64, F64)             \
  X(F64Copysign, 0xa6, F64, F64, F64)        \
  X(I32WrapI64, 0xa7, I64, None, I32)        \
  X(I32TruncF32S, 0xa8, F32, None, I32)      \
  X(I32TruncF32U, 0xa9, F32, None, I32)      \
  X(I32TruncF64S, 0xaa, F64, None, I32)      \
  X(I32TruncF64U, 0xab, F64, None, I32)      \
  X(I64ExtendI32S, 0xac, I32, None, I64)     \
  X(I64TruncF32S, 0xae, F32, None, I64)      \
  X(I64TruncF32U, 0xaf, F32, None, I64)      \
  X(I64TruncF64S, 0xb0, F64, None, I64)      \
  X(I64TruncF64U, 0xb1, F64, None, I64)      \
  X(F32ConvertI32S, 0xb2, I32, None, F32)    \
  X(F32ConvertI32U, 0xb3, I32, None, F32)    \
  X(F32ConvertI64S, 0xb4, I64, None, F32)    \
  X(F32ConvertI64U, 0xb5, I64, None, F32)    \
  X(F32DemoteF64, 0xb6, F64, None, F32)      \
  X(F64ConvertI32S, 0xb7, I32, None, F64)    \
  X(F64ConvertI32U, 0xb8, I32, None, F64)    \
  X(F64ConvertI64S, 0xb9, I64, None, F64)    \
  X(F64ConvertI64U, 0xba, I64, None, F64)    \
  X(F64PromoteF32, 0xbb, F32, None, F64)     \
  X(I32Extend8S, 0xc0, I32, None, I32)       \
  X(I32Extend16S, 0xc1, I32, None, I32)      \
  X(I64Extend8S, 0xc2, I64, None, I64)       \
  X(I64Extend16S, 0xc3, I64, None, I64)      \
  X(I64Extend32S, 0xc4, I64, None, I64)      \
  X(I32TruncSatF32S, 0xfc00, F32, None, I32) \
  X(I32TruncSatF32U, 0xfc01, F32, None, I32) \
  X(I32TruncSatF64S, 0xfc02, F64, None, I32) \
  X(I32TruncSatF64U, 0xfc03, F64, None, I32) \
  X(I64TruncSatF32S, 0xfc04, F32, None, I64) \
  X(I64TruncSatF32U, 0xfc05, F32, None, I64) \
  X(I64TruncSatF64S, 0xfc06, F64, None, I64) \
  X(I64TruncSatF64U, 0xfc07, F64, None, I64)

// All ops: the control/memory ops above, then the simple numeric ops (no immediates).
enum class Op : uint16_t {
#define LOKUST_OP_ENUM(name, imms) name,
#define LOKUST_NUM_ENUM(name, opcode, a, b, r) name,
  LOKUST_CODE_OPS(LOKUST_OP_ENUM) LOKUST_NUMERIC_OPS(LOKUST_NUM_ENUM)
#undef LOKUST_OP_ENUM
#undef LOKUST_NUM_ENUM
      kCount
};

// Handler addresses of the interpreter, indexed by Op (one per op).
const void* const* HandlerTable();
// Reverse map for the disassembler; kCount if `handler` is not an op.
Op OpFromHandler(uint64_t handler);
const char* OpName(Op op);
int OpImmediates(Op op);

inline uint64_t DropKeep(uint32_t drop, uint32_t keep) {
  return (static_cast<uint64_t>(drop) << 32) | keep;
}

}  // namespace lokust::core::code
