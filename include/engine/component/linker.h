// Linker: where the host defines what a component may import, by interface and name
// (wasmtime's component::Linker vocabulary):
//
//   Linker linker;
//   linker.Instance("wasi:clocks/monotonic-clock@0.2.11").DefineFunc("now", now_fn);
//   auto r = linker.Resolve(*info);   // every import satisfied, types compatible
//
// Host resources (wasmtime's Resource<T>: the host picks a u32 "rep" per object):
//
//   auto& io = linker.Instance("wasi:io/streams@0.2.12");
//   ResourceTypePtr os = io.DefineResource("output-stream", [](uint32_t rep) { free(rep); });
//   io.DefineFunc("[method]output-stream.write", write_fn);  // args[0] is Val::Borrow(rep)
//   io.DefineFunc("[constructor]output-stream", ctor_fn);    // returns Val::Own(rep)
//   io.DefineFunc("[static]output-stream.open", static_fn);
//
// A component's `(type (sub resource))` import binds to the host resource of the same name in
// the same interface. Own/borrow values of host resources are the host's reps on the host side:
// a host function returning `Val::Own(rep)` gives the calling instance a new handle for it; an
// own handle passed by a guest to a host function leaves the guest's table and arrives as
// `Val::Own(rep)` (the host owns it now); a borrow arrives as `Val::Borrow(rep)` (valid during
// the call only). When a guest drops an own handle of a host resource (`resource.drop`), the
// host dtor runs with the rep. Own/borrow of guest-defined resources (exported by a component)
// are not reps on the host side but host handles, checked on every use (instance.h).
//
// Versions: an import `ns:pkg/iface@1.2.3` resolves to a definition of the same interface
// whose version is semver-compatible (same major; for 0.x the same minor; 0.0.x exact), the
// highest such version when several are defined (wasmtime's rule), so a component built
// against wasi:io@0.2.3 links against a host defining wasi:io@0.2.12 and vice versa.
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
  // Defines a host resource type (`(type (sub resource))` imports of `name` bind to it); `dtor`
  // runs with the rep when a guest drops an owned handle of it. Defining `name` again returns
  // the same type (the new dtor replaces the old, when given); null when `name` is already a
  // function or an instance.
  ResourceTypePtr DefineResource(std::string_view name,
                                 std::function<void(uint32_t rep)> dtor = {});
  // The nested instance `name`, created on first use.
  LinkerInstance& Instance(std::string_view name);

  const HostFuncDef* FindFunc(std::string_view name) const;
  ResourceTypePtr FindResource(std::string_view name) const;
  const LinkerInstance* FindInstance(std::string_view name) const;
  // FindFunc / FindInstance, falling back to a semver-compatible version of `name` (see above).
  const HostFuncDef* FindFuncCompatible(std::string_view name) const;
  const LinkerInstance* FindInstanceCompatible(std::string_view name) const;

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
