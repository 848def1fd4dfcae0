#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "guest/context_pack.h"
#include "guest/session.h"
#include "guest/session_codec.h"
#include "guest/session_state.h"
#include "guest/text.h"

namespace lokust::session {

namespace {

constexpr uint64_t kNsPerMs = 1000000;

uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

// An id as it appears in messages: quoted, cut to the id limit.
std::string quoted(std::string_view id) {
  std::string s(id);
  const bool cut = truncate_utf8(s, Limits::kMaxIdBytes);
  return "\"" + s + (cut ? "...\"" : "\"");
}

std::string unknown(std::string_view id) { return "unknown session " + quoted(id); }

std::string failed_phase(const SessionState& s) {
  std::string m = "session " + s.id + " failed in phase ";
  append_u64(m, uint64_t{s.current_phase_index} + 1);
  if (s.current_phase_index < s.agents.size()) {
    m += " (agent " + s.agents[s.current_phase_index].agent_id + ")";
  }
  return m;
}

std::string too_long(const std::string& field, size_t size, size_t limit) {
  std::string m = field + " is ";
  append_u64(m, size);
  m += " bytes; the limit is ";
  append_u64(m, limit);
  return m;
}

std::string agent_field(size_t i, const char* field) {
  std::string m = "agents[";
  append_u64(m, i);
  m += "].";
  m += field;
  return m;
}

// The order of SessionManager::Impl::sessions, which is never iterated (list_sessions keeps
// creation order): by length, then 8 bytes at a time as integers. std::less<> would go
// through memcmp, which wasi-libc runs byte by byte, and every export call looks its
// session up (fresh ids are 36 bytes).
struct IdOrder {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    if (a.size() != b.size()) return a.size() < b.size();
    size_t i = 0;
    for (; i + 8 <= a.size(); i += 8) {
      uint64_t x;
      uint64_t y;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y) return x < y;
    }
    for (; i < a.size(); ++i) {
      if (a[i] != b[i]) return static_cast<uint8_t>(a[i]) < static_cast<uint8_t>(b[i]);
    }
    return false;
  }
};

}  // namespace

struct SessionManager::Impl {
  explicit Impl(Platform& p) : platform(p) {}

  Platform& platform;
  std::map<std::string, SessionState, IdOrder> sessions;
  std::vector<std::string> order;  // live ids in creation order
  // Counts insertions and erasures: while it stays the same, pointers into `sessions` hold
  // and a session found by id is still the one of that id.
  uint64_t generation = 0;
  // The last phase's task and context sources: run_next_phase reuses their memory (not their
  // contents), so that a phase does not allocate and free them anew; the guest's allocator
  // runs in the interpreter too.
  AgentTask task_buffers;
  std::vector<ContextSource> source_buffer;

  SessionState* find(std::string_view id) {
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : &it->second;
  }

  bool full() const { return sessions.size() >= Limits::kMaxSessions; }

  std::string fresh_id() {
    std::vector<uint8_t> b;
    for (int attempt = 0; attempt < 16; ++attempt) {
      b = platform.random_bytes(16);
      b.resize(16, 0);
      std::string id = "ses_";
      append_hex(id, b);
      if (sessions.find(id) == sessions.end()) return id;
    }
    // Random bytes that keep colliding (a broken host): count up from the last draw.
    for (uint64_t k = 1;; ++k) {
      std::vector<uint8_t> c = b;
      for (int i = 0; i < 8; ++i) c[8 + i] ^= static_cast<uint8_t>(k >> (8 * i));
      std::string id = "ses_";
      append_hex(id, c);
      if (sessions.find(id) == sessions.end()) return id;
    }
  }

  std::string insert(SessionState s) {
    std::string id = s.id;
    order.push_back(id);
    sessions.emplace(id, std::move(s));
    ++generation;
    return id;
  }

  // A new session from already validated (or repaired) agents.
  std::string create(std::vector<AgentConfig> agents, SessionOptions options) {
    SessionState s;
    // Stable by phase-index: an insertion sort (at most 256 agents; small in the wasm guest).
    for (size_t i = 1; i < agents.size(); ++i) {
      size_t j = i;
      while (j > 0 && agents[j - 1].phase_index > agents[j].phase_index) {
        std::swap(agents[j - 1], agents[j]);
        --j;
      }
    }
    s.phases.resize(agents.size());
    for (size_t i = 0; i < agents.size(); ++i) s.phases[i].agent_id = agents[i].agent_id;
    s.agents = std::move(agents);
    s.objective = std::move(options.objective);
    s.context_budget = options.context_budget;
    s.status = s.phases.empty() ? SessionStatus::Completed : SessionStatus::Idle;
    s.created_at_ms = platform.monotonic_now_ns() / kNsPerMs;
    s.id = fresh_id();
    return insert(std::move(s));
  }

