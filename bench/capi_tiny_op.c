/*
 * Per-op overhead through the C API: microseconds per tf_add of two 4-element float32 tensors plus the release of
 * the result (what bench/tiny_op.mjs measures through N-API), median of 21 rounds of 20,000 calls, one thread.
 *   cmake -S native -B build-capi && cmake --build build-capi -j
 *   cc -O2 -std=c99 -Iinclude bench/capi_tiny_op.c -Lbuild-capi -ltensorfield -Wl,-rpath,$PWD/build-capi -o /tmp/capi_tiny_op
 *   /tmp/capi_tiny_op
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <tensorfield.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  const int64_t n = 4;
  const int reps = 20000;
  tf_tensor *a, *b, *c;
  tf_set_num_threads(1);
  if (tf_randn(&n, 1, TF_FLOAT32, &a) != TF_OK || tf_randn(&n, 1, TF_FLOAT32, &b) != TF_OK) return 1;
  double ts[23];
  for (int r = 0; r < 23; ++r) {
    double s = now_us();
    for (int i = 0; i < reps; ++i) {
      if (tf_add(a, b, &c) != TF_OK) return 1;
      tf_tensor_release(c);
    }
    ts[r] = (now_us() - s) / reps;
  }
  qsort(ts, 23, sizeof ts[0], cmp);
  printf("{\"engine\": \"tensorfield C API\", \"op\": \"add 4+4 float32\", \"usPerOp\": %.4f}\n", ts[11]);
  tf_tensor_release(a);
  tf_tensor_release(b);
  return 0;
}
