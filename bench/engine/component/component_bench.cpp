// Instantiation time of the session VM component (build/guest/session_guest.wasm) from an
// already-compiled Component (issue target: median under 100 microseconds), next to a full
// decode + validate + compile + instantiate for scale. Each iteration uses a fresh core::Store
// (created and destroyed outside the timed region) so instances do not pile up in one store.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "engine/component/instance.h"

namespace {

using namespace lokust::component;

std::vector<uint8_t> GuestBytes() {
  std::ifstream in(LOKUST_SESSION_GUEST_WASM, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

HostFunc Returns(Val v) {
  return [v](const std::vector<Val>&) -> Result<std::vector<Val>> { return std::vector<Val>{v}; };
}

// The session VM world's imports, with no-op bodies (instantiation never calls them).
void DefineHost(Linker& linker) {
  (void)linker.Instance("wasi:clocks/monotonic-clock@0.2.11")
      .DefineFunc("now", Returns(Val::U64(0)));
  (void)linker.Instance("wasi:random/random@0.2.11")
      .DefineFunc("get-random-bytes", Returns(Val::List({})));
  auto& gpu = linker.Instance("lokust:session-vm/gpu");
  (void)gpu.DefineFunc("available", Returns(Val::Bool(false)));
  (void)gpu.DefineFunc("device-info", Returns(Val::String("")));
  (void)gpu.DefineFunc("infer", Returns(Val::Result(false, Val::String(""))));
  linker.Instance("lokust:session-vm/types");
  (void)linker.Instance("lokust:session-vm/agent-runtime")
      .DefineFunc("execute", Returns(Val::Result(false, std::nullopt)));
}

void BM_InstantiateFromComponent(benchmark::State& state) {
  auto bytes = GuestBytes();
  auto c = Component::Compile(bytes);
  if (!c) {
    state.SkipWithError(c.error().ToString().c_str());
    return;
  }
  Linker linker;
  DefineHost(linker);
  for (auto _ : state) {
    state.PauseTiming();
    auto store = std::make_unique<lokust::core::Store>();
    state.ResumeTiming();
    auto inst = Instance::Instantiate(*store, **c, linker);
    if (!inst) {
      state.SkipWithError(inst.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(inst);
    state.PauseTiming();
    inst->reset();
    store.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_InstantiateFromComponent)->Unit(benchmark::kMicrosecond);

void BM_CompileAndInstantiate(benchmark::State& state) {
  auto bytes = GuestBytes();
  Linker linker;
  DefineHost(linker);
  for (auto _ : state) {
    auto c = Component::Compile(bytes);
    if (!c) {
      state.SkipWithError(c.error().ToString().c_str());
      return;
    }
    lokust::core::Store store;
    auto inst = Instance::Instantiate(store, **c, linker);
    if (!inst) {
      state.SkipWithError(inst.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(inst);
  }
}
BENCHMARK(BM_CompileAndInstantiate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
