// A decoded, validated and translated WebAssembly core module. Immutable once compiled; may
// be instantiated any number of times, in any number of stores.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/core/values.h"

namespace lokust::core {

enum class ExternKind : uint8_t { kFunc = 0, kTable = 1, kMemory = 2, kGlobal = 3 };
const char* ExternKindName(ExternKind k);

struct SizeLimits {
  uint32_t min = 0;
  std::optional<uint32_t> max;
};
struct TableType {
  ValType elem = ValType::kFuncRef;
  SizeLimits limits;
};
struct MemoryType {
  SizeLimits limits;  // in 64 KiB pages
};
struct GlobalType {
  ValType type = ValType::kI32;
  bool mut = false;
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t func_type = 0;  // kFunc: index into Module::types
  TableType table;
  MemoryType memory;
  GlobalType global;
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t index = 0;
};

// A constant expression (Wasm 2.0: exactly one instruction before `end`).
struct ConstExpr {
  enum class Op : uint8_t { kConst, kGlobalGet, kRefNull, kRefFunc };
  Op op = Op::kConst;
  ValType type = ValType::kI32;
  uint64_t bits = 0;   // kConst
  uint64_t hi = 0;     // kConst of type v128: the high 64 bits
  uint32_t index = 0;  // kGlobalGet, kRefFunc
};

enum class SegmentMode : uint8_t { kActive, kPassive, kDeclarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::kPassive;
  uint32_t table = 0;
  ConstExpr offset;
  ValType type = ValType::kFuncRef;
  std::vector<ConstExpr> items;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::kPassive;
  uint32_t memory = 0;
  ConstExpr offset;
  std::vector<uint8_t> bytes;
};

// A function defined by the module, after translation to internal code.
struct FuncCode {
  uint32_t type = 0;            // index into Module::types
  std::vector<ValType> locals;  // declared locals (params not included)
  size_t code_offset = 0;       // word offset of the entry in Module::code()
  uint32_t max_stack = 0;       // slots needed above the frame base (locals + operands)
};

struct CustomSection {
  std::string name;
  std::vector<uint8_t> bytes;
};

// Proposals beyond Wasm 2.0, each off by default so that the 2.0 spec's "invalid" verdicts hold.
struct CompileOptions {
  // Multi-memory (part of Wasm 3.0): several memories, memargs with an explicit memory index
  // (alignment flag bit 6), memidx immediates on memory.size/grow/fill/copy/init. The
  // component model needs it: its core modules may define or import more than one memory.
  bool multi_memory = false;
};

class Module {
 public:
  // Decode, validate and translate. Errors are kMalformed (binary format) or kInvalid
  // (validation), with the specification's message.
  static Result<std::shared_ptr<const Module>> Compile(std::span<const uint8_t> bytes,
                                                       const CompileOptions& options = {});

  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<uint32_t> func_types;     // per function index (imports first)
  std::vector<TableType> tables;        // imports first
  std::vector<MemoryType> memories;     // imports first
  std::vector<GlobalType> globals;      // imports first
  std::vector<ConstExpr> global_inits;  // defined globals only
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::vector<FuncCode> funcs;  // defined functions only
  std::vector<CustomSection> customs;
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;

  const FuncType& func_type(uint32_t func_index) const { return types[func_types[func_index]]; }
  const Export* find_export(std::string_view name) const;

  // The translated code of all defined functions (see engine/core/code.h).
  const std::vector<uint64_t>& code() const { return code_; }
  std::vector<uint64_t>& mutable_code() { return code_; }

  // Human-readable listing of the internal code of defined function `func_index`.
  std::string Disassemble(uint32_t func_index) const;

 private:
  std::vector<uint64_t> code_;
};

}  // namespace lokust::core
