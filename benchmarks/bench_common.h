#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "framework/parallel.h"

// Helpers shared by the benchmark programs.
namespace ember::bench {

// Sets ember's thread count for one benchmark, outside the timed loop.
inline void use_threads(int64_t threads) {
  if (get_num_threads() != threads) set_num_threads(static_cast<int>(threads));
}

// The thread counts to measure: EMBER_BENCH_THREADS="1,2,4", else 1 and 2.
inline std::vector<int64_t> thread_counts() {
  std::vector<int64_t> counts;
  if (const char* env = std::getenv("EMBER_BENCH_THREADS")) {
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = std::min(list.find(',', start), list.size());
      int64_t value = std::atoll(list.substr(start, end - start).c_str());
      if (value > 0) counts.push_back(value);
      start = end + 1;
    }
  }
  if (counts.empty()) counts = {1, 2};
  return counts;
}

// A benchmark function under the name it is registered with.
struct Variant {
  const char* name;
  void (*function)(benchmark::State&);
};

inline double min_of(const std::vector<double>& values) {
  return *std::min_element(values.begin(), values.end());
}

inline double max_of(const std::vector<double>& values) {
  return *std::max_element(values.begin(), values.end());
}

// Wall-clock time (the work runs on several threads) and, beside Google
// Benchmark's mean, median and stddev over repetitions, the min and max: the
// machine is noisy and the spread says how far a median can be trusted.
inline benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b) {
  return b->UseRealTime()->ComputeStatistics("min", min_of)->ComputeStatistics("max", max_of);
}

// Registers `function` for one thread count (state.range(0), named
// "threads"), configured as above.
template <typename Function>
benchmark::internal::Benchmark* register_threaded(const std::string& name, int64_t threads,
                                                  Function function) {
  return configure(benchmark::RegisterBenchmark(name.c_str(), function))
      ->Arg(threads)
      ->ArgName("threads");
}

// The work of one call as plain counters in the JSON report: "flops" and
// "bytes" (each array an op must read or write, once). A script divides them
// by the time to set it beside the machine's limits (examples/ember_limits).
// Zero means not defined (no FLOPs for data movement) and is left out.
inline void report_work(benchmark::State& state, double flops_per_call, double bytes_per_call) {
  if (flops_per_call > 0) state.counters["flops"] = flops_per_call;
  if (bytes_per_call > 0) state.counters["bytes"] = bytes_per_call;
}

// Times `run` after one untimed call (it wakes the workers and warms the
// allocator's cache) and reports `bytes_per_call` moved per call, as a rate
// and as the "bytes" counter.
template <typename Run>
void measure(benchmark::State& state, int64_t bytes_per_call, const Run& run) {
  use_threads(state.range(0));
  run();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * bytes_per_call);
  report_work(state, 0, static_cast<double>(bytes_per_call));
}

}  // namespace ember::bench
