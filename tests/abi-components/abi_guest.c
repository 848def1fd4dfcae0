// The ABI test guest (world lokust:abi-test/abi-test, wit/abi-test.wit): hand-written
// canonical-ABI bindings in C, as there is no wit-bindgen here. Every export of guest-fns
// calls the matching import of host-fns and combines both results (README.md gives the
// semantics); faults breaks the ABI on purpose. Built with clang-22 for wasm32-wasi and made a
// component by componentize.mjs.
//
// Memory: the host allocates export arguments and import results with cabi_realloc (plain
// realloc); the guest frees them once used. Export results are allocated in a per-call
// arena (arena_alloc) that the post-return function of every export releases.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_preview1_stubs.h"

#define EXPORT(name) __attribute__((export_name(name)))
#define HOST_IMPORT(name) __attribute__((import_module("lokust:abi-test/host-fns"), import_name(name)))
#define ACC_INTRINSIC(name) \
  __attribute__((import_module("[export]lokust:abi-test/guest-fns"), import_name(name)))
#define GUEST(f) "lokust:abi-test/guest-fns#" f
#define FAULT(f) "lokust:abi-test/faults#" f
#define POST(f) "cabi_post_lokust:abi-test/guest-fns#" f


// --- memory
static int realloc_mode;  // faults.set-realloc: 1 misaligned, 2 out of bounds

EXPORT("cabi_realloc")
void* cabi_realloc(void* ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size, (void)align;  // malloc's alignment (16) covers every canonical ABI type
  if (realloc_mode == 1) return (char*)malloc(new_size + 8) + 1;
  if (realloc_mode == 2) return (void*)(uintptr_t)0xffffff00u;
  if (new_size == 0) return (void*)align;  // never dereferenced
  void* p = realloc(ptr, new_size);
  if (!p) __builtin_trap();
  return p;
}

static void* arena[4096];
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
// Memory handed over by the other side: freed once read (empty ones need not be allocations).
static void release(const void* p, uint32_t len) {
  if (len) free((void*)p);
}

// --- canonical ABI layouts (wasm32: C's natural alignment is the ABI's)
typedef struct {
  char* ptr;
  uint32_t len;
} str_t;
typedef struct {
  void* ptr;
  uint32_t len;
} list_t;
typedef struct {
  int32_t x, y;
} point_t;
typedef struct {
  uint8_t is_some;
  double value;
} opt_f64_t;
typedef struct {
  str_t name;
  uint8_t age;
  list_t tags;  // list<string>
  opt_f64_t score;
  point_t pos;
} person_t;
enum { SHAPE_EMPTY, SHAPE_CIRCLE, SHAPE_RECT, SHAPE_LABEL, SHAPE_BIG };
typedef struct {
  uint8_t tag;
  union {
    float circle;
    point_t rect;
    str_t label;
    uint64_t big;
  } u;
} shape_t;
enum { NUM_I, NUM_F, NUM_S, NUM_U };
typedef struct {
  uint8_t tag;
  union {
    int64_t i;
    double f;
    float s;
    uint8_t u;
  } u;
} num_t;
typedef struct {
  bool a;
  int8_t b;
  uint8_t c;
  int16_t d;
  uint16_t e;
  int32_t f;
  uint32_t g;
  int64_t h;
  uint64_t i;
  float j;
  double k;
  uint32_t l;
} scalars_t;
typedef struct {
  uint8_t is_some;
  uint32_t value;
} opt_u32_t;
typedef struct {
  uint8_t is_some;
  str_t value;
} opt_str_t;
typedef struct {
  uint8_t is_err;
  union {
    uint32_t ok;
    str_t err;
  } u;
} res_u32_str_t;
typedef struct {
  uint8_t small;
  uint16_t medium;
  uint32_t big;
} flags3_t;
typedef struct {
  uint8_t a;
  int16_t b;
  uint32_t c;
  int64_t d;
  float e;
  double f;
  str_t g;
  list_t h;
  uint64_t i;
  uint32_t j;
  bool k;
  int8_t l;
  uint16_t m;
  int32_t n;
  str_t o;
  uint64_t p;
} many_t;
_Static_assert(sizeof(person_t) == 48 && offsetof(person_t, score) == 24 &&
                   offsetof(person_t, pos) == 40, "person layout");
