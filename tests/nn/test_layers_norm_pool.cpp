// The pooling, normalization, dropout, noise and activation modules.
//
// The [parity] cases read tests/fixtures/layers_norm_pool.txt (written by
// tools/make_layer_norm_fixtures.py with PyTorch 1.13): for each module
// configuration, PyTorch's repr, its state_dict keys, shapes and dtypes,
// a randomized state loaded into the module, training forwards (batch norm:
// several, with momentum 0.1 and the cumulative average), the state after
// them, and an evaluation forward. The other cases check the behaviour
// PyTorch cannot pin down (random dropout masks and noise), that each module
// is exactly its functional op, the construction syntax and the errors.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember.h"
#include "helpers.h"
#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/noise.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/sequential.h"
#include "parity/fixture_reader.h"

using namespace ember;
using ember_test::ErrorMentions;
using ember_test::Fixture;

namespace {

const char* const kFixtures = EMBER_FIXTURES_DIR "/layers_norm_pool.txt";

// Undoes the script's percent-encoding of repr strings (spaces, newlines).
std::string percent_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::strtol(text.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// ---- building the module a fixture describes ----

double real_or(const Fixture& f, const std::string& key, double fallback) {
  return f.has(key) ? f.real(key) : fallback;
}

bool flag_or(const Fixture& f, const std::string& key, bool fallback) {
  return f.has(key) ? f.integer(key) != 0 : fallback;
}

PoolSizes sizes_or(const Fixture& f, const std::string& key, PoolSizes fallback) {
  return f.has(key) ? PoolSizes(f.integers(key)) : fallback;
}

nn::MaxPoolOptions max_pool_options(const Fixture& f) {
  return {.stride = sizes_or(f, "stride", {}),
          .padding = sizes_or(f, "padding", 0),
          .dilation = sizes_or(f, "dilation", 1),
          .ceil_mode = flag_or(f, "ceil_mode", false)};
}

nn::AvgPoolOptions avg_pool_options(const Fixture& f) {
  std::optional<int64_t> divisor;
  if (f.has("divisor_override")) divisor = f.integer("divisor_override");
  return {.stride = sizes_or(f, "stride", {}),
          .padding = sizes_or(f, "padding", 0),
          .ceil_mode = flag_or(f, "ceil_mode", false),
          .count_include_pad = flag_or(f, "count_include_pad", true),
          .divisor_override = divisor};
}

nn::BatchNormOptions batch_norm_options(const Fixture& f) {
  std::optional<double> momentum = 0.1;
  if (f.has("momentum")) {
    momentum = f.word("momentum") == "none" ? std::nullopt : std::optional(f.real("momentum"));
  }
  return {.eps = real_or(f, "eps", 1e-5),
          .momentum = momentum,
          .affine = flag_or(f, "affine", true),
          .track_running_stats = flag_or(f, "track_running_stats", true)};
}

nn::InstanceNormOptions instance_norm_options(const Fixture& f) {
  return {.eps = real_or(f, "eps", 1e-5),
          .momentum = real_or(f, "momentum", 0.1),
          .affine = flag_or(f, "affine", false),
          .track_running_stats = flag_or(f, "track_running_stats", false)};
}

std::shared_ptr<nn::Module> make_module(const Fixture& f) {
  const std::string& op = f.op;

  if (op == "BatchNorm1d") return nn::BatchNorm1d(f.integer("num_features"), batch_norm_options(f));
  if (op == "BatchNorm2d") return nn::BatchNorm2d(f.integer("num_features"), batch_norm_options(f));
  if (op == "BatchNorm3d") return nn::BatchNorm3d(f.integer("num_features"), batch_norm_options(f));
  if (op == "InstanceNorm1d") {
    return nn::InstanceNorm1d(f.integer("num_features"), instance_norm_options(f));
  }
  if (op == "InstanceNorm2d") {
    return nn::InstanceNorm2d(f.integer("num_features"), instance_norm_options(f));
  }
  if (op == "InstanceNorm3d") {
    return nn::InstanceNorm3d(f.integer("num_features"), instance_norm_options(f));
  }
  if (op == "GroupNorm") {
    return nn::GroupNorm(f.integer("num_groups"), f.integer("num_channels"),
                         {.eps = real_or(f, "eps", 1e-5), .affine = flag_or(f, "affine", true)});
  }
  if (op == "LayerNorm") {
    return nn::LayerNorm(f.integers("normalized_shape"),
                         {.eps = real_or(f, "eps", 1e-5),
                          .elementwise_affine = flag_or(f, "elementwise_affine", true)});
  }

  const PoolSizes kernel = sizes_or(f, "kernel_size", {});
  if (op == "MaxPool1d") return nn::MaxPool1d(kernel, max_pool_options(f));
  if (op == "MaxPool2d") return nn::MaxPool2d(kernel, max_pool_options(f));
  if (op == "MaxPool3d") return nn::MaxPool3d(kernel, max_pool_options(f));
  if (op == "AvgPool1d") return nn::AvgPool1d(kernel, avg_pool_options(f));
  if (op == "AvgPool2d") return nn::AvgPool2d(kernel, avg_pool_options(f));
  if (op == "AvgPool3d") return nn::AvgPool3d(kernel, avg_pool_options(f));
  const PoolSizes output_size = sizes_or(f, "output_size", {});
  if (op == "AdaptiveAvgPool1d") return nn::AdaptiveAvgPool1d(output_size);
  if (op == "AdaptiveAvgPool2d") return nn::AdaptiveAvgPool2d(output_size);
  if (op == "AdaptiveAvgPool3d") return nn::AdaptiveAvgPool3d(output_size);
  if (op == "AdaptiveMaxPool2d") return nn::AdaptiveMaxPool2d(output_size);

  const double p = real_or(f, "p", 0.5);
  if (op == "Dropout") return nn::Dropout(p);
  if (op == "Dropout1d") return nn::Dropout1d(p);
  if (op == "Dropout2d") return nn::Dropout2d(p);
  if (op == "Dropout3d") return nn::Dropout3d(p);
  if (op == "AlphaDropout") return nn::AlphaDropout(p);
  if (op == "FeatureAlphaDropout") return nn::FeatureAlphaDropout(p);

  if (op == "ReLU") return nn::ReLU();
  if (op == "ReLU6") return nn::ReLU6();
  if (op == "LeakyReLU") return nn::LeakyReLU(real_or(f, "negative_slope", 0.01));
  if (op == "ELU") return nn::ELU(real_or(f, "alpha", 1.0));
  if (op == "SELU") return nn::SELU();
  if (op == "GELU") return nn::GELU(f.has("approximate") ? f.word("approximate") : "none");
  if (op == "SiLU") return nn::SiLU();
  if (op == "Mish") return nn::Mish();
  if (op == "Softplus") {
    return nn::Softplus(real_or(f, "beta", 1.0), real_or(f, "threshold", 20.0));
  }
  if (op == "Hardtanh") {
    return nn::Hardtanh(real_or(f, "min_val", -1.0), real_or(f, "max_val", 1.0));
  }
  if (op == "Hardsigmoid") return nn::Hardsigmoid();
  if (op == "Hardswish") return nn::Hardswish();
  if (op == "Sigmoid") return nn::Sigmoid();
  if (op == "Tanh") return nn::Tanh();
  if (op == "Softmax") return nn::Softmax(f.integer("dim"));
  if (op == "LogSoftmax") return nn::LogSoftmax(f.integer("dim"));
  FAIL("no module for fixture op " << op);
  return nullptr;
}

Tensor fixture_tensor(const Fixture& f, const std::string& key) {
  return ember_test::make_tensor(f.tensors.at(key));
}

// float32 results are compared at float32 rounding of a few reductions;
// float64 ones nearly exactly.
double rtol_for(DType dtype) { return dtype == kFloat32 ? 1e-5 : 1e-10; }
double atol_for(DType dtype) { return dtype == kFloat32 ? 1e-5 : 1e-10; }

void check_state(const nn::Module& module, const Fixture& f, const std::string& prefix) {
  for (const auto& [key, value] : module.state_dict()) {
    INFO(prefix << key);
    Tensor expected = fixture_tensor(f, prefix + key);
    CHECK_CLOSE(value, expected, rtol_for(value.dtype()), atol_for(value.dtype()));
  }
}

std::vector<Fixture> module_fixtures() {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(kFixtures);
  REQUIRE(fixtures.size() > 60);
  return fixtures;
}

}  // namespace

// ---- parity with PyTorch ----

TEST_CASE("layer modules match PyTorch: repr, state_dict, training and evaluation",
          "[nn][parity]") {
  for (const Fixture& f : module_fixtures()) {
    if (f.op == "Sequential") continue;
    INFO("fixture " << f.name);
    std::shared_ptr<nn::Module> module = make_module(f);
    const DType dtype = ember_test::parse_dtype(f.word("dtype"));
    if (dtype == kFloat64) module->to(kFloat64);

    CHECK(module->to_string() == percent_decode(f.word("repr")));

    // Same keys in the same order, each with PyTorch's shape and dtype.
    StateDict state = module->state_dict();
    const std::vector<std::string> keys =
        f.has("keys") ? f.param("keys") : std::vector<std::string>{};
    REQUIRE(state.keys() == keys);
    StateDict initial;
    for (const std::string& key : keys) {
      Tensor expected = fixture_tensor(f, "state." + key);
      CHECK(state.at(key).shape() == expected.shape());
      CHECK(state.at(key).dtype() == expected.dtype());
      initial.insert(key, expected);
    }
    module->load_state_dict(initial);

    module->train();
    for (int i = 0; f.has_tensor("train_in" + std::to_string(i)); ++i) {
      INFO("training call " << i);
      Tensor out = module->forward(fixture_tensor(f, "train_in" + std::to_string(i)));
      Tensor expected = fixture_tensor(f, "train_out" + std::to_string(i));
      CHECK_CLOSE(out, expected, rtol_for(dtype), atol_for(dtype));
    }
    check_state(*module, f, "after.");

    module->eval();
    Tensor out = module->forward(fixture_tensor(f, "eval_in"));
    CHECK_CLOSE(out, fixture_tensor(f, "eval_out"), rtol_for(dtype), atol_for(dtype));
  }
}

TEST_CASE("a Sequential of these layers prints and names its state as PyTorch", "[nn][parity]") {
  const std::vector<Fixture> fixtures = module_fixtures();
  const Fixture& f = fixtures.back();
  REQUIRE(f.name == "sequential_model");

  nn::Sequential model(nn::BatchNorm2d(3), nn::ReLU(), nn::MaxPool2d(2), nn::Dropout2d(0.25),
                       nn::Sequential(nn::GroupNorm(1, 3), nn::GELU("tanh")),
                       nn::AdaptiveAvgPool2d({2, 1}), nn::InstanceNorm2d(3, {.affine = true}),
                       nn::LayerNorm({3, 2, 1}), nn::Softmax(1));

  CHECK(model->to_string() == percent_decode(f.word("repr")));
  CHECK(model->state_dict().keys() == f.param("keys"));
  CHECK(model(randn({2, 3, 4, 2})).shape() == Shape{2, 3, 2, 1});
}

// ---- batch norm behaviour ----

TEST_CASE("batch norm counts training calls and switches statistics with the mode", "[nn]") {
  nn::BatchNorm1d bn(3, {.momentum = std::nullopt});
  Tensor x = ember_test::randn64({8, 3}, 1).to(kFloat32);
  Tensor y = ember_test::randn64({8, 3}, 2).to(kFloat32) * 2.0 + 1.0;

  bn(x);
  bn(y);
  CHECK(bn->num_batches_tracked.item<int64_t>() == 2);
  CHECK(bn->num_batches_tracked.dim() == 0);

  // The cumulative average of two batches is their plain mean.
  Tensor both_means = (x.mean({0}) + y.mean({0})) / 2.0;
  CHECK_CLOSE(bn->running_mean, both_means, 1e-5, 1e-6);

  // Evaluation uses the running statistics and leaves them and the counter alone.
  bn->eval();
  Tensor running_before = bn->running_mean.clone();
  Tensor out = bn(x);
  Tensor expected = batch_norm(x, bn->running_mean, bn->running_var, bn->weight, bn->bias,
                               false, std::nullopt, 1e-5);
  CHECK(out.to_vector<float>() == expected.to_vector<float>());
  CHECK(bn->num_batches_tracked.item<int64_t>() == 2);
  CHECK(bn->running_mean.to_vector<float>() == running_before.to_vector<float>());

  bn->reset_running_stats();
  CHECK(bn->num_batches_tracked.item<int64_t>() == 0);
  CHECK(bn->running_var.to_vector<float>() == std::vector<float>{1, 1, 1});
}

TEST_CASE("batch norm without running statistics normalizes with batch statistics in eval",
          "[nn]") {
  nn::BatchNorm2d bn(2, {.affine = false, .track_running_stats = false});
  Tensor x = ember_test::randn64({3, 2, 2, 2}, 3).to(kFloat32);

  CHECK(bn->state_dict().empty());
  CHECK(bn->parameters().empty());

  bn->eval();
  Tensor out = bn(x);
  CHECK(out.to_vector<float>() == batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true,
                                             0.1, 1e-5)
                                      .to_vector<float>());

