// softmax over dim 1 of [4096, 1000] float32 logits, the shape of bench_loss's
// log_softmax. For each thread count:
//   softmax/forward            x in, y out: 8 bytes per element
//   softmax/forward_backward   the forward, then backward with an upstream
//                              gradient g: g and y in, gx out; 20 bytes per
//                              element in all
// Bytes count each [4096, 1000] array read or written once.
// Threads come from EMBER_BENCH_THREADS (default 1,2), as the benchmark arg.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_common.h"
#include "framework/autograd/grad_mode.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/softmax.h"

namespace {

using ember::Tensor;

constexpr int64_t kBatch = 4096;
constexpr int64_t kClasses = 1000;
constexpr int64_t kBytes = kBatch * kClasses * static_cast<int64_t>(sizeof(float));

struct Operands {
  Tensor logits;
  Tensor upstream;
};

const Operands& operands() {
  static const Operands instance = [] {
    ember::Generator generator(12);
    Operands o;
    o.logits = ember::randn({kBatch, kClasses}, {}, &generator).mul_(3.0);
    o.upstream = ember::randn({kBatch, kClasses}, {}, &generator);
    return o;
  }();
  return instance;
}

void forward(benchmark::State& state) {
  ember::NoGradGuard no_grad;
  ember::bench::measure(state, 2 * kBytes, [] {
    Tensor y = ember::softmax(operands().logits, 1);
    benchmark::DoNotOptimize(y.raw_data());
  });
}

void forward_backward(benchmark::State& state) {
  Tensor x = operands().logits.detach().requires_grad_(true);
  ember::bench::measure(state, 5 * kBytes, [&] {
    x.zero_grad();
    ember::softmax(x, 1).backward(operands().upstream);
    benchmark::DoNotOptimize(x.grad().raw_data());
  });
}

void register_all() {
  auto reg = [](const std::string& name, int64_t threads, auto function) {
    ember::bench::register_threaded(name, threads, function)->Unit(benchmark::kMillisecond);
  };
  for (int64_t t : ember::bench::thread_counts()) {
    reg("softmax/forward", t, forward);
    reg("softmax/forward_backward", t, forward_backward);
  }
}

const bool registered = (register_all(), true);

}  // namespace
