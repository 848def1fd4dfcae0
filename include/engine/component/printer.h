// WIT-like text for a component's imports and exports, for `wasm-run --inspect`:
//
//   import wasi:clocks/monotonic-clock@0.2.11: interface {
//     now: func() -> u64;
//   }
//   export run: func(x: list<u8>) -> result<string, u32>;
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/component/result.h"
#include "engine/component/types.h"
#include "engine/component/validator.h"

namespace lokust::component {

// One line (or block) per import, then per export.
std::string PrintComponentWit(const ComponentType& type);
std::string PrintComponentWit(const ComponentInfo& info);

// Decode + validate + print: what `wasm-run --inspect FILE` shows for a component.
Result<std::string> InspectComponent(std::span<const uint8_t> bytes);

// One extern item: `name: func(...)`, `name: interface { ... }` (without import/export).
std::string PrintExternDecl(const ExternDecl& decl, int indent = 0);

}  // namespace lokust::component
