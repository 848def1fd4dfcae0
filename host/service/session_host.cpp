// The embeddable session host: see include/host/service/session_host.h.
#include "host/service/session_host.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "host/store/session_store.h"

namespace lokust::host::service {

namespace fs = std::filesystem;
namespace svm = session_vm;
using json = nlohmann::json;

namespace {

std::string Unknown(const std::string& id) { return "unknown session \"" + id + "\""; }

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The fields of an export's header the host needs (format: docs/session-behaviour.md).
struct ExportHeader {
  std::string id;
  std::string objective;
};

std::optional<ExportHeader> ReadHeader(const std::vector<uint8_t>& b) {
  size_t pos = 0;
  auto need = [&](size_t n) { return b.size() >= pos && b.size() - pos >= n; };
  auto u32 = [&](uint32_t& v) {
    if (!need(4)) return false;
    v = uint32_t(b[pos]) | uint32_t(b[pos + 1]) << 8 | uint32_t(b[pos + 2]) << 16 |
        uint32_t(b[pos + 3]) << 24;
    pos += 4;
    return true;
  };
  auto str = [&](std::string& s) {
    uint32_t n;
    if (!u32(n) || !need(n)) return false;
    s.assign(b.begin() + static_cast<ptrdiff_t>(pos), b.begin() + static_cast<ptrdiff_t>(pos + n));
    pos += n;
    return true;
  };
  if (b.size() < 16 || std::memcmp(b.data(), "LKSS", 4) != 0 || b[4] != 1 || b[5] != 0)
    return std::nullopt;
  // The trailing FNV-1a-64 of everything before it: a torn or corrupt file is no export.
  uint64_t sum = 0xCBF29CE484222325ull;
  for (size_t i = 0; i < b.size() - 8; ++i) sum = (sum ^ b[i]) * 0x100000001B3ull;
  uint64_t stored = 0;
  for (size_t k = 0; k < 8; ++k) stored |= uint64_t{b[b.size() - 8 + k]} << (8 * k);
  if (sum != stored) return std::nullopt;
  pos = 8;
  ExportHeader h;
  if (!str(h.id)) return std::nullopt;
  pos += 1 + 4 + 8 + 8 + 8;  // status, current-index, total-duration, total-tokens, created-at
  if (!str(h.objective)) return std::nullopt;
  return h;
}

// The guest's agent-runtime import for one instance: forwards each task to the runtime of the
// session whose phase is running (set before run-next-phase), after the session's delay.
class RoutingRuntime final : public agents::AgentRuntime {
 public:
  Result<agents::AgentResult> execute(const agents::AgentTask& task) override {
    last_context_bytes = task.prior_context.size();
    if (!target) return Result<agents::AgentResult>::err("no agent runtime for this session");
    if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    return target->execute(task);
  }
  std::string describe() const override { return target ? target->describe() : "none"; }

  agents::AgentRuntime* target = nullptr;
  uint32_t delay_ms = 0;
  size_t last_context_bytes = 0;
};

// One component instance and the thread that owns it. Everything but the queue is touched only
// on that thread (after construction).
struct Worker {
  RoutingRuntime runtime;
  std::unique_ptr<svm::SessionVm> vm;
  std::map<std::string, std::unique_ptr<agents::AgentRuntime>> runtimes;  // by RuntimeSpec JSON
  std::function<Result<std::unique_ptr<agents::AgentRuntime>>(const RuntimeSpec&)> make_runtime;
  // Called on this thread after a task that left the instance poisoned.
  std::function<void(Worker&)> on_poisoned;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  bool stop = false;
  std::thread thread;

