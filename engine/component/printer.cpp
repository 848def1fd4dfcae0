// See printer.h.
#include "engine/component/printer.h"

#include <map>
#include <set>

#include "engine/component/names.h"

namespace lokust::component {
namespace {

std::string Pad(int n) { return std::string(static_cast<size_t>(n) * 2, ' '); }

std::string TypeEntryText(const TypeEntry& t) {
  switch (t.kind) {
    case TypeEntry::Kind::kResource:
      return "resource";
    case TypeEntry::Kind::kDefined:
      return ValTypeToString(t.defined, true);
    case TypeEntry::Kind::kFunc:
      return FuncTypeToString(*t.func);
    case TypeEntry::Kind::kInstance:
      return "interface";
    case TypeEntry::Kind::kComponent:
      return "component";
  }
  return "?";
}

std::string NameText(const ExternName& n) {
  std::string s = n.name;
  if (n.implements) s += " (implements " + *n.implements + ")";
  return s;
}

std::string ComponentBody(const ComponentType& ct, int indent);
std::string ExternText(const ExternDecl& d, int indent);

// A function without its `self` parameter, as WIT writes methods: `func(x: u32) -> r`.
std::string MethodText(const FuncType& ft, bool drop_self) {
  if (!drop_self || ft.params.empty()) return FuncTypeToString(ft);
  FuncType m = ft;
  m.params.erase(m.params.begin());
  return FuncTypeToString(m);
}

// The exports of an interface, with `[constructor]r`, `[method]r.m` and `[static]r.m`
// functions grouped under `resource r { ... }` as WIT writes them.
std::string InterfaceBody(const std::vector<ExternDecl>& items, int indent) {
  std::map<std::string, std::vector<std::pair<ParsedName, const ExternDecl*>>> members;
  std::set<std::string> resources;
  for (auto& x : items)
    if (x.type.kind == ExternKind::kType && x.type.type.kind == TypeEntry::Kind::kResource)
      resources.insert(x.name.name);
  std::set<const ExternDecl*> grouped;
  for (auto& x : items) {
    if (x.type.kind != ExternKind::kFunc) continue;
    auto pn = ParseExternName(x.name.name, true);
    if (!pn.ok()) continue;
    bool member = pn->kind == ParsedName::Kind::kConstructor ||
                  pn->kind == ParsedName::Kind::kMethod || pn->kind == ParsedName::Kind::kStatic;
    if (member && resources.count(pn->resource)) {
      members[pn->resource].emplace_back(*pn, &x);
      grouped.insert(&x);
    }
  }
  std::string s;
  for (auto& x : items) {
    if (grouped.count(&x)) continue;
    bool is_resource =
        x.type.kind == ExternKind::kType && x.type.type.kind == TypeEntry::Kind::kResource;
    auto it = members.find(x.name.name);
    if (!is_resource || it == members.end()) {
      s += ExternText(x, indent) + "\n";
      continue;
    }
    s += Pad(indent) + "resource " + NameText(x.name) + " {\n";
    for (auto& [pn, d] : it->second) {
      const FuncType& ft = *d->type.func;
      std::string async = pn.async ? "async " : "";
      if (pn.kind == ParsedName::Kind::kConstructor) {
        std::string f = FuncTypeToString(ft);  // "func(params) -> own"
        size_t open = f.find('('), close = f.find(')');
        s += Pad(indent + 1) + "constructor" + f.substr(open, close - open + 1) + ";\n";
      } else if (pn.kind == ParsedName::Kind::kMethod) {
        s += Pad(indent + 1) + pn.label + ": " + async + MethodText(ft, true) + ";\n";
      } else {
        s += Pad(indent + 1) + pn.label + ": static " + async + MethodText(ft, false) + ";\n";
      }
    }
    s += Pad(indent) + "}\n";
  }
  return s;
}

std::string ExternText(const ExternDecl& d, int indent) {
  const ExternType& e = d.type;
  std::string head = Pad(indent) + NameText(d.name) + ": ";
  switch (e.kind) {
    case ExternKind::kFunc:
      return head + FuncTypeToString(*e.func) + ";";
    case ExternKind::kValue:
      return head + "value " + ValTypeToString(e.value) + ";";
    case ExternKind::kType:
      if (e.type.kind == TypeEntry::Kind::kResource)
        return Pad(indent) + "resource " + NameText(d.name) + ";";
      return Pad(indent) + "type " + NameText(d.name) + " = " + TypeEntryText(e.type) + ";";
    case ExternKind::kModule: {
      std::string s = head + "core module {\n";
      for (auto& i : e.module->imports)
        s += Pad(indent + 1) + "import " + i.module + " " + i.field + ": " +
             (i.type.kind == CoreExternKind::kFunc ? CoreFuncTypeToString(i.type.func)
                                                   : CoreExternKindName(i.type.kind)) +
             ";\n";
      for (auto& x : e.module->exports)
        s += Pad(indent + 1) + "export " + x.name + ": " +
             (x.type.kind == CoreExternKind::kFunc ? CoreFuncTypeToString(x.type.func)
                                                   : CoreExternKindName(x.type.kind)) +
             ";\n";
      return s + Pad(indent) + "}";
    }
    case ExternKind::kInstance: {
      if (e.instance->exports.empty()) return head + "interface {}";
      return head + "interface {\n" + InterfaceBody(e.instance->exports, indent + 1) + Pad(indent) +
             "}";
    }
    case ExternKind::kComponent:
      return head + "component {\n" + ComponentBody(*e.component, indent + 1) + Pad(indent) + "}";
  }
  return head + "?";
}

std::string ComponentBody(const ComponentType& ct, int indent) {
  std::string s;
  size_t pad = Pad(indent).size();
  for (auto& i : ct.imports)
    s += Pad(indent) + "import " + ExternText(i, indent).substr(pad) + "\n";
  for (auto& x : ct.exports)
    s += Pad(indent) + "export " + ExternText(x, indent).substr(pad) + "\n";
  return s;
}

}  // namespace

std::string PrintExternDecl(const ExternDecl& decl, int indent) { return ExternText(decl, indent); }

std::string PrintComponentWit(const ComponentType& type) { return ComponentBody(type, 0); }

std::string PrintComponentWit(const ComponentInfo& info) {
  if (!info.type) return "";
  return PrintComponentWit(*info.type);
}

}  // namespace lokust::component

namespace lokust::component {

Result<std::string> InspectComponent(std::span<const uint8_t> bytes) {
  auto r = DecodeAndValidate(bytes);
  if (!r) return r.error();
  return PrintComponentWit(**r);
}

}  // namespace lokust::component
