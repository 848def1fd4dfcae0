/* interp: a switch-dispatched bytecode interpreter (a small register VM) running
 * two guest programs: a prime sieve and a Collatz step counter. Self-check:
 * the VM results equal the same computations done directly in C. */
#include "bench.h"

#ifndef SIEVE_N
#define SIEVE_N 20000
#endif
#ifndef COLLATZ_N
#define COLLATZ_N 2000
#endif

enum op {
  OP_LI,   /* r[a] = imm */
  OP_MOV,  /* r[a] = r[b] */
  OP_ADD,  /* r[a] = r[b] + r[c] */
  OP_SUB,  /* r[a] = r[b] - r[c] */
  OP_MUL,  /* r[a] = r[b] * r[c] */
  OP_ADDI, /* r[a] = r[b] + imm */
  OP_SHRI, /* r[a] = r[b] >> imm */
  OP_ANDI, /* r[a] = r[b] & imm */
  OP_LD,   /* r[a] = mem[r[b]] */
  OP_ST,   /* mem[r[b]] = r[a] */
  OP_JMP,  /* pc = imm */
  OP_JLT,  /* if r[a] < r[b] pc = imm */
  OP_JGE,  /* if r[a] >= r[b] pc = imm */
  OP_JEQ,  /* if r[a] == r[b] pc = imm */
  OP_JNE,  /* if r[a] != r[b] pc = imm */
  OP_JZ,   /* if r[a] == 0 pc = imm */
  OP_JNZ,  /* if r[a] != 0 pc = imm */
  OP_HALT, /* return r[a] */
};

typedef struct {
  u8 op, a, b, c;
  i32 imm;
} insn;

#define MEM_WORDS (SIEVE_N + 16)
static i32 mem[MEM_WORDS];

static i32 execute(const insn* code, i32* reg) {
  u32 pc = 0;
  for (;;) {
    const insn* in = &code[pc++];
    switch (in->op) {
      case OP_LI:
        reg[in->a] = in->imm;
        break;
      case OP_MOV:
        reg[in->a] = reg[in->b];
        break;
      case OP_ADD:
        reg[in->a] = reg[in->b] + reg[in->c];
        break;
      case OP_SUB:
        reg[in->a] = reg[in->b] - reg[in->c];
        break;
      case OP_MUL:
        reg[in->a] = reg[in->b] * reg[in->c];
        break;
      case OP_ADDI:
        reg[in->a] = reg[in->b] + in->imm;
        break;
      case OP_SHRI:
        reg[in->a] = (i32)((u32)reg[in->b] >> in->imm);
        break;
      case OP_ANDI:
        reg[in->a] = reg[in->b] & in->imm;
        break;
      case OP_LD:
        reg[in->a] = mem[(u32)reg[in->b] % MEM_WORDS];
        break;
      case OP_ST:
        mem[(u32)reg[in->b] % MEM_WORDS] = reg[in->a];
        break;
      case OP_JMP:
        pc = (u32)in->imm;
        break;
      case OP_JLT:
        if (reg[in->a] < reg[in->b]) pc = (u32)in->imm;
        break;
      case OP_JGE:
        if (reg[in->a] >= reg[in->b]) pc = (u32)in->imm;
        break;
      case OP_JEQ:
        if (reg[in->a] == reg[in->b]) pc = (u32)in->imm;
        break;
      case OP_JNE:
        if (reg[in->a] != reg[in->b]) pc = (u32)in->imm;
        break;
      case OP_JZ:
        if (reg[in->a] == 0) pc = (u32)in->imm;
        break;
      case OP_JNZ:
        if (reg[in->a] != 0) pc = (u32)in->imm;
        break;
      case OP_HALT:
        return reg[in->a];
      default:
        return -999;
    }
  }
}

#define I(o, a_, b_, c_, imm_) \
  { o, a_, b_, c_, imm_ }

/* Sieve of Eratosthenes over mem[0..n): returns the number of primes < n.
 * r0 = n, r1 = i, r2 = j, r3 = count, r4 = tmp, r5 = one, r6 = i*i, r7 = zero */
