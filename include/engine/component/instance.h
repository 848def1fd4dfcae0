// Component instantiation on engine/core: walks a component's definitions in order, keeping
// runtime index spaces parallel to the validator's ComponentInfo, and runs its core modules in
// a core::Store.
//
//   component::Linker linker;  // host functions and resources by interface and name
//   auto inst = component::Instance::Instantiate(store, ast, *info, linker);
//   auto f = (*inst)->GetFunc("lokust:session-vm/session-ops", "create-session");
//   auto results = (*f)->Call({...});  // canon lift + post-return
//
// Supported: core modules, core instances (instantiate and inline exports), core aliases,
// `canon lift`, `canon lower` (host functions from the Linker or lifted functions),
// `canon resource.new/rep/drop`, resource type definitions (a fresh runtime resource per
// instantiation; the dtor runs through Store::Call), imports of functions, instances and
// resource types, export aliases, nested components instantiated with function, instance and
// type arguments, inline instances, exports of functions, instances and types.
//
// Resources: each component instance (the root and every nested one) has its own HandleTable.
// Own/borrow values in the host's Vals (GetFunc's arguments and results, DropResource):
//  - host-defined resources (LinkerInstance::DefineResource): the rep the host chose, as in
//    linker.h; the host keeps track of its own objects.
//  - guest-defined resources (a `(type (resource ...))` of the component, exported): an own
//    returned to the host gets an entry in the Instance's host table (HostResourceTable) and
//    the host sees that entry's handle (an index and a generation), never the guest's rep.
//    Passing `Val::Own(handle)` to an export moves the object back to the guest (the handle is
//    stale afterwards); `Val::Borrow(handle)` lends it for the call (the handle stays live);
//    DropResource(handle) runs the guest's destructor and frees the handle. An unknown, stale
//    (dropped or moved) or other-resource handle is an Error{kInvalid} naming the resource and
//    the handle: nothing moves (all of a call's handles are checked first), no destructor runs,
//    nothing is poisoned. Components calling each other pass reps, as the Canonical ABI does.
// Each lifted call has a CallScope:
// borrows lowered into it must be dropped before it returns ("borrow handles still remain at
// the end of the call" trap); each lowered call has one too: own handles lent as borrows
// cannot be dropped or moved until the callee returns. Misused handles trap with the index
// ("unknown handle index 7", wrong type). Everything else (start, values, outer aliases of
// modules/components, async) is an Error naming the definition.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/component/ast.h"
#include "engine/component/linker.h"
#include "engine/component/result.h"
#include "engine/component/types.h"
#include "engine/component/val.h"
#include "engine/component/validator.h"
#include "engine/core/module.h"
#include "engine/core/store.h"

namespace lokust::component {

// A component-level function of an instance: a lifted core function or a host function.
struct ComponentFunc {
  using Fn = std::function<Result<std::vector<Val>>(const std::vector<Val>&)>;
  FuncTypePtr type;
  // The call as components make it (canon lower): own/borrow values are reps.
  Fn call;
  // Lifted functions whose type has own/borrow values: the call as the host makes it
  // (Instance::GetFunc and exports() hand out a ComponentFunc whose `call` is this one), with
  // guest-defined resources as host handles (see Instance). Empty otherwise.
  Fn host_call;
  // `call` returns values of the type's results (lifted by construction, host results
  // checked by instantiation's wrapper), so canon lower does not check them again.
  bool results_checked = false;

