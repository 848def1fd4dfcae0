// Everything the guest keeps about one session, the repair rules that make any imported state
// consistent, and the prompts a phase's agent receives (docs/session-behaviour.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "guest/context_pack.h"
#include "guest/session.h"

namespace lokust::session {

struct SessionState {
  std::string id;
  SessionStatus status = SessionStatus::Idle;
  std::vector<AgentConfig> agents;  // one per phase, in run order
  std::vector<PhaseSnapshot>
      phases;  // parallel to agents; phases[i].agent_id == agents[i].agent_id
  uint32_t current_phase_index = 0;
  uint64_t total_duration_ms = 0;
  uint64_t total_tokens = 0;
  uint64_t created_at_ms = 0;
  std::string objective;
  uint32_t context_budget = SessionOptions{}.context_budget;
  uint64_t raw_context_bytes = 0;     // sum of raw prior-context sizes over phases run
  uint64_t passed_context_bytes = 0;  // sum of prior-context sizes actually passed
  // Not part of the session's state proper (never exported or snapshotted): embed-v1 rows of
  // completed outputs the guest computed, reused by later phases; dropped on completion.
  EmbedRowCache embed_rows;
};

// Brings any state into the invariants the session logic relies on (see "Repair rules" in
// docs/session-behaviour.md): Limits, statuses in range, running/paused phases queued,
// current index = first phase not completed, status consistent, totals recomputed.
void repair(SessionState& state);

// Recomputes total-duration-ms and total-tokens from the phases (saturating).
void recompute_totals(SessionState& state);

// The first phase at or after `from` that is not completed (phases.size() if none).
uint32_t next_open_phase(const SessionState& state, uint32_t from);

// Idle when no phase is completed, Running otherwise.
SessionStatus active_status(const SessionState& state);

SessionSnapshot to_snapshot(const SessionState& state);
CoordinationMetrics to_metrics(const SessionState& state);

// Prompts for the phase at `index` (0-based); "phase k of n" is 1-based.
std::string_view effective_name(const AgentConfig& agent);
std::string_view effective_role(const AgentConfig& agent);
// `buffer`: memory the prompt may reuse (its contents are replaced), e.g. the previous
// phase's prompt, so that the guest does not allocate a new one in every phase.
std::string system_prompt(const SessionState& state, uint32_t index, std::string buffer = {});
std::string user_prompt(const SessionState& state, uint32_t index, std::string buffer = {});
// The relevance query: the role, then "\n" and the objective when there is one.
std::string relevance_query(const SessionState& state, uint32_t index);

}  // namespace lokust::session
