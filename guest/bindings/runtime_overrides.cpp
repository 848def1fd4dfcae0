// What the guest replaces in its C and C++ runtimes, to import nothing beyond the seed's
// world and to stay small.
#include <cstdint>
#include <cstdlib>
#include <new>

// wasi-libc still links three wasi_snapshot_preview1 functions (fd_write, fd_seek, fd_close:
// stdio's flush-at-exit path), although the guest never does I/O. The seed's world imports
// no filesystem or stdio, so instead of an adapter that would add wasi:io, wasi:cli and
// wasi:filesystem imports, the guest defines the symbols wasi-libc imports them through:
// wasm-ld then resolves them here and the core module imports nothing from preview1.
// Every stdio descriptor is a closed one.
namespace {
constexpr int32_t kErrnoBadf = 8;  // __WASI_ERRNO_BADF
}

extern "C" {
int32_t __imported_wasi_snapshot_preview1_fd_write(int32_t, int32_t, int32_t, int32_t) {
  return kErrnoBadf;
}
int32_t __imported_wasi_snapshot_preview1_fd_seek(int32_t, int64_t, int32_t, int32_t) {
  return kErrnoBadf;
}
int32_t __imported_wasi_snapshot_preview1_fd_close(int32_t) { return kErrnoBadf; }
}

// Running out of memory, or a violated libc++ precondition, ends in a trap: the host reports
// it and marks the instance poisoned. libc++abi's operator new and libc++'s verbose abort
// would instead format a message with printf for a stderr the guest does not have (10 KB).
[[noreturn]] static void out_of_memory() { __builtin_trap(); }

void* operator new(size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) out_of_memory();
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace std {
inline namespace __2 {
[[noreturn]] void __libcpp_verbose_abort(char const*, ...) noexcept { out_of_memory(); }
}  // namespace __2
}  // namespace std
