#include "guest/session_state.h"

#include <cstring>

#include "guest/text.h"

namespace lokust::session {

namespace {
uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

void clear_phase(PhaseSnapshot& p) {
  p.status = AgentStatus::Queued;
  p.output.clear();
  p.duration_ms = 0;
  p.tokens_used = 0;
}
}  // namespace

void recompute_totals(SessionState& s) {
  s.total_duration_ms = 0;
  s.total_tokens = 0;
  for (const PhaseSnapshot& p : s.phases) {
    s.total_duration_ms = add_sat(s.total_duration_ms, p.duration_ms);
    s.total_tokens = add_sat(s.total_tokens, p.tokens_used);
  }
}

uint32_t next_open_phase(const SessionState& s, uint32_t from) {
  uint32_t i = from;
  while (i < s.phases.size() && s.phases[i].status == AgentStatus::Completed) ++i;
  return i < s.phases.size() ? i : static_cast<uint32_t>(s.phases.size());
}

SessionStatus active_status(const SessionState& s) {
  for (const PhaseSnapshot& p : s.phases) {
    if (p.status == AgentStatus::Completed) return SessionStatus::Running;
  }
  return SessionStatus::Idle;
}

void repair(SessionState& s) {
  if (s.phases.size() > Limits::kMaxAgents) s.phases.resize(Limits::kMaxAgents);
  if (s.agents.size() > s.phases.size()) s.agents.resize(s.phases.size());
  while (s.agents.size() < s.phases.size()) {
    const std::string& id = s.phases[s.agents.size()].agent_id;
    s.agents.push_back(AgentConfig{id, id, id, static_cast<uint32_t>(s.agents.size())});
  }
  for (size_t i = 0; i < s.phases.size(); ++i) {
    AgentConfig& a = s.agents[i];
    PhaseSnapshot& p = s.phases[i];
    truncate_utf8(a.agent_id, Limits::kMaxIdBytes);
    truncate_utf8(a.name, Limits::kMaxNameBytes);
    truncate_utf8(a.role, Limits::kMaxRoleBytes);
    p.agent_id = a.agent_id;
    truncate_utf8(p.output, Limits::kMaxOutputBytes);
    // Unknown values, and phases interrupted while running (or marked paused), are queued.
    if (p.status != AgentStatus::Completed && p.status != AgentStatus::Failed) {
      p.status = AgentStatus::Queued;
    }
  }
  truncate_utf8(s.objective, Limits::kMaxObjectiveBytes);
  if (s.context_budget < Limits::kMinContextBudget) s.context_budget = Limits::kMinContextBudget;
  if (s.context_budget > Limits::kMaxContextBudget) s.context_budget = Limits::kMaxContextBudget;

  const uint32_t n = static_cast<uint32_t>(s.phases.size());
  s.current_phase_index = next_open_phase(s, 0);
  const uint32_t at = s.current_phase_index;
  const SessionStatus given = s.status;
  if (at == n) {
    s.status = SessionStatus::Completed;
  } else if (s.phases[at].status == AgentStatus::Failed) {
    s.status = SessionStatus::Failed;
  } else if (given == SessionStatus::Paused) {
    s.status = SessionStatus::Paused;
  } else {
    s.status = active_status(s);
  }
  // Only the phase at the index may be failed; phases not completed hold no results.
  for (uint32_t i = 0; i < n; ++i) {
    PhaseSnapshot& p = s.phases[i];
    if (p.status == AgentStatus::Queued || (p.status == AgentStatus::Failed && i != at)) {
      clear_phase(p);
    }
  }
  recompute_totals(s);
}

SessionSnapshot to_snapshot(const SessionState& s) {
  SessionSnapshot snap;
  snap.id = s.id;
  snap.status = s.status;
  snap.phases = s.phases;
  snap.current_phase_index = s.current_phase_index;
  snap.total_duration_ms = s.total_duration_ms;
  snap.total_tokens = s.total_tokens;
  snap.created_at_ms = s.created_at_ms;
  return snap;
}

CoordinationMetrics to_metrics(const SessionState& s) {
  CoordinationMetrics m;
  for (const PhaseSnapshot& p : s.phases) {
    if (p.status == AgentStatus::Completed) ++m.phases_completed;
  }
  m.phases_total = static_cast<uint32_t>(s.phases.size());
  m.total_duration_ms = s.total_duration_ms;
  m.total_tokens = s.total_tokens;
  m.compression_ratio =
      s.passed_context_bytes == 0
          ? 1.0
          : static_cast<double>(s.raw_context_bytes) / static_cast<double>(s.passed_context_bytes);
  return m;
}

std::string_view effective_name(const AgentConfig& a) {
  return a.name.empty() ? std::string_view(a.agent_id) : std::string_view(a.name);
}

std::string_view effective_role(const AgentConfig& a) {
  return a.role.empty() ? std::string_view(a.agent_id) : std::string_view(a.role);
}

// The prompts' fixed text as string_views (sizes known at compile time, no strlen).
constexpr std::string_view kSys1 = "You are ";
constexpr std::string_view kSys2 = " (agent ";
constexpr std::string_view kSys3 = "), one of the agents of a LOKUST session.\nYour role: ";
constexpr std::string_view kSys4 = "\nYou run ";
constexpr std::string_view kSysObjective = "\nSession objective: ";
constexpr std::string_view kSysEnd =
    "\nThe prior context holds the outputs of earlier phases, each under a line "
    "[phase <k> of <n>: <agent-id>]; [... <N> bytes elided ...] marks text left out.";
constexpr std::string_view kUser1 = "Do the work of ";
constexpr std::string_view kUserAs = " as ";
constexpr std::string_view kUserObjective = ", toward the session objective: ";
constexpr std::string_view kUserEnd =
    "\nBuild on the prior context where it helps, and reply with this phase's output only.";
constexpr std::string_view kPhase = "phase ";
constexpr std::string_view kOf = " of ";

namespace {

// Each prompt is sized exactly first and then written piece by piece with memcpy: the
// interpreter runs every instruction of the guest, and a string's operator+= (capacity
// checks, possible regrowth) per piece was a visible share of each phase.
class PromptWriter {
 public:
  PromptWriter(std::string buffer, size_t size) : text_(std::move(buffer)) {
    text_.clear();
    text_.resize(size);
    at_ = text_.data();
  }
  void put(std::string_view s) {
    if (!s.empty()) std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  void put_u64(uint64_t value) {
    char* const end = at_ + decimal_digits(value);
    char* p = end;
    do {
      *--p = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    at_ = end;
  }
  // "phase <k> of <n>"
  void put_position(const SessionState& s, uint32_t index) {
    put(kPhase);
    put_u64(uint64_t{index} + 1);
    put(kOf);
    put_u64(s.phases.size());
  }
  std::string take() {
    // Every piece must have been counted in the size: a mismatch is a bug, never a short prompt.
    if (at_ != text_.data() + text_.size()) __builtin_trap();
    return std::move(text_);
  }

 private:
  std::string text_;
  char* at_ = nullptr;
};

size_t position_size(const SessionState& s, uint32_t index) {
  return kPhase.size() + decimal_digits(uint64_t{index} + 1) + kOf.size() +
         decimal_digits(s.phases.size());
}

size_t objective_size(const SessionState& s, std::string_view lead) {
  return s.objective.empty() ? 0 : lead.size() + s.objective.size();
}

}  // namespace

std::string system_prompt(const SessionState& s, uint32_t index, std::string buffer) {
  const AgentConfig& a = s.agents[index];
  const std::string_view name = effective_name(a);
  const std::string_view role = effective_role(a);
  const size_t size = kSys1.size() + name.size() + kSys2.size() + a.agent_id.size() + kSys3.size() +
                      role.size() + kSys4.size() + position_size(s, index) + 1 +
                      objective_size(s, kSysObjective) + kSysEnd.size();
  PromptWriter p(std::move(buffer), size);
  p.put(kSys1);
  p.put(name);
  p.put(kSys2);
  p.put(a.agent_id);
  p.put(kSys3);
  p.put(role);
  p.put(kSys4);
  p.put_position(s, index);
  p.put(".");
  if (!s.objective.empty()) {
    p.put(kSysObjective);
    p.put(s.objective);
  }
  p.put(kSysEnd);
  return p.take();
}

std::string user_prompt(const SessionState& s, uint32_t index, std::string buffer) {
  const std::string_view role = effective_role(s.agents[index]);
  const size_t size = kUser1.size() + position_size(s, index) + kUserAs.size() + role.size() +
                      objective_size(s, kUserObjective) + kUserEnd.size();
  PromptWriter p(std::move(buffer), size);
  p.put(kUser1);
  p.put_position(s, index);
  p.put(kUserAs);
  p.put(role);
  if (!s.objective.empty()) {
    p.put(kUserObjective);
    p.put(s.objective);
  }
  p.put(kUserEnd);
  return p.take();
}

std::string relevance_query(const SessionState& s, uint32_t index) {
  std::string q(effective_role(s.agents[index]));
  if (!s.objective.empty()) {
    q += "\n";
    q += s.objective;
  }
  return q;
}

}  // namespace lokust::session
