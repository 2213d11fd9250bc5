// What the ops tell the profiler: one range per public op under PyTorch's
// name, GEMM FLOPs equal to the analytic counts (forward and backward), and
// the bytes a pointwise pass reads and writes.

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "framework/profiler.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/activation.h"
#include "ops/conv.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/normalization.h"
#include "ops/pooling.h"
#include "ops/reduce.h"
#include "ops/softmax.h"

namespace profiler = ember::profiler;
using ember::Shape;
using ember::Tensor;
using profiler::Event;
using profiler::EventKind;

namespace {

Tensor random(const Shape& shape, bool requires_grad = false) {
  static ember::Generator generator(20240607);
  Tensor t = ember::randn(shape, ember::kFloat32, &generator);
  return requires_grad ? t.requires_grad_() : t;
}

Tensor labels(const std::vector<int64_t>& values) { return ember::tensor(values); }

std::vector<Event> named(const std::vector<Event>& events, const std::string& name,
                         EventKind kind) {
  std::vector<Event> kept;
  std::copy_if(events.begin(), events.end(), std::back_inserter(kept),
               [&](const Event& e) { return e.name == name && e.kind == kind; });
  return kept;
}

// The one event of that name and kind; fails the test when there are more or none.
Event only(const std::vector<Event>& events, const std::string& name,
           EventKind kind = EventKind::Op) {
  std::vector<Event> found = named(events, name, kind);
  INFO("events named " << name);
  REQUIRE(found.size() == 1);
  return found[0];
}

bool inside(const Event& inner, const Event& outer) {
  return inner.thread == outer.thread && inner.start_ns >= outer.start_ns &&
         inner.end_ns() <= outer.end_ns();
}

// Sum of the FLOPs of every event: counts land in the innermost range, so the
// total does not depend on how ranges nest.
double total_flops(const std::vector<Event>& events) {
  double flops = 0;
  for (const Event& e : events) flops += e.flops;
  return flops;
}

}  // namespace

TEST_CASE("linear, relu and sum record one op each and their backward nodes once",
          "[profiler]") {
  Tensor x = random({8, 16}, true);
  Tensor w = random({4, 16}, true);
  Tensor b = random({4}, true);
  Tensor seed = ember::ones({});  // made here: ones() fills through fill_, an op

  profiler::Profile profile;
  Tensor loss = ember::sum(ember::relu(ember::linear(x, w, b)));
  loss.backward(seed);
  const std::vector<Event>& events = profile.events();

  // Forward: one range per op. The second sum is the bias gradient, taken
  // inside LinearBackward.
  std::vector<std::string> ops;
  for (const Event& e : events) {
    if (e.kind == EventKind::Op) ops.push_back(e.name);
  }
  CHECK(ops == std::vector<std::string>{"linear", "relu", "sum", "sum"});
  Event linear = only(events, "linear");
  CHECK(linear.shapes == "[8, 16], [4, 16], [4]");
  Event linear_backward = only(events, "LinearBackward", EventKind::Backward);
  CHECK(inside(named(events, "sum", EventKind::Op)[1], linear_backward));
  only(events, "ReluBackward", EventKind::Backward);
  only(events, "SumBackward0", EventKind::Backward);

  // linear: one [8, 16] x [16, 4] product forward, two of the same size back.
  const double product = 2.0 * 8 * 16 * 4;
  CHECK(linear.flops == product);
  CHECK(linear_backward.flops == 2 * product);
  CHECK(total_flops(events) == 3 * product);

  // relu reads and writes [8, 4] float32; its gradient reads the incoming
  // gradient (an expanded scalar: 4 bytes), the saved output, and writes [8, 4].
  CHECK(only(events, "relu").bytes == 2 * 8 * 4 * 4);
  CHECK(only(events, "ReluBackward", EventKind::Backward).bytes == 4 + 2 * 8 * 4 * 4);
  CHECK(named(events, "sum", EventKind::Op)[0].bytes == 8 * 4 * 4 + 4);
}

TEST_CASE("conv2d records the analytic FLOPs forward and in both gradient products",
          "[profiler]") {
  // FLOPs of each of the three products: 2 * N * OC * H_out * W_out * (C / groups) * kH * kW.
  const int64_t groups = GENERATE(1, 3);
  const int64_t batch = 2, channels = 3, out_channels = 6, size = 9, kernel = 3;
  Tensor x = random({batch, channels, size, size}, true);
  Tensor w = random({out_channels, channels / groups, kernel, kernel}, true);
  Tensor b = random({out_channels}, true);
  const ember::ConvOptions options{.stride = 2, .padding = 1, .groups = groups};
  const int64_t out_size = (size + 2 - kernel) / 2 + 1;
  const double product = 2.0 * batch * out_channels * out_size * out_size *
                         (channels / groups) * kernel * kernel;

  profiler::Profile profile;
  Tensor y = ember::conv2d(x, w, b, options);
  ember::sum(y).backward();
  const std::vector<Event>& events = profile.events();

  INFO("groups " << groups);
  REQUIRE(y.shape() == Shape{batch, out_channels, out_size, out_size});
  CHECK(only(events, "conv2d").flops == product);
  CHECK(only(events, "ConvolutionBackward", EventKind::Backward).flops == 2 * product);
  CHECK(total_flops(events) == 3 * product);
}

