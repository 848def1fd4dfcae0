// The behaviour scenarios (tests/scenarios/) replayed through the host library: the typed
// SessionVm layer (include/host/session_vm/session_vm.h) on the real component, with the
// scenarios' fake host (tests/support/scenario_host.h) behind its AgentRuntime, GpuBackend
// and, through HostSources, the WASI host's monotonic clock and random source. Every value
// crosses the typed C++ API, so a conversion the typed layer gets wrong fails a scenario here
// even where the raw engine replay passes.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "compiled_guest.h"
#include "host/session_vm/session_vm.h"
#include "scenario_host.h"
#include "scenario_replay.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace {

namespace svm = lokust::host::session_vm;
namespace agents = lokust::host::agents;
namespace gpu = lokust::host::gpu;
using lokust::testing::json;
using lokust::testing::ScenarioHost;

std::shared_ptr<const svm::CompiledComponent> Compiled() {
  return lokust::testing::CompiledGuest();
}

class ScenarioRuntime final : public agents::AgentRuntime {
 public:
  explicit ScenarioRuntime(ScenarioHost& h) : h_(h) {}
  lokust::host::Result<agents::AgentResult> execute(const agents::AgentTask& task) override {
    return h_.execute(task);
  }
  std::string describe() const override { return "scenario heuristic"; }

 private:
  ScenarioHost& h_;
};

class ScenarioGpu final : public gpu::GpuBackend {
 public:
  explicit ScenarioGpu(ScenarioHost& h) : h_(h) {}
  gpu::BackendKind kind() const override { return gpu::BackendKind::kCpu; }
  bool available() const override { return h_.gpu_available(); }
  std::string device_info() const override { return h_.device_info(); }
  lokust::host::Result<gpu::Tensor> infer(std::string_view model,
                                          const gpu::Tensor& input) override {
    return h_.infer(model, input);
  }

 private:
  ScenarioHost& h_;
};

json IdJson(const std::string& id) { return {{"inner", id}}; }

json PhaseJson(const svm::PhaseSnapshot& p) {
  return {{"agent-id", p.agent_id},
          {"status", svm::agent_status_name(p.status)},
          {"output", lokust::testing::bytes_to_value(p.output)},
          {"duration-ms", p.duration_ms},
          {"tokens-used", p.tokens_used}};
}

json SnapshotJson(const svm::SessionSnapshot& s) {
  json phases = json::array();
  for (const auto& p : s.phases) phases.push_back(PhaseJson(p));
  return {{"id", IdJson(s.id)},
          {"status", svm::session_status_name(s.status)},
          {"phases", phases},
          {"current-phase-index", s.current_phase_index},
          {"total-duration-ms", s.total_duration_ms},
          {"total-tokens", s.total_tokens},
          {"created-at-ms", s.created_at_ms}};
}

json MetricsJson(const svm::CoordinationMetrics& m) {
  return {{"phases-completed", m.phases_completed},
          {"phases-total", m.phases_total},
          {"total-duration-ms", m.total_duration_ms},
          {"total-tokens", m.total_tokens},
          {"compression-ratio", m.compression_ratio}};
}

template <class E>
E EnumOf(const std::string& label, const char* (*name)(E)) {
  for (int i = 0; i < 5; ++i)
    if (label == name(static_cast<E>(i))) return static_cast<E>(i);
  throw std::runtime_error("unknown enum case " + label);
}

std::vector<svm::AgentConfig> AgentsOf(const json& list) {
  std::vector<svm::AgentConfig> out;
  for (const auto& a : list)
    out.push_back({a.at("agent-id"), a.at("name"), a.at("role"), a.at("phase-index")});
  return out;
}

svm::SessionSnapshot SnapshotOf(const json& j) {
  svm::SessionSnapshot s;
  s.id = j.at("id").at("inner");
  s.status = EnumOf(j.at("status").get<std::string>(), svm::session_status_name);
  for (const auto& p : j.at("phases")) {
    svm::PhaseSnapshot ph;
    ph.agent_id = p.at("agent-id");
    ph.status = EnumOf(p.at("status").get<std::string>(), svm::agent_status_name);
    ph.output = lokust::testing::value_to_bytes(p.at("output"));
    ph.duration_ms = p.at("duration-ms");
    ph.tokens_used = p.at("tokens-used");
    s.phases.push_back(std::move(ph));
  }
  s.current_phase_index = j.at("current-phase-index");
  s.total_duration_ms = j.at("total-duration-ms");
  s.total_tokens = j.at("total-tokens");
  s.created_at_ms = j.at("created-at-ms");
  return s;
}

