// Validation of a decoded component (Explainer.md, Binary.md "Validation" notes): builds the
// index spaces definition by definition (core: funcs, tables, memories, globals, tags, types,
// modules, instances; component: funcs, values, types, instances, components), resolves
// aliases, checks names, types, canonical definitions and instantiations, and produces the
// component's type (its imports and exports).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/component/ast.h"
#include "engine/component/result.h"
#include "engine/component/types.h"

namespace lokust::component {

// What the validator learned about one component: its type and every index space, in index
// order, so instantiation can follow the same graph.
struct ComponentInfo {
  ComponentTypePtr type;  // imports and exports

  // core index spaces
  std::vector<CoreFuncType> core_funcs;
  std::vector<CoreExternType> core_tables;
  std::vector<CoreExternType> core_memories;
  std::vector<CoreExternType> core_globals;
  std::vector<CoreExternType> core_tags;
  std::vector<CoreTypeEntry> core_types;
  std::vector<ModuleTypePtr> core_modules;
  std::vector<CoreInstanceTypePtr> core_instances;

  // component index spaces
  std::vector<FuncTypePtr> funcs;
  std::vector<ValTypePtr> values;
  std::vector<TypeEntry> types;
  std::vector<InstanceTypePtr> instances;
  std::vector<ComponentTypePtr> components;

  // nested components, in component-section order
  std::vector<std::shared_ptr<ComponentInfo>> nested;
};

struct ValidateOptions {
  // Extern names are checked against the Explainer.md grammar (kebab case, interface names,
  // semver); set false to accept any UTF-8 name.
  bool check_names = true;
  // Full validation of each embedded core module (function bodies included), e.g. engine/core's
  // CompileModule. Without it only the module's sections, imports and exports are checked.
  std::function<Result<void>(std::span<const uint8_t> module_bytes)> validate_core_module;
};

Result<std::shared_ptr<ComponentInfo>> ValidateComponent(const ComponentAst& ast,
                                                         const ValidateOptions& options = {});

// Decode + validate in one call.
Result<std::shared_ptr<ComponentInfo>> DecodeAndValidate(std::span<const uint8_t> bytes,
                                                         const ValidateOptions& options = {});

// Subtyping between extern types (Explainer.md "Type checking"): Ok when `actual` may be used
// where `expected` is wanted; otherwise the error says where they differ.
Result<void> CheckExternSubtype(const ExternType& actual, const ExternType& expected);

// `e` with resources replaced (matched by root) as `map` says, deeply; what instantiation does
// to a component's types once its resource imports are bound.
ExternType SubstituteResources(const ExternType& e,
                               const std::unordered_map<const ResourceType*, ResourceTypePtr>& map);

}  // namespace lokust::component
