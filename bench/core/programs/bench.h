/* Shared helpers for the core benchmark programs.
 * The programs are freestanding (no libc): compiled with
 *   clang-22 --target=wasm32 -nostdlib -O2 -Wl,--no-entry -Wl,--export=run
 * Each exports `run`, which does all the work, self-checks it and returns a
 * checksum (or a distinctive negative error value when a self-check fails). */
#ifndef LOKUST_BENCH_CORE_H
#define LOKUST_BENCH_CORE_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;
typedef __SIZE_TYPE__ usize;

/* Without bulk memory (e.g. -mcpu=mvp), clang lowers struct copies and
 * zeroing loops to calls to memcpy/memset, which must then be defined here
 * (no_builtin keeps these bodies from being turned back into such calls). With
 * bulk memory (clang's default) they become memory.copy/memory.fill instead. */
#ifndef __wasm_bulk_memory_opt__
__attribute__((no_builtin)) void* memset(void* dst, int c, usize n) {
  u8* d = (u8*)dst;
  while (n--) *d++ = (u8)c;
  return dst;
}
__attribute__((no_builtin)) void* memcpy(void* dst, const void* src, usize n) {
  u8* d = (u8*)dst;
  const u8* s = (const u8*)src;
  while (n--) *d++ = *s++;
  return dst;
}
#endif

#define EXPORT(name) __attribute__((export_name(name)))

/* Deterministic PRNG (xorshift64*), seeded per program. */
typedef struct {
  u64 s;
} rng_t;

static inline u64 rng_next(rng_t* r) {
  u64 x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static inline u32 rng_u32(rng_t* r) { return (u32)(rng_next(r) >> 32); }

/* Uniform double in [0, 1). */
static inline double rng_f64(rng_t* r) {
  return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* FNV-1a style mixing for checksums. */
static inline u32 mix32(u32 h, u32 v) {
  h ^= v;
  h *= 16777619u;
  return h;
}

#endif
