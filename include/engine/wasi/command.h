// Running a wasi:cli/command component: instantiate it with the WASI host over a WasiCtx and
// call wasi:cli/run#run, the way `wasmtime run` and `jco run` do.
//
//   auto ctx = wasi::WasiCtxBuilder().Preopen(".", "/").Args({"prog"}).InheritStdio().Build();
//   auto r = wasi::RunCommand(bytes, **ctx);   // r->exit_code: 0 on ok, 1 on err/trap
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "engine/core/limits.h"
#include "engine/core/result.h"
#include "engine/wasi/ctx.h"

namespace lokust::wasi {

struct CommandOutcome {
  // run returned ok: 0; returned err: 1; wasi:cli/exit: its status; a trap: 1.
  int exit_code = 0;
  std::string trap;  // the trap's message, when the guest trapped (not through exit)
  core::Limit limit = core::Limit::kNone;  // the budget that raised that trap, if one did
};

// What the command may use. Past a budget the guest traps ("fuel exhausted", "deadline
// exceeded"): exit code 1, the trap's message in CommandOutcome::trap, the budget in
// CommandOutcome::limit. The timeout also bounds the guest's waits in the host (sleeping,
// poll, a blocking read of a host fd such as stdin: WasiCtx::SetWaitDeadline); fuel counts
// only guest code. A write to a host fd that blocks (a full pipe) is not interrupted.
struct CommandOptions {
  core::Limits limits;
  std::optional<uint64_t> fuel;                     // for instantiation and run together
  std::optional<std::chrono::nanoseconds> timeout;  // wall time, from instantiation on
};

// Errors (a string naming the cause) are for components that cannot run at all: not a
// component, invalid, an import the host does not define, no wasi:cli/run export.
Expected<CommandOutcome, std::string> RunCommand(std::span<const uint8_t> component_bytes,
                                                 WasiCtx& ctx, const CommandOptions& options = {});

}  // namespace lokust::wasi
