// The session VM's logic, free of WebAssembly: the same library is built natively for the
// unit tests and to wasm32-wasi for the component. Behaviour: docs/session-behaviour.md
// (which refines ../shared/design/SEMANTICS.md). The component's bindings
// (guest/bindings/) translate canonical-ABI values to and from these types and provide a
// Platform backed by the world's imports.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lokust::session {

// --- WIT types (lokust:session-vm/types, agent-runtime, gpu), field order as in the WIT ---

// Enumerators in WIT declaration order: the bindings pass them as their index.
enum class SessionStatus : uint8_t { Idle, Running, Paused, Completed, Failed };
enum class AgentStatus : uint8_t { Queued, Running, Paused, Completed, Failed };

struct AgentConfig {
  std::string agent_id;
  std::string name;
  std::string role;
  uint32_t phase_index = 0;
};

struct PhaseSnapshot {
  std::string agent_id;
  AgentStatus status = AgentStatus::Queued;
  std::vector<uint8_t> output;
  uint64_t duration_ms = 0;
  uint64_t tokens_used = 0;
};

struct SessionSnapshot {
  std::string id;  // session-id.inner
  SessionStatus status = SessionStatus::Idle;
  std::vector<PhaseSnapshot> phases;
  uint32_t current_phase_index = 0;
  uint64_t total_duration_ms = 0;
  uint64_t total_tokens = 0;
  uint64_t created_at_ms = 0;
};

struct CoordinationMetrics {
  uint32_t phases_completed = 0;
  uint32_t phases_total = 0;
  uint64_t total_duration_ms = 0;
  uint64_t total_tokens = 0;
  double compression_ratio = 1.0;
};

struct Tensor {
  std::vector<uint32_t> shape;
  std::vector<float> data;
};

struct AgentTask {
  std::string agent_id;
  std::string system_prompt;
  std::string user_prompt;
  std::vector<uint8_t> prior_context;
};

struct AgentResult {
  std::vector<uint8_t> output;
  uint64_t tokens_used = 0;
  uint64_t duration_ms = 0;
};

// result<T, string> of the WIT. No exceptions anywhere in the guest: errors are values.
template <class T>
class Result {
 public:
  static Result ok(T value) { return Result(std::in_place_index<0>, std::move(value)); }
  static Result err(std::string message) {
    return Result(std::in_place_index<1>, std::move(message));
  }
  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const std::string& error() const { return std::get<1>(v_); }

 private:
  template <size_t I, class U>
  Result(std::in_place_index_t<I> tag, U&& u) : v_(tag, std::forward<U>(u)) {}
  std::variant<T, std::string> v_;
};

// --- What the session logic needs from its host: exactly the world's imports ---
// The component implements this with wasi:clocks/monotonic-clock, wasi:random/random,
// lokust:session-vm/gpu and lokust:session-vm/agent-runtime; tests with fakes.
class Platform {
 public:
  virtual ~Platform() = default;
  virtual uint64_t monotonic_now_ns() = 0;                    // monotonic-clock.now
  virtual std::vector<uint8_t> random_bytes(uint64_t n) = 0;  // random.get-random-bytes
  virtual bool gpu_available() = 0;                           // gpu.available
  virtual std::string gpu_device_info() = 0;                  // gpu.device-info
  virtual Result<Tensor> gpu_infer(std::string_view model_id, const Tensor& input) = 0;
  virtual Result<AgentResult> execute(const AgentTask& task) = 0;  // agent-runtime.execute
};

// --- Extension interface (wit/session-vm-ext.wit, interface session-admin) ---
struct SessionOptions {
  std::string objective;
  uint32_t context_budget = 16 * 1024;  // bytes of prior-context per phase
};

// Bounds on what a host may pass in; see docs/session-behaviour.md.
struct Limits {
  static constexpr size_t kMaxAgents = 256;
  static constexpr size_t kMaxIdBytes = 128;     // agent-id
  static constexpr size_t kMaxNameBytes = 256;   // name
  static constexpr size_t kMaxRoleBytes = 1024;  // role
  static constexpr size_t kMaxObjectiveBytes = 16 * 1024;
  static constexpr size_t kMaxOutputBytes = 1 << 20;  // one phase's stored output
  static constexpr uint32_t kMinContextBudget = 256;
  static constexpr uint32_t kMaxContextBudget = 1 << 20;
  static constexpr size_t kMaxSessions = 4096;
};

// A session's snapshot without copies of its phases: what SessionManager::get_snapshot_view
// gives (see there for how long it stays valid).
struct SessionSnapshotView {
  std::string_view id;
  SessionStatus status = SessionStatus::Idle;
  std::span<const PhaseSnapshot> phases;
  uint32_t current_phase_index = 0;
  uint64_t total_duration_ms = 0;
  uint64_t total_tokens = 0;
  uint64_t created_at_ms = 0;
};

class SessionManager {
 public:
  explicit SessionManager(Platform& platform);
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // session-ops (the seed's export)
  std::string create_session(std::vector<AgentConfig> agents);
  Result<PhaseSnapshot> run_next_phase(std::string_view id);
  Result<SessionStatus> pause_session(std::string_view id);
  Result<SessionStatus> resume_session(std::string_view id);
  std::optional<SessionSnapshot> get_snapshot(std::string_view id) const;
  std::string import_snapshot(SessionSnapshot snapshot);
  std::optional<CoordinationMetrics> get_metrics(std::string_view id) const;

  // session-admin (the extension)
  Result<std::string> create_session_checked(std::vector<AgentConfig> agents,
                                             SessionOptions options);
  Result<std::vector<uint8_t>> export_session(std::string_view id) const;
  Result<std::string> import_session(std::span<const uint8_t> bytes);
  bool drop_session(std::string_view id);
  std::vector<std::string> list_sessions() const;

  // run_next_phase and get_snapshot without copying outputs (the component's exports, whose
  // results only have to live until post-return): what they return points into the session
  // and stays valid until the next call that changes or drops it.
  Result<const PhaseSnapshot*> run_next_phase_in_place(std::string_view id);
  std::optional<SessionSnapshotView> get_snapshot_view(std::string_view id) const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace lokust::session
