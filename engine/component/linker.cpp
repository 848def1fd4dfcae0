// Linker: see linker.h.
#include "engine/component/linker.h"

namespace lokust::component {
namespace {

std::string Q(std::string_view s) { return "`" + std::string(s) + "`"; }

using Bindings = std::unordered_map<const ResourceType*, ResourceTypePtr>;

Result<void> CheckFunc(const HostFuncDef& def, const ExternType& import_type, const Bindings& b,
                       const std::string& what) {
  if (!def.type) return {};  // typed by the import; values are checked at call time
  ExternType host;
  host.kind = ExternKind::kFunc;
  host.func = def.type;
  ExternType want = SubstituteResources(import_type, b);
  auto r = CheckExternSubtype(host, want);
  if (!r) return LinkError(what + " has the wrong type: " + r.error().message);
  return {};
}

// Binds the resources an imported instance type declares, then checks its functions.
Result<void> ResolveInstance(const LinkerInstance& li, const InstanceType& it,
                             const std::string& path, Bindings& b) {
  for (auto& e : it.exports) {
    const std::string& n = e.name.name;
    if (e.type.kind == ExternKind::kType && e.type.type.kind == TypeEntry::Kind::kResource &&
        !e.type.type.resource->alias_of) {
      ResourceTypePtr host = li.FindResource(n);
      if (!host)
        return LinkError("instance " + Q(path) + " imports resource " + Q(n) +
                         ", but the linker does not define it");
      b[e.type.type.resource.get()] = host;
    } else if (e.type.kind == ExternKind::kInstance) {
      const LinkerInstance* inner = li.FindInstance(n);
      if (!inner)
        return LinkError("instance " + Q(path) + " imports instance " + Q(n) +
                         ", but the linker does not define it");
      LOKUST_CM_TRY(ResolveInstance(*inner, *e.type.instance, path + "/" + n, b));
    }
  }
  for (auto& e : it.exports) {
    const std::string& n = e.name.name;
    if (e.type.kind != ExternKind::kFunc) {
      if (e.type.kind == ExternKind::kType || e.type.kind == ExternKind::kInstance) continue;
      return LinkError("instance " + Q(path) + " export " + Q(n) + ": imports of kind " +
                       ExternKindName(e.type.kind) + " are not supported by the linker");
    }
    const HostFuncDef* f = li.FindFunc(n);
    if (!f)
      return LinkError("instance " + Q(path) + " imports function " + Q(n) +
                       ", but the linker does not define it");
    LOKUST_CM_TRY(CheckFunc(*f, e.type, b, "function " + Q(n) + " of instance " + Q(path)));
  }
  return {};
}

}  // namespace

Result<void> LinkerInstance::DefineFunc(std::string_view name, HostFunc fn, FuncTypePtr type) {
  if (funcs_.count(name) || resources_.count(name) || instances_.count(name))
    return LinkError("the linker already defines " + Q(name));
  funcs_.emplace(std::string(name), HostFuncDef{std::move(fn), std::move(type)});
  return {};
}

Result<ResourceTypePtr> LinkerInstance::DefineResource(std::string_view name) {
  if (funcs_.count(name) || resources_.count(name) || instances_.count(name))
    return LinkError("the linker already defines " + Q(name));
  auto rt = NewResourceType(std::string(name), false);
  resources_.emplace(std::string(name), rt);
  return rt;
}

LinkerInstance& LinkerInstance::Instance(std::string_view name) {
  auto it = instances_.find(name);
  if (it != instances_.end()) return *it->second;
  auto& slot = instances_[std::string(name)];
  slot = std::make_unique<LinkerInstance>();
  return *slot;
}

const HostFuncDef* LinkerInstance::FindFunc(std::string_view name) const {
  auto it = funcs_.find(name);
  return it == funcs_.end() ? nullptr : &it->second;
}
ResourceTypePtr LinkerInstance::FindResource(std::string_view name) const {
  auto it = resources_.find(name);
  return it == resources_.end() ? nullptr : it->second;
}
const LinkerInstance* LinkerInstance::FindInstance(std::string_view name) const {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : it->second.get();
}

Result<Resolution> Linker::Resolve(const ComponentInfo& component) const {
  Resolution out;
  if (!component.type) return LinkError("component has no type (not validated)");
  for (auto& im : component.type->imports) {
    const std::string& n = im.name.name;
    ResolvedImport r;
    r.name = n;
    switch (im.type.kind) {
      case ExternKind::kFunc: {
        r.func = root_.FindFunc(n);
        if (!r.func)
          return LinkError("component imports function " + Q(n) +
                           ", but the linker does not define it");
        LOKUST_CM_TRY(CheckFunc(*r.func, im.type, out.resources, "function " + Q(n)));
        break;
      }
      case ExternKind::kInstance: {
        r.instance = root_.FindInstance(n);
        if (!r.instance)
          return LinkError("component imports instance " + Q(n) +
                           ", but the linker does not define it");
        LOKUST_CM_TRY(ResolveInstance(*r.instance, *im.type.instance, n, out.resources));
        break;
      }
      case ExternKind::kType: {
        if (im.type.type.kind == TypeEntry::Kind::kResource && !im.type.type.resource->alias_of) {
          r.resource = root_.FindResource(n);
          if (!r.resource)
            return LinkError("component imports resource " + Q(n) +
                             ", but the linker does not define it");
          out.resources[im.type.type.resource.get()] = r.resource;
        }
        break;
      }
      default:
        return LinkError("component import " + Q(n) + ": imports of kind " +
                         ExternKindName(im.type.kind) + " are not supported by the linker");
    }
    out.imports.push_back(std::move(r));
  }
  return out;
}

}  // namespace lokust::component
