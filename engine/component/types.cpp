// Type model helpers: constructors, structural equality and WIT-like spelling.
#include "engine/component/types.h"

#include <atomic>
#include <cstdio>

#include "engine/component/ast.h"
#include "engine/component/result.h"

namespace lokust::component {

std::string CoreValTypeName(const CoreValType& t) {
  switch (t.code) {
    case 0x7f:
      return "i32";
    case 0x7e:
      return "i64";
    case 0x7d:
      return "f32";
    case 0x7c:
      return "f64";
    case 0x7b:
      return "v128";
    case 0x70:
      return "funcref";
    case 0x6f:
      return "externref";
    case 0x6e:
      return "anyref";
    case 0x6d:
      return "eqref";
    case 0x6c:
      return "i31ref";
    case 0x6b:
      return "structref";
    case 0x6a:
      return "arrayref";
    case 0x69:
      return "exnref";
    case 0x63:
      return "(ref null " + std::to_string(t.heap) + ")";
    case 0x64:
      return "(ref " + std::to_string(t.heap) + ")";
    default:
      return "reftype";
  }
}

std::string CoreFuncTypeToString(const CoreFuncType& t) {
  std::string s = "(func";
  if (!t.params.empty()) {
    s += " (param";
    for (auto& p : t.params) s += " " + CoreValTypeName(p);
    s += ")";
  }
  if (!t.results.empty()) {
    s += " (result";
    for (auto& p : t.results) s += " " + CoreValTypeName(p);
    s += ")";
  }
  return s + ")";
}

const char* CoreExternKindName(CoreExternKind k) {
  switch (k) {
    case CoreExternKind::kFunc:
      return "func";
    case CoreExternKind::kTable:
      return "table";
    case CoreExternKind::kMemory:
      return "memory";
    case CoreExternKind::kGlobal:
      return "global";
    case CoreExternKind::kTag:
      return "tag";
  }
  return "?";
}

namespace {

template <typename Vec, typename NameOf>
void BuildIndex(const Vec& v, std::unordered_map<std::string, uint32_t>& index, NameOf name_of) {
  index.clear();
  for (uint32_t i = 0; i < v.size(); ++i) index.emplace(name_of(v[i]), i);
}

template <typename Vec, typename NameOf>
auto Lookup(const Vec& v, const std::unordered_map<std::string, uint32_t>& index,
            const std::string& name, NameOf name_of) -> decltype(&v[0]) {
  if (!index.empty() && index.size() == v.size()) {
    auto it = index.find(name);
    return it == index.end() ? nullptr : &v[it->second];
  }
  for (auto& e : v)
    if (name_of(e) == name) return &e;
  return nullptr;
}

const std::string& CoreName(const CoreExportDecl& d) { return d.name; }
const std::string& DeclName(const ExternDecl& d) { return d.name.name; }

}  // namespace

const CoreExportDecl* ModuleType::FindExport(const std::string& name) const {
  return Lookup(exports, export_index, name, CoreName);
}
void ModuleType::Reindex() { BuildIndex(exports, export_index, CoreName); }
const CoreExportDecl* CoreInstanceType::FindExport(const std::string& name) const {
  return Lookup(exports, export_index, name, CoreName);
}
void CoreInstanceType::Reindex() { BuildIndex(exports, export_index, CoreName); }

const char* ValKindName(ValKind k) {
  switch (k) {
    case ValKind::kBool:
      return "bool";
    case ValKind::kS8:
      return "s8";
    case ValKind::kU8:
      return "u8";
    case ValKind::kS16:
      return "s16";
    case ValKind::kU16:
      return "u16";
    case ValKind::kS32:
      return "s32";
    case ValKind::kU32:
      return "u32";
    case ValKind::kS64:
      return "s64";
    case ValKind::kU64:
      return "u64";
    case ValKind::kF32:
      return "f32";
    case ValKind::kF64:
      return "f64";
    case ValKind::kChar:
      return "char";
    case ValKind::kString:
      return "string";
    case ValKind::kList:
      return "list";
    case ValKind::kRecord:
      return "record";
    case ValKind::kTuple:
      return "tuple";
    case ValKind::kVariant:
      return "variant";
    case ValKind::kEnum:
      return "enum";
    case ValKind::kOption:
      return "option";
    case ValKind::kResult:
      return "result";
    case ValKind::kFlags:
      return "flags";
    case ValKind::kOwn:
      return "own";
    case ValKind::kBorrow:
      return "borrow";
    case ValKind::kMap:
      return "map";
    case ValKind::kStream:
      return "stream";
    case ValKind::kFuture:
      return "future";
    case ValKind::kErrorContext:
      return "error-context";
  }
  return "?";
}

bool IsPrimitive(ValKind k) { return k <= ValKind::kString || k == ValKind::kErrorContext; }

ResourceTypePtr NewResourceType(std::string name, bool local) {
  static std::atomic<uint64_t> next{1};
  auto r = std::make_shared<ResourceType>();
  r->id = next++;
  r->name = std::move(name);
  r->local = local;
  return r;
}

ResourceTypePtr NewResourceAlias(const ResourceTypePtr& of, std::string name) {
  auto r = NewResourceType(std::move(name), of->local);
  r->alias_of = of->alias_of ? of->alias_of : of;
  r->dtor = of->dtor;
  return r;
}

const ResourceType* ResourceRoot(const ResourceType* r) {
  if (r && r->alias_of) return r->alias_of.get();
  return r;
}

ValTypePtr ValType::Prim(ValKind k) {
  static const std::vector<ValTypePtr> kPrims = [] {
    std::vector<ValTypePtr> v;
    for (int i = 0; i <= static_cast<int>(ValKind::kString); ++i) {
      auto t = std::make_shared<ValType>();
      t->kind = static_cast<ValKind>(i);
      v.push_back(t);
    }
    return v;
  }();
  if (k <= ValKind::kString) return kPrims[static_cast<int>(k)];
  auto t = std::make_shared<ValType>();
  t->kind = k;
  return t;
}

ValTypePtr ValType::List(ValTypePtr elem, std::optional<uint32_t> fixed_length) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kList;
  t->elem = std::move(elem);
  t->fixed_length = fixed_length;
  return t;
}
ValTypePtr ValType::Record(std::vector<Field> fields) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kRecord;
  t->fields = std::move(fields);
  return t;
}
ValTypePtr ValType::Tuple(std::vector<ValTypePtr> ts) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kTuple;
  for (auto& e : ts) t->fields.push_back(Field{"", e});
  return t;
}
ValTypePtr ValType::Variant(std::vector<Field> cases) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kVariant;
  t->fields = std::move(cases);
  return t;
}
ValTypePtr ValType::Enum(std::vector<std::string> labels) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kEnum;
  t->labels = std::move(labels);
  return t;
}
ValTypePtr ValType::Option(ValTypePtr e) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kOption;
  t->elem = std::move(e);
  return t;
}
ValTypePtr ValType::Result(ValTypePtr ok, ValTypePtr err) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kResult;
  t->ok = std::move(ok);
  t->err = std::move(err);
  return t;
}
ValTypePtr ValType::Flags(std::vector<std::string> labels) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kFlags;
  t->labels = std::move(labels);
  return t;
}
ValTypePtr ValType::Own(ResourceTypePtr rt) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kOwn;
  t->resource = std::move(rt);
  return t;
}
ValTypePtr ValType::Borrow(ResourceTypePtr rt) {
  auto t = std::make_shared<ValType>();
  t->kind = ValKind::kBorrow;
  t->resource = std::move(rt);
  return t;
}

