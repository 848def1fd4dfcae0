#include "host/agents/decorators.h"

#include <exception>

namespace lokust::host::agents {

FailureInjectingRuntime::FailureInjectingRuntime(std::unique_ptr<AgentRuntime> inner,
                                                 std::vector<InjectedFailure> failures)
    : inner_(std::move(inner)), failures_(std::move(failures)) {}

Result<AgentResult> FailureInjectingRuntime::execute(const AgentTask& task) {
  try {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (InjectedFailure& f : failures_) {
        if (f.agent_id == task.agent_id && f.times > 0) {
          --f.times;
          return Result<AgentResult>::err(f.message);
        }
      }
    }
    return inner_->execute(task);
  } catch (const std::exception& e) {
    return Result<AgentResult>::err(std::string("internal error: ") + e.what());
  }
}

std::string FailureInjectingRuntime::describe() const {
  return inner_->describe() + " with " + std::to_string(failures_.size()) + " injected failure" +
         (failures_.size() == 1 ? "" : "s");
}

RecordingRuntime::RecordingRuntime(std::unique_ptr<AgentRuntime> inner)
    : inner_(std::move(inner)) {}

Result<AgentResult> RecordingRuntime::execute(const AgentTask& task) {
  try {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(task);
    }
    return inner_->execute(task);
  } catch (const std::exception& e) {
    return Result<AgentResult>::err(std::string("internal error: ") + e.what());
  }
}

std::string RecordingRuntime::describe() const { return inner_->describe() + ", recorded"; }

std::vector<AgentTask> RecordingRuntime::tasks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_;
}

}  // namespace lokust::host::agents
