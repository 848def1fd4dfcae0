// Session VM round trips on our engine (make bench; bench/component/README.md): the session VM
// component (build/guest/session_guest.wasm) through the typed host layer SessionVm, with a
// no-op agent that returns the same 1 KiB output every time and the `none` gpu backend (the
// guest ranks context itself). bench/component/jco-bench.mjs times the same loops on
// jco/Node.js with the same component, agent and output; bench/component/table.mjs prints
// both side by side.
//
//   BM_RunNextPhase/8/0   run-next-phase on 8-phase sessions, gpu `none`: all prior context
//                         fits the default 16 KiB budget, so this is the host <-> guest round
//                         trip plus the guest's bookkeeping
//   BM_RunNextPhase/64/1  run-next-phase on 64-phase sessions, gpu `cpu`: from phase 17 on,
//                         the prior context is over budget and the guest ranks it with
//                         embed-v1 computed by the host (gpu.infer); jco-bench.mjs gives its
//                         guest a JS embed-v1. (With gpu `none` the guest computes embed-v1
//                         in wasm: /64/0, not run by make bench: seconds per session.)
//   BM_GetSnapshot/64     get-snapshot of a completed 64-phase session (64 KiB of outputs)
//                         (run on the gpu `cpu` instance)
//
// Only the calls being measured are timed (manual time): creating and dropping the sessions
// around them is not. One iteration is one session's phases (items = phases) or one
// get-snapshot call.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/agents/agent_runtime.h"
#include "host/gpu/gpu_backend.h"
#include "host/session_vm/session_vm.h"

namespace {

namespace agents = lokust::host::agents;
namespace gpu = lokust::host::gpu;
using lokust::host::session_vm::AgentConfig;
using lokust::host::session_vm::SessionVm;
using Clock = std::chrono::steady_clock;

constexpr size_t kOutputBytes = 1024;

// The agent output, byte for byte the same as jco-bench.mjs's: the sentence repeated and cut
// to 1 KiB.
std::vector<uint8_t> AgentOutput() {
  const std::string unit = "The quick brown fox reviews the plan and notes one risk per step. ";
  std::string s;
  while (s.size() < kOutputBytes) s += unit;
  s.resize(kOutputBytes);
  return {s.begin(), s.end()};
}

// Returns the same output at once: what is left is the engine and the guest.
class NoopRuntime final : public agents::AgentRuntime {
 public:
  lokust::host::Result<agents::AgentResult> execute(const agents::AgentTask&) override {
    agents::AgentResult r;
    r.output = output_;
    r.tokens_used = kOutputBytes / 4;
    r.duration_ms = 0;
    return lokust::host::Result<agents::AgentResult>::ok(std::move(r));
  }
  std::string describe() const override { return "noop (1 KiB)"; }

 private:
  std::vector<uint8_t> output_ = AgentOutput();
};

// Agents a00.. with roles cycling as in jco-bench.mjs.
std::vector<AgentConfig> Agents(uint32_t n) {
  static const char* const kRoles[] = {"planner", "researcher", "critic", "writer"};
  std::vector<AgentConfig> out;
  for (uint32_t i = 0; i < n; ++i) {
    std::string id = (i < 10 ? "a0" : "a") + std::to_string(i);
    out.push_back({id, "Agent " + std::to_string(i), kRoles[i % 4], i});
  }
  return out;
}

// One loaded session VM per process, shared by the benchmarks (as a host keeps one instance
// and runs many sessions on it).
struct Fixture {
  NoopRuntime runtime;
  std::unique_ptr<gpu::GpuBackend> backend;
  std::unique_ptr<SessionVm> vm;
  std::string error;

  explicit Fixture(gpu::BackendKind kind) {
    auto b = gpu::make_gpu_backend(kind, {});
    if (!b) {
      error = "gpu backend: " + b.error();
      return;
    }
    backend = std::move(b.value());
    auto v = SessionVm::Load(LOKUST_SESSION_GUEST_WASM, runtime, *backend);
    if (!v) {
      error = "load: " + v.error();
      return;
    }
    vm = std::move(v.value());
  }
};

Fixture& Shared(bool gpu_cpu) {
  if (gpu_cpu) {
    static Fixture f(gpu::BackendKind::kCpu);
    return f;
  }
  static Fixture f(gpu::BackendKind::kNone);
  return f;
}

void BM_RunNextPhase(benchmark::State& state) {
  auto& f = Shared(state.range(1) != 0);
  if (!f.vm) return state.SkipWithError(f.error.c_str());
  const auto phases = static_cast<uint32_t>(state.range(0));
  const auto agents = Agents(phases);
  for (auto _ : state) {
    auto id = f.vm->create_session(agents);
    if (!id) return state.SkipWithError(("create-session: " + id.error()).c_str());
    const auto start = Clock::now();
    for (uint32_t p = 0; p < phases; ++p) {
      auto r = f.vm->run_next_phase(id.value());
      if (!r || r.value().output.size() != kOutputBytes)
        return state.SkipWithError(
            ("run-next-phase " + std::to_string(p) + ": " + (r ? "bad output" : r.error()))
                .c_str());
      benchmark::DoNotOptimize(r);
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (auto d = f.vm->drop_session(id.value()); !d || !d.value())
      return state.SkipWithError("drop-session failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * phases);
}
BENCHMARK(BM_RunNextPhase)
    ->Args({8, 0})
    ->Args({64, 1})
    ->Args({64, 0})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_GetSnapshot(benchmark::State& state) {
  // The gpu `cpu` instance: the 64 phases before the timed calls rank context natively.
  auto& f = Shared(true);
  if (!f.vm) return state.SkipWithError(f.error.c_str());
  const auto phases = static_cast<uint32_t>(state.range(0));
  auto id = f.vm->create_session(Agents(phases));
  if (!id) return state.SkipWithError(("create-session: " + id.error()).c_str());
  for (uint32_t p = 0; p < phases; ++p) {
    if (auto r = f.vm->run_next_phase(id.value()); !r)
      return state.SkipWithError(("run-next-phase: " + r.error()).c_str());
  }
  for (auto _ : state) {
    const auto start = Clock::now();
    auto s = f.vm->get_snapshot(id.value());
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (!s || !s.value() || s.value()->phases.size() != phases)
      return state.SkipWithError("get-snapshot: not the completed session");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  (void)f.vm->drop_session(id.value());
}
BENCHMARK(BM_GetSnapshot)->Arg(64)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
