// 128-bit SIMD (the 0xfd instructions) on the interpreter's stack: a v128 occupies two
// 64-bit slots, low half first, lanes in little-endian order.
#pragma once

#include <cstdint>

namespace lokust::core::simd {

// Signature classes of the SIMD instructions, for the validator.
enum class Kind : uint8_t {
  kInvalid,
  kLoad,       // memarg; i32 -> v128
  kStore,      // memarg; i32 v128 ->
  kLoadLane,   // memarg lane; i32 v128 -> v128
  kStoreLane,  // memarg lane; i32 v128 ->
  kConst,      // 16 bytes
  kShuffle,    // 16 lane indices; v128 v128 -> v128
  kExtract,    // lane; v128 -> scalar
  kReplace,    // lane; v128 scalar -> v128
  kSplat,      // scalar -> v128
  kUnary,      // v128 -> v128
  kBinary,     // v128 v128 -> v128
  kTernary,    // v128 v128 v128 -> v128
  kTest,       // v128 -> i32
  kShift,      // v128 i32 -> v128
};

struct Info {
  Kind kind = Kind::kInvalid;
  uint8_t scalar = 0;  // ValType byte of the scalar operand/result (extract/replace/splat)
  uint8_t lanes = 0;   // lane count for lane immediates
  uint8_t align = 0;   // natural alignment (log2) for memory instructions
};

const Info& GetInfo(uint32_t sub);

// Execute; each returns the new stack pointer.
uint64_t* Op(uint32_t sub, uint64_t* sp);
uint64_t* LaneOp(uint32_t sub, uint32_t lane, uint64_t* sp);
// Memory instructions: nullptr on an out-of-bounds access.
uint64_t* MemOp(uint32_t sub, uint64_t offset, uint32_t lane, uint64_t* sp, uint8_t* mem,
                uint64_t memsize);

}  // namespace lokust::core::simd