  // A cumulative average needs no counter when nothing is tracked.
  nn::BatchNorm2d cumulative(2, {.momentum = std::nullopt, .track_running_stats = false});
  CHECK(cumulative(x).to_vector<float>() == out.to_vector<float>());
}

TEST_CASE("batch norm trains its affine parameters and works in float64", "[nn]") {
  nn::BatchNorm1d bn(4);
  bn->to(kFloat64);
  Tensor x = ember_test::randn64({5, 4}, 4);

  (bn(x) * x).sum().backward();

  CHECK(bn->weight.grad().defined());
  CHECK(bn->bias.grad().defined());
  CHECK(bn->running_mean.dtype() == kFloat64);
  CHECK(bn->num_batches_tracked.dtype() == kInt64);
}

// ---- dropout and noise ----

TEST_CASE("dropout modules are the identity in eval and drop and scale in training", "[nn]") {
  Tensor x = ones({64, 8, 4, 4});
  std::vector<std::shared_ptr<nn::Module>> modules = {
      nn::Dropout(0.25), nn::Dropout2d(0.25), nn::Dropout3d(0.25), nn::AlphaDropout(0.25),
      nn::FeatureAlphaDropout(0.25)};
  for (const auto& module : modules) {
    INFO(module->to_string());
    module->eval();
    CHECK(module->forward(x).same(x));
    module->train();
    CHECK_FALSE(module->forward(x).same(x));
  }

  nn::Dropout dropout(0.25);
  manual_seed(7);
  std::vector<float> values = dropout(x).to_vector<float>();
  int64_t dropped = 0;
  for (float v : values) {
    CHECK((v == 0.0f || v == Approx(1.0f / 0.75f)));
    dropped += v == 0.0f;
  }
  const double fraction = static_cast<double>(dropped) / static_cast<double>(values.size());
  CHECK(fraction == Approx(0.25).margin(0.01));

  // Channel dropout zeroes whole [4, 4] planes.
  nn::Dropout2d channels(0.5);
  Tensor planes = channels(x).sum({2, 3});
  for (float v : planes.to_vector<float>()) CHECK((v == 0.0f || v == Approx(32.0f)));

  // Dropout1d of [N, C, L].
  nn::Dropout1d rows(0.5);
  Tensor row_sums = rows(ones({16, 4, 5})).sum({2});
  for (float v : row_sums.to_vector<float>()) CHECK((v == 0.0f || v == Approx(10.0f)));
}

