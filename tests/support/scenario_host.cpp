#include "scenario_host.h"

namespace lokust::testing {

namespace agents = host::agents;
namespace gpu = host::gpu;

ScenarioHost::ScenarioHost(const json& host) : gpu_mode_(host.value("gpu", "unavailable")) {
  agents::RuntimeConfig config;
  std::vector<agents::InjectedFailure> failures;
  if (host.contains("agent")) {
    const json& agent = host["agent"];
    config.heuristic_output_bytes = agent.value("outputBytes", 0);
    for (const auto& f : agent.value("fail", json::array())) {
      failures.push_back({f["agent-id"], f.value("times", 1u), f.value("message", "agent failed")});
    }
  }
  auto failing = std::make_unique<agents::FailureInjectingRuntime>(
      std::move(agents::make_agent_runtime(config)).value(), std::move(failures));
  recorder_ = std::make_unique<agents::RecordingRuntime>(std::move(failing));
  embed_ = std::move(gpu::make_gpu_backend(gpu::BackendKind::kCpu, {})).value();
}

host::Result<gpu::Tensor> ScenarioHost::infer(std::string_view model, const gpu::Tensor& input) {
  infer_log_.push_back({{"model-id", std::string(model)}, {"shape", input.shape}});
  if (gpu_mode_ == "broken") return host::Result<gpu::Tensor>::err("device lost");
  auto out = embed_->infer(model, input);
  if (out && gpu_mode_ == "bad-shape") return host::Result<gpu::Tensor>::ok({{1}, {0.0f}});
  return out;
}

host::Result<agents::AgentResult> ScenarioHost::execute(const agents::AgentTask& task) {
  auto r = recorder_->execute(task);
  if (r) r.value().duration_ms = 3;  // as the Node fake host reports it
  return r;
}

json ScenarioHost::tasks() const {
  json out = json::array();
  for (const auto& t : recorder_->tasks()) {
    out.push_back({{"agent-id", t.agent_id},
                   {"system-prompt", t.system_prompt},
                   {"user-prompt", t.user_prompt},
                   {"prior-context", std::string(t.prior_context.begin(), t.prior_context.end())}});
  }
  return out;
}

}  // namespace lokust::testing
