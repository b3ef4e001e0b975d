/*
 * train_mlp.c: trains a small MLP denoiser on a mixture of 8 Gaussians through the C API alone, then samples it
 * with the fused Heun steps and checks the samples land on the mixture's modes.
 *
 *   cc -std=c99 train_mlp.c $(pkg-config --cflags --libs tensorfield) -lm -o train_mlp
 *   ./train_mlp [steps, default 4000] [checkpoint.safetensors]
 *
 * The model is EDM's (Karras et al. 2022) preconditioned denoiser D(x, s) = c_skip x + c_out F(c_in x, log(s)/4)
 * with F a 3 -> 64 -> 64 -> 2 SiLU MLP; the loss is the EDM loss written on F's target, mean |F - (x0 - c_skip x) / c_out|^2,
 * which equals EDM's weighted denoiser loss. With a second argument the trained weights are saved there as
 * safetensors (w1, b1, w2, b2, w3, b3; the Node API's loadSafetensors reads them). Exit status 0 when the samples pass the check, 1 when they do not,
 * 2 on an API error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tensorfield.h>

#define SIGMA_DATA 1.4
#define BATCH 256
#define HIDDEN 64
#define NPARAM 6
#define MAX_TEMPS 64

/* Every call is checked; an error prints the status and message and ends the program. */
#define CHECK(call)                                                                          \
  do {                                                                                       \
    tf_status s_ = (call);                                                                   \
    if (s_ != TF_OK) {                                                                       \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, tf_status_name(s_), tf_last_error()); \
      exit(2);                                                                               \
    }                                                                                        \
  } while (0)

/* Tensors made during one step, released together at its end. */
static tf_tensor *temps[MAX_TEMPS];
static int n_temps = 0;
static tf_tensor *keep(tf_tensor *t) {
  if (n_temps == MAX_TEMPS) { fprintf(stderr, "too many temporaries\n"); exit(2); }
  temps[n_temps++] = t;
  return t;
}
static void release_temps(void) {
  while (n_temps > 0) CHECK(tf_tensor_release(temps[--n_temps]));
}

static tf_tensor *unary(const char *op, tf_tensor *x) {
  tf_tensor *r;
  CHECK(tf_op(op, (const tf_tensor *const *)&x, 1, NULL, 0, &r));
  return keep(r);
}
static tf_tensor *bin(tf_status (*f)(const tf_tensor *, const tf_tensor *, tf_tensor **), tf_tensor *a, tf_tensor *b) {
  tf_tensor *r;
  CHECK(f(a, b, &r));
  return keep(r);
}
static tf_tensor *scal(tf_status (*f)(const tf_tensor *, double, tf_tensor **), tf_tensor *a, double s) {
  tf_tensor *r;
  CHECK(f(a, s, &r));
  return keep(r);
}

/* params: w1 [3, H], b1 [H], w2 [H, H], b2 [H], w3 [H, 2], b3 [2] */
static tf_tensor *params[NPARAM], *adam_m[NPARAM], *adam_v[NPARAM];

static void init_params(void) {
  const int64_t shapes[NPARAM][2] = {{3, HIDDEN}, {HIDDEN, 0}, {HIDDEN, HIDDEN}, {HIDDEN, 0}, {HIDDEN, 2}, {2, 0}};
  for (int i = 0; i < NPARAM; ++i) {
    int nd = shapes[i][1] ? 2 : 1;
    tf_tensor *r, *p;
    if (nd == 2) { /* N(0, 1 / fan_in) weights */
      CHECK(tf_randn(shapes[i], 2, TF_FLOAT32, &r));
      CHECK(tf_mul_scalar(r, 1.0 / sqrt((double)shapes[i][0]), &p));
      CHECK(tf_tensor_release(r));
    } else {
      CHECK(tf_zeros(shapes[i], 1, TF_FLOAT32, &p));
    }
    CHECK(tf_set_requires_grad(p, 1));
    params[i] = p;
    CHECK(tf_zeros(shapes[i], nd, TF_FLOAT32, &adam_m[i]));
    CHECK(tf_zeros(shapes[i], nd, TF_FLOAT32, &adam_v[i]));
  }
}

/* F(c_in x, c_noise): x [B, 2] scaled, cn [B, 1] */
static tf_tensor *net(tf_tensor *xin, tf_tensor *cn) {
  tf_tensor *pair[2] = {xin, cn}, *h;
  CHECK(tf_cat((const tf_tensor *const *)pair, 2, 1, &h));
  keep(h);
  h = unary("silu", bin(tf_add, bin(tf_matmul, h, params[0]), params[1]));
  h = unary("silu", bin(tf_add, bin(tf_matmul, h, params[2]), params[3]));
  return bin(tf_add, bin(tf_matmul, h, params[4]), params[5]);
}

