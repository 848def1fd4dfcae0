// Component binary decoder (Binary.md). See decoder.h.
#include "engine/component/decoder.h"

#include <cstring>
#include <string>

#include "engine/component/reader.h"

namespace lokust::component {
namespace {

using detail::Reader;

constexpr int kMaxNesting = 100;

const char* SectionName(uint8_t id) {
  static const char* const kNames[] = {
      "custom", "core module", "core instance", "core type", "component", "instance", "alias",
      "type",   "canon",       "start",         "import",    "export",    "value"};
  return id < 13 ? kNames[id] : "unknown";
}

bool IsPrimValByte(uint8_t b) { return (b >= 0x73 && b <= 0x7f) || b == 0x64; }

class Decoder {
 public:
  explicit Decoder(int depth) : depth_(depth) {}

  // ---- shared pieces ----

  static bool ReadCoreSort(Reader& r, CoreSort* out, const char* what) {
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return false;
    switch (b) {
      case 0x00:
      case 0x01:
      case 0x02:
      case 0x03:
      case 0x04:
      case 0x10:
      case 0x11:
      case 0x12:
        *out = static_cast<CoreSort>(b);
        return true;
      default:
        r.BadByte(at, b, what);
        return false;
    }
  }

  static bool ReadSort(Reader& r, Sort* out) {
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return false;
    if (b == 0x00) {
      out->kind = SortKind::kCore;
      return ReadCoreSort(r, &out->core, "core external kind");
    }
    if (b >= 0x01 && b <= 0x05) {
      out->kind = static_cast<SortKind>(b);
      return true;
    }
    r.BadByte(at, b, "component external kind");
    return false;
  }

  static ValTypeRef ReadValType(Reader& r) {
    ValTypeRef v;
    uint8_t b = r.Peek();
    if (r.failed()) return v;
    if (r.eof()) {
      r.U8();  // reports end-of-file
      return v;
    }
    if (IsPrimValByte(b)) {
      r.U8();
      v.prim = b;
      return v;
    }
    size_t at = r.offset();
    int64_t i = r.Sleb(33);
    if (r.failed()) return v;
    if (i < 0) {
      r.BadByte(at, b, "component value type");
      return v;
    }
    v.is_index = true;
    v.index = static_cast<uint32_t>(i);
    return v;
  }

  static std::optional<ValTypeRef> ReadOptValType(Reader& r) {
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return std::nullopt;
    if (b == 0x00) return std::nullopt;
    if (b == 0x01) return ReadValType(r);
    r.BadByte(at, b, "optional component value type");
    return std::nullopt;
  }

  static ExternName ReadExternName(Reader& r) {
    ExternName n;
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return n;
    if (b == 0x00 || b == 0x01) {
      n.name = r.Name();
      return n;
    }
    if (b != 0x02) {
      r.BadByte(at, b, "component name");
      return n;
    }
    n.name = r.Name();
    uint32_t count = r.Count();
    for (uint32_t i = 0; i < count && !r.failed(); ++i) {
      size_t aat = r.offset();
      uint8_t k = r.U8();
      if (r.failed()) break;
      if (k == 0x00) {
        std::string v = r.Name();
        if (n.implements) {
          r.FailInvalid("duplicate 'implements' option in name");
          break;
        }
        n.implements = v;
      } else if (k == 0x02) {
        std::string v = r.Name();
        if (n.external_id) {
          r.FailInvalid("duplicate 'external-id' option in name");
          break;
        }
        n.external_id = v;
      } else {
        r.BadByte(aat, k, "name option");
      }
    }
    return n;
  }