_Static_assert(sizeof(num_t) == 16 && offsetof(num_t, u) == 8, "num layout");
_Static_assert(sizeof(shape_t) == 16 && offsetof(shape_t, u) == 8, "shape layout");
_Static_assert(sizeof(scalars_t) == 56 && offsetof(scalars_t, l) == 48, "scalars layout");
_Static_assert(sizeof(flags3_t) == 8 && offsetof(flags3_t, big) == 4, "flags layout");
_Static_assert(sizeof(many_t) == 88 && offsetof(many_t, o) == 68 && offsetof(many_t, p) == 80,
               "many layout");
_Static_assert(sizeof(res_u32_str_t) == 12, "result layout");

// --- imports (host-fns)
HOST_IMPORT("[constructor]blob") int32_t host_blob_new(const uint8_t* p, uint32_t n);
HOST_IMPORT("[method]blob.size") uint32_t host_blob_size(int32_t self);
HOST_IMPORT("[method]blob.read") void host_blob_read(int32_t self, list_t* ret);
HOST_IMPORT("[static]blob.concat") int32_t host_blob_concat(int32_t a, int32_t b);
HOST_IMPORT("[resource-drop]blob") void host_blob_drop(int32_t handle);
HOST_IMPORT("consume-blob") void host_consume_blob(int32_t b, list_t* ret);
HOST_IMPORT("scalars")
void host_scalars(int32_t a, int32_t b, int32_t c, int32_t d, int32_t e, int32_t f, int32_t g,
                  int64_t h, int64_t i, float j, double k, int32_t l, scalars_t* ret);
HOST_IMPORT("reverse-string") void host_reverse_string(const char* p, uint32_t n, str_t* ret);
HOST_IMPORT("join-strings")
void host_join_strings(const str_t* l, uint32_t n, const char* sep, uint32_t sep_len, str_t* ret);
HOST_IMPORT("bytes-xor") void host_bytes_xor(const uint8_t* p, uint32_t n, int32_t key, list_t* ret);
HOST_IMPORT("transform-person")
void host_transform_person(const char* name, uint32_t name_len, int32_t age, const str_t* tags,
                           uint32_t ntags, int32_t has_score, double score, int32_t x, int32_t y,
                           person_t* ret);
HOST_IMPORT("sum-points") void host_sum_points(const point_t* p, uint32_t n, point_t* ret);
HOST_IMPORT("next-shape") void host_next_shape(int32_t tag, int64_t p0, int32_t p1, shape_t* ret);
HOST_IMPORT("next-color") int32_t host_next_color(int32_t c);
HOST_IMPORT("next-num") void host_next_num(int32_t tag, int64_t payload, num_t* ret);
HOST_IMPORT("maybe-double") void host_maybe_double(int32_t is_some, int32_t v, opt_u32_t* ret);
HOST_IMPORT("check") void host_check(int32_t n, res_u32_str_t* ret);
HOST_IMPORT("regroup")
void host_regroup(int32_t t0, char* t1, uint32_t t1_len, int32_t r_err, int32_t r0, int32_t r1,
                  list_t* ret);
HOST_IMPORT("flip-flags") void host_flip_flags(int32_t s, int32_t m, int32_t b, flags3_t* ret);
HOST_IMPORT("many") void host_many(const many_t* args, void* ret);
HOST_IMPORT("acc-dropped") void host_acc_dropped(const char* p, uint32_t n);

ACC_INTRINSIC("[resource-new]acc") int32_t acc_resource_new(int32_t rep);
ACC_INTRINSIC("[resource-rep]acc") int32_t acc_resource_rep(int32_t handle);
ACC_INTRINSIC("[resource-drop]acc") void acc_resource_drop(int32_t handle);

