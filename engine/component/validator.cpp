// Component validation. See validator.h. One State per component, component type or instance
// type being validated; outer aliases walk the parent chain.
#include "engine/component/validator.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine/component/canonical_abi.h"
#include "engine/component/core_module_info.h"
#include "engine/component/decoder.h"
#include "engine/component/names.h"

namespace lokust::component {
namespace {

std::string Q(const std::string& s) { return "`" + s + "`"; }
std::string N(uint64_t i) { return std::to_string(i); }
std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------------------------------
// Resource substitution

// What instantiation substitutes: imported abstract resources (by root) and imported defined
// types (by the object the import declarator created) map to what the arguments supply.
// Substitution is memoized so that one type reachable along several paths (an exported type
// and the functions using it) maps to one new object, which keeps named-type identity.
struct ResourceMap {
  std::unordered_map<const ResourceType*, ResourceTypePtr> res;
  std::unordered_map<const ValType*, ValTypePtr> types;
  mutable std::unordered_map<const ValType*, ValTypePtr> cache;
  bool empty() const { return res.empty() && types.empty(); }
  auto find(const ResourceType* r) const { return res.find(r); }
  auto end() const { return res.end(); }
  ResourceTypePtr& operator[](const ResourceType* r) {
    cache.clear();
    return res[r];
  }
  void BindType(const ValType* from, ValTypePtr to) {
    cache.clear();
    types[from] = std::move(to);
  }
  size_t count(const ResourceType* r) const { return res.count(r); }
};

ValTypePtr Subst(const ValTypePtr& t, const ResourceMap& m);
ValTypePtr SubstUncached(const ValTypePtr& t, const ResourceMap& m);
FuncTypePtr Subst(const FuncTypePtr& f, const ResourceMap& m);
InstanceTypePtr Subst(const InstanceTypePtr& it, const ResourceMap& m);
ComponentTypePtr Subst(const ComponentTypePtr& ct, const ResourceMap& m);
ExternType Subst(const ExternType& e, const ResourceMap& m);

ValTypePtr Subst(const ValTypePtr& t, const ResourceMap& m) {
  if (!t || m.empty()) return t;
  auto ty = m.types.find(t.get());
  if (ty != m.types.end()) return ty->second;
  auto cached = m.cache.find(t.get());
  if (cached != m.cache.end()) return cached->second;
  ValTypePtr r = SubstUncached(t, m);
  m.cache[t.get()] = r;
  return r;
}

ValTypePtr SubstUncached(const ValTypePtr& t, const ResourceMap& m) {
  if (t->kind == ValKind::kOwn || t->kind == ValKind::kBorrow) {
    auto it = m.find(ResourceRoot(t->resource.get()));
    if (it == m.end()) return t;
    return t->kind == ValKind::kOwn ? ValType::Own(it->second) : ValType::Borrow(it->second);
  }
  if (IsPrimitive(t->kind) || t->kind == ValKind::kEnum || t->kind == ValKind::kFlags) return t;
  auto c = std::make_shared<ValType>(*t);
  bool changed = false;
  auto sub = [&](ValTypePtr& p) {
    auto n = Subst(p, m);
    if (n != p) {
      p = n;
      changed = true;
    }
  };
  for (auto& f : c->fields) sub(f.type);
  sub(c->elem);
  sub(c->value);
  sub(c->ok);
  sub(c->err);
  return changed ? c : t;
}

FuncTypePtr Subst(const FuncTypePtr& f, const ResourceMap& m) {
  if (!f || m.empty()) return f;
  auto c = std::make_shared<FuncType>(*f);
  for (auto& p : c->params) p.type = Subst(p.type, m);
  c->result = Subst(c->result, m);
  return c;
}

TypeEntry Subst(const TypeEntry& e, const ResourceMap& m) {
  TypeEntry r = e;
  switch (e.kind) {
    case TypeEntry::Kind::kDefined:
      r.defined = Subst(e.defined, m);
      break;
    case TypeEntry::Kind::kFunc:
      r.func = Subst(e.func, m);
      break;
    case TypeEntry::Kind::kComponent:
      r.component = Subst(e.component, m);
      break;
    case TypeEntry::Kind::kInstance:
      r.instance = Subst(e.instance, m);
      break;
    case TypeEntry::Kind::kResource: {
      auto it = m.find(ResourceRoot(e.resource.get()));
      if (it != m.end()) r.resource = it->second;
      break;
    }
  }
  return r;
}

ExternType Subst(const ExternType& e, const ResourceMap& m) {
  if (m.empty()) return e;
  ExternType r = e;
  r.func = Subst(e.func, m);
  r.value = Subst(e.value, m);
  r.type = Subst(e.type, m);
  r.component = Subst(e.component, m);
  r.instance = Subst(e.instance, m);
  return r;
}

InstanceTypePtr Subst(const InstanceTypePtr& it, const ResourceMap& m) {
  if (!it || m.empty()) return it;
  auto c = std::make_shared<InstanceType>(*it);
  for (auto& e : c->exports) e.type = Subst(e.type, m);
  return c;
}

ComponentTypePtr Subst(const ComponentTypePtr& ct, const ResourceMap& m) {
  if (!ct || m.empty()) return ct;
  auto c = std::make_shared<ComponentType>(*ct);
  for (auto& e : c->imports) e.type = Subst(e.type, m);
  for (auto& e : c->exports) e.type = Subst(e.type, m);
  return c;
}

// Resources declared by `(sub resource)` export declarators inside an extern type (the
// abstract ones an instance of that type provides), recursively through instances.
void CollectDeclaredResources(const ExternType& e, std::vector<ResourceTypePtr>& out) {
  if (e.kind == ExternKind::kType && e.type.kind == TypeEntry::Kind::kResource) {
    if (!e.type.resource->alias_of) out.push_back(e.type.resource);
  } else if (e.kind == ExternKind::kInstance && e.instance) {
    for (auto& x : e.instance->exports) CollectDeclaredResources(x.type, out);
  }
}

// Every resource referenced anywhere in a type.
void CollectUsedResources(const ValTypePtr& t, std::set<const ResourceType*>& out) {
  if (!t) return;
  if (t->resource) out.insert(t->resource.get());
  for (auto& f : t->fields) CollectUsedResources(f.type, out);
  CollectUsedResources(t->elem, out);
  CollectUsedResources(t->value, out);
  CollectUsedResources(t->ok, out);
  CollectUsedResources(t->err, out);
}
void CollectUsedResources(const FuncType& f, std::set<const ResourceType*>& out) {
  for (auto& p : f.params) CollectUsedResources(p.type, out);
  CollectUsedResources(f.result, out);
}
void CollectUsedResources(const ExternType& e, std::set<const ResourceType*>& out);
void CollectUsedResources(const TypeEntry& e, std::set<const ResourceType*>& out) {
  switch (e.kind) {
    case TypeEntry::Kind::kDefined:
      CollectUsedResources(e.defined, out);
      break;
    case TypeEntry::Kind::kFunc:
      CollectUsedResources(*e.func, out);
      break;
    case TypeEntry::Kind::kResource:
      out.insert(e.resource.get());
      break;
    case TypeEntry::Kind::kInstance:
      for (auto& x : e.instance->exports) CollectUsedResources(x.type, out);
      break;
    case TypeEntry::Kind::kComponent:
      for (auto& x : e.component->imports) CollectUsedResources(x.type, out);
      for (auto& x : e.component->exports) CollectUsedResources(x.type, out);
      break;
  }
}
void CollectUsedResources(const ExternType& e, std::set<const ResourceType*>& out) {
  switch (e.kind) {
    case ExternKind::kFunc:
      CollectUsedResources(*e.func, out);
      break;
    case ExternKind::kValue:
      CollectUsedResources(e.value, out);
      break;
    case ExternKind::kType:
      CollectUsedResources(e.type, out);
      break;
    case ExternKind::kInstance:
      for (auto& x : e.instance->exports) CollectUsedResources(x.type, out);
      break;
    case ExternKind::kComponent:
    case ExternKind::kModule:
      break;  // component types are closed; modules have no resources
  }
}

bool ContainsBorrow(const ValTypePtr& t) {
  if (!t) return false;
  if (t->kind == ValKind::kBorrow) return true;
  for (auto& f : t->fields)
    if (ContainsBorrow(f.type)) return true;
  return ContainsBorrow(t->elem) || ContainsBorrow(t->value) || ContainsBorrow(t->ok) ||
         ContainsBorrow(t->err);
}

// ---------------------------------------------------------------------------------------
// Subtyping

Result<void> ValSubtype(const ValTypePtr& a, const ValTypePtr& e, const std::string& ctx);

Result<void> ValSubtype(const ValTypePtr& a, const ValTypePtr& e, const std::string& ctx) {
  if (a == e) return {};
  if (!a || !e) return Invalid("type mismatch" + ctx);
  if (a->kind != e->kind) {
    if (IsPrimitive(a->kind) && IsPrimitive(e->kind))
      return Invalid("type mismatch" + ctx + ": expected primitive `" + ValKindName(e->kind) +
                     "` found primitive `" + ValKindName(a->kind) + "`");
    if (IsPrimitive(e->kind))
      return Invalid("type mismatch" + ctx + ": expected " + ValKindName(e->kind) + ", found " +
                     ValKindName(a->kind) + " (expected primitive, found " + ValKindName(a->kind) +
                     ")");
    return Invalid("type mismatch" + ctx + ": expected " + ValKindName(e->kind) + ", found " +
                   ValKindName(a->kind));
  }
  switch (e->kind) {
    case ValKind::kRecord:
      if (a->fields.size() != e->fields.size())
        return Invalid("type mismatch" + ctx + ": expected " + N(e->fields.size()) +
                       " fields, found " + N(a->fields.size()));
      for (size_t i = 0; i < e->fields.size(); ++i) {
        if (a->fields[i].label != e->fields[i].label)
          return Invalid("type mismatch" + ctx + ": expected field name " + Q(e->fields[i].label) +
                         ", found " + Q(a->fields[i].label));
        auto r = ValSubtype(a->fields[i].type, e->fields[i].type, "");
        if (!r)
          return Invalid("type mismatch in record field " + Q(e->fields[i].label) + ": " +
                         r.error().message);
      }
      return {};
    case ValKind::kTuple:
      if (a->fields.size() != e->fields.size())
        return Invalid("type mismatch" + ctx + ": expected " + N(e->fields.size()) +
                       " types, found " + N(a->fields.size()));
      for (size_t i = 0; i < e->fields.size(); ++i) {
        auto r = ValSubtype(a->fields[i].type, e->fields[i].type, "");
        if (!r) return Invalid("type mismatch in tuple field " + N(i) + ": " + r.error().message);
      }
      return {};
    case ValKind::kVariant:
      if (a->fields.size() != e->fields.size())
        return Invalid("type mismatch" + ctx + ": expected " + N(e->fields.size()) +
                       " cases, found " + N(a->fields.size()));
      for (size_t i = 0; i < e->fields.size(); ++i) {
        auto& ac = a->fields[i];
        auto& ec = e->fields[i];
        if (ac.label != ec.label)
          return Invalid("type mismatch" + ctx + ": expected case named " + Q(ec.label) +
                         ", found " + Q(ac.label));
        if (ec.type && !ac.type)
          return Invalid("type mismatch: expected case " + Q(ec.label) +
                         " to have a type, found none");
        if (!ec.type && ac.type)
          return Invalid("type mismatch: expected case " + Q(ec.label) + " to have no type");
        if (ec.type) {
          auto r = ValSubtype(ac.type, ec.type, "");
          if (!r)
            return Invalid("type mismatch in variant case " + Q(ec.label) + ": " +
                           r.error().message);
        }
      }
      return {};
    case ValKind::kEnum:
      if (a->labels != e->labels)
        return Invalid("type mismatch" + ctx + ": mismatch in enum elements");
      return {};
    case ValKind::kFlags:
      if (a->labels != e->labels)
        return Invalid("type mismatch" + ctx + ": mismatch in flags elements");
      return {};
    case ValKind::kList:
    case ValKind::kOption:
    case ValKind::kStream:
    case ValKind::kFuture:
      if (a->fixed_length != e->fixed_length)
        return Invalid("type mismatch" + ctx + ": list length");
      if (!a->elem != !e->elem) return Invalid("type mismatch" + ctx);
      if (e->elem) return ValSubtype(a->elem, e->elem, ctx);
      return {};
    case ValKind::kMap:
      LOKUST_CM_TRY(ValSubtype(a->elem, e->elem, ctx));
      return ValSubtype(a->value, e->value, ctx);
    case ValKind::kResult: {
      if (e->ok && !a->ok) return Invalid("type mismatch: expected ok type, but found none");
      if (!e->ok && a->ok) return Invalid("type mismatch: expected ok type to not be present");
      if (e->ok) {
        auto r = ValSubtype(a->ok, e->ok, "");
        if (!r) return Invalid("type mismatch in ok variant: " + r.error().message);
      }
      if (e->err && !a->err) return Invalid("type mismatch: expected err type, but found none");
      if (!e->err && a->err) return Invalid("type mismatch: expected err type to not be present");
      if (e->err) {
        auto r = ValSubtype(a->err, e->err, "");
        if (!r) return Invalid("type mismatch in err variant: " + r.error().message);
      }
      return {};
    }
    case ValKind::kOwn:
    case ValKind::kBorrow:
      if (!SameResource(a->resource.get(), e->resource.get()))
        return Invalid("resource types are not the same" + ctx);
      return {};
    default:
      return {};
  }
}

Result<void> FuncSubtype(const FuncType& a, const FuncType& e) {
  if (a.async != e.async) return Invalid("type mismatch in async attribute of function");
  if (a.params.size() != e.params.size())
    return Invalid("type mismatch: expected " + N(e.params.size()) + " parameters, found " +
                   N(a.params.size()));
  for (size_t i = 0; i < e.params.size(); ++i) {
    if (a.params[i].label != e.params[i].label)
      return Invalid("type mismatch: expected parameter named " + Q(e.params[i].label) +
                     ", found " + Q(a.params[i].label));
    auto r = ValSubtype(a.params[i].type, e.params[i].type, "");
    if (!r)
      return Invalid("type mismatch in function parameter " + Q(e.params[i].label) + ": " +
                     r.error().message);
  }
  if (!a.result && e.result) return Invalid("type mismatch: expected no result, found one");
  if (a.result && !e.result) return Invalid("type mismatch: expected a result, found none");
  if (e.result) {
    auto r = ValSubtype(a.result, e.result, "");
    if (!r) return Invalid("type mismatch with result type: " + r.error().message);
  }
  return {};
}

Result<void> CoreExternSubtype(const CoreExternType& a, const CoreExternType& e) {
  if (a.kind != e.kind)
    return Invalid(std::string("type mismatch: expected ") + CoreExternKindName(e.kind) +
                   ", found " + CoreExternKindName(a.kind));
  switch (e.kind) {
    case CoreExternKind::kFunc:
    case CoreExternKind::kTag:
      if (!(a.func == e.func))
        return Invalid("type mismatch: expected: " + CoreFuncTypeToString(e.func) +
                       ", found: " + CoreFuncTypeToString(a.func));
      return {};
    case CoreExternKind::kGlobal:
      if (!(a.value == e.value))
        return Invalid("type mismatch: expected global type " + CoreValTypeName(e.value) +
                       ", found " + CoreValTypeName(a.value));
      if (a.mut != e.mut) return Invalid("type mismatch: global mutability");
      return {};
    case CoreExternKind::kTable:
      if (!(a.value == e.value))
        return Invalid("type mismatch: expected table element type " + CoreValTypeName(e.value) +
                       ", found " + CoreValTypeName(a.value));
      if (a.limits.min < e.limits.min ||
          (e.limits.max && (!a.limits.max || *a.limits.max > *e.limits.max)))
        return Invalid("type mismatch: mismatch in table limits");
      return {};
    case CoreExternKind::kMemory:
      if (a.limits.shared != e.limits.shared)
        return Invalid("type mismatch: mismatch in the shared flag for memories");
      if (a.limits.is64 != e.limits.is64) return Invalid("type mismatch: mismatch in index type");
      if (a.limits.min < e.limits.min ||
          (e.limits.max && (!a.limits.max || *a.limits.max > *e.limits.max)))
        return Invalid("type mismatch: mismatch in memory limits");
      return {};
  }
  return {};
}

Result<void> ModuleSubtype(const ModuleType& a, const ModuleType& e) {
  // a may import less and must export at least what e exports.
  for (auto& ai : a.imports) {
    const CoreImportDecl* ei = nullptr;
    for (auto& x : e.imports)
      if (x.module == ai.module && x.field == ai.field) ei = &x;
    if (!ei)
      return Invalid("type mismatch: missing expected import " + Q(ai.module + "::" + ai.field));
    auto r = CoreExternSubtype(ei->type, ai.type);
    if (!r)
      return Invalid("type mismatch in import " + Q(ai.module + "::" + ai.field) + ": " +
                     r.error().message);
  }
  for (auto& ee : e.exports) {
    auto* ae = a.FindExport(ee.name);
    if (!ae) return Invalid("type mismatch: missing expected export " + Q(ee.name));
    auto r = CoreExternSubtype(ae->type, ee.type);
    if (!r) return Invalid("type mismatch in export " + Q(ee.name) + ": " + r.error().message);
  }
  return {};
}

Result<void> ExternSubtypeImpl(const ExternType& a, const ExternType& e, ResourceMap& m);

// Binds the abstract resources (and named defined types) `declared` introduces to what
// `supplied` provides, by export name through instances.
void BindDeclared(const ExternType& declared, const ExternType& supplied, ResourceMap& m) {
  if (declared.kind != supplied.kind) return;
  if (declared.kind == ExternKind::kType) {
    if (declared.type.kind == TypeEntry::Kind::kResource &&
        supplied.type.kind == TypeEntry::Kind::kResource && !declared.type.resource->alias_of &&
        !m.count(declared.type.resource.get()))
      m[declared.type.resource.get()] = supplied.type.resource;
    if (declared.type.kind == TypeEntry::Kind::kDefined &&
        supplied.type.kind == TypeEntry::Kind::kDefined)
      m.BindType(declared.type.defined.get(), supplied.type.defined);
    return;
  }
  if (declared.kind == ExternKind::kInstance && declared.instance && supplied.instance) {
    for (auto& de : declared.instance->exports) {
      auto* se = supplied.instance->FindExport(de.name.name);
      if (se) BindDeclared(de.type, se->type, m);
    }
  }
}

Result<void> InstanceSubtype(const InstanceType& a, const InstanceType& e, ResourceMap& m) {
  for (auto& ee : e.exports) {
    auto* ae = a.FindExport(ee.name.name);
    if (!ae) return Invalid("type mismatch: missing expected export " + Q(ee.name.name));
    auto r = ExternSubtypeImpl(ae->type, Subst(ee.type, m), m);
    if (!r)
      return Invalid("type mismatch in instance export " + Q(ee.name.name) + ": " +
                     r.error().message);
  }
  return {};
}

Result<void> ExternSubtypeImpl(const ExternType& a, const ExternType& e, ResourceMap& m) {
  if (a.kind != e.kind)
    return Invalid(std::string("type mismatch: expected ") + ExternKindName(e.kind) + ", found " +
                   ExternKindName(a.kind));
  switch (e.kind) {
    case ExternKind::kModule:
      return ModuleSubtype(*a.module, *e.module);
    case ExternKind::kFunc:
      return FuncSubtype(*a.func, *e.func);
    case ExternKind::kValue:
      return ValSubtype(a.value, e.value, "");
    case ExternKind::kType: {
      const TypeEntry& at = a.type;
      const TypeEntry& et = e.type;
      if (et.kind == TypeEntry::Kind::kResource) {
        if (at.kind != TypeEntry::Kind::kResource)
          return Invalid(std::string("type mismatch: expected resource, found ") +
                         TypeEntryKindName(at.kind));
        auto it = m.find(ResourceRoot(et.resource.get()));
        if (it != m.end()) {
          if (!SameResource(it->second.get(), at.resource.get()))
            return Invalid("resource types are not the same");
          return {};
        }
        if (!SameResource(et.resource.get(), at.resource.get()))
          return Invalid("resource types are not the same");
        return {};
      }
      if (at.kind != et.kind)
        return Invalid(std::string("type mismatch: expected ") + TypeEntryKindName(et.kind) +
                       ", found " + TypeEntryKindName(at.kind));
      switch (et.kind) {
        case TypeEntry::Kind::kDefined:
          return ValSubtype(at.defined, et.defined, "");
        case TypeEntry::Kind::kFunc:
          return FuncSubtype(*at.func, *et.func);
        case TypeEntry::Kind::kInstance:
          return InstanceSubtype(*at.instance, *et.instance, m);
        default:
          return {};
      }
    }
    case ExternKind::kInstance:
      return InstanceSubtype(*a.instance, *e.instance, m);
    case ExternKind::kComponent: {
      // Contravariant imports, covariant exports.
      ResourceMap inner;
      for (auto& ai : a.component->imports) {
        auto* ei = e.component->FindImport(ai.name.name);
        if (!ei) return Invalid("type mismatch: missing expected import " + Q(ai.name.name));
        BindDeclared(ai.type, ei->type, inner);
        auto r = ExternSubtypeImpl(ei->type, Subst(ai.type, inner), inner);
        if (!r)
          return Invalid("type mismatch in import " + Q(ai.name.name) + ": " + r.error().message);
      }
      for (auto& ee : e.component->exports) {
        auto* ae = a.component->FindExport(ee.name.name);
        if (!ae) return Invalid("type mismatch: missing expected export " + Q(ee.name.name));
        auto r = ExternSubtypeImpl(Subst(ae->type, inner), ee.type, m);
        if (!r)
          return Invalid("type mismatch in export " + Q(ee.name.name) + ": " + r.error().message);
      }
      return {};
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Depth bounds: every recursive walk over types (substitution, subtyping, visibility,
// printing) relies on these, so deeply chained types are rejected instead of overflowing
// the stack.

constexpr uint32_t kMaxExternDepth = 100;

uint32_t ValDepth(const ValTypePtr& t) { return t ? t->depth : 0; }

uint32_t ExternDepth(const ExternType& e) {
  switch (e.kind) {
    case ExternKind::kFunc: {
      uint32_t d = ValDepth(e.func->result);
      for (auto& p : e.func->params) d = std::max(d, ValDepth(p.type));
      return d;
    }
    case ExternKind::kValue:
      return ValDepth(e.value);
    case ExternKind::kType:
      switch (e.type.kind) {
        case TypeEntry::Kind::kDefined:
          return ValDepth(e.type.defined);
        case TypeEntry::Kind::kInstance:
          return e.type.instance->depth;
        case TypeEntry::Kind::kComponent:
          return e.type.component->depth;
        case TypeEntry::Kind::kFunc: {
          uint32_t d = ValDepth(e.type.func->result);
          for (auto& p : e.type.func->params) d = std::max(d, ValDepth(p.type));
          return d;
        }
        default:
          return 1;
      }
    case ExternKind::kInstance:
      return e.instance->depth;
    case ExternKind::kComponent:
      return e.component->depth;
    default:
      return 1;
  }
}

template <typename T>
Result<void> SetDepth(T& t, std::initializer_list<const std::vector<ExternDecl>*> lists) {
  uint32_t d = 0;
  for (auto* l : lists)
    for (auto& x : *l) d = std::max(d, ExternDepth(x.type));
  if (d + 1 > kMaxExternDepth)
    return Invalid("component or instance type nesting is too deep (more than " +
                   std::to_string(kMaxExternDepth) + " levels)");
  t.depth = d + 1;
  t.Reindex();
  return {};
}

// ---------------------------------------------------------------------------------------
// Validation state

enum class ScopeKind { kComponent, kComponentType, kInstanceType };

struct State {
  ScopeKind kind = ScopeKind::kComponent;
  State* parent = nullptr;
  ValidateOptions options;
  std::shared_ptr<ComponentInfo> info = std::make_shared<ComponentInfo>();
  std::vector<ExternDecl> imports, exports;
  std::map<std::string, std::string> import_keys, export_keys;  // conflict key -> name
  std::set<const ResourceType*> named;  // resources with a name in this scope
  // Objects given a name by an import (import_*) or an export (export_*) in this scope;
  // exported items may only refer to named nameable types (Explainer.md "external
  // visibility"), imported items only to types named by imports.
  std::set<const ValType*> import_types, export_types;
  std::set<const ResourceType*> import_res, export_res;
  std::set<const ResourceType*> local;               // resources defined here
  std::set<const ResourceType*> imported_resources;  // introduced by import declarators
  std::map<const ResourceType*, std::string> resource_names_import, resource_names_export;
};

class Validator {
 public:
  explicit Validator(const ValidateOptions& o) : options_(o) {}

  Result<std::shared_ptr<ComponentInfo>> ValidateTop(const ComponentAst& ast, State* parent) {
    State st;
    st.kind = ScopeKind::kComponent;
    st.parent = parent;
    for (auto& d : ast.definitions) {
      auto r = ValidateDefinition(st, d);
      if (!r) {
        Error e = r.error();
        if (e.offset == 0) e.offset = d.offset;
        return e;
      }
    }
    auto ct = std::make_shared<ComponentType>();
    ct->imports = st.imports;
    ct->exports = st.exports;
    LOKUST_CM_TRY(SetDepth(*ct, {&ct->imports, &ct->exports}));
    st.info->type = ct;
    return st.info;
  }

 private:
  ValidateOptions options_;

  // ---- index helpers ----

  template <typename V>
  static Result<void> Bounds(const V& v, uint32_t i, const char* what) {
    if (i >= v.size())
      return Invalid(std::string("unknown ") + what + " " + N(i) + ": " + what +
                     " index out of bounds");
    return {};
  }

  Result<TypeEntry> GetType(State& st, uint32_t i) {
    if (i >= st.info->types.size())
      return Invalid("unknown type " + N(i) + ": type index out of bounds");
    return st.info->types[i];
  }

  Result<ValTypePtr> ResolveValType(State& st, const ValTypeRef& r) {
    if (!r.is_index) return PrimOf(r.prim);
    auto t = GetType(st, r.index);
    if (!t) return t.error();
    if (t->kind != TypeEntry::Kind::kDefined)
      return Invalid("type index " + N(r.index) + " is not a defined type");
    return t->defined;
  }

  static ValTypePtr PrimOf(uint8_t b) {
    if (b == 0x64) return ValType::Prim(ValKind::kErrorContext);
    // 0x7f bool, 0x7e s8, 0x7d u8, ... 0x73 string
    return ValType::Prim(static_cast<ValKind>(0x7f - b));
  }

  Result<ResourceTypePtr> GetResource(State& st, uint32_t i) {
    auto t = GetType(st, i);
    if (!t) return t.error();
    if (t->kind != TypeEntry::Kind::kResource)
      return Invalid("type index " + N(i) + " is not a resource type");
    return t->resource;
  }

  // ---- names ----

  Result<void> CheckLabel(const std::string& l, const char* what) {
    if (l.empty()) return Invalid(std::string(what) + " name cannot be empty");
    if (options_.check_names && !IsKebabCase(l))
      return Invalid(std::string(what) + " name " + Q(l) + " is not in kebab case");
    return {};
  }

  Result<void> CheckUniqueLabels(const std::vector<std::string>& labels, const char* what,
                                 const char* prev_what) {
    std::map<std::string, std::string> seen;
    for (auto& l : labels) {
      LOKUST_CM_TRY(CheckLabel(l, what));
      auto key = Lower(l);
      auto it = seen.find(key);
      if (it != seen.end())
        return Invalid(std::string(what) + " name " + Q(l) + " conflicts with previous " +
                       prev_what + " name " + Q(it->second));
      seen[key] = l;
    }
    return {};
  }

  // ---- types ----

  // elem_size in 64 bits, saturating, for the "maximum byte size" rule (CanonicalABI.md:
  // elem_size(t, i64) < 2^28, i.e. measured with 64-bit pointers).
  static uint64_t ElemSize64(const ValTypePtr& t) {
    constexpr uint64_t kCap = uint64_t{1} << 40;
    switch (t->kind) {
      case ValKind::kList:
        if (t->fixed_length)
          return std::min(kCap, uint64_t{*t->fixed_length} * ElemSize64(t->elem));
        return 16;  // (ptr, len) with 64-bit pointers: the wider of the two layouts
      case ValKind::kString:
      case ValKind::kMap:
        return 16;
      case ValKind::kRecord:
      case ValKind::kTuple: {
        uint64_t s = 0;
        for (auto& f : t->fields) {
          uint64_t a = alignment(f.type);
          s = (s + a - 1) / a * a + ElemSize64(f.type);
          if (s > kCap) return kCap;
        }
        return s;
      }
      case ValKind::kVariant:
      case ValKind::kOption:
      case ValKind::kResult: {
        ValTypePtr d = despecialize(t);
        uint64_t m = 0;
        for (auto& c : d->fields)
          if (c.type) m = std::max(m, ElemSize64(c.type));
        return std::min(kCap, m + 8);
      }
      default:
        return elem_size(t);
    }
  }

  static constexpr uint32_t kMaxTypeDepth = 100;

  Result<ValTypePtr> ConvertDefValType(State& st, const DefValTypeAst& d) {
    auto r = ConvertDefValTypeInner(st, d);
    if (!r) return r;
    // Bound the nesting depth first: every recursive walk over types relies on it.
    uint32_t depth = 0;
    const ValType& t = **r;
    for (auto& f : t.fields)
      if (f.type) depth = std::max(depth, f.type->depth);
    for (const ValTypePtr* c : {&t.elem, &t.value, &t.ok, &t.err})
      if (*c) depth = std::max(depth, (*c)->depth);
    if (depth + 1 > kMaxTypeDepth)
      return Invalid("type nesting is too deep (more than " + N(kMaxTypeDepth) + " levels)");
    if (depth + 1 != t.depth) {
      auto c = std::make_shared<ValType>(t);
      c->depth = depth + 1;
      r = ValTypePtr(c);
    }
    if (ElemSize64(*r) >= (uint64_t{1} << 28))
      return Invalid("type exceeds maximum byte size (elem_size must be below 2^28)");
    return r;
  }

  Result<ValTypePtr> ConvertDefValTypeInner(State& st, const DefValTypeAst& d) {
    if ((d.opcode >= 0x73 && d.opcode <= 0x7f) || d.opcode == 0x64) return PrimOf(d.opcode);
    auto t = std::make_shared<ValType>();
    switch (d.opcode) {
      case 0x72: {
        t->kind = ValKind::kRecord;
        if (d.items.empty()) return Invalid("record type must have at least one field");
        std::vector<std::string> labels;
        for (auto& [l, vt] : d.items) {
          labels.push_back(l);
          auto r = ResolveValType(st, *vt);
          if (!r) return r.error();
          t->fields.push_back(Field{l, *r});
        }
        LOKUST_CM_TRY(CheckUniqueLabels(labels, "record field", "field"));
        return ValTypePtr(t);
      }
      case 0x71: {
        t->kind = ValKind::kVariant;
        if (d.items.empty()) return Invalid("variant type must have at least one case");
        std::vector<std::string> labels;
        for (auto& [l, vt] : d.items) {
          labels.push_back(l);
          ValTypePtr ct;
          if (vt) {
            auto r = ResolveValType(st, *vt);
            if (!r) return r.error();
            ct = *r;
          }
          t->fields.push_back(Field{l, ct});
        }
        LOKUST_CM_TRY(CheckUniqueLabels(labels, "variant case", "case"));
        return ValTypePtr(t);
      }
      case 0x70:
      case 0x67: {
        auto r = ResolveValType(st, *d.a);
        if (!r) return r.error();
        if (d.opcode == 0x67 && d.length == 0)
          return Invalid("fixed-length list must have a length greater than zero");
        return ValType::List(*r,
                             d.opcode == 0x67 ? std::optional<uint32_t>(d.length) : std::nullopt);
      }
      case 0x6f: {
        if (d.types.empty()) return Invalid("tuple type must have at least one type");
        std::vector<ValTypePtr> ts;
        for (auto& x : d.types) {
          auto r = ResolveValType(st, x);
          if (!r) return r.error();
          ts.push_back(*r);
        }
        return ValType::Tuple(std::move(ts));
      }
      case 0x6e:
        if (d.labels.empty()) return Invalid("flags must have at least one entry");
        if (d.labels.size() > 32) return Invalid("cannot have more than 32 flags");
        LOKUST_CM_TRY(CheckUniqueLabels(d.labels, "flag", "flag"));
        return ValType::Flags(d.labels);
      case 0x6d:
        if (d.labels.empty()) return Invalid("enum type must have at least one variant");
        LOKUST_CM_TRY(CheckUniqueLabels(d.labels, "enum tag", "tag"));
        return ValType::Enum(d.labels);
      case 0x6b: {
        auto r = ResolveValType(st, *d.a);
        if (!r) return r.error();
        return ValType::Option(*r);
      }
      case 0x6a: {
        ValTypePtr ok, err;
        if (d.a) {
          auto r = ResolveValType(st, *d.a);
          if (!r) return r.error();
          ok = *r;
        }
        if (d.b) {
          auto r = ResolveValType(st, *d.b);
          if (!r) return r.error();
          err = *r;
        }
        return ValType::Result(ok, err);
      }
      case 0x69:
      case 0x68: {
        auto r = GetResource(st, d.index);
        if (!r) return r.error();
        return d.opcode == 0x69 ? ValType::Own(*r) : ValType::Borrow(*r);
      }
      case 0x66:
      case 0x65: {
        t->kind = d.opcode == 0x66 ? ValKind::kStream : ValKind::kFuture;
        if (d.a) {
          auto r = ResolveValType(st, *d.a);
          if (!r) return r.error();
          if (d.opcode == 0x66 && (*r)->kind == ValKind::kChar)
            return Invalid("`stream<char>` is not valid at this time");
          t->elem = *r;
        }
        return ValTypePtr(t);
      }
      case 0x63: {
        t->kind = ValKind::kMap;
        auto k = ResolveValType(st, *d.a);
        if (!k) return k.error();
        auto v = ResolveValType(st, *d.b);
        if (!v) return v.error();
        t->elem = *k;
        t->value = *v;
        return ValTypePtr(t);
      }
      default:
        return Invalid("unsupported defined type");
    }
  }

  Result<FuncTypePtr> ConvertFuncType(State& st, const FuncTypeAst& f) {
    auto ft = std::make_shared<FuncType>();
    ft->async = f.async;
    std::vector<std::string> labels;
    for (auto& [l, vt] : f.params) {
      labels.push_back(l);
      auto r = ResolveValType(st, vt);
      if (!r) return r.error();
      ft->params.push_back(Field{l, *r});
    }
    LOKUST_CM_TRY(CheckUniqueLabels(labels, "function parameter", "parameter"));
    if (f.result) {
      auto r = ResolveValType(st, *f.result);
      if (!r) return r.error();
      if (ContainsBorrow(*r)) return Invalid("function result cannot contain a `borrow` type");
      ft->result = *r;
    }
    return FuncTypePtr(ft);
  }

  Result<TypeEntry> ConvertTypeDef(State& st, const TypeDefAst& t) {
    TypeEntry e;
    switch (t.kind) {
      case TypeDefAst::Kind::kDefined: {
        auto r = ConvertDefValType(st, t.defined);
        if (!r) return r.error();
        e.kind = TypeEntry::Kind::kDefined;
        e.defined = *r;
        return e;
      }
      case TypeDefAst::Kind::kFunc: {
        auto r = ConvertFuncType(st, t.func);
        if (!r) return r.error();
        e.kind = TypeEntry::Kind::kFunc;
        e.func = *r;
        // Resources used in a function type inside a type declarator must have a name there.
        return e;
      }
      case TypeDefAst::Kind::kComponent:
      case TypeDefAst::Kind::kInstance: {
        State inner;
        inner.kind = t.kind == TypeDefAst::Kind::kComponent ? ScopeKind::kComponentType
                                                            : ScopeKind::kInstanceType;
        inner.parent = &st;
        for (auto& d : t.decls) {
          auto r = ValidateDecl(inner, d);
          if (!r) return r.error();
        }
        if (t.kind == TypeDefAst::Kind::kComponent) {
          auto ct = std::make_shared<ComponentType>();
          ct->imports = inner.imports;
          ct->exports = inner.exports;
          LOKUST_CM_TRY(SetDepth(*ct, {&ct->imports, &ct->exports}));
          e.kind = TypeEntry::Kind::kComponent;
          e.component = ct;
        } else {
          auto it = std::make_shared<InstanceType>();
          it->exports = inner.exports;
          LOKUST_CM_TRY(SetDepth(*it, {&it->exports}));
          e.kind = TypeEntry::Kind::kInstance;
          e.instance = it;
        }
        return e;
      }
      case TypeDefAst::Kind::kResource: {
        if (st.kind != ScopeKind::kComponent)
          return Invalid("resources can only be defined within a concrete component");
        auto rt = NewResourceType("", true);
        if (t.resource.dtor) {
          uint32_t f = *t.resource.dtor;
          LOKUST_CM_TRY(Bounds(st.info->core_funcs, f, "function"));
          CoreFuncType want{{kI32}, {}};
          if (!(st.info->core_funcs[f] == want))
            return Invalid("wrong signature for a destructor: expected " +
                           CoreFuncTypeToString(want) + ", found " +
                           CoreFuncTypeToString(st.info->core_funcs[f]));
          rt->dtor = f;
        }
        st.local.insert(rt.get());
        e.kind = TypeEntry::Kind::kResource;
        e.resource = rt;
        return e;
      }
    }
    return Invalid("unknown type definition");
  }

  Result<ExternType> ConvertExternDesc(State& st, const ExternDescAst& d, const std::string& name) {
    ExternType e;
    e.kind = d.kind;
    switch (d.kind) {
      case ExternKind::kModule: {
        LOKUST_CM_TRY(Bounds(st.info->core_types, d.index, "core type"));
        auto& ct = st.info->core_types[d.index];
        if (ct.kind != CoreTypeEntry::Kind::kModule)
          return Invalid("core type index " + N(d.index) + " is not a module type");
        e.module = ct.module;
        return e;
      }
      case ExternKind::kFunc: {
        auto t = GetType(st, d.index);
        if (!t) return t.error();
        if (t->kind != TypeEntry::Kind::kFunc)
          return Invalid("type index " + N(d.index) + " is not a function type");
        e.func = t->func;
        return e;
      }
      case ExternKind::kValue: {
        if (d.value_eq) {
          LOKUST_CM_TRY(Bounds(st.info->values, d.index, "value"));
          e.value = st.info->values[d.index];
        } else {
          auto r = ResolveValType(st, d.value_type);
          if (!r) return r.error();
          e.value = *r;
        }
        return e;
      }
      case ExternKind::kType: {
        if (d.sub_resource) {
          e.type.kind = TypeEntry::Kind::kResource;
          e.type.resource = NewResourceType(name, false);
        } else {
          auto t = GetType(st, d.index);
          if (!t) return t.error();
          e.type = *t;
        }
        return e;
      }
      case ExternKind::kComponent: {
        auto t = GetType(st, d.index);
        if (!t) return t.error();
        if (t->kind != TypeEntry::Kind::kComponent)
          return Invalid("type index " + N(d.index) + " is not a component type");
        e.component = t->component;
        return e;
      }
      case ExternKind::kInstance: {
        auto t = GetType(st, d.index);
        if (!t) return t.error();
        if (t->kind != TypeEntry::Kind::kInstance)
          return Invalid("type index " + N(d.index) + " is not an instance type");
        e.instance = t->instance;
        return e;
      }
    }
    return e;
  }

  // Gives fresh identities to the resources an imported instance declares with
  // `(sub resource)`, so two imports of one instance type do not share resources.
  static ExternType Freshen(const ExternType& e, const std::string& prefix) {
    if (e.kind != ExternKind::kInstance) return e;
    std::vector<ResourceTypePtr> declared;
    CollectDeclaredResources(e, declared);
    if (declared.empty()) return e;
    ResourceMap m;
    for (auto& r : declared) {
      auto n = NewResourceType(r->name, false);
      m[r.get()] = n;
    }
    (void)prefix;
    return Subst(e, m);
  }

  // Adds an item of extern type `e` to the index spaces of `st`.
  void AddToIndexSpace(State& st, const ExternType& e) {
    auto& in = *st.info;
    switch (e.kind) {
      case ExternKind::kModule:
        in.core_modules.push_back(e.module);
        break;
      case ExternKind::kFunc:
        in.funcs.push_back(e.func);
        break;
      case ExternKind::kValue:
        in.values.push_back(e.value);
        break;
      case ExternKind::kType:
        in.types.push_back(e.type);
        break;
      case ExternKind::kComponent:
        in.components.push_back(e.component);
        break;
      case ExternKind::kInstance:
        in.instances.push_back(e.instance);
        break;
    }
  }

  void NameResources(State& st, const ExternType& e, const std::string& name, bool import) {
    auto& types = import ? st.import_types : st.export_types;
    auto& res = import ? st.import_res : st.export_res;
    if (e.kind == ExternKind::kType && e.type.kind == TypeEntry::Kind::kResource) {
      st.named.insert(e.type.resource.get());
      res.insert(e.type.resource.get());
      auto& names = import ? st.resource_names_import : st.resource_names_export;
      names[e.type.resource.get()] = name;
      if (e.type.resource->name.empty()) e.type.resource->name = name;
    } else if (e.kind == ExternKind::kType && e.type.kind == TypeEntry::Kind::kDefined) {
      types.insert(e.type.defined.get());
    } else if (e.kind == ExternKind::kInstance && e.instance) {
      for (auto& x : e.instance->exports) {
        if (x.type.kind == ExternKind::kType && x.type.type.kind == TypeEntry::Kind::kResource) {
          st.named.insert(x.type.type.resource.get());
          res.insert(x.type.type.resource.get());
          if (x.type.type.resource->name.empty()) x.type.type.resource->name = x.name.name;
        }
        if (x.type.kind == ExternKind::kType && x.type.type.kind == TypeEntry::Kind::kDefined)
          types.insert(x.type.type.defined.get());
        if (x.type.kind == ExternKind::kInstance) NameResources(st, x.type, x.name.name, import);
      }
    }
  }

  // A type import/export introduces a new index naming the item: give it a distinct object
  // so visibility can tell the named type from the anonymous definition it names.
  static ExternType NamedCopy(const ExternType& e, const std::string& name) {
    if (e.kind != ExternKind::kType) return e;
    ExternType r = e;
    if (e.type.kind == TypeEntry::Kind::kDefined) {
      auto copy = std::make_shared<ValType>(*e.type.defined);
      if (name.find(':') == std::string::npos && name.find('[') == std::string::npos)
        copy->name = name;
      r.type.defined = copy;
    } else if (e.type.kind == TypeEntry::Kind::kResource) {
      r.type.resource = NewResourceAlias(e.type.resource, name);
    }
    return r;
  }

  struct VisCtx {
    const std::set<const ValType*>* types[2] = {nullptr, nullptr};
    const std::set<const ResourceType*>* res[2] = {nullptr, nullptr};
    std::set<const ValType*> extra_types;
    std::set<const ResourceType*> extra_res;
    bool HasType(const ValType* t) const {
      for (auto* s : types)
        if (s && s->count(t)) return true;
      return extra_types.count(t) > 0;
    }
    bool HasRes(const ResourceType* r) const {
      for (auto* s : res)
        if (s && s->count(r)) return true;
      return extra_res.count(r) > 0;
    }
  };

  static bool IsNameable(ValKind k) {
    return k == ValKind::kRecord || k == ValKind::kVariant || k == ValKind::kEnum ||
           k == ValKind::kFlags;
  }

  static bool VisibleVal(const ValTypePtr& t, bool top, const VisCtx& c) {
    if (!t) return true;
    if (!top && IsNameable(t->kind) && !c.HasType(t.get())) return false;
    if ((t->kind == ValKind::kOwn || t->kind == ValKind::kBorrow) && !c.HasRes(t->resource.get()))
      return false;
    for (auto& f : t->fields)
      if (!VisibleVal(f.type, false, c)) return false;
    return VisibleVal(t->elem, false, c) && VisibleVal(t->value, false, c) &&
           VisibleVal(t->ok, false, c) && VisibleVal(t->err, false, c);
  }

  static bool VisibleExtern(const ExternType& e, const VisCtx& c0) {
    switch (e.kind) {
      case ExternKind::kFunc:
        for (auto& p : e.func->params)
          if (!VisibleVal(p.type, false, c0)) return false;
        return VisibleVal(e.func->result, false, c0);
      case ExternKind::kValue:
        return VisibleVal(e.value, false, c0);
      case ExternKind::kType:
        if (e.type.kind == TypeEntry::Kind::kDefined) return VisibleVal(e.type.defined, true, c0);
        if (e.type.kind == TypeEntry::Kind::kFunc) {
          ExternType fe;
          fe.kind = ExternKind::kFunc;
          fe.func = e.type.func;
          return VisibleExtern(fe, c0);
        }
        if (e.type.kind == TypeEntry::Kind::kInstance) {
          ExternType ie;
          ie.kind = ExternKind::kInstance;
          ie.instance = e.type.instance;
          return VisibleExtern(ie, c0);
        }
        return true;
      case ExternKind::kInstance: {
        VisCtx c = c0;
        for (auto& x : e.instance->exports) {
          if (x.type.kind != ExternKind::kType) continue;
          if (x.type.type.kind == TypeEntry::Kind::kDefined)
            c.extra_types.insert(x.type.type.defined.get());
          if (x.type.type.kind == TypeEntry::Kind::kResource)
            c.extra_res.insert(x.type.type.resource.get());
        }
        for (auto& x : e.instance->exports)
          if (!VisibleExtern(x.type, c)) return false;
        return true;
      }
      default:
        return true;
    }
  }

  Result<void> CheckVisible(State& st, const ExternType& e, bool import) {
    if (st.kind == ScopeKind::kInstanceType) return {};  // deferred until attached
    VisCtx c;
    c.types[0] = &st.import_types;
    c.res[0] = &st.import_res;
    if (!import) {
      c.types[1] = &st.export_types;
      c.res[1] = &st.export_res;
    }
    // The item's own declared resources/types count as named by it.
    std::vector<ResourceTypePtr> declared;
    CollectDeclaredResources(e, declared);
    for (auto& r : declared) c.extra_res.insert(r.get());
    if (e.kind == ExternKind::kType && e.type.kind == TypeEntry::Kind::kResource)
      c.extra_res.insert(e.type.resource.get());
    if (!VisibleExtern(e, c))
      return Invalid(std::string(ExternKindName(e.kind)) + " not valid to be used as " +
                     (import ? "import" : "export"));
    return {};
  }

  // Checks a name and its attributes and registers it for conflicts; also checks annotated
  // function names against their resources.
  Result<void> CheckExternName(State& st, const ExternName& n, const ExternType& e, bool import) {
    const char* which = import ? "import" : "export";
    ParsedName pn;
    if (options_.check_names) {
      auto r = ParseExternName(n.name, import);
      if (!r) {
        std::string m = r.error().message;
        if (m.find("is not a valid extern name") == std::string::npos)
          m = Q(n.name) + " is not a valid extern name: " + m;
        return Invalid(m);
      }
      pn = *r;
    } else {
      pn.kind = ParsedName::Kind::kLabel;
      pn.label = n.name;
    }
    if (n.implements) {
      if (e.kind != ExternKind::kInstance)
        return Invalid("name " + Q(n.name) + ": only instances can have an `implements`");
      if (pn.kind != ParsedName::Kind::kLabel)
        return Invalid("name " + Q(n.name) + " is not valid with `implements`");
      auto ir = ParseExternName(*n.implements, import);
      if (!ir || ir->kind != ParsedName::Kind::kInterface)
        return Invalid("`implements` name " + Q(*n.implements) +
                       " is not a valid name: it must be an interface name");
    }
    // Annotated function names.
    if (pn.kind == ParsedName::Kind::kConstructor || pn.kind == ParsedName::Kind::kMethod ||
        pn.kind == ParsedName::Kind::kStatic) {
      if (e.kind != ExternKind::kFunc) return Invalid("item " + Q(n.name) + " is not a func");
      auto& names = import ? st.resource_names_import : st.resource_names_export;
      const FuncType& f = *e.func;
      auto expect_resource = [&](const ResourceTypePtr& rt) -> Result<void> {
        auto it = names.find(rt.get());
        if (it == names.end())
          return Invalid("resource used in function does not have a name in this context");
        if (it->second != pn.resource)
          return Invalid("function does not match expected resource name " + Q(it->second));
        return {};
      };
      if (pn.kind == ParsedName::Kind::kConstructor) {
        if (!f.result) return Invalid("function should return one value");
        ValTypePtr r = f.result;
        if (r->kind == ValKind::kResult && r->ok) r = r->ok;
        if (r->kind != ValKind::kOwn)
          return Invalid("function should return `(own $T)` or `(result (own $T))`");
        LOKUST_CM_TRY(expect_resource(r->resource));
      } else if (pn.kind == ParsedName::Kind::kMethod) {
        if (f.params.empty()) return Invalid("function should have at least one argument");
        if (f.params[0].label != "self")
          return Invalid("function should have a first argument called `self`");
        if (f.params[0].type->kind != ValKind::kBorrow)
          return Invalid("function should take a first argument of `(borrow $T)`");
        LOKUST_CM_TRY(expect_resource(f.params[0].type->resource));
      } else {
        bool known = false;
        for (auto& [rt, nm] : names)
          if (nm == pn.resource) known = true;
        if (!known) return Invalid("static resource name is not known in this context");
      }
    }
    // Conflicts.
    auto& keys = import ? st.import_keys : st.export_keys;
    std::string key = NameConflictKey(pn, n.name);
    auto it = keys.find(key);
    if (it != keys.end())
      return Invalid(std::string(which) + " name " + Q(n.name) + " conflicts with previous name " +
                     Q(it->second));
    if ((pn.kind == ParsedName::Kind::kMethod || pn.kind == ParsedName::Kind::kStatic)) {
      auto it2 = keys.find(Lower(pn.label));
      if (it2 != keys.end() && Lower(pn.label) == Lower(pn.resource))
        return Invalid(std::string(which) + " name " + Q(n.name) +
                       " conflicts with previous name " + Q(it2->second));
    }
    keys[key] = n.name;
    return {};
  }

  // ---- declarators (component and instance types) ----

  Result<void> ValidateDecl(State& st, const DeclAst& d) {
    switch (d.kind) {
      case DeclAst::Kind::kCoreType: {
        auto r = ConvertCoreType(st, *d.core_type);
        if (!r) return r.error();
        st.info->core_types.push_back(*r);
        return {};
      }
      case DeclAst::Kind::kType: {
        auto r = ConvertTypeDef(st, *d.type);
        if (!r) return r.error();
        st.info->types.push_back(*r);
        return {};
      }
      case DeclAst::Kind::kAlias: {
        if (d.alias.target == AliasAst::Target::kCoreExport)
          return Invalid("core export aliases are not allowed in type declarators");
        if (d.alias.sort.kind != SortKind::kType && d.alias.sort.kind != SortKind::kInstance &&
            !(d.alias.sort.kind == SortKind::kCore && d.alias.sort.core == CoreSort::kType))
          return Invalid("alias declarators may only refer to types or instances");
        return ValidateAlias(st, d.alias);
      }
      case DeclAst::Kind::kImport:
      case DeclAst::Kind::kExport: {
        bool import = d.kind == DeclAst::Kind::kImport;
        auto e = ConvertExternDesc(st, d.desc, d.name.name);
        if (!e) return e.error();
        ExternType et = Freshen(*e, d.name.name);
        if (!d.desc.sub_resource) et = NamedCopy(et, d.name.name);
        LOKUST_CM_TRY(CheckVisible(st, et, import));
        NameResources(st, et, d.name.name, import);
        LOKUST_CM_TRY(CheckExternName(st, d.name, et, import));
        AddToIndexSpace(st, et);
        (import ? st.imports : st.exports).push_back(ExternDecl{d.name, et});
        return {};
      }
    }
    return {};
  }

  // ---- core types ----

  Result<CoreTypeEntry> ConvertCoreType(State& st, const CoreTypeAst& t) {
    CoreTypeEntry e;
    if (t.kind == CoreTypeAst::Kind::kFunc) {
      e.kind = CoreTypeEntry::Kind::kFunc;
      e.func = t.func;
      return e;
    }
    if (t.kind == CoreTypeAst::Kind::kOther) {
      e.kind = CoreTypeEntry::Kind::kOther;
      return e;
    }
    // Module type: its own core type index space; outer aliases reach st's core types.
    std::vector<CoreTypeEntry> types;
    auto mt = std::make_shared<ModuleType>();
    std::set<std::string> export_names, import_names;
    auto func_of = [&](uint32_t i) -> Result<CoreFuncType> {
      if (i >= types.size()) return Invalid("unknown type " + N(i) + ": type index out of bounds");
      if (types[i].kind != CoreTypeEntry::Kind::kFunc)
        return Invalid("type index " + N(i) + " is not a function type");
      return types[i].func;
    };
    auto desc_type = [&](const CoreImportDescAst& d) -> Result<CoreExternType> {
      CoreExternType x = d.type;
      x.kind = d.kind;
      if (d.kind == CoreExternKind::kMemory && !x.limits.is64 && !x.limits.page_size_log2 &&
          (x.limits.min > 65536 || (x.limits.max && *x.limits.max > 65536)))
        return Invalid("memory size must be at most 65536 pages (4GiB)");
      if (d.kind == CoreExternKind::kFunc || d.kind == CoreExternKind::kTag) {
        auto f = func_of(d.type_index);
        if (!f) return f.error();
        x.func = *f;
      }
      return x;
    };
    for (auto& d : t.decls) {
      switch (d.kind) {
        case CoreModuleDeclAst::Kind::kType: {
          auto r = ConvertCoreType(st, *d.type);
          if (!r) return r.error();
          types.push_back(*r);
          break;
        }
        case CoreModuleDeclAst::Kind::kAlias: {
          // outer core type alias: ct = 1 is the enclosing component's core type space.
          if (d.outer_count != 1)
            return Invalid("invalid outer alias count of " + N(d.outer_count));
          LOKUST_CM_TRY(Bounds(st.info->core_types, d.outer_index, "core type"));
          auto& ct = st.info->core_types[d.outer_index];
          if (ct.kind == CoreTypeEntry::Kind::kModule)
            return Invalid("cannot alias a module type into a module type");
          types.push_back(ct);
          break;
        }
        case CoreModuleDeclAst::Kind::kImport: {
          auto x = desc_type(d.desc);
          if (!x) return x.error();
          std::string key = d.module + ":" + d.name;
          if (!import_names.insert(key).second)
            return Invalid("duplicate import name " + Q(key) + " already defined");
          mt->imports.push_back(CoreImportDecl{d.module, d.name, *x});
          break;
        }
        case CoreModuleDeclAst::Kind::kExport: {
          auto x = desc_type(d.desc);
          if (!x) return x.error();
          if (!export_names.insert(d.name).second)
            return Invalid("export name " + Q(d.name) + " already defined");
          mt->exports.push_back(CoreExportDecl{d.name, *x});
          break;
        }
      }
    }
    mt->Reindex();
    e.kind = CoreTypeEntry::Kind::kModule;
    e.module = mt;
    return e;
  }

  // ---- aliases ----

  Result<void> ValidateAlias(State& st, const AliasAst& a) {
    auto& in = *st.info;
    switch (a.target) {
      case AliasAst::Target::kExport: {
        if (a.instance >= in.instances.size())
          return Invalid("unknown instance " + N(a.instance) + ": instance index out of bounds");
        auto& it = in.instances[a.instance];
        auto* ex = it->FindExport(a.name);
        if (!ex) return Invalid("instance " + N(a.instance) + " has no export named " + Q(a.name));
        ExternKind want = ExternKind::kFunc;
        switch (a.sort.kind) {
          case SortKind::kCore:
            if (a.sort.core != CoreSort::kModule)
              return Invalid("export " + Q(a.name) + " for instance " + N(a.instance) +
                             " is not a " + CoreSortName(a.sort.core));
            want = ExternKind::kModule;
            break;
          case SortKind::kFunc:
            want = ExternKind::kFunc;
            break;
          case SortKind::kValue:
            want = ExternKind::kValue;
            break;
          case SortKind::kType:
            want = ExternKind::kType;
            break;
          case SortKind::kComponent:
            want = ExternKind::kComponent;
            break;
          case SortKind::kInstance:
            want = ExternKind::kInstance;
            break;
        }
        if (ex->type.kind != want)
          return Invalid("export " + Q(a.name) + " for instance " + N(a.instance) + " is not a " +
                         ExternKindName(want));
        AddToIndexSpace(st, ex->type);
        return {};
      }
      case AliasAst::Target::kCoreExport: {
        if (a.instance >= in.core_instances.size())
          return Invalid("unknown core instance " + N(a.instance) +
                         ": instance index out of bounds");
        auto* ex = in.core_instances[a.instance]->FindExport(a.name);
        if (!ex)
          return Invalid("core instance " + N(a.instance) + " has no export named " + Q(a.name));
        CoreExternKind want;
        switch (a.sort.core) {
          case CoreSort::kFunc:
            want = CoreExternKind::kFunc;
            break;
          case CoreSort::kTable:
            want = CoreExternKind::kTable;
            break;
          case CoreSort::kMemory:
            want = CoreExternKind::kMemory;
            break;
          case CoreSort::kGlobal:
            want = CoreExternKind::kGlobal;
            break;
          case CoreSort::kTag:
            want = CoreExternKind::kTag;
            break;
          default:
            return Invalid(std::string("core export alias of a ") + CoreSortName(a.sort.core) +
                           " is not supported");
        }
        if (ex->type.kind != want)
          return Invalid("export " + Q(a.name) + " for core instance " + N(a.instance) +
                         " is not a " + CoreExternKindName(want));
        AddCore(st, ex->type);
        return {};
      }
      case AliasAst::Target::kOuter: {
        State* target = &st;
        bool crosses_component = false;
        for (uint32_t i = 0; i < a.count; ++i) {
          if (target->kind == ScopeKind::kComponent) crosses_component = true;
          target = target->parent;
          if (!target) return Invalid("invalid outer alias count of " + N(a.count));
        }
        auto& tin = *target->info;
        if (a.sort.kind == SortKind::kType) {
          if (a.index >= tin.types.size())
            return Invalid("unknown type " + N(a.index) + ": type index out of bounds");
          const TypeEntry& te = tin.types[a.index];
          if (crosses_component) {
            std::set<const ResourceType*> used;
            CollectUsedResources(te, used);
            if (!used.empty())
              return Invalid(
                  "cannot alias outer type which transitively refers to resources "
                  "not defined in the current component");
          }
          in.types.push_back(te);
          return {};
        }
        if (a.sort.kind == SortKind::kComponent) {
          if (a.index >= tin.components.size())
            return Invalid("unknown component " + N(a.index) + ": component index out of bounds");
          in.components.push_back(tin.components[a.index]);
          return {};
        }
        if (a.sort.kind == SortKind::kCore && a.sort.core == CoreSort::kModule) {
          if (a.index >= tin.core_modules.size())
            return Invalid("unknown module " + N(a.index) + ": module index out of bounds");
          in.core_modules.push_back(tin.core_modules[a.index]);
          return {};
        }
        if (a.sort.kind == SortKind::kCore && a.sort.core == CoreSort::kType) {
          if (a.index >= tin.core_types.size())
            return Invalid("unknown core type " + N(a.index) + ": type index out of bounds");
          in.core_types.push_back(tin.core_types[a.index]);
          return {};
        }
        return Invalid("outer aliases may only refer to types, modules or components");
      }
    }
    return {};
  }

  void AddCore(State& st, const CoreExternType& t) {
    auto& in = *st.info;
    switch (t.kind) {
      case CoreExternKind::kFunc:
        in.core_funcs.push_back(t.func);
        break;
      case CoreExternKind::kTable:
        in.core_tables.push_back(t);
        break;
      case CoreExternKind::kMemory:
        in.core_memories.push_back(t);
        break;
      case CoreExternKind::kGlobal:
        in.core_globals.push_back(t);
        break;
      case CoreExternKind::kTag:
        in.core_tags.push_back(t);
        break;
    }
  }

  // ---- sortidx resolution ----

  Result<CoreExternType> ResolveCoreSortIdx(State& st, CoreSort s, uint32_t i) {
    auto& in = *st.info;
    switch (s) {
      case CoreSort::kFunc:
        LOKUST_CM_TRY(Bounds(in.core_funcs, i, "function"));
        return CoreExternType{CoreExternKind::kFunc, in.core_funcs[i], {}, {}, false};
      case CoreSort::kTable:
        LOKUST_CM_TRY(Bounds(in.core_tables, i, "table"));
        return in.core_tables[i];
      case CoreSort::kMemory:
        LOKUST_CM_TRY(Bounds(in.core_memories, i, "memory"));
        return in.core_memories[i];
      case CoreSort::kGlobal:
        LOKUST_CM_TRY(Bounds(in.core_globals, i, "global"));
        return in.core_globals[i];
      case CoreSort::kTag:
        LOKUST_CM_TRY(Bounds(in.core_tags, i, "tag"));
        return in.core_tags[i];
      default:
        return Invalid(std::string("a ") + CoreSortName(s) +
                       " cannot be exported from a core instance");
    }
  }

  Result<ExternType> ResolveSortIdx(State& st, const SortIdx& si) {
    auto& in = *st.info;
    ExternType e;
    switch (si.sort.kind) {
      case SortKind::kCore:
        if (si.sort.core != CoreSort::kModule)
          return Invalid(std::string(CoreSortName(si.sort.core)) +
                         " is not a valid component-level item");
        if (si.idx >= in.core_modules.size())
          return Invalid("unknown module " + N(si.idx) + ": module index out of bounds");
        e.kind = ExternKind::kModule;
        e.module = in.core_modules[si.idx];
        return e;
      case SortKind::kFunc:
        if (si.idx >= in.funcs.size())
          return Invalid("unknown function " + N(si.idx) + ": function index out of bounds");
        e.kind = ExternKind::kFunc;
        e.func = in.funcs[si.idx];
        return e;
      case SortKind::kValue:
        if (si.idx >= in.values.size())
          return Invalid("unknown value " + N(si.idx) + ": value index out of bounds");
        e.kind = ExternKind::kValue;
        e.value = in.values[si.idx];
        return e;
      case SortKind::kType:
        if (si.idx >= in.types.size())
          return Invalid("unknown type " + N(si.idx) + ": type index out of bounds");
        e.kind = ExternKind::kType;
        e.type = in.types[si.idx];
        return e;
      case SortKind::kComponent:
        if (si.idx >= in.components.size())
          return Invalid("unknown component " + N(si.idx) + ": component index out of bounds");
        e.kind = ExternKind::kComponent;
        e.component = in.components[si.idx];
        return e;
      case SortKind::kInstance:
        if (si.idx >= in.instances.size())
          return Invalid("unknown instance " + N(si.idx) + ": instance index out of bounds");
        e.kind = ExternKind::kInstance;
        e.instance = in.instances[si.idx];
        return e;
    }
    return e;
  }

  // ---- canon ----

  struct Opts {
    std::optional<uint32_t> memory, realloc, post_return, callback;
    bool has_encoding = false;
    bool async = false;
  };

  Result<Opts> CheckOpts(State& st, const std::vector<CanonOptAst>& opts) {
    Opts o;
    auto& in = *st.info;
    static const char* const kEnc[] = {"utf8", "utf16", "latin1-utf16"};
    uint8_t enc = 0;
    for (auto& op : opts) {
      switch (op.code) {
        case 0x00:
        case 0x01:
        case 0x02:
          if (o.has_encoding)
            return Invalid(std::string("canonical encoding option `") + kEnc[enc] +
                           "` conflicts with option `" + kEnc[op.code] + "`");
          o.has_encoding = true;
          enc = op.code;
          break;
        case 0x03:
          if (o.memory) return Invalid("canonical option `memory` is specified more than once");
          LOKUST_CM_TRY(Bounds(in.core_memories, op.index, "memory"));
          o.memory = op.index;
          break;
        case 0x04: {
          if (o.realloc) return Invalid("canonical option `realloc` is specified more than once");
          LOKUST_CM_TRY(Bounds(in.core_funcs, op.index, "function"));
          CoreFuncType want{{kI32, kI32, kI32, kI32}, {kI32}};
          if (!(in.core_funcs[op.index] == want))
            return Invalid(
                "canonical option `realloc` uses a core function with an incorrect "
                "signature: expected " +
                CoreFuncTypeToString(want));
          o.realloc = op.index;
          break;
        }
        case 0x05:
          if (o.post_return)
            return Invalid("canonical option `post-return` is specified more than once");
          LOKUST_CM_TRY(Bounds(in.core_funcs, op.index, "function"));
          o.post_return = op.index;
          break;
        case 0x06:
          o.async = true;
          break;
        case 0x07:
          LOKUST_CM_TRY(Bounds(in.core_funcs, op.index, "function"));
          o.callback = op.index;
          break;
        default:
          break;
      }
    }
    if (o.realloc && !o.memory)
      return Invalid("canonical option `realloc` requires `memory` to also be specified");
    return o;
  }

  Result<void> ValidateCanon(State& st, const CanonDef& c) {
    auto& in = *st.info;
    switch (c.op) {
      case 0x00: {  // lift
        LOKUST_CM_TRY(Bounds(in.core_funcs, c.func, "function"));
        auto t = GetType(st, c.type);
        if (!t) return t.error();
        if (t->kind != TypeEntry::Kind::kFunc)
          return Invalid("type index " + N(c.type) + " is not a function type");
        auto o = CheckOpts(st, c.opts);
        if (!o) return o.error();
        const FuncType& ft = *t->func;
        bool params_mem = false, results_mem = false;
        for (auto& p : ft.params) params_mem |= needs_memory(p.type);
        if (ft.result) results_mem = needs_memory(ft.result);
        auto flat_p = flatten_types(ft.param_types());
        auto flat_r = flatten_types(ft.result_types());
        if (o->async) {
          results_mem = false;
          flat_r.clear();
        }
        if ((params_mem || flat_p.size() > MAX_FLAT_PARAMS || results_mem ||
             flat_r.size() > MAX_FLAT_RESULTS) &&
            !o->memory)
          return Invalid("canonical option `memory` is required");
        if ((params_mem || flat_p.size() > MAX_FLAT_PARAMS) && !o->realloc)
          return Invalid("canonical option `realloc` is required");
        if (!o->async) {
          CoreFuncType want = flatten_functype(ft, FlattenContext::kLift);
          const CoreFuncType& have = in.core_funcs[c.func];
          auto list = [](const std::vector<CoreValType>& v) {
            std::string s = "[";
            for (size_t i = 0; i < v.size(); ++i) {
              std::string n = CoreValTypeName(v[i]);
              if (!n.empty()) n[0] = static_cast<char>(std::toupper(n[0]));
              s += (i ? ", " : "") + n;
            }
            return s + "]";
          };
          if (!have.any && want.params != have.params)
            return Invalid("type mismatch: lowered parameter types `" + list(want.params) +
                           "` do not match parameter types `" + list(have.params) +
                           "` of core function " + N(c.func));
          if (!have.any && want.results != have.results)
            return Invalid("type mismatch: lowered result types `" + list(want.results) +
                           "` do not match result types `" + list(have.results) +
                           "` of core function " + N(c.func));
          if (o->post_return) {
            CoreFuncType pr{want.results, {}};
            if (!(in.core_funcs[*o->post_return] == pr))
              return Invalid(
                  "type mismatch: canonical option `post-return` uses a core "
                  "function with an incorrect signature: expected " +
                  CoreFuncTypeToString(pr));
          }
        }
        in.funcs.push_back(t->func);
        return {};
      }
      case 0x01: {  // lower
        if (c.func >= in.funcs.size())
          return Invalid("unknown function " + N(c.func) + ": function index out of bounds");
        auto o = CheckOpts(st, c.opts);
        if (!o) return o.error();
        const FuncType& ft = *in.funcs[c.func];
        bool params_mem = false, results_mem = false;
        for (auto& p : ft.params) params_mem |= needs_memory(p.type);
        if (ft.result) results_mem = needs_memory(ft.result);
        auto flat_p = flatten_types(ft.param_types());
        auto flat_r = flatten_types(ft.result_types());
        if ((params_mem || flat_p.size() > MAX_FLAT_PARAMS || results_mem ||
             flat_r.size() > MAX_FLAT_RESULTS) &&
            !o->memory)
          return Invalid("canonical option `memory` is required");
        if (results_mem && !o->realloc && !o->async)
          return Invalid("canonical option `realloc` is required");
        if (o->post_return)
          return Invalid("canonical option `post-return` cannot be specified for lowerings");
        if (o->async) {
          // Async lower: at most 4 flat params (else a pointer), an out-pointer for the
          // result, and an i32 status result.
          CoreFuncType ct;
          ct.params = flat_p.size() > 4 ? std::vector<CoreValType>{kI32} : flat_p;
          if (ft.result) ct.params.push_back(kI32);
          ct.results = {kI32};
          in.core_funcs.push_back(ct);
          return {};
        }
        in.core_funcs.push_back(flatten_functype(ft, FlattenContext::kLower));
        return {};
      }
      case 0x02:
      case 0x03:
      case 0x04: {
        auto r = GetResource(st, c.type);
        if (!r) return r.error();
        if (c.op != 0x03 && !st.local.count(r->get()))
          return Invalid("type index " + N(c.type) + " is not a local resource");
        if (c.op == 0x03)
          in.core_funcs.push_back(CoreFuncType{{kI32}, {}});
        else
          in.core_funcs.push_back(CoreFuncType{{kI32}, {kI32}});
        return {};
      }
      default: {
        // Async and thread built-ins: decoded, given a placeholder core function type.
        if (!c.opts.empty()) {
          auto o = CheckOpts(st, c.opts);
          if (!o) return o.error();
        }
        CoreFuncType placeholder;
        placeholder.any = true;
        in.core_funcs.push_back(placeholder);
        return {};
      }
    }
  }

  // ---- definitions ----

  Result<void> ValidateDefinition(State& st, const Definition& d) {
    auto& in = *st.info;
    if (auto* m = std::get_if<CoreModuleDef>(&d.def)) {
      auto mt = ReadCoreModuleType(m->bytes, m->offset);
      if (!mt) return mt.error();
      if (options_.validate_core_module) {
        auto cv = options_.validate_core_module(m->bytes);
        if (!cv) {
          Error e = cv.error();
          if (e.offset == 0) e.offset = m->offset;
          return e;
        }
      }
      std::set<std::string> seen;
      for (auto& im : mt->imports) {
        std::string key = im.module + ":" + im.field;
        if (!seen.insert(key).second) return Invalid("duplicate import name " + Q(key));
      }
      std::set<std::string> ex;
      for (auto& e : mt->exports)
        if (!ex.insert(e.name).second) return Invalid("duplicate export name " + Q(e.name));
      mt->Reindex();
      in.core_modules.push_back(std::make_shared<ModuleType>(std::move(*mt)));
      return {};
    }
    if (auto* ci = std::get_if<CoreInstanceDef>(&d.def)) {
      auto it = std::make_shared<CoreInstanceType>();
      if (ci->instantiate) {
        if (ci->module >= in.core_modules.size())
          return Invalid("unknown module " + N(ci->module) + ": module index out of bounds");
        const ModuleType& mt = *in.core_modules[ci->module];
        std::map<std::string, uint32_t> args;
        for (auto& [name, idx] : ci->args) {
          if (idx >= in.core_instances.size())
            return Invalid("unknown core instance " + N(idx) + ": instance index out of bounds");
          if (!args.emplace(name, idx).second)
            return Invalid("duplicate module instantiation argument named " + Q(name));
        }
        for (auto& im : mt.imports) {
          auto a = args.find(im.module);
          if (a == args.end())
            return Invalid("missing module instantiation argument named " + Q(im.module));
          auto* ex = in.core_instances[a->second]->FindExport(im.field);
          if (!ex)
            return Invalid("module instantiation argument " + Q(im.module) +
                           " does not export an item named " + Q(im.field));
          auto r = CoreExternSubtype(ex->type, im.type);
          if (!r)
            return Invalid(r.error().message + " (import " + Q(im.module + "::" + im.field) + ")");
        }
        it->exports = mt.exports;
      } else {
        std::set<std::string> seen;
        for (auto& [name, si] : ci->exports) {
          if (!seen.insert(name).second)
            return Invalid("export name " + Q(name) + " already defined");
          auto t = ResolveCoreSortIdx(st, si.first, si.second);
          if (!t) return t.error();
          it->exports.push_back(CoreExportDecl{name, *t});
        }
      }
      it->Reindex();
      in.core_instances.push_back(it);
      return {};
    }
    if (auto* ct = std::get_if<std::shared_ptr<CoreTypeAst>>(&d.def)) {
      auto r = ConvertCoreType(st, **ct);
      if (!r) return r.error();
      in.core_types.push_back(*r);
      return {};
    }
    if (auto* cd = std::get_if<ComponentDef>(&d.def)) {
      Validator inner(options_);
      auto r = inner.ValidateTop(*cd->component, &st);
      if (!r) return r.error();
      in.components.push_back((*r)->type);
      in.nested.push_back(*r);
      return {};
    }
    if (auto* inst = std::get_if<InstanceDef>(&d.def)) return ValidateInstance(st, *inst);
    if (auto* a = std::get_if<AliasAst>(&d.def)) return ValidateAlias(st, *a);
    if (auto* t = std::get_if<std::shared_ptr<TypeDefAst>>(&d.def)) {
      auto r = ConvertTypeDef(st, **t);
      if (!r) return r.error();
      in.types.push_back(*r);
      return {};
    }
    if (auto* c = std::get_if<CanonDef>(&d.def)) return ValidateCanon(st, *c);
    if (auto* s = std::get_if<StartDef>(&d.def)) {
      if (s->func >= in.funcs.size())
        return Invalid("unknown function " + N(s->func) + ": function index out of bounds");
      const FuncType& ft = *in.funcs[s->func];
      if (s->args.size() != ft.params.size())
        return Invalid("component start function requires " + N(ft.params.size()) +
                       " arguments but was given " + N(s->args.size()));
      for (size_t i = 0; i < s->args.size(); ++i) {
        LOKUST_CM_TRY(Bounds(in.values, s->args[i], "value"));
        LOKUST_CM_TRY(ValSubtype(in.values[s->args[i]], ft.params[i].type, ""));
      }
      if (s->results != (ft.result ? 1u : 0u))
        return Invalid("component start function has a result count mismatch");
      if (ft.result) in.values.push_back(ft.result);
      return {};
    }
    if (auto* im = std::get_if<ImportDef>(&d.def)) {
      auto e = ConvertExternDesc(st, im->desc, im->name.name);
      if (!e) return e.error();
      ExternType et = Freshen(*e, im->name.name);
      if (!im->desc.sub_resource) et = NamedCopy(et, im->name.name);
      LOKUST_CM_TRY(CheckVisible(st, et, true));
      NameResources(st, et, im->name.name, true);
      LOKUST_CM_TRY(CheckExternName(st, im->name, et, true));
      AddToIndexSpace(st, et);
      st.imports.push_back(ExternDecl{im->name, et});
      return {};
    }
    if (auto* ex = std::get_if<ExportDef>(&d.def)) {
      auto e = ResolveSortIdx(st, ex->item);
      if (!e) return e.error();
      ExternType et = *e;
      if (ex->desc) {
        auto asc = ConvertExternDesc(st, *ex->desc, ex->name.name);
        if (!asc) return asc.error();
        ExternType want = *asc;
        if (want.kind == ExternKind::kType && ex->desc->sub_resource) {
          // (export "r" (type $r) (type (sub resource))): re-export as an abstract resource
          if (et.type.kind != TypeEntry::Kind::kResource)
            return Invalid("type mismatch: expected resource, found defined type");
          // A fresh abstract resource: outside, it is unequal to every other type.
          want = et;
          want.type.resource = NewResourceType(ex->name.name, false);
        } else {
          ResourceMap m;
          auto r = ExternSubtypeImpl(et, want, m);
          if (!r)
            return Invalid("ascribed type of export is not compatible with item's type: " +
                           r.error().message);
        }
        et = want;
      }
      if (!(ex->desc && ex->desc->sub_resource)) et = NamedCopy(et, ex->name.name);
      LOKUST_CM_TRY(CheckVisible(st, et, false));
      NameResources(st, et, ex->name.name, false);
      LOKUST_CM_TRY(CheckExternName(st, ex->name, et, false));
      AddToIndexSpace(st, et);
      st.exports.push_back(ExternDecl{ex->name, et});
      return {};
    }
    if (auto* v = std::get_if<ValueDef>(&d.def)) {
      auto t = ResolveValType(st, v->type);
      if (!t) return t.error();
      in.values.push_back(*t);
      return {};
    }
    return {};
  }

  Result<void> ValidateInstance(State& st, const InstanceDef& inst) {
    auto& in = *st.info;
    auto it = std::make_shared<InstanceType>();
    if (inst.instantiate) {
      if (inst.component >= in.components.size())
        return Invalid("unknown component " + N(inst.component) +
                       ": component index out of bounds");
      const ComponentType& ct = *in.components[inst.component];
      std::map<std::string, ExternType> args;
      std::map<std::string, std::string> arg_keys;
      for (auto& [name, si] : inst.args) {
        auto e = ResolveSortIdx(st, si);
        if (!e) return e.error();
        std::string key = Lower(name);
        auto prev = arg_keys.find(key);
        if (prev != arg_keys.end())
          return Invalid("instantiation argument " + Q(name) +
                         " conflicts with previous argument " + Q(prev->second));
        arg_keys[key] = name;
        args[name] = *e;
      }
      // Abstract resources of the component's imports get bound to the arguments' types.
      ResourceMap m;
      for (auto& im : ct.imports) {
        auto a = args.find(im.name.name);
        if (a == args.end()) return Invalid("missing import named " + Q(im.name.name));
        if (im.type.kind == ExternKind::kType && a->second.kind == ExternKind::kType &&
            im.type.type.kind == TypeEntry::Kind::kResource && !im.type.type.resource->alias_of &&
            a->second.type.kind != TypeEntry::Kind::kResource)
          return Invalid("type mismatch for import " + Q(im.name.name) +
                         ": expected resource, found " + TypeEntryKindName(a->second.type.kind));
        ExternType expected_before = Subst(im.type, m);
        BindDeclared(im.type, a->second, m);
        ExternType expected = Subst(im.type, m);
        if (expected.kind == ExternKind::kType && expected.type.kind == TypeEntry::Kind::kDefined)
          expected = expected_before;  // compare the defined type structurally
        auto r = ExternSubtypeImpl(a->second, expected, m);
        if (!r) {
          std::string msg = r.error().message;
          if (msg.rfind("type mismatch", 0) == 0 && msg.find("expected") != std::string::npos &&
              msg.find(" found ") != std::string::npos && msg.find(':') != std::string::npos) {
            // keep
          }
          return Invalid(msg + " (for import " + Q(im.name.name) + ")");
        }
      }
      // Resources the component defines or declares in its exports are fresh per
      // instantiation (resource types are generative).
      for (auto& ex : ct.exports) {
        std::set<const ResourceType*> used;
        CollectUsedResources(ex.type, used);
        std::vector<ResourceTypePtr> declared;
        CollectDeclaredResources(ex.type, declared);
        for (auto& r : declared) used.insert(r.get());
        for (auto* r : used) {
          const ResourceType* root = ResourceRoot(r);
          if (!m.count(root)) m[root] = NewResourceType(r->name, false);
        }
      }
      for (auto& ex : ct.exports) it->exports.push_back(ExternDecl{ex.name, Subst(ex.type, m)});
    } else {
      State scratch;  // names of an inline instance are checked in their own scope
      for (auto& [name, si] : inst.exports) {
        auto e = ResolveSortIdx(st, si);
        if (!e) return e.error();
        // Like component exports, a bag-of-exports type export is a new name for the type.
        ExternType et = NamedCopy(*e, name.name);
        NameResources(scratch, et, name.name, false);
        LOKUST_CM_TRY(CheckExternName(scratch, name, et, false));
        it->exports.push_back(ExternDecl{name, et});
      }
    }
    LOKUST_CM_TRY(SetDepth(*it, {&it->exports}));
    in.instances.push_back(it);
    return {};
  }
};

}  // namespace

Result<std::shared_ptr<ComponentInfo>> ValidateComponent(const ComponentAst& ast,
                                                         const ValidateOptions& options) {
  Validator v(options);
  return v.ValidateTop(ast, nullptr);
}

Result<std::shared_ptr<ComponentInfo>> DecodeAndValidate(std::span<const uint8_t> bytes,
                                                         const ValidateOptions& options) {
  auto ast = DecodeComponent(bytes);
  if (!ast) return ast.error();
  return ValidateComponent(**ast, options);
}

Result<void> CheckExternSubtype(const ExternType& actual, const ExternType& expected) {
  ResourceMap m;
  return ExternSubtypeImpl(actual, expected, m);
}

ExternType SubstituteResources(
    const ExternType& e, const std::unordered_map<const ResourceType*, ResourceTypePtr>& map) {
  ResourceMap m;
  for (auto& [from, to] : map) m[ResourceRoot(from)] = to;
  return Subst(e, m);
}

}  // namespace lokust::component