TEST_CASE("conv_transpose2d counts the FLOPs of the convolution it is the adjoint of",
          "[profiler]") {
  // weight [C_in, OC, kH, kW]: 2 * N * C_in * OC * kH * kW * H_in * W_in.
  Tensor x = random({2, 4, 5, 5});
  Tensor w = random({4, 3, 3, 3});

  profiler::Profile profile;
  ember::conv_transpose2d(x, w, Tensor(), {.stride = 2});
  CHECK(only(profile.events(), "conv_transpose2d").flops == 2.0 * 2 * 4 * 3 * 9 * 25);
}

TEST_CASE("matmul, mm, bmm and dot record 2 * M * N * K per product", "[profiler]") {
  Tensor a = random({3, 5, 7}, true);
  Tensor b = random({3, 7, 2}, true);
  Tensor shared = random({7, 2});
  Tensor m = random({5, 7});
  Tensor v = random({7});

  profiler::Profile profile;
  Tensor batched = ember::matmul(a, b);
  ember::matmul(a, shared);
  ember::mm(m, shared);
  ember::bmm(a, b);
  ember::dot(v, v);
  ember::sum(batched).backward();
  const std::vector<Event>& events = profile.events();

  const double product = 2.0 * 3 * 5 * 2 * 7;
  std::vector<Event> matmuls = named(events, "matmul", EventKind::Op);
  REQUIRE(matmuls.size() == 2);
  CHECK(matmuls[0].flops == product);
  CHECK(matmuls[1].flops == product);  // the batch folds into one [15, 7] x [7, 2]
  CHECK(only(events, "mm").flops == 2.0 * 5 * 2 * 7);
  CHECK(only(events, "bmm").flops == product);
  CHECK(only(events, "dot").flops == 2.0 * 7);
  // Both gradients are products of the forward's size.
  CHECK(only(events, "MatmulBackward", EventKind::Backward).flops == 2 * product);
}

TEST_CASE("pointwise ops count the bytes they read and write", "[profiler]") {
  Tensor x = random({64, 32});
  Tensor row = random({32});
  Tensor y = ember::randn({10}, ember::kFloat64);

  profiler::Profile profile;
  ember::add(x, row);
  ember::mul(y, 2.0);
  ember::sigmoid(x.t());
  const std::vector<Event>& events = profile.events();

  // A broadcast operand is read once: [32] float32 beside two [64, 32] passes.
  CHECK(only(events, "add").bytes == 64 * 32 * 4 + 32 * 4 + 64 * 32 * 4);
  // The scalar is a 0-d tensor of y's dtype.
  CHECK(only(events, "mul").bytes == 10 * 8 + 8 + 10 * 8);
  // A transposed input is read in place, element for element.
  CHECK(only(events, "sigmoid").bytes == 2 * 64 * 32 * 4);
  CHECK(total_flops(events) == 0);
}

TEST_CASE("an op built on other ops leaves their work to their own ranges", "[profiler]") {
  Tensor x = random({6, 5});

  profiler::Profile profile;
  x.t().contiguous();
  ember::std(x);
  const std::vector<Event>& events = profile.events();

  // contiguous copies through clone, which counts the pass.
  Event contiguous = only(events, "contiguous");
  Event clone = only(events, "clone");
  CHECK(inside(clone, contiguous));
  CHECK(contiguous.bytes == 0);
  CHECK(clone.bytes == 2 * 6 * 5 * 4);

  // std is mean, sub, square, sum, div and sqrt; each counts its own pass.
  Event deviation = only(events, "std");
  CHECK(deviation.bytes == 0);
  for (const char* part : {"mean", "sub", "square", "sum", "div", "sqrt"}) {
    INFO(part);
    Event inner = only(events, part);
    CHECK(inside(inner, deviation));
    CHECK(inner.bytes > 0);
  }
}

