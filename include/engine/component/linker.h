// Linker: where the host defines what a component may import, by interface and name
// (wasmtime's component::Linker vocabulary):
//
//   Linker linker;
//   linker.Instance("wasi:clocks/monotonic-clock@0.2.11").DefineFunc("now", now_fn);
//   auto r = linker.Resolve(*info);   // every import satisfied, types compatible
//
// This part is pure type matching; calling host functions from core code goes through
// canon_lower (canonical_abi.h) once instantiation runs core modules.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/component/result.h"
#include "engine/component/types.h"
#include "engine/component/val.h"
#include "engine/component/validator.h"

namespace lokust::component {

// A host function: component values in, component values out, or a trap.
using HostFunc = std::function<Result<std::vector<Val>>(const std::vector<Val>& args)>;

struct HostFuncDef {
  HostFunc fn;
  FuncTypePtr type;  // optional: when set, checked against the import's type
};

// One level of the linker's namespace: functions, resources and nested instances by name.
class LinkerInstance {
 public:
  // Defines a function. With a type, Resolve checks it against the component's import.
  Result<void> DefineFunc(std::string_view name, HostFunc fn, FuncTypePtr type = nullptr);
  // Defines a host resource type (`(type (sub resource))` imports bind to it).
  Result<ResourceTypePtr> DefineResource(std::string_view name);
  // The nested instance `name`, created on first use.
  LinkerInstance& Instance(std::string_view name);

  const HostFuncDef* FindFunc(std::string_view name) const;
  ResourceTypePtr FindResource(std::string_view name) const;
  const LinkerInstance* FindInstance(std::string_view name) const;

 private:
  std::map<std::string, HostFuncDef, std::less<>> funcs_;
  std::map<std::string, ResourceTypePtr, std::less<>> resources_;
  std::map<std::string, std::unique_ptr<LinkerInstance>, std::less<>> instances_;
};

// How one component import is satisfied.
struct ResolvedImport {
  std::string name;
  const HostFuncDef* func = nullptr;         // a function import
  const LinkerInstance* instance = nullptr;  // an instance import
  ResourceTypePtr resource;                  // a resource type import
};

struct Resolution {
  std::vector<ResolvedImport> imports;  // in the component's import order
  // The component's abstract imported resources bound to host resources.
  std::unordered_map<const ResourceType*, ResourceTypePtr> resources;
};

class Linker {
 public:
  LinkerInstance& Root() { return root_; }
  LinkerInstance& Instance(std::string_view name) { return root_.Instance(name); }

  // Checks every import of `component` against the definitions: a missing definition or an
  // incompatible type is an Error{kLink} naming the import (and export) concerned.
  Result<Resolution> Resolve(const ComponentInfo& component) const;

 private:
  LinkerInstance root_;
};

}  // namespace lokust::component
