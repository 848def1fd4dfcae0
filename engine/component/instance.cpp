// Component instantiation on engine/core: see include/engine/component/instance.h.
#include "engine/component/instance.h"

#include <optional>
#include <utility>
#include <variant>

#include "engine/component/canonical_abi.h"
#include "engine/component/decoder.h"
#include "engine/component/resource_table.h"
#include "engine/core/module.h"

namespace lokust::component {

namespace {

// Core modules inside components may define or import several memories (multi-memory is part
// of the component model's core feature set).
constexpr core::CompileOptions kCoreOptions{.multi_memory = true};

// engine/core's Memory as the Canonical ABI's LinearMemory.
class CoreMemory : public LinearMemory {
 public:
  explicit CoreMemory(core::Memory* m) : m_(m) {}
  uint8_t* data() override { return m_->data(); }
  size_t size() const override { return static_cast<size_t>(m_->size_bytes()); }

 private:
  core::Memory* m_;
};

Error FromCore(const core::Error& e) {
  if (e.kind == core::Error::Kind::kLink) return LinkError(e.message);
  if (e.kind == core::Error::Kind::kMalformed || e.kind == core::Error::Kind::kInvalid)
    return Invalid(e.message);
  Error t = Trap(e.message);
  t.limit = e.limit;
  return t;
}

// The other way, for a component-level failure inside a core host function: always a trap,
// and a store limit that raised it stays visible to the outer call.
core::Error ToCoreTrap(const Error& e, std::string prefix = {}) {
  core::Error t = core::Trap(std::move(prefix) + e.message);
  t.limit = e.limit;
  return t;
}

Result<core::ValType> ToCoreType(CoreValType t) {
  switch (t.code) {
    case 0x7f:
      return core::ValType::kI32;
    case 0x7e:
      return core::ValType::kI64;
    case 0x7d:
      return core::ValType::kF32;
    case 0x7c:
      return core::ValType::kF64;
    default:
      return Invalid("not supported yet: non-numeric core type in a flattened signature");
  }
}

CoreValType FromCoreType(core::ValType t) {
  switch (t) {
    case core::ValType::kI64:
      return kI64;
    case core::ValType::kF32:
      return kF32;
    case core::ValType::kF64:
      return kF64;
    default:
      return kI32;
  }
}

std::vector<core::Value> ToCoreValues(const std::vector<CoreValue>& vs) {
  std::vector<core::Value> out;
  out.reserve(vs.size());
  for (const auto& v : vs) {
    core::Value cv;
    if (v.type == kI64)
      cv = core::Value::I64(v.bits);
    else if (v.type == kF32)
      cv = core::Value{core::ValType::kF32, v.bits & 0xffffffffu};
    else if (v.type == kF64)
      cv = core::Value{core::ValType::kF64, v.bits};
    else
      cv = core::Value::I32(static_cast<uint32_t>(v.bits));
    out.push_back(cv);
  }
  return out;
}

std::vector<CoreValue> FromCoreValues(std::span<const core::Value> vs) {
  std::vector<CoreValue> out;
  out.reserve(vs.size());
  for (const auto& v : vs) {
    CoreValType t = FromCoreType(v.type);
    uint64_t bits = v.bits;
    if (v.type == core::ValType::kI32 || v.type == core::ValType::kF32) bits &= 0xffffffffu;
    out.push_back(CoreValue{t, bits});
  }
  return out;
}

// A core instance at runtime: an instantiated module or an inline bag of exports.
struct CoreInst {
  core::Instance* inst = nullptr;
  std::map<std::string, core::Extern, std::less<>> bag;
  std::optional<core::Extern> Get(std::string_view name) const {
    if (inst) return inst->GetExport(name);
    auto it = bag.find(name);
    if (it == bag.end()) return std::nullopt;
    return it->second;
  }
};

// The module and component index spaces of one component body, kept alive with a link to
// the enclosing body's, for outer aliases of modules and components.
struct Env {
  std::vector<std::shared_ptr<const core::Module>> modules;
  std::vector<ComponentRefPtr> components;
  std::shared_ptr<Env> parent;
};

}  // namespace

struct ComponentRef {
  const ComponentAst* ast = nullptr;
  const ComponentInfo* info = nullptr;
  std::shared_ptr<Env> env;  // where it was defined
};

namespace {

// One argument of a component instantiation (or a resolved import).
struct Arg {
  enum class Kind { kFunc, kInstance, kType, kModule, kComponent } kind = Kind::kType;
  ComponentFuncPtr func;
  InstanceExportsPtr instance;
  std::shared_ptr<const core::Module> module;
  ComponentRefPtr component;
  ResourceTypePtr resource;  // kType: the runtime resource type, when the type is a resource
};

// The runtime state of one component instance (the root or a nested one): its handle table
// and the runtime resource type behind each of the validator's resource types it can name.
// The validator's types are per component definition; the runtime ones are per instantiation
// (generative) and carry the destructor (ResourceType::destroy) and the implementer (impl).
struct ComponentInstanceRt {
  HandleTable table;
  std::unordered_map<const ResourceType*, ResourceTypePtr> resources;  // by validator root
  std::shared_ptr<ComponentInstanceRt> parent;                         // outer aliases
  // CanonicalABI.md: cleared while post-return runs; imports and most built-ins trap then.
  bool may_leave = true;
  // Explainer.md "Component invariants": a call into an instance already on the call stack
  // traps (no reentrance), e.g. a host function calling back into the export that called it.
  bool on_stack = false;
  uint32_t backpressure = 0;
  uint64_t context[2] = {0, 0};  // context.get/set slots of the current (synchronous) task

  void Bind(const ResourceType* static_rt, ResourceTypePtr rt) {
    if (static_rt && rt) resources[ResourceRoot(static_rt)] = std::move(rt);
  }
  const ResourceType* Find(const ResourceType* static_rt) const {
    const ResourceType* root = ResourceRoot(static_rt);
    for (const ComponentInstanceRt* p = this; p; p = p->parent.get()) {
      auto it = p->resources.find(root);
      if (it != p->resources.end()) return it->second.get();
    }
    return nullptr;
  }
  Result<const ResourceType*> Runtime(const ResourceType& static_rt) const {
    if (auto* rt = Find(&static_rt)) return rt;
    return Trap("resource type `" + static_rt.name + "` is not bound to a runtime resource");
  }
  ResourceTypePtr RuntimePtr(const ResourceType* static_rt) const {
    const ResourceType* root = ResourceRoot(static_rt);
    for (const ComponentInstanceRt* p = this; p; p = p->parent.get()) {
      auto it = p->resources.find(root);
      if (it != p->resources.end()) return it->second;
    }
    return nullptr;
  }
};
using InstanceRtPtr = std::shared_ptr<ComponentInstanceRt>;

// Own/borrow handles of one call, in one instance's table: maps the validator's resource
// types in the function type to the instance's runtime types.
class RtHandles : public HandleTables {
 public:
  RtHandles(ComponentInstanceRt& inst, CallScope* scope) : inst_(inst), scope_(scope) {}
  Result<uint32_t> lift_own(const ResourceType& rt, uint32_t i) override {
    auto r = inst_.Runtime(rt);
    if (!r) return r.error();
    return component::lift_own(inst_.table, **r, i);
  }
  Result<uint32_t> lift_borrow(const ResourceType& rt, uint32_t i) override {
    auto r = inst_.Runtime(rt);
    if (!r) return r.error();
    return component::lift_borrow(inst_.table, **r, i, scope_);
  }
  Result<uint32_t> lower_own(const ResourceType& rt, uint32_t rep) override {
    auto r = inst_.Runtime(rt);
    if (!r) return r.error();
    return component::lower_own(inst_.table, **r, rep);
  }
  Result<uint32_t> lower_borrow(const ResourceType& rt, uint32_t rep) override {
    auto r = inst_.Runtime(rt);
    if (!r) return r.error();
    return component::lower_borrow(inst_.table, **r, rep, scope_, (*r)->impl == &inst_);
  }