// An err of a function without a result type can only be a trap (or an engine error).
json Trap(const std::string& e) { return {{"$trap", e.rfind("trap: ", 0) == 0 ? e.substr(6) : e}}; }

// A result<T, string>: the guest's err as it is; a trap as the replays report traps.
template <class T, class F>
json ResultJson(const lokust::host::Result<T>& r, F to_json) {
  if (r) return {{"ok", to_json(r.value())}};
  if (r.error().rfind("trap: ", 0) == 0) return Trap(r.error());
  return {{"err", r.error()}};
}

class HostLibraryTarget final : public lokust::testing::ScenarioTarget {
 public:
  explicit HostLibraryTarget(const json& host) : host_(host), runtime_(host_), gpu_(host_) {
    svm::VmOptions options;
    options.sources.now_ns = [this] { return host_.now_ns(); };
    options.sources.random_bytes = [this](uint64_t n) { return host_.random_bytes(n); };
    auto vm = svm::SessionVm::Load(Compiled(), runtime_, gpu_, options);
    if (!vm) throw std::runtime_error(vm.error());
    vm_ = std::move(vm.value());
  }

  json call(const std::string& fn, const json& args) override {
    auto id = [&] { return args.at(0).at("inner").get<std::string>(); };
    auto status = [](svm::SessionStatus s) { return json(svm::session_status_name(s)); };
    if (fn == "create-session") {
      auto r = vm_->create_session(AgentsOf(args.at(0)));
      return r ? IdJson(r.value()) : Trap(r.error());
    }
    if (fn == "create-session-checked") {
      const json& o = args.at(1);
      return ResultJson(vm_->create_session_checked(AgentsOf(args.at(0)), o.at("objective"),
                                                    o.at("context-budget")),
                        IdJson);
    }
    if (fn == "run-next-phase") return ResultJson(vm_->run_next_phase(id()), PhaseJson);
    if (fn == "pause-session") return ResultJson(vm_->pause_session(id()), status);
    if (fn == "resume-session") return ResultJson(vm_->resume_session(id()), status);
    if (fn == "get-snapshot") {
      auto r = vm_->get_snapshot(id());
      if (!r) return Trap(r.error());
      return r.value() ? SnapshotJson(*r.value()) : json(nullptr);
    }
    if (fn == "get-metrics") {
      auto r = vm_->get_metrics(id());
      if (!r) return Trap(r.error());
      return r.value() ? MetricsJson(*r.value()) : json(nullptr);
    }
    if (fn == "import-snapshot") {
      auto r = vm_->import_snapshot(SnapshotOf(args.at(0)));
      return r ? IdJson(r.value()) : Trap(r.error());
    }
    if (fn == "export-session") {
      return ResultJson(vm_->export_session(id()), [](const std::vector<uint8_t>& b) {
        return json{{"$base64", lokust::testing::base64_encode(b)}};
      });
    }
    if (fn == "import-session")
      return ResultJson(vm_->import_session(lokust::testing::value_to_bytes(args.at(0))), IdJson);
    if (fn == "drop-session") {
      auto r = vm_->drop_session(id());
      return r ? json(r.value()) : Trap(r.error());
    }
    if (fn == "list-sessions") {
      auto r = vm_->list_sessions();
      if (!r) return Trap(r.error());
      json out = json::array();
      for (const auto& s : r.value()) out.push_back(IdJson(s));
      return out;
    }
    throw std::runtime_error("unknown function " + fn);
  }
  json agent_tasks() override { return host_.tasks(); }
  json infer_calls() override { return host_.infer_log(); }

 private:
  ScenarioHost host_;
  ScenarioRuntime runtime_;
  ScenarioGpu gpu_;
  std::unique_ptr<svm::SessionVm> vm_;  // last: it calls the members above
};

class HostLibraryScenario : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(HostLibraryScenario, Passes) {
  json scenario = lokust::testing::load_json(GetParam());
  auto outcome = lokust::testing::run_scenario(
      scenario, [](const json& host) { return std::make_unique<HostLibraryTarget>(host); });
  for (const auto& f : outcome.failures) ADD_FAILURE() << f;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, HostLibraryScenario,
                         ::testing::ValuesIn(lokust::testing::scenario_files()),
                         [](const auto& info) {
                           std::string name = info.param.stem().string();
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
