// Function-body validation and translation to internal code (one pass: the type checker
// drives the emitter, like wabt's binary-reader-interp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/module.h"
#include "engine/core/result.h"

namespace lokust::core {

struct ModuleContext {
  const Module* module = nullptr;
  std::vector<bool> declared_funcs;  // C.refs: functions that ref.func may name
  bool has_data_count = false;
  uint32_t data_count = 0;
  bool multi_memory = false;  // CompileOptions::multi_memory: memory-index immediates
};

// Validates the body of defined function `defined_index` and appends its code to
// `code`; branch-target words are recorded in `relocs` (word offsets to rebase).
Result<void> TranslateFunction(const ModuleContext& ctx, uint32_t defined_index,
                               std::span<const uint8_t> body, FuncCode* out,
                               std::vector<uint64_t>* code, std::vector<size_t>* relocs);

}  // namespace lokust::core
