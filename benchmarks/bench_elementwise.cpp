// Memory-bound pointwise ops on 16M float32 elements (64 MiB per operand, far
// beyond any cache), in bytes per second counting each byte read or written
// once. For each thread count, side by side:
//   memcpy/plain       memcpy of one operand: the machine's copy bandwidth
//   <op>/plain         a hand-written loop with the op's access pattern
//   <op>/ember         ember's op, allocating its output (the usual call)
//   add/ember_out      ember's add kernel writing into an existing output, as
//                      torch.add(a, b, out=c); ember has no public out= form,
//                      so this calls the kernel entry in ops/detail
//   add/ember_inplace  a.add_(b): same bytes counted, but one stream fewer
//                      for the memory system (the output is an input)
// Plain loops split the range into one contiguous part per thread. Besides the
// rate, each reports per call the "bytes" above and, for add and mul, "flops"
// (one per element).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "bench_common.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/detail/pointwise.h"
#include "ops/elementwise.h"

namespace {

using ember::Tensor;

constexpr int64_t kNumel = int64_t{16} << 20;
constexpr int64_t kBytes = kNumel * static_cast<int64_t>(sizeof(float));

// Inputs a, b (standard normal, so relu sees both signs) and an output for the
// plain loops, made and touched once for the whole program.
struct Operands {
  Tensor a;
  Tensor b;
  Tensor out;
  Tensor accumulator;  // add_ target
};

const Operands& operands() {
  static const Operands instance = [] {
    ember::Generator generator(42);
    Operands o;
    o.a = ember::randn({kNumel}, {}, &generator);
    o.b = ember::randn({kNumel}, {}, &generator);
    o.out = ember::zeros({kNumel});
    o.accumulator = o.a.clone();
    return o;
  }();
  return instance;
}

// body(begin, end) over [0, kNumel) in one contiguous part per thread.
template <typename Body>
void plain_parallel(const Body& body) {
  int64_t parts = ember::get_num_threads();
  ember::parallel_for(0, parts, 1, [&](int64_t first, int64_t last) {
    for (int64_t part = first; part < last; ++part) {
      body(kNumel * part / parts, kNumel * (part + 1) / parts);
    }
  });
}

// A plain loop of out[i] = f(a[i], b[i]) (binary) or f(a[i]) (unary).
template <typename F>
void plain_binary(benchmark::State& state, F f) {
  const float* __restrict a = operands().a.data_ptr<float>();
  const float* __restrict b = operands().b.data_ptr<float>();
  float* __restrict out = operands().out.data_ptr<float>();
  ember::bench::measure(state, 3 * kBytes, [&] {
    plain_parallel([&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[i] = f(a[i], b[i]);
    });
  });
}

template <typename F>
void plain_unary(benchmark::State& state, F f) {
  const float* __restrict a = operands().a.data_ptr<float>();
  float* __restrict out = operands().out.data_ptr<float>();
  ember::bench::measure(state, 2 * kBytes, [&] {
    plain_parallel([&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[i] = f(a[i]);
    });
  });
}

void memcpy_plain(benchmark::State& state) {
  const float* a = operands().a.data_ptr<float>();
  float* out = operands().out.data_ptr<float>();
  ember::bench::measure(state, 2 * kBytes, [&] {
    plain_parallel([&](int64_t begin, int64_t end) {
      std::memcpy(out + begin, a + begin, (end - begin) * sizeof(float));
    });
  });
}

// ember's out-of-place op: a fresh output each call, freed at the end of it.
template <typename Op>
void ember_op(benchmark::State& state, int64_t bytes_per_call, int64_t flops_per_call, Op op) {
  ember::bench::measure(state, bytes_per_call, [&] {
    Tensor result = op(operands().a, operands().b);
    benchmark::DoNotOptimize(result.raw_data());
  });
  ember::bench::report_work(state, static_cast<double>(flops_per_call),
                            static_cast<double>(bytes_per_call));
}

void add_ember_out(benchmark::State& state) {
  const Operands& o = operands();
  ember::bench::measure(state, 3 * kBytes, [&] {
    ember::detail::apply_binary(o.out, o.a, o.b, ember::detail::BinaryOp::Add, {1.0}, "add");
  });
}

void add_ember_inplace(benchmark::State& state) {
  Tensor accumulator = operands().accumulator;
  const Tensor& b = operands().b;
  ember::bench::measure(state, 3 * kBytes, [&] { accumulator.add_(b); });
}

void register_all() {
  using ember::bench::configure;
  auto reg = [](const std::string& name, int64_t threads, auto function) {
    ember::bench::register_threaded(name, threads, function);
  };

  // Each comparison is registered as one adjacent group per thread count.
  for (int64_t t : ember::bench::thread_counts()) {
    reg("memcpy/plain", t, memcpy_plain);

    reg("add/plain", t, [](benchmark::State& s) {
      plain_binary(s, [](float x, float y) { return x + y; });
    });
    reg("add/ember", t, [](benchmark::State& s) {
      ember_op(s, 3 * kBytes, kNumel,
               [](const Tensor& a, const Tensor& b) { return ember::add(a, b); });
    });
    reg("add/ember_out", t, add_ember_out);
    reg("add/ember_inplace", t, add_ember_inplace);

    reg("mul/plain", t, [](benchmark::State& s) {
      plain_binary(s, [](float x, float y) { return x * y; });
    });
    reg("mul/ember", t, [](benchmark::State& s) {
      ember_op(s, 3 * kBytes, kNumel,
               [](const Tensor& a, const Tensor& b) { return ember::mul(a, b); });
    });

    reg("relu/plain", t, [](benchmark::State& s) {
      plain_unary(s, [](float x) { return std::max(x, 0.0f); });
    });
    reg("relu/ember", t, [](benchmark::State& s) {
      ember_op(s, 2 * kBytes, 0, [](const Tensor& a, const Tensor&) { return ember::relu(a); });
    });

    // The plain exp is libm's scalar expf (no -ffast-math): a reference for
    // the access pattern, not for the arithmetic.
    reg("exp/plain", t, [](benchmark::State& s) {
      plain_unary(s, [](float x) { return std::exp(x); });
    });
    reg("exp/ember", t, [](benchmark::State& s) {
      ember_op(s, 2 * kBytes, 0, [](const Tensor& a, const Tensor&) { return ember::exp(a); });
    });
  }
}

const bool registered = (register_all(), true);

}  // namespace
