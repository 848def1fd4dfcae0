// Linker: see linker.h.
#include "engine/component/linker.h"

#include <tuple>

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
      return LinkError("instance " + Q(path) + " imports function " + Q(n) + " of type " +
                       Q(FuncTypeToString(*e.type.func)) + ", but the linker does not define it");
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

ResourceTypePtr LinkerInstance::DefineResource(std::string_view name,
                                               std::function<void(uint32_t rep)> dtor) {
  if (funcs_.count(name) || instances_.count(name)) return nullptr;
  ResourceTypePtr rt;
  if (auto it = resources_.find(name); it != resources_.end()) {
    rt = it->second;
    if (!dtor) return rt;
  } else {
    rt = NewResourceType(std::string(name), false);
    resources_.emplace(std::string(name), rt);
  }
  if (dtor) {
    rt->destroy = [dtor = std::move(dtor)](uint32_t rep) -> Result<void> {
      dtor(rep);
      return {};
    };
  }
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

namespace {

// `ns:pkg/iface@x.y.z` -> (`ns:pkg/iface`, {x, y, z}); false for unversioned or other names.
// Pre-release/build suffixes are kept in `rest` and must match exactly.
struct Version {
  uint64_t major = 0, minor = 0, patch = 0;
  std::string rest;
};
bool SplitVersioned(std::string_view name, std::string_view& base, Version& v) {
  size_t at = name.rfind('@');
  if (at == std::string_view::npos || name.find('/') == std::string_view::npos) return false;
  base = name.substr(0, at);
  std::string_view ver = name.substr(at + 1);
  uint64_t parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    if (i >= ver.size() || ver[i] < '0' || ver[i] > '9') return false;
    while (i < ver.size() && ver[i] >= '0' && ver[i] <= '9')
      parts[k] = parts[k] * 10 + (ver[i++] - '0');
    if (k < 2) {
      if (i >= ver.size() || ver[i] != '.') return false;
      ++i;
    }
  }
  v.major = parts[0];
  v.minor = parts[1];
  v.patch = parts[2];
  v.rest = std::string(ver.substr(i));
  return true;
}

// wasmtime's rule: versions are interchangeable when they agree up to their first non-zero
// component (1.x.y ~ 1.a.b, 0.2.x ~ 0.2.y, 0.0.x only itself) and carry no pre-release.
bool Compatible(const Version& a, const Version& b) {
  if (!a.rest.empty() || !b.rest.empty()) return false;
  if (a.major != b.major) return false;
  if (a.major != 0) return true;
  if (a.minor != b.minor) return false;
  if (a.minor != 0) return true;
  return a.patch == b.patch;
}

template <typename Map>
auto FindCompatible(const Map& m, std::string_view name) -> decltype(&m.begin()->second) {
  if (auto it = m.find(name); it != m.end()) return &it->second;
  std::string_view base;
  Version want;
  if (!SplitVersioned(name, base, want)) return nullptr;
  decltype(&m.begin()->second) best = nullptr;
  Version best_v;
  for (auto& [k, v] : m) {
    std::string_view kb;
    Version kv;
    if (!SplitVersioned(k, kb, kv) || kb != base || !Compatible(want, kv)) continue;
    if (!best || std::tie(kv.minor, kv.patch) > std::tie(best_v.minor, best_v.patch)) {
      best = &v;
      best_v = kv;
    }
  }
  return best;
}

}  // namespace

const HostFuncDef* LinkerInstance::FindFuncCompatible(std::string_view name) const {
  return FindCompatible(funcs_, name);
}

const LinkerInstance* LinkerInstance::FindInstanceCompatible(std::string_view name) const {
  auto p = FindCompatible(instances_, name);
  return p ? p->get() : nullptr;
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
        r.func = root_.FindFuncCompatible(n);
        if (!r.func)
          return LinkError("component imports function " + Q(n) + " of type " +
                           Q(FuncTypeToString(*im.type.func)) +
                           ", but the linker does not define it");
        LOKUST_CM_TRY(CheckFunc(*r.func, im.type, out.resources, "function " + Q(n)));
        break;
      }
      case ExternKind::kInstance: {
        r.instance = root_.FindInstanceCompatible(n);
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