 private:
  ComponentInstanceRt& inst_;
  CallScope* scope_;
};

}  // namespace

// In-place access to Val's parts for the host-handle rewriting below (a friend of Val).
struct ValAccess {
  static std::vector<Val>& elements(Val& v) {
    if (v.packed_) v.Unpack();
    return v.elems_;
  }
  static void set_handle(Val& v, uint32_t h) { v.bits_ = h; }
};

namespace {

// Whether values of `t` can hold own/borrow handles.
bool MentionsHandles(const ValTypePtr& t) {
  if (!t) return false;
  switch (t->kind) {
    case ValKind::kOwn:
    case ValKind::kBorrow:
      return true;
    default:
      break;
  }
  for (const Field& f : t->fields)
    if (MentionsHandles(f.type)) return true;
  return MentionsHandles(t->elem) || MentionsHandles(t->value) || MentionsHandles(t->ok) ||
         MentionsHandles(t->err);
}

bool FuncMentionsHandles(const FuncType& ft) {
  for (const Field& p : ft.params)
    if (MentionsHandles(p.type)) return true;
  return MentionsHandles(ft.result);
}

// An own/borrow of a guest-defined resource inside a host value.
struct HostHandleSlot {
  Val* val;
  const ResourceType* rt;  // runtime type
  const ResourceType* static_rt;
  size_t index;  // the argument or result it is in
};

std::string ResourceName(const HostHandleSlot& s) {
  for (const ResourceType* r : {s.static_rt, ResourceRoot(s.static_rt), s.rt})
    if (r && !r->name.empty()) return r->name;
  return "resource";
}

// Collects the own/borrow values of guest-defined resources (those a component instance
// implements) in `v` of type `t`.
void CollectGuestHandles(Val& v, const ValTypePtr& t, const ComponentInstanceRt& inst, size_t index,
                         std::vector<HostHandleSlot>& out) {
  switch (t->kind) {
    case ValKind::kOwn:
    case ValKind::kBorrow:
      if (const ResourceType* rt = inst.Find(t->resource.get()); rt && rt->impl)
        out.push_back({&v, rt, t->resource.get(), index});
      return;
    case ValKind::kRecord:
    case ValKind::kTuple: {
      auto& elems = ValAccess::elements(v);
      for (size_t i = 0; i < elems.size() && i < t->fields.size(); ++i)
        if (MentionsHandles(t->fields[i].type))
          CollectGuestHandles(elems[i], t->fields[i].type, inst, index, out);
      return;
    }
    case ValKind::kVariant: {
      auto& elems = ValAccess::elements(v);
      if (elems.empty()) return;
      for (const Field& c : t->fields)
        if (c.label == v.label() && c.type) CollectGuestHandles(elems[0], c.type, inst, index, out);
      return;
    }
    case ValKind::kOption:
      if (v.payload()) CollectGuestHandles(ValAccess::elements(v)[0], t->elem, inst, index, out);
      return;
    case ValKind::kResult: {
      const ValTypePtr& pt = v.is_ok() ? t->ok : t->err;
      if (v.payload() && pt) CollectGuestHandles(ValAccess::elements(v)[0], pt, inst, index, out);
      return;
    }
    case ValKind::kList:
      if (!MentionsHandles(t->elem)) return;
      for (Val& e : ValAccess::elements(v)) CollectGuestHandles(e, t->elem, inst, index, out);
      return;
    case ValKind::kMap:
      if (!MentionsHandles(t->elem) && !MentionsHandles(t->value)) return;
      for (Val& e : ValAccess::elements(v)) {
        auto& kv = ValAccess::elements(e);
        if (kv.size() != 2) continue;
        CollectGuestHandles(kv[0], t->elem, inst, index, out);
        CollectGuestHandles(kv[1], t->value, inst, index, out);
      }
      return;
    default:
      return;
  }
}

// Host -> guest: the host handles of guest-defined resources in an export's arguments become
// the guest's reps; owns move out of the host's table. Every handle is checked before any
// moves, so a refused call leaves the table as it was.
Result<void> HostHandlesToReps(std::vector<Val>& args, const std::vector<ValTypePtr>& params,
                               const ComponentInstanceRt& inst, HostResourceTable& table) {
  std::vector<HostHandleSlot> slots;
  for (size_t i = 0; i < args.size(); ++i)
    if (MentionsHandles(params[i])) CollectGuestHandles(args[i], params[i], inst, i, slots);
  std::vector<uint32_t> owns;
  for (const HostHandleSlot& s : slots) {
    std::string arg = "argument " + std::to_string(s.index) + ": ";
    auto e = table.Get(s.val->handle(), *s.rt, ResourceName(s));
    if (!e) return Invalid(arg + e.error().message);
    if (s.val->kind() != ValKind::kOwn) continue;
    for (uint32_t h : owns)
      if (h == s.val->handle())
        return Invalid(arg + "host handle " + std::to_string(h) + " of resource `" +
                       ResourceName(s) + "` is moved twice (two own values)");
    owns.push_back(s.val->handle());
  }
  for (const HostHandleSlot& s : slots) {
    auto e = s.val->kind() == ValKind::kOwn ? table.Take(s.val->handle(), *s.rt, ResourceName(s))
                                            : table.Get(s.val->handle(), *s.rt, ResourceName(s));
    if (!e) return Invalid(e.error().message);  // checked above
    ValAccess::set_handle(*s.val, e->rep);
  }
  return {};
}

// Guest -> host: each own of a guest-defined resource in an export's results gets a host
// handle (results hold no borrows).
Result<void> RepsToHostHandles(std::vector<Val>& results, const std::vector<ValTypePtr>& types,
                               const ComponentInstanceRt& inst, HostResourceTable& table) {
  std::vector<HostHandleSlot> slots;
  for (size_t i = 0; i < results.size() && i < types.size(); ++i)
    if (MentionsHandles(types[i])) CollectGuestHandles(results[i], types[i], inst, i, slots);
  for (const HostHandleSlot& s : slots) {
    if (s.val->kind() != ValKind::kOwn) continue;
    auto h = table.Insert(s.rt, s.val->handle());
    if (!h) return h.error();
    ValAccess::set_handle(*s.val, *h);
  }
  return {};
}

// The host's view of an instance's exports: lifted functions with guest-defined resources
// in their type call through host_call. Shares `ex` when nothing differs.
InstanceExportsPtr HostFacing(const InstanceExportsPtr& ex) {
  std::map<std::string, ComponentFuncPtr, std::less<>> funcs;
  std::map<std::string, InstanceExportsPtr, std::less<>> instances;
  for (const auto& [n, f] : ex->funcs)
    if (f->host_call) {
      auto c = std::make_shared<ComponentFunc>(*f);
      c->call = f->host_call;
      c->host_call = nullptr;
      funcs[n] = std::move(c);
    }
  for (const auto& [n, i] : ex->instances)
    if (auto h = HostFacing(i); h != i) instances[n] = std::move(h);
  if (funcs.empty() && instances.empty()) return ex;
  auto out = std::make_shared<InstanceExports>(*ex);
  for (auto& [n, f] : funcs) out->funcs[n] = std::move(f);
  for (auto& [n, i] : instances) out->instances[n] = std::move(i);
  return out;
}

std::string DefName(const Definition& d) {
  static const char* const kNames[] = {"core module", "core instance", "core type", "component",
                                       "instance",    "alias",         "type",      "canon",
                                       "start",       "import",        "export",    "value"};
  return std::string(kNames[d.def.index()]) + " definition";
}

Error NotSupported(const Definition& d, const std::string& what) {
  Error e = Invalid("not supported yet: " + what + " in " + DefName(d), d.offset);
  return e;
}

}  // namespace

struct Instance::State {
  core::Store* store = nullptr;
  std::vector<std::shared_ptr<CoreMemory>> memories;  // adapters, shared with the closures
  std::vector<InstanceRtPtr> instances;               // the root's first, then nested ones
  // Set by the first trap out of any lifted call: the instance's state may be inconsistent,
  // so every later call into it traps (the host stays up; the session can be recreated).
  std::shared_ptr<bool> poisoned = std::make_shared<bool>(false);
  // The own handles of guest-defined resources the host holds (see instance.h).
  std::shared_ptr<HostResourceTable> host_handles = std::make_shared<HostResourceTable>();
};

namespace {

class Walker {
 public:
  Walker(core::Store& store, Instance::State& state, const Component* precompiled = nullptr)
      : store_(store), state_(state), precompiled_(precompiled) {}
  // A component defined in a body keeps that body's Env (for its outer aliases) and the Env
  // lists it: a cycle of shared_ptrs, which leaked every instantiation's index spaces, core
  // modules included. The Envs are only needed while instantiating (core instances own their
  // modules), so they are emptied when the walk is over.
  ~Walker() {
    for (const auto& e : envs_) {
      e->modules.clear();
      e->components.clear();
      e->parent.reset();
    }
  }
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  // Instantiates one component; `args` by import name (nested components) or, for the root,
  // `resolution` from the Linker.
  Result<InstanceExportsPtr> Run(const ComponentAst& ast, const ComponentInfo& info,
                                 const std::map<std::string, Arg, std::less<>>* args,
                                 const Resolution* resolution, InstanceRtPtr parent,
                                 std::shared_ptr<Env> lexical_env) {
    Frame f;
    f.env = std::make_shared<Env>();
    envs_.push_back(f.env);
    f.env->parent = std::move(lexical_env);
    f.rt = std::make_shared<ComponentInstanceRt>();
    f.rt->parent = std::move(parent);
    state_.instances.push_back(f.rt);
    auto exports = std::make_shared<InstanceExports>();
    size_t import_i = 0, nested_i = 0;
    for (const Definition& d : ast.definitions) {
      Result<void> r = Step(f, ast, info, d, args, resolution, import_i, nested_i, *exports);
      if (!r) {
        Error e = r.error();
        if (e.message.find(" definition") == std::string::npos) e.message += " in " + DefName(d);
        if (e.offset == 0) e.offset = d.offset;
        return e;
      }
    }
    return exports;
  }