// --- helpers
static str_t str_concat3(str_t a, const char* mid, str_t b) {
  size_t m = strlen(mid);
  str_t r = {arena_alloc(a.len + m + b.len), a.len + (uint32_t)m + b.len};
  memcpy(r.ptr, a.ptr, a.len);
  memcpy(r.ptr + a.len, mid, m);
  memcpy(r.ptr + a.len + m, b.ptr, b.len);
  return r;
}
static str_t str_copy(const char* p, uint32_t n) {
  str_t r = {arena_alloc(n), n};
  memcpy(r.ptr, p, n);
  return r;
}
static str_t str_dup_release(str_t s) {  // into the arena, freeing the host's copy
  str_t r = str_copy(s.ptr, s.len);
  release(s.ptr, s.len);
  return r;
}
static str_t u32_decimal(uint32_t v) {
  char buf[10];
  int n = 0;
  do buf[n++] = (char)('0' + v % 10), v /= 10;
  while (v);
  str_t r = {arena_alloc((size_t)n), (uint32_t)n};
  for (int i = 0; i < n; ++i) r.ptr[i] = buf[n - 1 - i];
  return r;
}
static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static uint64_t f64_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static double bits_f64(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}

#define DEFINE_POST(sym, name) \
  EXPORT(POST(name)) void post_##sym(void* ret) { (void)ret, arena_release(); }

// --- guest-fns: scalars
EXPORT(GUEST("scalars"))
scalars_t* g_scalars(int32_t a, int32_t b, int32_t c, int32_t d, int32_t e, int32_t f, int32_t g,
                     int64_t h, int64_t i, float j, double k, int32_t l) {
  scalars_t* r = arena_alloc(sizeof *r);
  host_scalars(a, b, c, d, e, f, g, h, i, j, k, l, r);
  r->b = (int8_t)(r->b + b);
  r->c = (uint8_t)(r->c + c);
  r->d = (int16_t)(r->d + d);
  r->e = (uint16_t)(r->e + e);
  r->f = (int32_t)((uint32_t)r->f + (uint32_t)f);
  r->g = r->g + (uint32_t)g;
  r->h = (int64_t)((uint64_t)r->h + (uint64_t)h);
  r->i = r->i + (uint64_t)i;
  r->j = r->j + j;
  r->k = r->k + k;
  return r;
}
DEFINE_POST(scalars, "scalars")

// --- strings
EXPORT(GUEST("strings")) str_t* g_strings(char* p, uint32_t n) {
  str_t rev;
  host_reverse_string(p, n, &rev);
  str_t* r = arena_alloc(sizeof *r);
  *r = str_concat3((str_t){p, n}, "|", rev);
  release(rev.ptr, rev.len);
  release(p, n);
  return r;
}
DEFINE_POST(strings, "strings")

EXPORT(GUEST("string-lists")) list_t* g_string_lists(str_t* l, uint32_t n) {
  str_t joined;
  host_join_strings(l, n, ",", 1, &joined);
  str_t* out = arena_alloc(sizeof(str_t) * (n + 1));
  out[0] = str_dup_release(joined);
  for (uint32_t i = 0; i < n; ++i) out[1 + i] = str_dup_release(l[n - 1 - i]);
  release(l, n);
  list_t* r = arena_alloc(sizeof *r);
  *r = (list_t){out, n + 1};
  return r;
}
DEFINE_POST(string_lists, "string-lists")

EXPORT(GUEST("bytes")) void* g_bytes(uint8_t* p, uint32_t n) {
  list_t x;
  host_bytes_xor(p, n, 0xA5, &x);
  struct {
    uint32_t sum;
    list_t rev;
  }* r = arena_alloc(12);
  r->sum = 0;
  for (uint32_t i = 0; i < n; ++i) r->sum += p[i];
  uint8_t* rev = arena_alloc(x.len);
  for (uint32_t i = 0; i < x.len; ++i) rev[i] = ((uint8_t*)x.ptr)[x.len - 1 - i];
  r->rev = (list_t){rev, x.len};
  release(x.ptr, x.len);
  release(p, n);
  return r;
}
DEFINE_POST(bytes, "bytes")

