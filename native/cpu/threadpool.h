// One persistent pool for the process. Work is split into chunks that the caller and the workers claim from
// an atomic counter, so the calling thread always helps and there is no per-call thread creation.
#pragma once
#include <cstdint>
#include <functional>

namespace tf {

int num_threads();
// n >= 1; resizes the pool (joins old workers). Safe to call between ops.
void set_num_threads(int n);
// Runs f(lo, hi) over [begin, end) in chunks of at least `grain` items. Runs inline when the range is small or
// when called from inside a pool task. Calls from several JS threads (worker_threads) run at the same time, the
// workers splitting their effort between them.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f);

}  // namespace tf