/* c_skip, c_out, c_in and c_noise of noise levels s [B, 1] */
static void precond(tf_tensor *s, tf_tensor **c_skip, tf_tensor **c_out, tf_tensor **c_in, tf_tensor **c_noise) {
  const double sd2 = SIGMA_DATA * SIGMA_DATA;
  tf_tensor *s2 = unary("square", s);
  tf_tensor *rs = unary("rsqrt", scal(tf_add_scalar, s2, sd2)); /* 1 / sqrt(s^2 + sd^2) */
  *c_skip = scal(tf_mul_scalar, unary("reciprocal", scal(tf_add_scalar, s2, sd2)), sd2);
  *c_out = scal(tf_mul_scalar, bin(tf_mul, s, rs), SIGMA_DATA);
  *c_in = rs;
  *c_noise = scal(tf_mul_scalar, unary("log", s), 0.25);
}

/* A batch of the mixture: 8 centers on a circle of radius 2, standard deviation 0.1. */
static tf_tensor *sample_data(void) {
  float buf[BATCH * 2];
  for (int i = 0; i < BATCH; ++i) {
    int k = rand() % 8;
    double a = 2.0 * 3.14159265358979 * k / 8.0;
    buf[2 * i] = (float)(2.0 * cos(a));
    buf[2 * i + 1] = (float)(2.0 * sin(a));
  }
  const int64_t shape[2] = {BATCH, 2};
  tf_tensor *centers, *z;
  CHECK(tf_tensor_from_data(buf, TF_FLOAT32, shape, 2, &centers));
  CHECK(tf_randn(shape, 2, TF_FLOAT32, &z));
  keep(centers);
  keep(z);
  return bin(tf_add, centers, scal(tf_mul_scalar, z, 0.1));
}

static double train_step(int64_t step) {
  const int64_t col[2] = {BATCH, 1};
  tf_tensor *x0 = sample_data(), *z, *n;
  CHECK(tf_randn(col, 2, TF_FLOAT32, &z));
  keep(z);
  tf_tensor *s = unary("exp", scal(tf_add_scalar, scal(tf_mul_scalar, z, 1.2), -1.2)); /* log-normal levels */
  const int64_t shape[2] = {BATCH, 2};
  CHECK(tf_randn(shape, 2, TF_FLOAT32, &n));
  keep(n);
  tf_tensor *x = bin(tf_add, x0, bin(tf_mul, n, s));
  tf_tensor *c_skip, *c_out, *c_in, *c_noise;
  precond(s, &c_skip, &c_out, &c_in, &c_noise);
  tf_tensor *F = net(bin(tf_mul, x, c_in), c_noise);
  tf_tensor *target = bin(tf_div, bin(tf_sub, x0, bin(tf_mul, c_skip, x)), c_out);
  tf_tensor *loss;
  CHECK(tf_mean(unary("square", bin(tf_sub, F, target)), NULL, 0, 0, &loss));
  keep(loss);
  CHECK(tf_backward(loss));
  tf_tensor *grads[NPARAM];
  for (int i = 0; i < NPARAM; ++i) {
    CHECK(tf_tensor_grad(params[i], &grads[i]));
    keep(grads[i]);
  }
  tf_adam_options o = {2e-3, 0.9, 0.999, 1e-8, 0.0, step, 0};
  CHECK(tf_adam_step(params, (const tf_tensor *const *)grads, adam_m, adam_v, NPARAM, &o));
  for (int i = 0; i < NPARAM; ++i) CHECK(tf_zero_grad(params[i]));
  double l;
  CHECK(tf_tensor_item(loss, &l));
  release_temps();
  return l;
}

/* D(x, s) at one noise level for the whole batch, recording nothing */
static tf_tensor *denoise(tf_tensor *x, double sigma) {
  const int64_t col[2] = {BATCH, 1};
  tf_tensor *s;
  CHECK(tf_full(col, 2, sigma, TF_FLOAT32, &s));
  keep(s);
  tf_tensor *c_skip, *c_out, *c_in, *c_noise;
  precond(s, &c_skip, &c_out, &c_in, &c_noise);
  tf_tensor *F = net(bin(tf_mul, x, c_in), c_noise);
  return bin(tf_add, bin(tf_mul, c_skip, x), bin(tf_mul, c_out, F));
}

