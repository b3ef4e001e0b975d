#include "threadpool.h"
#include "../backend/backend.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>
#include <algorithm>
#include <exception>
#include <immintrin.h>  // _mm_pause (SSE2: baseline x86-64)

namespace tf {

namespace {

thread_local bool t_inside_pool = false;

// Spin before sleeping, as OpenMP runtimes do: a worker that finished a region waits up to this many
// microseconds for the next one before parking on the condition variable, and a caller waits as long for its
// stragglers before blocking. Training steps run hundreds of small regions back to back; parking and waking on
// each cost a futex round trip per worker per region (28.7 million context switches in one demo run on 16
// cores). TENSORFIELD_SPIN_US sets it (0: never spin, for oversubscribed machines).
int spin_micros() {
  static const int n = [] {
    const char* e = std::getenv("TENSORFIELD_SPIN_US");
    if (e && *e) return std::max(0, std::atoi(e));
    return 100;
  }();
  return n;
}

// Returns as soon as done() holds, or when the spin time has passed (the caller then blocks or parks).
template <class F>
void spin_until(F done) {
  const int us = spin_micros();
  if (us == 0) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return;
      _mm_pause();
    }
    if (std::chrono::steady_clock::now() >= until) return;
  }
}

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
    std::unique_lock<std::shared_mutex> run(run_mutex_);  // waits for every in-flight job
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
    std::shared_lock<std::shared_mutex> run(run_mutex_, std::try_to_lock);
    if (!run.owns_lock()) { f(begin, end); return; }  // the pool is being resized

    // Jobs from several JS threads (worker_threads) run at once: each caller works on its own job, and the
    // workers take chunks from whichever job has some left, so every caller gets a share of the pool.
    Job job;
    job.fn = &f; job.begin = begin; job.end = end;
    job.nchunks = std::min<int64_t>(max_chunks, int64_t(nthreads_) * 4);
    job.pending.store(job.nchunks);
    int asleep;
    {
      std::lock_guard<std::mutex> lk(m_);
      jobs_.push_back(&job);
      epoch_.fetch_add(1, std::memory_order_release);  // what spinning workers watch
      asleep = sleeping_;
    }
    // wake only as many parked workers as there are chunks for them (the caller takes one share itself)
    const int64_t helpers = std::min<int64_t>(asleep, job.nchunks - 1);
    if (helpers >= asleep) cv_.notify_all();
    else for (int64_t i = 0; i < helpers; ++i) cv_.notify_one();
    work(job);
    // The job lives on this stack: return only when every chunk is done and no worker is still inside it (a
    // worker that joined late may still make its last claim on the counter). Spin first, then block.
    auto finished = [&] { return job.pending.load() == 0 && job.active.load() == 0; };
    spin_until(finished);
    {
      std::unique_lock<std::mutex> lk(m_);
      done_cv_.wait(lk, finished);
      jobs_.erase(std::find(jobs_.begin(), jobs_.end(), &job));
    }
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  // One parallel_for: its own claim counter, so a worker can never take a chunk of one job against the bounds of
  // another (a shared counter reset for the next job let a straggler run a chunk twice and the caller return early)
  struct Job {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    int64_t begin = 0, end = 0, nchunks = 0;
    std::atomic<int64_t> next{0}, pending{0};
    std::atomic<int> active{0};  // workers inside work(); changed under m_, read by the spinning caller
    std::exception_ptr error;  // guarded by m_
  };

  void work(Job& j) {
    bool was = t_inside_pool;
    t_inside_pool = true;
    for (;;) {
      int64_t c = j.next.fetch_add(1);
      if (c >= j.nchunks) break;
      int64_t n = j.end - j.begin;
      int64_t lo = j.begin + n * c / j.nchunks, hi = j.begin + n * (c + 1) / j.nchunks;
      try { (*j.fn)(lo, hi); } catch (...) {
        std::lock_guard<std::mutex> lk(m_);
        if (!j.error) j.error = std::current_exception();
      }
      if (j.pending.fetch_sub(1) == 1) { std::lock_guard<std::mutex> lk(m_); done_cv_.notify_all(); }
    }
    t_inside_pool = was;
  }

  // A job with a chunk nobody has claimed yet; guarded by m_.
  Job* open_job() {
    for (Job* j : jobs_)
      if (j->next.load() < j->nchunks) return j;
    return nullptr;
  }

  void worker_loop() {
    uint64_t seen = epoch_.load(std::memory_order_acquire);
    for (;;) {
      Job* j = nullptr;
      {
        std::unique_lock<std::mutex> lk(m_);
        if (stop_) return;
        j = open_job();
        if (!j) {
          // nothing open: spin (unlocked) until a job is pushed, for a bounded time, then park
          lk.unlock();
          spin_until([&] { return epoch_.load(std::memory_order_acquire) != seen; });
          lk.lock();
          seen = epoch_.load(std::memory_order_acquire);
          if (stop_) return;
          j = open_job();
          if (!j) {
            ++sleeping_;
            cv_.wait(lk, [&] { return stop_ || (j = open_job()) != nullptr; });
            --sleeping_;
            seen = epoch_.load(std::memory_order_acquire);
            if (stop_) return;
          }
        }
        j->active.fetch_add(1);
      }
      work(*j);
      std::lock_guard<std::mutex> lk(m_);
      j->active.fetch_sub(1);
      done_cv_.notify_all();
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
  std::shared_mutex run_mutex_;  // shared by running jobs, exclusive while resizing
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  bool stop_ = false;
  std::vector<Job*> jobs_;  // the jobs in flight, one per calling thread; guarded by m_
  int sleeping_ = 0;        // workers parked on cv_; guarded by m_
  std::atomic<uint64_t> epoch_{0};  // jobs pushed so far: spinning workers wait for it to move
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers must outlive every JS environment's teardown
  return *p;
}

}  // namespace

// The threads the current call may use: a backend that does not thread (the 'ref' device) splits nothing.
int num_threads() { return current_backend().threaded ? pool().size() : 1; }
void set_num_threads(int n) { pool().resize(n); }
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
  if (!current_backend().threaded) {  // the 'ref' device: one thread, in order
    if (begin < end) f(begin, end);
    return;
  }
  pool().run(begin, end, grain, f);
}

}  // namespace tf