  // The id an imported session gets: its own when usable and free, else a fresh one.
  std::string import_id(const std::string& wanted) {
    if (!wanted.empty() && wanted.size() <= Limits::kMaxIdBytes &&
        sessions.find(wanted) == sessions.end()) {
      return wanted;
    }
    return fresh_id();
  }
};

SessionManager::SessionManager(Platform& platform) : impl_(new Impl(platform)) {}

SessionManager::~SessionManager() { delete impl_; }

std::string SessionManager::create_session(std::vector<AgentConfig> agents) {
  if (impl_->full()) return std::string();
  if (agents.size() > Limits::kMaxAgents) agents.resize(Limits::kMaxAgents);
  for (AgentConfig& a : agents) {
    truncate_utf8(a.agent_id, Limits::kMaxIdBytes);
    truncate_utf8(a.name, Limits::kMaxNameBytes);
    truncate_utf8(a.role, Limits::kMaxRoleBytes);
  }
  return impl_->create(std::move(agents), SessionOptions{});
}

Result<std::string> SessionManager::create_session_checked(std::vector<AgentConfig> agents,
                                                           SessionOptions options) {
  using R = Result<std::string>;
  if (impl_->full()) {
    std::string m = "too many sessions: ";
    append_u64(m, Limits::kMaxSessions);
    m += " are live, the limit; drop one first";
    return R::err(std::move(m));
  }
  if (agents.size() > Limits::kMaxAgents) {
    std::string m = "too many agents: ";
    append_u64(m, agents.size());
    m += "; the limit is ";
    append_u64(m, Limits::kMaxAgents);
    return R::err(std::move(m));
  }
  if (options.context_budget < Limits::kMinContextBudget ||
      options.context_budget > Limits::kMaxContextBudget) {
    std::string m = "context-budget ";
    append_u64(m, options.context_budget);
    m += " is out of range [";
    append_u64(m, Limits::kMinContextBudget);
    m += ", ";
    append_u64(m, Limits::kMaxContextBudget);
    m += "]";
    return R::err(std::move(m));
  }
  if (options.objective.size() > Limits::kMaxObjectiveBytes) {
    return R::err(too_long("objective", options.objective.size(), Limits::kMaxObjectiveBytes));
  }
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < agents.size(); ++i) {
    const AgentConfig& a = agents[i];
    if (a.agent_id.empty()) return R::err(agent_field(i, "agent-id") + " is empty");
    if (a.agent_id.size() > Limits::kMaxIdBytes) {
      return R::err(too_long(agent_field(i, "agent-id"), a.agent_id.size(), Limits::kMaxIdBytes));
    }
    if (a.name.size() > Limits::kMaxNameBytes) {
      return R::err(too_long(agent_field(i, "name"), a.name.size(), Limits::kMaxNameBytes));
    }
    if (a.role.size() > Limits::kMaxRoleBytes) {
      return R::err(too_long(agent_field(i, "role"), a.role.size(), Limits::kMaxRoleBytes));
    }
    auto [it, inserted] = seen.emplace(a.agent_id, i);
    if (!inserted) {
      std::string m = agent_field(i, "agent-id") + " " + quoted(a.agent_id) + " duplicates agents[";
      append_u64(m, it->second);
      m += "]";
      return R::err(std::move(m));
    }
  }
  return R::ok(impl_->create(std::move(agents), std::move(options)));
}

Result<PhaseSnapshot> SessionManager::run_next_phase(std::string_view id) {
  Result<const PhaseSnapshot*> r = run_next_phase_in_place(id);
  if (!r) return Result<PhaseSnapshot>::err(r.error());
  return Result<PhaseSnapshot>::ok(*r.value());
}

