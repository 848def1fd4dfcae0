/* matmul: dense f64 matrix multiply C = A * B (i-k-j loop order) of 96x96
 * matrices, repeated a few times with C fed back into A. Self-check: for each
 * product, the column sums of C equal (column sums of A) * B computed
 * independently (a cheap Freivalds-style check) to within rounding. */
#include "bench.h"

#ifndef DIM
#define DIM 96
#endif
#ifndef REPS
#define REPS 3
#endif

static double A[DIM][DIM];
static double B[DIM][DIM];
static double C[DIM][DIM];

static double fabs_(double x) { return x < 0 ? -x : x; }

static void multiply(void) {
  for (int i = 0; i < DIM; i++) {
    for (int j = 0; j < DIM; j++) C[i][j] = 0.0;
    for (int k = 0; k < DIM; k++) {
      double aik = A[i][k];
      for (int j = 0; j < DIM; j++) C[i][j] += aik * B[k][j];
    }
  }
}

/* Returns 1 when e^T C == (e^T A) B to within a relative tolerance. */
static int check(void) {
  double colA[DIM];
  for (int k = 0; k < DIM; k++) {
    double s = 0;
    for (int i = 0; i < DIM; i++) s += A[i][k];
    colA[k] = s;
  }
  for (int j = 0; j < DIM; j++) {
    double want = 0, mag = 0;
    for (int k = 0; k < DIM; k++) {
      want += colA[k] * B[k][j];
      mag += fabs_(colA[k] * B[k][j]);
    }
    double got = 0;
    for (int i = 0; i < DIM; i++) got += C[i][j];
    if (fabs_(got - want) > 1e-9 * (mag + 1.0)) return 0;
  }
  return 1;
}

EXPORT("run") int run(void) {
  rng_t r = {0x3A7ULL};
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      A[i][j] = rng_f64(&r) - 0.5;
      B[i][j] = (rng_f64(&r) - 0.5) * (2.0 / DIM);
    }
  double acc = 0;
  for (int rep = 0; rep < REPS; rep++) {
    multiply();
    if (!check()) return -1 - rep;
    for (int i = 0; i < DIM; i++)
      for (int j = 0; j < DIM; j++) {
        acc += C[i][j] * (double)((i + j) % 7 - 3);
        A[i][j] = C[i][j] + (i == j ? 1.0 : 0.0);
      }
  }
  /* Scale to an integer checksum; the sum is deterministic (IEEE-754 f64). */
  i64 q = (i64)(acc * 1e6);
  return (int)(((u64)q ^ ((u64)q >> 31)) & 0x7fffffff);
}