 private:
  struct Frame {
    std::shared_ptr<Env> env;  // modules and components
    std::vector<CoreInst> core_instances;
    std::vector<core::Func*> core_funcs;
    std::vector<core::Table*> core_tables;
    std::vector<core::Memory*> core_memories;
    std::vector<core::Global*> core_globals;
    std::vector<ComponentFuncPtr> funcs;
    std::vector<InstanceExportsPtr> instances;
    size_t types = 0;  // entries of the type index space seen so far
    InstanceRtPtr rt;
  };

  // The validator's resource type at type index `i`, or null when it is not a resource.
  static const ResourceType* ResourceAt(const ComponentInfo& info, size_t i) {
    if (i >= info.types.size() || info.types[i].kind != TypeEntry::Kind::kResource) return nullptr;
    return info.types[i].resource.get();
  }

  // Binds the resource types an instance of type `it` exports (by name, deeply) to the
  // runtime types `ex` carries.
  static void BindInstance(ComponentInstanceRt& rt, const InstanceType& it,
                           const InstanceExports& ex) {
    for (const auto& e : it.exports) {
      const std::string& n = e.name.name;
      if (e.type.kind == ExternKind::kType && e.type.type.kind == TypeEntry::Kind::kResource) {
        ResourceTypePtr r;
        if (ex.host) {
          r = ex.host->FindResource(n);
        } else if (auto t = ex.types.find(n); t != ex.types.end()) {
          r = t->second;
        }
        if (r && !rt.Find(e.type.type.resource.get())) rt.Bind(e.type.type.resource.get(), r);
      } else if (e.type.kind == ExternKind::kInstance && e.type.instance) {
        if (ex.host) {
          if (const LinkerInstance* li = ex.host->FindInstance(n)) {
            InstanceExports inner;
            inner.host = li;
            BindInstance(rt, *e.type.instance, inner);
          }
        } else if (auto t = ex.instances.find(n); t != ex.instances.end()) {
          BindInstance(rt, *e.type.instance, *t->second);
        }
      }
    }
  }

  // Pushes an instance onto the instance index space, binding the resources its type exports.
  static void PushInstance(Frame& f, const ComponentInfo& info, InstanceExportsPtr inst) {
    size_t i = f.instances.size();
    if (i < info.instances.size() && info.instances[i])
      BindInstance(*f.rt, *info.instances[i], *inst);
    f.instances.push_back(std::move(inst));
  }

  Result<FuncTypePtr> FuncTypeAt(const ComponentInfo& info, size_t i) {
    if (i >= info.funcs.size() || !info.funcs[i])
      return Invalid("function index " + std::to_string(i) + " has no type in ComponentInfo");
    return info.funcs[i];
  }

  Result<void> PushFunc(Frame& f, const ComponentInfo& info, ComponentFuncPtr fn) {
    // The index space's type (names and resources as the validator resolved them).
    auto t = FuncTypeAt(info, f.funcs.size());
    if (!t) return t.error();
    if (fn->type != *t) {
      auto copy = std::make_shared<ComponentFunc>(*fn);
      copy->type = *t;
      fn = copy;
    }
    f.funcs.push_back(std::move(fn));
    return {};
  }

  Result<core::Extern> CoreItem(const Frame& f, CoreSort sort, uint32_t idx) {
    auto oob = [&] {
      return Invalid(std::string("core ") + CoreSortName(sort) + " index " + std::to_string(idx) +
                     " out of bounds");
    };
    switch (sort) {
      case CoreSort::kFunc:
        if (idx >= f.core_funcs.size()) return oob();
        return core::Extern::Of(f.core_funcs[idx]);
      case CoreSort::kTable:
        if (idx >= f.core_tables.size()) return oob();
        return core::Extern::Of(f.core_tables[idx]);
      case CoreSort::kMemory:
        if (idx >= f.core_memories.size()) return oob();
        return core::Extern::Of(f.core_memories[idx]);
      case CoreSort::kGlobal:
        if (idx >= f.core_globals.size()) return oob();
        return core::Extern::Of(f.core_globals[idx]);
      default:
        return Invalid(std::string("not supported yet: core ") + CoreSortName(sort) + " item");
    }
  }

  Result<void> PushCore(Frame& f, const core::Extern& e) {
    switch (e.kind) {
      case core::ExternKind::kFunc:
        f.core_funcs.push_back(e.func());
        break;
      case core::ExternKind::kTable:
        f.core_tables.push_back(e.table());
        break;
      case core::ExternKind::kMemory:
        f.core_memories.push_back(e.memory());
        break;
      case core::ExternKind::kGlobal:
        f.core_globals.push_back(e.global());
        break;
    }
    return {};
  }

  static bool IsModuleSort(Sort s) {
    return s.kind == SortKind::kCore && s.core == CoreSort::kModule;
  }

  static bool SortMatches(CoreSort s, core::ExternKind k) {
    return static_cast<uint8_t>(s) == static_cast<uint8_t>(k);
  }

  // The component function from a host definition, the import `name` ("iface#f" or "f"):
  // its results are checked against `type` here, and its errors and ill-typed results name
  // the import (what a guest's trap message shows).
  ComponentFuncPtr HostFunction(const HostFuncDef& def, FuncTypePtr type, std::string name) {
    auto f = std::make_shared<ComponentFunc>();
    f->type = type;
    f->results_checked = true;
    f->call = [fn = def.fn, rts = type->result_types(),
               name = std::move(name)](const std::vector<Val>& args) -> Result<std::vector<Val>> {
      auto r = fn(args);
      if (!r) {
        Error e = r.error();
        // A store limit reached while in the host (a wait past the deadline) reads as the
        // same limit reached in guest code: the run's budget, not this function, ended it.
        if (e.limit == core::Limit::kNone)
          e.message = "host function " + name + " trapped: " + e.message;
        return e;
      }
      if (r->size() != rts.size())
        return Trap(name + ": wrong number of results: expected " + std::to_string(rts.size()) +
                    ", got " + std::to_string(r->size()));
      for (size_t i = 0; i < rts.size(); ++i)
        if (!ValMatchesType((*r)[i], rts[i]))
          return Trap(name + ": result does not match result type " + ValTypeToString(rts[i]));
      return r;
    };
    return f;
  }

