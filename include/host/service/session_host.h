// SessionHost: the embeddable session host. It owns a data directory (a SessionStore), a GPU
// backend and a pool of session VM component instances (one SessionVm per worker thread), and
// runs sessions phase by phase on agent runtimes.
//
//   HostOptions opt;
//   opt.data_dir = "session-data";
//   opt.component = "build/guest/session_guest.wasm";
//   auto host = SessionHost::open(opt);                  // re-imports every stored session
//   auto id = host.value()->create(spec);                // spec: see spec.h
//   auto out = host.value()->run(id.value(), [](const PhaseProgress& p) { ... });
//
// Durability: after every change of a session (create, each phase run, pause, resume, import)
// the host writes the session's full-fidelity export (session-admin.export-session)
// atomically into <data_dir>/sessions/<id>.lkss, and the session's agent runtime (never a
// key) into <id>.meta.json. A host killed at any moment loses no completed phase; a phase that
// was running when it died was never written as completed, so it runs again (at-least-once
// execution).
//
// Loading: open() registers every stored session. A session is imported into its instance when
// an operation needs it and dropped from the instance when the operation is over (a run: when
// the run ends), so the stored sessions are not bounded by what one instance holds (4096) and
// opening a large data directory imports nothing.
//
// Ids: the store is always keyed by the id the guest reports. An import keeps the export's id
// unless that id is live, and the host routes an import to the instance that holds a live
// session of the same id, so the guest itself gives it a fresh id: ids stay unique across the
// whole pool. If a stored file's session comes back under another id (a file renamed or
// copied by hand), open() stores it under the new id, removes the old file and says so in
// warnings().
//
// Faults: a trap poisons a component instance (a guest fault, or a runtime that threw). The
// host then replaces that instance with a new one; its sessions are imported again from the
// store when next used, so the phase that trapped runs again, like one a kill interrupted.
//
// One process per data directory: open() takes an exclusive lock (<data_dir>/host.lock) and
// fails when another host holds it. The lock goes away with the process, even on SIGKILL.
//
// Threads: every method may be called from any thread. A session is pinned to one instance;
// calls on sessions of different instances run in parallel. Progress callbacks run on the
// worker threads and must not call back into the host.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/gpu/gpu_backend.h"
#include "host/result.h"
#include "host/service/spec.h"
#include "host/session_vm/session_vm.h"

namespace lokust::host::service {

struct HostOptions {
  // sessions/ (the store), host.lock, and data/: preopened read-write to every component
  // instance at session_vm::kDataGuestPath ("/data"), created if missing.
  std::filesystem::path data_dir = "session-data";
  std::filesystem::path component;  // the session VM component (.wasm)
  unsigned concurrency = 1;         // component instances (worker threads), >= 1
  gpu::BackendKind gpu = gpu::BackendKind::kAuto;
  // The runtime of sessions whose spec names none (and of imported sessions).
  RuntimeSpec default_runtime;
  // When set, every phase run by this host uses this runtime name instead of the session's
  // (its other options stay the session's). Not stored.
  std::optional<std::string> runtime_override;
  // Makes the agent runtime for a session's RuntimeSpec (called once per instance and spec);
  // empty: agents::make_agent_runtime(spec.to_config()). For embedders with runtimes of their
  // own.
  std::function<Result<std::unique_ptr<agents::AgentRuntime>>(const RuntimeSpec&)> make_runtime;
  // What each component instance's guest may use (memory, call depth, guest time per call).
  // A phase that goes past a limit fails with an err naming it; its instance is replaced and
  // the session keeps its stored phases (the phase runs again on the next run()).
  session_vm::GuestLimits guest_limits;
};

struct PhaseProgress {
  std::string session_id;
  uint32_t phase_number = 0;  // 1-based
  uint32_t phases_total = 0;
  session_vm::PhaseSnapshot phase;
  size_t context_bytes = 0;  // prior context the agent got
  double wall_ms = 0;        // run-next-phase as the host saw it
};
using ProgressFn = std::function<void(const PhaseProgress&)>;

// How a run ended: completed, paused (by a pause() while it ran), or interrupted by
// interrupt_runs() (status idle or running; the rest runs with a later run()). A failed phase
// is an err.
struct RunOutcome {
  std::string session_id;
  session_vm::SessionStatus status = session_vm::SessionStatus::kIdle;
  uint32_t phases_run = 0;
  session_vm::CoordinationMetrics metrics;
  bool interrupted = false;
};

struct SessionInfo {
  session_vm::SessionSnapshot snapshot;
  session_vm::CoordinationMetrics metrics;
  std::string objective;        // from the export
  RuntimeSpec runtime;          // the session's runtime (stored, or the host's default)
  int64_t created_unix_ms = 0;  // wall clock at create/import by this data dir; 0: unknown
};

class SessionHost {
 public:
  // Locks the data dir, makes the GPU backend, compiles the component once and instantiates
  // it `concurrency` times, and registers every stored session. A stored export that is
  // corrupt, or cannot be stored under its session's id, stays on disk and is reported in
  // warnings().
  static Result<std::unique_ptr<SessionHost>> open(const HostOptions& options);
  ~SessionHost();
  SessionHost(const SessionHost&) = delete;
  SessionHost& operator=(const SessionHost&) = delete;

