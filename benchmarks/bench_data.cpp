// The data loader on Fashion-MNIST's 60,000 training images (Debian's
// dataset-fashion-mnist), batches of 64, shuffled:
//   data/load/<threads>/<prefetch>   one epoch of loading alone, in items/s
//                                    (each image converted from bytes to
//                                    float32 [1, 28, 28], stacked with its label)
//   data/step/<threads>/<prefetch>   the same epoch beside a stand-in training
//                                    step of 1 ms per batch that keeps the
//                                    loop's thread busy
// wait_us: the time the loop spends waiting per batch (inside begin() and
// ++), i.e. the loader's share of a step.
// prefetch 0 assembles each batch when the loop asks (parallel_for over its
// examples); 2 assembles two ahead on ember's worker threads. Registered per
// thread count, from EMBER_BENCH_THREADS or 1 and 2.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "bench_common.h"
#include "data/data_loader.h"
#include "data/mnist.h"

namespace {

using ember::data::FashionMNIST;

constexpr int64_t kBatch = 64;
constexpr auto kStep = std::chrono::microseconds(1000);

std::shared_ptr<FashionMNIST> fashion_mnist() {
  static std::shared_ptr<FashionMNIST> dataset =
      std::filesystem::exists(FashionMNIST::kDefaultRoot) ? std::make_shared<FashionMNIST>()
                                                          : nullptr;
  return dataset;
}

// Busy-waits like a training step on the loop's thread (sleeping would free
// the core and hide contention).
void stand_in_step() {
  auto until = std::chrono::steady_clock::now() + kStep;
  while (std::chrono::steady_clock::now() < until) {
  }
}

void run(benchmark::State& state, bool with_step) {
  auto dataset = fashion_mnist();
  if (!dataset) {
    state.SkipWithError("Fashion-MNIST is not installed (dataset-fashion-mnist)");
    return;
  }
  ember::bench::use_threads(state.range(0));
  ember::data::DataLoader loader(dataset, {.batch_size = kBatch, .shuffle = true, .seed = 0,
                                           .num_prefetch = state.range(1)});
  using Clock = std::chrono::steady_clock;
  int64_t items = 0;
  int64_t batches = 0;
  Clock::duration waited{};
  for (auto _ : state) {
    // Time inside begin() and ++ is time the loop waits for a batch.
    auto asked = Clock::now();
    for (auto it = loader.begin(); it != loader.end(); ++it) {
      waited += Clock::now() - asked;
      benchmark::DoNotOptimize(it->input.raw_data());
      items += it->size();
      ++batches;
      if (with_step) stand_in_step();
      asked = Clock::now();
    }
    waited += Clock::now() - asked;
  }
  state.SetItemsProcessed(items);
  state.counters["wait_us"] =
      std::chrono::duration<double, std::micro>(waited).count() / static_cast<double>(batches);
}

void BM_Load(benchmark::State& state) { run(state, false); }
void BM_Step(benchmark::State& state) { run(state, true); }

void register_all() {
  for (int64_t threads : ember::bench::thread_counts()) {
    for (int64_t prefetch : {0, 2}) {
      ember::bench::configure(benchmark::RegisterBenchmark("data/load", BM_Load))
          ->Args({threads, prefetch})
          ->Unit(benchmark::kMillisecond);
      ember::bench::configure(benchmark::RegisterBenchmark("data/step", BM_Step))
          ->Args({threads, prefetch})
          ->Unit(benchmark::kMillisecond);
    }
  }
}

const int registered = (register_all(), 0);

}  // namespace