  // The canonopts of a canon lift or lower, resolved to the core items they name.
  struct CanonOptions {
    core::Memory* memory = nullptr;
    core::Func* realloc = nullptr;
    core::Func* post_return = nullptr;  // lift only
    StringEncoding enc = StringEncoding::kUtf8;
    bool async = false;  // `async` (and its `callback`): instantiates, traps when called
  };
  static Result<CanonOptions> ParseCanonOptions(Frame& f, const CanonDef& c, bool lift) {
    CanonOptions o;
    for (const auto& opt : c.opts) {
      switch (opt.code) {
        case 0:
          o.enc = StringEncoding::kUtf8;
          break;
        case 1:
          o.enc = StringEncoding::kUtf16;
          break;
        case 2:
          o.enc = StringEncoding::kLatin1Utf16;
          break;
        case 3:
          if (opt.index >= f.core_memories.size()) return Invalid("canon: memory out of bounds");
          o.memory = f.core_memories[opt.index];
          break;
        case 4:
          if (opt.index >= f.core_funcs.size()) return Invalid("canon: realloc out of bounds");
          o.realloc = f.core_funcs[opt.index];
          break;
        case 5:
          if (!lift) return Invalid("not supported yet: canon lower option 5");
          if (opt.index >= f.core_funcs.size()) return Invalid("canon: post-return out of bounds");
          o.post_return = f.core_funcs[opt.index];
          break;
        case 6:
          o.async = true;
          break;
        case 7:  // callback (async lift)
          break;
        default:
          return Invalid(std::string(lift ? "not supported yet: canon option "
                                          : "not supported yet: canon lower option ") +
                         std::to_string(opt.code));
      }
    }
    return o;
  }

  Result<void> CanonLift(Frame& f, const ComponentInfo& info, const CanonDef& c) {
    if (c.func >= f.core_funcs.size()) return Invalid("canon lift: core function out of bounds");
    core::Func* callee = f.core_funcs[c.func];
    auto ft = FuncTypeAt(info, f.funcs.size());
    if (!ft) return ft.error();
    auto opts = ParseCanonOptions(f, c, /*lift=*/true);
    if (!opts) return opts.error();
    auto [memory, realloc, post_return, enc, async] = *opts;
    if (async) {
      // The session VM world uses no async ABI: the function exists, calling it traps.
      auto fn = std::make_shared<ComponentFunc>();
      fn->type = *ft;
      fn->call = [](const std::vector<Val>&) -> Result<std::vector<Val>> {
        return Trap("not supported: calling an async-lifted function (async ABI)");
      };
      f.funcs.push_back(std::move(fn));
      return {};
    }
    std::shared_ptr<CoreMemory> mem;
    if (memory) {
      mem = std::make_shared<CoreMemory>(memory);
      state_.memories.push_back(mem);
    }
    core::Store* store = &store_;
    auto fn = std::make_shared<ComponentFunc>();
    fn->type = *ft;
    FuncTypePtr type = *ft;
    InstanceRtPtr inst = f.rt;
    std::shared_ptr<bool> poisoned = state_.poisoned;
    // The function type's layout once, not on every call.
    auto layout = std::make_shared<const FuncLayout>(MakeFuncLayout(*type));
    // `host`: the call comes from the host (Instance::GetFunc), whose own/borrow values of
    // guest-defined resources are host handles; null: from a component (reps).
    auto call = [store, callee, mem, realloc, post_return, enc, layout, inst, poisoned](
                    const std::vector<Val>& args,
                    HostResourceTable* host) -> Result<std::vector<Val>> {
      if (*poisoned)
        return Trap("cannot enter component instance: it is poisoned by an earlier trap");
      // Arguments that do not match the type are the caller's mistake: an error, not a trap
      // of the instance.
      const std::vector<ValTypePtr>& params = layout->params;
      if (args.size() != params.size())
        return Invalid("wrong number of arguments: expected " + std::to_string(params.size()) +
                       ", got " + std::to_string(args.size()));
      for (size_t i = 0; i < args.size(); ++i)
        if (!ValMatchesType(args[i], params[i]))
          return Invalid("argument " + std::to_string(i) + " does not match parameter type " +
                         ValTypeToString(params[i]));
      if (inst->on_stack)
        return Trap("cannot enter component instance: it is already on the call stack");
      struct OnStack {
        ComponentInstanceRt* i;
        explicit OnStack(ComponentInstanceRt* p) : i(p) { i->on_stack = true; }
        ~OnStack() { i->on_stack = false; }
      } on_stack(inst.get());
      std::vector<Val> host_args;
      if (host) {
        host_args = args;
        auto in = HostHandlesToReps(host_args, params, *inst, *host);
        if (!in) return in.error();
      }
      // The call's borrow scope: borrows lowered into the callee must be dropped by the time
      // it returns (CanonicalABI.md, Task.return / num_borrows).
      CallScope scope;
      RtHandles handles(*inst, &scope);
      inst->context[0] = inst->context[1] = 0;  // a new task's context starts zeroed
      CallContext cx;
      cx.handles = &handles;
      cx.opts.memory = mem.get();
      cx.opts.string_encoding = enc;
      if (realloc) cx.opts.realloc = MakeRealloc(store, realloc);
      CoreCallee core_callee =
          [store, callee](const std::vector<CoreValue>& a) -> Result<std::vector<CoreValue>> {
        auto cargs = ToCoreValues(a);
        auto r = store->Call(callee, cargs);
        if (!r) return FromCore(r.error());
        return FromCoreValues(*r);
      };
      PostReturnFn post = [store, post_return, &scope,
                           inst](const std::vector<CoreValue>& a) -> Result<void> {
        if (scope.borrow_count != 0)
          return Trap("borrow handles still remain at the end of the call (" +
                      std::to_string(scope.borrow_count) + " not dropped)");
        if (!post_return) return {};
        auto cargs = ToCoreValues(a);
        inst->may_leave = false;
        auto r = store->Call(post_return, cargs);
        inst->may_leave = true;
        if (!r) return FromCore(r.error());
        return {};
      };
      auto r = canon_lift(cx, *layout, core_callee, host ? host_args : args, post);
      if (scope.borrow_count != 0) inst->table.ForgetScope(&scope);
      if (r && host) {
        auto out = RepsToHostHandles(*r, layout->results, *inst, *host);
        if (!out) r = out.error();
      }
      if (!r && r.error().kind == Error::Kind::kTrap) *poisoned = true;
      return r;
    };
    fn->call = [call](const std::vector<Val>& args) { return call(args, nullptr); };
    if (FuncMentionsHandles(*type))
      fn->host_call = [call, table = state_.host_handles](const std::vector<Val>& args) {
        return call(args, table.get());
      };
    fn->results_checked = true;
    f.funcs.push_back(std::move(fn));
    return {};
  }

  static ReallocFn MakeRealloc(core::Store* store, core::Func* realloc) {
    return [store, realloc](uint32_t a, uint32_t b, uint32_t c, uint32_t d) -> Result<uint32_t> {
      const core::Value args[] = {core::Value::I32(a), core::Value::I32(b), core::Value::I32(c),
                                  core::Value::I32(d)};
      auto r = store->Call(realloc, args);
      if (!r) return FromCore(r.error());
      if (r->size() != 1 || (*r)[0].type != core::ValType::kI32)
        return Trap("realloc: expected one i32 result");
      return static_cast<uint32_t>((*r)[0].bits);
    };
  }