TEST_CASE("gaussian noise adds N(0, std^2) in training only, with an identity gradient",
          "[nn]") {
  Generator generator(42);
  nn::GaussianNoise noise(0.5, &generator);
  Tensor x = full({400000}, 3.0, TensorOptions(kFloat64, true));

  Tensor y = noise(x);
  std::vector<double> values = (y - 3.0).to_vector<double>();
  double sum = 0.0, sum_sq = 0.0;
  for (double v : values) {
    sum += v;
    sum_sq += v * v;
  }
  const double n = static_cast<double>(values.size());
  const double mean = sum / n;
  CHECK(std::abs(mean) < 0.005);  // ~6 standard errors (0.5 / sqrt(n) = 0.0008)
  CHECK(std::sqrt(sum_sq / n - mean * mean) == Approx(0.5).epsilon(0.01));

  // The gradient passes through unchanged.
  Tensor upstream = ember_test::randn64({400000}, 5);
  y.backward(upstream);
  CHECK(x.grad().to_vector<double>() == upstream.to_vector<double>());

  // Fresh noise each call; the same generator state gives the same noise.
  Generator again(42);
  nn::GaussianNoise replay(0.5, &again);
  CHECK(replay(x).to_vector<double>() == y.to_vector<double>());
  CHECK(replay(x).to_vector<double>() != y.to_vector<double>());

  noise->eval();
  CHECK(noise(x).same(x));
  CHECK(nn::GaussianNoise(0.0)(x).same(x));
  CHECK(noise->to_string() == "GaussianNoise(std=0.5)");
}

