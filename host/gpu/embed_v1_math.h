// The integer part of lokust/embed-v1 (docs/embed-v1.md, section 2.1), shared by the CPU
// reference and the CUDA kernels so both hash exactly alike. Floating-point steps are written
// per backend (CUDA needs its _rn intrinsics).
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define LOKUST_HOST_DEVICE __host__ __device__
#else
#define LOKUST_HOST_DEVICE
#endif

namespace lokust::host::gpu::embed_v1 {

// k for token id t and component j: splitmix64 of t * golden + (j + 1) * c1, top 24 bits.
LOKUST_HOST_DEVICE inline uint32_t component_bits(uint32_t t, uint32_t j) {
  uint64_t z = uint64_t{t} * 0x9E3779B97F4A7C15ull + uint64_t{j + 1} * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = z ^ (z >> 31);
  return static_cast<uint32_t>(z >> 40);
}

// 2^-23: v[j] = f32(k) * kScale - 1 (both steps exact).
inline constexpr float kScale = 1.0f / 8388608.0f;

}  // namespace lokust::host::gpu::embed_v1