  void Post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(fn));
    }
    cv.notify_one();
  }
  void Loop() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (queue.empty()) return;
        fn = std::move(queue.front());
        queue.pop_front();
      }
      fn();
      if (vm && vm->poisoned() && on_poisoned) on_poisoned(*this);
    }
  }
  // Runs fn(*this) on the worker thread and waits for its result.
  template <class F>
  auto Call(F&& fn) -> decltype(fn(*this)) {
    std::packaged_task<decltype(fn(*this))()> task([&] { return fn(*this); });
    auto done = task.get_future();
    Post([t = &task] { (*t)(); });
    return done.get();
  }
  // The runtime for a spec, made on first use; one per instance, as runtimes serialise calls.
  Result<agents::AgentRuntime*> RuntimeFor(const RuntimeSpec& spec) {
    const std::string key = spec.to_json();
    auto it = runtimes.find(key);
    if (it == runtimes.end()) {
      auto made = make_runtime ? make_runtime(spec) : agents::make_agent_runtime(spec.to_config());
      if (!made) return Result<agents::AgentRuntime*>::err("agent runtime: " + made.error());
      it = runtimes.emplace(key, std::move(made.value())).first;
    }
    return Result<agents::AgentRuntime*>::ok(it->second.get());
  }
};

struct Entry {
  size_t worker = 0;
  std::optional<RuntimeSpec> runtime;  // none: the host's default
  std::string objective;
  int64_t created_unix_ms = 0;
  // Creation order in this data dir (stored in the meta file): breaks ties between sessions
  // made in the same millisecond, which the wall clock cannot order. 0: unknown (older files).
  uint64_t created_seq = 0;
  // Counts the changes made through the host (phases run, pause, resume), so a run can tell
  // whether the session changed since it last looked.
  uint64_t version = 0;
  // Whether the session is in its instance now. A session is imported from the store when an
  // operation needs it and dropped from the instance when the operation is over (it stays on
  // disk), so an instance holds only the sessions in use and its 4096-session limit bounds
  // the sessions in use at once, not the sessions stored.
  bool loaded = false;
};

std::string MetaJson(const Entry& e) {
  json j = {{"created_unix_ms", e.created_unix_ms}, {"created_seq", e.created_seq}};
  if (e.runtime) j["runtime"] = json::parse(e.runtime->to_json());
  return j.dump(2) + "\n";
}

}  // namespace

struct SessionHost::Impl {
  HostOptions options;
  int lock_fd = -1;
  std::optional<store::SessionStore> store;
  std::unique_ptr<gpu::GpuBackend> backend;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::string> warnings;

  mutable std::mutex mu;  // sessions
  std::map<std::string, Entry> sessions;
  std::mutex placement;               // serialises choosing an instance for a new session
  std::atomic<uint64_t> last_seq{0};  // the highest created_seq given or stored
  std::atomic<bool> interrupted{false};
  std::shared_ptr<const svm::CompiledComponent> compiled;

  // What every instance's WASI imports see: the data directory, its `data` folder preopened.
  svm::VmOptions InstanceOptions() const {
    svm::VmOptions o;
    o.data_dir = options.data_dir;
    o.limits = options.guest_limits;
    return o;
  }

  // On worker `wi`'s thread: a new instance in place of the poisoned one; its sessions are
  // imported again from the store when next used.
  void Replace(Worker& w, size_t wi) {
    auto vm = svm::SessionVm::Load(compiled, w.runtime, *backend, InstanceOptions());
    if (!vm) return;  // it stays poisoned: every call on it says so
    w.vm = std::move(vm.value());
    std::lock_guard lock(mu);
    for (auto& [id, e] : sessions)
      if (e.worker == wi) e.loaded = false;
  }

  ~Impl() {
    for (auto& w : workers) {
      {
        std::lock_guard lock(w->mu);
        w->stop = true;
      }
      w->cv.notify_one();
      if (w->thread.joinable()) w->thread.join();
    }
    if (lock_fd >= 0) ::close(lock_fd);
  }

  std::optional<Entry> Find(const std::string& id) const {
    std::lock_guard lock(mu);
    auto it = sessions.find(id);
    if (it == sessions.end()) return std::nullopt;
    return it->second;
  }

  // One more change of the session; returns the new version (0 if it is gone).
  uint64_t Bump(const std::string& id) {
    std::lock_guard lock(mu);
    auto it = sessions.find(id);
    return it == sessions.end() ? 0 : ++it->second.version;
  }

  // The instance with the fewest sessions (the first of equals).
  size_t LeastLoaded() const {
    std::vector<size_t> load(workers.size(), 0);
    std::lock_guard lock(mu);
    for (const auto& [id, e] : sessions) ++load[e.worker];
    return static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
  }

