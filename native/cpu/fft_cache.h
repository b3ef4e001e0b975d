// FFT plans (cpu/fft_plan.h) by length: built on first use, cached, shared by every thread and backend row.
#pragma once
#include <cstdint>
#include <memory>
#include "fft_plan.h"

namespace tf {
namespace cpu {

struct FftPlanStore;  // owns a plan's arrays (cpu/fft_plan.cpp)

class FftPlanRef {
 public:
  explicit FftPlanRef(std::shared_ptr<const FftPlanStore> s);
  const FftPlan& operator*() const { return *plan_; }
  const FftPlan* get() const { return plan_; }

 private:
  std::shared_ptr<const FftPlanStore> store_;
  const FftPlan* plan_;
};

// The plan for length n >= 1. Thread-safe. The cache keeps the most recently used lengths (kFftCacheSize); a
// plan stays alive while a caller holds its reference, so an eviction never pulls it from under a running call.
constexpr int kFftCacheSize = 32;
FftPlanRef fft_plan(int64_t n);

}  // namespace cpu
}  // namespace tf
