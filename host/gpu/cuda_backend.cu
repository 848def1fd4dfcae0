// The cuda backend: lokust/embed-v1 in two kernels, bit-identical to the CPU reference, and
// MLPs through cuBLAS sgemm plus a bias/activation kernel. One device (device 0 of those
// visible: pick another with CUDA_VISIBLE_DEVICES), one stream; calls are serialised.
//
// embed-v1 (docs/embed-v1.md), from the building blocks in embed_v1_math.h, where every f32
// step is an explicitly rounded intrinsic (nvcc never fuses them into an FMA) and each sum
// runs in the order the page gives:
//   token_norms_kernel  one thread per input element: |v| of the token's 256 raw components,
//                       the sum of squares in index order, as the CPU's normalise() does
//   embed_rows_kernel   one block per row, one thread per component j: acc[j] adds u(id)[j]
//                       over the row's tokens left to right (the CPU's order for each j), then
//                       thread 0 sums the squares of acc in index order and all divide
//
// cuBLAS is opened with dlopen when a cuda backend is made, not linked: libcublas loads
// libcublasLt (~540 MB), and linking it cost every process that uses the host library about
// 0.7 s and 220 MB of resident memory at start, whether or not it ever used a GPU.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <type_traits>

#include "backends.h"
#include "embed_v1_math.h"
#include "host/gpu/embed_v1.h"

namespace lokust::host::gpu {

namespace {

constexpr uint32_t kDim = embed_v1::kDim;
constexpr const char* kPrefix = "gpu backend \"cuda\": ";

std::string cuda_error(const char* what, cudaError_t e) {
  return std::string(kPrefix) + what + " failed: " + cudaGetErrorName(e) + " (" +
         cudaGetErrorString(e) + ")";
}

// The cuBLAS functions the backend calls, from the library opened at run time.
struct Cublas {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  decltype(&cublasGetStatusName) status_name = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

// Set once load_cublas() succeeded; every CudaBackend exists only after that.
const Cublas* cublas = nullptr;

// Opens libcublas.so.<major of the headers> from the loader's search path, else from the
// toolkit the build found (LOKUST_CUBLAS_DIR), once per process.
Result<const Cublas*> load_cublas() {
  static std::once_flag once;
  static Cublas table;
  static std::string error;
  std::call_once(once, [] {
    const std::string soname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    void* lib = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
#ifdef LOKUST_CUBLAS_DIR
    if (lib == nullptr) {
      lib =
          ::dlopen((std::string(LOKUST_CUBLAS_DIR) + "/" + soname).c_str(), RTLD_NOW | RTLD_LOCAL);
    }
#endif
    if (lib == nullptr) {
      const char* why = ::dlerror();
      error = std::string(kPrefix) + "cannot load cuBLAS (" + soname + "): " + (why ? why : "?");
      return;
    }
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (fn == nullptr && error.empty()) {
        error = std::string(kPrefix) + soname + " has no " + name;
      }
    };
    bind(table.create, "cublasCreate_v2");
    bind(table.destroy, "cublasDestroy_v2");
    bind(table.set_stream, "cublasSetStream_v2");
    bind(table.set_math_mode, "cublasSetMathMode");
    bind(table.sgemm, "cublasSgemm_v2");
    bind(table.status_name, "cublasGetStatusName");
    bind(table.status_string, "cublasGetStatusString");
  });
  if (!error.empty()) return Result<const Cublas*>::err(error);
  return Result<const Cublas*>::ok(&table);
}

std::string cublas_error(const char* what, cublasStatus_t s) {
  return std::string(kPrefix) + what + " failed: " + cublas->status_name(s) + " (" +
         cublas->status_string(s) + ")";
}

// Device memory owned by one object.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~DeviceArray() {
    if (p_ != nullptr) cudaFree(p_);
  }
  cudaError_t allocate(size_t n) {
    if (p_ != nullptr) cudaFree(p_);
    p_ = nullptr;
    return cudaMalloc(reinterpret_cast<void**>(&p_), std::max<size_t>(n, 1) * sizeof(T));
  }
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
};

// Kernel 1: norms[e] = |v| of token ids[e] (0 for padding).
__global__ void token_norms_kernel(const uint32_t* __restrict__ ids, uint32_t total,
                                   float* __restrict__ norms) {
  const uint32_t e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e < total) norms[e] = embed_v1::token_norm(ids[e]);
}

