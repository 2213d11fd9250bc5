// batch_norm on [64, 64, 28, 28] float32 (12.25 MiB per tensor), layer_norm on
// [8192, 1024] over its last dim (32 MiB) and dropout on 16M float32 elements
// (64 MiB), the shapes of the PyTorch comparison. Bytes
// per second count each operand byte once (what the op must at least move):
//   memcpy/plain              copy of 16M floats: the machine's copy bandwidth
//   batch_norm/forward        training step with running statistics: x in, y out
//   batch_norm/forward_backward   + the backward: g and x in, gx out
//                             (weight and bias gradients are a few bytes)
//   batch_norm/eval_forward   running statistics: x in, y out
//   layer_norm/forward        x in, y out (weight and bias are a few bytes)
//   layer_norm/forward_backward   + the backward: g and x in, gx out
//   dropout/forward           x in, y and the one-byte mask out
//   dropout/forward_backward  + g and the mask in, gx out
// The batch_norm kernels read x twice (statistics, then normalize), the
// second time mostly from L3 at this size; the counts above leave that out.
// Registered per thread count (the benchmark's argument), from
// EMBER_BENCH_THREADS or 1 and 2.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "bench_common.h"
#include "framework/autograd/grad_mode.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/dropout.h"
#include "ops/normalization.h"

