// The pure parts of the Canonical ABI (CanonicalABI.md, canonical-abi/definitions.py):
// despecialization, alignment and size, flattening, and load/store of every component value
// type between a `Val` and a plain byte buffer, plus flat lifting/lowering. Function names
// mirror definitions.py so each can be read side by side with the spec; traps are returned as
// Error{kTrap} values.
//
// Memory is a LinearMemory (data() + size(), re-read after every call into core code) so this
// code can sit on the core engine's linear memory unchanged; MemoryView adapts a plain buffer.
// `realloc`, the lifted callee and post-return are callbacks the embedder supplies (core
// function calls once instantiation exists).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/component/result.h"
#include "engine/component/types.h"
#include "engine/component/val.h"

namespace lokust::component {

inline constexpr uint32_t MAX_FLAT_PARAMS = 16;
inline constexpr uint32_t MAX_FLAT_RESULTS = 1;
inline constexpr uint32_t MAX_STRING_BYTE_LENGTH = (1u << 31) - 1;
inline constexpr uint32_t UTF16_TAG = 1u << 31;

// ---- despecialization, alignment, size ----

// tuple -> record, enum -> variant, option -> variant, result -> variant, map -> list of
// key/value records; other types unchanged.
ValTypePtr despecialize(const ValTypePtr& t);
uint32_t alignment(const ValTypePtr& t);
uint32_t alignment_list(const ValTypePtr& elem_type, std::optional<uint32_t> maybe_length);
uint32_t alignment_record(const std::vector<Field>& fields);
uint32_t alignment_variant(const std::vector<Field>& cases);
ValKind discriminant_type(const std::vector<Field>& cases);  // kU8, kU16 or kU32
uint32_t max_case_alignment(const std::vector<Field>& cases);
uint32_t alignment_flags(const std::vector<std::string>& labels);
uint32_t elem_size(const ValTypePtr& t);
uint32_t elem_size_list(const ValTypePtr& elem_type, std::optional<uint32_t> maybe_length);
uint32_t elem_size_record(const std::vector<Field>& fields);
uint32_t elem_size_variant(const std::vector<Field>& cases);
uint32_t elem_size_flags(const std::vector<std::string>& labels);
uint32_t num_i32_flags(const std::vector<std::string>& labels);
uint64_t align_to(uint64_t ptr, uint32_t alignment);

// ---- flattening ----

enum class FlattenContext { kLift, kLower };
std::vector<CoreValType> flatten_type(const ValTypePtr& t);
std::vector<CoreValType> flatten_types(const std::vector<ValTypePtr>& ts);
std::vector<CoreValType> flatten_record(const std::vector<Field>& fields);
std::vector<CoreValType> flatten_variant(const std::vector<Field>& cases);
CoreValType join(CoreValType a, CoreValType b);
CoreFuncType flatten_functype(const FuncType& ft, FlattenContext context);

// Whether lifting/lowering values of `t` touches linear memory (strings and lists).
bool needs_memory(const ValTypePtr& t);

// ---- layouts computed once ----

// What alignment, elem_size and flatten_type return for one type, computed on the first call
// for that ValType object and kept in it (ValType::layout): lifting and lowering look them up
// for every value instead of walking the type again.
struct CanonLayout {
  uint32_t alignment = 1;
  uint32_t size = 0;
  uint64_t flat_count = 0;  // flatten_type(t).size()
  // flatten_type(t), kept when flat_count <= MAX_FLAT_PARAMS (longer signatures spill to
  // memory, so lifting and lowering never walk them); empty otherwise.
  std::vector<CoreValType> flat;
  // variant, enum, option, result: where the payload starts (after the discriminant, aligned
  // to max_case_alignment).
  uint32_t payload_offset = 0;
};
const CanonLayout& LayoutOf(const ValType& t);

// What canon lift/lower need of a function type on every call, computed once per lifted or
// lowered function (instance.cpp does it when it creates them): the parameter and result
// types, how many flat values they take, and the tuple types they spill to memory as.
struct FuncLayout {
  std::vector<ValTypePtr> params, results;
  size_t flat_params = 0, flat_results = 0;
  ValTypePtr params_tuple, results_tuple;  // tuple<params...>, tuple<results...>
};
FuncLayout MakeFuncLayout(const FuncType& ft);

// ---- runtime context for load/store ----

enum class StringEncoding { kUtf8, kUtf16, kLatin1Utf16 };

// A linear memory as the Canonical ABI sees it. data() and size() are read afresh after every
// call back into core code (realloc, the lifted callee, post-return), since memory.grow may
// move or extend it; an adapter over engine/core's Memory implements this interface.
class LinearMemory {
 public:
  virtual ~LinearMemory() = default;
  virtual uint8_t* data() = 0;
  virtual size_t size() const = 0;
};

// A fixed byte buffer as a LinearMemory (tests, host-side scratch memories).
class MemoryView : public LinearMemory {
 public:
  MemoryView() = default;
  MemoryView(uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t* data() override { return data_; }
  size_t size() const override { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// realloc(original_ptr, original_size, alignment, new_size) -> ptr, or a trap.
using ReallocFn = std::function<Result<uint32_t>(uint32_t, uint32_t, uint32_t, uint32_t)>;

struct CanonicalOptions {
  LinearMemory* memory = nullptr;
  StringEncoding string_encoding = StringEncoding::kUtf8;
  ReallocFn realloc;
};

// Own/borrow handles: the embedder maps handle indices to representations. Until resource
// tables exist (instantiation), load/store of own/borrow moves the i32 through unchanged
// when no HandleTables is given.
struct HandleTables {
  virtual ~HandleTables() = default;
  virtual Result<uint32_t> lift_own(const ResourceType& rt, uint32_t i) = 0;
  virtual Result<uint32_t> lift_borrow(const ResourceType& rt, uint32_t i) = 0;
  virtual Result<uint32_t> lower_own(const ResourceType& rt, uint32_t rep) = 0;
  virtual Result<uint32_t> lower_borrow(const ResourceType& rt, uint32_t rep) = 0;
};

struct CallContext {
  CanonicalOptions opts;
  HandleTables* handles = nullptr;
};

// ---- loading and storing ----

Result<Val> load(CallContext& cx, uint32_t ptr, const ValTypePtr& t);
Result<void> store(CallContext& cx, const Val& v, const ValTypePtr& t, uint32_t ptr);

Result<uint32_t> convert_i32_to_char(uint32_t i);
float canonicalize_nan32(float f);
double canonicalize_nan64(double f);
Result<Val> load_string(CallContext& cx, uint32_t ptr);
Result<Val> load_string_from_range(CallContext& cx, uint32_t ptr, uint32_t tagged_code_units);
Result<Val> load_list(CallContext& cx, uint32_t ptr, const ValTypePtr& elem_type,
                      std::optional<uint32_t> maybe_length);
Result<Val> load_list_from_range(CallContext& cx, uint32_t ptr, uint32_t length,
                                 const ValTypePtr& elem_type);

struct StoredString {
  uint32_t ptr = 0;
  uint32_t tagged_code_units = 0;
};
Result<void> store_string(CallContext& cx, const Val& v, uint32_t ptr);
Result<StoredString> store_string_into_range(CallContext& cx, const std::string& utf8);
Result<void> store_list(CallContext& cx, const Val& v, uint32_t ptr, const ValTypePtr& elem_type,
                        std::optional<uint32_t> maybe_length);

// ---- flat lifting / lowering ----

// A flat core value: i32/i64 as their bit patterns, f32/f64 as IEEE values.
struct CoreValue {
  CoreValType type = kI32;
  uint64_t bits = 0;
  static CoreValue I32(uint32_t v) { return {kI32, v}; }
  static CoreValue I64(uint64_t v) { return {kI64, v}; }
  static CoreValue F32(float f);
  static CoreValue F64(double d);
  float f32() const;
  double f64() const;
};

struct CoreValueIter {
  const std::vector<CoreValue>* values = nullptr;
  size_t i = 0;
  Result<CoreValue> next(CoreValType t);
};

Result<Val> lift_flat(CallContext& cx, CoreValueIter& vi, const ValTypePtr& t);
Result<void> lower_flat(CallContext& cx, const Val& v, const ValTypePtr& t,
                        std::vector<CoreValue>& out);

// lift_flat_values / lower_flat_values: whole parameter or result lists, spilling to memory
// beyond `max_flat` (MAX_FLAT_PARAMS or MAX_FLAT_RESULTS) as the spec does.
Result<std::vector<Val>> lift_flat_values(CallContext& cx, uint32_t max_flat, CoreValueIter& vi,
                                          const std::vector<ValTypePtr>& ts);
Result<std::vector<CoreValue>> lower_flat_values(CallContext& cx, uint32_t max_flat,
                                                 const std::vector<Val>& vs,
                                                 const std::vector<ValTypePtr>& ts,
                                                 std::optional<uint32_t> out_param = std::nullopt);

// ---- calls across the boundary (synchronous canon lift / canon lower) ----

// The core function a `canon lift` wraps, and the `post-return` function if any.
using CoreCallee = std::function<Result<std::vector<CoreValue>>(const std::vector<CoreValue>&)>;
using PostReturnFn = std::function<Result<void>(const std::vector<CoreValue>&)>;
// The component-level function a `canon lower` wraps (a host function or a lifted export).
using ComponentCallee = std::function<Result<std::vector<Val>>(const std::vector<Val>&)>;

// canon_lift: a caller with component values calls the core function `callee`: arguments are
// lowered into the callee's memory (spilled through realloc beyond MAX_FLAT_PARAMS), results
// lifted (through the returned pointer beyond MAX_FLAT_RESULTS), then post-return runs.
// `cx.handles` should be the callee instance's handles; own/borrow arguments become handles
// in its table.
Result<std::vector<Val>> canon_lift(CallContext& cx, const FuncType& ft, const CoreCallee& callee,
                                    const std::vector<Val>& args,
                                    const PostReturnFn& post_return = nullptr);
// The same with the function type's layout computed beforehand (MakeFuncLayout).
Result<std::vector<Val>> canon_lift(CallContext& cx, const FuncLayout& layout,
                                    const CoreCallee& callee, const std::vector<Val>& args,
                                    const PostReturnFn& post_return = nullptr);

// canon_lower: core code calls `callee` with flat arguments: arguments are lifted from the
// caller's memory, results lowered back (into the out-pointer, the last flat argument, beyond
// MAX_FLAT_RESULTS). The callee's results are checked against `ft` (a trap when they do not
// match) unless `check_results` is false: a callee whose results are known to match.
Result<std::vector<CoreValue>> canon_lower(CallContext& cx, const FuncType& ft,
                                           const ComponentCallee& callee,
                                           const std::vector<CoreValue>& flat_args,
                                           bool check_results = true);
// The same with the function type's layout computed beforehand (MakeFuncLayout).
Result<std::vector<CoreValue>> canon_lower(CallContext& cx, const FuncLayout& layout,
                                           const ComponentCallee& callee,
                                           const std::vector<CoreValue>& flat_args,
                                           bool check_results = true);

}  // namespace lokust::component
