// See core_module_info.h.
#include "engine/component/core_module_info.h"

#include <optional>
#include <string>
#include <vector>

#include "engine/component/reader.h"

namespace lokust::component {
namespace {

using detail::Reader;

void SkipStorageType(Reader& r) {
  uint8_t b = r.Peek();
  if (b == 0x78 || b == 0x77) {
    r.U8();
  } else {
    detail::ReadCoreValType(r);
  }
  r.U8();  // mutability
}

// Reads one subtype; returns the function type if it is one.
std::optional<CoreFuncType> ReadSubType(Reader& r) {
  uint8_t b = r.U8();
  if (b == 0x50 || b == 0x4f) {
    uint32_t n = r.Count();
    for (uint32_t i = 0; i < n && !r.failed(); ++i) r.U32();
    b = r.U8();
  }
  if (r.failed()) return std::nullopt;
  if (b == 0x60) {
    CoreFuncType f;
    uint32_t n = r.Count();
    for (uint32_t i = 0; i < n && !r.failed(); ++i) f.params.push_back(detail::ReadCoreValType(r));
    n = r.Count();
    for (uint32_t i = 0; i < n && !r.failed(); ++i) f.results.push_back(detail::ReadCoreValType(r));
    return f;
  }
  if (b == 0x5f) {
    uint32_t n = r.Count();
    for (uint32_t i = 0; i < n && !r.failed(); ++i) SkipStorageType(r);
    return std::nullopt;
  }
  if (b == 0x5e) {
    SkipStorageType(r);
    return std::nullopt;
  }
  r.BadByte(r.offset() - 1, b, "type");
  return std::nullopt;
}

int OrderOf(uint8_t id) {
  switch (id) {
    case 1:
      return 1;
    case 2:
      return 2;
    case 3:
      return 3;
    case 4:
      return 4;
    case 5:
      return 5;
    case 13:
      return 6;
    case 6:
      return 7;
    case 7:
      return 8;
    case 8:
      return 9;
    case 9:
      return 10;
    case 12:
      return 11;
    case 10:
      return 12;
    case 11:
      return 13;
    default:
      return -1;
  }
}

}  // namespace

Result<ModuleType> ReadCoreModuleType(std::span<const uint8_t> bytes, size_t base_offset) {
  Reader r(bytes, base_offset);
  auto magic = r.Bytes(8);
  if (r.failed()) return r.error();
  (void)magic;
  std::vector<std::optional<CoreFuncType>> types;
  std::vector<uint32_t> func_types;  // type index per function (imports first)
  std::vector<CoreExternType> tables, memories, globals, tags;
  ModuleType mt;
  std::vector<std::pair<std::string, std::pair<uint8_t, uint32_t>>> exports;
  int last = 0;
  auto functype_of = [&](uint32_t idx, size_t at, CoreFuncType* out) -> bool {
    if (idx >= types.size()) {
      r.FailAt(at, "unknown type " + std::to_string(idx) + ": type index out of bounds");
      return false;
    }
    if (!types[idx]) {
      r.FailAt(at, "type index " + std::to_string(idx) + " is not a function type");
      return false;
    }
    *out = *types[idx];
    return true;
  };
  while (!r.eof() && !r.failed()) {
    size_t sec_at = r.offset();
    uint8_t id = r.U8();
    uint32_t size = r.U32();
    size_t body_at = r.offset();
    auto body = r.Bytes(size);
    if (r.failed()) break;
    if (id == 0) continue;
    int order = OrderOf(id);
    if (order < 0) return Malformed("malformed section id: " + std::to_string(id), sec_at);
    if (order <= last) return Malformed("section out of order", sec_at);
    last = order;
    Reader s(body, body_at);
    switch (id) {
      case 1: {
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) {
          if (s.Peek() == 0x4e) {
            s.U8();
            uint32_t m = s.Count();
            for (uint32_t j = 0; j < m && !s.failed(); ++j) types.push_back(ReadSubType(s));
          } else {
            types.push_back(ReadSubType(s));
          }
        }
        break;
      }
      case 2: {
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) {
          CoreImportDecl d;
          d.module = s.Name();
          d.field = s.Name();
          size_t at = s.offset();
          uint8_t k = s.U8();
          if (s.failed()) break;
          switch (k) {
            case 0x00: {
              d.type.kind = CoreExternKind::kFunc;
              size_t tat = s.offset();
              uint32_t ti = s.U32();
              if (!s.failed() && !functype_of(ti, tat, &d.type.func)) return r.error();
              func_types.push_back(ti);
              break;
            }
            case 0x01:
              d.type.kind = CoreExternKind::kTable;
              d.type.value = detail::ReadCoreValType(s);
              d.type.limits = detail::ReadCoreLimits(s);
              tables.push_back(d.type);
              break;
            case 0x02:
              d.type.kind = CoreExternKind::kMemory;
              d.type.limits = detail::ReadCoreLimits(s);
              memories.push_back(d.type);
              break;
            case 0x03:
              d.type.kind = CoreExternKind::kGlobal;
              d.type.value = detail::ReadCoreValType(s);
              d.type.mut = s.U8() == 1;
              globals.push_back(d.type);
              break;
            case 0x04: {
              d.type.kind = CoreExternKind::kTag;
              s.U8();
              size_t tat = s.offset();
              uint32_t ti = s.U32();
              if (!s.failed() && !functype_of(ti, tat, &d.type.func)) return r.error();
              tags.push_back(d.type);
              break;
            }
            default:
              s.BadByte(at, k, "external kind");
          }
          mt.imports.push_back(std::move(d));
        }
        break;
      }
      case 3: {
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) func_types.push_back(s.U32());
        break;
      }
      case 4: {
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) {
          CoreExternType t;
          t.kind = CoreExternKind::kTable;
          if (s.Peek() == 0x40) {  // table with initializer: 0x40 0x00 tabletype expr
            s.U8();
            s.U8();
            t.value = detail::ReadCoreValType(s);
            t.limits = detail::ReadCoreLimits(s);
            // Skip the constant expression up to its `end`.
            while (!s.failed() && s.U8() != 0x0b) {
            }
          } else {
            t.value = detail::ReadCoreValType(s);
            t.limits = detail::ReadCoreLimits(s);
          }
          tables.push_back(t);
        }
        break;
      }
      case 5: {
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) {
          CoreExternType t;
          t.kind = CoreExternKind::kMemory;
          t.limits = detail::ReadCoreLimits(s);
          memories.push_back(t);
        }
        break;
      }
      case 13: {
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) {
          CoreExternType t;
          t.kind = CoreExternKind::kTag;
          s.U8();
          size_t tat = s.offset();
          uint32_t ti = s.U32();
          if (!s.failed() && !functype_of(ti, tat, &t.func)) return r.error();
          tags.push_back(t);
        }
        break;
      }
      case 6: {
        // Globals carry init expressions we cannot skip without decoding instructions;
        // record the types of the ones we can read with simple constant initializers.
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) {
          CoreExternType t;
          t.kind = CoreExternKind::kGlobal;
          t.value = detail::ReadCoreValType(s);
          t.mut = s.U8() == 1;
          globals.push_back(t);
          // Skip a constant expression: opcodes with at most one immediate.
          for (;;) {
            uint8_t op = s.U8();
            if (s.failed() || op == 0x0b) break;
            switch (op) {
              case 0x41:
                s.Sleb(32);
                break;
              case 0x42:
                s.Sleb(64);
                break;
              case 0x43:
                s.Bytes(4);
                break;
              case 0x44:
                s.Bytes(8);
                break;
              case 0x23:
                s.U32();
                break;  // global.get
              case 0xd2:
                s.U32();
                break;  // ref.func
              case 0xd0:
                s.Sleb(33);
                break;  // ref.null
              case 0xfd:
                s.U32();
                s.Bytes(16);
                break;  // v128.const
              case 0xfb: {
                uint32_t sub = s.U32();
                if (sub <= 1 || sub == 6 || sub == 7) s.U32();
                if (sub == 8) {
                  s.U32();
                  s.U32();
                }
                if (sub == 6 || sub == 7) {
                }
                break;
              }
              default:
                break;  // i32.add etc.: no immediates
            }
          }
        }
        break;
      }
      case 7: {
        uint32_t n = s.Count();
        for (uint32_t i = 0; i < n && !s.failed(); ++i) {
          std::string name = s.Name();
          uint8_t k = s.U8();
          uint32_t idx = s.U32();
          exports.emplace_back(std::move(name), std::make_pair(k, idx));
        }
        break;
      }
      default:
        break;  // start, element, datacount, code, data: the core engine's business
    }
    if (s.failed()) return s.error();
  }
  if (r.failed()) return r.error();
  for (auto& m : memories) {
    if (!m.limits.is64 && !m.limits.page_size_log2 &&
        (m.limits.min > 65536 || (m.limits.max && *m.limits.max > 65536)))
      return Invalid("memory size must be at most 65536 pages (4GiB)", base_offset);
    if (m.limits.max && *m.limits.max < m.limits.min)
      return Invalid("size minimum must not be greater than maximum", base_offset);
  }
  for (auto& [name, ki] : exports) {
    CoreExportDecl d;
    d.name = name;
    uint32_t idx = ki.second;
    switch (ki.first) {
      case 0x00:
        d.type.kind = CoreExternKind::kFunc;
        if (idx >= func_types.size())
          return Invalid(
              "unknown function " + std::to_string(idx) + ": exported function index out of bounds",
              base_offset);
        {
          uint32_t ti = func_types[idx];
          if (ti >= types.size() || !types[ti])
            return Invalid("unknown type " + std::to_string(ti) + ": type index out of bounds",
                           base_offset);
          d.type.func = *types[ti];
        }
        break;
      case 0x01:
        if (idx >= tables.size())
          return Invalid("unknown table: exported table index out of bounds", base_offset);
        d.type = tables[idx];
        break;
      case 0x02:
        if (idx >= memories.size())
          return Invalid("unknown memory: exported memory index out of bounds", base_offset);
        d.type = memories[idx];
        break;
      case 0x03:
        if (idx >= globals.size())
          return Invalid("unknown global: exported global index out of bounds", base_offset);
        d.type = globals[idx];
        break;
      case 0x04:
        if (idx >= tags.size())
          return Invalid("unknown tag: exported tag index out of bounds", base_offset);
        d.type = tags[idx];
        break;
      default:
        return Malformed("invalid leading byte for export kind", base_offset);
    }
    mt.exports.push_back(std::move(d));
  }
  return mt;
}

