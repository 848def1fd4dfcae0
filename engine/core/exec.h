// Execution state of a Store: the value stack, the frame stack, interruption budget.
#pragma once

#include <cstdint>
#ifdef LOKUST_PROFILE_OPS
#include <map>
#endif
#include <memory>
#include <string>
#include <vector>

#include "engine/core/store.h"

namespace lokust::core {

struct Frame {
  const uint64_t* pc;  // return address (caller's next instruction)
  uint64_t* fp;
  Instance* instance;
};

struct Store::Exec {
  explicit Exec(const Limits& limits)
      : stack(limits.value_stack_slots), frames(limits.max_call_depth + 2) {
    sp = stack.data();
  }
  // Value stack; left uninitialised (pages are touched only as deep as a guest goes).
  struct Slots {
    explicit Slots(size_t n) : p(new uint64_t[n < 16 ? 16 : n]), n(n < 16 ? 16 : n) {}
    uint64_t* data() { return p.get(); }
    size_t size() const { return n; }
    std::unique_ptr<uint64_t[]> p;
    size_t n;
  };
  Slots stack;
  uint64_t* sp;  // first free slot
  std::vector<Frame> frames;
  uint32_t depth = 0;         // frames in use
  uint32_t host_nesting = 0;  // host -> wasm re-entries in progress
  int64_t budget = 0;         // ticks before the next slow check
  uint64_t granted = 0;       // fuel taken out of the store for the current budget
};

#ifdef LOKUST_PROFILE_OPS
// Development aid (interp.cpp): function entries, so the op profile can count per function.
std::map<const uint64_t*, uint32_t>& ProfiledEntries();
#endif

struct Interp {
  // Runs `func` with its arguments at exec.sp[0..params); leaves its results there.
  static Result<void> Execute(Store& store, Func* func);
};

}  // namespace lokust::core
