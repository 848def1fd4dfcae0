// The session host against a hostile component (hostile_guest.c): a guest that loops, sleeps in
// a host wait, eats memory, recurses, or hands back pointers, strings, lists and
// discriminants the canonical ABI does not allow. Each attack must end in an err that says
// what happened (and which limit, where one did), a poisoned instance, and a host that goes on
// working: never a hang, a crash, or a read outside the guest's memory.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "compiled_guest.h"
#include "host/agents/heuristic.h"
#include "host/gpu/gpu_backend.h"
#include "host/service/session_host.h"
#include "host/session_vm/session_vm.h"

#ifndef LOKUST_HOSTILE_GUEST_WASM
#error "LOKUST_HOSTILE_GUEST_WASM must name build/hostile-guest/hostile_guest.wasm"
#endif

namespace {

namespace svm = lokust::host::session_vm;
namespace gpu = lokust::host::gpu;
namespace agents = lokust::host::agents;
using namespace std::chrono_literals;

class HostileGuestTest : public ::testing::Test {
 protected:
  static std::shared_ptr<const svm::CompiledComponent> Hostile() {
    static const auto compiled = [] {
      auto c = svm::SessionVm::Compile(LOKUST_HOSTILE_GUEST_WASM);
      if (!c) throw std::runtime_error(c.error());
      return c.value();
    }();
    return compiled;
  }

  void SetUp() override {
    auto b = gpu::make_gpu_backend(gpu::BackendKind::kNone, {});
    ASSERT_TRUE(b) << b.error();
    backend_ = std::move(b.value());
    // Tight limits, so that each attack ends quickly.
    limits_.max_guest_time = 200ms;
    limits_.max_memory_bytes = 16 << 20;
    limits_.max_call_depth = 2000;
  }

  std::unique_ptr<svm::SessionVm> Load(std::shared_ptr<const svm::CompiledComponent> c,
                                       const svm::GuestLimits* limits = nullptr) {
    svm::VmOptions o;
    o.limits = limits ? *limits : limits_;
    auto vm = svm::SessionVm::Load(std::move(c), runtime_, *backend_, o);
    EXPECT_TRUE(vm) << vm.error();
    return vm ? std::move(vm.value()) : nullptr;
  }

  // create-session with `attack` as the first agent's id.
  lokust::host::Result<std::string> Attack(svm::SessionVm& vm, const std::string& attack) {
    return vm.create_session({{attack, "Mallory", "planner", 0}});
  }

  // After an attack: the instance is poisoned, and the host still runs a real session on a
  // new instance of the real guest.
  void ExpectPoisonedAndHostFine(const svm::SessionVm& vm) {
    EXPECT_TRUE(vm.poisoned());
    const svm::GuestLimits defaults;
    auto real = Load(lokust::testing::CompiledGuest(), &defaults);
    ASSERT_TRUE(real);
    auto id = real->create_session({{"p", "P", "planner", 0}, {"c", "C", "critic", 1}});
    ASSERT_TRUE(id) << id.error();
    auto phase = real->run_next_phase(id.value());
    EXPECT_TRUE(phase) << phase.error();
  }

  svm::GuestLimits limits_;
  agents::HeuristicRuntime runtime_{256};
  std::unique_ptr<gpu::GpuBackend> backend_;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(HostileGuestTest, AWellBehavedCallWorks) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto id = Attack(*vm, "none");
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(id.value(), "ok");
  auto phase = vm->run_next_phase("ok");
  ASSERT_FALSE(phase);
  EXPECT_EQ(phase.error(), "no such session");  // the guest's own err, as it is
  EXPECT_FALSE(vm->poisoned());
  EXPECT_EQ(vm->limit_hit(), svm::GuestLimit::kNone);
}

TEST_F(HostileGuestTest, ALoopEndsAtTheGuestTimeLimit) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto id = Attack(*vm, "spin");
  ASSERT_FALSE(id);
  EXPECT_TRUE(Contains(id.error(), "deadline exceeded")) << id.error();
  EXPECT_EQ(vm->limit_hit(), svm::GuestLimit::kTime);
  ExpectPoisonedAndHostFine(*vm);
}

// The guest blocks on a WASI timer an hour away: the time limit holds in the host's wait too.
TEST_F(HostileGuestTest, ASleepInAHostWaitEndsAtTheGuestTimeLimit) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  const auto start = std::chrono::steady_clock::now();
  auto id = Attack(*vm, "sleep");
  ASSERT_FALSE(id);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 60s);  // a sanity bound, not a timing
  EXPECT_TRUE(Contains(id.error(), "deadline exceeded")) << id.error();
  EXPECT_TRUE(Contains(id.error(), "time limit: 200 ms")) << id.error();
  EXPECT_EQ(vm->limit_hit(), svm::GuestLimit::kTime);
  ExpectPoisonedAndHostFine(*vm);
}

TEST_F(HostileGuestTest, GrowingMemoryEndsAtTheMemoryLimit) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto id = Attack(*vm, "grow");
  ASSERT_FALSE(id);
  EXPECT_TRUE(Contains(id.error(), "memory reached its limit of 16 MiB")) << id.error();
  EXPECT_EQ(vm->limit_hit(), svm::GuestLimit::kMemory);
  ExpectPoisonedAndHostFine(*vm);
}