// --- records, lists of records
EXPORT(GUEST("echo-person"))
person_t* g_echo_person(char* name, uint32_t name_len, int32_t age, str_t* tags, uint32_t ntags,
                        int32_t has_score, double score, int32_t x, int32_t y) {
  person_t q;
  host_transform_person(name, name_len, age, tags, ntags, has_score, score, x, y, &q);
  person_t* r = arena_alloc(sizeof *r);
  str_t pname = {name, name_len};
  r->name = str_concat3(q.name, "/", pname);
  r->age = (uint8_t)(q.age + age);
  str_t* qt = q.tags.ptr;
  str_t* t = arena_alloc(sizeof(str_t) * (q.tags.len + 1));
  for (uint32_t i = 0; i < q.tags.len; ++i) t[i] = str_dup_release(qt[i]);
  t[q.tags.len] = str_copy(name, name_len);
  r->tags = (list_t){t, q.tags.len + 1};
  r->score.is_some = 1;
  r->score.value = q.score.is_some ? q.score.value + 1.0 : -1.0;
  r->pos.x = (int32_t)((uint32_t)q.pos.x + (uint32_t)x);
  r->pos.y = (int32_t)((uint32_t)q.pos.y - (uint32_t)y);
  release(q.name.ptr, q.name.len);
  release(q.tags.ptr, q.tags.len);
  for (uint32_t i = 0; i < ntags; ++i) release(tags[i].ptr, tags[i].len);
  release(tags, ntags);
  release(name, name_len);
  return r;
}
DEFINE_POST(echo_person, "echo-person")

EXPORT(GUEST("points")) list_t* g_points(point_t* l, uint32_t n) {
  point_t s;
  host_sum_points(l, n, &s);
  point_t* out = arena_alloc(sizeof(point_t) * (n + 1));
  out[0] = s;
  for (uint32_t i = 0; i < n; ++i) {
    out[1 + i].x = (int32_t)((uint32_t)l[i].x - (uint32_t)s.x);
    out[1 + i].y = (int32_t)((uint32_t)l[i].y - (uint32_t)s.y);
  }
  release(l, n);
  list_t* r = arena_alloc(sizeof *r);
  *r = (list_t){out, n + 1};
  return r;
}
DEFINE_POST(points, "points")

// --- variants, enums
// A shape flattened: (i32 tag, i64 joined payload, i32 second payload word).
static void call_next_shape(const shape_t* s, shape_t* out) {
  int64_t p0 = 0;
  int32_t p1 = 0;
  switch (s->tag) {
    case SHAPE_CIRCLE: p0 = f32_bits(s->u.circle); break;
    case SHAPE_RECT: p0 = (uint32_t)s->u.rect.x, p1 = s->u.rect.y; break;
    case SHAPE_LABEL: p0 = (uint32_t)(uintptr_t)s->u.label.ptr, p1 = (int32_t)s->u.label.len; break;
    case SHAPE_BIG: p0 = (int64_t)s->u.big; break;
  }
  host_next_shape(s->tag, p0, p1, out);
  if (out->tag == SHAPE_LABEL) out->u.label = str_dup_release(out->u.label);
}
EXPORT(GUEST("shapes")) shape_t* g_shapes(int32_t tag, int64_t p0, int32_t p1) {
  shape_t s = {.tag = (uint8_t)tag};
  switch (tag) {
    case SHAPE_CIRCLE: s.u.circle = bits_f32((uint32_t)p0); break;
    case SHAPE_RECT: s.u.rect = (point_t){(int32_t)p0, p1}; break;
    case SHAPE_LABEL: s.u.label = (str_t){(char*)(uintptr_t)(uint32_t)p0, (uint32_t)p1}; break;
    case SHAPE_BIG: s.u.big = (uint64_t)p0; break;
  }
  shape_t* r = arena_alloc(2 * sizeof(shape_t));
  call_next_shape(&s, &r[0]);
  call_next_shape(&r[0], &r[1]);
  if (tag == SHAPE_LABEL) release(s.u.label.ptr, s.u.label.len);
  return r;
}
DEFINE_POST(shapes, "shapes")

