// A checked reader of the safetensors format (https://huggingface.co/docs/safetensors):
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   a JSON object: {"<tensor>": {"dtype": "F32", "shape": [..], "data_offsets":
//             [begin, end]}, ..., "__metadata__": {"<key>": "<string>", ...}}
//   the rest  the data buffer; data_offsets are byte offsets into it
// Everything is checked before any value is read: the header length against the file, the
// JSON, each entry's fields, dtype sizes times shapes against the offsets, the offsets against
// the buffer. Errors name the file's label, the tensor and the problem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "host/result.h"

namespace lokust::host::gpu::safetensors {

inline constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // as the reference implementation
inline constexpr uint64_t kMaxFileBytes = 4ull << 30;
inline constexpr size_t kMaxRank = 8;

struct TensorInfo {
  std::string dtype;            // one of the safetensors dtypes, e.g. "F32", "BF16", "I64"
  std::vector<uint64_t> shape;  // [] is a scalar
  uint64_t begin = 0;           // byte offsets into the data buffer, begin <= end
  uint64_t end = 0;
  uint64_t elements() const;  // product of shape (1 for a scalar)
};

struct File {
  std::vector<uint8_t> bytes;  // the whole file
  uint64_t data_start = 0;     // 8 + N
  std::map<std::string, TensorInfo> tensors;
  std::map<std::string, std::string> metadata;

  // The tensor's values as f32: F32 as is, F16 and BF16 converted exactly. Other dtypes: err.
  Result<std::vector<float>> to_f32(std::string_view name) const;
};

// Bytes of one element of `dtype`, 0 for an unknown dtype.
uint64_t dtype_size(std::string_view dtype);

// label names the file in error messages (e.g. "models/tiny.safetensors").
Result<File> parse(std::vector<uint8_t> bytes, std::string_view label);
Result<File> read(const std::filesystem::path& path, std::string_view label);

// f16 / bf16 bit patterns to f32 (exact).
float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);

}  // namespace lokust::host::gpu::safetensors