bool ValTypeEquals(const ValTypePtr& a, const ValTypePtr& b) {
  if (a == b) return true;
  if (!a || !b) return false;
  if (a->kind != b->kind) return false;
  if (a->fields.size() != b->fields.size() || a->labels != b->labels) return false;
  for (size_t i = 0; i < a->fields.size(); ++i) {
    if (a->fields[i].label != b->fields[i].label) return false;
    if (!ValTypeEquals(a->fields[i].type, b->fields[i].type)) return false;
  }
  if (a->fixed_length != b->fixed_length) return false;
  if (!SameResource(a->resource.get(), b->resource.get())) return false;
  return ValTypeEquals(a->elem, b->elem) && ValTypeEquals(a->value, b->value) &&
         ValTypeEquals(a->ok, b->ok) && ValTypeEquals(a->err, b->err);
}

std::string ValTypeToString(const ValTypePtr& t, bool expand) {
  if (!t) return "_";
  if (!expand && !t->name.empty()) return t->name;
  switch (t->kind) {
    case ValKind::kList:
      if (t->fixed_length)
        return "list<" + ValTypeToString(t->elem) + ", " + std::to_string(*t->fixed_length) + ">";
      return "list<" + ValTypeToString(t->elem) + ">";
    case ValKind::kOption:
      return "option<" + ValTypeToString(t->elem) + ">";
    case ValKind::kResult: {
      if (!t->ok && !t->err) return "result";
      if (!t->err) return "result<" + ValTypeToString(t->ok) + ">";
      return "result<" + (t->ok ? ValTypeToString(t->ok) : std::string("_")) + ", " +
             ValTypeToString(t->err) + ">";
    }
    case ValKind::kTuple: {
      std::string s = "tuple<";
      for (size_t i = 0; i < t->fields.size(); ++i) {
        if (i) s += ", ";
        s += ValTypeToString(t->fields[i].type);
      }
      return s + ">";
    }
    case ValKind::kRecord: {
      std::string s = "record { ";
      for (size_t i = 0; i < t->fields.size(); ++i) {
        if (i) s += ", ";
        s += t->fields[i].label + ": " + ValTypeToString(t->fields[i].type);
      }
      return s + " }";
    }
    case ValKind::kVariant: {
      std::string s = "variant { ";
      for (size_t i = 0; i < t->fields.size(); ++i) {
        if (i) s += ", ";
        s += t->fields[i].label;
        if (t->fields[i].type) s += "(" + ValTypeToString(t->fields[i].type) + ")";
      }
      return s + " }";
    }
    case ValKind::kEnum:
    case ValKind::kFlags: {
      std::string s = t->kind == ValKind::kEnum ? "enum { " : "flags { ";
      for (size_t i = 0; i < t->labels.size(); ++i) {
        if (i) s += ", ";
        s += t->labels[i];
      }
      return s + " }";
    }
    case ValKind::kOwn:
    case ValKind::kBorrow: {
      std::string name = t->resource && !t->resource->name.empty()
                             ? t->resource->name
                             : "resource" + std::to_string(t->resource ? t->resource->id : 0);
      return t->kind == ValKind::kOwn ? name : "borrow<" + name + ">";
    }
    case ValKind::kMap:
      return "map<" + ValTypeToString(t->elem) + ", " + ValTypeToString(t->value) + ">";
    case ValKind::kStream:
    case ValKind::kFuture:
      if (!t->elem) return ValKindName(t->kind);
      return std::string(ValKindName(t->kind)) + "<" + ValTypeToString(t->elem) + ">";
    default:
      return ValKindName(t->kind);
  }
}