  RuntimeSpec EffectiveRuntime(const Entry& e) const {
    RuntimeSpec r = e.runtime.value_or(options.default_runtime);
    if (options.runtime_override) r.name = *options.runtime_override;
    return r;
  }

  void SetLoaded(const std::string& id, bool loaded) {
    std::lock_guard lock(mu);
    if (auto it = sessions.find(id); it != sessions.end()) it->second.loaded = loaded;
  }

  // On the session's worker: imports it from the store unless it is in the instance already.
  // Returns whether it was loaded before.
  Result<bool> Ensure(Worker& w, const std::string& id) {
    auto e = Find(id);
    if (!e) return Result<bool>::err(Unknown(id));
    if (e->loaded) return Result<bool>::ok(true);
    auto bytes = store->load(id);
    if (!bytes) return Result<bool>::err("loading session " + id + ": " + bytes.error());
    auto got = w.vm->import_session(bytes.value());
    if (!got) return Result<bool>::err("loading session " + id + ": " + got.error());
    if (got.value() != id) {
      (void)w.vm->drop_session(got.value());
      return Result<bool>::err("loading session " + id + ": its stored export holds session " +
                               got.value());
    }
    SetLoaded(id, true);
    return Result<bool>::ok(false);
  }

  // On the session's worker: drops it from the instance (it stays stored).
  void Evict(Worker& w, const std::string& id) {
    (void)w.vm->drop_session(id);
    SetLoaded(id, false);
  }

  // On the session's worker: the session out of its instance, its files and the registry.
  Status Drop(Worker& w, const std::string& id) {
    if (auto now = Find(id); now && now->loaded) {
      auto dropped = w.vm->drop_session(id);
      if (!dropped) return Status::err("drop-session: " + dropped.error());
    }
    if (auto removed = store->remove(id); !removed) return removed;
    std::lock_guard lock(mu);
    sessions.erase(id);
    return Status::ok({});
  }

  // On the session's worker: fn() with the session in the instance, which is left as it was.
  template <class T, class F>
  Result<T> With(Worker& w, const std::string& id, F fn) {
    auto was = Ensure(w, id);
    if (!was) return Result<T>::err(was.error());
    Result<T> r = fn();
    if (!was.value()) Evict(w, id);
    return r;
  }

  // On the worker: the session's current export into the store.
  Status Persist(Worker& w, const std::string& id) {
    auto bytes = w.vm->export_session(id);
    if (!bytes) return Status::err("export-session: " + bytes.error());
    auto saved = store->save(id, bytes.value());
    if (!saved) return Status::err("storing session " + id + ": " + saved.error());
    return Status::ok({});
  }

  Status SaveMeta(const std::string& id, const Entry& e) {
    std::string text = MetaJson(e);
    auto s = store->save_meta(id, std::vector<uint8_t>(text.begin(), text.end()));
    if (!s) return Status::err("storing metadata of session " + id + ": " + s.error());
    return Status::ok({});
  }