TEST_CASE("every public op records one range under PyTorch's name", "[profiler]") {
  Tensor x = random({2, 3, 8});
  Tensor image = random({2, 3, 8, 8});
  Tensor volume = random({1, 3, 4, 4, 4});
  Tensor matrix = random({4, 6});
  Tensor other = random({4, 6});
  Tensor probabilities = ember::sigmoid(other);
  Tensor classes = labels({0, 2, 5, 1});
  Tensor index = labels({1, 0, 3});
  Tensor mask = ember::gt(matrix, 0.0);
  Tensor signs = ember::tensor({1.f, -1.f, 1.f, -1.f});
  Tensor channel_stats = ember::zeros({3});
  Tensor channel_ones = ember::ones({3});
  Tensor binary_target = ember::gt(other, 0.0).to(ember::kFloat32);
  Tensor column_index = ember::zeros({4, 2}, ember::kInt64);
  Tensor weight1d = random({2, 3, 3});
  Tensor weight2d = random({2, 3, 3, 3});
  Tensor weight3d = random({2, 3, 2, 2, 2});
  Tensor weight_t1d = random({3, 2, 3});
  Tensor weight_t3d = random({3, 2, 2, 2, 2});

  using ember::Reduction;
  const std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"add", [&] { ember::add(matrix, other); }},
      {"sub", [&] { ember::sub(matrix, 1.0); }},
      {"mul", [&] { matrix * other; }},
      {"div", [&] { matrix / 2.0; }},
      {"pow", [&] { ember::pow(matrix, 2.0); }},
      {"maximum", [&] { ember::maximum(matrix, other); }},
      {"minimum", [&] { ember::minimum(matrix, other); }},
      {"neg", [&] { -matrix; }},
      {"exp", [&] { matrix.exp(); }},
      {"log", [&] { ember::log(probabilities); }},
      {"sqrt", [&] { ember::sqrt(probabilities); }},
      {"abs", [&] { ember::abs(matrix); }},
      {"square", [&] { ember::square(matrix); }},
      {"relu", [&] { matrix.relu(); }},
      {"sigmoid", [&] { ember::sigmoid(matrix); }},
      {"tanh", [&] { ember::tanh(matrix); }},
      {"gelu", [&] { ember::gelu(matrix); }},
      {"leaky_relu", [&] { ember::leaky_relu(matrix); }},
      {"clamp", [&] { ember::clamp(matrix, -0.5, 0.5); }},
      {"relu6", [&] { ember::relu6(matrix); }},
      {"elu", [&] { ember::elu(matrix); }},
      {"selu", [&] { ember::selu(matrix); }},
      {"silu", [&] { ember::silu(matrix); }},
      {"mish", [&] { ember::mish(matrix); }},
      {"softplus", [&] { ember::softplus(matrix); }},
      {"hardtanh", [&] { ember::hardtanh(matrix); }},
      {"hardsigmoid", [&] { ember::hardsigmoid(matrix); }},
      {"hardswish", [&] { ember::hardswish(matrix); }},
      {"eq", [&] { matrix == other; }},
      {"where", [&] { ember::where(mask, matrix, other); }},
      {"masked_fill", [&] { ember::masked_fill(matrix, mask, 0.0); }},
      {"sum", [&] { matrix.sum({1}); }},
      {"mean", [&] { matrix.mean(); }},
      {"max", [&] { ember::max(matrix, 1); }},
      {"min", [&] { matrix.min(); }},
      {"argmax", [&] { matrix.argmax(1); }},
      {"var", [&] { ember::var(matrix, {0}); }},
      {"std", [&] { ember::std(matrix); }},
      {"softmax", [&] { ember::softmax(matrix, 1); }},
      {"log_softmax", [&] { ember::log_softmax(matrix, 1); }},
      {"matmul", [&] { ember::matmul(matrix, other.t()); }},
      {"linear", [&] { ember::linear(matrix, other); }},
      {"conv1d", [&] { ember::conv1d(x, weight1d); }},
      {"conv2d", [&] { ember::conv2d(image, weight2d); }},
      {"conv3d", [&] { ember::conv3d(volume, weight3d); }},
      {"conv_transpose1d", [&] { ember::conv_transpose1d(x, weight_t1d); }},
      {"conv_transpose3d", [&] { ember::conv_transpose3d(volume, weight_t3d); }},
      {"max_pool1d", [&] { ember::max_pool1d(x, {.kernel_size = 2}); }},
      {"max_pool2d", [&] { ember::max_pool2d(image, {.kernel_size = 2}); }},
      {"max_pool3d", [&] { ember::max_pool3d(volume, {.kernel_size = 2}); }},
      {"avg_pool2d", [&] { ember::avg_pool2d(image, {.kernel_size = 2}); }},
      {"adaptive_avg_pool2d", [&] { ember::adaptive_avg_pool2d(image, 1); }},
      {"adaptive_max_pool2d", [&] { ember::adaptive_max_pool2d(image, 2); }},
      {"batch_norm",
       [&] { ember::batch_norm(image, channel_stats.clone(), channel_ones.clone()); }},
      {"group_norm", [&] { ember::group_norm(image, 3); }},
      {"layer_norm", [&] { ember::layer_norm(image, {8, 8}); }},
      {"instance_norm", [&] { ember::instance_norm(image); }},
      {"dropout", [&] { ember::dropout(matrix, 0.5); }},
      {"dropout2d", [&] { ember::dropout2d(image, 0.5); }},
      {"mse_loss", [&] { ember::mse_loss(matrix, other); }},
      {"l1_loss", [&] { ember::l1_loss(matrix, other); }},
      {"smooth_l1_loss", [&] { ember::smooth_l1_loss(matrix, other); }},
      {"huber_loss", [&] { ember::huber_loss(matrix, other); }},
      {"nll_loss", [&] { ember::nll_loss(matrix, classes); }},
      {"cross_entropy", [&] { ember::cross_entropy(matrix, classes); }},
      {"binary_cross_entropy", [&] { ember::binary_cross_entropy(probabilities, binary_target); }},
      {"binary_cross_entropy_with_logits",
       [&] { ember::binary_cross_entropy_with_logits(matrix, probabilities); }},
      {"kl_div", [&] { ember::kl_div(matrix, probabilities); }},
      {"cosine_embedding_loss",
       [&] { ember::cosine_embedding_loss(matrix, other, signs); }},
      {"margin_ranking_loss", [&] { ember::margin_ranking_loss(matrix, other, matrix); }},
      {"cat", [&] { ember::cat({matrix, other}, 1); }},
      {"stack", [&] { ember::stack({matrix, other}); }},
      {"index_select", [&] { ember::index_select(matrix, 0, index); }},
      {"gather", [&] { ember::gather(matrix, 1, column_index); }},
      {"scatter_add", [&] { ember::scatter_add(matrix, 1, column_index, other); }},
      {"one_hot", [&] { ember::one_hot(classes); }},
      {"clone", [&] { matrix.clone(); }},
      {"contiguous", [&] { matrix.t().contiguous(); }},
      {"reshape", [&] { matrix.t().reshape({24}); }},
      {"to", [&] { matrix.to(ember::kFloat64); }},
      {"copy_", [&] { matrix.clone().copy_(other); }},
      {"add_", [&] { matrix.clone().add_(other); }},
      {"mul_", [&] { matrix.clone().mul_(2.0); }},
      {"relu_", [&] { matrix.clone().relu_(); }},
      {"clamp_", [&] { matrix.clone().clamp_(0.0, 1.0); }},
      {"fill_", [&] { matrix.clone().fill_(1.0); }},
      {"zero_", [&] { matrix.clone().zero_(); }},
  };

  for (const auto& [name, call] : cases) {
    INFO("op " << name);
    profiler::Profile profile;
    call();
    std::vector<Event> events = profile.events();
    events.erase(std::remove_if(events.begin(), events.end(),
                                [](const Event& e) { return e.kind != EventKind::Op; }),
                 events.end());
    REQUIRE_FALSE(events.empty());

    // The op is the outermost range of the call, recorded once; a clone the
    // case made first to have a tensor to write into comes before it.
    auto outer = std::find_if(events.begin(), events.end(), [&](const Event& e) {
      return e.name != "clone" || name == "clone";
    });
    REQUIRE(outer != events.end());
    CHECK(outer->name == name);
    CHECK(named(events, name, EventKind::Op).size() == 1);
  }
}

