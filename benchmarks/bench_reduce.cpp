// Sums of 16M float32 (64 MiB, far beyond any cache) arranged as [4096, 4096]:
// memory-bound, each element read once (4 bytes) and added once (1 flop).
//   sum/all    every element -> a scalar
//   sum/dim1   each row -> [4096]: the contiguous inner dim
//   sum/dim0   each column -> [4096]: across rows, a strided reduction
// Registered per thread count (the benchmark's argument), from
// EMBER_BENCH_THREADS or 1 and 2.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_common.h"
#include "framework/autograd/grad_mode.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/reduce.h"

namespace {

using ember::Tensor;

constexpr int64_t kRows = 4096;
constexpr int64_t kCols = 4096;
constexpr int64_t kNumel = kRows * kCols;
constexpr int64_t kBytes = kNumel * static_cast<int64_t>(sizeof(float));

const Tensor& input() {
  static const Tensor x = [] {
    ember::Generator generator(9);
    return ember::randn({kRows, kCols}, {}, &generator);
  }();
  return x;
}

// Times `reduce` of the input; the output (at most 16 KiB) is left out of the bytes.
template <typename Reduce>
void run(benchmark::State& state, const Reduce& reduce) {
  ember::NoGradGuard no_grad;
  ember::bench::measure(state, kBytes, [&] {
    Tensor result = reduce(input());
    benchmark::DoNotOptimize(result.raw_data());
  });
  ember::bench::report_work(state, static_cast<double>(kNumel), static_cast<double>(kBytes));
}

void register_all() {
  auto reg = [](const std::string& name, int64_t threads, auto function) {
    ember::bench::register_threaded(name, threads, function)->Unit(benchmark::kMillisecond);
  };
  for (int64_t t : ember::bench::thread_counts()) {
    reg("sum/all", t, [](benchmark::State& s) {
      run(s, [](const Tensor& x) { return ember::sum(x); });
    });
    reg("sum/dim1", t, [](benchmark::State& s) {
      run(s, [](const Tensor& x) { return ember::sum(x, {1}); });
    });
    reg("sum/dim0", t, [](benchmark::State& s) {
      run(s, [](const Tensor& x) { return ember::sum(x, {0}); });
    });
  }
}

const bool registered = (register_all(), true);

}  // namespace