  Result<void> CanonLower(Frame& f, const CanonDef& c) {
    InstanceRtPtr inst = f.rt;
    if (c.func >= f.funcs.size()) return Invalid("canon lower: function out of bounds");
    ComponentFuncPtr target = f.funcs[c.func];
    auto opts = ParseCanonOptions(f, c, /*lift=*/false);
    if (!opts) return opts.error();
    [[maybe_unused]] auto [memory, realloc, post_return, enc, async] = *opts;  // no post-return
    if (async) {
      // Async lower (CanonicalABI.md flatten_functype, async lower): at most 4 flat params
      // (else one pointer), plus an out-pointer for a result; returns a status i32. Calling
      // it traps: the session VM world uses no async ABI.
      core::FuncType atype;
      auto params = flatten_types(target->type->param_types());
      if (params.size() > 4) {
        atype.params.push_back(core::ValType::kI32);
      } else {
        for (const auto& t : params) {
          auto ct = ToCoreType(t);
          if (!ct) return ct.error();
          atype.params.push_back(*ct);
        }
      }
      if (target->type->result) atype.params.push_back(core::ValType::kI32);
      atype.results.push_back(core::ValType::kI32);
      f.core_funcs.push_back(
          store_.CreateHostFunc(atype,
                                [](core::Caller&, std::span<const core::Value>,
                                   std::span<core::Value>) -> core::Result<void> {
                                  return core::Trap("not supported: async lower (async ABI)");
                                }));
      return {};
    }
    CoreFuncType flat = flatten_functype(*target->type, FlattenContext::kLower);
    core::FuncType ctype;
    for (const auto& t : flat.params) {
      auto ct = ToCoreType(t);
      if (!ct) return ct.error();
      ctype.params.push_back(*ct);
    }
    for (const auto& t : flat.results) {
      auto ct = ToCoreType(t);
      if (!ct) return ct.error();
      ctype.results.push_back(*ct);
    }
    std::shared_ptr<CoreMemory> mem;
    if (memory) {
      mem = std::make_shared<CoreMemory>(memory);
      state_.memories.push_back(mem);
    }
    core::Store* store = &store_;
    // The function type's layout once, not on every call.
    auto layout = std::make_shared<const FuncLayout>(MakeFuncLayout(*target->type));
    core::Func* host = store_.CreateHostFunc(
        ctype,
        [store, target, layout, mem, realloc, enc, inst](
            core::Caller&, std::span<const core::Value> args,
            std::span<core::Value> results) -> core::Result<void> {
          if (!inst->may_leave) return core::Trap("cannot leave component instance");
          // The subtask's scope: own handles lent as borrows cannot be dropped until the
          // callee returns.
          CallScope scope;
          RtHandles handles(*inst, &scope);
          CallContext cx;
          cx.handles = &handles;
          cx.opts.memory = mem.get();
          cx.opts.string_encoding = enc;
          if (realloc) cx.opts.realloc = MakeRealloc(store, realloc);
          ComponentCallee callee = [&target](const std::vector<Val>& a) { return target->Call(a); };
          auto r = canon_lower(cx, *layout, callee, FromCoreValues(args),
                               /*check_results=*/!target->results_checked);
          auto exited = scope.exit();
          if (!r) return ToCoreTrap(r.error());
          if (!exited) return ToCoreTrap(exited.error());
          if (r->size() != results.size())
            return core::Trap("canon lower: wrong number of flat results");
          auto out = ToCoreValues(*r);
          for (size_t i = 0; i < out.size(); ++i) results[i] = out[i];
          return {};
        });
    f.core_funcs.push_back(host);
    return {};
  }

  // canon resource.new / resource.drop / resource.rep: core host functions over the
  // instance's handle table; dropping an owned handle runs the resource's destructor.
  Result<void> CanonResource(Frame& f, const ComponentInfo& info, const CanonDef& c) {
    const ResourceType* srt = ResourceAt(info, c.type);
    if (!srt)
      return Invalid("canon resource built-in: type " + std::to_string(c.type) +
                     " is not a resource type");
    ResourceTypePtr keep = info.types[c.type].resource;
    core::FuncType ctype;
    ctype.params.push_back(core::ValType::kI32);
    if (c.op != 0x03) ctype.results.push_back(core::ValType::kI32);
    InstanceRtPtr inst = f.rt;
    uint8_t op = c.op;
    core::Func* host = store_.CreateHostFunc(
        ctype,
        [inst, keep, op](core::Caller&, std::span<const core::Value> args,
                         std::span<core::Value> results) -> core::Result<void> {
          if (op != 0x04 && !inst->may_leave) return core::Trap("cannot leave component instance");
          auto rt = inst->Runtime(*keep);
          if (!rt) return ToCoreTrap(rt.error());
          uint32_t a = static_cast<uint32_t>(args[0].bits);
          if (op == 0x02 || op == 0x04) {
            auto r = op == 0x02 ? canon_resource_new(inst->table, **rt, a)
                                : canon_resource_rep(inst->table, **rt, a);
            if (!r)
              return core::Trap(std::string(op == 0x02 ? "resource.new: " : "resource.rep: ") +
                                r.error().message);
            results[0] = core::Value::I32(*r);
            return {};
          }
          auto r = canon_resource_drop(inst->table, **rt, a);
          if (!r) return ToCoreTrap(r.error(), "resource.drop: ");
          if (*r && (*rt)->destroy) {
            auto d = (*rt)->destroy(**r);
            if (!d) return ToCoreTrap(d.error());
          }
          return {};
        });
    f.core_funcs.push_back(host);
    return {};
  }

  // The core function type of a canon built-in (CanonicalABI.md, "canon ..." sections).
  static Result<core::FuncType> BuiltinCoreType(const ComponentInfo& info, const CanonDef& c) {
    using V = core::ValType;
    const V I = V::kI32;
    auto sig = [](std::vector<V> p, std::vector<V> r) {
      core::FuncType t;
      t.params = std::move(p);
      t.results = std::move(r);
      return t;
    };
    switch (c.op) {
      case 0x05:  // task.cancel
      case 0x24:  // backpressure.inc
      case 0x25:  // backpressure.dec
        return sig({}, {});
      case 0x08:  // backpressure.set
      case 0x0b:  // context.set
      case 0x0d:  // subtask.drop
      case 0x13:  // stream.drop-readable
      case 0x14:  // stream.drop-writable
      case 0x1a:  // future.drop-readable
      case 0x1b:  // future.drop-writable
      case 0x1e:  // error-context.drop
      case 0x22:  // waitable-set.drop
        return sig({I}, {});
      case 0x28:  // thread.resume-later
        return sig({I}, {});
      case 0x2a:  // thread.suspend-then-resume
      case 0x2b:  // thread.yield-then-resume
      case 0x2c:  // thread.suspend-then-promote
      case 0x2d:  // thread.yield-then-promote
        return sig({I}, {I});
      case 0x27:  // thread.new-indirect
        return sig({I, I}, {I});
      case 0x29:  // thread.suspend
      case 0x42:  // thread.available-parallelism
      case 0x0a:  // context.get
      case 0x0c:  // thread.yield
      case 0x1f:  // waitable-set.new
      case 0x26:  // thread.index
        return sig({}, {I});
      case 0x06:  // subtask.cancel
      case 0x11:  // stream.cancel-read
      case 0x12:  // stream.cancel-write
      case 0x18:  // future.cancel-read
      case 0x19:  // future.cancel-write
        return sig({I}, {I});
      case 0x0e:  // stream.new
      case 0x15:  // future.new
        return sig({}, {V::kI64});
      case 0x0f:  // stream.read
      case 0x10:  // stream.write
        return sig({I, I, I}, {I});
      case 0x16:  // future.read
      case 0x17:  // future.write
      case 0x1c:  // error-context.new
      case 0x20:  // waitable-set.wait
      case 0x21:  // waitable-set.poll
        return sig({I, I}, {I});
      case 0x1d:  // error-context.debug-message
      case 0x23:  // waitable.join
        return sig({I, I}, {});
      case 0x09: {  // task.return: the result's flat types as parameters
        if (!c.result) return sig({}, {});
        ValTypePtr t;
        if (c.result->is_index) {
          if (c.result->index < info.types.size()) t = info.types[c.result->index].defined;
        } else if (c.result->prim >= 0x73 && c.result->prim <= 0x7f) {
          t = ValType::Prim(static_cast<ValKind>(0x7f - c.result->prim));
        }
        if (!t) return Invalid("canon task.return: result type not supported");
        auto flat = flatten_type(t);
        core::FuncType ft;
        if (flat.size() > MAX_FLAT_PARAMS) {
          ft.params.push_back(I);
          return ft;
        }
        for (auto& x : flat) {
          auto v = ToCoreType(x);
          if (!v) return v.error();
          ft.params.push_back(*v);
        }
        return ft;
      }
      default:
        return Invalid(std::string("not supported yet: canon ") + CanonOpName(c.op) + " (opcode " +
                       std::to_string(c.op) + ")");
    }
  }

