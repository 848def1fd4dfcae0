// The building blocks of lokust/embed-v1 (docs/embed-v1.md) that the CUDA kernels run, written
// once for host and device: on the device every f32 step is an explicitly rounded intrinsic
// (__fmul_rn, __fadd_rn, __fdiv_rn, __fsqrt_rn, never fused into an FMA), on the host the same
// IEEE operations (compile host users with -ffp-contract=off). The host build lets the tests
// run the kernels' exact decomposition on a machine without a GPU (embed_v1_test.cpp).
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define LOKUST_HOST_DEVICE __host__ __device__
#else
#define LOKUST_HOST_DEVICE
#endif

namespace lokust::host::gpu::embed_v1 {

inline constexpr uint32_t kComponents = 256;
// 2^-23: v[j] = f32(k) * kScale - 1 (both steps exact).
inline constexpr float kScale = 1.0f / 8388608.0f;

LOKUST_HOST_DEVICE inline float mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

LOKUST_HOST_DEVICE inline float add_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

LOKUST_HOST_DEVICE inline float div_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

LOKUST_HOST_DEVICE inline float sqrt_rn(float a) {
#ifdef __CUDA_ARCH__
  return __fsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}

// k for token id t and component j (section 2.1): splitmix64 of
// t * 0x9E3779B97F4A7C15 + (j + 1) * 0xBF58476D1CE4E5B9, top 24 bits.
LOKUST_HOST_DEVICE inline uint32_t component_bits(uint32_t t, uint32_t j) {
  uint64_t z = uint64_t{t} * 0x9E3779B97F4A7C15ull + uint64_t{j + 1} * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = z ^ (z >> 31);
  return static_cast<uint32_t>(z >> 40);
}

// v[j] of token t before normalisation: exactly k / 2^23 - 1.
LOKUST_HOST_DEVICE inline float raw_component(uint32_t t, uint32_t j) {
  return add_rn(mul_rn(static_cast<float>(component_bits(t, j)), kScale), -1.0f);
}

// The norm normalise() divides by (section 2.2): sqrt of the sum of squares in index order;
// 0 when the sum is 0 (then the normalised vector is all zeros).
LOKUST_HOST_DEVICE inline float norm_of_sum(float sum_of_squares) {
  return sum_of_squares > 0.0f ? sqrt_rn(sum_of_squares) : 0.0f;
}

// |v| of token t (padding: 0). Kernel 1, one thread per input element.
LOKUST_HOST_DEVICE inline float token_norm(uint32_t t) {
  if (t == 0) return 0.0f;
  float s = 0.0f;
  for (uint32_t j = 0; j < kComponents; ++j) {
    const float v = raw_component(t, j);
    s = add_rn(s, mul_rn(v, v));
  }
  return norm_of_sum(s);
}

// Component j of a row's sum of unit vectors (section 2.3), tokens left to right; norms[c] is
// token_norm(row[c]). Kernel 2, thread j of the row's block.
LOKUST_HOST_DEVICE inline float row_sum_component(const uint32_t* row, const float* norms,
                                                  uint32_t cols, uint32_t j) {
  float acc = 0.0f;
  for (uint32_t c = 0; c < cols; ++c) {
    const uint32_t t = row[c];
    if (t == 0) continue;
    // A zero norm means u(t) is all zeros; adding 0.0f is what the reference does then too.
    const float u = norms[c] > 0.0f ? div_rn(raw_component(t, j), norms[c]) : 0.0f;
    acc = add_rn(acc, u);
  }
  return acc;
}

// The norm of a whole row's sum (kComponents values), in index order. Kernel 2, thread 0.
LOKUST_HOST_DEVICE inline float row_norm(const float* acc) {
  float s = 0.0f;
  for (uint32_t j = 0; j < kComponents; ++j) s = add_rn(s, mul_rn(acc[j], acc[j]));
  return norm_of_sum(s);
}

// One output value: acc / norm, or 0 for a row without tokens (or a zero sum).
LOKUST_HOST_DEVICE inline float normalised(float acc, float norm) {
  return norm > 0.0f ? div_rn(acc, norm) : 0.0f;
}

}  // namespace lokust::host::gpu::embed_v1
