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
// Own/borrow values cross to the host as the resource's rep (host resources: the rep the host
// chose, see linker.h; guest resources: the guest's rep). Each lifted call has a CallScope:
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
  FuncTypePtr type;
  std::function<Result<std::vector<Val>>(const std::vector<Val>&)> call;

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
  // instance, `GetFunc("f")` for a function exported by the component itself.
  Result<ComponentFuncPtr> GetFunc(std::string_view instance, std::string_view name) const;
  Result<ComponentFuncPtr> GetFunc(std::string_view name) const;

  // Drops a guest-defined resource the host owns (an own<T> an export returned, which reaches
  // the host as the guest's rep): runs the resource's destructor with `rep` (wasmtime's
  // ResourceAny::resource_drop). `resource` is the exported type's name, in the exported
  // instance `instance` (empty: exported by the component itself).
  Result<void> DropResource(std::string_view instance, std::string_view resource, uint32_t rep);

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
