// The component type model: component value types, function types, component and instance
// types, resource types, and the core types a component talks about (core function, module
// and instance types). Types are immutable once built and shared by pointer; resource types
// have identity (two ResourceType objects are different resources).
//
// Vocabulary follows the component-model repository's Explainer.md and
// canonical-abi/definitions.py (Record, Variant, Flags, Own, Borrow, ...).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/component/result.h"

namespace lokust::component {

// ---- core types --------------------------------------------------------------------------

// A core value type as encoded in the binary (0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, 0x7b
// v128, 0x70 funcref, 0x6f externref, ...); reference types with a heap type keep it in
// `heap` (a type index or an abstract heap type byte, negative).
struct CoreValType {
  uint8_t code = 0x7f;
  bool nullable = true;
  int64_t heap = 0;
  bool is_numeric() const { return code >= 0x7b && code <= 0x7f; }
  bool operator==(const CoreValType& o) const {
    if (code != o.code) return false;
    return is_numeric() || (nullable == o.nullable && heap == o.heap);
  }
};
inline constexpr CoreValType kI32{0x7f}, kI64{0x7e}, kF32{0x7d}, kF64{0x7c};
std::string CoreValTypeName(const CoreValType& t);

struct CoreFuncType {
  std::vector<CoreValType> params;
  std::vector<CoreValType> results;
  // Set for built-ins whose core signature this layer does not model yet (async and thread
  // built-ins); such a type matches any other.
  bool any = false;
  bool operator==(const CoreFuncType& o) const {
    return any || o.any || (params == o.params && results == o.results);
  }
};
std::string CoreFuncTypeToString(const CoreFuncType& t);

struct CoreLimits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool is64 = false;
  bool shared = false;
  std::optional<uint32_t> page_size_log2;
  bool operator==(const CoreLimits&) const = default;
};

enum class CoreExternKind : uint8_t { kFunc = 0, kTable = 1, kMemory = 2, kGlobal = 3, kTag = 4 };
const char* CoreExternKindName(CoreExternKind k);

struct CoreExternType {
  CoreExternKind kind = CoreExternKind::kFunc;
  CoreFuncType func;  // kFunc, kTag (the tag's signature)
  CoreValType value;  // kTable: element type; kGlobal: value type
  CoreLimits limits;  // kTable, kMemory
  bool mut = false;   // kGlobal
};

struct CoreImportDecl {
  std::string module;
  std::string field;
  CoreExternType type;
};
struct CoreExportDecl {
  std::string name;
  CoreExternType type;
};

// The type of a core module: its imports and exports.
struct ModuleType {
  std::vector<CoreImportDecl> imports;
  std::vector<CoreExportDecl> exports;
  const CoreExportDecl* FindExport(const std::string& name) const;
  // Name -> position index so lookups stay O(1) for types with many exports. Call after
  // filling `exports`; lookups fall back to a scan when the index is stale.
  void Reindex();
  std::unordered_map<std::string, uint32_t> export_index;
};
using ModuleTypePtr = std::shared_ptr<const ModuleType>;

// The type of a core instance: its exports by name.
struct CoreInstanceType {
  std::vector<CoreExportDecl> exports;
  const CoreExportDecl* FindExport(const std::string& name) const;
  void Reindex();  // see ModuleType::Reindex
  std::unordered_map<std::string, uint32_t> export_index;
};
using CoreInstanceTypePtr = std::shared_ptr<const CoreInstanceType>;

// An entry of the core type index space.
struct CoreTypeEntry {
  enum class Kind { kFunc, kModule, kOther } kind = Kind::kFunc;
  CoreFuncType func;
  ModuleTypePtr module;
};

// ---- component value types -----------------------------------------------------------

enum class ValKind : uint8_t {
  kBool,
  kS8,
  kU8,
  kS16,
  kU16,
  kS32,
  kU32,
  kS64,
  kU64,
  kF32,
  kF64,
  kChar,
  kString,
  kList,
  kRecord,
  kTuple,
  kVariant,
  kEnum,
  kOption,
  kResult,
  kFlags,
  kOwn,
  kBorrow,
  kMap,
  kStream,
  kFuture,
  kErrorContext,
};
const char* ValKindName(ValKind k);
bool IsPrimitive(ValKind k);

// A resource type. Identity is the object: every `(type (resource ...))` definition and every
// `(sub resource)` import or export declarator creates a fresh one.
struct ResourceType {
  uint64_t id = 0;               // unique per process, for printing and hashing
  std::string name;              // the import/export name it was first given, if any
  bool local = false;            // defined by `(resource (rep i32) ...)` in this component
  std::optional<uint32_t> dtor;  // core function index of the destructor, when local
  // Set when this object is a new name for an existing resource (a type export or an
  // `(eq ...)` import): the same resource, a different name for visibility purposes.
  std::shared_ptr<ResourceType> alias_of;

  // Runtime only: set on host resources (LinkerInstance::DefineResource) and on the resource
  // types instantiation creates for each `(type (resource ...))` it runs. What dropping an owned
  // handle runs (the host dtor, or the guest's core dtor through Store::Call; empty: nothing),
  // and the component instance implementing it (null for host resources).
  std::function<Result<void>(uint32_t rep)> destroy;
  const void* impl = nullptr;
};
using ResourceTypePtr = std::shared_ptr<ResourceType>;
ResourceTypePtr NewResourceType(std::string name, bool local);
ResourceTypePtr NewResourceAlias(const ResourceTypePtr& of, std::string name);
// The resource an alias names (itself when not an alias): compare roots for identity.
const ResourceType* ResourceRoot(const ResourceType* r);
inline bool SameResource(const ResourceType* a, const ResourceType* b) {
  return ResourceRoot(a) == ResourceRoot(b);
}

