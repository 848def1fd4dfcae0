/* sha256: hash a 128 KiB pseudo-random buffer several times (each pass hashes the
 * buffer with the previous digest folded in). Self-check: the digest of "abc" and
 * of the 56-byte FIPS 180-2 two-block message equal the known digests. */
#include "bench.h"

#define BUF_SIZE (128u * 1024u)
#ifndef PASSES
#define PASSES 3
#endif

static u8 buffer[BUF_SIZE];

static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(u32 st[8], const u8* p) {
  u32 w[64];
  for (int i = 0; i < 16; i++)
    w[i] =
        ((u32)p[4 * i] << 24) | ((u32)p[4 * i + 1] << 16) | ((u32)p[4 * i + 2] << 8) | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    u32 s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (int i = 0; i < 64; i++) {
    u32 S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
    u32 ch = (e & f) ^ (~e & g);
    u32 t1 = h + S1 + ch + K[i] + w[i];
    u32 S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
    u32 mj = (a & b) ^ (a & c) ^ (b & c);
    u32 t2 = S0 + mj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  st[0] += a;
  st[1] += b;
  st[2] += c;
  st[3] += d;
  st[4] += e;
  st[5] += f;
  st[6] += g;
  st[7] += h;
}

/* One-shot SHA-256 of data[0..len). */
static void sha256(const u8* data, u32 len, u8 out[32]) {
  u32 st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  u32 full = len & ~63u;
  for (u32 off = 0; off < full; off += 64) compress(st, data + off);
  u8 tail[128];
  u32 rem = len - full;
  for (u32 i = 0; i < 128; i++) tail[i] = 0;
  for (u32 i = 0; i < rem; i++) tail[i] = data[full + i];
  tail[rem] = 0x80;
  u32 tlen = rem + 9 <= 64 ? 64 : 128;
  u64 bits = (u64)len * 8;
  for (int i = 0; i < 8; i++) tail[tlen - 1 - i] = (u8)(bits >> (8 * i));
  compress(st, tail);
  if (tlen == 128) compress(st, tail + 64);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (u8)(st[i] >> 24);
    out[4 * i + 1] = (u8)(st[i] >> 16);
    out[4 * i + 2] = (u8)(st[i] >> 8);
    out[4 * i + 3] = (u8)st[i];
  }
}

static int digest_equals(const u8 d[32], const u8 want[32]) {
  for (int i = 0; i < 32; i++)
    if (d[i] != want[i]) return 0;
  return 1;
}

EXPORT("run") int run(void) {
  static const u8 abc_digest[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  static const u8 two_block_digest[32] = {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8,
                                          0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
                                          0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67,
                                          0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
  static const char two_block[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  u8 d[32];
  sha256((const u8*)"abc", 3, d);
  if (!digest_equals(d, abc_digest)) return -1;
  sha256((const u8*)two_block, 56, d);
  if (!digest_equals(d, two_block_digest)) return -2;

  rng_t r = {0x5A256ULL};
  for (u32 i = 0; i < BUF_SIZE; i += 4) {
    u32 v = rng_u32(&r);
    buffer[i] = (u8)v;
    buffer[i + 1] = (u8)(v >> 8);
    buffer[i + 2] = (u8)(v >> 16);
    buffer[i + 3] = (u8)(v >> 24);
  }
  u32 h = 2166136261u;
  for (int pass = 0; pass < PASSES; pass++) {
    sha256(buffer, BUF_SIZE, d);
    for (int i = 0; i < 32; i++) {
      buffer[(u32)pass * 32 + (u32)i] ^= d[i]; /* next pass depends on this digest */
      h = mix32(h, d[i]);
    }
  }
  return (int)(h & 0x7fffffff);
}
