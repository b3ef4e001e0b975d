/*
 * capi_check.c: the C API's error paths and contracts, run by test/capi.test.ts (also under AddressSanitizer).
 *   capi_check            every check below; prints "ok N checks" and exits 0, or names the first failure and exits 1
 *   capi_check values F   writes silu(randn([4, 3]) @ randn([3, 5])) after tf_manual_seed(42) to F as raw float32,
 *                         for the test to compare bit for bit with the same ops through the Node API
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tensorfield.h>

static int checks = 0;
#define EXPECT(cond, what)                                                   \
  do {                                                                       \
    ++checks;                                                                \
    if (!(cond)) {                                                           \
      fprintf(stderr, "FAILED line %d: %s (last error: %s)\n", __LINE__, what, tf_last_error()); \
      exit(1);                                                               \
    }                                                                        \
  } while (0)
/* the call returns status S and leaves a message that contains `part` */
#define EXPECT_STATUS(call, S, part)                                                   \
  do {                                                                                 \
    tf_status got_ = (call);                                                           \
    ++checks;                                                                          \
    if (got_ != (S) || strstr(tf_last_error(), (part)) == NULL) {                      \
      fprintf(stderr, "FAILED line %d: %s gave %s \"%s\", expected %s with \"%s\"\n", __LINE__, #call, \
              tf_status_name(got_), tf_last_error(), tf_status_name(S), part);         \
      exit(1);                                                                         \
    }                                                                                  \
  } while (0)
#define OK(call) EXPECT_STATUS(call, TF_OK, "")

static tf_tensor *vec(const float *v, int64_t n) {
  tf_tensor *t = NULL;
  OK(tf_tensor_from_data(v, TF_FLOAT32, &n, 1, &t));
  return t;
}

static void *thread_body(void *arg) {
  (void)arg;
  tf_context *c = NULL;
  if (tf_context_create(&c) != TF_OK || tf_context_make_current(c) != TF_OK) return (void *)1;
  tf_manual_seed(5);
  const int64_t shape[1] = {16};
  for (int i = 0; i < 2000; ++i) {
    tf_tensor *a = NULL, *b = NULL;
    if (tf_randn(shape, 1, TF_FLOAT32, &a) != TF_OK || tf_add(a, a, &b) != TF_OK) return (void *)1;
    tf_tensor_release(a);
    tf_tensor_release(b);
  }
  tf_context_make_current(NULL);
  tf_context_destroy(c);
  return NULL;
}

