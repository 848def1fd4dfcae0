/* lz77: compress a 128 KiB structured pseudo-text buffer (words drawn from a
 * small vocabulary with a skewed distribution, so there are many repeats) with a
 * hash-chain LZ77 compressor (64 KiB window, greedy parsing), then
 * decompress it. Self-check: the round trip equals the input and the compressed
 * form is smaller than the input. */
#include "bench.h"

#ifndef IN_SIZE
#define IN_SIZE (128u * 1024u)
#endif
#define WINDOW (1u << 16)
#define HASH_BITS 15
#define HASH_SIZE (1u << HASH_BITS)
#define MIN_MATCH 4
#define MAX_CHAIN 32

static u8 input[IN_SIZE];
static u8 packed[IN_SIZE + IN_SIZE / 8 + 64];
static u8 output[IN_SIZE];
static i32 head[HASH_SIZE];
static i32 prev_[WINDOW];

static const char* const words[] = {
    "the",      "of",       "and",    "session", "engine", "wasm",  "module", "memory", "table",
    "function", "call",     "return", "value",   "stack",  "frame", "local",  "global", "import",
    "export",   "instance", "trap",   "branch",  "loop",   "block", "if",     "else",   "end",
    "type",     "store",    "load",   "byte",    "page",   "grow",  "host",   "guest",  "vm",
    "lokust",   "bench",    "cpu",    "time",    "a",      "to",    "in",     "is",     "for",
    "with",     "that",     "on",     "by",      "it"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void make_input(void) {
  rng_t r = {0x1277ULL};
  u32 pos = 0;
  while (pos < IN_SIZE) {
    /* Skewed choice: min of two uniform draws favours the first words. */
    u32 x = rng_u32(&r) % NWORDS, y = rng_u32(&r) % NWORDS;
    const char* w = words[x < y ? x : y];
    while (*w && pos < IN_SIZE) input[pos++] = (u8)*w++;
    if (pos < IN_SIZE) {
      u32 p = rng_u32(&r) & 31;
      input[pos++] = p == 0 ? '\n' : p == 1 ? '.' : p == 2 ? ',' : ' ';
    }
    /* Occasional noise (numbers), which does not compress well. */
    if ((rng_u32(&r) & 63) == 0) {
      u32 n = rng_u32(&r);
      for (int i = 0; i < 6 && pos < IN_SIZE; i++) {
        input[pos++] = (u8)('0' + n % 10);
        n /= 10;
      }
    }
  }
}

static inline u32 hash4(const u8* p) {
  u32 v = (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
  return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Format: a sequence of tokens. Control byte c:
 *   c < 0x80: a literal run of c+1 bytes follows.
 *   c >= 0x80: a match of length (c & 0x7f) + MIN_MATCH (up to 131) with a
 *              16-bit little-endian distance following. */
static u32 compress(const u8* in, u32 n, u8* out) {
  for (u32 i = 0; i < HASH_SIZE; i++) head[i] = -1;
  u32 op = 0, ip = 0, lit_start = 0;
  const u32 max_len = 0x7f + MIN_MATCH;
  while (ip < n) {
    u32 best_len = 0, best_dist = 0;
    if (ip + MIN_MATCH <= n) {
      u32 h = hash4(in + ip);
      i32 cand = head[h];
      u32 limit = n - ip < max_len ? n - ip : max_len;
      for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++) {
        u32 dist = ip - (u32)cand;
        if (dist > WINDOW - 1) break;
        if (in[cand + (i32)best_len] == in[ip + best_len]) {
          u32 len = 0;
          while (len < limit && in[(u32)cand + len] == in[ip + len]) len++;
          if (len > best_len) {
            best_len = len;
            best_dist = dist;
            if (len == limit) break;
          }
        }
        cand = prev_[(u32)cand & (WINDOW - 1)];
      }
      prev_[ip & (WINDOW - 1)] = head[h];
      head[h] = (i32)ip;
    }
    if (best_len >= MIN_MATCH) {
      /* Flush pending literals. */
      while (lit_start < ip) {
        u32 run = ip - lit_start > 128 ? 128 : ip - lit_start;
        out[op++] = (u8)(run - 1);
        for (u32 i = 0; i < run; i++) out[op++] = in[lit_start + i];
        lit_start += run;
      }
      out[op++] = (u8)(0x80 | (best_len - MIN_MATCH));
      out[op++] = (u8)best_dist;
      out[op++] = (u8)(best_dist >> 8);
      /* Insert the skipped positions into the hash chains. */
      u32 end = ip + best_len;
      for (ip++; ip < end; ip++) {
        if (ip + MIN_MATCH <= n) {
          u32 h = hash4(in + ip);
          prev_[ip & (WINDOW - 1)] = head[h];
          head[h] = (i32)ip;
        }
      }
      lit_start = ip;
    } else {
      ip++;
    }
  }
  while (lit_start < n) {
    u32 run = n - lit_start > 128 ? 128 : n - lit_start;
    out[op++] = (u8)(run - 1);
    for (u32 i = 0; i < run; i++) out[op++] = in[lit_start + i];
    lit_start += run;
  }
  return op;
}

/* Returns the decompressed size, or 0xffffffff on malformed input. */
static u32 decompress(const u8* in, u32 n, u8* out, u32 cap) {
  u32 ip = 0, op = 0;
  while (ip < n) {
    u32 c = in[ip++];
    if (c < 0x80) {
      u32 run = c + 1;
      if (ip + run > n || op + run > cap) return 0xffffffffu;
      for (u32 i = 0; i < run; i++) out[op++] = in[ip++];
    } else {
      if (ip + 2 > n) return 0xffffffffu;
      u32 len = (c & 0x7f) + MIN_MATCH;
      u32 dist = (u32)in[ip] | ((u32)in[ip + 1] << 8);
      ip += 2;
      if (dist == 0 || dist > op || op + len > cap) return 0xffffffffu;
      for (u32 i = 0; i < len; i++, op++) out[op] = out[op - dist];
    }
  }
  return op;
}

EXPORT("run") int run(void) {
  make_input();
  u32 csize = compress(input, IN_SIZE, packed);
  if (csize >= IN_SIZE) return -1;
  u32 dsize = decompress(packed, csize, output, IN_SIZE);
  if (dsize != IN_SIZE) return -2;
  u32 h = 2166136261u;
  for (u32 i = 0; i < IN_SIZE; i++) {
    if (output[i] != input[i]) return -3;
  }
  for (u32 i = 0; i < csize; i += 64) h = mix32(h, packed[i]);
  h = mix32(h, csize);
  return (int)(h & 0x7fffffff);
}