  const std::vector<std::string>& warnings() const;
  std::string gpu_info() const;

  // create-session-checked, then stored. Errors: the guest's checks, a runtime that cannot
  // be made (missing key, ...), storage.
  Result<std::string> create(const SessionSpec& spec);
  // Runs phases until the session is completed (or paused by another thread); each phase is
  // stored before the progress callback sees it. An agent failure stores the failed session
  // and is an err with the guest's message; resume() then retries that phase.
  Result<RunOutcome> run(const std::string& id, const ProgressFn& progress = {});
  // run() for several sessions at once: sessions on different instances progress in
  // parallel, sessions on one instance take turns phase by phase. Results in `ids` order.
  std::vector<Result<RunOutcome>> run_many(const std::vector<std::string>& ids,
                                           const ProgressFn& progress = {});
  // Stops every run in progress (and any started later) after the phases now running: they
  // finish and are stored, no new phase starts. For a graceful shutdown (the CLI's Ctrl-C);
  // safe to call from any thread, not from a signal handler.
  void interrupt_runs();
  Result<session_vm::SessionStatus> pause(const std::string& id);
  Result<session_vm::SessionStatus> resume(const std::string& id);
  Result<SessionInfo> info(const std::string& id);
  bool contains(const std::string& id) const;
  // Live ids, oldest first: by created_unix_ms, then creation order in this data dir (sessions
  // made in one millisecond), then id.
  std::vector<std::string> list() const;
  Result<std::vector<uint8_t>> export_session(const std::string& id);
  // session-admin.import-session, then stored; returns the id (see "Ids" above). The session
  // runs on `runtime` (stored with it), else on the host's default runtime.
  Result<std::string> import_session(const std::vector<uint8_t>& bytes,
                                     std::optional<RuntimeSpec> runtime = std::nullopt);
  // Drops the session and deletes its files. Err for an unknown id.
  Status drop(const std::string& id);
  // Moves a session to another host (another data directory: one that another process or
  // machine opens next): `to` imports and stores its full-fidelity export with its runtime,
  // and only then is it dropped here, so a failure or a kill at any point leaves it in one
  // data directory or both, never in neither. Returns its id in `to` (a fresh one when `to`
  // has that id already). Errors, the session staying here: an unknown id, `to` is this host,
  // the import or storage in `to`, and a session that changed while it was copied (a run in
  // progress, a pause): `to`'s copy is dropped again.
  Result<std::string> migrate(const std::string& id, SessionHost& to);

  struct Impl;

 private:
  explicit SessionHost(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The session id an export carries (the LKSS header), without importing it; nullopt when the
// bytes are not a version-1 export.
std::optional<std::string> export_session_id(const std::vector<uint8_t>& bytes);

}  // namespace lokust::host::service
