// GPU backends: the host's side of the `gpu` import of the session-vm world
//   record tensor { shape: list<u32>, data: list<f32> }
//   available: func() -> bool;  device-info: func() -> string;
//   infer: func(model-id: string, input: tensor) -> result<tensor, string>
//
// Backends (host/gpu/README.md):
//   cpu   the reference: plain C++ on the host CPU
//   cuda  NVIDIA GPUs through the CUDA runtime and cuBLAS; compiled in when CMake finds nvcc,
//         used when the machine has a CUDA device
//   none  available() is false and every infer() is an error: the guest computes itself
//
// Models, the same on every backend:
//   lokust/embed-v1  built in; the exact definition is docs/embed-v1.md (every backend returns
//                    bit-identical values)
//   mlp/<name>       a dense MLP read from <data_dir>/models/<name>.safetensors on first use,
//                    then cached; <name> is [A-Za-z0-9._-]+ without "..", not starting with '.'
//
// Nothing here throws: every failure is an error message for the guest (and the user).
// Threads: a backend serialises what must be serialised (model cache, device stream); infer()
// may be called from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "host/result.h"

namespace lokust::host::gpu {

// The WIT record `tensor`: row-major, data.size() == product of shape (checked by each model).
struct Tensor {
  std::vector<uint32_t> shape;
  std::vector<float> data;
};

inline constexpr std::string_view kEmbedModelId = "lokust/embed-v1";
inline constexpr std::string_view kMlpModelPrefix = "mlp/";

enum class BackendKind { kAuto, kCpu, kCuda, kNone };

// "auto", "cpu", "cuda", "none".
std::string_view backend_kind_name(BackendKind kind);
// The inverse of backend_kind_name; err names the accepted values.
Result<BackendKind> parse_backend_kind(std::string_view name);

class GpuBackend {
 public:
  virtual ~GpuBackend();
  // kCpu, kCuda or kNone (never kAuto).
  virtual BackendKind kind() const = 0;
  virtual bool available() const = 0;
  // One line: the backend, the device and what it runs, e.g. "cuda: NVIDIA H100 ... ".
  virtual std::string device_info() const = 0;
  virtual Result<Tensor> infer(std::string_view model_id, const Tensor& input) = 0;
};

// kAuto: cuda when compiled in and a CUDA device is present, else cpu. kCuda without a
// device (or without CUDA compiled in) is an error that says why. data_dir is the sandbox the
// mlp/ models are read from; empty: no mlp/ models (infer says so).
Result<std::unique_ptr<GpuBackend>> make_gpu_backend(BackendKind kind,
                                                     std::filesystem::path data_dir);

// Whether this build has the CUDA backend (CMake found nvcc; option LOKUST_CUDA).
bool cuda_compiled_in();
// CUDA devices visible to this process: 0 without CUDA compiled in, a driver or a device.
int cuda_device_count();

}  // namespace lokust::host::gpu