Result<const PhaseSnapshot*> SessionManager::run_next_phase_in_place(std::string_view id) {
  using R = Result<const PhaseSnapshot*>;
  SessionState* s = impl_->find(id);
  if (s == nullptr) return R::err(unknown(id));
  switch (s->status) {
    case SessionStatus::Paused:
      return R::err("session " + s->id + " is paused: resume it before running the next phase");
    case SessionStatus::Completed:
      return R::err("session " + s->id + " is completed: every phase has run");
    case SessionStatus::Failed:
      return R::err(failed_phase(*s) + ": resume to retry");
    default:
      break;
  }
  const uint32_t n = static_cast<uint32_t>(s->phases.size());
  const uint32_t at = s->current_phase_index;
  if (at >= n) {  // unreachable after repair; kept so no input can index out of range
    s->status = SessionStatus::Completed;
    return R::err("session " + s->id + " is completed: every phase has run");
  }

  // The buffers are moved out here and back once they are no longer used, so that a
  // re-entrant call (possible with a native Platform) finds none and allocates its own.
  AgentTask task = std::move(impl_->task_buffers);
  std::vector<ContextSource> sources = std::move(impl_->source_buffer);
  sources.clear();
  sources.reserve(at);
  for (uint32_t i = 0; i < at; ++i) {
    const PhaseSnapshot& p = s->phases[i];
    if (p.status == AgentStatus::Completed) sources.push_back({i + 1, p.agent_id, p.output});
  }
  ContextPack pack = pack_context(impl_->platform, sources, n, relevance_query(*s, at),
                                  s->context_budget, &s->embed_rows, std::move(task.prior_context));
  sources.clear();  // views into the session: none may outlive this call
  impl_->source_buffer = std::move(sources);
  if (pack.raw_bytes > 0) {
    s->raw_context_bytes = add_sat(s->raw_context_bytes, pack.raw_bytes);
    s->passed_context_bytes = add_sat(s->passed_context_bytes, pack.bytes.size());
  }

  task.agent_id = s->agents[at].agent_id;
  task.system_prompt = system_prompt(*s, at, std::move(task.system_prompt));
  task.user_prompt = user_prompt(*s, at, std::move(task.user_prompt));
  task.prior_context = std::move(pack.bytes);

  // The id, in case the session must be looked up again after execute() (below). Kept on
  // the stack: ids are at most kMaxIdBytes (fresh ones 36, over libc++'s inline string
  // capacity on wasm32), so a std::string copy would cost an allocation per phase.
  char id_copy[Limits::kMaxIdBytes];
  const size_t id_size = std::min(s->id.size(), sizeof(id_copy));
  std::memcpy(id_copy, s->id.data(), id_size);
  const std::string_view task_session(id_copy, id_size);
  s->status = SessionStatus::Running;
  s->phases[at].status = AgentStatus::Running;
  const uint64_t generation = impl_->generation;
  const uint64_t start = impl_->platform.monotonic_now_ns();
  Result<AgentResult> r = impl_->platform.execute(task);
  const uint64_t end = impl_->platform.monotonic_now_ns();
  impl_->task_buffers = std::move(task);

  // A component cannot be re-entered from its imports; a native Platform could, so unless no
  // session came or went meanwhile (the usual case, which saves a lookup that compares ids
  // byte by byte in the guest), look the session up again rather than trust the pointer.
  if (impl_->generation != generation) s = impl_->find(task_session);
  if (s == nullptr || s->phases.size() <= at || s->status != SessionStatus::Running) {
    std::string m = "session ";
    m += task_session;
    m += " changed while phase ";
    append_u64(m, uint64_t{at} + 1);
    m += " ran";
    return R::err(std::move(m));
  }
  PhaseSnapshot& phase = s->phases[at];
  phase.duration_ms = end > start ? (end - start) / kNsPerMs : 0;
  // The phase's output changes: a row cached for it would be stale.
  if (at < s->embed_rows.rows.size()) s->embed_rows.rows[at] = {};
  if (at < s->embed_rows.tokenized.size()) {
    s->embed_rows.tokenized[at] = 0;
    s->embed_rows.ids[at] = {};
  }
  if (r.is_ok()) {
    phase.status = AgentStatus::Completed;
    phase.output = std::move(r.value().output);
    truncate_utf8(phase.output, Limits::kMaxOutputBytes);
    phase.tokens_used = r.value().tokens_used;
    s->current_phase_index = next_open_phase(*s, at + 1);
    s->status = s->current_phase_index >= n ? SessionStatus::Completed : SessionStatus::Running;
    // No phase is left to rank outputs for: the cache goes (its memory with it).
    if (s->status == SessionStatus::Completed) s->embed_rows = {};
    recompute_totals(*s);
    return R::ok(&phase);
  }
  std::string message = r.error();
  truncate_utf8(message, Limits::kMaxOutputBytes);
  phase.status = AgentStatus::Failed;
  assign_bytes(phase.output, as_bytes(message));
  phase.tokens_used = 0;
  s->status = SessionStatus::Failed;
  recompute_totals(*s);
  std::string m = "agent " + phase.agent_id + " failed in phase ";
  append_u64(m, uint64_t{at} + 1);
  m += ": ";
  m += message;
  return R::err(std::move(m));
}

