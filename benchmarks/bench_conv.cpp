// Convolutions of the shapes in the issue, float32, in GFLOP/s (2 flops per
// multiply-add of the GEMMs a convolution is made of). For each workload and
// thread count, side by side:
//   <workload>/forward                ember's conv, no graph recorded
//   <workload>/forward_backward       conv, then backward with a ones upstream
//                                     gradient; input, weight and bias all
//                                     require grad (3x the forward's flops)
//   <workload>/gemm_forward           only the forward's GEMMs, per image over
//                                     a ready column matrix, split over threads
//                                     the way the conv splits them
//   <workload>/gemm_forward_backward  only the GEMMs of forward and backward
// The gemm_ variants are the floor the aim is measured against: each conv
// within 1.25x of its GEMMs plus its column-buffer traffic.
//
// Workloads (PyTorch defaults where the issue names no option; the PyTorch
// side of the comparison must use the same):
//   conv2d_c1_28       x [64, 1, 28, 28]      w [32, 1, 3, 3]      padding 1
//   conv2d_c32_28      x [64, 32, 28, 28]     w [64, 32, 3, 3]     padding 1
//   conv2d_c32_14      x [64, 32, 14, 14]     w [64, 32, 3, 3]     padding 1 (the CNN's second)
//   conv2d_c64_56      x [32, 64, 56, 56]     w [64, 64, 3, 3]     padding 1
//   conv2d_c3_224      x [16, 3, 224, 224]    w [64, 3, 7, 7]      stride 2, padding 3
//   conv1d_c64_1024    x [32, 64, 1024]       w [64, 64, 5]        padding 0
//   conv3d_c8_16x32x32 x [4, 8, 16, 32, 32]   w [16, 8, 3, 3, 3]   padding 1
// Every conv has a bias [OC].
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench_common.h"
#include "framework/autograd/grad_mode.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "ops/conv.h"
#include "ops/detail/gemm.h"

namespace {

using ember::Shape;
using ember::Tensor;

struct Workload {
  const char* name;
  Shape input;   // [N, C, *in]
  Shape weight;  // [OC, C, *kernel]
  int64_t stride;
  int64_t padding;
};

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> list = {
      {"conv2d_c1_28", {64, 1, 28, 28}, {32, 1, 3, 3}, 1, 1},
      {"conv2d_c32_28", {64, 32, 28, 28}, {64, 32, 3, 3}, 1, 1},
      {"conv2d_c32_14", {64, 32, 14, 14}, {64, 32, 3, 3}, 1, 1},
      {"conv2d_c64_56", {32, 64, 56, 56}, {64, 64, 3, 3}, 1, 1},
      {"conv2d_c3_224", {16, 3, 224, 224}, {64, 3, 7, 7}, 2, 3},
      {"conv1d_c64_1024", {32, 64, 1024}, {64, 64, 5}, 1, 0},
      {"conv3d_c8_16x32x32", {4, 8, 16, 32, 32}, {16, 8, 3, 3, 3}, 1, 1},
  };
  return list;
}

int spatial_dims(const Workload& w) { return static_cast<int>(w.input.size()) - 2; }

// The GEMM sizes of one image: y [m, n] = w [m, k] * col [k, n].
struct GemmShape {
  int64_t m, n, k;
};

GemmShape gemm_shape(const Workload& w) {
  int64_t n = 1, k = w.weight[1];
  for (int d = 0; d < spatial_dims(w); ++d) {
    int64_t kernel = w.weight[d + 2];
    n *= (w.input[d + 2] + 2 * w.padding - kernel) / w.stride + 1;
    k *= kernel;
  }
  return {w.weight[0], n, k};
}

Tensor run_conv(const Workload& w, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  ember::ConvOptions options{.stride = w.stride, .padding = w.padding};
  switch (spatial_dims(w)) {
    case 1: return ember::conv1d(x, weight, bias, options);
    case 2: return ember::conv2d(x, weight, bias, options);
    default: return ember::conv3d(x, weight, bias, options);
  }
}

// GFLOP/s, and per call the "flops" and the "bytes" of the tensors each pass
// must touch once: forward reads x, w, b and writes y; backward reads dy three
// times (for dx, dw, db), w and x once each, and writes dx, dw and db.
void report_flops(benchmark::State& state, const Workload& w, double passes) {
  GemmShape g = gemm_shape(w);
  double flops = passes * 2.0 * double(w.input[0]) * g.m * g.n * g.k;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);

  double x = 1.0, weight = 1.0, y = double(w.input[0]) * g.m * g.n;
  for (int64_t size : w.input) x *= double(size);
  for (int64_t size : w.weight) weight *= double(size);
  double bias = double(w.weight[0]);
  double forward = x + weight + bias + y;
  double backward = 3 * y + weight + x + x + weight + bias;
  double elements = passes > 1 ? forward + backward : forward;
  ember::bench::report_work(state, flops, sizeof(float) * elements);
}