  Status LockDataDir() {
    std::error_code ec;
    fs::create_directories(options.data_dir, ec);
    if (ec) return Status::err("cannot create " + options.data_dir.string() + ": " + ec.message());
    const fs::path path = options.data_dir / "host.lock";
    lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0)
      return Status::err("cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      ssize_t n = ::pread(lock_fd, buf, sizeof buf - 1, 0);
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return Status::err("data directory " + options.data_dir.string() +
                         " is in use by another session host (pid " + pid + ")");
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock_fd, 0) == 0) (void)!::pwrite(lock_fd, pid.data(), pid.size(), 0);
    return Status::ok({});
  }

  // The stored metadata of a session into `e` (a bad file: a warning, and the defaults).
  void ReadMeta(const std::string& name, Entry& e) {
    auto meta = store->load_meta(name);
    if (!meta) return;
    json j = json::parse(meta.value(), nullptr, false);
    if (j.is_object() && j.contains("created_unix_ms") && j["created_unix_ms"].is_number_integer())
      e.created_unix_ms = j["created_unix_ms"].get<int64_t>();
    if (j.is_object() && j.contains("created_seq") && j["created_seq"].is_number_unsigned()) {
      e.created_seq = j["created_seq"].get<uint64_t>();
      if (e.created_seq > last_seq) last_seq = e.created_seq;
    }
    if (j.is_object() && j.contains("runtime")) {
      auto rt = parse_runtime_json(j["runtime"].dump(), "sessions/" + name + ".meta.json");
      if (rt)
        e.runtime = rt.value();
      else
        warnings.push_back(rt.error() + " (the session runs on the default runtime)");
    }
  }

  // open(): every stored session registered. A file stored under its session's id is imported
  // when first used; any other (renamed or copied by hand, or corrupt) is imported now, so the
  // guest says which id it gets, and stored under that id. Files under their own id go first,
  // so they keep their ids; every file is read before any is written, so storing a renamed
  // session can never overwrite a file not yet read.
  void Reimport() {
    struct Stored {
      std::string name;
      std::vector<uint8_t> bytes;
      std::optional<ExportHeader> header;
      bool canonical() const { return header && header->id == name; }
    };
    std::vector<Stored> files;
    for (const std::string& name : store->list()) {
      auto bytes = store->load(name);
      if (!bytes) {
        warnings.push_back("sessions/" + name + ".lkss: " + bytes.error());
        continue;
      }
      auto header = ReadHeader(bytes.value());
      files.push_back({name, std::move(bytes.value()), std::move(header)});
    }
    std::stable_partition(files.begin(), files.end(),
                          [](const Stored& f) { return f.canonical(); });
    size_t next = 0;
    for (Stored& f : files) {
      const std::string file = "sessions/" + f.name + ".lkss";
      size_t wi = next++ % workers.size();
      if (f.header) {
        if (auto e = Find(f.header->id)) wi = e->worker;  // the guest then picks a fresh id
      }
      Worker& w = *workers[wi];
      Entry e;
      e.worker = wi;
      e.objective = f.header ? f.header->objective : "";
      ReadMeta(f.name, e);
      if (f.canonical()) {
        // Stored under its own id: registered now, imported when an operation needs it.
        std::lock_guard lock(mu);
        sessions[f.name] = e;
        continue;
      }
      // Any other file is imported now, so the guest says which id it gets: its own when
      // free, else (held by a stored session, loaded first for that) a fresh one.
      std::optional<std::string> holder;
      if (f.header && Find(f.header->id)) holder = f.header->id;
      auto id = w.Call([&](Worker& w) -> Result<std::string> {
        std::optional<bool> holder_was;
        if (holder) {
          auto was = Ensure(w, *holder);
          if (!was) return Result<std::string>::err(was.error());
          holder_was = was.value();
        }
        auto got = w.vm->import_session(f.bytes);
        if (holder && !*holder_was) Evict(w, *holder);
        return got;
      });
      if (!id) {
        warnings.push_back(file + ": " + id.error() + " (left on disk, not loaded)");
        continue;
      }
      if (id.value() != f.name) {
        // Keep the store keyed by the guest's id: store under the new id, then remove the old
        // file unless a live session is stored under that name by now.
        auto moved = w.Call([&](Worker& w) {
          auto saved = Persist(w, id.value());
          (void)w.vm->drop_session(id.value());  // stored: the instance need not keep it
          return saved;
        });
        if (moved) moved = SaveMeta(id.value(), e);
        if (!moved) {
          warnings.push_back(file + ": could not store it under its id " + id.value() + ": " +
                             moved.error() + " (left on disk, not loaded)");
          continue;
        }
        if (!Find(f.name)) (void)store->remove(f.name);
        warnings.push_back(file + " holds session " + id.value() + "; stored it under that id");
      }
      std::lock_guard lock(mu);
      sessions[id.value()] = e;
    }
  }
};

SessionHost::SessionHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SessionHost::~SessionHost() = default;

