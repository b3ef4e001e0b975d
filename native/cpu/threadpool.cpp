#include "threadpool.h"
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#include <algorithm>
#include <exception>

namespace tf {

namespace {

thread_local bool t_inside_pool = false;

class Pool {
 public:
  Pool() {
    int n = 0;
    if (const char* e = std::getenv("TENSORFIELD_NUM_THREADS")) n = std::atoi(e);
    if (n <= 0) n = int(std::max(1u, std::thread::hardware_concurrency()));
    resize(n);
  }
  ~Pool() { stop_workers(); }

  int size() const { return nthreads_; }

  void resize(int n) {
    std::lock_guard<std::mutex> run(run_mutex_);  // waits for an in-flight job
    stop_workers();
    nthreads_ = std::max(1, n);
    stop_ = false;
    for (int i = 1; i < nthreads_; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void run(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
    int64_t n = end - begin;
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    int64_t max_chunks = (n + grain - 1) / grain;
    if (nthreads_ == 1 || max_chunks <= 1 || t_inside_pool) { f(begin, end); return; }
    std::unique_lock<std::mutex> run(run_mutex_, std::try_to_lock);
    if (!run.owns_lock()) { f(begin, end); return; }  // another JS thread is using the pool

    int64_t chunks = std::min<int64_t>(max_chunks, int64_t(nthreads_) * 4);
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &f; begin_ = begin; end_ = end; nchunks_ = chunks; error_ = nullptr;
      // pending before next: a worker still spinning from the last job may claim a chunk as soon as next_ resets
      pending_.store(chunks); next_.store(0);
      ++generation_;
    }
    cv_.notify_all();
    work();
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [this] { return pending_.load() == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    bool was = t_inside_pool;
    t_inside_pool = true;
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= nchunks_) break;
      int64_t n = end_ - begin_;
      int64_t lo = begin_ + n * c / nchunks_, hi = begin_ + n * (c + 1) / nchunks_;
      try { (*fn_)(lo, hi); } catch (...) {
        std::lock_guard<std::mutex> lk(m_);
        if (!error_) error_ = std::current_exception();
      }
      if (pending_.fetch_sub(1) == 1) { std::lock_guard<std::mutex> lk(m_); done_cv_.notify_all(); }
    }
    t_inside_pool = was;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (!fn_) continue;
      }
      work();
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int nthreads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, nchunks_ = 0;
  std::atomic<int64_t> next_{0}, pending_{0};
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers must outlive every JS environment's teardown
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
  pool().run(begin, end, grain, f);
}

}  // namespace tf
