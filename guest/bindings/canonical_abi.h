// Canonical-ABI memory layouts of the session-vm world's types, as the component model
// lays them out in linear memory on wasm32 (CanonicalABI.md: alignment and elem_size).
// Plain C structs reproduce those layouts exactly because wasm32's C ABI uses the same
// natural alignments; the static_asserts below pin every offset the ABI defines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lokust::cabi {

struct Str {  // string: (ptr, byte length), UTF-8
  const char* ptr;
  uint32_t len;
};
template <class T>
struct List {  // list<T>: (ptr, element count)
  T* ptr;
  uint32_t len;
};

// --- lokust:session-vm/types ---
struct SessionId {
  Str inner;
};
struct AgentConfig {
  Str agent_id, name, role;
  uint32_t phase_index;
};
struct PhaseSnapshot {
  Str agent_id;
  uint8_t status;
  List<uint8_t> output;
  uint64_t duration_ms, tokens_used;
};
struct SessionSnapshot {
  SessionId id;
  uint8_t status;
  List<PhaseSnapshot> phases;
  uint32_t current_phase_index;
  uint64_t total_duration_ms, total_tokens, created_at_ms;
};
struct CoordinationMetrics {
  uint32_t phases_completed, phases_total;
  uint64_t total_duration_ms, total_tokens;
  double compression_ratio;
};

// --- gpu, agent-runtime ---
struct Tensor {
  List<uint32_t> shape;
  List<float> data;
};
struct AgentResult {
  List<uint8_t> output;
  uint64_t tokens_used, duration_ms;
};

// result<T, E> / option<T>: a u8 discriminant, then the payload at the payload's alignment.
template <class T, class E>
struct Result {
  uint8_t is_err;
  union {
    T ok;
    E err;
  };
};
template <class T>
struct Option {
  uint8_t is_some;
  T value;
};

static_assert(sizeof(Str) == 8 && alignof(Str) == 4);
static_assert(sizeof(AgentConfig) == 28 && offsetof(AgentConfig, phase_index) == 24);
static_assert(offsetof(PhaseSnapshot, status) == 8 && offsetof(PhaseSnapshot, output) == 12 &&
              offsetof(PhaseSnapshot, duration_ms) == 24 && sizeof(PhaseSnapshot) == 40);
static_assert(offsetof(SessionSnapshot, status) == 8 && offsetof(SessionSnapshot, phases) == 12 &&
              offsetof(SessionSnapshot, current_phase_index) == 20 &&
              offsetof(SessionSnapshot, total_duration_ms) == 24 && sizeof(SessionSnapshot) == 48);
static_assert(sizeof(CoordinationMetrics) == 32);
using PhaseResult = Result<PhaseSnapshot, Str>;
using StatusResult = Result<uint8_t, Str>;
using SnapshotOption = Option<SessionSnapshot>;
using TensorResult = Result<Tensor, Str>;
using AgentOutcome = Result<AgentResult, Str>;
static_assert(sizeof(PhaseResult) == 48 && offsetof(PhaseResult, ok) == 8);
static_assert(sizeof(StatusResult) == 12 && offsetof(StatusResult, err) == 4);
static_assert(sizeof(SnapshotOption) == 56 && offsetof(SnapshotOption, value) == 8);
static_assert(sizeof(TensorResult) == 20 && offsetof(TensorResult, ok) == 4);
static_assert(sizeof(AgentOutcome) == 32 && offsetof(AgentOutcome, ok) == 8);

// Memory the other side allocated with cabi_realloc and handed over (export arguments,
// import results) becomes ours: copy it into C++ values, then free it. Empty strings and
// lists may carry any pointer value (no allocation need have happened), so only non-empty
// ones are freed.
inline void release(const void* ptr, uint32_t len) {
  if (len != 0) std::free(const_cast<void*>(ptr));
}
inline std::string take(Str s) {
  std::string out(s.ptr, s.len);
  release(s.ptr, s.len);
  return out;
}
template <class T>
inline std::vector<T> take(List<T> l) {
  std::vector<T> out(l.ptr, l.ptr + l.len);
  release(l.ptr, l.len);
  return out;
}

// Borrowed views for values we pass out: they point into C++ objects that stay alive until
// the call's post-return (exports) or until the import returns.
inline Str view(std::string_view s) { return {s.data(), static_cast<uint32_t>(s.size())}; }
template <class T>
inline List<T> view(const std::vector<T>& v) {
  return {const_cast<T*>(v.data()), static_cast<uint32_t>(v.size())};
}

}  // namespace lokust::cabi
