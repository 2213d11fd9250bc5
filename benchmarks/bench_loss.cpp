// log_softmax + nll_loss on [4096, 1000] float32 logits with int64 labels: a
// classifier's loss over a large vocabulary (issue 3's benchmark shape). For
// each thread count, side by side:
//   log_softmax/forward                   the fused log_softmax kernel alone
//   log_softmax_nll/forward               log_softmax, then nll_loss (mean)
//   log_softmax_nll/forward_backward      the same, then backward to the logits:
//                                         nll's sparse gradient, then
//                                         log_softmax's fused backward
//   cross_entropy/forward_backward        the fused op: one backward pass
//                                         writes the logits' gradient
//   memcpy/plain                          memcpy of the logits: the copy
//                                         bandwidth these figures are read against
// Bytes count each [4096, 1000] array read or written once (4 bytes per
// element): log_softmax forward 8 per element; log_softmax_nll forward+backward
// 24 (forward 8, nll's zero-filled gradient 4, log_softmax backward 12);
// cross_entropy forward+backward 16. The labels and the loss are negligible.
// Threads come from EMBER_BENCH_THREADS (default 1,2), as the benchmark arg.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "bench_common.h"
#include "framework/autograd/grad_mode.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/loss.h"
#include "ops/softmax.h"

namespace {

using ember::Tensor;

constexpr int64_t kBatch = 4096;
constexpr int64_t kClasses = 1000;
constexpr int64_t kBytes = kBatch * kClasses * static_cast<int64_t>(sizeof(float));

struct Operands {
  Tensor logits;
  Tensor labels;
  Tensor copy;  // memcpy target
};

const Operands& operands() {
  static const Operands instance = [] {
    ember::Generator generator(11);
    Operands o;
    o.logits = ember::randn({kBatch, kClasses}, {}, &generator).mul_(3.0);
    o.labels = ember::randint(0, kClasses, {kBatch}, ember::kInt64, &generator);
    o.copy = ember::zeros({kBatch, kClasses});
    return o;
  }();
  return instance;
}

void memcpy_plain(benchmark::State& state) {
  const Operands& o = operands();
  ember::bench::measure(state, 2 * kBytes, [&] {
    std::memcpy(o.copy.raw_data(), o.logits.raw_data(), static_cast<size_t>(kBytes));
  });
}

void log_softmax_forward(benchmark::State& state) {
  ember::NoGradGuard no_grad;
  ember::bench::measure(state, 2 * kBytes, [] {
    benchmark::DoNotOptimize(ember::log_softmax(operands().logits, 1));
  });
}

void log_softmax_nll_forward(benchmark::State& state) {
  ember::NoGradGuard no_grad;
  ember::bench::measure(state, 2 * kBytes, [] {
    const Operands& o = operands();
    benchmark::DoNotOptimize(ember::nll_loss(ember::log_softmax(o.logits, 1), o.labels));
  });
}

void log_softmax_nll_forward_backward(benchmark::State& state) {
  ember::bench::measure(state, 6 * kBytes, [] {
    const Operands& o = operands();
    Tensor x = o.logits.detach().requires_grad_(true);
    ember::nll_loss(ember::log_softmax(x, 1), o.labels).backward();
    benchmark::DoNotOptimize(x.grad());
  });
}

void cross_entropy_forward_backward(benchmark::State& state) {
  ember::bench::measure(state, 4 * kBytes, [] {
    const Operands& o = operands();
    Tensor x = o.logits.detach().requires_grad_(true);
    ember::cross_entropy(x, o.labels).backward();
    benchmark::DoNotOptimize(x.grad());
  });
}

void register_all() {
  auto reg = [](const std::string& name, int64_t threads, auto function) {
    ember::bench::register_threaded(name, threads, function)->Unit(benchmark::kMillisecond);
  };
  for (int64_t t : ember::bench::thread_counts()) {
    reg("memcpy/plain", t, memcpy_plain);
    reg("log_softmax/forward", t, log_softmax_forward);
    reg("log_softmax_nll/forward", t, log_softmax_nll_forward);
    reg("log_softmax_nll/forward_backward", t, log_softmax_nll_forward_backward);
    reg("cross_entropy/forward_backward", t, cross_entropy_forward_backward);
  }
}

const bool registered = (register_all(), true);

}  // namespace
