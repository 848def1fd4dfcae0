// The decoded form of a component binary (Binary.md): every definition in binary order, with
// indices still unresolved. The decoder produces it; the validator resolves it into index
// spaces and types; instantiation later walks the same definitions as the instance graph.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "engine/component/types.h"

namespace lokust::component {

enum class CoreSort : uint8_t {
  kFunc = 0x00,
  kTable = 0x01,
  kMemory = 0x02,
  kGlobal = 0x03,
  kTag = 0x04,
  kType = 0x10,
  kModule = 0x11,
  kInstance = 0x12,
};
const char* CoreSortName(CoreSort s);

enum class SortKind : uint8_t {
  kCore = 0x00,
  kFunc = 0x01,
  kValue = 0x02,
  kType = 0x03,
  kComponent = 0x04,
  kInstance = 0x05,
};

struct Sort {
  SortKind kind = SortKind::kFunc;
  CoreSort core = CoreSort::kFunc;  // when kind == kCore
  bool operator==(const Sort&) const = default;
};
std::string SortName(Sort s);

struct SortIdx {
  Sort sort;
  uint32_t idx = 0;
};

// `valtype`: a primitive type opcode or a type index.
struct ValTypeRef {
  bool is_index = false;
  uint8_t prim = 0;  // 0x7f bool .. 0x73 string (and 0x64 error-context)
  uint32_t index = 0;
};

struct DefValTypeAst {
  uint8_t opcode = 0x7f;  // Binary.md defvaltype opcode
  // record fields (type set), variant cases (type optional)
  std::vector<std::pair<std::string, std::optional<ValTypeRef>>> items;
  std::vector<ValTypeRef> types;    // tuple
  std::vector<std::string> labels;  // flags, enum
  std::optional<ValTypeRef> a;      // list/option/stream/future element, result ok, map key
  std::optional<ValTypeRef> b;      // result error, map value
  uint32_t index = 0;               // own/borrow type index
  uint32_t length = 0;              // fixed-length list
};

struct FuncTypeAst {
  bool async = false;
  std::vector<std::pair<std::string, ValTypeRef>> params;
  std::optional<ValTypeRef> result;
};

struct ResourceTypeAst {
  std::optional<uint32_t> dtor;
  bool async = false;
  std::optional<uint32_t> callback;
};

// `externdesc`
struct ExternDescAst {
  ExternKind kind = ExternKind::kFunc;
  uint32_t index = 0;  // module: core type idx; func/component/instance: type idx; type: eq idx
  bool sub_resource = false;  // type bound `(sub resource)`
  bool value_eq = false;      // value bound `(eq i)`: index is a value index
  ValTypeRef value_type;      // value bound with a valtype
};

struct AliasAst {
  Sort sort;
  enum class Target : uint8_t {
    kExport = 0x00,
    kCoreExport = 0x01,
    kOuter = 0x02
  } target = Target::kExport;
  uint32_t instance = 0;  // kExport, kCoreExport
  std::string name;       // kExport, kCoreExport
  uint32_t count = 0;     // kOuter: ct
  uint32_t index = 0;     // kOuter: idx
};

// ---- core types ----

struct CoreImportDescAst {
  CoreExternKind kind = CoreExternKind::kFunc;
  uint32_t type_index = 0;  // func, tag
  CoreExternType type;      // table, memory, global
};

struct CoreTypeAst;
struct CoreModuleDeclAst {
  enum class Kind : uint8_t { kImport = 0x00, kType = 0x01, kAlias = 0x02, kExport = 0x03 } kind;
  std::string module;  // import
  std::string name;    // import field or export name
  CoreImportDescAst desc;
  std::shared_ptr<CoreTypeAst> type;          // kType
  uint32_t outer_count = 0, outer_index = 0;  // kAlias (outer type alias)
};

struct CoreTypeAst {
  enum class Kind { kFunc, kModule, kOther } kind = Kind::kFunc;
  CoreFuncType func;
  std::vector<CoreModuleDeclAst> decls;
  size_t offset = 0;
};

// ---- component types ----

struct TypeDefAst;
struct DeclAst {
  enum class Kind : uint8_t {
    kCoreType = 0x00,
    kType = 0x01,
    kAlias = 0x02,
    kImport = 0x03,
    kExport = 0x04
  } kind = Kind::kType;
  std::shared_ptr<CoreTypeAst> core_type;
  std::shared_ptr<TypeDefAst> type;
  AliasAst alias;
  ExternName name;
  ExternDescAst desc;
  size_t offset = 0;
};

struct TypeDefAst {
  enum class Kind { kDefined, kFunc, kComponent, kInstance, kResource } kind = Kind::kDefined;
  DefValTypeAst defined;
  FuncTypeAst func;
  std::vector<DeclAst> decls;  // component / instance types
  ResourceTypeAst resource;
  size_t offset = 0;
};

// ---- definitions ----

struct CoreModuleDef {
  std::span<const uint8_t> bytes;  // the whole core module, preamble included
  size_t offset = 0;               // of the module's first byte in the outermost binary
};

struct CoreInstanceDef {
  bool instantiate = true;
  uint32_t module = 0;
  std::vector<std::pair<std::string, uint32_t>> args;  // (with name (instance i))
  std::vector<std::pair<std::string, std::pair<CoreSort, uint32_t>>> exports;  // inline exports
};

struct ComponentAst;
struct ComponentDef {
  std::shared_ptr<ComponentAst> component;
};

struct InstanceDef {
  bool instantiate = true;
  uint32_t component = 0;
  std::vector<std::pair<std::string, SortIdx>> args;
  std::vector<std::pair<ExternName, SortIdx>> exports;  // inline exports
};

struct CanonOptAst {
  uint8_t code = 0;  // 0 utf8, 1 utf16, 2 latin1+utf16, 3 memory, 4 realloc, 5 post-return,
                     // 6 async, 7 callback, 8 core-type, 9 gc
  uint32_t index = 0;
};

struct CanonDef {
  // Binary.md canon opcode: 0x00 lift, 0x01 lower, 0x02 resource.new, 0x03 resource.drop,
  // 0x04 resource.rep, and the async/thread built-ins (kept for decoding; not executed here).
  uint8_t op = 0;
  uint32_t func = 0;  // lift: core func; lower: component func
  uint32_t type = 0;  // lift: func type; resource.*: resource type; stream/future: type
  std::vector<CanonOptAst> opts;
  bool flag = false;                 // async/cancellable boolean immediates
  uint32_t extra = 0;                // memory / table / context slot immediates
  std::optional<ValTypeRef> result;  // task.return
};
const char* CanonOpName(uint8_t op);

struct StartDef {
  uint32_t func = 0;
  std::vector<uint32_t> args;
  uint32_t results = 0;
};

struct ImportDef {
  ExternName name;
  ExternDescAst desc;
};

struct ExportDef {
  ExternName name;
  SortIdx item;
  std::optional<ExternDescAst> desc;
};

struct ValueDef {
  ValTypeRef type;
  std::span<const uint8_t> bytes;
};

struct Definition {
  std::variant<CoreModuleDef, CoreInstanceDef, std::shared_ptr<CoreTypeAst>, ComponentDef,
               InstanceDef, AliasAst, std::shared_ptr<TypeDefAst>, CanonDef, StartDef, ImportDef,
               ExportDef, ValueDef>
      def;
  size_t offset = 0;  // of the definition's first byte in the outermost binary
};

struct CustomSection {
  std::string name;
  std::span<const uint8_t> data;
};

struct ComponentAst {
  std::vector<Definition> definitions;
  std::vector<CustomSection> custom_sections;
  size_t offset = 0;  // of the preamble in the outermost binary
};

}  // namespace lokust::component
