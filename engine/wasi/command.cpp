// RunCommand: see command.h.
#include "engine/wasi/command.h"

#include "engine/component/decoder.h"
#include "engine/component/instance.h"
#include "engine/component/validator.h"
#include "engine/core/module.h"
#include "engine/core/store.h"
#include "engine/wasi/linker.h"

namespace lokust::wasi {

namespace c = lokust::component;

Expected<CommandOutcome, std::string> RunCommand(std::span<const uint8_t> component_bytes,
                                                 WasiCtx& ctx, const CommandOptions& options) {
  auto ast = c::DecodeComponent(component_bytes);
  if (!ast) return "not a valid component: " + ast.error().ToString();
  c::ValidateOptions vopt;
  vopt.validate_core_module = [](std::span<const uint8_t> m) -> c::Result<void> {
    auto r = core::Module::Compile(m);
    if (!r) return c::Invalid("core module: " + r.error().message);
    return {};
  };
  auto info = c::ValidateComponent(**ast, vopt);
  if (!info) return "invalid component: " + info.error().ToString();

  c::Linker linker;
  if (auto r = AddWasiToLinker(linker, ctx); !r) return "wasi: " + r.error().message;
  core::Store store(options.limits);
  if (options.fuel) store.SetFuel(*options.fuel);
  // The timeout holds in the host's waits too (poll, sleeping, reading stdin): the context's
  // wait deadline is the same instant, and is put back when the run ends.
  struct RestoreWait {
    WasiCtx& ctx;
    std::optional<uint64_t> before = ctx.wait_deadline();
    ~RestoreWait() { ctx.SetWaitDeadline(before); }
  } restore_wait{ctx};
  if (options.timeout) {
    store.SetDeadline(std::chrono::steady_clock::now() + *options.timeout);
    const auto ns = static_cast<uint64_t>(std::max<int64_t>(0, options.timeout->count()));
    const uint64_t now = WasiCtx::MonotonicNow();
    ctx.SetWaitDeadline(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
  }
  auto inst = c::Instance::Instantiate(store, **ast, **info, linker);
  CommandOutcome out;
  if (!inst) {
    if (inst.error().kind != c::Error::Kind::kTrap) return inst.error().ToString();
    // A trap while instantiating (a start function, or exit before run) still ends the run.
    out.exit_code = ctx.exit_code.value_or(1);
    if (!ctx.exit_code) {
      out.trap = inst.error().message;
      out.limit = inst.error().limit;
    }
    return out;
  }
  // The export is named with whichever 0.2.x version the component was built against.
  std::string run_iface;
  for (const auto& [name, _] : (*inst)->exports().instances) {
    if (name.rfind("wasi:cli/run@0.2.", 0) == 0) run_iface = name;
  }
  if (run_iface.empty()) return std::string("the component exports no wasi:cli/run@0.2.x");
  auto run = (*inst)->GetFunc(run_iface, "run");
  if (!run) return run_iface + ": " + run.error().message;
  auto result = (*run)->Call({});
  if (!result) {
    if (ctx.exit_code) {
      out.exit_code = *ctx.exit_code;
    } else {
      out.exit_code = 1;
      out.trap = result.error().message;
      out.limit = result.error().limit;
    }
    return out;
  }
  out.exit_code = (!result->empty() && (*result)[0].is_ok()) ? 0 : 1;
  return out;
}

}  // namespace lokust::wasi
