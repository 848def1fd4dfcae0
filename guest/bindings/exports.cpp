// The component's exports: lokust:session-vm/session-ops (the seed's interface) and
// lokust:session-vm/session-admin (the extension), plus cabi_realloc. Each function has the
// core signature the canonical ABI gives its WIT type: flattened parameters (lists and
// strings arrive in memory the host allocated with cabi_realloc, which we then own), and a
// pointer to a return area when the flattened result is wider than one value.
//
// Return values point straight into C++ objects kept in `ret()`, or into the session itself
// (no copy of outputs); the host lifts them before anything else can run and then calls the
// function's cabi_post_*, which releases what `ret()` holds.
#include <cstring>
#include <optional>

#include "canonical_abi.h"
#include "guest/session.h"
#include "guest_platform.h"

namespace {

namespace s = lokust::session;
namespace cabi = lokust::cabi;

s::SessionManager& manager() {
  // Built on first use rather than by a global constructor, so the component needs no
  // start function and instantiation does no work.
  static lokust::guest::ImportPlatform platform;
  static s::SessionManager mgr(platform);
  return mgr;
}

// Everything a return value points at, alive until post-return.
struct ReturnArea {
  alignas(8) unsigned char slot[64];  // the flat return record itself
  std::string str;
  std::vector<uint8_t> bytes;
  std::vector<cabi::PhaseSnapshot> phase_views;
  std::vector<std::string> ids;
  std::vector<cabi::SessionId> id_views;

  template <class T>
  T* as() {
    static_assert(sizeof(T) <= sizeof(slot) && alignof(T) <= 8);
    std::memset(slot, 0, sizeof(slot));
    return reinterpret_cast<T*>(slot);
  }
  void clear() { *this = ReturnArea(); }  // also returns the capacity to the allocator
};
// A function-local static, like manager(): no global constructor to run.
ReturnArea& ret() {
  static ReturnArea area;
  return area;
}

std::string take_id(const char* ptr, uint32_t len) { return cabi::take(cabi::Str{ptr, len}); }

// A session-id argument read where the host put it and freed at the end of the full
// expression: the lookups only compare it, so a std::string copy (an allocation for every
// id longer than libc++'s 10 inline bytes on wasm32, i.e. all of them) is not needed.
class IdArg {
 public:
  IdArg(const char* ptr, uint32_t len) : id_{ptr, len} {}
  IdArg(const IdArg&) = delete;
  IdArg& operator=(const IdArg&) = delete;
  ~IdArg() { cabi::release(id_.ptr, id_.len); }
  operator std::string_view() const { return {id_.ptr, id_.len}; }

 private:
  cabi::Str id_;
};

cabi::PhaseSnapshot view(const s::PhaseSnapshot& p) {
  return {cabi::view(p.agent_id), static_cast<uint8_t>(p.status), cabi::view(p.output),
          p.duration_ms, p.tokens_used};
}

template <class T>
cabi::Result<T, cabi::Str>* err_result(const std::string& message) {
  auto* r = ret().as<cabi::Result<T, cabi::Str>>();
  ret().str = message;
  r->is_err = 1;
  r->err = cabi::view(ret().str);
  return r;
}

cabi::SessionId* id_result(std::string id) {
  auto* r = ret().as<cabi::SessionId>();
  ret().str = std::move(id);
  r->inner = cabi::view(ret().str);
  return r;
}

cabi::Result<cabi::SessionId, cabi::Str>* id_or_err(s::Result<std::string> res) {
  if (!res) return err_result<cabi::SessionId>(res.error());
  auto* r = ret().as<cabi::Result<cabi::SessionId, cabi::Str>>();
  ret().str = std::move(res.value());
  r->ok.inner = cabi::view(ret().str);
  return r;
}

cabi::Result<uint8_t, cabi::Str>* status_or_err(s::Result<s::SessionStatus> res) {
  if (!res) return err_result<uint8_t>(res.error());
  auto* r = ret().as<cabi::Result<uint8_t, cabi::Str>>();
  r->ok = static_cast<uint8_t>(res.value());
  return r;
}

std::vector<s::AgentConfig> take_agents(cabi::AgentConfig* ptr, uint32_t len) {
  std::vector<s::AgentConfig> agents;
  agents.reserve(len);
  for (uint32_t i = 0; i < len; ++i) {
    agents.push_back({cabi::take(ptr[i].agent_id), cabi::take(ptr[i].name), cabi::take(ptr[i].role),
                      ptr[i].phase_index});
  }
  cabi::release(ptr, len);
  return agents;
}

}  // namespace