TEST_CASE("gaussian noise keeps the input's dtype and shape", "[nn]") {
  nn::GaussianNoise noise(0.1);
  Tensor x = zeros({3, 4, 5});

  Tensor y = noise(x);

  CHECK(y.dtype() == kFloat32);
  CHECK(y.shape() == Shape{3, 4, 5});
  CHECK(y.abs().sum().item() > 0.0);
}

// ---- modules are their functional ops ----

TEST_CASE("each module computes exactly its functional op", "[nn]") {
  Tensor x = ember_test::randn64({2, 4, 6, 6}, 6).to(kFloat32) * 3.0;
  using Op = std::function<Tensor(const Tensor&)>;
  struct Pair {
    std::shared_ptr<nn::Module> module;
    Op op;
  };
  const std::vector<Pair> pairs = {
      {nn::ReLU(), [](const Tensor& t) { return relu(t); }},
      {nn::ReLU6(), [](const Tensor& t) { return relu6(t); }},
      {nn::LeakyReLU(0.2), [](const Tensor& t) { return leaky_relu(t, 0.2); }},
      {nn::ELU(0.7), [](const Tensor& t) { return elu(t, 0.7); }},
      {nn::SELU(), [](const Tensor& t) { return selu(t); }},
      {nn::GELU(), [](const Tensor& t) { return gelu(t); }},
      {nn::GELU("tanh"), [](const Tensor& t) { return gelu(t, "tanh"); }},
      {nn::SiLU(), [](const Tensor& t) { return silu(t); }},
      {nn::Mish(), [](const Tensor& t) { return mish(t); }},
      {nn::Softplus(2.0, 5.0), [](const Tensor& t) { return softplus(t, 2.0, 5.0); }},
      {nn::Hardtanh(-2.0, 0.5), [](const Tensor& t) { return hardtanh(t, -2.0, 0.5); }},
      {nn::Hardsigmoid(), [](const Tensor& t) { return hardsigmoid(t); }},
      {nn::Hardswish(), [](const Tensor& t) { return hardswish(t); }},
      {nn::Sigmoid(), [](const Tensor& t) { return sigmoid(t); }},
      {nn::Tanh(), [](const Tensor& t) { return tanh(t); }},
      {nn::Softmax(1), [](const Tensor& t) { return softmax(t, 1); }},
      {nn::LogSoftmax(-1), [](const Tensor& t) { return log_softmax(t, -1); }},
      {nn::MaxPool2d(3, {.stride = 2, .padding = 1}),
       [](const Tensor& t) {
         return max_pool2d(t, {.kernel_size = 3, .stride = 2, .padding = 1});
       }},
      {nn::AvgPool2d({3, 2}, {.count_include_pad = false}),
       [](const Tensor& t) {
         return avg_pool2d(t, {.kernel_size = {3, 2}, .count_include_pad = false});
       }},
      {nn::AdaptiveAvgPool2d({4, 3}),
       [](const Tensor& t) { return adaptive_avg_pool2d(t, {4, 3}); }},
      {nn::AdaptiveMaxPool2d(2), [](const Tensor& t) { return adaptive_max_pool2d(t, 2); }},
      {nn::GroupNorm(2, 4), [](const Tensor& t) { return group_norm(t, 2); }},
      {nn::LayerNorm({6, 6}), [](const Tensor& t) { return layer_norm(t, {6, 6}); }},
      {nn::InstanceNorm2d(4), [](const Tensor& t) { return instance_norm(t); }},
      {nn::BatchNorm2d(4),
       [](const Tensor& t) {
         return batch_norm(t, zeros({4}), ones({4}), ones({4}), zeros({4}), true);
       }},
  };
  for (const auto& [module, op] : pairs) {
    INFO(module->to_string());
    CHECK(module->forward(x).to_vector<float>() == op(x).to_vector<float>());
  }
}