  static ExternDescAst ReadExternDesc(Reader& r) {
    ExternDescAst d;
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return d;
    switch (b) {
      case 0x00: {
        size_t at2 = r.offset();
        uint8_t b2 = r.U8();
        if (r.failed()) return d;
        if (b2 != 0x11) {
          r.BadByte(at2, b2, "component external kind");
          return d;
        }
        d.kind = ExternKind::kModule;
        d.index = r.U32();
        return d;
      }
      case 0x01:
        d.kind = ExternKind::kFunc;
        d.index = r.U32();
        return d;
      case 0x02: {
        d.kind = ExternKind::kValue;
        size_t at2 = r.offset();
        uint8_t k = r.U8();
        if (k == 0x00) {
          d.value_eq = true;
          d.index = r.U32();
        } else if (k == 0x01) {
          d.value_type = ReadValType(r);
        } else if (!r.failed()) {
          r.BadByte(at2, k, "value bound");
        }
        return d;
      }
      case 0x03: {
        d.kind = ExternKind::kType;
        size_t at2 = r.offset();
        uint8_t k = r.U8();
        if (k == 0x00) {
          d.index = r.U32();
        } else if (k == 0x01) {
          d.sub_resource = true;
        } else if (!r.failed()) {
          r.BadByte(at2, k, "type bound");
        }
        return d;
      }
      case 0x04:
        d.kind = ExternKind::kComponent;
        d.index = r.U32();
        return d;
      case 0x05:
        d.kind = ExternKind::kInstance;
        d.index = r.U32();
        return d;
      default:
        r.BadByte(at, b, "component external kind");
        return d;
    }
  }

  static AliasAst ReadAlias(Reader& r) {
    AliasAst a;
    size_t sort_at = r.offset();
    uint8_t s0 = r.U8();
    uint8_t s1 = 0;
    size_t s1_at = r.offset();
    if (s0 == 0x00) s1 = r.U8();
    size_t t_at = r.offset();
    uint8_t t = r.U8();
    if (r.failed()) return a;
    if (t == 0x02) {
      a.target = AliasAst::Target::kOuter;
      if (s0 == 0x00) {
        if (s1 != 0x10 && s1 != 0x11) {
          r.BadByte(s1_at, s1, "component outer alias kind");
          return a;
        }
        a.sort = Sort{SortKind::kCore, static_cast<CoreSort>(s1)};
      } else if (s0 == 0x03 || s0 == 0x04) {
        a.sort = Sort{static_cast<SortKind>(s0), CoreSort::kFunc};
      } else {
        r.BadByte(sort_at, s0, "component outer alias kind");
        return a;
      }
      a.count = r.U32();
      a.index = r.U32();
      return a;
    }
    if (t != 0x00 && t != 0x01) {
      r.BadByte(t_at, t, "alias");
      return a;
    }
    // Validate the sort bytes read above.
    if (s0 == 0x00) {
      switch (s1) {
        case 0x00:
        case 0x01:
        case 0x02:
        case 0x03:
        case 0x04:
        case 0x10:
        case 0x11:
        case 0x12:
          a.sort = Sort{SortKind::kCore, static_cast<CoreSort>(s1)};
          break;
        default:
          r.BadByte(s1_at, s1, "core external kind");
          return a;
      }
    } else if (s0 >= 0x01 && s0 <= 0x05) {
      a.sort = Sort{static_cast<SortKind>(s0), CoreSort::kFunc};
    } else {
      r.BadByte(sort_at, s0, "component external kind");
      return a;
    }
    if (t == 0x01) {
      a.target = AliasAst::Target::kCoreExport;
      if (a.sort.kind != SortKind::kCore) {
        r.FailAt(sort_at, "core export alias must name a core sort");
        return a;
      }
    } else {
      a.target = AliasAst::Target::kExport;
    }
    a.instance = r.U32();
    a.name = r.Name();
    return a;
  }

  // ---- core types ----

  static CoreValType ReadCoreValType(Reader& r) { return detail::ReadCoreValType(r); }

  static CoreLimits ReadLimits(Reader& r) { return detail::ReadCoreLimits(r); }

