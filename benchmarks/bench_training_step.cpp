// One full training step at batch 64 on random Fashion-MNIST-sized images
// [64, 1, 28, 28] with labels in [0, 10): zero_grad, forward, cross_entropy,
// backward, Adam step (lr 1e-3), as the training loop of
// examples/common/fashion_training.cpp runs it. For each thread count:
//   mlp/train_step   784-512-256-10 with ReLUs (examples/mlp_fashion_mnist.cpp
//                    at its default dropout 0, i.e. without dropout layers)
//   cnn/train_step   the CNN of examples/fashion_mnist.cpp:
//                      conv3x3(1->32, pad 1) BN ReLU maxpool2
//                      conv3x3(32->64, pad 1) BN ReLU maxpool2
//                      dropout 0.25, flatten, linear 3136->128 ReLU,
//                      dropout 0.5, linear 128->10
// "flops" counts the multiply-adds (2 flops each) of the GEMMs of forward and
// backward: every layer's forward and weight gradient, and the input gradient
// of every layer but the first (the images need none). The rest of a step
// (normalization, pooling, the Adam update) is memory traffic, so no "bytes"
// count is given: the figure to read is the share of peak GFLOP/s.
#include <benchmark/benchmark.h>

#include <initializer_list>
#include <string>

#include "bench_common.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "nn/activation.h"
#include "nn/conv.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/sequential.h"
#include "ops/loss.h"
#include "optim/adam.h"

namespace {

using ember::Tensor;
namespace nn = ember::nn;

constexpr int64_t kBatch = 64;

ember::nn::Sequential make_mlp() {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 256),
                        nn::ReLU(), nn::Linear(256, 10));
}

ember::nn::Sequential make_cnn() {
  return nn::Sequential(
      nn::Conv2d(1, 32, 3, {.padding = 1}), nn::BatchNorm2d(32), nn::ReLU(), nn::MaxPool2d(2),
      nn::Conv2d(32, 64, 3, {.padding = 1}), nn::BatchNorm2d(64), nn::ReLU(), nn::MaxPool2d(2),
      nn::Dropout(0.25), nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(), nn::Dropout(0.5),
      nn::Linear(128, 10));
}

// 2 * batch * multiply-adds per image of each layer, in order; the first
// layer's input gradient is not computed.
double step_flops(std::initializer_list<double> layer_macs_per_image) {
  double forward = 0.0;
  for (double macs : layer_macs_per_image) forward += 2.0 * kBatch * macs;
  double first = 2.0 * kBatch * *layer_macs_per_image.begin();
  return 3.0 * forward - first;
}

double mlp_flops() { return step_flops({784.0 * 512, 512.0 * 256, 256.0 * 10}); }

// A 3x3 conv's multiply-adds per image: out channels * in channels * 9 * pixels.
double cnn_flops() {
  return step_flops({32.0 * 1 * 9 * 28 * 28, 64.0 * 32 * 9 * 14 * 14, 3136.0 * 128, 128.0 * 10});
}

void train_step(benchmark::State& state, ember::nn::Sequential (*make_model)(), double flops) {
  ember::bench::use_threads(state.range(0));
  ember::manual_seed(0);
  nn::Sequential model = make_model();
  ember::optim::Adam optimizer(model->parameters(), {.lr = 1e-3});
  ember::Generator generator(13);
  Tensor images = ember::randn({kBatch, 1, 28, 28}, {}, &generator);
  Tensor labels = ember::randint(0, 10, {kBatch}, ember::kInt64, &generator);
  auto step = [&] {
    optimizer.zero_grad();
    Tensor loss = ember::cross_entropy(model(images), labels);
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.raw_data());
  };

  step();  // warm-up: creates Adam's state and the allocator's blocks
  for (auto _ : state) step();
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  ember::bench::report_work(state, flops, 0);
}

void register_all() {
  for (int64_t threads : ember::bench::thread_counts()) {
    auto reg = [&](const std::string& name, auto function) {
      ember::bench::register_threaded(name, threads, function)->Unit(benchmark::kMillisecond);
    };
    reg("mlp/train_step", [](benchmark::State& s) { train_step(s, make_mlp, mlp_flops()); });
    reg("cnn/train_step", [](benchmark::State& s) { train_step(s, make_cnn, cnn_flops()); });
  }
}

const bool registered = (register_all(), true);

}  // namespace
