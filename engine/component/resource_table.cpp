// Resource handles: see resource_table.h. Follows definitions.py's Table and handle
// functions; trap messages follow the reference tests' wording.
#include "engine/component/resource_table.h"

namespace lokust::component {
namespace {

std::string Describe(const ResourceType* rt) {
  const ResourceType* root = ResourceRoot(rt);
  return root && root->local ? "guest-defined resource" : "host-defined resource";
}

Result<ResourceHandle*> GetTyped(HandleTable& table, const ResourceType& rt, uint32_t i) {
  auto h = table.get(i);
  if (!h) return h.error();
  if (!SameResource((*h)->rt, &rt)) {
    std::string want = Describe(&rt), found = Describe((*h)->rt);
    return Trap("handle index " + std::to_string(i) + " used with the wrong type, expected " +
                want + " but found a different " + found);
  }
  return *h;
}

}  // namespace

Result<void> CallScope::exit() {
  for (auto& [table, i] : lenders) {
    auto h = table->get(i);
    if (h && (*h)->num_lends > 0) --(*h)->num_lends;
  }
  lenders.clear();
  if (borrow_count != 0) return Trap("borrow handles still remain at the end of the call");
  return {};
}

HandleTable::HandleTable() : array_(1) {}  // index 0 is reserved

Result<uint32_t> HandleTable::add(const ResourceHandle& h) {
  if (!free_.empty()) {
    uint32_t i = free_.back();
    free_.pop_back();
    array_[i] = h;
    return i;
  }
  uint32_t i = static_cast<uint32_t>(array_.size());
  if (i >= MAX_LENGTH) return Trap("handle table is full");
  array_.push_back(h);
  return i;
}

Result<ResourceHandle*> HandleTable::get(uint32_t i) {
  if (i >= array_.size() || !array_[i]) return Trap("unknown handle index " + std::to_string(i));
  return &*array_[i];
}

Result<ResourceHandle> HandleTable::remove(uint32_t i) {
  auto h = get(i);
  if (!h) return h.error();
  ResourceHandle out = **h;
  array_[i].reset();
  free_.push_back(i);
  return out;
}

size_t HandleTable::live() const {
  size_t n = 0;
  for (auto& e : array_) n += e.has_value();
  return n;
}

void HandleTable::ForgetScope(const CallScope* scope) {
  for (auto& e : array_)
    if (e && e->borrow_scope == scope) e->borrow_scope = nullptr;
}

Result<uint32_t> lift_own(HandleTable& table, const ResourceType& rt, uint32_t i) {
  auto h = GetTyped(table, rt, i);
  if (!h) return h.error();
  if ((*h)->num_lends != 0) return Trap("cannot remove owned resource while borrowed");
  if (!(*h)->own) return Trap("cannot lift an owned handle from a borrowed handle");
  auto removed = table.remove(i);
  if (!removed) return removed.error();
  return removed->rep;
}

Result<uint32_t> lift_borrow(HandleTable& table, const ResourceType& rt, uint32_t i,
                             CallScope* caller_scope) {
  auto h = GetTyped(table, rt, i);
  if (!h) return h.error();
  if ((*h)->own && caller_scope) {
    // track_owning_lend
    ++(*h)->num_lends;
    caller_scope->lenders.emplace_back(&table, i);
  }
  return (*h)->rep;
}

Result<uint32_t> lower_own(HandleTable& table, const ResourceType& rt, uint32_t rep) {
  ResourceHandle h;
  h.rt = &rt;
  h.rep = rep;
  h.own = true;
  return table.add(h);
}

Result<uint32_t> lower_borrow(HandleTable& table, const ResourceType& rt, uint32_t rep,
                              CallScope* callee_scope, bool is_own_instance) {
  if (is_own_instance) return rep;
  ResourceHandle h;
  h.rt = &rt;
  h.rep = rep;
  h.own = false;
  h.borrow_scope = callee_scope;
  if (callee_scope) ++callee_scope->borrow_count;
  return table.add(h);
}

Result<uint32_t> canon_resource_new(HandleTable& table, const ResourceType& rt, uint32_t rep) {
  return lower_own(table, rt, rep);
}

Result<uint32_t> canon_resource_rep(HandleTable& table, const ResourceType& rt, uint32_t i) {
  auto h = GetTyped(table, rt, i);
  if (!h) return h.error();
  return (*h)->rep;
}

Result<std::optional<uint32_t>> canon_resource_drop(HandleTable& table, const ResourceType& rt,
                                                    uint32_t i) {
  auto h = GetTyped(table, rt, i);
  if (!h) return h.error();
  if ((*h)->own && (*h)->num_lends != 0) return Trap("cannot remove owned resource while borrowed");
  auto removed = table.remove(i);
  if (!removed) return removed.error();
  if (removed->own) return std::optional<uint32_t>(removed->rep);
  if (removed->borrow_scope && removed->borrow_scope->borrow_count > 0)
    --removed->borrow_scope->borrow_count;
  return std::optional<uint32_t>();
}

Result<uint32_t> InstanceHandles::lift_own(const ResourceType& rt, uint32_t i) {
  return component::lift_own(table_, rt, i);
}
Result<uint32_t> InstanceHandles::lift_borrow(const ResourceType& rt, uint32_t i) {
  return component::lift_borrow(table_, rt, i, scope_);
}
Result<uint32_t> InstanceHandles::lower_own(const ResourceType& rt, uint32_t rep) {
  return component::lower_own(table_, rt, rep);
}
Result<uint32_t> InstanceHandles::lower_borrow(const ResourceType& rt, uint32_t rep) {
  return component::lower_borrow(table_, rt, rep, scope_, false);
}

// ---- HostResourceTable ----

namespace {

constexpr uint32_t kIndexMask = HostResourceTable::kMaxLive - 1;
constexpr uint32_t kMaxGeneration = (1u << (32 - HostResourceTable::kIndexBits)) - 1;

std::string HostHandleName(uint32_t handle, std::string_view name) {
  return "host handle " + std::to_string(handle) + " of resource `" + std::string(name) + "`";
}

}  // namespace

Result<uint32_t> HostResourceTable::Insert(const ResourceType* rt, uint32_t rep) {
  uint32_t i;
  if (!free_.empty()) {
    i = free_.front();
    free_.pop_front();
  } else {
    if (slots_.size() >= kMaxLive)
      return Trap("the host holds too many handles of guest resources (" +
                  std::to_string(kMaxLive) + ")");
    i = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[i];
  s.generation = s.generation == kMaxGeneration ? 1 : s.generation + 1;
  s.live = true;
  s.entry = Entry{rt, rep};
  ++live_;
  return (s.generation << kIndexBits) | i;
}

Result<HostResourceTable::Entry> HostResourceTable::Get(uint32_t handle, const ResourceType& rt,
                                                        std::string_view name) const {
  uint32_t i = handle & kIndexMask, generation = handle >> kIndexBits;
  if (generation == 0 || i >= slots_.size() || slots_[i].generation < generation)
    return Invalid("unknown " + HostHandleName(handle, name) + " (never given to the host)");
  const Slot& s = slots_[i];
  if (!s.live || s.generation != generation)
    return Invalid("stale " + HostHandleName(handle, name) + " (already dropped or moved)");
  if (!SameResource(s.entry.rt, &rt))
    return Invalid(HostHandleName(handle, name) + " is a handle of another resource" +
                   (ResourceRoot(s.entry.rt)->name.empty()
                        ? std::string()
                        : " (`" + ResourceRoot(s.entry.rt)->name + "`)"));
  return s.entry;
}

Result<HostResourceTable::Entry> HostResourceTable::Take(uint32_t handle, const ResourceType& rt,
                                                         std::string_view name) {
  auto e = Get(handle, rt, name);
  if (!e) return e;
  uint32_t i = handle & kIndexMask;
  slots_[i].live = false;
  free_.push_back(i);
  --live_;
  return e;
}

}  // namespace lokust::component
