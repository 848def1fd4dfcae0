// Dense MLP models, read from safetensors files (host/gpu/README.md has the convention):
//   layers.<i>.weight  [out_i, in_i]  (row-major, as torch.nn.Linear stores it)
//   layers.<i>.bias    [out_i]        (optional: zeros when absent)
// for i = 0 .. k-1 (k >= 1, no gaps), in_{i+1} == out_i; dtype F32, F16 or BF16. The
// activation (metadata "activation": "relu" (the default), "gelu" (erf form) or "tanh") runs
// between layers, not after the last. infer("mlp/<name>", x): x is [batch, in_0], the result
// [batch, out_{k-1}].
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "host/gpu/gpu_backend.h"
#include "host/gpu/safetensors.h"

namespace lokust::host::gpu::mlp {

inline constexpr size_t kMaxNameBytes = 128;
inline constexpr size_t kMaxLayers = 256;
inline constexpr uint64_t kMaxActivations = uint64_t{1} << 26;  // batch * width, per layer
inline constexpr uint64_t kMaxWidth = uint64_t{1} << 24;        // in / out of one layer

enum class Activation { kRelu, kGelu, kTanh };

struct Layer {
  uint32_t in = 0;
  uint32_t out = 0;
  std::vector<float> weight;  // [out, in], row-major
  std::vector<float> bias;    // [out]
};

struct Model {
  std::string id;  // "mlp/<name>": the prefix of every error message
  std::vector<Layer> layers;
  Activation activation = Activation::kRelu;
  uint32_t in_features() const { return layers.front().in; }
  uint32_t out_features() const { return layers.back().out; }
};

// [A-Za-z0-9._-]{1,128}, no "..", not starting with '.'.
bool valid_name(std::string_view name);

// The model in `file` (checked as above); `id` prefixes error messages.
Result<Model> from_safetensors(const safetensors::File& file, std::string_view id);
// <data_dir>/models/<name>.safetensors; the name is checked first. Messages name the file
// relative to the data directory, never its absolute path.
Result<Model> load(const std::filesystem::path& data_dir, std::string_view name);

// Checks x against the model: [batch, in_features] with batch * width within limits.
// Returns the batch size.
Result<uint32_t> check_input(const Model& model, const Tensor& x);

// The activation on one value (the CPU definition; CUDA uses the same formulas).
float activate(Activation a, float x);
std::string_view activation_name(Activation a);

// The model on the CPU (blocked loops, no BLAS).
Result<Tensor> run_cpu(const Model& model, const Tensor& x);

}  // namespace lokust::host::gpu::mlp