TEST_CASE("max pooling modules return indices like the op", "[nn]") {
  Tensor x = ember_test::randn64({1, 2, 5, 5}, 8);
  nn::MaxPool2d pool(2);
  nn::AdaptiveMaxPool2d adaptive(3);

  auto [values, indices] = pool->forward_with_indices(x);
  auto [adaptive_values, adaptive_indices] = adaptive->forward_with_indices(x);

  auto expected = max_pool2d_with_indices(x, {.kernel_size = 2});
  CHECK(values.to_vector<double>() == expected.first.to_vector<double>());
  CHECK(indices.to_vector<int64_t>() == expected.second.to_vector<int64_t>());
  CHECK(adaptive_indices.to_vector<int64_t>() ==
        adaptive_max_pool2d_with_indices(x, 3).second.to_vector<int64_t>());
  CHECK(adaptive_values.shape() == Shape{1, 2, 3, 3});
}

// ---- construction and printing ----

TEST_CASE("layers accept sizes and designated options in PyTorch's argument order", "[nn]") {
  CHECK(nn::MaxPool2d(2, {.stride = 1})->to_string() ==
        "MaxPool2d(kernel_size=2, stride=1, padding=0, dilation=1, ceil_mode=False)");
  CHECK(nn::MaxPool2d({3, 2})->options().kernel_size.values() == Shape{3, 2});
  CHECK(nn::MaxPool3d({1, 2, 2}, {.padding = {0, 1, 1}, .ceil_mode = true})->to_string() ==
        "MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=(0, 1, 1), dilation=1, "
        "ceil_mode=True)");
  CHECK(nn::AvgPool2d(3, {.stride = 2, .divisor_override = 4})->to_string() ==
        "AvgPool2d(kernel_size=3, stride=2, padding=0)");
  CHECK(nn::AvgPool1d(4)->to_string() ==
        "AvgPool1d(kernel_size=(4,), stride=(4,), padding=(0,))");
  CHECK(nn::AdaptiveAvgPool3d({1, 2, 3})->output_size().values() == Shape{1, 2, 3});

  CHECK(nn::BatchNorm2d(64, {.momentum = std::nullopt})->to_string() ==
        "BatchNorm2d(64, eps=1e-05, momentum=None, affine=True, track_running_stats=True)");
  CHECK(nn::BatchNorm1d(8, {.eps = 1e-3, .momentum = 0.01})->to_string() ==
        "BatchNorm1d(8, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)");
  CHECK(nn::InstanceNorm3d(2, {.track_running_stats = true})->state_dict().keys() ==
        std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"});
  CHECK(nn::GroupNorm(2, 4, {.affine = false})->parameters().empty());
  CHECK(nn::LayerNorm(5, {.eps = 1e-6})->to_string() ==
        "LayerNorm((5,), eps=1e-06, elementwise_affine=True)");
  CHECK(nn::LayerNorm({3, 4})->weight.shape() == Shape{3, 4});

  CHECK(nn::Dropout()->to_string() == "Dropout(p=0.5, inplace=False)");
  CHECK(nn::Softplus(1.5)->to_string() == "Softplus(beta=1.5, threshold=20)");
  CHECK(nn::LeakyReLU(1e-3)->to_string() == "LeakyReLU(negative_slope=0.001)");
  CHECK(nn::ELU(2.0)->to_string() == "ELU(alpha=2.0)");
  CHECK(nn::GaussianNoise(1e-5)->to_string() == "GaussianNoise(std=1e-05)");
}

TEST_CASE("layer constructors and forwards reject bad arguments", "[nn]") {
  for (double p : {-0.1, 1.5, std::nan("")}) {
    CHECK_THROWS_MATCHES(nn::Dropout(p), Error,
                         ErrorMentions({"Dropout", "probability has to be between 0 and 1"}));
  }
  CHECK_THROWS_MATCHES(nn::Dropout2d(2.0), Error, ErrorMentions({"Dropout2d", "but got 2"}));
  CHECK_THROWS_MATCHES(nn::AlphaDropout(-1.0), Error, ErrorMentions({"AlphaDropout"}));
  CHECK_NOTHROW(nn::Dropout(0.0));
  CHECK_NOTHROW(nn::Dropout(1.0));

  CHECK_THROWS_MATCHES(nn::BatchNorm1d(3)(zeros({2, 3, 4, 5})), Error,
                       ErrorMentions({"BatchNorm1d", "expected 2-D or 3-D input", "got 4-D",
                                      "[2, 3, 4, 5]"}));
  CHECK_THROWS_MATCHES(nn::BatchNorm2d(3)(zeros({2, 3, 4})), Error,
                       ErrorMentions({"BatchNorm2d", "expected 4-D input", "got 3-D"}));
  CHECK_THROWS_MATCHES(nn::BatchNorm3d(3)(zeros({2, 3, 4, 4})), Error,
                       ErrorMentions({"BatchNorm3d", "expected 5-D input"}));
  CHECK_THROWS_MATCHES(nn::InstanceNorm2d(3)(zeros({3, 4})), Error,
                       ErrorMentions({"InstanceNorm2d", "expected 3-D or 4-D input"}));
  CHECK_THROWS_MATCHES(nn::BatchNorm2d(0), Error, ErrorMentions({"BatchNorm2d", "num_features"}));
  CHECK_THROWS_AS(nn::BatchNorm2d(3)(zeros({2, 4, 2, 2})), Error);  // channel count

  CHECK_THROWS_MATCHES(nn::GroupNorm(3, 4), Error,
                       ErrorMentions({"GroupNorm", "num_channels must be divisible by num_groups",
                                      "num_channels=4", "num_groups=3"}));
  CHECK_THROWS_MATCHES(nn::LayerNorm(Shape{}), Error, ErrorMentions({"LayerNorm", "non-empty"}));
  CHECK_THROWS_MATCHES(nn::Hardtanh(1.0, -1.0), Error,
                       ErrorMentions({"Hardtanh", "max_val must be greater than min_val"}));
  CHECK_THROWS_MATCHES(nn::GELU("fast"), Error, ErrorMentions({"GELU", "\"fast\""}));
  CHECK_THROWS_MATCHES(nn::AvgPool1d(2, {.divisor_override = 2}), Error,
                       ErrorMentions({"AvgPool1d", "divisor_override"}));
  CHECK_THROWS_MATCHES(nn::GaussianNoise(-0.5), Error, ErrorMentions({"GaussianNoise", "std"}));
  CHECK_THROWS_MATCHES(nn::GaussianNoise(1.0)(zeros({2}, kInt64)), Error,
                       ErrorMentions({"GaussianNoise", "int64"}));
  CHECK_THROWS_AS(nn::MaxPool2d(2)(zeros({2, 3})), Error);
}
