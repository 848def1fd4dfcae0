/* fib: call-heavy doubly recursive Fibonacci, plus a mutually recursive
 * Ackermann-style helper, so the cost is dominated by calls and returns.
 * Self-check: fib(n) equals the iterative value, ack(2, n) equals 2n+3. */
#include "bench.h"

#ifndef FIB_N
#define FIB_N 30
#endif

__attribute__((noinline)) static u32 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static u32 ack(u32 m, u32 n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

/* Keep the argument opaque so the optimiser cannot fold the calls. */
static volatile u32 fib_arg = FIB_N;

EXPORT("run") int run(void) {
  u32 n = fib_arg;
  u32 a = 0, b = 1;
  for (u32 i = 0; i < n; i++) {
    u32 t = a + b;
    a = b;
    b = t;
  }
  u32 f = fib(n);
  if (f != a) return -1;
  u32 k = ack(2, n * 8);
  if (k != 2 * n * 8 + 3) return -2;
  return (int)(mix32(mix32(2166136261u, f), k) & 0x7fffffff);
}