namespace {

using ember::Tensor;

const ember::Shape kNormShape = {64, 64, 28, 28};
constexpr int64_t kNormNumel = int64_t{64} * 64 * 28 * 28;
constexpr int64_t kNormBytes = kNormNumel * static_cast<int64_t>(sizeof(float));
const ember::Shape kLayerShape = {8192, 1024};
constexpr int64_t kLayerBytes = int64_t{8192} * 1024 * static_cast<int64_t>(sizeof(float));
constexpr int64_t kDropNumel = int64_t{16} << 20;
constexpr int64_t kDropBytes = kDropNumel * static_cast<int64_t>(sizeof(float));

struct NormOperands {
  Tensor x;
  Tensor grad;
  Tensor weight;
  Tensor bias;
  Tensor running_mean;
  Tensor running_var;
};

const NormOperands& norm_operands() {
  static const NormOperands instance = [] {
    ember::Generator generator(1);
    NormOperands o;
    o.x = ember::randn(kNormShape, {}, &generator);
    o.grad = ember::randn(kNormShape, {}, &generator);
    o.weight = ember::randn({64}, {}, &generator);
    o.bias = ember::randn({64}, {}, &generator);
    o.running_mean = ember::zeros({64});
    o.running_var = ember::ones({64});
    return o;
  }();
  return instance;
}

struct LayerOperands {
  Tensor x;
  Tensor grad;
  Tensor weight;
  Tensor bias;
};

const LayerOperands& layer_operands() {
  static const LayerOperands instance = [] {
    ember::Generator generator(5);
    LayerOperands o;
    o.x = ember::randn(kLayerShape, {}, &generator);
    o.grad = ember::randn(kLayerShape, {}, &generator);
    o.weight = ember::randn({kLayerShape[1]}, {}, &generator);
    o.bias = ember::randn({kLayerShape[1]}, {}, &generator);
    return o;
  }();
  return instance;
}

struct DropOperands {
  Tensor x;
  Tensor grad;
  Tensor out;  // memcpy target
};

const DropOperands& drop_operands() {
  static const DropOperands instance = [] {
    ember::Generator generator(2);
    DropOperands o;
    o.x = ember::randn({kDropNumel}, {}, &generator);
    o.grad = ember::randn({kDropNumel}, {}, &generator);
    o.out = ember::zeros({kDropNumel});
    return o;
  }();
  return instance;
}

void memcpy_plain(benchmark::State& state) {
  const float* in = drop_operands().x.data_ptr<float>();
  float* out = drop_operands().out.data_ptr<float>();
  ember::bench::measure(state, 2 * kDropBytes, [&] {
    const int64_t parts = ember::get_num_threads();
    ember::parallel_for(0, parts, 1, [&](int64_t first, int64_t last) {
      for (int64_t part = first; part < last; ++part) {
        const int64_t begin = kDropNumel * part / parts;
        const int64_t end = kDropNumel * (part + 1) / parts;
        std::memcpy(out + begin, in + begin, (end - begin) * sizeof(float));
      }
    });
  });
}

void batch_norm_forward(benchmark::State& state) {
  const NormOperands& o = norm_operands();
  ember::bench::measure(state, 2 * kNormBytes, [&] {
    Tensor y = ember::batch_norm(o.x, o.running_mean, o.running_var, o.weight, o.bias, true);
    benchmark::DoNotOptimize(y.raw_data());
  });
}

void batch_norm_forward_backward(benchmark::State& state) {
  const NormOperands& o = norm_operands();
  Tensor x = o.x.detach().requires_grad_(true);
  Tensor weight = o.weight.detach().requires_grad_(true);
  Tensor bias = o.bias.detach().requires_grad_(true);
  ember::bench::measure(state, 5 * kNormBytes, [&] {
    x.zero_grad();
    weight.zero_grad();
    bias.zero_grad();
    Tensor y = ember::batch_norm(x, o.running_mean, o.running_var, weight, bias, true);
    y.backward(o.grad);
    benchmark::DoNotOptimize(x.grad().raw_data());
  });
}

void batch_norm_eval_forward(benchmark::State& state) {
  const NormOperands& o = norm_operands();
  ember::bench::measure(state, 2 * kNormBytes, [&] {
    Tensor y = ember::batch_norm(o.x, o.running_mean, o.running_var, o.weight, o.bias, false);
    benchmark::DoNotOptimize(y.raw_data());
  });
}

void layer_norm_forward(benchmark::State& state) {
  const LayerOperands& o = layer_operands();
  ember::NoGradGuard no_grad;
  ember::bench::measure(state, 2 * kLayerBytes, [&] {
    Tensor y = ember::layer_norm(o.x, {kLayerShape[1]}, o.weight, o.bias);
    benchmark::DoNotOptimize(y.raw_data());
  });
}

void layer_norm_forward_backward(benchmark::State& state) {
  const LayerOperands& o = layer_operands();
  Tensor x = o.x.detach().requires_grad_(true);
  Tensor weight = o.weight.detach().requires_grad_(true);
  Tensor bias = o.bias.detach().requires_grad_(true);
  ember::bench::measure(state, 5 * kLayerBytes, [&] {
    x.zero_grad();
    weight.zero_grad();
    bias.zero_grad();
    Tensor y = ember::layer_norm(x, {kLayerShape[1]}, weight, bias);
    y.backward(o.grad);
    benchmark::DoNotOptimize(x.grad().raw_data());
  });
}

void dropout_forward(benchmark::State& state) {
  const DropOperands& o = drop_operands();
  ember::Generator generator(3);
  // x in, y out, the mask (one byte per element) out.
  ember::bench::measure(state, 2 * kDropBytes + kDropNumel, [&] {
    Tensor y = ember::dropout(o.x, 0.5, true, &generator);
    benchmark::DoNotOptimize(y.raw_data());
  });
}

void dropout_forward_backward(benchmark::State& state) {
  const DropOperands& o = drop_operands();
  ember::Generator generator(4);
  Tensor x = o.x.detach().requires_grad_(true);
  // Forward as above; backward: g and the mask in, gx out.
  ember::bench::measure(state, 4 * kDropBytes + 2 * kDropNumel, [&] {
    x.zero_grad();
    Tensor y = ember::dropout(x, 0.5, true, &generator);
    y.backward(o.grad);
    benchmark::DoNotOptimize(x.grad().raw_data());
  });
}

void register_all() {
  using ember::bench::configure;
  auto reg = [](const std::string& name, int64_t threads, void (*function)(benchmark::State&)) {
    ember::bench::register_threaded(name, threads, function)->Unit(benchmark::kMillisecond);
  };

  for (int64_t t : ember::bench::thread_counts()) {
    reg("memcpy/plain", t, memcpy_plain);
    reg("batch_norm/forward", t, batch_norm_forward);
    reg("batch_norm/forward_backward", t, batch_norm_forward_backward);
    reg("batch_norm/eval_forward", t, batch_norm_eval_forward);
    reg("layer_norm/forward", t, layer_norm_forward);
    reg("layer_norm/forward_backward", t, layer_norm_forward_backward);
    reg("dropout/forward", t, dropout_forward);
    reg("dropout/forward_backward", t, dropout_forward_backward);
  }
}

const bool registered = (register_all(), true);

}  // namespace