  Result<std::vector<Val>> Call(const std::vector<Val>& args) const { return call(args); }
};
using ComponentFuncPtr = std::shared_ptr<const ComponentFunc>;

// A component definition as a value (an instantiation argument, an export): its AST, its
// validation result and the enclosing definitions its outer aliases refer to.
struct ComponentRef;
using ComponentRefPtr = std::shared_ptr<const ComponentRef>;

// The exports of a component instance (or an imported host instance).
struct InstanceExports {
  std::map<std::string, ComponentFuncPtr, std::less<>> funcs;
  std::map<std::string, std::shared_ptr<InstanceExports>, std::less<>> instances;
  // Exported resource types: the runtime types (fresh per instantiation, resource types are
  // generative), which carry the destructor and the implementing instance.
  std::map<std::string, ResourceTypePtr, std::less<>> types;
  std::map<std::string, std::shared_ptr<const core::Module>, std::less<>> modules;
  std::map<std::string, ComponentRefPtr, std::less<>> components;
  const LinkerInstance* host = nullptr;  // an imported host instance: its functions
  std::string host_name;                 // ... and its import name (for messages)
};
using InstanceExportsPtr = std::shared_ptr<InstanceExports>;

// A component compiled once (wasmtime's component::Component): decoded, validated (core module
// bodies included) and every embedded core module compiled, so instantiating it again costs
// only the instance graph walk and the core instantiations.
//
//   auto c = Component::Compile(bytes);                  // once
//   auto inst = Instance::Instantiate(store, **c, linker);  // many times, in any Store
class Component {
 public:
  static Result<std::shared_ptr<const Component>> Compile(std::span<const uint8_t> bytes);

  const ComponentAst& ast() const { return *ast_; }
  const ComponentInfo& info() const { return *info_; }
  // The compiled form of the embedded core module whose bytes start at `bytes`, or null.
  std::shared_ptr<const core::Module> FindModule(const uint8_t* bytes) const;

 private:
  std::vector<uint8_t> bytes_;  // the AST points into them
  std::shared_ptr<ComponentAst> ast_;
  std::shared_ptr<ComponentInfo> info_;
  std::unordered_map<const uint8_t*, std::shared_ptr<const core::Module>> modules_;
};

class Instance {
 public:
  // Instantiates a compiled component; `component`, `linker` and `store` must outlive the
  // instance and every function taken from it.
  static Result<std::unique_ptr<Instance>> Instantiate(core::Store& store,
                                                       const Component& component,
                                                       const Linker& linker);

  // Instantiates `ast` (validated as `info`) in `store`, its imports from `linker`. `ast`,
  // `info`, `linker` and `store` must outlive the instance and every function taken from it.
  static Result<std::unique_ptr<Instance>> Instantiate(core::Store& store, const ComponentAst& ast,
                                                       const ComponentInfo& info,
                                                       const Linker& linker);

  // An exported function: `GetFunc("ns:pkg/iface", "f")` for a function of an exported
  // instance, `GetFunc("f")` for a function exported by the component itself. Own/borrow of
  // guest-defined resources in its arguments and results are host handles (see above).
  Result<ComponentFuncPtr> GetFunc(std::string_view instance, std::string_view name) const;
  Result<ComponentFuncPtr> GetFunc(std::string_view name) const;

  // Drops an own<T> the host holds, T the exported resource type `resource` of the exported
  // instance `instance` (empty: exported by the component itself); wasmtime's
  // ResourceAny::resource_drop. A guest-defined T: `handle` is the host handle an export
  // returned; the handle is freed and the guest's destructor runs with its rep. An unknown,
  // stale or other-resource handle is an Error{kInvalid} naming it (nothing runs, nothing is
  // poisoned); so is a drop while the implementing instance is on the call stack (a host
  // function called by it). A host-defined T (re-exported): `handle` is the host's rep and the
  // host dtor runs with it.
  Result<void> DropResource(std::string_view instance, std::string_view resource, uint32_t handle);

  const InstanceExports& exports() const { return *exports_; }
  // Whether a call trapped (guest trap, bad guest data, a host function's trap): every later
  // call into the instance then traps with "cannot enter component instance".
  bool poisoned() const;

  struct State;  // runtime state shared with the functions' closures

 private:
  std::shared_ptr<State> state_;
  InstanceExportsPtr exports_;
};

}  // namespace lokust::component
