// The runtime object model: Store owns every function, table, memory, global and instance;
// Instance is one instantiated Module; Linker resolves imports by name.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/core/limits.h"
#include "engine/core/module.h"
#include "engine/core/result.h"
#include "engine/core/values.h"

namespace lokust::core {

class Store;
class Instance;
class Memory;

// What a host function sees of its caller.
struct Caller {
  Store& store;
  Instance* instance;      // the calling instance; null when called directly from the host
  Memory* memory() const;  // the caller's memory 0, or null
};

// Host functions get their arguments and write their results; an Error is a trap.
using HostFunc = std::function<Result<void>(Caller& caller, std::span<const Value> args,
                                            std::span<Value> results)>;

struct Func {
  FuncType type;
  uint32_t type_id = 0;          // store-wide id of `type` (structural equality)
  Instance* instance = nullptr;  // null for host functions
  // Wasm functions: entry of the internal code and frame layout.
  const uint64_t* entry = nullptr;
  // Frame layout in 64-bit slots (a v128 takes two).
  uint32_t num_params = 0;
  uint32_t num_results = 0;
  uint32_t num_locals = 0;  // declared locals, beyond params
  uint32_t max_stack = 0;
  HostFunc host;
  bool is_host() const { return instance == nullptr; }
};

class Memory {
 public:
  // `limit_refusals`, when given, counts the grows that `limit_pages` refused below the
  // type's own max (the store's limit, not the module's).
  Memory(MemoryType type, uint32_t limit_pages, uint64_t* limit_refusals = nullptr);
  ~Memory();
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;

  const MemoryType& type() const { return type_; }
  uint8_t* data() { return data_; }
  uint64_t size_bytes() const { return bytes_; }
  uint32_t pages() const { return static_cast<uint32_t>(bytes_ >> 16); }
  // Returns the old size in pages, or -1 when the type's max or the store limit forbids it.
  int64_t Grow(uint32_t delta_pages);

  // Bounds-checked access for hosts.
  Result<void> Read(uint64_t addr, std::span<uint8_t> out) const;
  Result<void> Write(uint64_t addr, std::span<const uint8_t> in);
  template <typename T>
  Result<T> Load(uint64_t addr) const {
    T v{};
    auto r = Read(addr, {reinterpret_cast<uint8_t*>(&v), sizeof(T)});
    if (!r) return r.error();
    return v;
  }
  template <typename T>
  Result<void> Store(uint64_t addr, T v) {
    return Write(addr, {reinterpret_cast<const uint8_t*>(&v), sizeof(T)});
  }

 private:
  MemoryType type_;
  uint32_t limit_pages_;
  uint64_t* limit_refusals_;
  uint8_t* data_ = nullptr;
  uint64_t bytes_ = 0;
};

class Table {
 public:
  // `total`, when given, counts the elements of all tables sharing a budget of `total_limit`.
  Table(TableType type, uint32_t limit, uint64_t init, uint64_t* total = nullptr,
        uint64_t total_limit = UINT64_MAX);
  const TableType& type() const { return type_; }
  uint32_t size() const { return static_cast<uint32_t>(elems_.size()); }
  // Returns the old size, or -1.
  int64_t Grow(uint32_t delta, uint64_t init);
  Result<Value> Get(uint32_t index) const;
  Result<void> Set(uint32_t index, Value v);
  std::vector<uint64_t>& elems() { return elems_; }

 private:
  TableType type_;
  uint32_t limit_;
  uint64_t* total_;
  uint64_t total_limit_;
  std::vector<uint64_t> elems_;  // 0 = null, else Func* or externref word
};

struct Global {
  GlobalType type;
  uint64_t bits = 0;
  uint64_t hi = 0;  // v128 only
  Value get() const { return {type.type, bits, hi}; }
};

// Something an import can be satisfied with or an export names.
struct Extern {
  ExternKind kind = ExternKind::kFunc;
  void* ptr = nullptr;
  static Extern Of(Func* f) { return {ExternKind::kFunc, f}; }
  static Extern Of(Table* t) { return {ExternKind::kTable, t}; }
  static Extern Of(Memory* m) { return {ExternKind::kMemory, m}; }
  static Extern Of(Global* g) { return {ExternKind::kGlobal, g}; }
  Func* func() const { return kind == ExternKind::kFunc ? static_cast<Func*>(ptr) : nullptr; }
  Table* table() const { return kind == ExternKind::kTable ? static_cast<Table*>(ptr) : nullptr; }
  Memory* memory() const {
    return kind == ExternKind::kMemory ? static_cast<Memory*>(ptr) : nullptr;
  }
  Global* global() const {
    return kind == ExternKind::kGlobal ? static_cast<Global*>(ptr) : nullptr;
  }
};

class Instance {
 public:
  const Module& module() const { return *module_; }
  std::optional<Extern> GetExport(std::string_view name) const;
  Func* GetFunc(std::string_view name) const;
  Memory* GetMemory(std::string_view name) const;
  Global* GetGlobal(std::string_view name) const;
  Table* GetTable(std::string_view name) const;