TEST_F(HostileGuestTest, RecursionEndsAtTheCallDepthLimit) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto id = Attack(*vm, "recurse");
  ASSERT_FALSE(id);
  EXPECT_TRUE(Contains(id.error(), "call stack exhausted")) << id.error();
  EXPECT_EQ(vm->limit_hit(), svm::GuestLimit::kCallDepth);
  ExpectPoisonedAndHostFine(*vm);
}

// Results the canonical ABI does not allow: the host reads nothing outside the guest's memory
// and accepts nothing that is not a value of the result type.
struct BadResult {
  const char* attack;
  const char* expect;  // in the err
};

class HostileResultTest : public HostileGuestTest,
                          public ::testing::WithParamInterface<BadResult> {};

TEST_P(HostileResultTest, IsATrapNamingTheProblem) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto id = Attack(*vm, GetParam().attack);
  ASSERT_FALSE(id) << "accepted: " << id.value();
  EXPECT_TRUE(Contains(id.error(), "trap: ")) << id.error();
  EXPECT_TRUE(Contains(id.error(), GetParam().expect)) << id.error();
  EXPECT_EQ(vm->limit_hit(), svm::GuestLimit::kNone);
  ExpectPoisonedAndHostFine(*vm);
}

INSTANTIATE_TEST_SUITE_P(CreateSession, HostileResultTest,
                         ::testing::Values(BadResult{"bad-retptr", "out of bounds"},
                                           BadResult{"bad-string", "out of bounds"},
                                           BadResult{"bad-utf8", "invalid utf-8"}),
                         [](const auto& info) {
                           std::string name = info.param.attack;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST_F(HostileGuestTest, AnOutOfBoundsListInAResultIsATrap) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto phase = vm->run_next_phase("huge-list");
  ASSERT_FALSE(phase);
  EXPECT_TRUE(Contains(phase.error(), "list content out-of-bounds (2147483647 bytes at "))
      << phase.error();
  ExpectPoisonedAndHostFine(*vm);
}

TEST_F(HostileGuestTest, AnEnumCaseThatDoesNotExistIsATrap) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto phase = vm->run_next_phase("bad-enum");
  ASSERT_FALSE(phase);
  EXPECT_TRUE(Contains(phase.error(), "trap: invalid variant discriminant 77 (enum with 5 cases)"))
      << phase.error();
  ExpectPoisonedAndHostFine(*vm);
}

TEST_F(HostileGuestTest, AResultDiscriminantThatIsNeitherOkNorErrIsATrap) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto status = vm->pause_session("ok");
  ASSERT_FALSE(status);
  EXPECT_TRUE(
      Contains(status.error(), "trap: invalid variant discriminant 2 (result with 2 cases)"))
      << status.error();
  ExpectPoisonedAndHostFine(*vm);
}

// cabi_realloc answers with memory the guest does not have: the host's arguments are not
// written anywhere.
TEST_F(HostileGuestTest, AnOutOfBoundsReallocIsATrap) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  auto id = Attack(*vm, "bad-realloc");
  ASSERT_TRUE(id) << id.error();
  auto phase = vm->run_next_phase("a session id the host must copy in");
  ASSERT_FALSE(phase);
  EXPECT_TRUE(Contains(phase.error(), "trap: ")) << phase.error();
  EXPECT_TRUE(Contains(phase.error(), "realloc return: beyond end of memory")) << phase.error();
  ExpectPoisonedAndHostFine(*vm);
}

// A component that is no session VM (a WASI command) loads no SessionVm.
TEST_F(HostileGuestTest, AComponentWithoutSessionOpsIsNotLoaded) {
  svm::VmOptions o;
  auto vm = svm::SessionVm::Load(LOKUST_WASI_CLI_COMPONENT, runtime_, *backend_, o);
  ASSERT_FALSE(vm);
  EXPECT_NE(vm.error().find("not a session VM component: it does not export "
                            "lokust:session-vm/session-ops#create-session"),
            std::string::npos)
      << vm.error();
}

// The hostile guest exports session-ops only: SessionVm runs it, the session host (which needs
// session-admin too) refuses it when it opens, naming what is missing.
TEST_F(HostileGuestTest, AComponentWithoutSessionAdminIsRefusedAtStart) {
  auto vm = Load(Hostile());
  ASSERT_TRUE(vm);
  EXPECT_TRUE(vm->CheckExports(false));
  auto admin = vm->CheckExports(true);
  ASSERT_FALSE(admin);
  EXPECT_EQ(admin.error(),
            "not a session VM component: it does not export "
            "lokust:session-vm/session-admin#create-session-checked");
  EXPECT_TRUE(Load(lokust::testing::CompiledGuest())->CheckExports(true));

  const auto dir = std::filesystem::temp_directory_path() / "lokust-hostile-host";
  std::filesystem::remove_all(dir);
  lokust::host::service::HostOptions o;
  o.data_dir = dir;
  o.component = LOKUST_HOSTILE_GUEST_WASM;
  o.gpu = gpu::BackendKind::kNone;
  auto host = lokust::host::service::SessionHost::open(o);
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().find("does not export lokust:session-vm/session-admin"), std::string::npos)
      << host.error();
  EXPECT_NE(host.error().find("session-vm-ext world"), std::string::npos) << host.error();
  std::filesystem::remove_all(dir);
}

}  // namespace
