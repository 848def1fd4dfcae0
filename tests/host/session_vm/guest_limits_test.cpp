// GuestLimits on the session VM component: each limit (memory, call depth, guest time, fuel)
// stops a call that goes past it with an err naming the limit, and poisons the instance; time
// the host spends in its own imports (an agent call) is not guest time.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "compiled_guest.h"
#include "host/agents/heuristic.h"
#include "host/gpu/gpu_backend.h"
#include "host/session_vm/session_vm.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace {

namespace svm = lokust::host::session_vm;
namespace gpu = lokust::host::gpu;
namespace agents = lokust::host::agents;
using namespace std::chrono_literals;

std::shared_ptr<const svm::CompiledComponent> Compiled() {
  return lokust::testing::CompiledGuest();
}

// The heuristic agent, after a wait: an agent call that takes wall time on the host's side.
class SlowRuntime final : public agents::AgentRuntime {
 public:
  SlowRuntime(std::chrono::milliseconds wait, size_t output_bytes)
      : wait_(wait), inner_(output_bytes) {}
  lokust::host::Result<agents::AgentResult> execute(const agents::AgentTask& task) override {
    std::this_thread::sleep_for(wait_);
    return inner_.execute(task);
  }
  std::string describe() const override { return "slow heuristic"; }

 private:
  std::chrono::milliseconds wait_;
  agents::HeuristicRuntime inner_;
};

const std::vector<svm::AgentConfig> kAgents = {{"planner", "Planner", "planner", 0},
                                               {"researcher", "Researcher", "researcher", 1},
                                               {"critic", "Critic", "critic", 2}};

class GuestLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = gpu::make_gpu_backend(gpu::BackendKind::kCpu, {});
    ASSERT_TRUE(b) << b.error();
    backend_ = std::move(b.value());
  }

  lokust::host::Result<std::unique_ptr<svm::SessionVm>> Load(
      const svm::GuestLimits& limits, agents::AgentRuntime* runtime = nullptr) {
    svm::VmOptions o;
    o.limits = limits;
    return svm::SessionVm::Load(Compiled(), runtime ? *runtime : runtime_, *backend_, o);
  }

  agents::HeuristicRuntime runtime_{256};
  std::unique_ptr<gpu::GpuBackend> backend_;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(GuestLimitsTest, DefaultLimitsRunAWholeSession) {
  auto vm = Load({});
  ASSERT_TRUE(vm) << vm.error();
  auto id = vm.value()->create_session(kAgents);
  ASSERT_TRUE(id) << id.error();
  for (int i = 0; i < 3; ++i) {
    auto phase = vm.value()->run_next_phase(id.value());
    ASSERT_TRUE(phase) << phase.error();
  }
  auto m = vm.value()->get_metrics(id.value());
  ASSERT_TRUE(m && m.value());
  EXPECT_EQ(m.value()->phases_completed, 3u);
}

