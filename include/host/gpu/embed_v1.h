// lokust/embed-v1 on the host: the CPU reference every host backend is checked against, and
// the input checks all backends share. Exact definition: docs/embed-v1.md. This is the host's
// own implementation (the guest's is guest/session/embed.cpp); both follow the page bit for bit.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "host/gpu/gpu_backend.h"

namespace lokust::host::gpu::embed_v1 {

inline constexpr uint32_t kDim = 256;
inline constexpr uint32_t kIdLimit = 1u << 24;  // ids are integers in [0, kIdLimit); 0 is padding
inline constexpr uint32_t kMaxRows = 65536;
inline constexpr uint32_t kMaxColumns = 65536;
inline constexpr uint64_t kMaxElements = uint64_t{1} << 24;
inline constexpr size_t kMaxTokensPerText = 512;

// Tokenizer (section 1; guest side, here for tools and tests).
uint32_t fnv1a32(std::span<const uint8_t> bytes);
uint32_t token_id(std::span<const uint8_t> token);  // fnv1a32 mod 16777215 + 1
std::vector<uint32_t> tokenize(std::span<const uint8_t> text);

// A checked input: rows x cols token ids, row-major.
struct Ids {
  uint32_t rows = 0;
  uint32_t cols = 0;
  std::vector<uint32_t> ids;
};
// The checks of section 2; every message starts with "lokust/embed-v1: ".
Result<Ids> check_input(const Tensor& input);

// u(t) (section 2.1), kDim floats.
void token_vector(uint32_t id, float* out);
// E(ids) (section 2.3), kDim floats.
void embed_row(std::span<const uint32_t> ids, float* out);
// The model on the CPU: [n, L] ids -> [n, kDim].
Result<Tensor> run_cpu(const Tensor& input);

}  // namespace lokust::host::gpu::embed_v1