Result<std::unique_ptr<SessionHost>> SessionHost::open(const HostOptions& options) {
  using R = Result<std::unique_ptr<SessionHost>>;
  if (options.concurrency < 1 || options.concurrency > 1024)
    return R::err("concurrency must be in [1, 1024], not " + std::to_string(options.concurrency));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (auto s = impl->LockDataDir(); !s) return R::err(s.error());
  auto st = store::SessionStore::open(options.data_dir);
  if (!st) return R::err(st.error());
  impl->store.emplace(std::move(st.value()));
  auto backend = gpu::make_gpu_backend(options.gpu, options.data_dir);
  if (!backend) return R::err("gpu backend: " + backend.error());
  impl->backend = std::move(backend.value());
  std::error_code ec;
  if (!fs::is_regular_file(options.component, ec))
    return R::err("component not found: " + options.component.string());
  // Compiled once; each instance of the pool then costs an instantiation only.
  auto compiled = svm::SessionVm::Compile(options.component);
  if (!compiled) return R::err("loading " + options.component.string() + ": " + compiled.error());
  impl->compiled = compiled.value();
  for (unsigned i = 0; i < options.concurrency; ++i) {
    auto w = std::make_unique<Worker>();
    w->make_runtime = options.make_runtime;
    Impl* host = impl.get();
    w->on_poisoned = [host, i](Worker& worker) { host->Replace(worker, i); };
    auto vm =
        svm::SessionVm::Load(compiled.value(), w->runtime, *impl->backend, impl->InstanceOptions());
    if (!vm) return R::err("loading " + options.component.string() + ": " + vm.error());
    if (i == 0) {
      if (auto s = vm.value()->CheckExports(/*session_admin=*/true); !s)
        return R::err("loading " + options.component.string() + ": " + s.error() +
                      " (the session host needs the session-vm-ext world: session-ops and "
                      "session-admin)");
    }
    w->vm = std::move(vm.value());
    Worker* raw = w.get();
    w->thread = std::thread([raw] { raw->Loop(); });
    impl->workers.push_back(std::move(w));
  }
  impl->Reimport();
  return R::ok(std::unique_ptr<SessionHost>(new SessionHost(std::move(impl))));
}

const std::vector<std::string>& SessionHost::warnings() const { return impl_->warnings; }
std::string SessionHost::gpu_info() const { return impl_->backend->device_info(); }

Result<std::string> SessionHost::create(const SessionSpec& spec) {
  using R = Result<std::string>;
  Entry e;
  e.runtime = spec.runtime.value_or(impl_->options.default_runtime);
  e.objective = spec.objective;
  e.created_unix_ms = NowUnixMs();
  e.created_seq = ++impl_->last_seq;
  const RuntimeSpec rt = impl_->EffectiveRuntime(e);
  std::lock_guard place(impl_->placement);
  e.worker = impl_->LeastLoaded();
  auto id = impl_->workers[e.worker]->Call([&](Worker& w) -> R {
    // A runtime that cannot be made (no key, bad URL) fails now, not at the first phase.
    if (auto r = w.RuntimeFor(rt); !r) return R::err(r.error());
    auto made = w.vm->create_session_checked(spec.agents, spec.objective, spec.context_budget);
    if (!made) return R::err("create-session-checked: " + made.error());
    auto s = impl_->Persist(w, made.value());
    if (s) s = impl_->SaveMeta(made.value(), e);
    (void)w.vm->drop_session(made.value());  // stored: loaded again when it runs
    if (!s) {
      (void)impl_->store->remove(made.value());
      return R::err(s.error());
    }
    return made;
  });
  if (!id) return id;
  std::lock_guard lock(impl_->mu);
  impl_->sessions[id.value()] = e;
  return id;
}

Result<RunOutcome> SessionHost::run(const std::string& id, const ProgressFn& progress) {
  auto all = run_many({id}, progress);
  return std::move(all.front());
}