EXPORT(GUEST("colors")) list_t* g_colors(int32_t c, uint32_t n) {
  uint8_t* out = arena_alloc(n);
  for (uint32_t i = 0; i < n; ++i) out[i] = (uint8_t)(i == 0 ? c : host_next_color(out[i - 1]));
  list_t* r = arena_alloc(sizeof *r);
  *r = (list_t){out, n};
  return r;
}
DEFINE_POST(colors, "colors")

// A num flattened: (i32 tag, i64 payload): f64 and s64 as bits, f32 bits and u8 zero-extended.
static num_t num_from_flat(int32_t tag, int64_t p) {
  num_t n = {.tag = (uint8_t)tag};
  switch (tag) {
    case NUM_I: n.u.i = p; break;
    case NUM_F: n.u.f = bits_f64((uint64_t)p); break;
    case NUM_S: n.u.s = bits_f32((uint32_t)p); break;
    case NUM_U: n.u.u = (uint8_t)p; break;
  }
  return n;
}
static num_t next_num(num_t n) {
  int64_t p = 0;
  switch (n.tag) {
    case NUM_I: p = n.u.i; break;
    case NUM_F: p = (int64_t)f64_bits(n.u.f); break;
    case NUM_S: p = f32_bits(n.u.s); break;
    case NUM_U: p = n.u.u; break;
  }
  num_t r;
  host_next_num(n.tag, p, &r);
  return r;
}
EXPORT(GUEST("nums")) list_t* g_nums(int32_t a_tag, int64_t a, int32_t b_tag, int64_t b) {
  num_t* out = arena_alloc(5 * sizeof(num_t));
  out[0] = num_from_flat(a_tag, a);
  out[1] = next_num(out[0]);
  out[2] = num_from_flat(b_tag, b);
  out[3] = next_num(out[2]);
  out[4] = next_num(out[3]);
  list_t* r = arena_alloc(sizeof *r);
  *r = (list_t){out, 5};
  return r;
}
DEFINE_POST(nums, "nums")

// --- options, results
EXPORT(GUEST("options"))
void* g_options(int32_t a_some, int32_t a_inner_some, int32_t a_value, int32_t b_some, char* b_ptr,
                uint32_t b_len) {
  struct {
    opt_u32_t a;
    opt_str_t b;
  }* r = arena_alloc(20);
  r->a.is_some = 0;
  if (a_some) host_maybe_double(a_inner_some, a_value, &r->a);
  r->b.is_some = (uint8_t)b_some;
  if (b_some) {
    str_t rev;
    host_reverse_string(b_ptr, b_len, &rev);
    r->b.value = str_dup_release(rev);
    release(b_ptr, b_len);
  }
  return r;
}
DEFINE_POST(options, "options")

EXPORT(GUEST("results")) void* g_results(int32_t n) {
  struct {
    res_u32_str_t r1;
    uint8_t r2;
    struct {
      uint8_t is_err, color;
    } r3;
    struct {
      uint8_t is_err;
      str_t ok;
    } r4;
  }* r = arena_alloc(28);
  host_check(n, &r->r1);
  if (r->r1.is_err) r->r1.u.err = str_dup_release(r->r1.u.err);
  r->r2 = r->r1.is_err;
  r->r3.is_err = (uint8_t)(n & 1);
  r->r3.color = (uint8_t)(((n % 3) + 3) % 3);
  r->r4.is_err = r->r1.is_err;
  if (!r->r1.is_err) r->r4.ok = u32_decimal(r->r1.u.ok);
  return r;
}
DEFINE_POST(results, "results")