/* Heun's method over EDM's schedule (rho 7), 18 steps from 40 to 0.002 */
static tf_tensor *sample(void) {
  const int N = 18;
  const double smin = 0.002, smax = 40.0, rho = 7.0;
  double sig[19];
  for (int i = 0; i < N; ++i)
    sig[i] = pow(pow(smax, 1 / rho) + i / (N - 1.0) * (pow(smin, 1 / rho) - pow(smax, 1 / rho)), rho);
  sig[N] = 0;
  const int64_t shape[2] = {BATCH, 2};
  tf_tensor *z, *x;
  CHECK(tf_randn(shape, 2, TF_FLOAT32, &z));
  CHECK(tf_mul_scalar(z, smax, &x));
  CHECK(tf_tensor_release(z));
  int prev;
  CHECK(tf_set_grad_enabled(0, &prev));
  for (int i = 0; i < N; ++i) {
    tf_tensor *d = denoise(x, sig[i]), *xe, *xn;
    CHECK(tf_euler_step(x, d, sig[i], sig[i + 1], &xe));
    if (sig[i + 1] > 0) {
      tf_tensor *d2 = denoise(xe, sig[i + 1]);
      CHECK(tf_heun_step(x, d, xe, d2, sig[i], sig[i + 1], &xn));
      CHECK(tf_tensor_release(xe));
    } else {
      xn = xe;
    }
    release_temps();
    CHECK(tf_tensor_release(x));
    x = xn;
  }
  CHECK(tf_set_grad_enabled(prev, NULL));
  return x;
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 4000;
  char isa[32];
  CHECK(tf_isa(isa, sizeof isa));
  printf("tensorfield %s (C API %d), isa %s, %d threads\n", tf_version(), tf_api_version(), isa, tf_get_num_threads());
  srand(1);
  CHECK(tf_manual_seed(1));
  init_params();
  double first = 0, last = 0;
  for (int s = 1; s <= steps; ++s) {
    double l = train_step(s);
    if (s <= 20) first += l / 20;
    if (s > steps - 20) last += l / 20;
    if (s % 100 == 0) printf("step %d loss %.4f\n", s, l);
  }
  tf_tensor *x = sample();
  float out[BATCH * 2];
  CHECK(tf_tensor_copy_to(x, out, sizeof out));
  CHECK(tf_tensor_release(x));
  /* the check: most samples within 0.5 of a center, and every mode gets some */
  int near = 0, per_mode[8] = {0};
  for (int i = 0; i < BATCH; ++i) {
    int best = 0;
    double bd = 1e30;
    for (int k = 0; k < 8; ++k) {
      double a = 2.0 * 3.14159265358979 * k / 8.0;
      double dx = out[2 * i] - 2.0 * cos(a), dy = out[2 * i + 1] - 2.0 * sin(a);
      double d = sqrt(dx * dx + dy * dy);
      if (d < bd) { bd = d; best = k; }
    }
    if (bd < 0.5) { ++near; ++per_mode[best]; }
  }
  int modes = 0;
  for (int k = 0; k < 8; ++k) modes += per_mode[k] >= BATCH / 32;
  printf("loss %.4f -> %.4f; %d of %d samples within 0.5 of a mode; %d of 8 modes hold >= %d\n", first, last, near,
         BATCH, modes, BATCH / 32);
  if (argc > 2) {
    const char *names[NPARAM] = {"w1", "b1", "w2", "b2", "w3", "b3"};
    const char *keys[2] = {"format", "steps"}, *values[2] = {"tensorfield-c-example", argv[1]};
    CHECK(tf_safetensors_save(argv[2], names, (const tf_tensor *const *)params, NPARAM, keys, values, 2));
    tf_tensor *sum;
    double w1_sum;
    CHECK(tf_sum(params[0], NULL, 0, 0, &sum));
    CHECK(tf_tensor_item(sum, &w1_sum));
    CHECK(tf_tensor_release(sum));
    printf("saved %s (sum of w1: %.9g)\n", argv[2], w1_sum);
  }
  for (int i = 0; i < NPARAM; ++i) {
    CHECK(tf_tensor_release(params[i]));
    CHECK(tf_tensor_release(adam_m[i]));
    CHECK(tf_tensor_release(adam_v[i]));
  }
  int ok = last < first && near >= BATCH * 8 / 10 && modes == 8;
  printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