  // Index spaces, imports first. Used by the interpreter; read-only for embedders.
  std::shared_ptr<const Module> module_;
  std::vector<Func*> funcs;
  std::vector<Table*> tables;
  std::vector<Memory*> memories;
  std::vector<Global*> globals;
  std::vector<uint32_t> type_ids;  // module type index -> store type id
  struct Elem {
    ValType type;
    std::vector<uint64_t> items;
  };
  std::vector<Elem> elems;                      // dropped segments are emptied
  std::vector<std::span<const uint8_t>> datas;  // dropped segments are empty
};

class Store {
 public:
  explicit Store(Limits limits = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Limits& limits() const { return limits_; }

  Func* CreateHostFunc(FuncType type, HostFunc fn);
  Memory* CreateMemory(MemoryType type);
  Table* CreateTable(TableType type, Value init = Value::Null(ValType::kFuncRef));
  Global* CreateGlobal(GlobalType type, Value init);

  // Instantiate with imports given in the module's import order. On a trap during
  // instantiation (segment out of bounds, start function) the error is returned and the
  // partly initialised state stays in the store, as the specification requires.
  Result<Instance*> Instantiate(std::shared_ptr<const Module> module,
                                std::span<const Extern> imports);

  // Call a function; arguments are checked against its type. Traps come back as errors.
  Result<std::vector<Value>> Call(Func* func, std::span<const Value> args);

  // Interruption. Fuel counts loop back-edges and calls; when it runs out the guest traps
  // "fuel exhausted". A deadline traps "deadline exceeded"; Interrupt() (thread-safe) traps
  // "interrupted" at the next check.
  void SetFuel(std::optional<uint64_t> fuel);
  std::optional<uint64_t> fuel_remaining() const;
  void SetDeadline(std::optional<std::chrono::steady_clock::time_point> deadline);
  void Interrupt() { interrupt_.store(true, std::memory_order_relaxed); }
  std::optional<std::chrono::steady_clock::time_point> deadline() const { return deadline_; }

  // How many memory.grow calls (and memory creations) the store's max_memory_pages refused
  // where the memory's own type allowed them: lets an embedder tell a guest that trapped
  // because it could not allocate from one with a bug of its own.
  uint64_t memory_limit_refusals() const { return memory_limit_refusals_; }

  uint32_t TypeId(const FuncType& type);

  // Interpreter internals.
  struct Exec;
  Exec& exec() { return *exec_; }

 private:
  friend struct Interp;
  Limits limits_;
  std::deque<std::unique_ptr<Func>> funcs_;
  std::deque<std::unique_ptr<Memory>> memories_;
  std::deque<std::unique_ptr<Table>> tables_;
  std::deque<std::unique_ptr<Global>> globals_;
  std::deque<std::unique_ptr<Instance>> instances_;
  std::vector<FuncType> type_ids_;
  uint64_t table_elements_ = 0;
  uint64_t memory_limit_refusals_ = 0;
  std::unique_ptr<Exec> exec_;

 public:
  // Fuel/deadline state, read by the interpreter.
  std::atomic<bool> interrupt_{false};
  std::optional<uint64_t> fuel_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

// Resolves imports by (module, name).
class Linker {
 public:
  void Define(std::string module, std::string name, Extern value);
  // Makes every export of `instance` importable under `module`.
  void DefineInstance(std::string module, const Instance& instance);
  std::optional<Extern> Find(std::string_view module, std::string_view name) const;
  // Resolves the imports (errors "unknown import" / "incompatible import type" name the
  // import), then instantiates.
  Result<Instance*> Instantiate(Store& store, std::shared_ptr<const Module> module) const;
  Result<std::vector<Extern>> Resolve(const Module& module) const;

 private:
  std::map<std::pair<std::string, std::string>, Extern, std::less<>> defs_;
};

}  // namespace lokust::core