// Kernel 2: block r (kDim threads) writes out[r * kDim ..] = E(row r).
__global__ void embed_rows_kernel(const uint32_t* __restrict__ ids, const float* __restrict__ norms,
                                  uint32_t cols, float* __restrict__ out) {
  __shared__ float acc[kDim];
  __shared__ float norm;
  const size_t r = blockIdx.x;
  const uint32_t j = threadIdx.x;
  acc[j] = embed_v1::row_sum_component(ids + r * cols, norms + r * cols, cols, j);
  __syncthreads();
  if (j == 0) norm = embed_v1::row_norm(acc);
  __syncthreads();
  out[r * kDim + j] = embed_v1::normalised(acc[j], norm);
}

enum ActivationCode : int { kActNone = -1, kActRelu = 0, kActGelu = 1, kActTanh = 2 };

// y[b, o] += bias[o], then the activation (the formulas of mlp::activate).
__global__ void bias_activation_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                       uint32_t out, uint64_t total, int act) {
  const uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (i >= total) return;
  float v = y[i] + bias[i % out];
  if (act == kActRelu) {
    v = v < 0.0f ? 0.0f : v;
  } else if (act == kActGelu) {
    v = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
  } else if (act == kActTanh) {
    v = tanhf(v);
  }
  y[i] = v;
}

int activation_code(mlp::Activation a) {
  switch (a) {
    case mlp::Activation::kRelu:
      return kActRelu;
    case mlp::Activation::kGelu:
      return kActGelu;
    case mlp::Activation::kTanh:
      return kActTanh;
  }
  return kActRelu;
}

struct DeviceLayer {
  uint32_t in = 0;
  uint32_t out = 0;
  DeviceArray<float> weight;  // [out, in] row-major, as on the host
  DeviceArray<float> bias;
};

class CudaBackend final : public ModelBackend {
 public:
  CudaBackend(std::filesystem::path data_dir, int device, std::string info, cudaStream_t stream,
              cublasHandle_t blas)
      : ModelBackend(std::move(data_dir)),
        device_(device),
        info_(std::move(info)),
        stream_(stream),
        blas_(blas) {}

  ~CudaBackend() override {
    cudaSetDevice(device_);
    models_.clear();  // device memory first, then the handle and the stream
    cublas->destroy(blas_);
    cudaStreamDestroy(stream_);
  }

  BackendKind kind() const override { return BackendKind::kCuda; }
  bool available() const override { return true; }
  std::string device_info() const override { return info_ + " (" + models_info() + ")"; }

 protected:
  Result<Tensor> run_embed(const Tensor& input) override;
  Result<Tensor> run_mlp(const mlp::Model& model, const Tensor& input) override;

 private:
  // The model's weights on the device, uploaded on first use. Call with mu_ held.
  Result<const std::vector<DeviceLayer>*> device_model(const mlp::Model& model);

  int device_;
  std::string info_;
  cudaStream_t stream_;
  cublasHandle_t blas_;
  std::mutex mu_;  // one call at a time on stream_ and blas_
  std::map<const mlp::Model*, std::vector<DeviceLayer>> models_;
};

Result<Tensor> CudaBackend::run_embed(const Tensor& input) {
  using R = Result<Tensor>;
  auto checked = embed_v1::check_input(input);
  if (!checked) return R::err(checked.error());
  const embed_v1::Ids& in = checked.value();
  Tensor out;
  out.shape = {in.rows, kDim};
  out.data.assign(size_t{in.rows} * kDim, 0.0f);
  if (in.rows == 0 || in.cols == 0) return R::ok(std::move(out));  // all rows are zeros

  std::lock_guard lock(mu_);
  cudaError_t e = cudaSetDevice(device_);
  if (e != cudaSuccess) return R::err(cuda_error("cudaSetDevice", e));
  const uint32_t total = in.rows * in.cols;  // <= 2^24, checked
  DeviceArray<uint32_t> ids;
  DeviceArray<float> norms;
  DeviceArray<float> result;
  if ((e = ids.allocate(total)) != cudaSuccess || (e = norms.allocate(total)) != cudaSuccess ||
      (e = result.allocate(out.data.size())) != cudaSuccess) {
    return R::err(cuda_error("cudaMalloc", e));
  }
  e = cudaMemcpyAsync(ids.get(), in.ids.data(), size_t{total} * sizeof(uint32_t),
                      cudaMemcpyHostToDevice, stream_);
  if (e != cudaSuccess) return R::err(cuda_error("copying the input to the device", e));
  token_norms_kernel<<<(total + 255) / 256, 256, 0, stream_>>>(ids.get(), total, norms.get());
  if ((e = cudaGetLastError()) != cudaSuccess) return R::err(cuda_error("token_norms_kernel", e));
  embed_rows_kernel<<<in.rows, kDim, 0, stream_>>>(ids.get(), norms.get(), in.cols, result.get());
  if ((e = cudaGetLastError()) != cudaSuccess) return R::err(cuda_error("embed_rows_kernel", e));
  e = cudaMemcpyAsync(out.data.data(), result.get(), out.data.size() * sizeof(float),
                      cudaMemcpyDeviceToHost, stream_);
  if (e != cudaSuccess) return R::err(cuda_error("copying the result to the host", e));
  if ((e = cudaStreamSynchronize(stream_)) != cudaSuccess) {
    return R::err(cuda_error("lokust/embed-v1 on the device", e));
  }
  return R::ok(std::move(out));
}