  static CoreImportDescAst ReadCoreImportDesc(Reader& r) {
    CoreImportDescAst d;
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return d;
    switch (b) {
      case 0x00:
        d.kind = CoreExternKind::kFunc;
        d.type_index = r.U32();
        break;
      case 0x01:
        d.kind = CoreExternKind::kTable;
        d.type.kind = CoreExternKind::kTable;
        d.type.value = ReadCoreValType(r);
        d.type.limits = ReadLimits(r);
        break;
      case 0x02:
        d.kind = CoreExternKind::kMemory;
        d.type.kind = CoreExternKind::kMemory;
        d.type.limits = ReadLimits(r);
        break;
      case 0x03: {
        d.kind = CoreExternKind::kGlobal;
        d.type.kind = CoreExternKind::kGlobal;
        d.type.value = ReadCoreValType(r);
        size_t mat = r.offset();
        uint8_t m = r.U8();
        if (m > 1 && !r.failed()) r.BadByte(mat, m, "global mutability");
        d.type.mut = m == 1;
        break;
      }
      case 0x04: {
        d.kind = CoreExternKind::kTag;
        size_t aat = r.offset();
        uint8_t attr = r.U8();
        if (attr != 0 && !r.failed()) r.BadByte(aat, attr, "tag attribute");
        d.type_index = r.U32();
        break;
      }
      default:
        r.BadByte(at, b, "external kind");
    }
    return d;
  }

  // Skips a GC composite type (struct/array/func) after its opcode byte.
  static void SkipCompositeType(Reader& r, uint8_t op) {
    auto field = [&r]() {
      size_t at = r.offset();
      uint8_t b = r.Peek();
      if (b == 0x78 || b == 0x77) {
        r.U8();  // packed i8 / i16
      } else {
        ReadCoreValType(r);
      }
      uint8_t m = r.U8();
      if (m > 1 && !r.failed()) r.BadByte(at, m, "field mutability");
    };
    if (op == 0x60) {
      uint32_t n = r.Count();
      for (uint32_t i = 0; i < n && !r.failed(); ++i) ReadCoreValType(r);
      n = r.Count();
      for (uint32_t i = 0; i < n && !r.failed(); ++i) ReadCoreValType(r);
    } else if (op == 0x5f) {
      uint32_t n = r.Count();
      for (uint32_t i = 0; i < n && !r.failed(); ++i) field();
    } else if (op == 0x5e) {
      field();
    } else {
      r.BadByte(r.offset() - 1, op, "type");
    }
  }

