// The cpu backend (the reference) and the none backend.
#include <fstream>

#include "backends.h"
#include "host/gpu/embed_v1.h"

namespace lokust::host::gpu {

namespace {

// "model name" from /proc/cpuinfo where there is one.
std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  }
  return "host CPU";
}

class CpuBackend final : public ModelBackend {
 public:
  CpuBackend(std::filesystem::path data_dir, std::string note)
      : ModelBackend(std::move(data_dir)), cpu_(cpu_name()), note_(std::move(note)) {}
  BackendKind kind() const override { return BackendKind::kCpu; }
  bool available() const override { return true; }
  std::string device_info() const override {
    return "cpu: reference backend on " + cpu_ + " (" + models_info() + ")" +
           (note_.empty() ? "" : "; " + note_);
  }

 protected:
  Result<Tensor> run_embed(const Tensor& input) override { return embed_v1::run_cpu(input); }
  Result<Tensor> run_mlp(const mlp::Model& model, const Tensor& input) override {
    return mlp::run_cpu(model, input);
  }

 private:
  std::string cpu_;
  std::string note_;
};

class NoneBackend final : public GpuBackend {
 public:
  explicit NoneBackend(std::string reason) : reason_(std::move(reason)) {}
  BackendKind kind() const override { return BackendKind::kNone; }
  bool available() const override { return false; }
  std::string device_info() const override {
    return "none: no GPU backend (" + reason_ + "); the guest computes embeddings itself";
  }
  Result<Tensor> infer(std::string_view, const Tensor&) override {
    return Result<Tensor>::err("gpu backend \"none\": no model can run (" + reason_ + ")");
  }

 private:
  std::string reason_;
};

}  // namespace

std::unique_ptr<GpuBackend> make_cpu_backend(std::filesystem::path data_dir, std::string note) {
  return std::make_unique<CpuBackend>(std::move(data_dir), std::move(note));
}

std::unique_ptr<GpuBackend> make_none_backend(std::string reason) {
  return std::make_unique<NoneBackend>(std::move(reason));
}

}  // namespace lokust::host::gpu