Result<const std::vector<DeviceLayer>*> CudaBackend::device_model(const mlp::Model& model) {
  using R = Result<const std::vector<DeviceLayer>*>;
  const auto it = models_.find(&model);
  if (it != models_.end()) return R::ok(&it->second);
  std::vector<DeviceLayer> layers(model.layers.size());
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const mlp::Layer& src = model.layers[i];
    DeviceLayer& dst = layers[i];
    dst.in = src.in;
    dst.out = src.out;
    cudaError_t e;
    if ((e = dst.weight.allocate(src.weight.size())) != cudaSuccess ||
        (e = dst.bias.allocate(src.bias.size())) != cudaSuccess) {
      return R::err(cuda_error("cudaMalloc for the model's weights", e));
    }
    // On stream_, so the copies are done before any later work on it reads the weights (a
    // plain cudaMemcpy from pageable memory may return before its DMA has finished).
    if ((e = cudaMemcpyAsync(dst.weight.get(), src.weight.data(), src.weight.size() * sizeof(float),
                             cudaMemcpyHostToDevice, stream_)) != cudaSuccess ||
        (e = cudaMemcpyAsync(dst.bias.get(), src.bias.data(), src.bias.size() * sizeof(float),
                             cudaMemcpyHostToDevice, stream_)) != cudaSuccess) {
      return R::err(cuda_error("copying the model's weights to the device", e));
    }
  }
  const auto pos = models_.emplace(&model, std::move(layers)).first;
  return R::ok(&pos->second);
}

