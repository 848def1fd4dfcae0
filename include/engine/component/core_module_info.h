// Reads what the component layer needs to know about an embedded core module: its imports and
// exports with their core types (the `core:moduletype` of the module). Checks the section
// order and the import/export encodings; function bodies are the core engine's business and
// are not looked at here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/component/result.h"
#include "engine/component/types.h"

namespace lokust::component {

// `base_offset` is the module's offset in the outermost binary, for error messages.
Result<ModuleType> ReadCoreModuleType(std::span<const uint8_t> bytes, size_t base_offset = 0);

}  // namespace lokust::component
