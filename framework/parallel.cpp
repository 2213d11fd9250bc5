#include "framework/parallel.h"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "framework/blas.h"
#include "framework/error.h"
#include "framework/log.h"

namespace ember {
namespace {

struct ThreadPool {
  int num_threads = 1;
  std::unique_ptr<tbb::global_control> control;
  std::unique_ptr<tbb::task_arena> arena;
  // TaskGroup's tasks: a second arena over the same bounded workers, so a
  // thread waiting inside parallel_for never picks up a background task.
  std::unique_ptr<tbb::task_arena> background;
};

// Tasks queued by TaskGroups and not yet waited for; the arenas must not be
// replaced under them.
std::atomic<int64_t> g_background_pending{0};

thread_local bool t_in_parallel_region = false;

// Marks the current thread as inside a task, restoring the flag even when the
// body throws (oneTBB rethrows the exception on the calling thread).
struct RegionFlag {
  bool outer = t_in_parallel_region;
  RegionFlag() { t_in_parallel_region = true; }
  ~RegionFlag() { t_in_parallel_region = outer; }
};
std::mutex g_pool_mutex;

int num_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// The most threads set_num_threads accepts: a few per core leaves room to
// experiment with oversubscription, while tens of thousands of workers (a
// typo) would take minutes to start or exhaust memory.
int max_num_threads() { return std::max(64, 4 * num_cores()); }

int default_num_threads() {
  if (const char* env = std::getenv("EMBER_NUM_THREADS")) {
    int value = std::atoi(env);
    if (value > 0 && value <= max_num_threads()) return value;
    warn_once("bad-num-threads", std::string("EMBER_NUM_THREADS=\"") + env +
                                     "\" is not an integer from 1 to " +
                                     std::to_string(max_num_threads()) + "; using every core");
  }
  return num_cores();
}

void configure(ThreadPool& pool, int num_threads) {
  pool.background.reset();
  pool.arena.reset();
  pool.control.reset();
  pool.num_threads = num_threads;
  pool.control = std::make_unique<tbb::global_control>(
      tbb::global_control::max_allowed_parallelism, num_threads);
  pool.arena = std::make_unique<tbb::task_arena>(num_threads);
  pool.background = std::make_unique<tbb::task_arena>(num_threads);
  // Every GEMM runs inside one of our tasks or on the calling thread, so
  // OpenBLAS's own pool would only compete with oneTBB's workers.
  blas::set_serial();
}

ThreadPool& pool() {
  static ThreadPool* instance = [] {
    auto* created = new ThreadPool;  // leaked: workers may outlive static destructors
    configure(*created, default_num_threads());
    blas::warn_if_generic_kernels();
    return created;
  }();
  return *instance;
}

}  // namespace

void set_num_threads(int num_threads) {
  EMBER_CHECK(num_threads >= 1 && num_threads <= max_num_threads(),
              "set_num_threads: expected 1 to ", max_num_threads(), " threads (4 per core, ",
              "at least 64), got ", num_threads);
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  int64_t pending = g_background_pending.load();
  EMBER_CHECK(pending == 0, "set_num_threads: ", pending, " background tasks (a DataLoader "
              "iteration) are still pending; finish or destroy the iterator first");
  configure(pool(), num_threads);
}

int get_num_threads() { return pool().num_threads; }

bool in_parallel_region() { return t_in_parallel_region; }

struct TaskGroup::Impl {
  tbb::task_arena* arena = nullptr;  // fixed while pending > 0
  tbb::task_group group;
  int64_t pending = 0;

  void finish() {
    g_background_pending -= pending;
    pending = 0;
  }
};

TaskGroup::TaskGroup() : impl_(std::make_unique<Impl>()) {}

TaskGroup::~TaskGroup() {
  if (impl_->pending == 0) return;
  try {
    impl_->arena->execute([&] {
      impl_->group.cancel();
      impl_->group.wait();
    });
  } catch (...) {
    // Dropped, as documented: a destructor cannot rethrow.
  }
  impl_->finish();
}

void TaskGroup::run(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(g_pool_mutex);
    if (impl_->pending == 0) impl_->arena = pool().background.get();
    ++impl_->pending;
    ++g_background_pending;
  }
  impl_->arena->execute([&] {
    impl_->group.run([body = std::move(task)] {
      RegionFlag flag;
      body();
    });
  });
}

void TaskGroup::wait() {
  if (impl_->pending == 0) return;
  struct Finish {
    Impl& impl;
    ~Finish() { impl.finish(); }
  } finish{*impl_};
  impl_->arena->execute([&] { impl_->group.wait(); });
}

namespace detail {

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFunction body) {
  pool().arena->execute([&] {
    tbb::parallel_for(tbb::blocked_range<int64_t>(begin, end, grain),
                      [&](const tbb::blocked_range<int64_t>& range) {
                        RegionFlag flag;
                        body(range.begin(), range.end());
                      });
  });
}

}  // namespace detail
}  // namespace ember