#define EXPORT(name) extern "C" __attribute__((export_name(name)))
#define OPS "lokust:session-vm/session-ops#"
#define ADMIN "lokust:session-vm/session-admin#"

EXPORT("cabi_realloc")
void* cabi_realloc(void* old_ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align;            // malloc's 16-byte alignment covers every canonical-ABI alignment (<= 8)
  static uint64_t empty;  // a valid, aligned address for zero-length values
  if (old_ptr == &empty) old_ptr = nullptr;
  if (new_size == 0) {
    std::free(old_ptr);
    return &empty;
  }
  void* p = std::realloc(old_ptr, new_size);
  if (!p) __builtin_trap();  // out of guest memory: the host sees a trap, never corruption
  return p;
}

// ---- session-ops ----

EXPORT(OPS "create-session")
cabi::SessionId* export_create_session(cabi::AgentConfig* agents_ptr, uint32_t agents_len) {
  return id_result(manager().create_session(take_agents(agents_ptr, agents_len)));
}

EXPORT(OPS "run-next-phase")
cabi::Result<cabi::PhaseSnapshot, cabi::Str>* export_run_next_phase(const char* id_ptr,
                                                                    uint32_t id_len) {
  auto res = manager().run_next_phase_in_place(IdArg(id_ptr, id_len));
  if (!res) return err_result<cabi::PhaseSnapshot>(res.error());
  auto* r = ret().as<cabi::Result<cabi::PhaseSnapshot, cabi::Str>>();
  r->ok = view(*res.value());
  return r;
}

EXPORT(OPS "pause-session")
cabi::Result<uint8_t, cabi::Str>* export_pause_session(const char* id_ptr, uint32_t id_len) {
  return status_or_err(manager().pause_session(IdArg(id_ptr, id_len)));
}

EXPORT(OPS "resume-session")
cabi::Result<uint8_t, cabi::Str>* export_resume_session(const char* id_ptr, uint32_t id_len) {
  return status_or_err(manager().resume_session(IdArg(id_ptr, id_len)));
}

EXPORT(OPS "get-snapshot")
cabi::Option<cabi::SessionSnapshot>* export_get_snapshot(const char* id_ptr, uint32_t id_len) {
  auto* r = ret().as<cabi::Option<cabi::SessionSnapshot>>();
  const auto snap = manager().get_snapshot_view(IdArg(id_ptr, id_len));
  if (!snap) return r;
  ret().phase_views.reserve(snap->phases.size());
  for (const auto& p : snap->phases) ret().phase_views.push_back(view(p));
  r->is_some = 1;
  r->value = {{cabi::view(snap->id)},
              static_cast<uint8_t>(snap->status),
              cabi::view(ret().phase_views),
              snap->current_phase_index,
              snap->total_duration_ms,
              snap->total_tokens,
              snap->created_at_ms};
  return r;
}

// session-snapshot flattens to 9 values (<= 16), so it arrives as parameters.
EXPORT(OPS "import-snapshot")
cabi::SessionId* export_import_snapshot(const char* id_ptr, uint32_t id_len, uint32_t status,
                                        cabi::PhaseSnapshot* phases_ptr, uint32_t phases_len,
                                        uint32_t current_phase_index, uint64_t total_duration_ms,
                                        uint64_t total_tokens, uint64_t created_at_ms) {
  s::SessionSnapshot snap;
  snap.id = take_id(id_ptr, id_len);
  snap.status = static_cast<s::SessionStatus>(status);
  snap.phases.reserve(phases_len);
  for (uint32_t i = 0; i < phases_len; ++i) {
    cabi::PhaseSnapshot& p = phases_ptr[i];
    snap.phases.push_back({cabi::take(p.agent_id), static_cast<s::AgentStatus>(p.status),
                           cabi::take(p.output), p.duration_ms, p.tokens_used});
  }
  cabi::release(phases_ptr, phases_len);
  snap.current_phase_index = current_phase_index;
  snap.total_duration_ms = total_duration_ms;
  snap.total_tokens = total_tokens;
  snap.created_at_ms = created_at_ms;
  return id_result(manager().import_snapshot(std::move(snap)));
}