// tuple<u8, string> flat: (i32, ptr, len); result<u32, string> flat: (i32 is_err, i32, i32).
EXPORT(GUEST("regroup"))
list_t* g_regroup(int32_t t0, char* t1, uint32_t t1_len, int32_t r_err, int32_t r0, int32_t r1) {
  list_t l;
  host_regroup(t0, t1, t1_len, r_err, r0, r1, &l);
  point_t* out = arena_alloc(sizeof(point_t) * l.len);
  for (uint32_t i = 0; i < l.len; ++i) out[i] = ((point_t*)l.ptr)[l.len - 1 - i];
  release(l.ptr, l.len);
  release(t1, t1_len);
  if (r_err) release((void*)(uintptr_t)(uint32_t)r0, (uint32_t)r1);
  list_t* r = arena_alloc(sizeof *r);
  *r = (list_t){out, l.len};
  return r;
}
DEFINE_POST(regroup, "regroup")

// --- flags
EXPORT(GUEST("flags-fn")) flags3_t* g_flags(int32_t s, int32_t m, int32_t b) {
  flags3_t* r = arena_alloc(sizeof *r);
  host_flip_flags(s, m, b, r);
  r->big ^= 1;
  return r;
}
DEFINE_POST(flags, "flags-fn")

// --- many parameters: the arguments arrive in memory (19 flat values > 16)
static uint64_t utf8_len_sum(const many_t* a) {
  uint64_t s = 0;
  for (uint32_t i = 0; i < a->h.len; ++i) s += ((uint8_t*)a->h.ptr)[i];
  return s + a->g.len + a->o.len;
}
EXPORT(GUEST("many")) uint64_t* g_many(many_t* a) {
  uint64_t* r = arena_alloc(16);
  r[0] = a->a + (uint64_t)(int64_t)a->b + a->c + (uint64_t)a->d + f32_bits(a->e) + f64_bits(a->f) +
         utf8_len_sum(a) + a->i + a->j + a->k + (uint64_t)(int64_t)a->l + a->m +
         (uint64_t)(int64_t)a->n + a->p;
  struct {
    uint64_t sum;
    uint32_t count;
  } h;
  host_many(a, &h);
  if (h.count != 16) __builtin_trap();
  r[1] = h.sum;
  release(a->g.ptr, a->g.len);
  release(a->h.ptr, a->h.len);
  release(a->o.ptr, a->o.len);
  free(a);
  return r;
}
DEFINE_POST(many, "many")

EXPORT(GUEST("nan-bits")) void* g_nan_bits(int32_t kind) {
  struct {
    float f;
    double d;
  }* r = arena_alloc(16);
  // kind 0: quiet NaNs with payloads; 1: signalling NaNs; 2: negative NaNs.
  uint32_t f = kind == 1 ? 0x7f800001u : 0x7fc00000u | 0x1234u;
  uint64_t d = kind == 1 ? 0x7ff0000000000001ull : 0x7ff8000000000000ull | 0xabcdefull;
  if (kind == 2) f |= 0x80000000u, d |= 0x8000000000000000ull;
  r->f = bits_f32(f);
  r->d = bits_f64(d);
  return r;
}
DEFINE_POST(nan_bits, "nan-bits")

// --- host resource: blob
static list_t read_blob(int32_t b) {
  list_t l;
  host_blob_read(b, &l);
  list_t r = {arena_alloc(l.len), l.len};
  memcpy(r.ptr, l.ptr, l.len);
  release(l.ptr, l.len);
  return r;
}
EXPORT(GUEST("blob-roundtrip")) void* g_blob_roundtrip(uint8_t* p, uint32_t n) {
  struct {
    uint32_t size;
    list_t doubled, consumed;
  }* r = arena_alloc(20);
  int32_t b1 = host_blob_new(p, n);          // own from the host
  r->size = host_blob_size(b1);              // borrow to the host
  int32_t b2 = host_blob_concat(b1, b1);     // two borrows, a new own back
  r->doubled = read_blob(b2);
  host_blob_drop(b1);                        // the host's destructor runs
  list_t c;
  host_consume_blob(b2, &c);                 // own handed back to the host
  r->consumed = (list_t){arena_alloc(c.len), c.len};
  memcpy(r->consumed.ptr, c.ptr, c.len);
  release(c.ptr, c.len);
  release(p, n);
  return r;
}
DEFINE_POST(blob_roundtrip, "blob-roundtrip")

