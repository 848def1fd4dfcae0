// For the C test guests built for wasm32-wasi without the preview1 adapter (abi_guest.c,
// strings_guest.c, hostile_guest.c): wasi-libc links three preview1 functions on stdio's
// flush-at-exit path. These guests have no stdio, so they define them (every descriptor is
// closed) and the component imports nothing of wasi_snapshot_preview1. Include once, in the
// guest's one C file.
#pragma once

#include <stdint.h>

int32_t __imported_wasi_snapshot_preview1_fd_write(int32_t a, int32_t b, int32_t c, int32_t d) {
  (void)a, (void)b, (void)c, (void)d;
  return 8;  // __WASI_ERRNO_BADF
}
int32_t __imported_wasi_snapshot_preview1_fd_seek(int32_t a, int64_t b, int32_t c, int32_t d) {
  (void)a, (void)b, (void)c, (void)d;
  return 8;
}
int32_t __imported_wasi_snapshot_preview1_fd_close(int32_t a) {
  (void)a;
  return 8;
}