EXPORT(OPS "get-metrics")
cabi::Option<cabi::CoordinationMetrics>* export_get_metrics(const char* id_ptr, uint32_t id_len) {
  auto* r = ret().as<cabi::Option<cabi::CoordinationMetrics>>();
  if (auto m = manager().get_metrics(IdArg(id_ptr, id_len))) {
    r->is_some = 1;
    r->value = {m->phases_completed, m->phases_total, m->total_duration_ms, m->total_tokens,
                m->compression_ratio};
  }
  return r;
}

// ---- session-admin ----

EXPORT(ADMIN "create-session-checked")
cabi::Result<cabi::SessionId, cabi::Str>* export_create_session_checked(
    cabi::AgentConfig* agents_ptr, uint32_t agents_len, const char* objective_ptr,
    uint32_t objective_len, uint32_t context_budget) {
  s::SessionOptions options;
  options.objective = cabi::take(cabi::Str{objective_ptr, objective_len});
  options.context_budget = context_budget;
  return id_or_err(
      manager().create_session_checked(take_agents(agents_ptr, agents_len), std::move(options)));
}

EXPORT(ADMIN "export-session")
cabi::Result<cabi::List<uint8_t>, cabi::Str>* export_export_session(const char* id_ptr,
                                                                    uint32_t id_len) {
  auto res = manager().export_session(IdArg(id_ptr, id_len));
  if (!res) return err_result<cabi::List<uint8_t>>(res.error());
  auto* r = ret().as<cabi::Result<cabi::List<uint8_t>, cabi::Str>>();
  ret().bytes = std::move(res.value());
  r->ok = cabi::view(ret().bytes);
  return r;
}

EXPORT(ADMIN "import-session")
cabi::Result<cabi::SessionId, cabi::Str>* export_import_session(const uint8_t* ptr, uint32_t len) {
  std::vector<uint8_t> bytes = cabi::take(cabi::List<uint8_t>{const_cast<uint8_t*>(ptr), len});
  return id_or_err(manager().import_session(bytes));
}

EXPORT(ADMIN "drop-session")
uint32_t export_drop_session(const char* id_ptr, uint32_t id_len) {
  return manager().drop_session(IdArg(id_ptr, id_len)) ? 1 : 0;
}

EXPORT(ADMIN "list-sessions")
cabi::List<cabi::SessionId>* export_list_sessions() {
  auto* r = ret().as<cabi::List<cabi::SessionId>>();
  ret().ids = manager().list_sessions();
  ret().id_views.reserve(ret().ids.size());
  for (const auto& id : ret().ids) ret().id_views.push_back({cabi::view(id)});
  *r = cabi::view(ret().id_views);
  return r;
}

// ---- post-return: one per export whose result lives in memory ----
#define POST(iface, fn, sym) \
  EXPORT("cabi_post_" iface fn) void sym(void*) { ret().clear(); }
POST(OPS, "create-session", post_create_session)
POST(OPS, "run-next-phase", post_run_next_phase)
POST(OPS, "pause-session", post_pause_session)
POST(OPS, "resume-session", post_resume_session)
POST(OPS, "get-snapshot", post_get_snapshot)
POST(OPS, "import-snapshot", post_import_snapshot)
POST(OPS, "get-metrics", post_get_metrics)
POST(ADMIN, "create-session-checked", post_create_session_checked)
POST(ADMIN, "export-session", post_export_session)
POST(ADMIN, "import-session", post_import_session)
POST(ADMIN, "list-sessions", post_list_sessions)
