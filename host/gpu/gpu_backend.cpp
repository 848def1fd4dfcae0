// The factory, the backend kinds and the model registry every backend shares.
#include "host/gpu/gpu_backend.h"

#include <exception>
#include <new>

#include "backends.h"
#include "host/gpu/embed_v1.h"

namespace lokust::host::gpu {

namespace {

// At most `max` bytes of `s`, cut at a UTF-8 character boundary, "..." appended when cut.
std::string excerpt(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

}  // namespace

GpuBackend::~GpuBackend() = default;

std::string_view backend_kind_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::kAuto:
      return "auto";
    case BackendKind::kCpu:
      return "cpu";
    case BackendKind::kCuda:
      return "cuda";
    case BackendKind::kNone:
      return "none";
  }
  return "auto";
}

Result<BackendKind> parse_backend_kind(std::string_view name) {
  for (const BackendKind k :
       {BackendKind::kAuto, BackendKind::kCpu, BackendKind::kCuda, BackendKind::kNone}) {
    if (name == backend_kind_name(k)) return Result<BackendKind>::ok(k);
  }
  return Result<BackendKind>::err("unknown GPU backend \"" + excerpt(name, 64) +
                                  "\": use auto, cpu, cuda or none");
}

namespace {

Result<std::unique_ptr<GpuBackend>> make_backend(BackendKind kind, std::filesystem::path data_dir) {
  using R = Result<std::unique_ptr<GpuBackend>>;
  switch (kind) {
    case BackendKind::kCpu:
      return R::ok(make_cpu_backend(std::move(data_dir)));
    case BackendKind::kNone:
      return R::ok(make_none_backend("selected"));
    case BackendKind::kCuda:
      return make_cuda_backend(std::move(data_dir));
    case BackendKind::kAuto: {
      if (!cuda_compiled_in() || cuda_device_count() == 0) {
        return R::ok(make_cpu_backend(std::move(data_dir)));
      }
      auto cuda = make_cuda_backend(data_dir);
      if (cuda) return cuda;
      return R::ok(make_cpu_backend(std::move(data_dir), "cuda not used: " + cuda.error()));
    }
  }
  return R::err("unknown GPU backend kind");
}

}  // namespace

Result<std::unique_ptr<GpuBackend>> make_gpu_backend(BackendKind kind,
                                                     std::filesystem::path data_dir) {
  try {
    return make_backend(kind, std::move(data_dir));
  } catch (const std::exception& e) {  // only an allocation failure can get here
    return Result<std::unique_ptr<GpuBackend>>::err(std::string("gpu: cannot make the ") +
                                                    std::string(backend_kind_name(kind)) +
                                                    " backend: " + e.what());
  }
}

Result<Tensor> ModelBackend::infer(std::string_view model_id, const Tensor& input) {
  // Nothing below throws by design; an allocation that fails (a huge model file or input on a
  // machine short of memory) still becomes an error, not an exception across the API.
  try {
    if (model_id == kEmbedModelId) return run_embed(input);
    if (model_id.starts_with(kMlpModelPrefix)) {
      auto m = model(model_id.substr(kMlpModelPrefix.size()));
      if (!m) return Result<Tensor>::err(m.error());
      return run_mlp(*m.value(), input);
    }
  } catch (const std::bad_alloc&) {
    return Result<Tensor>::err("gpu: out of host memory running \"" + excerpt(model_id, 64) + "\"");
  } catch (const std::exception& e) {
    return Result<Tensor>::err("gpu: \"" + excerpt(model_id, 64) + "\" failed: " + e.what());
  }
  return Result<Tensor>::err("unknown model \"" + excerpt(model_id, 64) +
                             "\": this host serves lokust/embed-v1 and mlp/<name> "
                             "(models/<name>.safetensors in its data directory)");
}

Result<std::shared_ptr<const mlp::Model>> ModelBackend::model(std::string_view name) {
  using R = Result<std::shared_ptr<const mlp::Model>>;
  if (!mlp::valid_name(name)) {  // checked before the cache so no odd key is ever stored
    return R::err(mlp::load(data_dir_, name).error());  // load() says what is wrong
  }
  std::lock_guard lock(mu_);
  const auto it = cache_.find(name);
  if (it != cache_.end()) return R::ok(it->second);
  auto loaded = mlp::load(data_dir_, name);  // errors are not cached: the file may be fixed
  if (!loaded) return R::err(loaded.error());
  auto shared = std::make_shared<const mlp::Model>(std::move(loaded).value());
  cache_.emplace(std::string(name), shared);
  return R::ok(std::move(shared));
}

std::string ModelBackend::models_info() const {
  return data_dir_.empty() ? "lokust/embed-v1; no data directory for mlp/ models"
                           : "lokust/embed-v1, mlp/<name> from the data directory";
}

}  // namespace lokust::host::gpu
