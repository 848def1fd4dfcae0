// The session VM component compiled once per test process, shared by the tests of this folder
// (each instantiates it in microseconds). Needs LOKUST_SESSION_GUEST_WASM.
#pragma once

#include <memory>
#include <stdexcept>

#include "host/session_vm/session_vm.h"

#ifndef LOKUST_SESSION_GUEST_WASM
#error "LOKUST_SESSION_GUEST_WASM must name build/guest/session_guest.wasm"
#endif

namespace lokust::testing {

inline std::shared_ptr<const host::session_vm::CompiledComponent> CompiledGuest() {
  static const auto compiled = [] {
    auto c = host::session_vm::SessionVm::Compile(LOKUST_SESSION_GUEST_WASM);
    if (!c) throw std::runtime_error(c.error());
    return c.value();
  }();
  return compiled;
}

}  // namespace lokust::testing
