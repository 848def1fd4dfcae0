// The backends behind make_gpu_backend (private to host/gpu).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "host/gpu/gpu_backend.h"
#include "host/gpu/mlp.h"

namespace lokust::host::gpu {

// What every backend that runs models shares: the model registry (lokust/embed-v1 built in,
// mlp/<name> loaded from the data directory once, then cached) and the dispatch of infer().
class ModelBackend : public GpuBackend {
 public:
  Result<Tensor> infer(std::string_view model_id, const Tensor& input) final;

 protected:
  explicit ModelBackend(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
  virtual Result<Tensor> run_embed(const Tensor& input) = 0;
  // `model` stays alive (and at the same address) as long as the backend.
  virtual Result<Tensor> run_mlp(const mlp::Model& model, const Tensor& input) = 0;
  // What device_info() says about the models.
  std::string models_info() const;

 private:
  Result<std::shared_ptr<const mlp::Model>> model(std::string_view name);

  std::filesystem::path data_dir_;
  std::mutex mu_;  // guards cache_
  std::map<std::string, std::shared_ptr<const mlp::Model>, std::less<>> cache_;
};

// `note`, when not empty, ends device_info() (e.g. why auto did not pick cuda).
std::unique_ptr<GpuBackend> make_cpu_backend(std::filesystem::path data_dir, std::string note = "");
std::unique_ptr<GpuBackend> make_none_backend(std::string reason);
// err when CUDA is not compiled in, or no device can be used (the message says why). The
// backend checks itself before it is returned: a tiny lokust/embed-v1 call must match the CPU
// bit for bit (this catches a GPU the build has no code for, or a broken driver).
Result<std::unique_ptr<GpuBackend>> make_cuda_backend(std::filesystem::path data_dir);

}  // namespace lokust::host::gpu
