/*
 * capi_check.c: the C API's error paths and contracts, run by test/capi.test.ts (also under AddressSanitizer).
 *   capi_check            every check below; prints "ok N checks" and exits 0, or names the first failure and exits 1
 *   capi_check values F   writes silu(randn([4, 3]) @ randn([3, 5])) after tf_manual_seed(42) to F as raw float32,
 *                         for the test to compare bit for bit with the same ops through the Node API
 *   capi_check st-write F writes a safetensors file for the Node API to read: "w" randn([3, 4]) after seed 7,
 *                         "i" int32 [1, -2, 3], "u" uint8 [[0, 255]], "d" float64 [0.1], metadata format=tensorfield-c
 *   capi_check st-read F  prints each tensor of F, one JSON line each: {"name", "dtype", "shape", "values"}
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

static int st_write(const char *path) {
  const int64_t sw[2] = {3, 4}, si = 3, su[2] = {1, 2}, sd = 1;
  const int32_t iv[3] = {1, -2, 3};
  const uint8_t uv[2] = {0, 255};
  const double dv[1] = {0.1};
  tf_tensor *t[4];
  OK(tf_manual_seed(7));
  OK(tf_randn(sw, 2, TF_FLOAT32, &t[0]));
  OK(tf_tensor_from_data(iv, TF_INT32, &si, 1, &t[1]));
  OK(tf_tensor_from_data(uv, TF_UINT8, su, 2, &t[2]));
  OK(tf_tensor_from_data(dv, TF_FLOAT64, &sd, 1, &t[3]));
  const char *names[4] = {"w", "i", "u", "d"}, *keys[1] = {"format"}, *vals[1] = {"tensorfield-c"};
  OK(tf_safetensors_save(path, names, (const tf_tensor *const *)t, 4, keys, vals, 1));
  for (int i = 0; i < 4; ++i) OK(tf_tensor_release(t[i]));
  return 0;
}

static int st_read(const char *path) {
  static const char *dt_names[] = {"float32", "float64", "int32", "int8", "uint8"};
  tf_safetensors *f = NULL;
  OK(tf_safetensors_load(path, &f));
  int n = 0;
  OK(tf_safetensors_count(f, &n));
  for (int i = 0; i < n; ++i) {
    const char *name;
    tf_tensor *t;
    tf_dtype dt;
    int nd;
    int64_t shape[8], numel;
    OK(tf_safetensors_name(f, i, &name));
    OK(tf_safetensors_get(f, name, &t));
    OK(tf_tensor_dtype(t, &dt));
    OK(tf_tensor_ndim(t, &nd));
    OK(tf_tensor_shape(t, shape, 8));
    OK(tf_tensor_numel(t, &numel));
    tf_tensor *d; /* a contiguous copy, read through its data pointer */
    OK(tf_op("copy", (const tf_tensor *const *)&t, 1, NULL, 0, &d));
    void *p;
    OK(tf_tensor_data(d, &p));
    double *v = malloc(sizeof(double) * (size_t)(numel > 0 ? numel : 1));
    for (int64_t k = 0; k < numel; ++k) {
      switch (dt) {
        case TF_FLOAT32: v[k] = ((float *)p)[k]; break;
        case TF_FLOAT64: v[k] = ((double *)p)[k]; break;
        case TF_INT32: v[k] = ((int32_t *)p)[k]; break;
        case TF_INT8: v[k] = ((int8_t *)p)[k]; break;
        case TF_UINT8: v[k] = ((uint8_t *)p)[k]; break;
      }
    }
    printf("{\"name\": \"%s\", \"dtype\": \"%s\", \"shape\": [", name, dt_names[dt]);
    for (int k = 0; k < nd; ++k) printf("%s%lld", k ? ", " : "", (long long)shape[k]);
    printf("], \"values\": [");
    for (int64_t k = 0; k < numel; ++k) printf("%s%.17g", k ? ", " : "", v[k]);
    printf("]}\n");
    free(v);
    OK(tf_tensor_release(d));
    OK(tf_tensor_release(t));
  }
  const char *fmt;
  OK(tf_safetensors_metadata(f, "format", &fmt));
  printf("{\"metadata format\": \"%s\"}\n", fmt ? fmt : "(none)");
  tf_safetensors_free(f);
  return 0;
}

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  EXPECT(f && fwrite(p, 1, n, f) == n, "write a test file");
  fclose(f);
}