  std::shared_ptr<CoreTypeAst> ReadCoreType(Reader& r, bool in_module_type) {
    auto t = std::make_shared<CoreTypeAst>();
    t->offset = r.offset();
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return t;
    switch (b) {
      case 0x60: {
        t->kind = CoreTypeAst::Kind::kFunc;
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i)
          t->func.params.push_back(ReadCoreValType(r));
        n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i)
          t->func.results.push_back(ReadCoreValType(r));
        return t;
      }
      case 0x50: {
        if (in_module_type) {
          r.BadByte(at, b, "type definition (nested module types are not allowed)");
          return t;
        }
        t->kind = CoreTypeAst::Kind::kModule;
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) {
          CoreModuleDeclAst d;
          size_t dat = r.offset();
          uint8_t k = r.U8();
          if (r.failed()) break;
          switch (k) {
            case 0x00:
              d.kind = CoreModuleDeclAst::Kind::kImport;
              d.module = r.Name();
              d.name = r.Name();
              d.desc = ReadCoreImportDesc(r);
              break;
            case 0x01:
              d.kind = CoreModuleDeclAst::Kind::kType;
              d.type = ReadCoreType(r, true);
              break;
            case 0x02: {
              d.kind = CoreModuleDeclAst::Kind::kAlias;
              size_t sat = r.offset();
              uint8_t s = r.U8();
              if (s != 0x10 && !r.failed()) {
                r.BadByte(sat, s, "outer alias kind");
                break;
              }
              size_t tat = r.offset();
              uint8_t tg = r.U8();
              if (tg != 0x01 && !r.failed()) {
                r.BadByte(tat, tg, "outer alias target");
                break;
              }
              d.outer_count = r.U32();
              d.outer_index = r.U32();
              break;
            }
            case 0x03:
              d.kind = CoreModuleDeclAst::Kind::kExport;
              d.name = r.Name();
              d.desc = ReadCoreImportDesc(r);
              break;
            default:
              r.BadByte(dat, k, "type definition");
          }
          t->decls.push_back(std::move(d));
        }
        return t;
      }
      case 0x00: {
        // 0x00-prefixed non-final subtype: 0x00 0x50 vec(super) comptype.
        size_t at2 = r.offset();
        uint8_t b2 = r.U8();
        if (b2 != 0x50 && !r.failed()) {
          r.BadByte(at2, b2, "type definition");
          return t;
        }
        t->kind = CoreTypeAst::Kind::kOther;
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) r.U32();
        uint8_t op = r.U8();
        if (op == 0x60) {
          // Keep function types usable.
          t->kind = CoreTypeAst::Kind::kFunc;
          uint32_t np = r.Count();
          for (uint32_t i = 0; i < np && !r.failed(); ++i)
            t->func.params.push_back(ReadCoreValType(r));
          np = r.Count();
          for (uint32_t i = 0; i < np && !r.failed(); ++i)
            t->func.results.push_back(ReadCoreValType(r));
        } else {
          SkipCompositeType(r, op);
        }
        return t;
      }
      case 0x4f: {
        t->kind = CoreTypeAst::Kind::kOther;
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) r.U32();
        SkipCompositeType(r, r.U8());
        return t;
      }
      case 0x5f:
      case 0x5e:
        t->kind = CoreTypeAst::Kind::kOther;
        SkipCompositeType(r, b);
        return t;
      default:
        r.BadByte(at, b, in_module_type ? "type definition" : "core type");
        return t;
    }
  }

  // ---- component types ----

  static DefValTypeAst ReadDefValType(Reader& r, uint8_t b, size_t at) {
    DefValTypeAst d;
    d.opcode = b;
    if (IsPrimValByte(b)) return d;
    switch (b) {
      case 0x72: {
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) {
          std::string l = r.Name();
          d.items.emplace_back(std::move(l), ReadValType(r));
        }
        break;
      }
      case 0x71: {
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) {
          std::string l = r.Name();
          auto t = ReadOptValType(r);
          size_t zat = r.offset();
          uint8_t z = r.U8();
          if (z != 0 && !r.failed()) r.BadByte(zat, z, "zero byte required");
          d.items.emplace_back(std::move(l), t);
        }
        break;
      }
      case 0x70:
      case 0x6b:
        d.a = ReadValType(r);
        break;
      case 0x67:
        d.a = ReadValType(r);
        d.length = r.U32();
        break;
      case 0x6f: {
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) d.types.push_back(ReadValType(r));
        break;
      }
      case 0x6e:
      case 0x6d: {
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) d.labels.push_back(r.Name());
        break;
      }
      case 0x6a:
        d.a = ReadOptValType(r);
        d.b = ReadOptValType(r);
        break;
      case 0x69:
      case 0x68:
        d.index = r.U32();
        break;
      case 0x66:
      case 0x65:
        d.a = ReadOptValType(r);
        break;
      case 0x63:
        d.a = ReadValType(r);
        d.b = ReadValType(r);
        break;
      default:
        r.BadByte(at, b, "component defined type");
    }
    return d;
  }

  static FuncTypeAst ReadFuncType(Reader& r, bool async) {
    FuncTypeAst f;
    f.async = async;
    uint32_t n = r.Count();
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
      std::string l = r.Name();
      f.params.emplace_back(std::move(l), ReadValType(r));
    }
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return f;
    if (b == 0x00) {
      f.result = ReadValType(r);
    } else if (b == 0x01) {
      size_t zat = r.offset();
      uint8_t z = r.U8();
      if (z != 0x00 && !r.failed()) r.BadByte(zat, z, "number of results");
    } else {
      r.BadByte(at, b, "component function results");
    }
    return f;
  }

  DeclAst ReadDecl(Reader& r, bool component_decl) {
    DeclAst d;
    d.offset = r.offset();
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) return d;
    switch (b) {
      case 0x00:
        d.kind = DeclAst::Kind::kCoreType;
        d.core_type = ReadCoreType(r, false);
        break;
      case 0x01:
        d.kind = DeclAst::Kind::kType;
        d.type = ReadType(r);
        break;
      case 0x02:
        d.kind = DeclAst::Kind::kAlias;
        d.alias = ReadAlias(r);
        break;
      case 0x03:
        if (!component_decl) {
          r.BadByte(at, b, "component or instance type declaration");
          break;
        }
        d.kind = DeclAst::Kind::kImport;
        d.name = ReadExternName(r);
        d.desc = ReadExternDesc(r);
        break;
      case 0x04:
        d.kind = DeclAst::Kind::kExport;
        d.name = ReadExternName(r);
        d.desc = ReadExternDesc(r);
        break;
      default:
        r.BadByte(at, b, "component or instance type declaration");
    }
    return d;
  }

  std::shared_ptr<TypeDefAst> ReadType(Reader& r) {
    auto t = std::make_shared<TypeDefAst>();
    t->offset = r.offset();
    if (++nesting_ > kMaxNesting) {
      r.Fail("type nesting too deep");
      return t;
    }
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (r.failed()) {
      --nesting_;
      return t;
    }
    switch (b) {
      case 0x40:
      case 0x43:
        t->kind = TypeDefAst::Kind::kFunc;
        t->func = ReadFuncType(r, b == 0x43);
        break;
      case 0x41:
      case 0x42: {
        t->kind = b == 0x41 ? TypeDefAst::Kind::kComponent : TypeDefAst::Kind::kInstance;
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) t->decls.push_back(ReadDecl(r, b == 0x41));
        break;
      }
      case 0x3f: {
        t->kind = TypeDefAst::Kind::kResource;
        size_t rat = r.offset();
        uint8_t rep = r.U8();
        if (rep != 0x7f && !r.failed()) {
          r.BadByte(rat, rep, "resource representation");
          break;
        }
        size_t oat = r.offset();
        uint8_t has = r.U8();
        if (has == 0x01) {
          t->resource.dtor = r.U32();
        } else if (has != 0x00 && !r.failed()) {
          r.BadByte(oat, has, "optional resource destructor");
        }
        break;
      }
      default:
        t->kind = TypeDefAst::Kind::kDefined;
        t->defined = ReadDefValType(r, b, at);
    }
    --nesting_;
    return t;
  }

  // ---- canon ----

  static std::vector<CanonOptAst> ReadCanonOpts(Reader& r) {
    std::vector<CanonOptAst> opts;
    uint32_t n = r.Count();
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
      CanonOptAst o;
      size_t at = r.offset();
      o.code = r.U8();
      if (r.failed()) break;
      switch (o.code) {
        case 0x00:
        case 0x01:
        case 0x02:
        case 0x06:
        case 0x09:
          break;
        case 0x03:
        case 0x04:
        case 0x05:
        case 0x07:
        case 0x08:
          o.index = r.U32();
          break;
        default:
          r.BadByte(at, o.code, "canonical option");
      }
      opts.push_back(o);
    }
    return opts;
  }

  static CanonDef ReadCanon(Reader& r) {
    CanonDef c;
    size_t at = r.offset();
    c.op = r.U8();
    if (r.failed()) return c;
    switch (c.op) {
      case 0x00: {
        size_t sat = r.offset();
        uint8_t s = r.U8();
        if (s != 0x00 && !r.failed()) {
          r.BadByte(sat, s, "canonical function lift");
          return c;
        }
        c.func = r.U32();
        c.opts = ReadCanonOpts(r);
        c.type = r.U32();
        return c;
      }
      case 0x01: {
        size_t sat = r.offset();
        uint8_t s = r.U8();
        if (s != 0x00 && !r.failed()) {
          r.BadByte(sat, s, "canonical function lower");
          return c;
        }
        c.func = r.U32();
        c.opts = ReadCanonOpts(r);
        return c;
      }
      case 0x02:  // resource.new
      case 0x03:  // resource.drop
      case 0x04:  // resource.rep
      case 0x0e:  // stream.new
      case 0x13:  // stream.drop-readable
      case 0x14:  // stream.drop-writable
      case 0x15:  // future.new
      case 0x1a:  // future.drop-readable
      case 0x1b:  // future.drop-writable
      case 0x40:  // thread.spawn-ref
        c.type = r.U32();
        return c;
      case 0x05:  // task.cancel
      case 0x08:  // backpressure.set
      case 0x0d:  // subtask.drop
      case 0x1e:  // error-context.drop
      case 0x1f:  // waitable-set.new
      case 0x22:  // waitable-set.drop
      case 0x23:  // waitable.join
      case 0x24:  // backpressure.inc
      case 0x25:  // backpressure.dec
      case 0x26:  // thread.index
      case 0x28:  // thread.resume-later
      case 0x42:  // thread.available-parallelism
        return c;
      case 0x06:  // subtask.cancel async?
      case 0x0c:  // thread.yield cancellable?
      case 0x29:  // thread.suspend cancellable?
      case 0x2a:
      case 0x2b:
      case 0x2c:
      case 0x2d:
        c.flag = r.Bool("canonical function");
        if (r.failed()) r.FailAt(r.offset() - 1, "invalid boolean value");
        return c;
      case 0x09: {  // task.return
        size_t rat = r.offset();
        uint8_t b = r.U8();
        if (b == 0x00) {
          c.result = ReadValType(r);
        } else if (b == 0x01) {
          size_t zat = r.offset();
          uint8_t z = r.U8();
          if (z != 0 && !r.failed()) r.BadByte(zat, z, "number of results");
        } else if (!r.failed()) {
          r.BadByte(rat, b, "component function results");
        }
        c.opts = ReadCanonOpts(r);
        return c;
      }
      case 0x0a:    // context.get
      case 0x0b: {  // context.set
        size_t tat = r.offset();
        uint8_t t = r.U8();
        if (t != 0x7f && !r.failed()) r.BadByte(tat, t, "context type");
        c.extra = r.U32();
        return c;
      }
      case 0x0f:  // stream.read
      case 0x10:  // stream.write
      case 0x16:  // future.read
      case 0x17:  // future.write
        c.type = r.U32();
        c.opts = ReadCanonOpts(r);
        return c;
      case 0x11:
      case 0x12:
      case 0x18:
      case 0x19:
        c.type = r.U32();
        c.flag = r.Bool("canonical function");
        if (r.failed()) r.FailAt(r.offset() - 1, "invalid boolean value");
        return c;
      case 0x1c:  // error-context.new
      case 0x1d:  // error-context.debug-message
        c.opts = ReadCanonOpts(r);
        return c;
      case 0x20:    // waitable-set.wait
      case 0x21: {  // waitable-set.poll
        size_t bat = r.offset();
        uint8_t f = r.U8();
        if (f > 1 && !r.failed()) {
          r.FailAt(bat, "invalid boolean value");
          return c;
        }
        c.flag = f == 1;
        c.extra = r.U32();
        return c;
      }
      case 0x27:  // thread.new-indirect
      case 0x41:  // thread.spawn-indirect
        c.type = r.U32();
        c.extra = r.U32();
        return c;
      default:
        r.BadByte(at, c.op, "canonical function");
        return c;
    }
  }

  // ---- sections ----

  static CoreInstanceDef ReadCoreInstance(Reader& r) {
    CoreInstanceDef ci;
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (b == 0x00) {
      ci.instantiate = true;
      ci.module = r.U32();
      uint32_t na = r.Count();
      for (uint32_t j = 0; j < na && !r.failed(); ++j) {
        std::string name = r.Name();
        size_t kat = r.offset();
        uint8_t k = r.U8();
        if (k != 0x12 && !r.failed()) {
          r.BadByte(kat, k, "instantiation arg kind");
          break;
        }
        ci.args.emplace_back(std::move(name), r.U32());
      }
    } else if (b == 0x01) {
      ci.instantiate = false;
      uint32_t ne = r.Count();
      for (uint32_t j = 0; j < ne && !r.failed(); ++j) {
        std::string name = r.Name();
        CoreSort s;
        if (!ReadCoreSort(r, &s, "core external kind")) break;
        ci.exports.emplace_back(std::move(name), std::make_pair(s, r.U32()));
      }
    } else if (!r.failed()) {
      r.BadByte(at, b, "core instance");
    }
    return ci;
  }

  static InstanceDef ReadInstance(Reader& r) {
    InstanceDef inst;
    size_t at = r.offset();
    uint8_t b = r.U8();
    if (b == 0x00) {
      inst.instantiate = true;
      inst.component = r.U32();
      uint32_t na = r.Count();
      for (uint32_t j = 0; j < na && !r.failed(); ++j) {
        std::string name = r.Name();
        SortIdx si;
        if (!ReadSort(r, &si.sort)) break;
        si.idx = r.U32();
        inst.args.emplace_back(std::move(name), si);
      }
    } else if (b == 0x01) {
      inst.instantiate = false;
      uint32_t ne = r.Count();
      for (uint32_t j = 0; j < ne && !r.failed(); ++j) {
        ExternName name = ReadExternName(r);
        SortIdx si;
        if (!ReadSort(r, &si.sort)) break;
        si.idx = r.U32();
        inst.exports.emplace_back(std::move(name), si);
      }
    } else if (!r.failed()) {
      r.BadByte(at, b, "instance");
    }
    return inst;
  }

  static ImportDef ReadImport(Reader& r) {
    ImportDef im;
    im.name = ReadExternName(r);
    im.desc = ReadExternDesc(r);
    return im;
  }

  // A failed read leaves r failed: the section loop stops and the decode returns the error.
  static ExportDef ReadExport(Reader& r) {
    ExportDef ex;
    ex.name = ReadExternName(r);
    if (!ReadSort(r, &ex.item.sort)) return ex;
    ex.item.idx = r.U32();
    size_t at = r.offset();
    uint8_t has = r.U8();
    if (has == 0x01) {
      ex.desc = ReadExternDesc(r);
    } else if (has != 0x00 && !r.failed()) {
      r.BadByte(at, has, "optional component export type");
    }
    return ex;
  }

  static ValueDef ReadValue(Reader& r) {
    ValueDef v;
    v.type = ReadValType(r);
    uint32_t len = r.U32();
    v.bytes = r.Bytes(len);
    return v;
  }

  // A section that is a vector of definitions, each read by read_one and recorded with its
  // offset.
  template <class ReadOne>
  static void ReadDefinitions(Reader& r, ComponentAst& out, ReadOne read_one) {
    uint32_t n = r.Count();
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
      Definition def;
      def.offset = r.offset();
      def.def = read_one(r);
      out.definitions.push_back(std::move(def));
    }
  }

  void ReadSection(Reader& r, uint8_t id, ComponentAst& out) {
    switch (id) {
      case 2:  // core instances
        return ReadDefinitions(r, out, ReadCoreInstance);
      case 3:  // core types
        return ReadDefinitions(r, out, [this](Reader& in) { return ReadCoreType(in, false); });
      case 5:  // instances
        return ReadDefinitions(r, out, ReadInstance);
      case 6:  // aliases
        return ReadDefinitions(r, out, ReadAlias);
      case 7:  // types
        return ReadDefinitions(r, out, [this](Reader& in) { return ReadType(in); });
      case 8:  // canons
        return ReadDefinitions(r, out, ReadCanon);
      case 9: {  // start: a single definition, not a vector
        Definition def;
        def.offset = r.offset();
        StartDef s;
        s.func = r.U32();
        uint32_t n = r.Count();
        for (uint32_t i = 0; i < n && !r.failed(); ++i) s.args.push_back(r.U32());
        s.results = r.U32();
        def.def = std::move(s);
        out.definitions.push_back(std::move(def));
        return;
      }
      case 10:  // imports
        return ReadDefinitions(r, out, ReadImport);
      case 11:  // exports
        return ReadDefinitions(r, out, ReadExport);
      case 12:  // values
        return ReadDefinitions(r, out, ReadValue);
      default:
        r.Fail("malformed section id: " + std::to_string(id));
    }
  }

  // Reads a component (preamble + sections) occupying all of r.
  void ReadComponent(Reader& r, ComponentAst& out, bool nested) {
    out.offset = r.offset();
    auto magic = r.Bytes(4);
    if (r.failed()) return;
    if (std::memcmp(magic.data(), "\0asm", 4) != 0) {
      r.FailAt(out.offset, "magic header not detected: bad magic number");
      return;
    }
    size_t vat = r.offset();
    uint8_t v0 = r.U8(), v1 = r.U8(), l0 = r.U8(), l1 = r.U8();
    if (r.failed()) return;
    if (l1 != 0 || (l0 != 0 && l0 != 1)) {
      r.FailAt(vat, "unknown binary version and encoding combination: " +
                        Reader::Hex(v0 | v1 << 8) + " and " + Reader::Hex(l0 | l1 << 8));
      return;
    }
    if (l0 == 0) {
      r.FailAt(vat, nested ? "expected a version header for a component"
                           : "expected a component, found a core module (unknown binary "
                             "version for a component)");
      return;
    }
    if (v0 != kComponentVersion || v1 != 0) {
      r.FailAt(vat, "unknown binary version: " + Reader::Hex(v0 | v1 << 8));
      return;
    }
    while (!r.eof() && !r.failed()) {
      size_t sec_at = r.offset();
      uint8_t id = r.U8();
      if (r.failed()) return;
      if (id > 12) {
        r.FailAt(sec_at, "malformed section id: " + std::to_string(id));
        return;
      }
      uint32_t size = r.U32();
      size_t body_at = r.offset();
      auto body = r.Bytes(size);
      if (r.failed()) return;
      Reader sr(body, body_at);
      if (id == 0) {
        std::string name = sr.Name();
        if (sr.failed()) {
          r.FailAt(sr.error().offset, sr.error().message);
          return;
        }
        out.custom_sections.push_back(CustomSection{name, body.subspan(sr.pos())});
        continue;
      }
      if (id == 1) {
        // Core module: check the preamble here; the body is the core engine's.
        Reader mr(body, body_at);
        auto mm = mr.Bytes(4);
        uint8_t a = mr.U8(), b = mr.U8(), c = mr.U8(), d = mr.U8();
        if (mr.failed()) {
          r.FailAt(mr.error().offset, mr.error().message + " (core module section)");
          return;
        }
        if (std::memcmp(mm.data(), "\0asm", 4) != 0) {
          r.FailAt(body_at, "magic header not detected: bad magic number (core module section)");
          return;
        }
        if (c != 0 || d != 0) {
          r.FailAt(body_at + 4, "expected a version header for a module");
          return;
        }
        if (a != 1 || b != 0) {
          r.FailAt(body_at + 4, "unknown binary version: " + Reader::Hex(a | b << 8));
          return;
        }
        Definition def;
        def.offset = body_at;
        def.def = CoreModuleDef{body, body_at};
        out.definitions.push_back(std::move(def));
        continue;
      }
      if (id == 4) {
        if (depth_ + 1 > kMaxNesting) {
          r.FailAt(body_at, "components nested too deeply");
          return;
        }
        auto nested_ast = std::make_shared<ComponentAst>();
        Decoder inner(depth_ + 1);
        Reader cr(body, body_at);
        inner.ReadComponent(cr, *nested_ast, true);
        if (cr.failed()) {
          error_override_ = inner.error_override_ ? *inner.error_override_ : cr.error();
          r.FailAt(cr.error().offset, cr.error().message);
          return;
        }
        Definition def;
        def.offset = body_at;
        def.def = ComponentDef{nested_ast};
        out.definitions.push_back(std::move(def));
        continue;
      }
      ReadSection(sr, id, out);
      if (sr.failed()) {
        error_override_ = sr.error();
        error_override_->message += std::string(" (in the ") + SectionName(id) + " section)";
        r.FailAt(sr.error().offset, sr.error().message);
        return;
      }
      if (!sr.eof()) {
        r.FailAt(sr.offset(), "section size mismatch: unexpected data at the end of the section");
        return;
      }
    }
  }

  std::optional<Error> error_override_;

 private:
  int depth_ = 0;
  int nesting_ = 0;
};

}  // namespace

bool IsComponentBinary(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), "\0asm", 4) == 0 && bytes[6] == 1 &&
         bytes[7] == 0;
}

Result<std::shared_ptr<ComponentAst>> DecodeComponent(std::span<const uint8_t> bytes) {
  auto ast = std::make_shared<ComponentAst>();
  Decoder d(0);
  Reader r(bytes, 0);
  d.ReadComponent(r, *ast, false);
  if (r.failed()) {
    if (d.error_override_) return *d.error_override_;
    return r.error();
  }
  return ast;
}

}  // namespace lokust::component
