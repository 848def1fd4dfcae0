// Runtimes that wrap another one, for replaying the behaviour scenarios (tests/scenarios/)
// on the C++ host as the Node.js reference host does (tools/node-host/fake-host.mjs):
// failures on demand, and a record of every task the guest asked for.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/agents/agent_runtime.h"

namespace lokust::host::agents {

// The scenarios' `"fail": [{"agent-id", "times", "message"}]`.
struct InjectedFailure {
  std::string agent_id;
  uint32_t times = 1;
  std::string message = "agent failed";
};

// Makes the named agent's next `times` calls return err(message) without reaching the wrapped
// runtime; with several entries for one agent, the first one with calls left applies.
class FailureInjectingRuntime final : public AgentRuntime {
 public:
  FailureInjectingRuntime(std::unique_ptr<AgentRuntime> inner,
                          std::vector<InjectedFailure> failures);
  Result<AgentResult> execute(const AgentTask& task) override;
  std::string describe() const override;

 private:
  std::unique_ptr<AgentRuntime> inner_;
  std::mutex mu_;
  std::vector<InjectedFailure> failures_;  // times counts down
};

// Records every task before passing it on (failed calls included), oldest first.
class RecordingRuntime final : public AgentRuntime {
 public:
  explicit RecordingRuntime(std::unique_ptr<AgentRuntime> inner);
  Result<AgentResult> execute(const AgentTask& task) override;
  std::string describe() const override;
  std::vector<AgentTask> tasks() const;

 private:
  std::unique_ptr<AgentRuntime> inner_;
  mutable std::mutex mu_;
  std::vector<AgentTask> tasks_;
};

}  // namespace lokust::host::agents
