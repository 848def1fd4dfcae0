// Resource limits an embedder puts on guests. Every limit, when hit, becomes a trap or a
// failed grow, never a host crash.
#pragma once

#include <cstdint>

namespace lokust::core {

struct Limits {
  uint32_t max_memory_pages = 65536;             // per memory; memory.grow beyond returns -1
  uint32_t max_table_elements = 10000000;        // per table; table.grow beyond returns -1
  uint64_t max_total_table_elements = 20000000;  // over all tables of a store (8 bytes each)
  uint32_t max_call_depth = 10000;               // wasm frames; deeper traps "call stack exhausted"
  uint32_t value_stack_slots = 1u << 20;         // 64-bit slots for locals and operands
};

}  // namespace lokust::core