std::vector<Result<RunOutcome>> SessionHost::run_many(const std::vector<std::string>& ids,
                                                      const ProgressFn& progress) {
  using R = Result<RunOutcome>;
  // What a run needs to know of its session between phases: taken from a snapshot when the
  // run starts or the session changed behind its back, else kept up to date from each phase's
  // result, so a phase costs no get-snapshot (which copies every output) of its own.
  struct Known {
    svm::SessionStatus status = svm::SessionStatus::kIdle;
    uint32_t index = 0;
    std::vector<std::string> agents;
    std::vector<svm::AgentStatus> phases;
    uint64_t version = 0;
  };
  struct State {
    std::string id;
    size_t worker = 0;
    uint32_t phases_run = 0;
    std::optional<Known> known;
    std::optional<R> result;
  };
  std::vector<State> states(ids.size());
  std::mutex done_mu;
  std::condition_variable done_cv;
  size_t pending = 0;

  auto finish = [&](State& s, R r) {
    // Off the instance again once this run is over (everything is stored).
    if (auto e = impl_->Find(s.id); e && e->loaded) impl_->Evict(*impl_->workers[s.worker], s.id);
    std::lock_guard lock(done_mu);
    s.result.emplace(std::move(r));
    if (--pending == 0) done_cv.notify_all();
  };
  std::function<void(State&)> step;
  auto post_step = [&](State& s) {
    impl_->workers[s.worker]->Post([&step, &finish, &s] {
      try {
        step(s);
      } catch (const std::exception& e) {
        finish(s, R::err(std::string("host error: ") + e.what()));
      }
    });
  };
  // One phase of one session, on its worker; posts itself again until the session is done, so
  // sessions sharing a worker take turns.
  step = [&](State& s) {
    Worker& w = *impl_->workers[s.worker];
    auto entry = impl_->Find(s.id);
    if (!entry) return finish(s, R::err(Unknown(s.id)));
    if (auto loaded = impl_->Ensure(w, s.id); !loaded) return finish(s, R::err(loaded.error()));
    if (!s.known || s.known->version != entry->version) {
      auto snap = w.vm->get_snapshot(s.id);
      if (!snap) return finish(s, R::err("get-snapshot: " + snap.error()));
      if (!snap.value()) return finish(s, R::err(Unknown(s.id)));
      Known k;
      k.status = snap.value()->status;
      k.index = snap.value()->current_phase_index;
      for (const auto& p : snap.value()->phases) {
        k.agents.push_back(p.agent_id);
        k.phases.push_back(p.status);
      }
      k.version = entry->version;
      s.known = std::move(k);
    }
    Known& known = *s.known;
    const svm::SessionStatus status = known.status;
    const bool stopped_by_pause = status == svm::SessionStatus::kPaused && s.phases_run > 0;
    const bool interrupted = impl_->interrupted.load() && status != svm::SessionStatus::kCompleted;
    if (status == svm::SessionStatus::kCompleted || stopped_by_pause || interrupted) {
      auto m = w.vm->get_metrics(s.id);
      if (!m || !m.value())
        return finish(s, R::err("get-metrics: " + (m ? Unknown(s.id) : m.error())));
      return finish(s, R::ok(RunOutcome{s.id, status, s.phases_run, *m.value(),
                                        interrupted && !stopped_by_pause}));
    }
    const RuntimeSpec spec = impl_->EffectiveRuntime(*entry);
    auto rt = w.RuntimeFor(spec);
    if (!rt) return finish(s, R::err(rt.error()));
    w.runtime.target = rt.value();
    w.runtime.delay_ms = spec.delay_ms;
    w.runtime.last_context_bytes = 0;
    const auto started = std::chrono::steady_clock::now();
    auto phase = w.vm->run_next_phase(s.id);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    w.runtime.target = nullptr;
    // A trap poisoned the instance: the stored session is the one before this phase, which
    // runs again next time (the worker replaces the instance after this task).
    if (w.vm->poisoned())
      return finish(s, R::err(phase ? "the instance was poisoned" : phase.error()));
    // A failed phase changes the session too (it is failed now): store it either way.
    if (auto saved = impl_->Persist(w, s.id); !saved) return finish(s, R::err(saved.error()));
    const uint64_t version = impl_->Bump(s.id);
    if (!phase) return finish(s, R::err(phase.error()));
    ++s.phases_run;
    const uint32_t number = known.index + 1;
    const auto total = static_cast<uint32_t>(known.phases.size());
    // The guest moves on to the next phase that is not completed; anything unexpected (another
    // run of the same session in between, a phase that is not the one expected) means looking
    // again at the next step.
    if (version == known.version + 1 && known.index < total &&
        known.agents[known.index] == phase.value().agent_id &&
        phase.value().status == svm::AgentStatus::kCompleted) {
      known.phases[known.index] = svm::AgentStatus::kCompleted;
      uint32_t next = known.index + 1;
      while (next < total && known.phases[next] == svm::AgentStatus::kCompleted) ++next;
      known.index = next;
      known.status = next < total ? svm::SessionStatus::kRunning : svm::SessionStatus::kCompleted;
      known.version = version;
    } else {
      s.known.reset();
    }
    if (progress)
      progress(PhaseProgress{s.id, number, total, phase.value(), w.runtime.last_context_bytes, ms});
    post_step(s);
  };

  for (size_t i = 0; i < ids.size(); ++i) {
    states[i].id = ids[i];
    auto e = impl_->Find(ids[i]);
    if (!e) {
      states[i].result.emplace(R::err(Unknown(ids[i])));
      continue;
    }
    states[i].worker = e->worker;
    ++pending;
  }
  for (State& s : states)
    if (!s.result) post_step(s);
  {
    std::unique_lock lock(done_mu);
    done_cv.wait(lock, [&] { return pending == 0; });
  }
  std::vector<R> out;
  for (State& s : states) out.push_back(std::move(*s.result));
  return out;
}

