// Decoder for the component binary format (design/mvp/Binary.md of the component-model
// repository): preamble (version 0x0d, layer 1), every section, nested components, and the
// `importname'`/`exportname'` encodings with attributes. Syntax only: index spaces and types
// are the validator's job. Never crashes on arbitrary bytes; every error names what was being
// read and the byte offset.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "engine/component/ast.h"
#include "engine/component/result.h"

namespace lokust::component {

inline constexpr uint8_t kComponentVersion = 0x0d;
inline constexpr uint8_t kComponentLayer = 0x01;

// Whether `bytes` starts with a component preamble (as opposed to a core module's).
bool IsComponentBinary(std::span<const uint8_t> bytes);

// Decodes a whole component binary. The returned AST points into `bytes`, which must outlive
// it (core module bodies and custom sections are kept as spans).
Result<std::shared_ptr<ComponentAst>> DecodeComponent(std::span<const uint8_t> bytes);

}  // namespace lokust::component