std::vector<ValTypePtr> FuncType::param_types() const {
  std::vector<ValTypePtr> v;
  for (auto& p : params) v.push_back(p.type);
  return v;
}
std::vector<ValTypePtr> FuncType::result_types() const {
  if (!result) return {};
  return {result};
}

std::string FuncTypeToString(const FuncType& ft) {
  std::string s = ft.async ? "async func(" : "func(";
  for (size_t i = 0; i < ft.params.size(); ++i) {
    if (i) s += ", ";
    s += ft.params[i].label + ": " + ValTypeToString(ft.params[i].type);
  }
  s += ")";
  if (ft.result) s += " -> " + ValTypeToString(ft.result);
  return s;
}

const char* TypeEntryKindName(TypeEntry::Kind k) {
  switch (k) {
    case TypeEntry::Kind::kDefined:
      return "defined type";
    case TypeEntry::Kind::kFunc:
      return "func";
    case TypeEntry::Kind::kComponent:
      return "component";
    case TypeEntry::Kind::kInstance:
      return "instance";
    case TypeEntry::Kind::kResource:
      return "resource";
  }
  return "?";
}

const char* ExternKindName(ExternKind k) {
  switch (k) {
    case ExternKind::kModule:
      return "module";
    case ExternKind::kFunc:
      return "func";
    case ExternKind::kValue:
      return "value";
    case ExternKind::kType:
      return "type";
    case ExternKind::kComponent:
      return "component";
    case ExternKind::kInstance:
      return "instance";
  }
  return "?";
}

const ExternDecl* ComponentType::FindImport(const std::string& name) const {
  return Lookup(imports, import_index, name, DeclName);
}
const ExternDecl* ComponentType::FindExport(const std::string& name) const {
  return Lookup(exports, export_index, name, DeclName);
}
void ComponentType::Reindex() {
  BuildIndex(imports, import_index, DeclName);
  BuildIndex(exports, export_index, DeclName);
}
const ExternDecl* InstanceType::FindExport(const std::string& name) const {
  return Lookup(exports, export_index, name, DeclName);
}
void InstanceType::Reindex() { BuildIndex(exports, export_index, DeclName); }

const char* CoreSortName(CoreSort s) {
  switch (s) {
    case CoreSort::kFunc:
      return "core func";
    case CoreSort::kTable:
      return "core table";
    case CoreSort::kMemory:
      return "core memory";
    case CoreSort::kGlobal:
      return "core global";
    case CoreSort::kTag:
      return "core tag";
    case CoreSort::kType:
      return "core type";
    case CoreSort::kModule:
      return "module";
    case CoreSort::kInstance:
      return "core instance";
  }
  return "?";
}

std::string SortName(Sort s) {
  switch (s.kind) {
    case SortKind::kCore:
      return CoreSortName(s.core);
    case SortKind::kFunc:
      return "func";
    case SortKind::kValue:
      return "value";
    case SortKind::kType:
      return "type";
    case SortKind::kComponent:
      return "component";
    case SortKind::kInstance:
      return "instance";
  }
  return "?";
}

const char* CanonOpName(uint8_t op) {
  switch (op) {
    case 0x00:
      return "canon lift";
    case 0x01:
      return "canon lower";
    case 0x02:
      return "resource.new";
    case 0x03:
      return "resource.drop";
    case 0x04:
      return "resource.rep";
    default:
      return "canon built-in";
  }
}

std::string Error::ToString() const {
  return message + " (at offset 0x" + [this] {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%zx", offset);
    return std::string(buf);
  }() + ")";
}

}  // namespace lokust::component
