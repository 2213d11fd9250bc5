// max_pool2d, kernel 2 (stride 2), on a [64, 32, 28, 28] float32 batch: the
// pooling layer of a small CNN (issue 3's benchmark shape). For each thread
// count, side by side:
//   max_pool2d/forward           inference: values only, no indices written
//   max_pool2d/forward_backward  training step: forward keeping the int64
//                                indices, then backward scattering an upstream
//                                gradient into a fresh input gradient
//   memcpy/plain                 memcpy of the input: the copy bandwidth these
//                                figures are read against
// Bytes count each array read or written once: forward 4*I + 4*O (I input, O
// output elements); forward_backward adds 8*O of indices written, then
// 4*O + 8*O read and 4*I written by backward.
// Threads come from EMBER_BENCH_THREADS (default 1,2), as the benchmark arg.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "bench_common.h"
#include "framework/autograd/grad_mode.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/pooling.h"

namespace {

using ember::Tensor;

const ember::Shape kInputShape = {64, 32, 28, 28};
constexpr int64_t kInput = int64_t{64} * 32 * 28 * 28;
constexpr int64_t kOutput = int64_t{64} * 32 * 14 * 14;

const Tensor& input() {
  static const Tensor x = [] {
    ember::Generator generator(7);
    return ember::randn(kInputShape, {}, &generator);
  }();
  return x;
}

const Tensor& upstream() {
  static const Tensor g = [] {
    ember::Generator generator(8);
    return ember::randn({64, 32, 14, 14}, {}, &generator);
  }();
  return g;
}

void forward(benchmark::State& state) {
  ember::NoGradGuard no_grad;
  ember::bench::measure(state, 4 * kInput + 4 * kOutput, [] {
    Tensor y = ember::max_pool2d(input(), {2});
    benchmark::DoNotOptimize(y.raw_data());
  });
}

void forward_backward(benchmark::State& state) {
  Tensor x = input().detach().requires_grad_(true);
  const int64_t bytes = 4 * kInput + 12 * kOutput + 12 * kOutput + 4 * kInput;
  ember::bench::measure(state, bytes, [&] {
    Tensor y = ember::max_pool2d(x, {2});
    y.backward(upstream());
    benchmark::DoNotOptimize(x.grad().raw_data());
    x.zero_grad();
  });
}

void memcpy_plain(benchmark::State& state) {
  Tensor out = ember::empty(kInputShape);
  const float* source = input().data_ptr<float>();
  float* target = out.data_ptr<float>();
  ember::bench::measure(state, 2 * 4 * kInput, [&] {
    int64_t parts = ember::get_num_threads();
    ember::parallel_for(0, parts, 1, [&](int64_t first, int64_t last) {
      for (int64_t part = first; part < last; ++part) {
        int64_t begin = kInput * part / parts;
        int64_t end = kInput * (part + 1) / parts;
        std::memcpy(target + begin, source + begin, (end - begin) * sizeof(float));
      }
    });
  });
}

void register_all() {
  auto reg = [](const std::string& name, int64_t threads, auto function) {
    ember::bench::register_threaded(name, threads, function);
  };
  for (int64_t t : ember::bench::thread_counts()) {
    reg("memcpy/plain", t, memcpy_plain);
    reg("max_pool2d/forward", t, forward);
    reg("max_pool2d/forward_backward", t, forward_backward);
  }
}

const bool registered = (register_all(), true);

}  // namespace
