// wasi-libc still links three wasi_snapshot_preview1 functions (fd_write, fd_seek, fd_close:
// stdio's flush-at-exit path), although the guest never does I/O. The seed's world imports
// no filesystem or stdio, so instead of an adapter that would add wasi:io, wasi:cli and
// wasi:filesystem imports, the guest defines the symbols wasi-libc imports them through:
// wasm-ld then resolves them here and the core module imports nothing from preview1.
// Every stdio descriptor is a closed one.
#include <cstdint>

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