TEST_F(GuestLimitsTest, FuelIsABudgetPerCall) {
  // Enough for any one call, far from enough for the session's calls together: the budget is
  // given afresh to each call.
  svm::GuestLimits enough;
  enough.fuel_per_call = 2'000'000;
  auto vm = Load(enough);
  ASSERT_TRUE(vm) << vm.error();
  auto id = vm.value()->create_session(kAgents);
  ASSERT_TRUE(id) << id.error();
  for (int round = 0; round < 20; ++round) {
    auto snap = vm.value()->get_snapshot(id.value());
    ASSERT_TRUE(snap) << "round " << round << ": " << snap.error();
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(vm.value()->run_next_phase(id.value()));
  EXPECT_FALSE(vm.value()->poisoned());
}

TEST_F(GuestLimitsTest, RunningOutOfFuelTrapsNamingTheBudget) {
  svm::GuestLimits tiny;
  tiny.fuel_per_call = 5;
  auto vm = Load(tiny);
  ASSERT_TRUE(vm) << vm.error();
  auto id = vm.value()->create_session(kAgents);
  ASSERT_FALSE(id);
  EXPECT_TRUE(Contains(id.error(), "fuel exhausted")) << id.error();
  EXPECT_TRUE(Contains(id.error(), "the guest used up its fuel: 5 per call")) << id.error();
  EXPECT_EQ(vm.value()->limit_hit(), svm::GuestLimit::kFuel);
  EXPECT_TRUE(vm.value()->poisoned());
}

TEST_F(GuestLimitsTest, GuestTimeLimitTrapsNamingIt) {
  svm::GuestLimits instant;
  instant.max_guest_time = 1ns;  // past at the guest's first check
  auto vm = Load(instant);
  ASSERT_TRUE(vm) << vm.error();
  auto id = vm.value()->create_session(kAgents);
  ASSERT_FALSE(id);
  EXPECT_TRUE(Contains(id.error(), "deadline exceeded")) << id.error();
  EXPECT_TRUE(Contains(id.error(), "time limit: 1 ns of guest time per call")) << id.error();
  EXPECT_EQ(vm.value()->limit_hit(), svm::GuestLimit::kTime);
  EXPECT_TRUE(vm.value()->poisoned());
  // A later call that fails for another reason (the poisoned instance) names no limit.
  EXPECT_FALSE(vm.value()->list_sessions());
  EXPECT_EQ(vm.value()->limit_hit(), svm::GuestLimit::kNone);
}

TEST_F(GuestLimitsTest, AgentCallsDoNotCountAsGuestTime) {
  // Each agent call waits 150 ms on the host's side; the guest's own work per phase is far
  // under 100 ms. Counted as guest time, the first phase would trap.
  SlowRuntime slow(150ms, 256);
  svm::GuestLimits limits;
  limits.max_guest_time = 100ms;
  auto vm = Load(limits, &slow);
  ASSERT_TRUE(vm) << vm.error();
  auto id = vm.value()->create_session(kAgents);
  ASSERT_TRUE(id) << id.error();
  for (int i = 0; i < 3; ++i) {
    auto phase = vm.value()->run_next_phase(id.value());
    ASSERT_TRUE(phase) << "phase " << i << ": " << phase.error();
    EXPECT_GE(phase.value().duration_ms, 150u);
  }
}

TEST_F(GuestLimitsTest, CallDepthLimitTrapsNamingIt) {
  svm::GuestLimits shallow;
  shallow.max_call_depth = 1;  // the export itself, nothing it calls
  auto vm = Load(shallow);
  ASSERT_TRUE(vm) << vm.error();
  auto id = vm.value()->create_session(kAgents);
  ASSERT_FALSE(id);
  EXPECT_TRUE(Contains(id.error(), "call stack exhausted")) << id.error();
  EXPECT_TRUE(Contains(id.error(), "call depth limit is 1")) << id.error();
  EXPECT_EQ(vm.value()->limit_hit(), svm::GuestLimit::kCallDepth);
  EXPECT_TRUE(vm.value()->poisoned());
}

TEST_F(GuestLimitsTest, AnInstanceWhoseMemoryStartsPastTheLimitIsNotMade) {
  svm::GuestLimits small;
  small.max_memory_bytes = 64 << 10;  // one page: the guest's memory starts larger
  auto vm = Load(small);
  ASSERT_FALSE(vm);
  EXPECT_TRUE(Contains(vm.error(), "instantiate: ")) << vm.error();
  EXPECT_TRUE(Contains(vm.error(), "memory reached its limit of 64 KiB")) << vm.error();
}

TEST_F(GuestLimitsTest, AGuestThatCannotGrowItsMemoryTrapsNamingTheLimit) {
  // The smallest limit the component instantiates under, in pages...
  svm::GuestLimits tight;
  std::unique_ptr<svm::SessionVm> small;
  for (uint64_t pages = 1; pages <= 512 && !small; ++pages) {
    tight.max_memory_bytes = pages << 16;
    if (auto vm = Load(tight)) small = std::move(vm.value());
  }
  ASSERT_TRUE(small) << "the component did not instantiate under 32 MiB";
  // ...cannot take in a 4 MiB session, which an unlimited instance exports.
  agents::HeuristicRuntime big_outputs(1 << 20);
  auto roomy = Load({}, &big_outputs);
  ASSERT_TRUE(roomy) << roomy.error();
  auto id = roomy.value()->create_session({{"a", "A", "planner", 0},
                                           {"b", "B", "researcher", 1},
                                           {"c", "C", "critic", 2},
                                           {"d", "D", "writer", 3}});
  ASSERT_TRUE(id) << id.error();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(roomy.value()->run_next_phase(id.value()));
  auto bytes = roomy.value()->export_session(id.value());
  ASSERT_TRUE(bytes) << bytes.error();
  ASSERT_GT(bytes.value().size(), size_t{4} << 20);

  auto imported = small->import_session(bytes.value());
  ASSERT_FALSE(imported);
  EXPECT_TRUE(Contains(imported.error(), "trap: ")) << imported.error();
  const uint64_t kib = tight.max_memory_bytes >> 10;
  const std::string limit =
      kib % 1024 == 0 ? std::to_string(kib / 1024) + " MiB" : std::to_string(kib) + " KiB";
  EXPECT_TRUE(Contains(imported.error(), "the guest's memory reached its limit of " + limit))
      << imported.error();
  EXPECT_EQ(small->limit_hit(), svm::GuestLimit::kMemory);
  EXPECT_TRUE(small->poisoned());
}

}  // namespace
