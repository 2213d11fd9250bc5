#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace ember {

// The one thread setting of ember. Bounds oneTBB's arena (every parallel loop,
// the data loader's workers) and keeps OpenBLAS serial inside each task, so
// the cores are never oversubscribed. Default: EMBER_NUM_THREADS if set, else
// the number of cores. Accepts 1 to max(64, 4 per core); throws ember::Error
// otherwise (an out-of-range EMBER_NUM_THREADS warns and uses every core).
void set_num_threads(int num_threads);
int get_num_threads();

// True inside a task of parallel_for; nested loops there run serially, so a
// kernel never parallelizes in two places at once.
bool in_parallel_region();

// Work that ember's threads do while the caller goes on; the data loader
// assembles the next batches this way during a training step. The tasks run in
// an arena of their own, so a parallel_for of the step never waits behind a
// batch, on the same worker threads that set_num_threads bounds: with one
// thread there is no worker and the tasks run inside wait(), on the caller's
// thread. Inside a task, parallel_for runs inline (a task is one thread's work).
// set_num_threads throws while any group has tasks that wait() has not seen.
class TaskGroup {
 public:
  TaskGroup();
  // Cancels the tasks that have not started and waits for the running ones;
  // their exceptions are dropped.
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Queues `task`; a worker thread may start it at once.
  void run(std::function<void()> task);
  // Returns when every queued task has finished, running pending ones on this
  // thread meanwhile. Rethrows the first exception a task threw.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Elementwise work below this many elements stays on one thread: waking a
// worker costs ~1-2 us, about what a memory-bound op spends on 32K floats.
inline constexpr int64_t kElementwiseGrain = 32768;

namespace detail {

// A non-owning reference to a callable, cheaper than std::function.
class RangeFunction {
 public:
  template <typename F>
  RangeFunction(const F& f)  // NOLINT: implicit by design
      : object_(&f), call_([](const void* object, int64_t begin, int64_t end) {
          (*static_cast<const F*>(object))(begin, end);
        }) {}
  void operator()(int64_t begin, int64_t end) const { call_(object_, begin, end); }

 private:
  const void* object_;
  void (*call_)(const void*, int64_t, int64_t);
};

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFunction body);

}  // namespace detail

// Runs body(chunk_begin, chunk_end) over [begin, end) in chunks of at least
// `grain` iterations, on up to get_num_threads() threads. Small ranges, one
// thread and nested calls run inline.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& body) {
  if (end <= begin) return;
  if (end - begin <= grain || get_num_threads() == 1 || in_parallel_region()) {
    body(begin, end);
    return;
  }
  detail::parallel_for_impl(begin, end, std::max<int64_t>(grain, 1), body);
}

// Reduces [begin, end) in fixed chunks of `chunk` iterations and combines the
// partial results in chunk order. The chunking depends only on the range, so
// the result is bitwise the same for every thread count.
template <typename T, typename Partial, typename Combine>
T parallel_reduce(int64_t begin, int64_t end, int64_t chunk, T identity,
                  const Partial& partial, const Combine& combine) {
  if (end <= begin) return identity;
  chunk = std::max<int64_t>(chunk, 1);
  int64_t chunks = (end - begin + chunk - 1) / chunk;
  if (chunks == 1) return combine(identity, partial(begin, end));

  std::vector<T> partials(chunks, identity);
  parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) {
      partials[c] = partial(begin + c * chunk, std::min(end, begin + (c + 1) * chunk));
    }
  });
  T result = identity;
  for (const T& value : partials) result = combine(result, value);
  return result;
}

}  // namespace ember