static const insn sieve_prog[] = {
    /* 0 */ I(OP_LI, 7, 0, 0, 0),
    /* 1 */ I(OP_LI, 1, 0, 0, 0),
    /* 2 */ I(OP_LI, 5, 0, 0, 1),
    /* 3 */ I(OP_JGE, 1, 0, 0, 7), /* for i < n: mem[i] = 1 */
    /* 4 */ I(OP_ST, 5, 1, 0, 0),
    /* 5 */ I(OP_ADDI, 1, 1, 0, 1),
    /* 6 */ I(OP_JMP, 0, 0, 0, 3),
    /* 7 */ I(OP_LI, 1, 0, 0, 2),  /* i = 2 */
    /* 8 */ I(OP_MUL, 6, 1, 1, 0), /* outer: while i*i < n */
    /* 9 */ I(OP_JGE, 6, 0, 0, 19),
    /* 10 */ I(OP_LD, 4, 1, 0, 0), /* if mem[i] */
    /* 11 */ I(OP_JZ, 4, 0, 0, 17),
    /* 12 */ I(OP_MOV, 2, 6, 0, 0), /* for j = i*i; j < n; j += i: mem[j] = 0 */
    /* 13 */ I(OP_JGE, 2, 0, 0, 17),
    /* 14 */ I(OP_ST, 7, 2, 0, 0),
    /* 15 */ I(OP_ADD, 2, 2, 1, 0),
    /* 16 */ I(OP_JMP, 0, 0, 0, 13),
    /* 17 */ I(OP_ADDI, 1, 1, 0, 1), /* i++ */
    /* 18 */ I(OP_JMP, 0, 0, 0, 8),
    /* 19 */ I(OP_LI, 3, 0, 0, 0), /* count = sum of mem[2..n) */
    /* 20 */ I(OP_LI, 1, 0, 0, 2),
    /* 21 */ I(OP_JGE, 1, 0, 0, 26),
    /* 22 */ I(OP_LD, 4, 1, 0, 0),
    /* 23 */ I(OP_ADD, 3, 3, 4, 0),
    /* 24 */ I(OP_ADDI, 1, 1, 0, 1),
    /* 25 */ I(OP_JMP, 0, 0, 0, 21),
    /* 26 */ I(OP_HALT, 3, 0, 0, 0),
};

/* Collatz: sum over k in [1, n] of the number of steps to reach 1.
 * r0 = n, r1 = k, r2 = x, r3 = total, r4 = tmp, r5 = one */
static const insn collatz_prog[] = {
    /* 0 */ I(OP_LI, 1, 0, 0, 1),
    /* 1 */ I(OP_LI, 3, 0, 0, 0),
    /* 2 */ I(OP_LI, 5, 0, 0, 1),
    /* 3 */ I(OP_JLT, 0, 1, 0, 17), /* while k <= n */
    /* 4 */ I(OP_MOV, 2, 1, 0, 0),  /* x = k */
    /* 5 */ I(OP_JEQ, 2, 5, 0, 15), /* while x != 1 */
    /* 6 */ I(OP_ANDI, 4, 2, 0, 1),
    /* 7 */ I(OP_JNZ, 4, 0, 0, 10),
    /* 8 */ I(OP_SHRI, 2, 2, 0, 1), /* even: x >>= 1 */
    /* 9 */ I(OP_JMP, 0, 0, 0, 13),
    /* 10 */ I(OP_ADD, 4, 2, 2, 0), /* odd: x = 3x + 1 */
    /* 11 */ I(OP_ADD, 2, 4, 2, 0),
    /* 12 */ I(OP_ADDI, 2, 2, 0, 1),
    /* 13 */ I(OP_ADDI, 3, 3, 0, 1), /* total++ */
    /* 14 */ I(OP_JMP, 0, 0, 0, 5),
    /* 15 */ I(OP_ADDI, 1, 1, 0, 1), /* k++ */
    /* 16 */ I(OP_JMP, 0, 0, 0, 3),
    /* 17 */ I(OP_HALT, 3, 0, 0, 0),
};

static u32 native_sieve(u32 n) {
  static u8 comp[SIEVE_N];
  for (u32 i = 0; i < n; i++) comp[i] = 0;
  u32 count = 0;
  for (u32 i = 2; i < n; i++) {
    if (comp[i]) continue;
    count++;
    for (u32 j = i * i; j < n; j += i) comp[j] = 1;
  }
  return count;
}

static u32 native_collatz(u32 n) {
  u32 total = 0;
  for (u32 k = 1; k <= n; k++) {
    u32 x = k;
    while (x != 1) {
      x = (x & 1) ? 3 * x + 1 : x >> 1;
      total++;
    }
  }
  return total;
}

EXPORT("run") int run(void) {
  i32 reg[8] = {0};
  reg[0] = SIEVE_N;
  i32 primes = execute(sieve_prog, reg);
  i32 reg2[8] = {0};
  reg2[0] = COLLATZ_N;
  i32 steps = execute(collatz_prog, reg2);
  if ((u32)primes != native_sieve(SIEVE_N)) return -1;
  if ((u32)steps != native_collatz(COLLATZ_N)) return -2;
  return (int)(mix32(mix32(2166136261u, (u32)primes), (u32)steps) & 0x7fffffff);
}
