// fit_linear.cpp: the C++ wrappers (tensorfield.hpp) fitting a linear map by gradient descent, then checking the
// fitted weights against the true ones. RAII releases every tensor; a failing call throws tensorfield::Error.
//   c++ -std=c++17 fit_linear.cpp $(pkg-config --cflags --libs tensorfield) -o fit_linear && ./fit_linear
#include <cmath>
#include <cstdio>
#include <tensorfield.hpp>

using tensorfield::Tensor;

int main() {
  try {
    tf_manual_seed(3);
    Tensor w_true = Tensor::from({1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f}, {3, 2});
    Tensor w = Tensor::zeros({3, 2});
    w.requires_grad();
    for (int step = 0; step < 200; ++step) {
      Tensor x = Tensor::randn({64, 3});
      Tensor y = x.matmul(w_true) + Tensor::randn({64, 2}) * 0.01;
      Tensor err = x.matmul(w) - y;
      Tensor loss = (err * err).mean();
      loss.backward();
      Tensor g = w.grad();
      tensorfield::NoGrad off;  // the update itself is not recorded
      Tensor next = w - g * 0.1;
      tf_tensor* d = nullptr;
      tensorfield::check(tf_detach(next.get(), &d));  // a fresh leaf holding the update
      w = Tensor(d);
      w.requires_grad();
    }
    std::vector<float> got = w.to_vector(), want = w_true.to_vector();
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::fmax(worst, std::fabs(got[i] - want[i]));
    std::printf("largest weight error %.4g\n", worst);
    // a deliberate error: the wrappers turn its status into an exception
    try {
      Tensor::op("matmul", {&w, &w});
      std::printf("FAILED: a [3, 2] @ [3, 2] matmul did not throw\n");
      return 1;
    } catch (const tensorfield::Error& e) {
      std::printf("caught %s\n", e.what());
      if (e.status() != TF_SHAPE_MISMATCH) return 1;
    }
    std::printf("%s\n", worst < 0.01 ? "ok" : "FAILED");
    return worst < 0.01 ? 0 : 1;
  } catch (const tensorfield::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
