// A typed C++ layer for the session-vm world (wit/session-vm.wit, wit/session-vm-ext.wit) on
// the project's own engine: loads the session VM component (build/guest/session_guest.wasm),
// wires its imports to the host and exposes session-ops and session-admin as typed methods.
//
// Imports: every wasi:* import (today monotonic-clock and random) is linked to the project's
// WASI 0.2 host (engine/wasi, AddWasiToLinker) over one WasiCtx per instance; the custom `gpu`
// and `agent-runtime` imports to a GpuBackend and an AgentRuntime. The WasiCtx has no
// arguments and no environment; stdin is empty, and the guest's stdout and stderr go to the
// host's stderr (the host's stdout is its own output, e.g. --json; the guest writes nothing
// today). With VmOptions::data_dir, <data_dir>/data (created if missing) is preopened
// read-write at kDataGuestPath, as the seed's host preopens ./session-data/data.
//
//   auto runtime = agents::make_agent_runtime({});
//   auto backend = gpu::make_gpu_backend(gpu::BackendKind::kCpu, {});
//   auto vm = SessionVm::Load("build/guest/session_guest.wasm", *runtime.value(),
//                             *backend.value(), {.data_dir = "session-data"});
//   auto id = vm.value()->create_session_checked(agents, "objective", 16384);
//   auto phase = vm.value()->run_next_phase(id.value());
//
// Every failure is an err: the guest's own err strings as they are, a trap or engine error
// as "trap: <message>" / "<kind>: <message>". Not thread-safe: one SessionVm per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/agents/agent_runtime.h"
#include "host/gpu/gpu_backend.h"
#include "host/result.h"

namespace lokust::component {
class Component;
}
namespace lokust::wasi {
class WasiCtx;
}

namespace lokust::host::session_vm {

// The component compiled once (decoded, validated, its core modules compiled); immutable, so
// one may be shared by the SessionVms of many threads, each instantiating it in microseconds.
using CompiledComponent = lokust::component::Component;

// The WIT records of lokust:session-vm/types, field order as in the WIT.
enum class SessionStatus { kIdle, kRunning, kPaused, kCompleted, kFailed };
enum class AgentStatus { kQueued, kRunning, kPaused, kCompleted, kFailed };

// The WIT labels: "idle", "running", ...
const char* session_status_name(SessionStatus s);
const char* agent_status_name(AgentStatus s);

struct AgentConfig {
  std::string agent_id;
  std::string name;
  std::string role;
  uint32_t phase_index = 0;
};

struct PhaseSnapshot {
  std::string agent_id;
  AgentStatus status = AgentStatus::kQueued;
  std::vector<uint8_t> output;
  uint64_t duration_ms = 0;
  uint64_t tokens_used = 0;
};

struct SessionSnapshot {
  std::string id;  // session-id.inner
  SessionStatus status = SessionStatus::kIdle;
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
  double compression_ratio = 0;
};

// Replacements for what the WASI host gives the guest as wasi:clocks/monotonic-clock#now and
// wasi:random/random (WasiCtxBuilder::MonotonicClock / SecureRandom). Empty members: the
// WASI host's own (the host's monotonic clock, its CSPRNG). Deterministic replays
// (tests/host/session_vm/) supply their own; random_bytes(n) must return n bytes.
struct HostSources {
  std::function<uint64_t()> now_ns;
  std::function<std::vector<uint8_t>(uint64_t)> random_bytes;
};

// Where the session data directory's `data` folder appears to the guest (a wasi:filesystem
// preopen).
inline constexpr const char* kDataGuestPath = "/data";

// What one instance's guest may use: the host treats the component as untrusted (any file
// can be passed as --component). A call that goes past a limit traps, which poisons the
// instance, and its err names the limit ("trap: the guest ran past its time limit ...").
struct GuestLimits {
  // Linear memory per core memory of the instance; a memory.grow beyond it fails (the guest
  // usually traps then), and an instance whose memories start beyond it is not created.
  uint64_t max_memory_bytes = uint64_t{512} << 20;
  // Nested wasm calls; deeper traps "call stack exhausted".
  uint32_t max_call_depth = 10000;
  // Guest execution time per export call: wall time inside the component, not counting the
  // time spent in the host's gpu and agent-runtime imports (an agent call may take minutes).
  // Zero: no limit.
  std::chrono::nanoseconds max_guest_time = std::chrono::seconds(10);
  // Fuel per export call (loop back-edges and calls, see core::Store::SetFuel): a
  // deterministic budget, for tests and replays. nullopt: none.
  std::optional<uint64_t> fuel_per_call;
};

// Which GuestLimits field stopped a call (SessionVm::limit_hit()).
enum class GuestLimit { kNone, kMemory, kCallDepth, kTime, kFuel };

struct VmOptions {
  // The session data directory. Non-empty: <data_dir>/data, created if missing, is preopened
  // read-write at kDataGuestPath. Empty: no preopen.
  std::filesystem::path data_dir;
  HostSources sources;
  GuestLimits limits;
};

class SessionVm {
 public:
  // Reads, decodes, validates and instantiates the component. `runtime` and `backend` must
  // outlive the SessionVm.
  static Result<std::unique_ptr<SessionVm>> Load(const std::filesystem::path& component_path,
                                                 agents::AgentRuntime& runtime,
                                                 gpu::GpuBackend& backend,
                                                 const VmOptions& options = {});
  // Reads and compiles the component for Load(compiled, ...).
  static Result<std::shared_ptr<const CompiledComponent>> Compile(
      const std::filesystem::path& component_path);
  // A new instance of a compiled component (kept alive by the SessionVm).
  static Result<std::unique_ptr<SessionVm>> Load(std::shared_ptr<const CompiledComponent> compiled,
                                                 agents::AgentRuntime& runtime,
                                                 gpu::GpuBackend& backend,
                                                 const VmOptions& options = {});
  ~SessionVm();
  SessionVm(const SessionVm&) = delete;
  SessionVm& operator=(const SessionVm&) = delete;