  // The other canon built-ins (async, threads, error contexts): the session VM world uses no
  // async ABI, so they exist with their core types but trap when called, except
  // context.get/set and backpressure.inc/dec, which are plain per-instance state. Like the
  // spec, most of them first trap when the instance may not leave (during post-return).
  Result<void> CanonBuiltin(Frame& f, const ComponentInfo& info, const CanonDef& c) {
    auto ct = BuiltinCoreType(info, c);
    if (!ct) return ct.error();
    core::FuncType ctype = *ct;
    InstanceRtPtr inst = f.rt;
    uint8_t op = c.op;
    uint32_t slot = c.extra;
    core::Func* host = store_.CreateHostFunc(
        ctype,
        [inst, op, slot](core::Caller&, std::span<const core::Value> args,
                         std::span<core::Value> results) -> core::Result<void> {
          switch (op) {
            case 0x0a:  // context.get
              if (slot >= 2) return core::Trap("context.get: slot out of bounds");
              results[0] = core::Value::I32(static_cast<uint32_t>(inst->context[slot]));
              return {};
            case 0x0b:  // context.set
              if (slot >= 2) return core::Trap("context.set: slot out of bounds");
              inst->context[slot] = args[0].bits & 0xffffffffu;
              return {};
            case 0x24:  // backpressure.inc
              ++inst->backpressure;
              return {};
            case 0x25:  // backpressure.dec
              if (inst->backpressure == 0) return core::Trap("backpressure counter underflow");
              --inst->backpressure;
              return {};
            default:
              break;
          }
          if (!inst->may_leave) return core::Trap("cannot leave component instance");
          return core::Trap(std::string("not supported: canon built-in ") + CanonOpName(op) +
                            " (async/threads are not implemented)");
        });
    f.core_funcs.push_back(host);
    return {};
  }

  // A `(type (resource (rep i32) (dtor ...)))` definition: a fresh runtime resource type of
  // this instance.
  Result<void> DefineResource(Frame& f, const ComponentInfo& info, const TypeDefAst& t) {
    const ResourceType* srt = ResourceAt(info, f.types);
    if (!srt) return Invalid("resource type definition has no resource type in ComponentInfo");
    auto rt = NewResourceType(srt->name, true);
    rt->impl = f.rt.get();
    if (t.resource.dtor) {
      if (*t.resource.dtor >= f.core_funcs.size())
        return Invalid("resource destructor: core function out of bounds");
      core::Func* dtor = f.core_funcs[*t.resource.dtor];
      core::Store* store = &store_;
      rt->destroy = [store, dtor](uint32_t rep) -> Result<void> {
        std::vector<core::Value> a = {core::Value::I32(rep)};
        auto r = store->Call(dtor, a);
        if (!r) return FromCore(r.error());
        return {};
      };
    }
    f.rt->Bind(srt, rt);
    return {};
  }

