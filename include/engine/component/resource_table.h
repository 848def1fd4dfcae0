// Resource handles (CanonicalABI.md "Handles", definitions.py `Table`, `ResourceHandle`,
// `lift_own`, `lift_borrow`, `lower_own`, `lower_borrow`, `canon_resource_new`,
// `canon_resource_drop`, `canon_resource_rep`): the per-component-instance handle table and
// the borrow bookkeeping of a call. Pure data structures: destructors are returned to the
// caller to run (calling core wasm is instantiation's job).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/component/canonical_abi.h"
#include "engine/component/result.h"
#include "engine/component/types.h"

namespace lokust::component {

class HandleTable;

// The borrow bookkeeping of one call (definitions.py's Task / Subtask): borrows lent into an
// export call must be dropped before it returns; owned handles lent out by an import call
// cannot be dropped until it returns.
struct CallScope {
  uint32_t borrow_count = 0;                               // borrows created for the callee
  std::vector<std::pair<HandleTable*, uint32_t>> lenders;  // owned handles lent to the callee

  // Ends the call: un-lends what was lent; traps if borrows handed to this call are still
  // live (definitions.py: `trap_if(self.borrow_count != 0)` on exit).
  Result<void> exit();
};

struct ResourceHandle {
  const ResourceType* rt = nullptr;  // compared by root (SameResource)
  uint32_t rep = 0;
  bool own = false;
  CallScope* borrow_scope = nullptr;  // borrows: the call they were lent to
  uint32_t num_lends = 0;             // owns: borrows of it currently lent out
};

class HandleTable {
 public:
  static constexpr uint32_t MAX_LENGTH = 1u << 28;

  HandleTable();
  // definitions.py Table.add / get / remove; index 0 is never handed out.
  Result<uint32_t> add(const ResourceHandle& h);
  Result<ResourceHandle*> get(uint32_t i);
  Result<ResourceHandle> remove(uint32_t i);
  size_t live() const;
  // Clears `scope` from the borrows that still name it (a call that trapped, or returned with
  // borrows left, leaves them behind; the scope object is gone after the call).
  void ForgetScope(const CallScope* scope);

 private:
  std::vector<std::optional<ResourceHandle>> array_;
  std::vector<uint32_t> free_;
};

// The own handles of guest-defined resources the host holds (wasmtime's ResourceAny): an own
// lifted out of a component to the host gets an entry here, and the host sees its handle, not
// the guest's rep, so a handle the host dropped or moved (or made up) is refused instead of
// reaching the guest's destructor or methods with a dangling rep. A handle is a slot index (low
// kIndexBits) and the slot's generation (high bits, never 0, so 0 and small numbers are never
// handles); a freed slot is reused as late as possible (FIFO) and with the next generation, so a
// stale handle is detected until its slot has been reused 2^(32 - kIndexBits) - 1 times.
class HostResourceTable {
 public:
  static constexpr uint32_t kIndexBits = 20;
  static constexpr uint32_t kMaxLive = 1u << kIndexBits;

  struct Entry {
    const ResourceType* rt = nullptr;  // the runtime resource type (compared by root)
    uint32_t rep = 0;
  };

  // A new handle for `rep`; an Error (trap) when kMaxLive handles are live.
  Result<uint32_t> Insert(const ResourceType* rt, uint32_t rep);
  // The live entry `handle` names, of resource type `rt`; otherwise an Error{kInvalid} naming
  // the handle and the resource `name` (unknown, stale: dropped or moved, or of another
  // resource).
  Result<Entry> Get(uint32_t handle, const ResourceType& rt, std::string_view name) const;
  // Get, then frees the slot (the handle is stale from now on).
  Result<Entry> Take(uint32_t handle, const ResourceType& rt, std::string_view name);
  size_t live() const { return live_; }

 private:
  struct Slot {
    uint32_t generation = 0;
    bool live = false;
    Entry entry;
  };
  std::vector<Slot> slots_;
  std::deque<uint32_t> free_;  // freed slots, oldest first
  size_t live_ = 0;
};

// lift_own / lift_borrow / lower_own / lower_borrow for one side of a call.
Result<uint32_t> lift_own(HandleTable& table, const ResourceType& rt, uint32_t i);
Result<uint32_t> lift_borrow(HandleTable& table, const ResourceType& rt, uint32_t i,
                             CallScope* caller_scope);
Result<uint32_t> lower_own(HandleTable& table, const ResourceType& rt, uint32_t rep);
// `is_own_instance`: the borrowed resource's type is implemented by the instance receiving the
// borrow, which then gets the rep itself (definitions.py: `if cx.inst is t.rt.impl`).
Result<uint32_t> lower_borrow(HandleTable& table, const ResourceType& rt, uint32_t rep,
                              CallScope* callee_scope, bool is_own_instance);

// canon resource.new / resource.rep / resource.drop.
Result<uint32_t> canon_resource_new(HandleTable& table, const ResourceType& rt, uint32_t rep);
Result<uint32_t> canon_resource_rep(HandleTable& table, const ResourceType& rt, uint32_t i);
// Returns the rep to destroy when an owned handle was dropped (the caller runs rt's dtor),
// nothing for a borrow.
Result<std::optional<uint32_t>> canon_resource_drop(HandleTable& table, const ResourceType& rt,
                                                    uint32_t i);

// HandleTables for load/store/lift_flat/lower_flat over one table and call scope.
class InstanceHandles : public HandleTables {
 public:
  InstanceHandles(HandleTable& table, CallScope* scope) : table_(table), scope_(scope) {}
  Result<uint32_t> lift_own(const ResourceType& rt, uint32_t i) override;
  Result<uint32_t> lift_borrow(const ResourceType& rt, uint32_t i) override;
  Result<uint32_t> lower_own(const ResourceType& rt, uint32_t rep) override;
  Result<uint32_t> lower_borrow(const ResourceType& rt, uint32_t rep) override;

 private:
  HandleTable& table_;
  CallScope* scope_;
};

}  // namespace lokust::component
