// The fixed cost of one op, measured on tensors too small for the arithmetic
// to matter (n = 1 and 64 float32 elements), in ns per call:
//   mul/forward           c = a * b, nothing requires grad
//   mul/forward_grad      c = a * b with a and b requiring grad: also records
//                         the graph node and saves both inputs
//   mul/forward_backward  the same, then c.backward(ones): runs the node and
//                         accumulates into a.grad() and b.grad()
#include <benchmark/benchmark.h>

#include <string>

#include "bench_common.h"
#include "framework/tensor.h"
#include "ops/elementwise.h"

namespace {

using ember::Tensor;

struct Operands {
  Tensor a;
  Tensor b;
  Tensor grad;  // the gradient fed to backward: ones
};

Operands make_operands(int64_t n, bool requires_grad) {
  Operands o{ember::full({n}, 1.5), ember::full({n}, 0.5), ember::ones({n})};
  if (requires_grad) {
    o.a.requires_grad_();
    o.b.requires_grad_();
  }
  return o;
}

void mul_forward(benchmark::State& state) {
  ember::bench::use_threads(state.range(1));
  Operands o = make_operands(state.range(0), false);
  for (auto _ : state) {
    Tensor c = ember::mul(o.a, o.b);
    benchmark::DoNotOptimize(c.raw_data());
  }
}

void mul_forward_grad(benchmark::State& state) {
  ember::bench::use_threads(state.range(1));
  Operands o = make_operands(state.range(0), true);
  for (auto _ : state) {
    Tensor c = ember::mul(o.a, o.b);
    benchmark::DoNotOptimize(c.raw_data());
  }
}

void mul_forward_backward(benchmark::State& state) {
  ember::bench::use_threads(state.range(1));
  Operands o = make_operands(state.range(0), true);
  ember::mul(o.a, o.b).backward(o.grad);  // the first call creates the grads
  for (auto _ : state) {
    Tensor c = ember::mul(o.a, o.b);
    c.backward(o.grad);
  }
  benchmark::DoNotOptimize(o.a.grad().raw_data());
}

void register_all() {
  for (int64_t n : {1, 64}) {
    for (int64_t t : ember::bench::thread_counts()) {
      for (ember::bench::Variant v : {ember::bench::Variant{"mul/forward", mul_forward},
                                      {"mul/forward_grad", mul_forward_grad},
                                      {"mul/forward_backward", mul_forward_backward}}) {
        ember::bench::configure(benchmark::RegisterBenchmark(v.name, v.function))
            ->Args({n, t})
            ->ArgNames({"n", "threads"});
      }
    }
  }
}

const bool registered = (register_all(), true);

}  // namespace