EXPORT(GUEST("make-blob")) int32_t g_make_blob(uint8_t* p, uint32_t n) {
  int32_t b = host_blob_new(p, n);
  release(p, n);
  return b;  // own: the handle leaves this instance's table
}
EXPORT(GUEST("blob-size")) uint32_t g_blob_size(int32_t b) {
  uint32_t n = host_blob_size(b);
  host_blob_drop(b);  // a borrow lent to an export must be dropped before it returns
  return n;
}
EXPORT(GUEST("take-blob")) list_t* g_take_blob(int32_t b) {
  list_t* r = arena_alloc(sizeof *r);
  *r = read_blob(b);
  host_blob_drop(b);  // own: the host's destructor runs
  return r;
}
DEFINE_POST(take_blob, "take-blob")
EXPORT(GUEST("give-back")) int32_t g_give_back(int32_t b) {
  (void)host_blob_size(b);  // still ours: usable before it goes back
  return b;
}

EXPORT(GUEST("blobs")) void* g_blobs(int32_t has_b, int32_t b, int32_t* l, uint32_t n) {
  struct {
    uint8_t is_some;
    int32_t b;
    uint32_t total;
  }* r = arena_alloc(12);
  r->is_some = (uint8_t)has_b;
  r->b = b;  // handed back as it came
  r->total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    r->total += host_blob_size(l[i]);
    host_blob_drop(l[i]);
  }
  release(l, n);
  return r;
}
DEFINE_POST(blobs, "blobs")

// --- guest resource: acc
typedef struct {
  str_t label;
  int64_t value;
} acc_t;
static acc_t* acc_make(const char* label, uint32_t len, int64_t value) {
  acc_t* a = malloc(sizeof *a);
  a->label = (str_t){malloc(len ? len : 1), len};
  memcpy(a->label.ptr, label, len);
  a->value = value;
  return a;
}
EXPORT(GUEST("[constructor]acc")) int32_t g_acc_new(char* label, uint32_t len, int64_t start) {
  acc_t* a = acc_make(label, len, start);
  release(label, len);
  return acc_resource_new((int32_t)(uintptr_t)a);
}
EXPORT(GUEST("[method]acc.add")) int64_t g_acc_add(acc_t* self, int64_t n) {
  self->value = (int64_t)((uint64_t)self->value + (uint64_t)n);
  return self->value;
}
EXPORT(GUEST("[method]acc.value")) int64_t g_acc_value(acc_t* self) { return self->value; }
EXPORT(GUEST("[method]acc.label")) str_t* g_acc_label(acc_t* self) {
  str_t* r = arena_alloc(sizeof *r);
  *r = str_copy(self->label.ptr, self->label.len);
  return r;
}
EXPORT(POST("[method]acc.label")) void post_acc_label(void* r) { (void)r, arena_release(); }
EXPORT(GUEST("[static]acc.merge")) int32_t g_acc_merge(int32_t a_handle, acc_t* b) {
  acc_t* a = (acc_t*)(uintptr_t)acc_resource_rep(a_handle);
  str_t l = str_concat3(a->label, "+", b->label);
  acc_t* m = acc_make(l.ptr, l.len, (int64_t)((uint64_t)a->value + (uint64_t)b->value));
  acc_resource_drop(a_handle);  // consumed: runs the destructor (which frees a)
  arena_release();
  return acc_resource_new((int32_t)(uintptr_t)m);
}
EXPORT(GUEST("[method]acc.absorb-blob")) int64_t g_acc_absorb(acc_t* self, int32_t blob) {
  list_t l;
  host_blob_read(blob, &l);
  for (uint32_t i = 0; i < l.len; ++i) self->value += ((uint8_t*)l.ptr)[i];
  release(l.ptr, l.len);
  host_blob_drop(blob);
  return self->value;
}
EXPORT("lokust:abi-test/guest-fns#[dtor]acc") void g_acc_dtor(acc_t* a) {
  host_acc_dropped(a->label.ptr, a->label.len);
  free(a->label.ptr);
  free(a);
}
EXPORT(GUEST("acc-sum")) int64_t g_acc_sum(acc_t* a, acc_t* b) {
  return (int64_t)((uint64_t)a->value + (uint64_t)b->value);
}

