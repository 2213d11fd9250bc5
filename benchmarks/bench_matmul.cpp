// Square float32 matrix products, n = 256, 512, 1024, 2048, in GFLOP/s
// (2 n^3 flops per product). For each size and thread count, side by side:
//   matmul/ember        ember::matmul, allocating its output (OpenBLAS kept
//                       serial inside oneTBB tasks)
//   matmul/cblas_sgemm  one direct cblas_sgemm of the same shape into an
//                       existing output, OpenBLAS's own threads set to the
//                       same count
// Both call the same OpenBLAS kernel set (recorded in the JSON context).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <chrono>
#include <string>
#include <thread>

#include "bench_common.h"
#include "framework/blas.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/linalg.h"

namespace {

using ember::Tensor;

struct Operands {
  Tensor a;    // [n, n]
  Tensor b;    // [n, n]
  Tensor out;  // [n, n], for the direct call
};

Operands make_operands(int64_t n) {
  ember::Generator generator(7);
  return {ember::randn({n, n}, {}, &generator), ember::randn({n, n}, {}, &generator),
          ember::zeros({n, n})};
}

// GFLOP/s, and per call the "flops" and the "bytes" of a, b read and c written.
void report_flops(benchmark::State& state, int64_t n) {
  double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * n;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  ember::bench::report_work(state, flops, 3.0 * sizeof(float) * static_cast<double>(n) * n);
}

void matmul_ember(benchmark::State& state) {
  int64_t n = state.range(0);
  ember::bench::use_threads(state.range(1));
  Operands o = make_operands(n);

  benchmark::DoNotOptimize(ember::matmul(o.a, o.b).raw_data());  // warm-up
  for (auto _ : state) {
    Tensor c = ember::matmul(o.a, o.b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  report_flops(state, n);
}

void matmul_cblas_sgemm(benchmark::State& state) {
  int64_t n = state.range(0);
  int threads = static_cast<int>(state.range(1));
  ember::bench::use_threads(threads);
  Operands o = make_operands(n);
  const float* a = o.a.data_ptr<float>();
  const float* b = o.b.data_ptr<float>();
  float* c = o.out.data_ptr<float>();
  auto sgemm = [&] {
    int m = static_cast<int>(n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f, a, m, b, m, 0.0f,
                c, m);
  };

  openblas_set_num_threads(threads);
  sgemm();  // warm-up: starts OpenBLAS's threads
  for (auto _ : state) {
    sgemm();
    benchmark::ClobberMemory();
  }
  report_flops(state, n);

  // Back to ember's setting. OpenBLAS's idle threads spin for a while after a
  // call; let them go to sleep so they do not slow the next measurement.
  ember::blas::set_serial();
  if (threads > 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

void register_all() {
  for (int64_t n : {256, 512, 1024, 2048}) {
    for (int64_t t : ember::bench::thread_counts()) {
      for (ember::bench::Variant v : {ember::bench::Variant{"matmul/ember", matmul_ember},
                                      {"matmul/cblas_sgemm", matmul_cblas_sgemm}}) {
        ember::bench::configure(benchmark::RegisterBenchmark(v.name, v.function))
            ->Args({n, t})
            ->ArgNames({"n", "threads"})
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

const bool registered = (register_all(), true);

}  // namespace
