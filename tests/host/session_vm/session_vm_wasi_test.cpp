// The session VM's WASI imports on the project's WASI host (engine/wasi): the data directory's
// `data` folder is created and preopened read-write at kDataGuestPath in the instance's own
// WasiCtx, and the guest's clock and random bytes are the WASI host's unless HostSources
// replace them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "compiled_guest.h"
#include "engine/wasi/ctx.h"
#include "host/agents/heuristic.h"
#include "host/gpu/gpu_backend.h"
#include "host/session_vm/session_vm.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace {

namespace fs = std::filesystem;
namespace svm = lokust::host::session_vm;
namespace gpu = lokust::host::gpu;
namespace wasi = lokust::wasi;

std::shared_ptr<const svm::CompiledComponent> Compiled() {
  return lokust::testing::CompiledGuest();
}

class SessionVmWasiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = gpu::make_gpu_backend(gpu::BackendKind::kCpu, {});
    ASSERT_TRUE(b) << b.error();
    backend_ = std::move(b.value());
    root_ = fs::temp_directory_path() /
            ("lokust-svm-wasi-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<svm::SessionVm> Load(const svm::VmOptions& options) {
    auto vm = svm::SessionVm::Load(Compiled(), runtime_, *backend_, options);
    EXPECT_TRUE(vm) << vm.error();
    return vm ? std::move(vm.value()) : nullptr;
  }

  std::string NewSession(svm::SessionVm& vm) {
    auto id = vm.create_session({{"planner", "Planner", "planner", 0}});
    EXPECT_TRUE(id) << id.error();
    return id ? id.value() : "";
  }

  fs::path root_;
  lokust::host::agents::HeuristicRuntime runtime_;
  std::unique_ptr<gpu::GpuBackend> backend_;
};

TEST_F(SessionVmWasiTest, DataFolderIsCreatedAndPreopenedReadWrite) {
  const fs::path data_dir = root_ / "session-data";  // does not exist yet
  svm::VmOptions options;
  options.data_dir = data_dir;
  auto vm = Load(options);
  ASSERT_NE(vm, nullptr);
  EXPECT_TRUE(fs::is_directory(data_dir / "data"));

  const auto& preopens = vm->wasi().preopens();
  ASSERT_EQ(preopens.size(), 1u);
  EXPECT_EQ(preopens[0].second, svm::kDataGuestPath);
  EXPECT_EQ(std::string(svm::kDataGuestPath), "/data");
  // What a guest would do through wasi:filesystem: create and write a file beneath the
  // preopen; it lands in <data_dir>/data on the host.
  const wasi::DescriptorPtr& dir = preopens[0].first;
  auto f = dir->OpenAt(0, "probe.txt", wasi::kOpenCreate, wasi::kDescRead | wasi::kDescWrite);
  ASSERT_TRUE(f.ok()) << wasi::ErrorCodeName(f.error());
  const std::string text = "written through the preopen";
  auto w = (*f)->Write(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), 0);
  ASSERT_TRUE(w.ok()) << wasi::ErrorCodeName(w.error());
  std::ifstream in(data_dir / "data" / "probe.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), text);
  // The sandbox: nothing above the preopen.
  auto up = dir->OpenAt(0, "../escape.txt", wasi::kOpenCreate, wasi::kDescWrite);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error(), wasi::ErrorCode::kNotPermitted);
  EXPECT_FALSE(fs::exists(data_dir / "escape.txt"));

  // The guest runs on it as before.
  EXPECT_EQ(NewSession(*vm).rfind("ses_", 0), 0u);
}

TEST_F(SessionVmWasiTest, EachInstanceHasItsOwnContext) {
  svm::VmOptions options;
  options.data_dir = root_;
  auto a = Load(options);
  auto b = Load(options);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(&a->wasi(), &b->wasi());
  EXPECT_EQ(a->wasi().preopens().size(), 1u);
  EXPECT_EQ(b->wasi().preopens().size(), 1u);
  // No arguments, no environment.
  EXPECT_TRUE(a->wasi().args().empty());
  EXPECT_TRUE(a->wasi().env().empty());
}

TEST_F(SessionVmWasiTest, WithoutADataDirNothingIsPreopened) {
  auto vm = Load({});
  ASSERT_NE(vm, nullptr);
  EXPECT_TRUE(vm->wasi().preopens().empty());
  EXPECT_EQ(NewSession(*vm).rfind("ses_", 0), 0u);
}

TEST_F(SessionVmWasiTest, ADataFolderThatCannotBeMadeIsAnErrNamingIt) {
  fs::create_directories(root_);
  std::ofstream(root_ / "data") << "a file where the folder should be";
  svm::VmOptions options;
  options.data_dir = root_;
  auto vm = svm::SessionVm::Load(Compiled(), runtime_, *backend_, options);
  ASSERT_FALSE(vm);
  EXPECT_NE(vm.error().find((root_ / "data").string()), std::string::npos) << vm.error();
  // The path-based Load takes the same options.
  auto vm2 = svm::SessionVm::Load(LOKUST_SESSION_GUEST_WASM, runtime_, *backend_, options);
  ASSERT_FALSE(vm2);
  EXPECT_NE(vm2.error().find((root_ / "data").string()), std::string::npos) << vm2.error();
}

// Session ids are drawn from wasi:random/random and created-at-ms from monotonic-clock#now.
TEST_F(SessionVmWasiTest, ClockAndRandomAreTheWasiHostsUnlessReplaced) {
  // The WASI host's: the host's CSPRNG (two instances draw different ids) and its
  // monotonic clock.
  const uint64_t before_ms = wasi::WasiCtx::MonotonicNow() / 1000000;
  auto a = Load({});
  auto b = Load({});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::string ida = NewSession(*a), idb = NewSession(*b);
  EXPECT_NE(ida, idb);
  const uint64_t after_ms = wasi::WasiCtx::MonotonicNow() / 1000000;
  auto snap = a->get_snapshot(ida);
  ASSERT_TRUE(snap && snap.value());
  EXPECT_GE(snap.value()->created_at_ms, before_ms);
  EXPECT_LE(snap.value()->created_at_ms, after_ms);

  // Replaced: every instance with the same sources draws the same id, at the fake time.
  uint64_t random_calls = 0;
  auto replaced = [&] {
    svm::VmOptions o;
    o.sources.now_ns = [] { return uint64_t{42} * 1000000; };
    o.sources.random_bytes = [&](uint64_t n) {
      ++random_calls;
      return std::vector<uint8_t>(n, 0xAB);
    };
    return Load(o);
  };
  auto c = replaced();
  auto d = replaced();
  ASSERT_NE(c, nullptr);
  ASSERT_NE(d, nullptr);
  const std::string idc = NewSession(*c);
  EXPECT_EQ(idc, NewSession(*d));
  std::string expected = "ses_";
  for (int i = 0; i < 16; ++i) expected += "ab";
  EXPECT_EQ(idc, expected);
  EXPECT_GT(random_calls, 0u);
  auto snapc = c->get_snapshot(idc);
  ASSERT_TRUE(snapc && snapc.value());
  EXPECT_EQ(snapc.value()->created_at_ms, 42u);
}

}  // namespace
