// The typed session-vm layer (include/host/session_vm/session_vm.h) on the real component.
#include "host/session_vm/session_vm.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "host/agents/heuristic.h"
#include "host/gpu/gpu_backend.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace {

namespace svm = lokust::host::session_vm;
namespace gpu = lokust::host::gpu;

class SessionVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = gpu::make_gpu_backend(gpu::BackendKind::kCpu, {});
    ASSERT_TRUE(b) << b.error();
    backend_ = std::move(b.value());
    auto vm = svm::SessionVm::Load(LOKUST_SESSION_GUEST_WASM, runtime_, *backend_);
    ASSERT_TRUE(vm) << vm.error();
    vm_ = std::move(vm.value());
  }

  const std::vector<svm::AgentConfig> agents_ = {{"planner", "Planner", "planner", 0},
                                                 {"critic", "Critic", "critic", 1}};
  lokust::host::agents::HeuristicRuntime runtime_;
  std::unique_ptr<gpu::GpuBackend> backend_;
  std::unique_ptr<svm::SessionVm> vm_;
};

TEST_F(SessionVmTest, RunsASessionToCompletion) {
  auto id = vm_->create_session_checked(agents_, "objective", 16384);
  ASSERT_TRUE(id) << id.error();
  for (int k = 0; k < 2; ++k) {
    auto phase = vm_->run_next_phase(id.value());
    ASSERT_TRUE(phase) << phase.error();
    EXPECT_EQ(phase.value().agent_id, agents_[k].agent_id);
    EXPECT_EQ(phase.value().status, svm::AgentStatus::kCompleted);
    EXPECT_FALSE(phase.value().output.empty());
    EXPECT_GT(phase.value().tokens_used, 0u);
  }
  auto snap = vm_->get_snapshot(id.value());
  ASSERT_TRUE(snap) << snap.error();
  ASSERT_TRUE(snap.value().has_value());
  EXPECT_EQ(snap.value()->id, id.value());
  EXPECT_EQ(snap.value()->status, svm::SessionStatus::kCompleted);
  EXPECT_EQ(snap.value()->phases.size(), 2u);
  auto m = vm_->get_metrics(id.value());
  ASSERT_TRUE(m) << m.error();
  ASSERT_TRUE(m.value().has_value());
  EXPECT_EQ(m.value()->phases_completed, 2u);
  EXPECT_EQ(m.value()->phases_total, 2u);
  EXPECT_EQ(m.value()->total_tokens, snap.value()->total_tokens);
}

TEST_F(SessionVmTest, GuestErrorsAreErrs) {
  auto bad = vm_->create_session_checked({agents_[0], agents_[0]}, "", 16384);
  EXPECT_FALSE(bad);
  auto phase = vm_->run_next_phase("no-such-session");
  ASSERT_FALSE(phase);
  EXPECT_FALSE(phase.error().empty());
  auto snap = vm_->get_snapshot("no-such-session");
  ASSERT_TRUE(snap) << snap.error();
  EXPECT_FALSE(snap.value().has_value());
  auto m = vm_->get_metrics("no-such-session");
  ASSERT_TRUE(m) << m.error();
  EXPECT_FALSE(m.value().has_value());
}

TEST_F(SessionVmTest, AdminExportImportListDrop) {
  auto id = vm_->create_session(agents_);
  ASSERT_TRUE(id) << id.error();
  auto paused = vm_->pause_session(id.value());
  ASSERT_TRUE(paused) << paused.error();
  EXPECT_EQ(paused.value(), svm::SessionStatus::kPaused);
  auto resumed = vm_->resume_session(id.value());
  ASSERT_TRUE(resumed) << resumed.error();
  auto bytes = vm_->export_session(id.value());
  ASSERT_TRUE(bytes) << bytes.error();
  EXPECT_FALSE(bytes.value().empty());
  auto dropped = vm_->drop_session(id.value());
  ASSERT_TRUE(dropped) << dropped.error();
  EXPECT_TRUE(dropped.value());
  auto list = vm_->list_sessions();
  ASSERT_TRUE(list) << list.error();
  EXPECT_TRUE(list.value().empty());
  auto back = vm_->import_session(bytes.value());
  ASSERT_TRUE(back) << back.error();
  list = vm_->list_sessions();
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list.value(), std::vector<std::string>{back.value()});
}

TEST(SessionVmLoad, MissingComponentIsAnErr) {
  lokust::host::agents::HeuristicRuntime runtime;
  auto backend = gpu::make_gpu_backend(gpu::BackendKind::kNone, {});
  ASSERT_TRUE(backend) << backend.error();
  auto vm = svm::SessionVm::Load("/no/such/component.wasm", runtime, *backend.value());
  ASSERT_FALSE(vm);
  EXPECT_NE(vm.error().find("/no/such/component.wasm"), std::string::npos);
}

}  // namespace

TEST(SessionVmCompiled, OneCompiledComponentServesInstancesOnSeveralThreads) {
  auto compiled = svm::SessionVm::Compile(LOKUST_SESSION_GUEST_WASM);
  ASSERT_TRUE(compiled) << compiled.error();
  auto backend = gpu::make_gpu_backend(gpu::BackendKind::kCpu, {});
  ASSERT_TRUE(backend) << backend.error();
  const std::vector<svm::AgentConfig> agents = {{"planner", "Planner", "planner", 0},
                                                {"critic", "Critic", "critic", 1}};
  std::vector<std::vector<uint8_t>> outputs(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < outputs.size(); ++t) {
    threads.emplace_back([&, t] {
      lokust::host::agents::HeuristicRuntime runtime;
      auto vm = svm::SessionVm::Load(compiled.value(), runtime, *backend.value());
      ASSERT_TRUE(vm) << vm.error();
      auto id = vm.value()->create_session_checked(agents, "objective", 16384);
      ASSERT_TRUE(id) << id.error();
      ASSERT_TRUE(vm.value()->run_next_phase(id.value()));
      auto last = vm.value()->run_next_phase(id.value());
      ASSERT_TRUE(last) << last.error();
      outputs[t] = last.value().output;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& o : outputs) {
    EXPECT_FALSE(o.empty());
    EXPECT_EQ(o, outputs[0]);  // the same session everywhere: the same deterministic output
  }
  EXPECT_FALSE(svm::SessionVm::Compile("/nonexistent/session_guest.wasm"));
}