static int write_values(const char *path) {
  const int64_t sa[2] = {4, 3}, sb[2] = {3, 5};
  tf_tensor *a, *b, *m, *y;
  OK(tf_manual_seed(42));
  OK(tf_randn(sa, 2, TF_FLOAT32, &a));
  OK(tf_randn(sb, 2, TF_FLOAT32, &b));
  OK(tf_matmul(a, b, &m));
  OK(tf_silu(m, &y));
  float out[20];
  OK(tf_tensor_copy_to(y, out, sizeof out));
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(out, sizeof out, 1, f) != 1) return 1;
  fclose(f);
  tf_tensor_release(a);
  tf_tensor_release(b);
  tf_tensor_release(m);
  tf_tensor_release(y);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "values") == 0) return write_values(argv[2]);

  /* version and names */
  EXPECT(tf_api_version() == TF_API_VERSION, "the library's API version is the header's");
  EXPECT(strlen(tf_version()) > 0, "a version string");
  EXPECT(strcmp(tf_status_name(TF_SHAPE_MISMATCH), "TF_SHAPE_MISMATCH") == 0, "status names");
  EXPECT(strcmp(tf_status_name((tf_status)999), "TF_UNKNOWN") == 0, "an unknown status");

  /* null pointers */
  const int64_t s23[2] = {2, 3};
  tf_tensor *t = NULL;
  EXPECT_STATUS(tf_zeros(s23, 2, TF_FLOAT32, NULL), TF_NULL_POINTER, "out must not be NULL");
  EXPECT_STATUS(tf_zeros(NULL, 2, TF_FLOAT32, &t), TF_NULL_POINTER, "shape must not be NULL");
  EXPECT_STATUS(tf_tensor_from_data(NULL, TF_FLOAT32, s23, 2, &t), TF_NULL_POINTER, "data");
  EXPECT_STATUS(tf_add(NULL, NULL, &t), TF_NULL_POINTER, "a must not be NULL");
  EXPECT_STATUS(tf_backward(NULL), TF_NULL_POINTER, "loss");
  EXPECT_STATUS(tf_op(NULL, NULL, 0, NULL, 0, &t), TF_NULL_POINTER, "name");
  EXPECT(t == NULL, "a failing call leaves its output untouched");
  EXPECT(strstr(tf_last_error(), "tf_op") != NULL, "the message names the function");

  /* bad shapes and dtypes */
  const int64_t neg[2] = {2, -1}, huge[2] = {INT64_MAX / 2, 4};
  EXPECT_STATUS(tf_zeros(neg, 2, TF_FLOAT32, &t), TF_INVALID_SIZE, "invalid size");
  EXPECT_STATUS(tf_zeros(huge, 2, TF_FLOAT32, &t), TF_INVALID_SIZE, "overflows");
  EXPECT_STATUS(tf_zeros(s23, -1, TF_FLOAT32, &t), TF_INVALID_ARGUMENT, "ndim");
  EXPECT_STATUS(tf_zeros(s23, 1000, TF_FLOAT32, &t), TF_INVALID_ARGUMENT, "ndim");
  EXPECT_STATUS(tf_zeros(s23, 2, (tf_dtype)42, &t), TF_DTYPE, "unknown dtype 42");
  EXPECT_STATUS(tf_randn(s23, 2, TF_INT32, &t), TF_DTYPE, "");
  OK(tf_isa(NULL, 0) == TF_NULL_POINTER ? TF_OK : TF_INTERNAL);
  char small[2];
  EXPECT_STATUS(tf_isa(small, sizeof small), TF_INVALID_ARGUMENT, "bytes");

  /* values, shapes, copies */
  const float av[3] = {1, 2, 3}, bv[3] = {10, 20, 30};
  tf_tensor *a = vec(av, 3), *b = vec(bv, 3), *c = NULL;
  OK(tf_add(a, b, &c));
  float cv[3];
  OK(tf_tensor_copy_to(c, cv, sizeof cv));
  EXPECT(cv[0] == 11 && cv[1] == 22 && cv[2] == 33, "add");
  EXPECT_STATUS(tf_tensor_copy_to(c, cv, 4), TF_INVALID_ARGUMENT, "nbytes is 4");
  int64_t shp[1];
  EXPECT_STATUS(tf_tensor_shape(c, shp, 0), TF_INVALID_ARGUMENT, "cap 0");
  OK(tf_tensor_shape(c, shp, 1));
  EXPECT(shp[0] == 3, "shape");
  double item;
  EXPECT_STATUS(tf_tensor_item(c, &item), TF_SHAPE_MISMATCH, "exactly one element");
  const float m6[6] = {1, 2, 3, 4, 5, 6};
  tf_tensor *m = NULL, *mt = NULL, *mm = NULL;
  OK(tf_tensor_from_data(m6, TF_FLOAT32, s23, 2, &m));
  EXPECT_STATUS(tf_matmul(m, m, &mm), TF_SHAPE_MISMATCH, "cannot be multiplied");
  OK(tf_transpose(m, 0, 1, &mt));
  int64_t st[2];
  OK(tf_tensor_strides(mt, st, 2));
  EXPECT(st[0] == 1 && st[1] == 3, "a transpose is a strided view");
  float mtv[6];
  OK(tf_tensor_copy_to(mt, mtv, sizeof mtv));
  EXPECT(mtv[1] == 4 && mtv[2] == 2, "copy_to gives row-major data of a view");
  EXPECT_STATUS(tf_transpose(m, 0, 5, &mt), TF_DIM_OUT_OF_RANGE, "");

  /* handles: released, forged, retained */
  tf_tensor *r = NULL;
  OK(tf_tensor_retain(c));
  OK(tf_tensor_release(c));
  OK(tf_tensor_numel(c, &shp[0])); /* still one reference */
  OK(tf_tensor_release(c));
  EXPECT_STATUS(tf_tensor_numel(c, &shp[0]), TF_DISPOSED, "released");
  EXPECT_STATUS(tf_add(c, a, &r), TF_DISPOSED, "released");
  EXPECT_STATUS(tf_tensor_release(c), TF_DISPOSED, "released");
  tf_tensor *reuse = NULL;
  OK(tf_zeros(s23, 2, TF_FLOAT32, &reuse)); /* may take c's slot: c must still be refused */
  EXPECT_STATUS(tf_tensor_numel(c, &shp[0]), TF_DISPOSED, "released");
  EXPECT_STATUS(tf_tensor_numel((tf_tensor *)(uintptr_t)0x7777777700001234ull, &shp[0]), TF_INVALID_ARGUMENT,
                "not a tensor handle");
  OK(tf_tensor_release(NULL));

  /* tf_op: names, attributes, input counts */
  const tf_tensor *one[1] = {a};
  tf_attr slope = {"slope", TF_ATTR_NUMBER, 0.5, NULL, 0}, bogus = {"slop", TF_ATTR_NUMBER, 0.5, NULL, 0};
  EXPECT_STATUS(tf_op("nosuchop", one, 1, NULL, 0, &r), TF_INVALID_ARGUMENT, "unknown op 'nosuchop'");
  EXPECT_STATUS(tf_op("leakyRelu", one, 1, &bogus, 1, &r), TF_INVALID_ARGUMENT, "no attribute 'slop'");
  tf_attr twice[2] = {slope, slope};
  EXPECT_STATUS(tf_op("leakyRelu", one, 1, twice, 2, &r), TF_INVALID_ARGUMENT, "given twice");
  EXPECT_STATUS(tf_op("add", one, 1, NULL, 0, &r), TF_INVALID_ARGUMENT, "takes 2 inputs, got 1");
  EXPECT_STATUS(tf_op("powScalar", one, 1, NULL, 0, &r), TF_INVALID_ARGUMENT, "needs the attribute 'exponent'");
  tf_attr ints_bad = {"dims", TF_ATTR_INTS, 0, NULL, 2};
  EXPECT_STATUS(tf_op("sum", one, 1, &ints_bad, 1, &r), TF_INVALID_ARGUMENT, "ints not NULL");
  const float nv[3] = {-2, 0, 2};
  tf_tensor *n = vec(nv, 3);
  const tf_tensor *nin[1] = {n};
  OK(tf_op("leakyRelu", nin, 1, &slope, 1, &r));
  OK(tf_tensor_copy_to(r, cv, sizeof cv));
  EXPECT(cv[0] == -1 && cv[2] == 2, "leakyRelu with slope 0.5");
  OK(tf_tensor_release(r));
  char names[4096];
  size_t need = 0;
  OK(tf_op_names(names, sizeof names, &need));
  EXPECT(strstr(names, "silu") && strstr(names, "conv2d") && need == strlen(names) + 1, "op names");
  EXPECT_STATUS(tf_op_names(names, 3, &need), TF_INVALID_ARGUMENT, "bytes");

  /* autograd */
  const int64_t i3 = 3;
  int32_t iv[3] = {1, 2, 3};
  tf_tensor *ints = NULL;
  OK(tf_tensor_from_data(iv, TF_INT32, &i3, 1, &ints));
  EXPECT_STATUS(tf_set_requires_grad(ints, 1), TF_DTYPE, "");
  OK(tf_set_requires_grad(a, 1));
  tf_tensor *sq = NULL, *loss = NULL, *g = NULL;
  OK(tf_square(a, &sq));
  EXPECT_STATUS(tf_backward(sq), TF_SHAPE_MISMATCH, "one element");
  OK(tf_sum(sq, NULL, 0, 0, &loss));
  OK(tf_backward(loss));
  OK(tf_tensor_grad(a, &g));
  OK(tf_tensor_copy_to(g, cv, sizeof cv));
  EXPECT(cv[0] == 2 && cv[1] == 4 && cv[2] == 6, "d sum(a^2) / da = 2a");
  EXPECT_STATUS(tf_backward(loss), TF_AUTOGRAD, "");
  tf_tensor *none = (tf_tensor *)1;
  OK(tf_tensor_grad(b, &none));
  EXPECT(none == NULL, "no gradient: NULL");
  int prev = -1;
  OK(tf_set_grad_enabled(0, &prev));
  tf_tensor *nog = NULL;
  OK(tf_square(a, &nog));
  int rg = 1;
  OK(tf_requires_grad(nog, &rg));
  EXPECT(prev == 1 && rg == 0, "no-grad mode records nothing");
  OK(tf_set_grad_enabled(prev, NULL));

  /* optimizer */
  tf_tensor *mb = NULL, *vb = NULL;
  OK(tf_zeros(&i3, 1, TF_FLOAT32, &mb));
  OK(tf_zeros(&i3, 1, TF_FLOAT32, &vb));
  tf_adam_options bad = {-1, 0.9, 0.999, 1e-8, 0, 1, 0}, good = {0.1, 0.9, 0.999, 1e-8, 0, 1, 0};
  EXPECT_STATUS(tf_adam_step(&a, (const tf_tensor *const *)&g, &mb, &vb, 1, &bad), TF_INVALID_ARGUMENT, "lr");
  EXPECT_STATUS(tf_adam_step(&a, (const tf_tensor *const *)&g, &mb, &vb, 1, NULL), TF_NULL_POINTER, "opts");
  EXPECT_STATUS(tf_adam_step(&a, (const tf_tensor *const *)&g, &mb, &vb, 0, &good), TF_INVALID_ARGUMENT, "n must be");
  const tf_tensor *ig[1] = {ints};
  EXPECT_STATUS(tf_adam_step(&a, ig, &mb, &vb, 1, &good), TF_DTYPE, "gradient 0 has dtype int32");
  OK(tf_adam_step(&a, (const tf_tensor *const *)&g, &mb, &vb, 1, &good)); /* outside autograd, as in the Node API */
  OK(tf_tensor_copy_to(a, cv, sizeof cv));
  EXPECT(fabs(cv[0] - 0.9) < 1e-6 && fabs(cv[2] - 2.9) < 1e-6, "Adam's first step moves each weight by lr");

  /* random state and contexts */
  uint64_t key, calls;
  const int64_t s8 = 8;
  float x1[8], x2[8];
  tf_tensor *z = NULL;
  OK(tf_manual_seed(9));
  OK(tf_rng_get_state(&key, &calls));
  OK(tf_randn(&s8, 1, TF_FLOAT32, &z));
  OK(tf_tensor_copy_to(z, x1, sizeof x1));
  OK(tf_tensor_release(z));
  OK(tf_rng_set_state(key, calls));
  OK(tf_randn(&s8, 1, TF_FLOAT32, &z));
  OK(tf_tensor_copy_to(z, x2, sizeof x2));
  OK(tf_tensor_release(z));
  EXPECT(memcmp(x1, x2, sizeof x1) == 0, "a restored generator repeats its stream");
  tf_context *ctx = NULL;
  OK(tf_context_create(&ctx));
  OK(tf_context_make_current(ctx));
  OK(tf_set_grad_enabled(0, &prev));
  OK(tf_context_make_current(NULL));
  OK(tf_set_grad_enabled(1, &prev));
  EXPECT(prev == 1, "grad mode belongs to the context");
  tf_context_destroy(ctx);
  EXPECT_STATUS(tf_set_num_threads(0), TF_INVALID_ARGUMENT, "n must be");

  /* threads: each with its own context, making and releasing handles at the same time */
  pthread_t th[4];
  for (int i = 0; i < 4; ++i) EXPECT(pthread_create(&th[i], NULL, thread_body, NULL) == 0, "thread start");
  for (int i = 0; i < 4; ++i) {
    void *ret = NULL;
    pthread_join(th[i], &ret);
    EXPECT(ret == NULL, "a thread's calls succeed");
  }

  tf_tensor *all[] = {a, b, m, mt, reuse, n, ints, sq, loss, g, nog, mb, vb};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) OK(tf_tensor_release(all[i]));
  printf("ok %d checks\n", checks);
  return 0;
}