  Result<void> Step(Frame& f, const ComponentAst& ast, const ComponentInfo& info,
                    const Definition& d, const std::map<std::string, Arg, std::less<>>* args,
                    const Resolution* resolution, size_t& import_i, size_t& nested_i,
                    InstanceExports& exports) {
    (void)ast;
    if (auto* m = std::get_if<CoreModuleDef>(&d.def)) {
      if (precompiled_) {
        if (auto mod = precompiled_->FindModule(m->bytes.data())) {
          f.env->modules.push_back(std::move(mod));
          return {};
        }
      }
      auto r = core::Module::Compile(m->bytes, kCoreOptions);
      if (!r) return FromCore(r.error());
      f.env->modules.push_back(*r);
      return {};
    }
    if (auto* ci = std::get_if<CoreInstanceDef>(&d.def)) {
      CoreInst inst;
      if (ci->instantiate) {
        if (ci->module >= f.env->modules.size())
          return Invalid("core instance: module index out of bounds");
        const auto& module = f.env->modules[ci->module];
        std::vector<core::Extern> imports;
        for (const auto& im : module->imports) {
          const CoreInst* from = nullptr;
          for (const auto& [name, idx] : ci->args) {
            if (name == im.module) {
              if (idx >= f.core_instances.size())
                return Invalid("core instance: argument instance out of bounds");
              from = &f.core_instances[idx];
            }
          }
          if (!from)
            return LinkError("core instance: no argument for module \"" + im.module + "\"");
          auto e = from->Get(im.name);
          if (!e)
            return LinkError("core instance: argument \"" + im.module + "\" has no export \"" +
                             im.name + "\"");
          if (e->kind != im.kind)
            return LinkError("core instance: export \"" + im.module + "\" \"" + im.name +
                             "\" is a " + core::ExternKindName(e->kind) + ", not a " +
                             core::ExternKindName(im.kind));
          imports.push_back(*e);
        }
        auto r = store_.Instantiate(module, imports);
        if (!r) return FromCore(r.error());
        inst.inst = *r;
      } else {
        for (const auto& [name, si] : ci->exports) {
          auto e = CoreItem(f, si.first, si.second);
          if (!e) return e.error();
          inst.bag[name] = *e;
        }
      }
      f.core_instances.push_back(std::move(inst));
      return {};
    }
    if (std::get_if<std::shared_ptr<CoreTypeAst>>(&d.def)) return {};
    if (auto* t = std::get_if<std::shared_ptr<TypeDefAst>>(&d.def)) {
      Result<void> r;
      if ((*t)->kind == TypeDefAst::Kind::kResource) r = DefineResource(f, info, **t);
      ++f.types;
      return r;
    }
    if (auto* cd = std::get_if<ComponentDef>(&d.def)) {
      if (nested_i >= info.nested.size()) return Invalid("nested component has no ComponentInfo");
      auto ref = std::make_shared<ComponentRef>();
      ref->ast = cd->component.get();
      ref->info = info.nested[nested_i++].get();
      ref->env = f.env;
      f.env->components.push_back(ref);
      return {};
    }
    if (auto* id = std::get_if<InstanceDef>(&d.def)) {
      if (!id->instantiate) {
        auto bag = std::make_shared<InstanceExports>();
        for (const auto& [name, si] : id->exports) {
          if (si.sort.kind == SortKind::kFunc) {
            if (si.idx >= f.funcs.size()) return Invalid("instance export: function out of bounds");
            bag->funcs[name.name] = f.funcs[si.idx];
          } else if (si.sort.kind == SortKind::kInstance) {
            if (si.idx >= f.instances.size())
              return Invalid("instance export: instance out of bounds");
            bag->instances[name.name] = f.instances[si.idx];
          } else if (si.sort.kind == SortKind::kType) {
            if (const ResourceType* srt = ResourceAt(info, si.idx))
              if (auto rt = f.rt->RuntimePtr(srt)) bag->types[name.name] = rt;
          } else if (IsModuleSort(si.sort)) {
            if (si.idx >= f.env->modules.size())
              return Invalid("instance export: module out of bounds");
            bag->modules[name.name] = f.env->modules[si.idx];
          } else if (si.sort.kind == SortKind::kComponent) {
            if (si.idx >= f.env->components.size())
              return Invalid("instance export: component out of bounds");
            bag->components[name.name] = f.env->components[si.idx];
          } else {
            return NotSupported(d, "inline export of a " + SortName(si.sort));
          }
        }
        PushInstance(f, info, bag);
        return {};
      }
      if (id->component >= f.env->components.size())
        return Invalid("instance: component index out of bounds");
      std::map<std::string, Arg, std::less<>> nargs;
      for (const auto& [name, si] : id->args) {
        Arg a;
        if (si.sort.kind == SortKind::kFunc) {
          if (si.idx >= f.funcs.size()) return Invalid("instance argument: function out of bounds");
          a.kind = Arg::Kind::kFunc;
          a.func = f.funcs[si.idx];
        } else if (si.sort.kind == SortKind::kInstance) {
          if (si.idx >= f.instances.size())
            return Invalid("instance argument: instance out of bounds");
          a.kind = Arg::Kind::kInstance;
          a.instance = f.instances[si.idx];
        } else if (si.sort.kind == SortKind::kType) {
          a.kind = Arg::Kind::kType;
          if (const ResourceType* srt = ResourceAt(info, si.idx))
            a.resource = f.rt->RuntimePtr(srt);
        } else if (IsModuleSort(si.sort)) {
          if (si.idx >= f.env->modules.size())
            return Invalid("instance argument: module out of bounds");
          a.kind = Arg::Kind::kModule;
          a.module = f.env->modules[si.idx];
        } else if (si.sort.kind == SortKind::kComponent) {
          if (si.idx >= f.env->components.size())
            return Invalid("instance argument: component out of bounds");
          a.kind = Arg::Kind::kComponent;
          a.component = f.env->components[si.idx];
        } else {
          return NotSupported(d, "instantiation argument of sort " + SortName(si.sort));
        }
        nargs[name] = std::move(a);
      }
      const ComponentRef& ref = *f.env->components[id->component];
      auto r = Run(*ref.ast, *ref.info, &nargs, nullptr, f.rt, ref.env);
      if (!r) return r.error();
      PushInstance(f, info, *r);
      return {};
    }
    if (auto* al = std::get_if<AliasAst>(&d.def)) {
      if (al->target == AliasAst::Target::kCoreExport) {
        if (al->instance >= f.core_instances.size())
          return Invalid("alias: core instance out of bounds");
        auto e = f.core_instances[al->instance].Get(al->name);
        if (!e) return LinkError("alias: core instance has no export \"" + al->name + "\"");
        if (al->sort.kind != SortKind::kCore || !SortMatches(al->sort.core, e->kind))
          return Invalid("alias: core export \"" + al->name + "\" has another sort");
        return PushCore(f, *e);
      }
      if (al->target == AliasAst::Target::kOuter) {
        // Outer type aliases share the enclosing component's type objects: the parent chain
        // of ComponentInstanceRt resolves their resources.
        if (al->sort.kind == SortKind::kType) {
          ++f.types;
          return {};
        }
        if (al->sort.kind == SortKind::kCore && al->sort.core == CoreSort::kType) return {};
        if (IsModuleSort(al->sort) || al->sort.kind == SortKind::kComponent) {
          Env* e = f.env.get();
          for (uint32_t i = 0; i < al->count && e; ++i) e = e->parent.get();
          if (!e)
            return Invalid("outer alias: no enclosing component " + std::to_string(al->count));
          if (IsModuleSort(al->sort)) {
            if (al->index >= e->modules.size()) return Invalid("outer alias: module out of bounds");
            f.env->modules.push_back(e->modules[al->index]);
          } else {
            if (al->index >= e->components.size())
              return Invalid("outer alias: component out of bounds");
            f.env->components.push_back(e->components[al->index]);
          }
          return {};
        }
        return NotSupported(d, "outer alias of a " + SortName(al->sort));
      }
      // export alias
      if (al->instance >= f.instances.size()) return Invalid("alias: instance out of bounds");
      const InstanceExports& src = *f.instances[al->instance];
      if (al->sort.kind == SortKind::kType) {
        if (const ResourceType* srt = ResourceAt(info, f.types)) {
          ResourceTypePtr rt;
          if (src.host) {
            rt = src.host->FindResource(al->name);
          } else if (auto it = src.types.find(al->name); it != src.types.end()) {
            rt = it->second;
          }
          if (rt && !f.rt->Find(srt)) f.rt->Bind(srt, rt);
        }
        ++f.types;
        return {};
      }
      if (al->sort.kind == SortKind::kFunc) {
        if (src.host) {
          const HostFuncDef* def = src.host->FindFunc(al->name);
          if (!def) return LinkError("alias: host instance has no function \"" + al->name + "\"");
          auto t = FuncTypeAt(info, f.funcs.size());
          if (!t) return t.error();
          f.funcs.push_back(HostFunction(*def, *t, src.host_name + "#" + al->name));
          return {};
        }
        auto it = src.funcs.find(al->name);
        if (it == src.funcs.end())
          return LinkError("alias: instance has no function \"" + al->name + "\"");
        return PushFunc(f, info, it->second);
      }
      if (al->sort.kind == SortKind::kInstance) {
        if (src.host) {
          const LinkerInstance* li = src.host->FindInstance(al->name);
          if (!li) return LinkError("alias: host instance has no instance \"" + al->name + "\"");
          auto ie = std::make_shared<InstanceExports>();
          ie->host = li;
          ie->host_name = src.host_name + "/" + al->name;
          PushInstance(f, info, ie);
          return {};
        }
        auto it = src.instances.find(al->name);
        if (it == src.instances.end())
          return LinkError("alias: instance has no instance \"" + al->name + "\"");
        PushInstance(f, info, it->second);
        return {};
      }
      if (IsModuleSort(al->sort)) {
        auto it = src.modules.find(al->name);
        if (it == src.modules.end())
          return LinkError("alias: instance has no module \"" + al->name + "\"");
        f.env->modules.push_back(it->second);
        return {};
      }
      if (al->sort.kind == SortKind::kComponent) {
        auto it = src.components.find(al->name);
        if (it == src.components.end())
          return LinkError("alias: instance has no component \"" + al->name + "\"");
        f.env->components.push_back(it->second);
        return {};
      }
      return NotSupported(d, "export alias of a " + SortName(al->sort));
    }
    if (auto* c = std::get_if<CanonDef>(&d.def)) {
      if (c->op == 0x00) return CanonLift(f, info, *c);
      if (c->op == 0x01) return CanonLower(f, *c);
      if (c->op >= 0x02 && c->op <= 0x04) return CanonResource(f, info, *c);
      return CanonBuiltin(f, info, *c);
    }
    if (auto* st = std::get_if<StartDef>(&d.def)) {
      // A start function runs during instantiation; its traps fail the instantiation.
      if (!st->args.empty() || st->results != 0)
        return NotSupported(d, "component start function with value arguments or results");
      if (st->func >= f.funcs.size()) return Invalid("start: function out of bounds");
      auto r = f.funcs[st->func]->Call({});
      if (!r) return r.error();
      return {};
    }
    if (auto* im = std::get_if<ImportDef>(&d.def)) {
      const std::string& name = im->name.name;
      if (im->desc.kind == ExternKind::kType) {
        // A resource import binds to the host's resource (root) or the argument's (nested).
        if (const ResourceType* srt = ResourceAt(info, f.types); srt && !f.rt->Find(srt)) {
          ResourceTypePtr rt;
          if (resolution) {
            if (import_i < resolution->imports.size()) rt = resolution->imports[import_i].resource;
          } else if (args) {
            if (auto it = args->find(name); it != args->end()) rt = it->second.resource;
          }
          if (rt) f.rt->Bind(srt, rt);
        }
        ++f.types;
        ++import_i;
        return {};
      }
      Arg a;
      if (resolution) {
        if (import_i >= resolution->imports.size())
          return Invalid("import \"" + name + "\" missing from the linker's resolution");
        const ResolvedImport& ri = resolution->imports[import_i];
        if (im->desc.kind == ExternKind::kFunc && ri.func) {
          auto t = FuncTypeAt(info, f.funcs.size());
          if (!t) return t.error();
          a.kind = Arg::Kind::kFunc;
          a.func = HostFunction(*ri.func, *t, name);
        } else if (im->desc.kind == ExternKind::kInstance && ri.instance) {
          // (BindInstance below binds the resources the host instance defines.)
          a.kind = Arg::Kind::kInstance;
          a.instance = std::make_shared<InstanceExports>();
          a.instance->host = ri.instance;
          a.instance->host_name = name;
        } else {
          return NotSupported(d, "import \"" + name + "\" of this kind");
        }
      } else {
        if (!args || args->find(name) == args->end())
          return LinkError("instantiation: missing argument \"" + name + "\"");
        a = args->find(name)->second;
      }
      ++import_i;
      if (im->desc.kind == ExternKind::kFunc) {
        if (a.kind != Arg::Kind::kFunc)
          return LinkError("import \"" + name + "\": expected a function");
        return PushFunc(f, info, a.func);
      }
      if (im->desc.kind == ExternKind::kInstance) {
        if (a.kind != Arg::Kind::kInstance)
          return LinkError("import \"" + name + "\": expected an instance");
        PushInstance(f, info, a.instance);
        return {};
      }
      if (im->desc.kind == ExternKind::kModule) {
        if (a.kind != Arg::Kind::kModule)
          return LinkError("import \"" + name + "\": expected a core module");
        f.env->modules.push_back(a.module);
        return {};
      }
      if (im->desc.kind == ExternKind::kComponent) {
        if (a.kind != Arg::Kind::kComponent)
          return LinkError("import \"" + name + "\": expected a component");
        f.env->components.push_back(a.component);
        return {};
      }
      return NotSupported(d, "import \"" + name + "\" of this kind");
    }
    if (auto* ex = std::get_if<ExportDef>(&d.def)) {
      const std::string& name = ex->name.name;
      if (ex->item.sort.kind == SortKind::kType) {
        // A type export is a new index (and, for `(sub resource)` ascriptions, a new
        // validator type) naming the same runtime resource.
        if (const ResourceType* item = ResourceAt(info, ex->item.idx)) {
          ResourceTypePtr rt = f.rt->RuntimePtr(item);
          if (const ResourceType* srt = ResourceAt(info, f.types); srt && rt) f.rt->Bind(srt, rt);
          if (rt) exports.types[name] = rt;
        }
        ++f.types;
        return {};
      }
      if (ex->item.sort.kind == SortKind::kFunc) {
        if (ex->item.idx >= f.funcs.size()) return Invalid("export: function out of bounds");
        ComponentFuncPtr fn = f.funcs[ex->item.idx];
        LOKUST_CM_TRY(PushFunc(f, info, fn));
        exports.funcs[name] = f.funcs.back();
        return {};
      }
      if (ex->item.sort.kind == SortKind::kInstance) {
        if (ex->item.idx >= f.instances.size()) return Invalid("export: instance out of bounds");
        auto inst = f.instances[ex->item.idx];
        PushInstance(f, info, inst);
        exports.instances[name] = inst;
        return {};
      }
      if (IsModuleSort(ex->item.sort)) {
        if (ex->item.idx >= f.env->modules.size()) return Invalid("export: module out of bounds");
        auto m = f.env->modules[ex->item.idx];
        f.env->modules.push_back(m);
        exports.modules[name] = m;
        return {};
      }
      if (ex->item.sort.kind == SortKind::kComponent) {
        if (ex->item.idx >= f.env->components.size())
          return Invalid("export: component out of bounds");
        auto c = f.env->components[ex->item.idx];
        f.env->components.push_back(c);
        exports.components[name] = c;
        return {};
      }
      return NotSupported(d, "export \"" + name + "\" of a " + SortName(ex->item.sort));
    }
    return NotSupported(d, "this definition");
  }

