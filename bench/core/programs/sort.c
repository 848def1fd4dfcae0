/* sort: sort 32 Ki pseudo-random 32-bit ints with an introsort-style quicksort
 * (median of three, insertion sort for short ranges), then a copy of the same data
 * with heapsort. Self-check: both outputs are sorted, equal to each other, and the
 * sum of the elements is unchanged. */
#include "bench.h"

#ifndef N
#define N (1u << 15)
#endif

static u32 a[N];
static u32 b[N];

static void insertion_sort(u32* v, i32 lo, i32 hi) {
  for (i32 i = lo + 1; i <= hi; i++) {
    u32 x = v[i];
    i32 j = i - 1;
    while (j >= lo && v[j] > x) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
}

static inline void swap(u32* v, i32 i, i32 j) {
  u32 t = v[i];
  v[i] = v[j];
  v[j] = t;
}

static void quicksort(u32* v, i32 lo, i32 hi) {
  while (hi - lo > 16) {
    i32 mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo]) swap(v, mid, lo);
    if (v[hi] < v[lo]) swap(v, hi, lo);
    if (v[hi] < v[mid]) swap(v, hi, mid);
    u32 pivot = v[mid];
    i32 i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        swap(v, i, j);
        i++;
        j--;
      }
    }
    /* Recurse into the smaller half, loop on the larger one. */
    if (j - lo < hi - i) {
      quicksort(v, lo, j);
      lo = i;
    } else {
      quicksort(v, i, hi);
      hi = j;
    }
  }
  insertion_sort(v, lo, hi);
}

static void sift_down(u32* v, u32 root, u32 n) {
  for (;;) {
    u32 child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && v[child + 1] > v[child]) child++;
    if (v[root] >= v[child]) return;
    swap(v, (i32)root, (i32)child);
    root = child;
  }
}

static void heapsort(u32* v, u32 n) {
  for (u32 i = n / 2; i-- > 0;) sift_down(v, i, n);
  for (u32 end = n - 1; end > 0; end--) {
    swap(v, 0, (i32)end);
    sift_down(v, 0, end);
  }
}

EXPORT("run") int run(void) {
  rng_t r = {0x50A7ULL};
  u64 sum = 0;
  for (u32 i = 0; i < N; i++) {
    /* Some duplicates: values mod a large prime-ish range. */
    u32 x = rng_u32(&r) % 1000003u;
    a[i] = b[i] = x;
    sum += x;
  }
  quicksort(a, 0, (i32)N - 1);
  heapsort(b, N);
  u64 sum2 = 0;
  u32 h = 2166136261u;
  for (u32 i = 0; i < N; i++) {
    if (i > 0 && a[i - 1] > a[i]) return -1;
    if (a[i] != b[i]) return -2;
    sum2 += a[i];
    if ((i & 255) == 0) h = mix32(h, a[i]);
  }
  if (sum2 != sum) return -3;
  return (int)(mix32(h, (u32)sum) & 0x7fffffff);
}
