// A hostile session VM: a component of the seed's world (lokust:session-vm/session-vm) whose
// exports attack the host instead of running sessions, for the tests that the host treats the
// guest as untrusted (hostile_guest_test.cpp). Hand-written canonical-ABI bindings in C, built
// with clang-22 for wasm32-wasi and made a component by guest/componentize.mjs.
//
// create-session picks its attack by the first agent's id:
//   spin         loops forever                   (the guest time limit)
//   sleep        blocks an hour on a wasi timer  (the guest time limit, in a host wait)
//   grow         grows memory until refused      (the memory limit)
//   recurse      recurses without end            (the call depth limit)
//   bad-retptr   returns a result pointer past the end of memory
//   bad-string   returns a session id whose bytes lie past the end of memory
//   bad-utf8     returns a session id that is not UTF-8
//   bad-realloc  succeeds, and from then on cabi_realloc answers out of bounds
//   anything else: the session id "ok"
// run-next-phase attacks by the session id it is given:
//   huge-list    an output list of 2^31 - 1 bytes
//   bad-enum     an agent status that is no case of agent-status
//   anything else: err "no such session"
// pause-session and resume-session return a result discriminant that is neither ok nor err.
#include <stdint.h>
#include <string.h>

#include "wasi_preview1_stubs.h"

#define EXPORT(name) __attribute__((export_name(name)))
#define OPS(f) "lokust:session-vm/session-ops#" f
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

IMPORT("wasi:clocks/monotonic-clock@0.2.11", "subscribe-duration")
int32_t subscribe_duration(int64_t ns);
IMPORT("wasi:io/poll@0.2.11", "[method]pollable.block")
void pollable_block(int32_t pollable);


// --- memory: a bump allocator over a static heap; the host's allocations are never freed
// (each test instance makes a handful of calls).
static _Alignas(16) uint8_t heap[1 << 16];
static uint32_t heap_used;
static int realloc_out_of_bounds;

EXPORT("cabi_realloc")
void* cabi_realloc(void* ptr, uint32_t old_size, uint32_t align, uint32_t new_size) {
  if (realloc_out_of_bounds) return (void*)(uintptr_t)0xfffffff0u;
  heap_used = (heap_used + align - 1) & ~(align - 1);
  if (new_size > sizeof heap - heap_used) __builtin_trap();
  void* p = heap + heap_used;
  heap_used += new_size;
  if (ptr && old_size) memcpy(p, ptr, old_size < new_size ? old_size : new_size);
  return p;
}

// --- the attacks
typedef struct {
  const char* ptr;
  uint32_t len;
} str_t;
typedef struct {
  str_t agent_id, name, role;
  uint32_t phase_index;
} agent_config_t;

static int is(str_t s, const char* text) {
  return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

// Stops only at a depth no stack reaches (a guard the compiler cannot drop).
__attribute__((optnone)) static uint32_t recurse(volatile uint32_t depth) {
  if (depth == 0xffffffffu) return 0;
  return recurse(depth + 1) + 1;
}

static _Alignas(8) uint8_t ret[64];  // the return area of every export
static const char kOk[] = "ok";
static const char kNotUtf8[] = "\xff\xfe\xfd";
static const char kNoSession[] = "no such session";

static void put_str(uint8_t* at, const char* p, uint32_t len) {
  uint32_t ptr = (uint32_t)(uintptr_t)p;
  memcpy(at, &ptr, 4);
  memcpy(at + 4, &len, 4);
}

// create-session: func(agents: list<agent-config>) -> session-id
EXPORT(OPS("create-session"))
uint8_t* create_session(const agent_config_t* agents, uint32_t n) {
  str_t attack = n > 0 ? agents[0].agent_id : (str_t){"", 0};
  if (is(attack, "spin")) {
    for (volatile uint32_t i = 0;; i = i + 1) {
    }
  }
  if (is(attack, "sleep")) pollable_block(subscribe_duration(3600ll * 1000000000ll));
  if (is(attack, "grow")) {
    while (__builtin_wasm_memory_grow(0, 16) != (uint32_t)-1) {
    }
    __builtin_trap();  // what a guest does when malloc fails
  }
  if (is(attack, "recurse")) recurse(0);
  if (is(attack, "bad-retptr")) return (uint8_t*)(uintptr_t)0xfffffff8u;
  if (is(attack, "bad-string")) {
    put_str(ret, (const char*)(uintptr_t)0xfffff000u, 0x2000);
    return ret;
  }
  if (is(attack, "bad-utf8")) {
    put_str(ret, kNotUtf8, sizeof kNotUtf8 - 1);
    return ret;
  }
  if (is(attack, "bad-realloc")) realloc_out_of_bounds = 1;
  put_str(ret, kOk, sizeof kOk - 1);
  return ret;
}

// run-next-phase: func(id: session-id) -> result<phase-snapshot, string>
// result: discriminant @0, payload @8; phase-snapshot: agent-id @0, status @8, output @12,
// duration-ms @24, tokens-used @32.
EXPORT(OPS("run-next-phase"))
uint8_t* run_next_phase(const char* id, uint32_t len) {
  str_t s = {id, len};
  memset(ret, 0, sizeof ret);
  if (is(s, "huge-list") || is(s, "bad-enum")) {
    ret[0] = 0;  // ok
    put_str(ret + 8, kOk, sizeof kOk - 1);
    ret[16] = is(s, "bad-enum") ? 77 : 3;  // agent-status has five cases
    put_str(ret + 20, (const char*)heap, is(s, "huge-list") ? 0x7fffffffu : 0);
    return ret;
  }
  ret[0] = 1;  // err
  put_str(ret + 8, kNoSession, sizeof kNoSession - 1);
  return ret;
}

// pause-session, resume-session: func(id: session-id) -> result<session-status, string>
EXPORT(OPS("pause-session"))
uint8_t* pause_session(const char* id, uint32_t len) {
  (void)id, (void)len;
  memset(ret, 0, sizeof ret);
  ret[0] = 2;  // neither ok (0) nor err (1)
  return ret;
}
EXPORT(OPS("resume-session"))
uint8_t* resume_session(const char* id, uint32_t len) { return pause_session(id, len); }

// get-snapshot: func(id: session-id) -> option<session-snapshot>: none.
EXPORT(OPS("get-snapshot"))
uint8_t* get_snapshot(const char* id, uint32_t len) {
  (void)id, (void)len;
  memset(ret, 0, sizeof ret);
  return ret;
}

// get-metrics: func(id: session-id) -> option<coordination-metrics>: none.
EXPORT(OPS("get-metrics"))
uint8_t* get_metrics(const char* id, uint32_t len) { return get_snapshot(id, len); }

// import-snapshot: func(snapshot: session-snapshot) -> session-id: "ok". Its nine flat
// parameters: id (ptr, len), status, phases (ptr, len), current-phase-index, and three u64s.
EXPORT(OPS("import-snapshot"))
uint8_t* import_snapshot(const char* id, uint32_t id_len, uint32_t status, const void* phases,
                         uint32_t n_phases, uint32_t current, uint64_t duration, uint64_t tokens,
                         uint64_t created) {
  (void)id, (void)id_len, (void)status, (void)phases, (void)n_phases, (void)current;
  (void)duration, (void)tokens, (void)created;
  put_str(ret, kOk, sizeof kOk - 1);
  return ret;
}