void SessionHost::interrupt_runs() { impl_->interrupted = true; }

Result<svm::SessionStatus> SessionHost::pause(const std::string& id) {
  using R = Result<svm::SessionStatus>;
  auto e = impl_->Find(id);
  if (!e) return R::err(Unknown(id));
  return impl_->workers[e->worker]->Call([&](Worker& w) -> R {
    return impl_->With<svm::SessionStatus>(w, id, [&]() -> R {
      auto s = w.vm->pause_session(id);
      if (!s) return s;
      impl_->Bump(id);
      if (auto saved = impl_->Persist(w, id); !saved) return R::err(saved.error());
      return s;
    });
  });
}

Result<svm::SessionStatus> SessionHost::resume(const std::string& id) {
  using R = Result<svm::SessionStatus>;
  auto e = impl_->Find(id);
  if (!e) return R::err(Unknown(id));
  return impl_->workers[e->worker]->Call([&](Worker& w) -> R {
    return impl_->With<svm::SessionStatus>(w, id, [&]() -> R {
      auto s = w.vm->resume_session(id);
      if (!s) return s;
      impl_->Bump(id);
      if (auto saved = impl_->Persist(w, id); !saved) return R::err(saved.error());
      return s;
    });
  });
}

Result<SessionInfo> SessionHost::info(const std::string& id) {
  using R = Result<SessionInfo>;
  auto e = impl_->Find(id);
  if (!e) return R::err(Unknown(id));
  return impl_->workers[e->worker]->Call([&](Worker& w) -> R {
    return impl_->With<SessionInfo>(w, id, [&]() -> R {
      auto snap = w.vm->get_snapshot(id);
      if (!snap) return R::err("get-snapshot: " + snap.error());
      auto m = w.vm->get_metrics(id);
      if (!m) return R::err("get-metrics: " + m.error());
      if (!snap.value() || !m.value()) return R::err(Unknown(id));
      return R::ok(SessionInfo{std::move(*snap.value()), *m.value(), e->objective,
                               impl_->EffectiveRuntime(*e), e->created_unix_ms});
    });
  });
}

bool SessionHost::contains(const std::string& id) const { return impl_->Find(id).has_value(); }

std::vector<std::string> SessionHost::list() const {
  std::vector<std::tuple<int64_t, uint64_t, std::string>> v;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, e] : impl_->sessions)
      v.emplace_back(e.created_unix_ms, e.created_seq, id);
  }
  std::sort(v.begin(), v.end());
  std::vector<std::string> ids;
  for (auto& t : v) ids.push_back(std::move(std::get<2>(t)));
  return ids;
}