/* safetensors: a round trip in C and every way a file can be refused */
static void check_files(const char *dir) {
  char path[512], bad[512];
  snprintf(path, sizeof path, "%s/c.safetensors", dir);
  snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
  const int64_t s2 = 2;
  const float fv[2] = {1.5f, -2.5f};
  tf_tensor *a = NULL, *got = NULL;
  OK(tf_tensor_from_data(fv, TF_FLOAT32, &s2, 1, &a));
  const char *names[2] = {"a", "a"};
  const tf_tensor *ts[2] = {a, a};
  EXPECT_STATUS(tf_safetensors_save(path, names, ts, 2, NULL, NULL, 0), TF_INVALID_ARGUMENT, "given twice");
  const char *reserved[1] = {"__metadata__"};
  EXPECT_STATUS(tf_safetensors_save(path, reserved, ts, 1, NULL, NULL, 0), TF_INVALID_ARGUMENT, "reserved");
  EXPECT_STATUS(tf_safetensors_save(path, names, ts, 1, NULL, NULL, 2), TF_INVALID_ARGUMENT, "meta_keys is NULL");
  EXPECT_STATUS(tf_safetensors_save("/nonexistent-dir/x.safetensors", names, ts, 1, NULL, NULL, 0), TF_IO, "ENOENT");
  OK(tf_safetensors_save(path, names, ts, 1, NULL, NULL, 0));
  tf_safetensors *f = NULL;
  OK(tf_safetensors_load(path, &f));
  int n = 0;
  OK(tf_safetensors_count(f, &n));
  const char *nm = NULL, *meta = "x";
  OK(tf_safetensors_name(f, 0, &nm));
  EXPECT(n == 1 && strcmp(nm, "a") == 0, "one tensor named a");
  EXPECT_STATUS(tf_safetensors_name(f, 1, &nm), TF_INDEX_OUT_OF_RANGE, "index 1");
  EXPECT_STATUS(tf_safetensors_get(f, "b", &got), TF_INVALID_ARGUMENT, "no tensor named 'b'");
  OK(tf_safetensors_metadata(f, "k", &meta));
  EXPECT(meta == NULL, "absent metadata is NULL");
  OK(tf_safetensors_get(f, "a", &got));
  tf_safetensors_free(f);
  float back[2];
  OK(tf_tensor_copy_to(got, back, sizeof back));
  EXPECT(back[0] == 1.5f && back[1] == -2.5f, "the tensor outlives its file object");
  OK(tf_tensor_release(got));
  OK(tf_tensor_release(a));

  tf_safetensors *g = NULL;
  EXPECT_STATUS(tf_safetensors_load("/nonexistent-dir/x.safetensors", &g), TF_IO, "ENOENT");
  EXPECT_STATUS(tf_safetensors_load(dir, &g), TF_IO, "directory");
  EXPECT_STATUS(tf_safetensors_load(NULL, &g), TF_NULL_POINTER, "path");
  write_bytes(bad, "abc", 3);
  EXPECT_STATUS(tf_safetensors_load(bad, &g), TF_BAD_FILE, "too short");
  unsigned char huge[16] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
  write_bytes(bad, huge, sizeof huge);
  EXPECT_STATUS(tf_safetensors_load(bad, &g), TF_BAD_FILE, "over the");
  const char *headers[][2] = {
      {"[1,2,3] ", "does not start with '{'"},
      {"{\"a\":1,} ", "expected a member name"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}", "twice"},
      {"{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", "not supported"},
      {"{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,2]}}", "unknown dtype"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "non-negative"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "needs 8 bytes"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "gap in the data section"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", "past the end"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "4 bytes of trailing data"},
      {"{\"__metadata__\":{\"k\":1}}", "not a string"},
      {"{\"\xff\":1}", "UTF-8"},
  };
  for (size_t i = 0; i < sizeof headers / sizeof headers[0]; ++i) {
    unsigned char buf[256] = {0};
    size_t hl = strlen(headers[i][0]);
    for (int k = 0; k < 8; ++k) buf[k] = (unsigned char)(((uint64_t)hl) >> (8 * k));
    memcpy(buf + 8, headers[i][0], hl);
    write_bytes(bad, buf, 8 + hl + 8); /* and an 8-byte data section of zeros */
    EXPECT_STATUS(tf_safetensors_load(bad, &g), TF_BAD_FILE, headers[i][1]);
  }
  EXPECT(g == NULL, "a refused file writes no output");
  remove(bad);
  remove(path);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "values") == 0) return write_values(argv[2]);
  if (argc == 3 && strcmp(argv[1], "st-write") == 0) return st_write(argv[2]);
  if (argc == 3 && strcmp(argv[1], "st-read") == 0) return st_read(argv[2]);
  if (argc == 3 && strcmp(argv[1], "files") == 0) {
    check_files(argv[2]);
    printf("ok %d checks\n", checks);
    return 0;
  }

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
  EXPECT(tf_get_matmul_precision() == TF_MATMUL_FP32, "matmul precision defaults to fp32");
  EXPECT_STATUS(tf_set_matmul_precision((tf_matmul_precision)42), TF_INVALID_ARGUMENT, "TF_MATMUL_FP32, TF_MATMUL_BF16 or TF_MATMUL_TF32");
  OK(tf_set_matmul_precision(TF_MATMUL_BF16));
  EXPECT(tf_get_matmul_precision() == TF_MATMUL_BF16, "matmul precision set to bf16");
  OK(tf_set_matmul_precision(TF_MATMUL_TF32));
  EXPECT(tf_get_matmul_precision() == TF_MATMUL_TF32, "matmul precision set to tf32");
  OK(tf_set_matmul_precision(TF_MATMUL_FP32));
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
  /* rfft by name: [1, 2, 3, 4] -> (10, 0), (-2, 2), (-2, 0); irfft brings it back; a real input to "fft" is refused */
  const float fv[4] = {1, 2, 3, 4};
  tf_tensor *fx = vec(fv, 4), *fX = NULL, *fy = NULL;
  const tf_tensor *fin[1] = {fx};
  OK(tf_op("rfft", fin, 1, NULL, 0, &fX));
  float spec[6];
  OK(tf_tensor_copy_to(fX, spec, sizeof spec));
  EXPECT(spec[0] == 10 && spec[1] == 0 && spec[2] == -2 && spec[3] == 2 && spec[4] == -2 && spec[5] == 0, "rfft values");
  tf_attr fn = {"n", TF_ATTR_NUMBER, 4, NULL, 0}, fs = {"scale", TF_ATTR_NUMBER, 0.25, NULL, 0};
  tf_attr fattrs[2] = {fn, fs};
  const tf_tensor *Xin[1] = {fX};
  OK(tf_op("irfft", Xin, 1, fattrs, 2, &fy));
  float back[4];
  OK(tf_tensor_copy_to(fy, back, sizeof back));
  EXPECT(fabsf(back[0] - 1) < 1e-6f && fabsf(back[3] - 4) < 1e-6f, "irfft round trip");
  EXPECT_STATUS(tf_op("fft", fin, 1, NULL, 0, &r), TF_SHAPE_MISMATCH, "trailing dim of size 2");
  OK(tf_tensor_release(fx));
  OK(tf_tensor_release(fX));
  OK(tf_tensor_release(fy));
  /* cholesky by name: [[4, 2], [2, 3]] = L L^T with L = [[2, 0], [1, sqrt 2]]; an indefinite matrix is refused */
  const float spd[4] = {4, 2, 2, 3}, indef[4] = {1, 0, 0, -1};
  const int64_t s22[2] = {2, 2};
  tf_tensor *am = NULL, *lm = NULL, *indefm = NULL;
  OK(tf_tensor_from_data(spd, TF_FLOAT32, s22, 2, &am));
  const tf_tensor *ain[1] = {am};
  OK(tf_op("cholesky", ain, 1, NULL, 0, &lm));
  float lv[4];
  OK(tf_tensor_copy_to(lm, lv, sizeof lv));
  EXPECT(lv[0] == 2 && lv[1] == 0 && lv[2] == 1 && fabsf(lv[3] - sqrtf(2.0f)) < 1e-6f, "cholesky values");
  OK(tf_tensor_from_data(indef, TF_FLOAT32, s22, 2, &indefm));
  const tf_tensor *bin_[1] = {indefm};
  EXPECT_STATUS(tf_op("cholesky", bin_, 1, NULL, 0, &r), TF_INVALID_ARGUMENT, "not positive definite");
  OK(tf_tensor_release(am));
  OK(tf_tensor_release(lm));
  OK(tf_tensor_release(indefm));
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

  /* fused steps by name, SGD, forward mode, int8 */
  {
    const int64_t s4 = 4;
    const float xv[4] = {1, 2, 3, 4}, dv[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    tf_tensor *x = vec(xv, 4), *dn = vec(dv, 4), *e1 = NULL, *e2 = NULL, *e3 = NULL;
    const tf_tensor *pair[2] = {x, dn};
    const double sig[2] = {2.0, 1.0};
    OK(tf_euler_step(x, dn, 2.0, 1.0, &e1));
    OK(tf_fused_step("euler", pair, 2, sig, 2, NULL, &e2));
    float a1[4], a2[4];
    OK(tf_tensor_copy_to(e1, a1, sizeof a1));
    OK(tf_tensor_copy_to(e2, a2, sizeof a2));
    EXPECT(memcmp(a1, a2, sizeof a1) == 0 && a1[0] == 0.75f, "tf_fused_step(\"euler\") is tf_euler_step");
    EXPECT_STATUS(tf_fused_step("eular", pair, 2, sig, 2, NULL, &e3), TF_INVALID_ARGUMENT, "known: euler");
    EXPECT_STATUS(tf_fused_step("euler", pair, 1, sig, 2, NULL, &e3), TF_INVALID_ARGUMENT, "expected 2 tensors");
    EXPECT_STATUS(tf_fused_step("euler", pair, 2, sig, 1, NULL, &e3), TF_INVALID_ARGUMENT, "expected 2 numbers");
    OK(tf_fused_step("euler", pair, 2, sig, 2, x, &e3)); /* in place: x is the result */
    OK(tf_tensor_copy_to(x, a2, sizeof a2));
    EXPECT(memcmp(a1, a2, sizeof a1) == 0, "an in-place step writes its state");
    char steps[512];
    OK(tf_fused_step_names(steps, sizeof steps, NULL));
    EXPECT(strstr(steps, "ddim") && strstr(steps, "binomialBridge"), "step names");

    tf_tensor *buf = NULL, *gr = vec(dv, 4);
    OK(tf_zeros(&s4, 1, TF_FLOAT32, &buf));
    tf_sgd_options so = {0.1, 0.0, 0.0, 0.0, 0, 1}, sbad = {0.1, -1, 0, 0, 0, 1};
    EXPECT_STATUS(tf_sgd_step(&x, (const tf_tensor *const *)&gr, &buf, 1, &sbad), TF_INVALID_ARGUMENT, "momentum");
    OK(tf_sgd_step(&x, (const tf_tensor *const *)&gr, &buf, 1, &so));
    OK(tf_tensor_copy_to(x, a2, sizeof a2));
    EXPECT(fabsf(a2[0] - (a1[0] - 0.05f)) < 1e-7f, "SGD moves by lr * grad");

    uint64_t lvl = 0;
    tf_tensor *dual = NULL, *sqd = NULL, *pr = NULL, *tg = NULL;
    EXPECT_STATUS(tf_make_dual(x, dn, &dual), TF_AUTOGRAD, "");
    OK(tf_dual_level_enter(&lvl));
    OK(tf_make_dual(x, dn, &dual));
    OK(tf_square(dual, &sqd));
    OK(tf_unpack_dual(sqd, &pr, &tg));
    float tv[4];
    OK(tf_tensor_copy_to(tg, tv, sizeof tv));
    EXPECT(tv[0] == 2 * a2[0] * 0.5f && tv[3] == 2 * a2[3] * 0.5f, "the JVP of x^2 along v is 2 x v");
    tf_tensor *pr2 = NULL, *tg2 = (tf_tensor *)1;
    OK(tf_unpack_dual(x, &pr2, &tg2));
    EXPECT(tg2 == NULL, "a tensor without a tangent unpacks to NULL");
    uint64_t lvl2 = 0;
    EXPECT_STATUS(tf_dual_level_enter(&lvl2), TF_AUTOGRAD, "nested");
    OK(tf_dual_level_exit(lvl));
    tf_tensor *after = NULL, *pr3 = NULL, *tg3 = (tf_tensor *)1;
    OK(tf_square(dual, &after));
    OK(tf_unpack_dual(after, &pr3, &tg3));
    EXPECT(tg3 == NULL, "outside the level, ops carry no tangent");
    OK(tf_tensor_release(after));
    OK(tf_tensor_release(pr3));

    /* int8: codes in, so the result is exact: (codes - zero) . W^T * x_scale * w_scale */
    const int64_t sw[2] = {2, 3}, sx[2] = {1, 3}, s2 = 2;
    const int8_t wv[6] = {1, -2, 3, 127, -127, 0};
    const uint8_t xc[3] = {10, 20, 30};
    const float ws[2] = {0.5f, 0.25f};
    tf_tensor *w8 = NULL, *xq = NULL, *wsc = NULL, *y = NULL;
    OK(tf_tensor_from_data(wv, TF_INT8, sw, 2, &w8));
    OK(tf_tensor_from_data(xc, TF_UINT8, sx, 2, &xq));
    OK(tf_tensor_from_data(ws, TF_FLOAT32, &s2, 1, &wsc));
    tf_int8_weight *pw = NULL;
    EXPECT_STATUS(tf_int8_pack(x, &pw), TF_DTYPE, "");
    OK(tf_int8_pack(w8, &pw));
    EXPECT_STATUS(tf_int8_linear(xq, 1.0, 10, pw, wsc, NULL, (tf_int8_act)7, &y), TF_INVALID_ARGUMENT, "activation");
    OK(tf_int8_linear(xq, 1.0, 10, pw, wsc, NULL, TF_INT8_NONE, &y));
    float yv[2];
    OK(tf_tensor_copy_to(y, yv, sizeof yv));
    /* codes - 10 = (0, 10, 20): row 0: 0 - 20 + 60 = 40 -> 20; row 1: 0 - 1270 + 0 -> -317.5 */
    EXPECT(yv[0] == 20.0f && yv[1] == -317.5f, "int8 Linear on codes is exact");
    char layout[32];
    OK(tf_int8_layout(layout, sizeof layout));
    tf_int8_weight_free(pw);
    tf_tensor *rel[] = {x, dn, e1, e2, e3, buf, gr, dual, sqd, pr, tg, pr2, w8, xq, wsc, y};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; ++i) OK(tf_tensor_release(rel[i]));
  }

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
  {
    /* the peak window: a reset brings the peak down to the live bytes; a 4 MB tensor raises it; releasing it
       leaves the peak where it was until the next reset */
    int64_t live0 = 0, peak = 0, closed = -1, live = 0;
    const int64_t big = 1 << 20;
    tf_tensor *t = NULL;
    OK(tf_reset_peak_bytes(&closed));
    EXPECT(closed >= 0, "tf_reset_peak_bytes reports the closed window's peak");
    OK(tf_memory_bytes(&live0, &peak));
    EXPECT(peak == live0, "after a reset the peak is the live bytes");
    OK(tf_zeros(&big, 1, TF_FLOAT32, &t));
    OK(tf_tensor_release(t));
    OK(tf_memory_bytes(&live, &peak));
    EXPECT(live == live0 && peak >= live0 + 4 * big, "a released 4 MB tensor stays in the peak");
    OK(tf_reset_peak_bytes(NULL));
    OK(tf_memory_bytes(NULL, &peak));
    EXPECT(peak == live0, "a second reset drops it");
  }
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