struct ValType;
using ValTypePtr = std::shared_ptr<const ValType>;

struct CanonLayout;  // canonical_abi.h

// A ValType's Canonical ABI layout (alignment, size, flattening), computed on first use by
// LayoutOf (canonical_abi.h) and kept with the type, so lifting and lowering do not recompute
// it on every call. Published atomically: instances on several threads may share types. A
// copied ValType starts without one (copies are made to be changed).
class CanonLayoutSlot {
 public:
  CanonLayoutSlot() = default;
  CanonLayoutSlot(const CanonLayoutSlot&) {}
  CanonLayoutSlot& operator=(const CanonLayoutSlot&);  // empties this slot
  ~CanonLayoutSlot();
  const CanonLayout* get() const { return p_.load(std::memory_order_acquire); }
  // Keeps `l` (owned from now on) unless another thread stored one first, in which case `l` is
  // deleted; returns the layout the slot holds.
  const CanonLayout* publish(const CanonLayout* l) const;

 private:
  mutable std::atomic<const CanonLayout*> p_{nullptr};
};

// A record field, a tuple element (empty label), or a variant case (type may be null).
struct Field {
  std::string label;
  ValTypePtr type;
};

struct ValType {
  ValKind kind = ValKind::kBool;
  std::vector<Field> fields;             // kRecord, kTuple (labels empty), kVariant (cases)
  std::vector<std::string> labels;       // kEnum, kFlags
  ValTypePtr elem;                       // kList, kOption, kMap (key), kStream/kFuture (payload)
  ValTypePtr value;                      // kMap (value)
  ValTypePtr ok;                         // kResult
  ValTypePtr err;                        // kResult
  std::optional<uint32_t> fixed_length;  // kList with a fixed length
  ResourceTypePtr resource;              // kOwn, kBorrow
  std::string name;        // the name a type import/export gave this type (printing only)
  uint32_t depth = 1;      // nesting depth (1 for leaves); the validator bounds it
  CanonLayoutSlot layout;  // runtime cache: see CanonLayoutSlot

  static ValTypePtr Prim(ValKind k);
  static ValTypePtr List(ValTypePtr elem, std::optional<uint32_t> fixed_length = std::nullopt);
  static ValTypePtr Record(std::vector<Field> fields);
  static ValTypePtr Tuple(std::vector<ValTypePtr> ts);
  static ValTypePtr Variant(std::vector<Field> cases);
  static ValTypePtr Enum(std::vector<std::string> labels);
  static ValTypePtr Option(ValTypePtr t);
  static ValTypePtr Result(ValTypePtr ok, ValTypePtr err);
  static ValTypePtr Flags(std::vector<std::string> labels);
  static ValTypePtr Own(ResourceTypePtr rt);
  static ValTypePtr Borrow(ResourceTypePtr rt);
};

// Structural equality (resources by identity).
bool ValTypeEquals(const ValTypePtr& a, const ValTypePtr& b);
// WIT-like spelling: `list<record { a: u32 }>`, `own<r1>`, `result<u32, string>`. Named types
// (those a type import/export named) print by name unless `expand` is set for the outermost.
std::string ValTypeToString(const ValTypePtr& t, bool expand = false);

// ---- function, component and instance types -------------------------------------------

struct FuncType {
  std::vector<Field> params;
  ValTypePtr result;  // null: no result
  bool async = false;
  std::vector<ValTypePtr> param_types() const;
  std::vector<ValTypePtr> result_types() const;
};
using FuncTypePtr = std::shared_ptr<const FuncType>;
std::string FuncTypeToString(const FuncType& ft);

struct ComponentType;
struct InstanceType;
using ComponentTypePtr = std::shared_ptr<const ComponentType>;
using InstanceTypePtr = std::shared_ptr<const InstanceType>;

// An entry of the component type index space.
struct TypeEntry {
  enum class Kind { kDefined, kFunc, kComponent, kInstance, kResource } kind = Kind::kDefined;
  ValTypePtr defined;
  FuncTypePtr func;
  ComponentTypePtr component;
  InstanceTypePtr instance;
  ResourceTypePtr resource;
};
const char* TypeEntryKindName(TypeEntry::Kind k);

enum class ExternKind : uint8_t { kModule, kFunc, kValue, kType, kComponent, kInstance };
const char* ExternKindName(ExternKind k);

struct ExternType {
  ExternKind kind = ExternKind::kFunc;
  ModuleTypePtr module;        // kModule
  FuncTypePtr func;            // kFunc
  ValTypePtr value;            // kValue
  TypeEntry type;              // kType: the type it is bound to (resource for `sub resource`)
  ComponentTypePtr component;  // kComponent
  InstanceTypePtr instance;    // kInstance
};

// A parsed `importname`/`exportname` with its attributes.
struct ExternName {
  std::string name;
  std::optional<std::string> implements;
  std::optional<std::string> external_id;
};

struct ExternDecl {
  ExternName name;
  ExternType type;
};

struct ComponentType {
  std::vector<ExternDecl> imports;
  std::vector<ExternDecl> exports;
  uint32_t depth = 1;  // nesting depth of the types it contains; the validator bounds it
  const ExternDecl* FindImport(const std::string& name) const;
  const ExternDecl* FindExport(const std::string& name) const;
  void Reindex();  // see ModuleType::Reindex
  std::unordered_map<std::string, uint32_t> import_index, export_index;
};
struct InstanceType {
  std::vector<ExternDecl> exports;
  void Reindex();  // see ModuleType::Reindex
  std::unordered_map<std::string, uint32_t> export_index;
  uint32_t depth = 1;  // nesting depth of the types it contains; the validator bounds it
  const ExternDecl* FindExport(const std::string& name) const;
};

}  // namespace lokust::component
