// The factory, the backend kinds, the none backend and model-id dispatch.
#include <gtest/gtest.h>

#include "host/gpu/gpu_backend.h"
#include "test_support.h"

namespace lokust::host::gpu {
namespace {

TEST(GpuBackendKind, ParsesAndNames) {
  for (const BackendKind k :
       {BackendKind::kAuto, BackendKind::kCpu, BackendKind::kCuda, BackendKind::kNone}) {
    const auto parsed = parse_backend_kind(backend_kind_name(k));
    ASSERT_TRUE(parsed.is_ok());
    EXPECT_EQ(parsed.value(), k);
  }
  const auto bad = parse_backend_kind("metal");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.error(), "unknown GPU backend \"metal\": use auto, cpu, cuda or none");
}

TEST(GpuBackend, NoneIsUnavailableAndRefusesEverything) {
  auto made = make_gpu_backend(BackendKind::kNone, "");
  ASSERT_TRUE(made.is_ok()) << made.error();
  GpuBackend& b = *made.value();
  EXPECT_EQ(b.kind(), BackendKind::kNone);
  EXPECT_FALSE(b.available());
  EXPECT_TRUE(b.device_info().starts_with("none: ")) << b.device_info();
  const auto r = b.infer(kEmbedModelId, Tensor{{1, 1}, {1}});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("gpu backend \"none\""), std::string::npos) << r.error();
}

TEST(GpuBackend, CpuIsAvailableAndSaysSo) {
  auto made = make_gpu_backend(BackendKind::kCpu, "/nonexistent");
  ASSERT_TRUE(made.is_ok()) << made.error();
  EXPECT_EQ(made.value()->kind(), BackendKind::kCpu);
  EXPECT_TRUE(made.value()->available());
  EXPECT_TRUE(made.value()->device_info().starts_with("cpu: reference backend on "))
      << made.value()->device_info();
}

TEST(GpuBackend, AutoPicksCudaWhereADeviceIsElseCpu) {
  auto made = make_gpu_backend(BackendKind::kAuto, "");
  ASSERT_TRUE(made.is_ok()) << made.error();
  const BackendKind expected =
      cuda_compiled_in() && cuda_device_count() > 0 ? BackendKind::kCuda : BackendKind::kCpu;
  EXPECT_EQ(made.value()->kind(), expected) << made.value()->device_info();
  std::cout << "[   INFO   ] auto backend: " << made.value()->device_info() << "\n";
}

TEST(GpuBackend, ExplicitCudaWithoutADeviceIsAClearError) {
  auto made = make_gpu_backend(BackendKind::kCuda, "");
  if (cuda_compiled_in() && cuda_device_count() > 0) {
    ASSERT_TRUE(made.is_ok()) << made.error();
    EXPECT_EQ(made.value()->kind(), BackendKind::kCuda);
    EXPECT_TRUE(made.value()->device_info().starts_with("cuda: ")) << made.value()->device_info();
    std::cout << "[   INFO   ] " << made.value()->device_info() << "\n";
    return;
  }
  ASSERT_FALSE(made.is_ok());
  EXPECT_TRUE(made.error().starts_with("gpu backend \"cuda\": ")) << made.error();
  std::cout << "[   INFO   ] no CUDA backend here: " << made.error() << "\n";
}

class Dispatch : public testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Gpu, Dispatch, testing::ValuesIn(test::backend_names()),
                         test::backend_param_name);

TEST_P(Dispatch, UnknownModelsAreErrors) {
  LOKUST_MAKE_BACKEND_OR_SKIP(backend, GetParam(), "");
  for (const std::string id : {"", "lokust/embed-v2", "LOKUST/EMBED-V1", "mlp", "gpt-4"}) {
    const auto r = backend->infer(id, Tensor{{1, 1}, {1}});
    ASSERT_FALSE(r.is_ok()) << id;
    EXPECT_EQ(r.error(), "unknown model \"" + id +
                             "\": this host serves lokust/embed-v1 and mlp/<name> "
                             "(models/<name>.safetensors in its data directory)");
  }
  // A long id is cut (at a UTF-8 boundary) in the message.
  const std::string long_id = std::string(63, 'x') + "\xC3\xA9" + std::string(100, 'y');
  const auto r = backend->infer(long_id, Tensor{{1, 1}, {1}});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.error().find("\"" + std::string(63, 'x') + "...\""), std::string::npos) << r.error();
}

}  // namespace
}  // namespace lokust::host::gpu
