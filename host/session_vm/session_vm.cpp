// The session-vm world on the project's engine: see include/host/session_vm/session_vm.h.
// The custom host functions mirror tests/engine/component/scenario_engine_test.cpp's, backed
// by the real GpuBackend and AgentRuntime; the wasi:* imports are the WASI host's.
#include "host/session_vm/session_vm.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "engine/component/decoder.h"
#include "engine/component/instance.h"
#include "engine/component/validator.h"
#include "engine/core/store.h"
#include "engine/wasi/linker.h"
#include "engine/wasi/streams.h"

namespace lokust::host::session_vm {

namespace c = lokust::component;
using HostResult = c::Result<std::vector<c::Val>>;

namespace {

constexpr const char* kOps = "lokust:session-vm/session-ops";
constexpr const char* kAdmin = "lokust:session-vm/session-admin";

const char* const kSessionStatus[] = {"idle", "running", "paused", "completed", "failed"};
const char* const kAgentStatus[] = {"queued", "running", "paused", "completed", "failed"};

// A guest value that is not what the WIT says: only a broken component gets here.
struct Mismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The field `name` of a record, looked for first at `index`, where the WIT declares it (one
// comparison for any record the guest returns), else by name.
const c::Val& FieldOf(const c::Val& record, size_t index, std::string_view name) {
  if (record.kind() != c::ValKind::kRecord)
    throw Mismatch("expected a record for " + std::string(name));
  const std::vector<std::string>& names = record.field_names();
  if (index < names.size() && names[index] == name) return record.elements()[index];
  if (const c::Val* v = record.field(name)) return *v;
  throw Mismatch("no field " + std::string(name) + " in " + record.ToString());
}

// Vals moved into a vector (a braced list would copy each, deeply: a 1 KiB output, a tensor).
template <class... V>
std::vector<c::Val> Vals(V&&... v) {
  std::vector<c::Val> out;
  out.reserve(sizeof...(v));
  (out.push_back(std::forward<V>(v)), ...);
  return out;
}

// A record of (name, value) fields, the values moved in, for the same reason.
using NamedVal = std::pair<std::string, c::Val>;
template <class... F>
c::Val RecordOf(F&&... fields) {
  std::vector<NamedVal> out;
  out.reserve(sizeof...(fields));
  (out.push_back(std::forward<F>(fields)), ...);
  return c::Val::Record(std::move(out));
}

c::Val TensorVal(const gpu::Tensor& t) {
  std::vector<c::Val> s;
  s.reserve(t.shape.size());
  for (uint32_t x : t.shape) s.push_back(c::Val::U32(x));
  // data stays packed (one float buffer, lowered with one block copy), not a Val per float.
  return RecordOf(NamedVal{"shape", c::Val::List(std::move(s))},
                  NamedVal{"data", c::Val::F32s(t.data)});
}

c::Val IdVal(const std::string& id) { return RecordOf(NamedVal{"inner", c::Val::String(id)}); }
std::string IdOf(const c::Val& v) { return FieldOf(v, 0, "inner").as_string(); }

template <size_t N>
int LabelIndex(const c::Val& v, const char* const (&labels)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (v.label() == labels[i]) return static_cast<int>(i);
  throw Mismatch("unknown enum case " + v.label());
}

SessionStatus SessionStatusOf(const c::Val& v) {
  return static_cast<SessionStatus>(LabelIndex(v, kSessionStatus));
}
AgentStatus AgentStatusOf(const c::Val& v) {
  return static_cast<AgentStatus>(LabelIndex(v, kAgentStatus));
}

c::Val AgentsVal(const std::vector<AgentConfig>& agents) {
  std::vector<c::Val> out;
  for (const auto& a : agents)
    out.push_back(RecordOf(NamedVal{"agent-id", c::Val::String(a.agent_id)},
                           NamedVal{"name", c::Val::String(a.name)},
                           NamedVal{"role", c::Val::String(a.role)},
                           NamedVal{"phase-index", c::Val::U32(a.phase_index)}));
  return c::Val::List(std::move(out));
}

PhaseSnapshot PhaseOf(const c::Val& v) {
  PhaseSnapshot p;
  p.agent_id = FieldOf(v, 0, "agent-id").as_string();
  p.status = AgentStatusOf(FieldOf(v, 1, "status"));
  p.output = FieldOf(v, 2, "output").as_bytes();
  p.duration_ms = FieldOf(v, 3, "duration-ms").as_u64();
  p.tokens_used = FieldOf(v, 4, "tokens-used").as_u64();
  return p;
}

SessionSnapshot SnapshotOf(const c::Val& v) {
  SessionSnapshot s;
  s.id = IdOf(FieldOf(v, 0, "id"));
  s.status = SessionStatusOf(FieldOf(v, 1, "status"));
  const std::vector<c::Val>& phases = FieldOf(v, 2, "phases").elements();
  s.phases.reserve(phases.size());
  for (const auto& p : phases) s.phases.push_back(PhaseOf(p));
  s.current_phase_index = static_cast<uint32_t>(FieldOf(v, 3, "current-phase-index").as_u64());
  s.total_duration_ms = FieldOf(v, 4, "total-duration-ms").as_u64();
  s.total_tokens = FieldOf(v, 5, "total-tokens").as_u64();
  s.created_at_ms = FieldOf(v, 6, "created-at-ms").as_u64();
  return s;
}

CoordinationMetrics MetricsOf(const c::Val& v) {
  CoordinationMetrics m;
  m.phases_completed = static_cast<uint32_t>(FieldOf(v, 0, "phases-completed").as_u64());
  m.phases_total = static_cast<uint32_t>(FieldOf(v, 1, "phases-total").as_u64());
  m.total_duration_ms = FieldOf(v, 2, "total-duration-ms").as_u64();
  m.total_tokens = FieldOf(v, 3, "total-tokens").as_u64();
  m.compression_ratio = FieldOf(v, 4, "compression-ratio").as_f64();
  return m;
}

std::string ErrorText(const c::Error& e) {
  switch (e.kind) {
    case c::Error::Kind::kTrap:
      return "trap: " + e.message;
    case c::Error::Kind::kLink:
      return "link: " + e.message;
    case c::Error::Kind::kMalformed:
      return "malformed: " + e.ToString();
    case c::Error::Kind::kInvalid:
      return "invalid: " + e.ToString();
  }
  return e.ToString();
}

// A result<T, string> from the guest: ok(convert(payload)) or err(the guest's string).
template <class T, class F>
Result<T> FromGuestResult(const c::Val& v, F convert) {
  if (v.kind() != c::ValKind::kResult) throw Mismatch("expected a result: " + v.ToString());
  if (!v.is_ok()) return Result<T>::err(v.payload() ? v.payload()->as_string() : "error");
  if (!v.payload()) throw Mismatch("result without a payload");
  return Result<T>::ok(convert(*v.payload()));
}

}  // namespace

const char* session_status_name(SessionStatus s) { return kSessionStatus[static_cast<int>(s)]; }
const char* agent_status_name(AgentStatus s) { return kAgentStatus[static_cast<int>(s)]; }

// "10 ms", "512 MiB": a limit as a user would write it.
std::string DurationText(std::chrono::nanoseconds d) {
  const auto n = d.count();
  if (n % 1000000 == 0) return std::to_string(n / 1000000) + " ms";
  if (n % 1000 == 0) return std::to_string(n / 1000) + " us";
  return std::to_string(n) + " ns";
}
std::string BytesText(uint64_t n) {
  if (n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

core::Limits CoreLimitsOf(const GuestLimits& g) {
  core::Limits l;
  l.max_memory_pages =
      static_cast<uint32_t>(std::min<uint64_t>(g.max_memory_bytes >> 16, uint64_t{65536}));
  l.max_call_depth = g.max_call_depth;
  return l;
}

struct SessionVm::Impl {
  Impl(agents::AgentRuntime& r, gpu::GpuBackend& b, const GuestLimits& l)
      : runtime(r), backend(b), limits(l), store(CoreLimitsOf(l)) {}

  agents::AgentRuntime& runtime;
  gpu::GpuBackend& backend;
  GuestLimits limits;
  std::vector<uint8_t> bytes;  // the AST points into these
  std::shared_ptr<c::ComponentAst> ast;
  std::shared_ptr<c::ComponentInfo> info;
  std::shared_ptr<const c::Component> compiled;  // or this, instead of bytes/ast/info
  std::unique_ptr<wasi::WasiCtx> wasi_ctx;       // the instance's WASI state; outlives it
  c::Linker linker;
  core::Store store;
  GuestLimit limit_hit = GuestLimit::kNone;  // of the last call that failed
  // Last: its functions need everything above.
  std::unique_ptr<c::Instance> instance;

  Status Define(const char* iface, const char* name,
                std::function<HostResult(const std::vector<c::Val>&)> fn) {
    auto defined = linker.Instance(iface).DefineFunc(name, std::move(fn));
    if (!defined)
      return Status::err(std::string("define ") + iface + "#" + name + ": " +
                         defined.error().ToString());
    return Status::ok({});
  }

  // The WasiCtx (preopen, stdio, sources) and every WASI interface on the linker.
  Status LinkWasi(const VmOptions& options);
  Status DefineHost();

  // Calls iface#fn under the per-call limits; the single result (or none).
  Result<c::Val> Call(const char* iface, const char* fn, const std::vector<c::Val>& args) {
    auto f = instance->GetFunc(iface, fn);
    if (!f) return Result<c::Val>::err(ErrorText(f.error()));
    ArmBudget();
    const uint64_t refusals = store.memory_limit_refusals();
    auto results = (*f)->Call(args);
    Disarm();
    if (!results) return Result<c::Val>::err(LimitText(results.error(), refusals));
    if (results->empty()) return Result<c::Val>::ok(c::Val());
    return Result<c::Val>::ok(std::move((*results)[0]));
  }

  // The guest time limit bounds the guest's code (the store's deadline) and its waits in the
  // WASI host (a sleep or a pollable.block: the context's wait deadline, the same instant).
  void ArmBudget() {
    if (limits.max_guest_time.count() > 0) {
      store.SetDeadline(std::chrono::steady_clock::now() + limits.max_guest_time);
      if (wasi_ctx)
        wasi_ctx->SetWaitDeadline(wasi::WasiCtx::MonotonicNow() +
                                  static_cast<uint64_t>(limits.max_guest_time.count()));
    }
    if (limits.fuel_per_call) store.SetFuel(*limits.fuel_per_call);
  }
  void Disarm() {
    store.SetDeadline(std::nullopt);
    if (wasi_ctx) wasi_ctx->SetWaitDeadline(std::nullopt);
    store.SetFuel(std::nullopt);
  }

  // Instantiates `source` (a compiled component, or an AST and its info) under the limits.
  template <class... Source>
  Status Instantiate(const Source&... source) {
    ArmBudget();
    const uint64_t refusals = store.memory_limit_refusals();
    auto inst = c::Instance::Instantiate(store, source..., linker);
    Disarm();
    if (!inst) return Status::err("instantiate: " + LimitText(inst.error(), refusals));
    instance = std::move(*inst);
    return Status::ok({});
  }

  // ErrorText, saying which limit a trap came from (the trap's core::Limit; for memory, a
  // grow the store refused during the call, since running out of memory traps however the
  // guest chooses to fail). Records it for limit_hit().
  std::string LimitText(const c::Error& e, uint64_t refusals_before) {
    std::string text = ErrorText(e);
    limit_hit = GuestLimit::kNone;
    if (e.kind != c::Error::Kind::kTrap) return text;
    switch (e.limit) {
      case core::Limit::kDeadline:
        limit_hit = GuestLimit::kTime;
        return text +
               " (the guest ran past its time limit: " + DurationText(limits.max_guest_time) +
               " of guest time per call)";
      case core::Limit::kFuel:
        limit_hit = GuestLimit::kFuel;
        return text +
               " (the guest used up its fuel: " + std::to_string(limits.fuel_per_call.value_or(0)) +
               " per call)";
      case core::Limit::kCallDepth:
        limit_hit = GuestLimit::kCallDepth;
        return text + " (the guest's call depth limit is " + std::to_string(limits.max_call_depth) +
               ")";
      case core::Limit::kInterrupt:
      case core::Limit::kNone:
        break;
    }
    if (store.memory_limit_refusals() != refusals_before) {
      limit_hit = GuestLimit::kMemory;
      return text + " (the guest's memory reached its limit of " +
             BytesText(limits.max_memory_bytes) + ")";
    }
    return text;
  }

  // Time in the host's imports is not guest time: on leaving one, the call's deadline moves
  // later by the time spent there.
  class HostTime {
   public:
    explicit HostTime(Impl& vm) : vm_(vm), start_(std::chrono::steady_clock::now()) {}
    ~HostTime() {
      const auto spent = std::chrono::steady_clock::now() - start_;
      if (auto d = vm_.store.deadline()) vm_.store.SetDeadline(*d + spent);
      if (vm_.wasi_ctx)
        if (auto w = vm_.wasi_ctx->wait_deadline())
          vm_.wasi_ctx->SetWaitDeadline(
              *w + static_cast<uint64_t>(
                       std::chrono::duration_cast<std::chrono::nanoseconds>(spent).count()));
    }
    HostTime(const HostTime&) = delete;
    HostTime& operator=(const HostTime&) = delete;

   private:
    Impl& vm_;
    std::chrono::steady_clock::time_point start_;
  };

  // Call + convert, a malformed guest value an err too.
  template <class T, class F>
  Result<T> Typed(const char* iface, const char* fn, const std::vector<c::Val>& args, F convert) {
    auto v = Call(iface, fn, args);
    if (!v) return Result<T>::err(v.error());
    try {
      return convert(v.value());
    } catch (const std::exception& e) {
      return Result<T>::err(std::string(fn) + ": unexpected value from the guest: " + e.what());
    }
  }
};

Status SessionVm::Impl::LinkWasi(const VmOptions& options) {
  wasi::WasiCtxBuilder b;
  if (!options.data_dir.empty()) {
    const std::filesystem::path data = options.data_dir / "data";
    std::error_code ec;
    std::filesystem::create_directories(data, ec);
    if (ec) return Status::err("cannot create " + data.string() + ": " + ec.message());
    b.Preopen(data.string(), kDataGuestPath);
  }
  b.Stdout(wasi::HostFdOutputStream(2)).Stderr(wasi::HostFdOutputStream(2));
  if (options.sources.now_ns) b.MonotonicClock(options.sources.now_ns);
  if (options.sources.random_bytes)
    b.SecureRandom([fn = options.sources.random_bytes](std::span<uint8_t> out) {
      const std::vector<uint8_t> got = fn(out.size());
      std::fill(std::copy_n(got.begin(), std::min(got.size(), out.size()), out.begin()), out.end(),
                uint8_t{0});
    });
  auto ctx = b.Build();
  if (!ctx) return Status::err("wasi: " + ctx.error());
  wasi_ctx = std::move(*ctx);
  if (auto added = wasi::AddWasiToLinker(linker, *wasi_ctx); !added)
    return Status::err("wasi: " + added.error().ToString());
  return Status::ok({});
}

Status SessionVm::Impl::DefineHost() {
  struct Def {
    const char* iface;
    const char* name;
    std::function<HostResult(const std::vector<c::Val>&)> fn;
  };
  std::vector<Def> defs;
  defs.push_back({"lokust:session-vm/gpu", "available", [this](const std::vector<c::Val>&) {
                    return HostResult(Vals(c::Val::Bool(backend.available())));
                  }});
  defs.push_back({"lokust:session-vm/gpu", "device-info", [this](const std::vector<c::Val>&) {
                    return HostResult(Vals(c::Val::String(backend.device_info())));
                  }});
  defs.push_back(
      {"lokust:session-vm/gpu", "infer", [this](const std::vector<c::Val>& a) -> HostResult {
         gpu::Tensor in;
         try {
           for (const auto& x : FieldOf(a.at(1), 0, "shape").elements())
             in.shape.push_back(static_cast<uint32_t>(x.as_u64()));
           // Lifted packed: one copy of the floats, no Val per element.
           in.data = FieldOf(a.at(1), 1, "data").as_f32s();
         } catch (const std::exception& e) {
           return c::Error{c::Error::Kind::kTrap, std::string("gpu.infer: ") + e.what()};
         }
         std::optional<Result<gpu::Tensor>> got;
         HostTime host_time(*this);
         try {
           got.emplace(backend.infer(a.at(0).as_string(), in));
         } catch (const std::exception& e) {
           return c::Error{c::Error::Kind::kTrap, std::string("gpu.infer threw: ") + e.what()};
         }
         const Result<gpu::Tensor>& out = *got;
         if (!out) return Vals(c::Val::Result(false, c::Val::String(out.error())));
         return Vals(c::Val::Result(true, TensorVal(out.value())));
       }});
  linker.Instance("lokust:session-vm/types");  // types only: nothing to define
  defs.push_back(
      {"lokust:session-vm/agent-runtime", "execute",
       [this](const std::vector<c::Val>& a) -> HostResult {
         agents::AgentTask task;
         try {
           const c::Val& t = a.at(0);
           task.agent_id = FieldOf(t, 0, "agent-id").as_string();
           task.system_prompt = FieldOf(t, 1, "system-prompt").as_string();
           task.user_prompt = FieldOf(t, 2, "user-prompt").as_string();
           task.prior_context = FieldOf(t, 3, "prior-context").as_bytes();
         } catch (const std::exception& e) {
           return c::Error{c::Error::Kind::kTrap,
                           std::string("agent-runtime.execute: ") + e.what()};
         }
         // The interface promises no exceptions; one that escapes anyway must not unwind
         // through the engine: it becomes a trap (and the instance is poisoned).
         std::optional<Result<agents::AgentResult>> got;
         HostTime host_time(*this);
         try {
           got.emplace(runtime.execute(task));
         } catch (const std::exception& e) {
           return c::Error{c::Error::Kind::kTrap,
                           std::string("agent-runtime.execute threw: ") + e.what()};
         }
         const Result<agents::AgentResult>& r = *got;
         if (!r) return Vals(c::Val::Result(false, c::Val::String(r.error())));
         return Vals(c::Val::Result(
             true, RecordOf(NamedVal{"output", c::Val::Bytes(r.value().output)},
                            NamedVal{"tokens-used", c::Val::U64(r.value().tokens_used)},
                            NamedVal{"duration-ms", c::Val::U64(r.value().duration_ms)})));
       }});
  for (auto& d : defs) {
    auto s = Define(d.iface, d.name, std::move(d.fn));
    if (!s) return s;
  }
  return Status::ok({});
}

SessionVm::SessionVm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SessionVm::~SessionVm() = default;

Result<std::unique_ptr<SessionVm>> SessionVm::Load(const std::filesystem::path& component_path,
                                                   agents::AgentRuntime& runtime,
                                                   gpu::GpuBackend& backend,
                                                   const VmOptions& options) {
  using R = Result<std::unique_ptr<SessionVm>>;
  auto impl = std::make_unique<Impl>(runtime, backend, options.limits);
  std::ifstream in(component_path, std::ios::binary);
  if (!in) return R::err("cannot open " + component_path.string());
  impl->bytes.assign(std::istreambuf_iterator<char>(in), {});
  if (impl->bytes.empty()) return R::err("cannot read " + component_path.string() + " (empty)");
  auto ast = c::DecodeComponent(impl->bytes);
  if (!ast) return R::err("decode " + component_path.string() + ": " + ast.error().ToString());
  impl->ast = *ast;
  auto info = c::ValidateComponent(*impl->ast);
  if (!info) return R::err("validate " + component_path.string() + ": " + info.error().ToString());
  impl->info = *info;
  if (auto s = impl->LinkWasi(options); !s) return R::err(s.error());
  if (auto s = impl->DefineHost(); !s) return R::err(s.error());
  if (auto s = impl->Instantiate(*impl->ast, *impl->info); !s) return R::err(s.error());
  std::unique_ptr<SessionVm> vm(new SessionVm(std::move(impl)));
  if (auto s = vm->CheckExports(false); !s)
    return R::err(component_path.string() + ": " + s.error());
  return R::ok(std::move(vm));
}

Result<std::shared_ptr<const CompiledComponent>> SessionVm::Compile(
    const std::filesystem::path& component_path) {
  using R = Result<std::shared_ptr<const CompiledComponent>>;
  std::ifstream in(component_path, std::ios::binary);
  if (!in) return R::err("cannot open " + component_path.string());
  std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
  if (bytes.empty()) return R::err("cannot read " + component_path.string() + " (empty)");
  auto compiled = c::Component::Compile(bytes);
  if (!compiled)
    return R::err("compile " + component_path.string() + ": " + ErrorText(compiled.error()));
  return R::ok(std::move(*compiled));
}

Result<std::unique_ptr<SessionVm>> SessionVm::Load(
    std::shared_ptr<const CompiledComponent> compiled, agents::AgentRuntime& runtime,
    gpu::GpuBackend& backend, const VmOptions& options) {
  using R = Result<std::unique_ptr<SessionVm>>;
  if (!compiled) return R::err("no compiled component");
  auto impl = std::make_unique<Impl>(runtime, backend, options.limits);
  impl->compiled = std::move(compiled);
  if (auto s = impl->LinkWasi(options); !s) return R::err(s.error());
  if (auto s = impl->DefineHost(); !s) return R::err(s.error());
  if (auto s = impl->Instantiate(*impl->compiled); !s) return R::err(s.error());
  std::unique_ptr<SessionVm> vm(new SessionVm(std::move(impl)));
  if (auto s = vm->CheckExports(false); !s) return R::err(s.error());
  return R::ok(std::move(vm));
}

Status SessionVm::CheckExports(bool session_admin) const {
  static constexpr const char* kOpsFns[] = {"create-session", "run-next-phase", "pause-session",
                                            "resume-session", "get-snapshot",   "import-snapshot",
                                            "get-metrics"};
  static constexpr const char* kAdminFns[] = {"create-session-checked", "export-session",
                                              "import-session", "drop-session", "list-sessions"};
  auto check = [this](const char* iface, std::span<const char* const> fns) -> Status {
    for (const char* fn : fns) {
      if (!impl_->instance->GetFunc(iface, fn))
        return Status::err(std::string("not a session VM component: it does not export ") + iface +
                           "#" + fn);
    }
    return Status::ok({});
  };
  if (auto s = check(kOps, kOpsFns); !s) return s;
  if (session_admin) return check(kAdmin, kAdminFns);
  return Status::ok({});
}

bool SessionVm::poisoned() const { return impl_->instance && impl_->instance->poisoned(); }
GuestLimit SessionVm::limit_hit() const { return impl_->limit_hit; }

const wasi::WasiCtx& SessionVm::wasi() const { return *impl_->wasi_ctx; }

Result<std::string> SessionVm::create_session(const std::vector<AgentConfig>& agents) {
  return impl_->Typed<std::string>(
      kOps, "create-session", Vals(AgentsVal(agents)),
      [](const c::Val& v) { return Result<std::string>::ok(IdOf(v)); });
}

Result<PhaseSnapshot> SessionVm::run_next_phase(const std::string& id) {
  return impl_->Typed<PhaseSnapshot>(kOps, "run-next-phase", Vals(IdVal(id)), [](const c::Val& v) {
    return FromGuestResult<PhaseSnapshot>(v, PhaseOf);
  });
}

Result<SessionStatus> SessionVm::pause_session(const std::string& id) {
  return impl_->Typed<SessionStatus>(kOps, "pause-session", Vals(IdVal(id)), [](const c::Val& v) {
    return FromGuestResult<SessionStatus>(v, SessionStatusOf);
  });
}

Result<SessionStatus> SessionVm::resume_session(const std::string& id) {
  return impl_->Typed<SessionStatus>(kOps, "resume-session", Vals(IdVal(id)), [](const c::Val& v) {
    return FromGuestResult<SessionStatus>(v, SessionStatusOf);
  });
}

Result<std::optional<SessionSnapshot>> SessionVm::get_snapshot(const std::string& id) {
  using R = Result<std::optional<SessionSnapshot>>;
  return impl_->Typed<std::optional<SessionSnapshot>>(kOps, "get-snapshot", Vals(IdVal(id)),
                                                      [](const c::Val& v) {
                                                        if (!v.is_some() || !v.payload())
                                                          return R::ok(std::nullopt);
                                                        return R::ok(SnapshotOf(*v.payload()));
                                                      });
}

Result<std::string> SessionVm::import_snapshot(const SessionSnapshot& snapshot) {
  std::vector<c::Val> phases;
  for (const auto& p : snapshot.phases)
    phases.push_back(
        RecordOf(NamedVal{"agent-id", c::Val::String(p.agent_id)},
                 NamedVal{"status", c::Val::Enum(kAgentStatus[static_cast<int>(p.status)])},
                 NamedVal{"output", c::Val::Bytes(p.output)},
                 NamedVal{"duration-ms", c::Val::U64(p.duration_ms)},
                 NamedVal{"tokens-used", c::Val::U64(p.tokens_used)}));
  c::Val v =
      RecordOf(NamedVal{"id", IdVal(snapshot.id)},
               NamedVal{"status", c::Val::Enum(kSessionStatus[static_cast<int>(snapshot.status)])},
               NamedVal{"phases", c::Val::List(std::move(phases))},
               NamedVal{"current-phase-index", c::Val::U32(snapshot.current_phase_index)},
               NamedVal{"total-duration-ms", c::Val::U64(snapshot.total_duration_ms)},
               NamedVal{"total-tokens", c::Val::U64(snapshot.total_tokens)},
               NamedVal{"created-at-ms", c::Val::U64(snapshot.created_at_ms)});
  return impl_->Typed<std::string>(
      kOps, "import-snapshot", Vals(std::move(v)),
      [](const c::Val& r) { return Result<std::string>::ok(IdOf(r)); });
}

Result<std::optional<CoordinationMetrics>> SessionVm::get_metrics(const std::string& id) {
  using R = Result<std::optional<CoordinationMetrics>>;
  return impl_->Typed<std::optional<CoordinationMetrics>>(kOps, "get-metrics", Vals(IdVal(id)),
                                                          [](const c::Val& v) {
                                                            if (!v.is_some() || !v.payload())
                                                              return R::ok(std::nullopt);
                                                            return R::ok(MetricsOf(*v.payload()));
                                                          });
}

Result<std::string> SessionVm::create_session_checked(const std::vector<AgentConfig>& agents,
                                                      const std::string& objective,
                                                      uint32_t context_budget) {
  c::Val options = RecordOf(NamedVal{"objective", c::Val::String(objective)},
                            NamedVal{"context-budget", c::Val::U32(context_budget)});
  return impl_->Typed<std::string>(
      kAdmin, "create-session-checked", Vals(AgentsVal(agents), std::move(options)),
      [](const c::Val& v) { return FromGuestResult<std::string>(v, IdOf); });
}

Result<std::vector<uint8_t>> SessionVm::export_session(const std::string& id) {
  return impl_->Typed<std::vector<uint8_t>>(kAdmin, "export-session", Vals(IdVal(id)),
                                            [](const c::Val& v) {
                                              return FromGuestResult<std::vector<uint8_t>>(
                                                  v, [](const c::Val& b) { return b.as_bytes(); });
                                            });
}

Result<std::string> SessionVm::import_session(const std::vector<uint8_t>& bytes) {
  return impl_->Typed<std::string>(
      kAdmin, "import-session", Vals(c::Val::Bytes(bytes)),
      [](const c::Val& v) { return FromGuestResult<std::string>(v, IdOf); });
}

Result<bool> SessionVm::drop_session(const std::string& id) {
  return impl_->Typed<bool>(kAdmin, "drop-session", Vals(IdVal(id)),
                            [](const c::Val& v) { return Result<bool>::ok(v.as_bool()); });
}

Result<std::vector<std::string>> SessionVm::list_sessions() {
  return impl_->Typed<std::vector<std::string>>(kAdmin, "list-sessions", {}, [](const c::Val& v) {
    std::vector<std::string> out;
    for (const auto& e : v.elements()) out.push_back(IdOf(e));
    return Result<std::vector<std::string>>::ok(std::move(out));
  });
}

}  // namespace lokust::host::session_vm