  // session-ops. Session ids are session-id.inner.
  Result<std::string> create_session(const std::vector<AgentConfig>& agents);
  Result<PhaseSnapshot> run_next_phase(const std::string& id);
  Result<SessionStatus> pause_session(const std::string& id);
  Result<SessionStatus> resume_session(const std::string& id);
  // ok(nullopt): no such session.
  Result<std::optional<SessionSnapshot>> get_snapshot(const std::string& id);
  Result<std::optional<CoordinationMetrics>> get_metrics(const std::string& id);
  // The id of the restored session ("" when the session limit is reached).
  Result<std::string> import_snapshot(const SessionSnapshot& snapshot);

  // session-admin.
  Result<std::string> create_session_checked(const std::vector<AgentConfig>& agents,
                                             const std::string& objective, uint32_t context_budget);
  Result<std::vector<uint8_t>> export_session(const std::string& id);
  Result<std::string> import_session(const std::vector<uint8_t>& bytes);
  Result<bool> drop_session(const std::string& id);
  Result<std::vector<std::string>> list_sessions();

  // Whether the component exports every function of session-ops and, with `session_admin`,
  // of session-admin (the session-vm-ext world); the err names the first one missing. Load
  // refuses a component without session-ops; a host that needs session-admin (the session
  // host does) checks once after Load, so a wrong --component fails at start, not mid-run.
  Status CheckExports(bool session_admin) const;

  // Whether a trap (a guest fault, or a host function that failed hard) poisoned the
  // instance: every later call then fails with "trap: cannot enter component instance"; make a
  // new SessionVm and import the sessions again.
  bool poisoned() const;
  // The guest limit that made the latest failed call fail (kNone when it failed for another
  // reason): lets a host retry with larger limits, or report the cause, without parsing the
  // err text.
  GuestLimit limit_hit() const;

  // The WASI context of this instance: its preopens, resource tables.
  const wasi::WasiCtx& wasi() const;

  struct Impl;

 private:
  explicit SessionVm(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lokust::host::session_vm