Result<SessionStatus> SessionManager::pause_session(std::string_view id) {
  using R = Result<SessionStatus>;
  SessionState* s = impl_->find(id);
  if (s == nullptr) return R::err(unknown(id));
  switch (s->status) {
    case SessionStatus::Completed:
      return R::err("session " + s->id + " is completed: there is nothing to pause");
    case SessionStatus::Failed:
      return R::err(failed_phase(*s) + ": it cannot be paused; resume to retry");
    default:
      s->status = SessionStatus::Paused;
      return R::ok(SessionStatus::Paused);
  }
}

Result<SessionStatus> SessionManager::resume_session(std::string_view id) {
  using R = Result<SessionStatus>;
  SessionState* s = impl_->find(id);
  if (s == nullptr) return R::err(unknown(id));
  switch (s->status) {
    case SessionStatus::Completed:
      return R::err("session " + s->id + " is completed: there is nothing to resume");
    case SessionStatus::Failed:
      if (s->current_phase_index < s->phases.size()) {
        PhaseSnapshot& p = s->phases[s->current_phase_index];
        p.status = AgentStatus::Queued;
        p.output.clear();
        p.duration_ms = 0;
        p.tokens_used = 0;
      }
      recompute_totals(*s);
      s->status = active_status(*s);
      return R::ok(s->status);
    case SessionStatus::Paused:
      s->status = active_status(*s);
      return R::ok(s->status);
    default:
      return R::ok(s->status);
  }
}

std::optional<SessionSnapshot> SessionManager::get_snapshot(std::string_view id) const {
  const SessionState* s = impl_->find(id);
  if (s == nullptr) return std::nullopt;
  return to_snapshot(*s);
}

std::optional<SessionSnapshotView> SessionManager::get_snapshot_view(std::string_view id) const {
  const SessionState* s = impl_->find(id);
  if (s == nullptr) return std::nullopt;
  SessionSnapshotView v;
  v.id = s->id;
  v.status = s->status;
  v.phases = s->phases;
  v.current_phase_index = s->current_phase_index;
  v.total_duration_ms = s->total_duration_ms;
  v.total_tokens = s->total_tokens;
  v.created_at_ms = s->created_at_ms;
  return v;
}

std::optional<CoordinationMetrics> SessionManager::get_metrics(std::string_view id) const {
  const SessionState* s = impl_->find(id);
  if (s == nullptr) return std::nullopt;
  return to_metrics(*s);
}

std::string SessionManager::import_snapshot(SessionSnapshot snapshot) {
  if (impl_->full()) return std::string();
  SessionState s;
  s.status = snapshot.status;
  s.phases = std::move(snapshot.phases);
  s.current_phase_index = snapshot.current_phase_index;
  s.created_at_ms = snapshot.created_at_ms;
  repair(s);  // also gives every phase an agent whose name and role are its agent-id
  s.id = impl_->import_id(snapshot.id);
  return impl_->insert(std::move(s));
}

Result<std::vector<uint8_t>> SessionManager::export_session(std::string_view id) const {
  const SessionState* s = impl_->find(id);
  if (s == nullptr) return Result<std::vector<uint8_t>>::err(unknown(id));
  return Result<std::vector<uint8_t>>::ok(encode_session(*s));
}

Result<std::string> SessionManager::import_session(std::span<const uint8_t> bytes) {
  using R = Result<std::string>;
  Result<SessionState> decoded = decode_session(bytes);
  if (!decoded.is_ok()) return R::err(decoded.error());
  if (impl_->full()) {
    std::string m = "import-session: too many sessions: ";
    append_u64(m, Limits::kMaxSessions);
    m += " are live, the limit; drop one first";
    return R::err(std::move(m));
  }
  SessionState& s = decoded.value();
  repair(s);
  s.id = impl_->import_id(s.id);
  return R::ok(impl_->insert(std::move(s)));
}

bool SessionManager::drop_session(std::string_view id) {
  auto it = impl_->sessions.find(id);
  if (it == impl_->sessions.end()) return false;
  impl_->sessions.erase(it);
  ++impl_->generation;
  auto& order = impl_->order;
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] == id) {
      order.erase(order.begin() + static_cast<ptrdiff_t>(i));
      break;
    }
  }
  return true;
}

std::vector<std::string> SessionManager::list_sessions() const { return impl_->order; }

}  // namespace lokust::session
