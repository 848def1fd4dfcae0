// Built instead of cuda_backend.cu when CMake found no CUDA compiler (or LOKUST_CUDA=OFF).
#include "backends.h"

namespace lokust::host::gpu {

bool cuda_compiled_in() { return false; }
int cuda_device_count() { return 0; }

Result<std::unique_ptr<GpuBackend>> make_cuda_backend(std::filesystem::path) {
  return Result<std::unique_ptr<GpuBackend>>::err(
      "gpu backend \"cuda\": this build has no CUDA support (CMake found no nvcc, or "
      "LOKUST_CUDA=OFF)");
}

}  // namespace lokust::host::gpu
