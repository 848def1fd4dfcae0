// The scenarios' fake host in C++ (tests/scenarios/README.md, "The host a scenario asks
// for"), shared by every C++ replay target: the Node fake host's clock and random sources,
// the C++ heuristic agent (byte-identical to the Node one) with failures on demand and a
// record of every task, and the gpu modes with the host's CPU backend behind embed-v1.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "host/agents/agent_runtime.h"
#include "host/agents/decorators.h"
#include "host/gpu/gpu_backend.h"
#include "scenario_replay.h"

namespace lokust::testing {

class ScenarioHost {
 public:
  explicit ScenarioHost(const json& host);

  uint64_t now_ns() { return clock_.now_ns(); }
  std::vector<uint8_t> random_bytes(uint64_t n) { return random_.bytes(n); }
  bool gpu_available() const { return gpu_mode_ != "unavailable"; }
  std::string device_info() const { return "cpu reference"; }
  // Records the call, then answers as the scenario's gpu mode says.
  host::Result<host::gpu::Tensor> infer(std::string_view model, const host::gpu::Tensor& input);
  host::Result<host::agents::AgentResult> execute(const host::agents::AgentTask& task);

  json tasks() const;  // the "agent-tasks" check
  const json& infer_log() const { return infer_log_; }

 private:
  std::string gpu_mode_;
  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<host::agents::RecordingRuntime> recorder_;
  std::unique_ptr<host::gpu::GpuBackend> embed_;
  json infer_log_ = json::array();
};

}  // namespace lokust::testing