Result<std::vector<uint8_t>> SessionHost::export_session(const std::string& id) {
  auto e = impl_->Find(id);
  if (!e) return Result<std::vector<uint8_t>>::err(Unknown(id));
  return impl_->workers[e->worker]->Call([&](Worker& w) {
    return impl_->With<std::vector<uint8_t>>(w, id, [&] { return w.vm->export_session(id); });
  });
}

Result<std::string> SessionHost::import_session(const std::vector<uint8_t>& bytes,
                                                std::optional<RuntimeSpec> runtime) {
  using R = Result<std::string>;
  auto header = ReadHeader(bytes);
  Entry e;
  e.runtime = std::move(runtime);
  e.objective = header ? header->objective : "";
  e.created_unix_ms = NowUnixMs();
  e.created_seq = ++impl_->last_seq;
  std::lock_guard place(impl_->placement);
  e.worker = impl_->LeastLoaded();
  // An id a stored session has: import on that session's instance with the session loaded,
  // so the guest gives the new one a fresh id.
  std::optional<std::string> holder;
  if (header) {
    if (auto held = impl_->Find(header->id)) {
      e.worker = held->worker;
      holder = header->id;
    }
  }
  auto id = impl_->workers[e.worker]->Call([&](Worker& w) -> R {
    std::optional<bool> holder_was;
    if (holder) {
      auto was = impl_->Ensure(w, *holder);
      if (!was) return R::err(was.error());
      holder_was = was.value();
    }
    auto got = w.vm->import_session(bytes);
    if (holder && !*holder_was) impl_->Evict(w, *holder);
    if (!got) return got;
    auto s = impl_->Persist(w, got.value());
    if (s) s = impl_->SaveMeta(got.value(), e);
    (void)w.vm->drop_session(got.value());  // stored: loaded again when it is used
    if (!s) {
      (void)impl_->store->remove(got.value());
      return R::err(s.error());
    }
    return got;
  });
  if (!id) return id;
  std::lock_guard lock(impl_->mu);
  impl_->sessions[id.value()] = e;
  return id;
}

Status SessionHost::drop(const std::string& id) {
  auto e = impl_->Find(id);
  if (!e) return Status::err(Unknown(id));
  return impl_->workers[e->worker]->Call([&](Worker& w) { return impl_->Drop(w, id); });
}

Result<std::string> SessionHost::migrate(const std::string& id, SessionHost& to) {
  using R = Result<std::string>;
  if (&to == this) return R::err("migrate " + id + ": the destination is this host");
  auto e = impl_->Find(id);
  if (!e) return R::err(Unknown(id));
  Worker& w = *impl_->workers[e->worker];
  // The export and the version it is of, read in one task on the session's worker: every
  // change (a phase, pause, resume) is one task there too and bumps the version.
  uint64_t version = 0;
  auto bytes = w.Call([&](Worker& w) {
    return impl_->With<std::vector<uint8_t>>(w, id, [&]() -> Result<std::vector<uint8_t>> {
      if (auto now = impl_->Find(id)) version = now->version;
      return w.vm->export_session(id);
    });
  });
  if (!bytes) return R::err("migrate " + id + ": export-session: " + bytes.error());
  // Stored by the destination before anything is dropped here.
  auto moved = to.import_session(bytes.value(), e->runtime);
  if (!moved) return R::err("migrate " + id + ": " + moved.error() + " (it stays here)");
  auto dropped = w.Call([&](Worker& w) -> Status {
    auto now = impl_->Find(id);
    if (!now) return Status::err(Unknown(id));
    if (now->version != version)
      return Status::err("it changed while it was copied (a run or another command used it)");
    return impl_->Drop(w, id);
  });
  if (!dropped) {
    (void)to.drop(moved.value());  // this copy is the one to keep
    return R::err("migrate " + id + ": " + dropped.error() + "; it stays here");
  }
  return moved;
}

std::optional<std::string> export_session_id(const std::vector<uint8_t>& bytes) {
  auto h = ReadHeader(bytes);
  if (!h) return std::nullopt;
  return h->id;
}

}  // namespace lokust::host::service
