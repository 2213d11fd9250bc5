// One optimizer step over 10M float32 parameters (three tensors: [4000, 1000],
// [4000, 1000], [2000, 1000]) with gradients already in place, for every
// algorithm with PyTorch's default options (SGD: lr 0.01, and once more with
// momentum 0.9), the PyTorch comparison's workload:
//   optim/<algorithm>       one step(); the state exists already (warm-up step)
//   memcpy/optim_10m        memcpy of the 40 MB of parameters
//   plain/stream3_10m       p += c * g over 10M floats: 2 arrays read, 1 written
//                           (SGD's traffic), a plain loop the compiler vectorizes
//   plain/stream7_10m       4 arrays read, 3 written (Adam's traffic), trivial math
// The plain loops are the bandwidth an update can reach with its access
// pattern; memcpy (glibc streams its stores past the cache) is slower here.
// Bytes count each array an update must read or write once, 4 bytes per
// element: SGD 12 (g, p read, p written), SGD with momentum, Adagrad and
// RMSprop 20 (+ one state array read and written), Adadelta, Adam, AdamW,
// NAdam and RAdam 28 (+ two). memcpy counts 8 (read and write).
// Registered per thread count (the benchmark's argument), from
// EMBER_BENCH_THREADS or 1 and 2.
#include <benchmark/benchmark.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "optim/optim.h"

namespace {

using ember::Tensor;
namespace optim = ember::optim;

constexpr int64_t kNumel = 10'000'000;
constexpr int64_t kBytes = kNumel * static_cast<int64_t>(sizeof(float));

struct Model {
  std::vector<Tensor> params;
  Tensor copy;  // memcpy target, as large as all parameters together
  Tensor flat[4];  // p, g, m, v of the plain loops
};

Model& model() {
  static Model instance = [] {
    ember::Generator generator(5);
    Model m;
    for (const ember::Shape& shape : {ember::Shape{4000, 1000}, ember::Shape{4000, 1000},
                                      ember::Shape{2000, 1000}}) {
      Tensor p = ember::randn(shape, {}, &generator).mul_(0.05).requires_grad_(true);
      p.set_grad(ember::randn(shape, {}, &generator).mul_(0.01));
      m.params.push_back(p);
    }
    m.copy = ember::empty({kNumel});
    for (Tensor& array : m.flat) array = ember::full({kNumel}, 0.01);
    return m;
  }();
  return instance;
}

void memcpy_plain(benchmark::State& state) {
  const Model& m = model();
  ember::bench::measure(state, 2 * kBytes, [&] {
    char* target = static_cast<char*>(m.copy.raw_data());
    for (const Tensor& p : m.params) {
      const size_t bytes = static_cast<size_t>(p.numel()) * sizeof(float);
      std::memcpy(target, p.raw_data(), bytes);
      target += bytes;
    }
  });
}

void plain_stream3(benchmark::State& state) {
  const Model& m = model();
  float* __restrict p = m.flat[0].data_ptr<float>();
  const float* __restrict g = m.flat[1].data_ptr<float>();
  ember::bench::measure(state, 3 * kBytes, [&] {
    ember::parallel_for(0, kNumel, ember::kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) p[i] += -1e-3f * g[i];
    });
  });
}

void plain_stream7(benchmark::State& state) {
  const Model& mo = model();
  float* __restrict p = mo.flat[0].data_ptr<float>();
  const float* __restrict g = mo.flat[1].data_ptr<float>();
  float* __restrict m = mo.flat[2].data_ptr<float>();
  float* __restrict v = mo.flat[3].data_ptr<float>();
  ember::bench::measure(state, 7 * kBytes, [&] {
    ember::parallel_for(0, kNumel, ember::kElementwiseGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        m[i] = 0.9f * m[i] + 0.1f * g[i];
        v[i] = 0.9f * v[i] + 0.1f * g[i];
        p[i] -= 1e-3f * (m[i] + v[i]);
      }
    });
  });
}

using Make = std::function<std::unique_ptr<optim::Optimizer>(const std::vector<Tensor>&)>;

// Times step() of a fresh optimizer; measure's untimed first call creates the state.
void step(benchmark::State& state, int64_t bytes_per_element, const Make& make) {
  std::unique_ptr<optim::Optimizer> optimizer = make(model().params);
  ember::bench::measure(state, bytes_per_element * kNumel, [&] { optimizer->step(); });
}

template <class Algorithm>
Make with_defaults() {
  return [](const std::vector<Tensor>& p) { return std::make_unique<Algorithm>(p); };
}

void register_all() {
  struct Workload {
    const char* name;
    int64_t bytes_per_element;
    Make make;
  };
  const std::vector<Workload> workloads = {
      {"optim/sgd", 12,
       [](auto& p) { return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.01}); }},
      {"optim/sgd_momentum", 20,
       [](auto& p) {
         return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.01, .momentum = 0.9});
       }},
      {"optim/adagrad", 20, with_defaults<optim::Adagrad>()},
      {"optim/adadelta", 28, with_defaults<optim::Adadelta>()},
      {"optim/rmsprop", 20, with_defaults<optim::RMSprop>()},
      {"optim/adam", 28, with_defaults<optim::Adam>()},
      {"optim/adamw", 28, with_defaults<optim::AdamW>()},
      {"optim/nadam", 28, with_defaults<optim::NAdam>()},
      {"optim/radam", 28, with_defaults<optim::RAdam>()},
  };
  for (int64_t threads : ember::bench::thread_counts()) {
    auto configure = [&](benchmark::internal::Benchmark* b) {
      ember::bench::configure(b)->Arg(threads)->ArgName("threads")->Unit(benchmark::kMillisecond);
    };
    configure(benchmark::RegisterBenchmark("memcpy/optim_10m", memcpy_plain));
    configure(benchmark::RegisterBenchmark("plain/stream3_10m", plain_stream3));
    configure(benchmark::RegisterBenchmark("plain/stream7_10m", plain_stream7));
    for (const Workload& w : workloads) {
      configure(benchmark::RegisterBenchmark(
          w.name, [w](benchmark::State& state) { step(state, w.bytes_per_element, w.make); }));
    }
  }
}

const bool registered = (register_all(), true);

}  // namespace