struct Operands {
  Tensor x, weight, bias;
};

Operands make_operands(const Workload& w, bool requires_grad) {
  ember::Generator generator(7);
  Operands o{ember::randn(w.input, {}, &generator), ember::randn(w.weight, {}, &generator),
             ember::randn({w.weight[0]}, {}, &generator)};
  for (Tensor* t : {&o.x, &o.weight, &o.bias}) t->requires_grad_(requires_grad);
  return o;
}

void conv_forward(benchmark::State& state, const Workload& w) {
  ember::bench::use_threads(state.range(0));
  Operands o = make_operands(w, false);
  ember::NoGradGuard no_grad;

  benchmark::DoNotOptimize(run_conv(w, o.x, o.weight, o.bias).raw_data());  // warm-up
  for (auto _ : state) {
    Tensor y = run_conv(w, o.x, o.weight, o.bias);
    benchmark::DoNotOptimize(y.raw_data());
  }
  report_flops(state, w, 1.0);
}

void conv_forward_backward(benchmark::State& state, const Workload& w) {
  ember::bench::use_threads(state.range(0));
  Operands o = make_operands(w, true);
  Tensor upstream;
  {
    ember::NoGradGuard no_grad;
    upstream = ember::ones_like(run_conv(w, o.x, o.weight, o.bias));
  }
  auto step = [&] {
    for (Tensor* t : {&o.x, &o.weight, &o.bias}) t->zero_grad();
    run_conv(w, o.x, o.weight, o.bias).backward(upstream);
  };

  step();  // warm-up
  for (auto _ : state) {
    step();
    benchmark::DoNotOptimize(o.weight.grad().raw_data());
  }
  report_flops(state, w, 3.0);
}

// Runs body(image) over the batch as the conv does: images in parallel when
// there is one per thread or more (GEMMs serial inside), else one after another
// with each GEMM split across the threads.
template <typename Body>
void over_images(int64_t batch, const Body& body) {
  if (batch >= ember::get_num_threads()) {
    ember::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) body(n);
    });
    return;
  }
  for (int64_t n = 0; n < batch; ++n) body(n);
}

// The GEMMs alone, over one ready column matrix shared by every image (its
// values do not change the time). With `backward`, each image also runs the
// input-gradient GEMM (col = w^T dy) and accumulates the weight gradient
// (dw += dy col^T) into a per-thread scratch.
void conv_gemms(benchmark::State& state, const Workload& w, bool backward) {
  ember::bench::use_threads(state.range(0));
  const GemmShape g = gemm_shape(w);
  const int64_t batch = w.input[0];
  ember::Generator generator(7);
  Tensor weight = ember::randn({g.m, g.k}, {}, &generator);
  Tensor col = ember::randn({g.k, g.n}, {}, &generator);
  Tensor y = ember::zeros({batch, g.m, g.n});
  const float* wp = weight.data_ptr<float>();
  const float* cp = col.data_ptr<float>();
  float* yp = y.data_ptr<float>();

  auto image = [&](int64_t n) {
    float* out = yp + n * g.m * g.n;
    ember::detail::gemm<float>(false, false, g.m, g.n, g.k, 1.0f, wp, g.k, cp, g.n, 0.0f, out,
                               g.n);
    if (!backward) return;
    thread_local std::vector<float> dcol, dw;
    dcol.resize(static_cast<size_t>(g.k * g.n));
    dw.resize(static_cast<size_t>(g.m * g.k));
    ember::detail::gemm<float>(true, false, g.k, g.n, g.m, 1.0f, wp, g.k, out, g.n, 0.0f,
                               dcol.data(), g.n);
    ember::detail::gemm<float>(false, true, g.m, g.k, g.n, 1.0f, out, g.n, cp, g.n, 1.0f,
                               dw.data(), g.k);
  };

  over_images(batch, image);  // warm-up
  for (auto _ : state) {
    over_images(batch, image);
    benchmark::ClobberMemory();
  }
  report_flops(state, w, backward ? 3.0 : 1.0);
}

void register_all() {
  for (const Workload& w : workloads()) {
    for (int64_t threads : ember::bench::thread_counts()) {
      auto add = [&](const std::string& variant, auto function) {
        std::string name = std::string(w.name) + "/" + variant;
        ember::bench::configure(benchmark::RegisterBenchmark(name.c_str(), function))
            ->Args({threads})
            ->ArgNames({"threads"})
            ->Unit(benchmark::kMillisecond);
      };
      add("gemm_forward", [&w](benchmark::State& s) { conv_gemms(s, w, false); });
      add("forward", [&w](benchmark::State& s) { conv_forward(s, w); });
      add("gemm_forward_backward", [&w](benchmark::State& s) { conv_gemms(s, w, true); });
      add("forward_backward", [&w](benchmark::State& s) { conv_forward_backward(s, w); });
    }
  }
}

const bool registered = (register_all(), true);

}  // namespace
