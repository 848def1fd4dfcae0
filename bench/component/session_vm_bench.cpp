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
//   BM_GetSnapshot/64     get-snapshot of a completed 64-phase session (64 KiB of outputs),
//                         created by create-session-checked with a 1 MiB context budget so
//                         that its phases never rank context (a quick setup without a gpu)
//   BM_Raw*               run-next-phase (8 phases) and get-snapshot (64) on the dynamic
//                         component API (Vals in and out) without the typed layer: the engine's
//                         share of the numbers above
//
// Only the calls being measured are timed (manual time): creating and dropping the sessions
// around them is not. One iteration is one session's phases (items = phases) or one
// get-snapshot call.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "engine/component/instance.h"
#include "host/agents/agent_runtime.h"
#include "host/gpu/gpu_backend.h"
#include "host/session_vm/session_vm.h"

#ifdef LOKUST_PROFILE_OPS
extern "C" void lokust_profile_ops(int on);  // engine/core/interp.cpp
#endif

namespace {

// A build with -DLOKUST_PROFILE_OPS and LOKUST_PROFILE_GATED=1 counts only the timed calls.
void ProfileOps([[maybe_unused]] bool on) {
#ifdef LOKUST_PROFILE_OPS
  lokust_profile_ops(on ? 1 : 0);
#endif
}

namespace agents = lokust::host::agents;
namespace gpu = lokust::host::gpu;
using lokust::host::session_vm::AgentConfig;
using lokust::host::session_vm::SessionVm;
using Clock = std::chrono::steady_clock;

constexpr size_t kOutputBytes = 1024;
// The context budget of the get-snapshot sessions: 64 x 1 KiB of prior context always fits.
constexpr uint32_t kSnapshotBudget = 1u << 20;

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
    ProfileOps(true);
    for (uint32_t p = 0; p < phases; ++p) {
      auto r = f.vm->run_next_phase(id.value());
      if (!r || r.value().output.size() != kOutputBytes)
        return state.SkipWithError(
            ("run-next-phase " + std::to_string(p) + ": " + (r ? "bad output" : r.error()))
                .c_str());
      benchmark::DoNotOptimize(r);
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    ProfileOps(false);
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
  auto& f = Shared(false);
  if (!f.vm) return state.SkipWithError(f.error.c_str());
  const auto phases = static_cast<uint32_t>(state.range(0));
  auto id = f.vm->create_session_checked(Agents(phases), "", kSnapshotBudget);
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

// ---- The same calls on the dynamic component API alone (no typed layer) ----
// What the engine costs without session_vm.cpp's conversions to and from C++ structs: the
// exports are called with Vals and the results checked but not converted; the agent builds
// its 1 KiB result as Vals on every call, as any host on this API must.

namespace c = lokust::component;

c::Val IdVal(const std::string& id) { return c::Val::Record({{"inner", c::Val::String(id)}}); }

c::Val AgentsVal(uint32_t n) {
  std::vector<c::Val> list;
  for (const auto& a : Agents(n)) {
    list.push_back(c::Val::Record({{"agent-id", c::Val::String(a.agent_id)},
                                   {"name", c::Val::String(a.name)},
                                   {"role", c::Val::String(a.role)},
                                   {"phase-index", c::Val::U32(a.phase_index)}}));
  }
  return c::Val::List(std::move(list));
}

struct RawFixture {
  std::vector<uint8_t> output = AgentOutput();
  std::shared_ptr<const c::Component> component;
  c::Linker linker;
  lokust::core::Store store;
  std::unique_ptr<c::Instance> instance;
  c::ComponentFuncPtr create, create_checked, run, snapshot, drop;
  std::string error;

  RawFixture() {
    std::ifstream in(LOKUST_SESSION_GUEST_WASM, std::ios::binary);
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    auto compiled = c::Component::Compile(bytes);
    if (!compiled) {
      error = "compile: " + compiled.error().ToString();
      return;
    }
    component = *compiled;
    using Args = const std::vector<c::Val>&;
    using R = c::Result<std::vector<c::Val>>;
    (void)linker.Instance("wasi:clocks/monotonic-clock@0.2.11").DefineFunc("now", [](Args) -> R {
      auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
              .count();
      return std::vector<c::Val>{c::Val::U64(static_cast<uint64_t>(ns))};
    });
    (void)linker.Instance("wasi:random/random@0.2.11")
        .DefineFunc("get-random-bytes", [](Args a) -> R {
          std::vector<uint8_t> b(a.at(0).as_u64(), 0x5a);
          return std::vector<c::Val>{c::Val::Bytes(b)};
        });
    auto& g = linker.Instance("lokust:session-vm/gpu");
    (void)g.DefineFunc("available",
                       [](Args) -> R { return std::vector<c::Val>{c::Val::Bool(false)}; });
    (void)g.DefineFunc("device-info",
                       [](Args) -> R { return std::vector<c::Val>{c::Val::String("none")}; });
    (void)g.DefineFunc("infer", [](Args) -> R {
      return std::vector<c::Val>{c::Val::Result(false, c::Val::String("no gpu"))};
    });
    linker.Instance("lokust:session-vm/types");
    (void)linker.Instance("lokust:session-vm/agent-runtime")
        .DefineFunc("execute", [this](Args) -> R {
          std::vector<std::pair<std::string, c::Val>> fields;
          fields.emplace_back("output", c::Val::Bytes(output));
          fields.emplace_back("tokens-used", c::Val::U64(kOutputBytes / 4));
          fields.emplace_back("duration-ms", c::Val::U64(0));
          std::vector<c::Val> results;
          results.push_back(c::Val::Result(true, c::Val::Record(std::move(fields))));
          return results;
        });
    auto inst = c::Instance::Instantiate(store, *component, linker);
    if (!inst) {
      error = "instantiate: " + inst.error().ToString();
      return;
    }
    instance = std::move(*inst);
    const std::string ops = "lokust:session-vm/session-ops";
    const std::string admin = "lokust:session-vm/session-admin";
    for (auto [slot, iface, name] : {std::tuple{&create, ops, "create-session"},
                                     {&run, ops, "run-next-phase"},
                                     {&snapshot, ops, "get-snapshot"},
                                     {&create_checked, admin, "create-session-checked"},
                                     {&drop, admin, "drop-session"}}) {
      auto f = instance->GetFunc(iface, name);
      if (!f) {
        error = std::string(name) + ": " + f.error().ToString();
        return;
      }
      *slot = *f;
    }
  }
};

RawFixture& Raw() {
  static RawFixture f;
  return f;
}

// The session id (session-id.inner) in a create-session(-checked) result, or empty.
std::string IdIn(const c::Val& v) {
  const c::Val* rec = v.kind() == c::ValKind::kResult ? (v.is_ok() ? v.payload() : nullptr) : &v;
  const c::Val* inner = rec ? rec->field("inner") : nullptr;
  return inner ? inner->as_string() : std::string();
}

void BM_RawRunNextPhase(benchmark::State& state) {
  auto& f = Raw();
  if (!f.instance) return state.SkipWithError(f.error.c_str());
  const auto phases = static_cast<uint32_t>(state.range(0));
  const c::Val agents = AgentsVal(phases);
  for (auto _ : state) {
    auto created = f.create->Call({agents});
    if (!created) return state.SkipWithError(created.error().ToString().c_str());
    const c::Val id = IdVal(IdIn(created->at(0)));
    const auto start = Clock::now();
    for (uint32_t p = 0; p < phases; ++p) {
      auto r = f.run->Call({id});
      if (!r || !r->at(0).is_ok())
        return state.SkipWithError(("run-next-phase " + std::to_string(p) + " failed").c_str());
      benchmark::DoNotOptimize(r);
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (auto d = f.drop->Call({id}); !d || !d->at(0).as_bool())
      return state.SkipWithError("drop-session failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * phases);
}
BENCHMARK(BM_RawRunNextPhase)->Arg(8)->UseManualTime()->Unit(benchmark::kMicrosecond);

// The session as BM_GetSnapshot's.
void BM_RawGetSnapshot(benchmark::State& state) {
  auto& f = Raw();
  if (!f.instance) return state.SkipWithError(f.error.c_str());
  const auto phases = static_cast<uint32_t>(state.range(0));
  c::Val options = c::Val::Record(
      {{"objective", c::Val::String("")}, {"context-budget", c::Val::U32(kSnapshotBudget)}});
  auto created = f.create_checked->Call({AgentsVal(phases), options});
  if (!created) return state.SkipWithError(created.error().ToString().c_str());
  const c::Val id = IdVal(IdIn(created->at(0)));
  for (uint32_t p = 0; p < phases; ++p) {
    if (auto r = f.run->Call({id}); !r || !r->at(0).is_ok())
      return state.SkipWithError("run-next-phase failed");
  }
  for (auto _ : state) {
    const auto start = Clock::now();
    auto s = f.snapshot->Call({id});
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    const c::Val* snap = s && s->at(0).is_some() ? s->at(0).payload() : nullptr;
    const c::Val* list = snap ? snap->field("phases") : nullptr;
    if (!list || list->elements().size() != phases)
      return state.SkipWithError("get-snapshot: not the completed session");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  (void)f.drop->Call({id});
}
BENCHMARK(BM_RawGetSnapshot)->Arg(64)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
