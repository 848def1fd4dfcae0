// The WASI 0.2 binding layer: defines wasi:io, wasi:clocks, wasi:random, wasi:cli and
// wasi:filesystem on a component::Linker, over one WasiCtx (one per component instance).
//
//   auto ctx = wasi::WasiCtxBuilder().Preopen("data", "/data").InheritStdio().Build();
//   component::Linker linker;
//   wasi::AddWasiToLinker(linker, **ctx);
//   auto inst = component::Instance::Instantiate(store, ast, *info, linker);
//
// Interfaces are defined at @0.2.12; the linker matches the 0.2.x versions components name.
// wasi:sockets and wasi:http are not defined, so a component importing them fails to link with
// an error naming the import. Host resources carry WasiCtx table reps (see ctx.h); dropping a
// handle frees its rep.
#pragma once

#include <string_view>

#include "engine/component/linker.h"
#include "engine/component/result.h"
#include "engine/wasi/ctx.h"

namespace lokust::wasi {

inline constexpr std::string_view kWasiVersion = "0.2.12";

// `ctx` must outlive every instance linked with `linker`.
component::Result<void> AddWasiToLinker(component::Linker& linker, WasiCtx& ctx);

// wasi:cli/exit unwinds the guest with a trap whose message starts with this; the exit code is
// then in ctx.exit_code.
inline constexpr std::string_view kExitTrapPrefix = "wasi:cli/exit: ";

}  // namespace lokust::wasi