namespace detail {

// Memory and table limits (also used by the component decoder).
CoreLimits ReadCoreLimits(Reader& r) {
  CoreLimits l;
  size_t at = r.offset();
  uint8_t flags = r.U8();
  if (r.failed()) return l;
  if (flags > 0x0f) {
    r.BadByte(at, flags, "limits");
    return l;
  }
  l.shared = flags & 0x02;
  l.is64 = flags & 0x04;
  l.min = l.is64 ? r.U64() : r.U32();
  if (flags & 0x01) l.max = l.is64 ? r.U64() : r.U32();
  if (flags & 0x08) l.page_size_log2 = r.U32();
  return l;
}

// A core value type (also used by the component decoder for core types it declares).
CoreValType ReadCoreValType(Reader& r) {
  CoreValType t;
  size_t at = r.offset();
  uint8_t b = r.U8();
  if (r.failed()) return t;
  t.code = b;
  switch (b) {
    case 0x7f:
    case 0x7e:
    case 0x7d:
    case 0x7c:
    case 0x7b:
      t.nullable = false;
      return t;
    case 0x70:
    case 0x6f:
    case 0x6e:
    case 0x6d:
    case 0x6c:
    case 0x6b:
    case 0x6a:
    case 0x69:
    case 0x74:
    case 0x73:
    case 0x72:
    case 0x71:
      return t;
    case 0x63:
    case 0x64:
      t.nullable = b == 0x63;
      t.heap = r.Sleb(33);
      return t;
    default:
      r.BadByte(at, b, "value type");
      return t;
  }
}

}  // namespace detail

}  // namespace lokust::component