  core::Store& store_;
  Instance::State& state_;
  const Component* precompiled_;
  std::vector<std::shared_ptr<Env>> envs_;  // every body's, emptied by the destructor
};

}  // namespace

Result<std::unique_ptr<Instance>> Instance::Instantiate(core::Store& store, const ComponentAst& ast,
                                                        const ComponentInfo& info,
                                                        const Linker& linker) {
  auto resolution = linker.Resolve(info);
  if (!resolution) return resolution.error();
  auto inst = std::unique_ptr<Instance>(new Instance());
  inst->state_ = std::make_shared<State>();
  inst->state_->store = &store;
  Walker w(store, *inst->state_);
  auto r = w.Run(ast, info, nullptr, &*resolution, nullptr, nullptr);
  if (!r) return r.error();
  inst->exports_ = HostFacing(*r);
  return inst;
}

Result<std::shared_ptr<const Component>> Component::Compile(std::span<const uint8_t> bytes) {
  auto c = std::shared_ptr<Component>(new Component());
  c->bytes_.assign(bytes.begin(), bytes.end());
  auto ast = DecodeComponent(c->bytes_);
  if (!ast) return ast.error();
  c->ast_ = *ast;
  // Validation compiles each embedded core module with engine/core (bodies validated); keep
  // the result, keyed by where the module's bytes are.
  ValidateOptions options;
  Component* raw = c.get();
  options.validate_core_module = [raw](std::span<const uint8_t> m) -> Result<void> {
    auto r = core::Module::Compile(m, kCoreOptions);
    if (!r) return Invalid(r.error().message);
    raw->modules_[m.data()] = *r;
    return {};
  };
  auto info = ValidateComponent(*c->ast_, options);
  if (!info) return info.error();
  c->info_ = *info;
  return std::shared_ptr<const Component>(std::move(c));
}

std::shared_ptr<const core::Module> Component::FindModule(const uint8_t* bytes) const {
  auto it = modules_.find(bytes);
  return it == modules_.end() ? nullptr : it->second;
}

Result<std::unique_ptr<Instance>> Instance::Instantiate(core::Store& store,
                                                        const Component& component,
                                                        const Linker& linker) {
  auto resolution = linker.Resolve(component.info());
  if (!resolution) return resolution.error();
  auto inst = std::unique_ptr<Instance>(new Instance());
  inst->state_ = std::make_shared<State>();
  inst->state_->store = &store;
  Walker w(store, *inst->state_, &component);
  auto r = w.Run(component.ast(), component.info(), nullptr, &*resolution, nullptr, nullptr);
  if (!r) return r.error();
  inst->exports_ = HostFacing(*r);
  return inst;
}

bool Instance::poisoned() const { return *state_->poisoned; }

Result<void> Instance::DropResource(std::string_view instance, std::string_view resource,
                                    uint32_t handle) {
  const InstanceExports* ex = exports_.get();
  if (!instance.empty()) {
    auto it = exports_->instances.find(instance);
    if (it == exports_->instances.end())
      return LinkError("no exported instance \"" + std::string(instance) + "\"");
    ex = it->second.get();
  }
  auto t = ex->types.find(resource);
  if (t == ex->types.end())
    return LinkError("no exported resource type \"" + std::string(resource) + "\"");
  if (*state_->poisoned)
    return Trap("cannot enter component instance: it is poisoned by an earlier trap");
  const ResourceType& rt = *t->second;
  uint32_t rep = handle;  // host-defined: the host's rep
  if (rt.impl) {
    // Guest-defined: a host handle. Its destructor is guest code: not while the implementing
    // instance is on the call stack (a host function it called); the handle stays valid.
    if (static_cast<const ComponentInstanceRt*>(rt.impl)->on_stack)
      return Invalid("DropResource: host handle " + std::to_string(handle) + " of resource `" +
                     std::string(resource) +
                     "`: cannot enter component instance: it is already on the call stack");
    auto e = state_->host_handles->Take(handle, rt, resource);
    if (!e) return Invalid("DropResource: " + e.error().message);
    rep = e->rep;
  }
  if (!rt.destroy) return {};
  auto r = rt.destroy(rep);
  if (!r && r.error().kind == Error::Kind::kTrap) *state_->poisoned = true;
  return r;
}

Result<ComponentFuncPtr> Instance::GetFunc(std::string_view instance, std::string_view name) const {
  auto it = exports_->instances.find(instance);
  if (it == exports_->instances.end())
    return LinkError("no exported instance \"" + std::string(instance) + "\"");
  auto f = it->second->funcs.find(name);
  if (f == it->second->funcs.end())
    return LinkError("instance \"" + std::string(instance) + "\" exports no function \"" +
                     std::string(name) + "\"");
  return f->second;
}

Result<ComponentFuncPtr> Instance::GetFunc(std::string_view name) const {
  auto f = exports_->funcs.find(name);
  if (f == exports_->funcs.end())
    return LinkError("no exported function \"" + std::string(name) + "\"");
  return f->second;
}

}  // namespace lokust::component