// --- faults: each breaks one rule of the canonical ABI
static str_t fault_str;
static uint8_t fault_mem[32] __attribute__((aligned(8)));
EXPORT(FAULT("bad-utf8")) str_t* f_bad_utf8(void) {
  static char bad[] = {'o', 'k', (char)0xff, (char)0xfe};
  fault_str = (str_t){bad, 4};
  return &fault_str;
}
EXPORT(FAULT("oob-string")) str_t* f_oob_string(void) {
  fault_str = (str_t){(char*)(uintptr_t)0xfffffff0u, 100};
  return &fault_str;
}
EXPORT(FAULT("misaligned-list")) list_t* f_misaligned_list(void) {
  static list_t l;
  l = (list_t){fault_mem + 2, 2};
  return &l;
}
EXPORT(FAULT("bad-variant")) shape_t* f_bad_variant(void) {
  memset(fault_mem, 0, sizeof fault_mem);
  fault_mem[0] = 7;  // shape has 5 cases
  return (shape_t*)fault_mem;
}
EXPORT(FAULT("bad-enum")) int32_t f_bad_enum(void) { return 3; }  // color has 3 cases
EXPORT(FAULT("bad-char")) int32_t f_bad_char(void) { return 0xD800; }  // a surrogate
EXPORT(FAULT("bad-option")) void* f_bad_option(void) {
  memset(fault_mem, 0, sizeof fault_mem);
  fault_mem[0] = 2;
  return fault_mem;
}
EXPORT(FAULT("bool-two")) int32_t f_bool_two(void) { return 2; }
EXPORT(FAULT("dangling-own")) int32_t f_dangling_own(void) { return 12345; }
EXPORT(FAULT("import-bad-utf8")) void f_import_bad_utf8(void) {
  static const char bad[] = {(char)0xc3, (char)0x28};
  str_t r;
  host_reverse_string(bad, 2, &r);
}
EXPORT(FAULT("import-dangling")) uint32_t f_import_dangling(void) { return host_blob_size(777); }
EXPORT(FAULT("drop-twice")) void f_drop_twice(void) {
  static const uint8_t one = 1;
  int32_t b = host_blob_new(&one, 1);
  host_blob_drop(b);
  host_blob_drop(b);
}
EXPORT(FAULT("borrow-leak")) uint32_t f_borrow_leak(int32_t b) { return host_blob_size(b); }
EXPORT(FAULT("unreachable")) void f_unreachable(void) { __builtin_trap(); }
EXPORT(FAULT("set-realloc")) void f_set_realloc(int32_t mode) { realloc_mode = mode; }
EXPORT(FAULT("call-reverse")) str_t* f_call_reverse(void) {
  host_reverse_string("abc", 3, &fault_str);
  return &fault_str;
}
EXPORT(FAULT("huge-list")) list_t* f_huge_list(void) {
  static list_t l;
  l = (list_t){fault_mem + 8, 0x40000001u};  // 4 * 0x40000001 = 0x100000004
  return &l;
}
EXPORT(FAULT("wrong-type-handle")) uint32_t f_wrong_type_handle(void) {
  int32_t acc = acc_resource_new(0x1000);
  return host_blob_size(acc);
}
EXPORT(FAULT("rep-of-blob")) uint32_t f_rep_of_blob(void) {
  static const uint8_t one = 1;
  return (uint32_t)acc_resource_rep(host_blob_new(&one, 1));
}
