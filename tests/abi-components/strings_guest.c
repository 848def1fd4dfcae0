// The strings world (wit/abi-test.wit) with a non-UTF-8 string encoding: compiled with
// -DLATIN1_UTF16 for string-encoding=latin1+utf16, without it for string-encoding=utf16.
// utf16: (ptr, code units), 2-aligned. latin1+utf16: (ptr, tagged length): bit 31 set means
// UTF-16 code units, clear means Latin-1 bytes. The guest computes in UTF-16 and, under
// latin1+utf16, answers in Latin-1 whenever every code unit fits in a byte.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_preview1_stubs.h"

#define EXPORT(name) __attribute__((export_name(name)))
#define HOST_IMPORT(name) __attribute__((import_module("lokust:abi-test/str-host"), import_name(name)))
#define GUEST(f) "lokust:abi-test/str-guest#" f

EXPORT("cabi_realloc")
void* cabi_realloc(void* ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void*)align;
  void* p = realloc(ptr, new_size);
  if (!p) __builtin_trap();
  return p;
}

// Results live until the next export call (no post-return needed for these few bytes).
static void* arena[1024];
static size_t arena_len;
static void* arena_alloc(size_t n) {
  void* p = malloc(n ? n : 1);
  if (!p || arena_len == sizeof arena / sizeof arena[0]) __builtin_trap();
  arena[arena_len++] = p;
  return p;
}
static void arena_release(void) {
  while (arena_len) free(arena[--arena_len]);
}

typedef struct {
  void* ptr;
  uint32_t len;  // latin1+utf16: tagged
} str_t;
typedef struct {
  uint16_t* units;
  uint32_t n;
} u16s;

#ifdef LATIN1_UTF16
#define UTF16_TAG 0x80000000u
#else
#define UTF16_TAG 0u
#endif

// A received string as UTF-16 code units (in the arena); frees the sender's copy.
static u16s take(str_t s) {
  u16s r;
#ifdef LATIN1_UTF16
  if (!(s.len & UTF16_TAG)) {
    r.n = s.len;
    r.units = arena_alloc(2 * r.n);
    for (uint32_t i = 0; i < r.n; ++i) r.units[i] = ((uint8_t*)s.ptr)[i];
    if (s.len) free(s.ptr);
    return r;
  }
#endif
  r.n = s.len & ~UTF16_TAG;
  r.units = arena_alloc(2 * r.n);
  memcpy(r.units, s.ptr, 2 * r.n);
  if (r.n) free(s.ptr);
  return r;
}

// UTF-16 code units -> a string to send (in the arena): Latin-1 when it fits and allowed.
static str_t give(u16s u) {
#ifdef LATIN1_UTF16
  int latin1 = 1;
  for (uint32_t i = 0; i < u.n; ++i) latin1 = latin1 && u.units[i] < 256;
  if (latin1) {
    uint8_t* b = arena_alloc(u.n);
    for (uint32_t i = 0; i < u.n; ++i) b[i] = (uint8_t)u.units[i];
    return (str_t){b, u.n};
  }
#endif
  return (str_t){u.units, u.n | UTF16_TAG};
}

static u16s concat(u16s a, const char* mid, u16s b) {
  size_t m = strlen(mid);
  u16s r = {arena_alloc(2 * (a.n + m + b.n)), a.n + (uint32_t)m + b.n};
  memcpy(r.units, a.units, 2 * a.n);
  for (size_t i = 0; i < m; ++i) r.units[a.n + i] = (uint8_t)mid[i];
  memcpy(r.units + a.n + m, b.units, 2 * b.n);
  return r;
}

HOST_IMPORT("reverse") void host_reverse(void* p, uint32_t len, str_t* ret);
HOST_IMPORT("join") void host_join(str_t* l, uint32_t n, void* sep, uint32_t sep_len, str_t* ret);

EXPORT(GUEST("mix")) str_t* g_mix(void* p, uint32_t len) {
  arena_release();
  u16s s = take((str_t){p, len});
  str_t out = give(s);  // sent back to the host in this call's encoding
  str_t rev;
  host_reverse(out.ptr, out.len, &rev);
  str_t* r = arena_alloc(sizeof *r);
  *r = give(concat(s, "|", take(rev)));
  return r;
}

EXPORT(GUEST("lists")) str_t* g_lists(str_t* l, uint32_t n) {
  arena_release();
  str_t* items = arena_alloc(sizeof(str_t) * (n + 1));
  for (uint32_t i = 0; i < n; ++i) items[n - i] = give(take(l[i]));
  if (n) free(l);
  u16s plus = {arena_alloc(2), 1};
  plus.units[0] = '+';
  str_t sep = give(plus);
  // join gets the list in its original order: items[n..1] reversed back.
  str_t* orig = arena_alloc(sizeof(str_t) * (n ? n : 1));
  for (uint32_t i = 0; i < n; ++i) orig[i] = items[n - i];
  str_t joined;
  host_join(orig, n, sep.ptr, sep.len, &joined);
  items[0] = give(take(joined));
  str_t* r = arena_alloc(sizeof *r);
  *r = (str_t){items, n + 1};
  return r;
}

static str_t ascii(const char* s) {
  u16s u = {arena_alloc(2 * strlen(s)), (uint32_t)strlen(s)};
  for (uint32_t i = 0; i < u.n; ++i) u.units[i] = (uint8_t)s[i];
  return give(u);
}

EXPORT(GUEST("encoding-of")) str_t* g_encoding_of(void* p, uint32_t len) {
  arena_release();
  char buf[32] = "utf16:";
  uint32_t n = len & ~UTF16_TAG;
#ifdef LATIN1_UTF16
  if (!(len & UTF16_TAG)) memcpy(buf, "latin1:", 8);
#endif
  char digits[11];
  int k = 0;
  do digits[k++] = (char)('0' + n % 10), n /= 10;
  while (n);
  size_t at = strlen(buf);
  while (k) buf[at++] = digits[--k];
  buf[at] = 0;
  if ((len & ~UTF16_TAG) != 0) free(p);
  str_t* r = arena_alloc(sizeof *r);
  *r = ascii(buf);
  return r;
}

static uint16_t fault_units[8] __attribute__((aligned(4)));
static str_t fault_str;
EXPORT(GUEST("bad-utf16")) str_t* g_bad_utf16(void) {
  fault_units[0] = 'o';
  fault_units[1] = 0xd800;  // a high surrogate followed by a non-surrogate
  fault_units[2] = 'k';
  fault_str = (str_t){fault_units, 3 | UTF16_TAG};
  return &fault_str;
}
EXPORT(GUEST("misaligned-utf16")) str_t* g_misaligned_utf16(void) {
  fault_str = (str_t){(uint8_t*)fault_units + 1, 2 | UTF16_TAG};
  return &fault_str;
}
