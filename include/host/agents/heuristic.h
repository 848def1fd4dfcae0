// The heuristic agent: deterministic, role-aware, no network. A planner lists steps, a
// researcher (or analyst) reports findings on what came before, a critic (or reviewer) points
// at problems in the prior context, anyone else summarises. The role is what follows the first
// `Your role: ` of the system prompt that has text after it on its line (trimmed), else the
// agent id.
//
// The output is byte-identical to heuristicOutput() of the Node.js reference host
// (tools/node-host/fake-host.mjs), JavaScript string semantics included: the user prompt's
// first line is cut at 80 UTF-16 code units, the prior context is decoded as TextDecoder does
// (a leading BOM dropped, invalid UTF-8 replaced by U+FFFD) and its length in the summary is
// counted in UTF-16 code units, and a surrogate pair cut in half becomes U+FFFD.
#pragma once

#include <cstddef>
#include <string>

#include "host/agents/agent_runtime.h"

namespace lokust::host::agents {

// The reference's heuristicOutput(task, outputBytes); output_bytes 0 means no padding.
std::string heuristic_output(const AgentTask& task, size_t output_bytes = 0);

class HeuristicRuntime final : public AgentRuntime {
 public:
  explicit HeuristicRuntime(size_t output_bytes = 0) : output_bytes_(output_bytes) {}
  // tokens_used = ceil(output bytes / 4) (the Node reference host divides UTF-16 code units
  // instead: the same for ASCII output); duration_ms is measured.
  Result<AgentResult> execute(const AgentTask& task) override;
  std::string describe() const override;

 private:
  size_t output_bytes_;
};

}  // namespace lokust::host::agents