Result<Tensor> CudaBackend::run_mlp(const mlp::Model& model, const Tensor& input) {
  using R = Result<Tensor>;
  auto checked = mlp::check_input(model, input);
  if (!checked) return R::err(checked.error());
  const uint32_t batch = checked.value();
  Tensor out;
  out.shape = {batch, model.out_features()};
  if (batch == 0) return R::ok(std::move(out));

  std::lock_guard lock(mu_);
  cudaError_t e = cudaSetDevice(device_);
  if (e != cudaSuccess) return R::err(cuda_error("cudaSetDevice", e));
  auto layers = device_model(model);
  if (!layers) return R::err(model.id + ": " + layers.error());

  size_t widest = model.in_features();
  for (const DeviceLayer& l : *layers.value()) widest = std::max<size_t>(widest, l.out);
  DeviceArray<float> cur;
  DeviceArray<float> next;
  if ((e = cur.allocate(size_t{batch} * widest)) != cudaSuccess ||
      (e = next.allocate(size_t{batch} * widest)) != cudaSuccess) {
    return R::err(model.id + ": " + cuda_error("cudaMalloc", e));
  }
  e = cudaMemcpyAsync(cur.get(), input.data.data(), input.data.size() * sizeof(float),
                      cudaMemcpyHostToDevice, stream_);
  if (e != cudaSuccess) return R::err(model.id + ": " + cuda_error("copying the input", e));

  const std::vector<DeviceLayer>& ls = *layers.value();
  for (size_t i = 0; i < ls.size(); ++i) {
    const DeviceLayer& l = ls[i];
    // Row-major Y[batch, out] = X[batch, in] W[out, in]^T is, column-major, Y^T = W^T' X^T:
    // A = the weight buffer read as an in x out column-major matrix, transposed.
    const float one = 1.0f;
    const float zero = 0.0f;
    const cublasStatus_t s = cublas->sgemm(
        blas_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(l.out), static_cast<int>(batch),
        static_cast<int>(l.in), &one, l.weight.get(), static_cast<int>(l.in), cur.get(),
        static_cast<int>(l.in), &zero, next.get(), static_cast<int>(l.out));
    if (s != CUBLAS_STATUS_SUCCESS) return R::err(model.id + ": " + cublas_error("cublasSgemm", s));
    const uint64_t total = uint64_t{batch} * l.out;  // <= mlp::kMaxActivations
    const int act = i + 1 < ls.size() ? activation_code(model.activation) : kActNone;
    bias_activation_kernel<<<static_cast<unsigned>((total + 255) / 256), 256, 0, stream_>>>(
        next.get(), l.bias.get(), l.out, total, act);
    if ((e = cudaGetLastError()) != cudaSuccess) {
      return R::err(model.id + ": " + cuda_error("bias_activation_kernel", e));
    }
    std::swap(cur, next);
  }
  out.data.resize(size_t{batch} * model.out_features());
  e = cudaMemcpyAsync(out.data.data(), cur.get(), out.data.size() * sizeof(float),
                      cudaMemcpyDeviceToHost, stream_);
  if (e != cudaSuccess) return R::err(model.id + ": " + cuda_error("copying the result", e));
  if ((e = cudaStreamSynchronize(stream_)) != cudaSuccess) {
    return R::err(model.id + ": " + cuda_error("the MLP on the device", e));
  }
  return R::ok(std::move(out));
}

std::string version_text(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

}  // namespace

bool cuda_compiled_in() { return true; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // not sticky: clear it
    return 0;
  }
  return n;
}

Result<std::unique_ptr<GpuBackend>> make_cuda_backend(std::filesystem::path data_dir) {
  using R = Result<std::unique_ptr<GpuBackend>>;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return R::err(std::string(kPrefix) + "no usable CUDA device: " + cudaGetErrorName(e) + " (" +
                  cudaGetErrorString(e) + ")");
  }
  if (count == 0) return R::err(std::string(kPrefix) + "no CUDA device found");
  const int device = 0;
  cudaDeviceProp prop{};
  if ((e = cudaGetDeviceProperties(&prop, device)) != cudaSuccess) {
    return R::err(cuda_error("cudaGetDeviceProperties", e));
  }
  if ((e = cudaSetDevice(device)) != cudaSuccess) return R::err(cuda_error("cudaSetDevice", e));
  cudaStream_t stream = nullptr;
  if ((e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)) != cudaSuccess) {
    return R::err(cuda_error("cudaStreamCreate", e));
  }
  auto loaded = load_cublas();
  if (!loaded) {
    cudaStreamDestroy(stream);
    return R::err(loaded.error());
  }
  cublas = loaded.value();
  cublasHandle_t blas = nullptr;
  cublasStatus_t s = cublas->create(&blas);
  if (s != CUBLAS_STATUS_SUCCESS) {
    cudaStreamDestroy(stream);
    return R::err(cublas_error("cublasCreate", s));
  }
  // Plain FP32 sgemm (the default mode never lowers precision to TF32).
  if ((s = cublas->set_stream(blas, stream)) != CUBLAS_STATUS_SUCCESS ||
      (s = cublas->set_math_mode(blas, CUBLAS_DEFAULT_MATH)) != CUBLAS_STATUS_SUCCESS) {
    cublas->destroy(blas);
    cudaStreamDestroy(stream);
    return R::err(cublas_error("configuring cuBLAS", s));
  }
  int driver = 0;
  int runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  std::string info = "cuda: " + std::string(prop.name) + " (device " + std::to_string(device) +
                     " of " + std::to_string(count) + ", compute capability " +
                     std::to_string(prop.major) + "." + std::to_string(prop.minor) + ", " +
                     std::to_string(prop.totalGlobalMem >> 20) + " MiB, driver " +
                     version_text(driver) + ", runtime " + version_text(runtime) + ")";
  return R::ok(
      std::make_unique<CudaBackend>(std::move(data_dir), device, std::move(info), stream, blas));
}

}  // namespace lokust::host::gpu