TEST_CASE("pooling, norms, softmax and losses count bytes in forward and backward",
          "[profiler]") {
  Tensor image = random({2, 3, 8, 8}, true);

  profiler::Profile profile;
  Tensor pooled = ember::max_pool2d(image, {.kernel_size = 2});
  Tensor normed = ember::batch_norm(pooled, Tensor(), Tensor(), Tensor(), Tensor(), true);
  Tensor logits = ember::log_softmax(normed.flatten(1), 1);
  Tensor loss = ember::nll_loss(logits, labels({3, 7}));
  loss.backward();
  const std::vector<Event>& events = profile.events();

  // max_pool2d: reads [2, 3, 8, 8], writes [2, 3, 4, 4] values and int64 indices.
  const double input_bytes = 2 * 3 * 8 * 8 * 4;
  const double pooled_bytes = 2 * 3 * 4 * 4 * 4;
  CHECK(only(events, "max_pool2d").bytes == input_bytes + pooled_bytes + 2 * pooled_bytes);
  // batch_norm: one pass over x and y (no weight or bias here).
  CHECK(only(events, "batch_norm").bytes == 2 * pooled_bytes);
  CHECK(only(events, "log_softmax").bytes == 2 * pooled_bytes);
  for (const char* node : {"MaxPool2DWithIndicesBackward0", "BatchNormBackward",
                           "LogSoftmaxBackward", "NllLossBackward"}) {
    INFO(node);
    CHECK(only(events, node, EventKind::Backward).bytes > 0);
  }
  CHECK(total_flops(events) == 0);
}
