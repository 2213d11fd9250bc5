// batch_norm, group_norm, layer_norm and instance_norm: the statistics they
// normalize with, running-statistic updates (momentum and the cumulative
// average), evaluation mode, gradcheck over affine and mode options, thread
// count independence, numerics on offset inputs, and every invalid call.
// PyTorch parity lives in tests/parity/test_norm_parity.cpp.

#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/gradcheck.h"
#include "framework/parallel.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/normalization.h"
#include "ops/reduce.h"

using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

// Which affine parameters a case passes.
enum class Affine { None, WeightOnly, BiasOnly, Both };

const char* affine_name(Affine affine) {
  switch (affine) {
    case Affine::None: return "no affine";
    case Affine::WeightOnly: return "weight only";
    case Affine::BiasOnly: return "bias only";
    case Affine::Both: return "weight and bias";
  }
  return "";
}

bool has_weight(Affine a) { return a == Affine::WeightOnly || a == Affine::Both; }
bool has_bias(Affine a) { return a == Affine::BiasOnly || a == Affine::Both; }

// Inputs for gradcheck: x, then weight and bias when the case has them, all
// float64 and requiring grad; `place` rebuilds the (x, weight, bias) triple.
struct GradInputs {
  TensorList list;
  std::vector<int> slot;

  TensorList place(const TensorList& values) const {
    TensorList full(3);
    for (size_t k = 0; k < slot.size(); ++k) full[slot[k]] = values[k];
    return full;
  }
};

GradInputs grad_inputs(const Shape& shape, const Shape& param_shape, Affine affine,
                       uint64_t seed) {
  GradInputs inputs;
  inputs.list.push_back(randn64(shape, seed).requires_grad_(true));
  inputs.slot.push_back(0);
  if (has_weight(affine)) {
    Tensor weight = randn64(param_shape, seed + 1) * 0.5 + 1.0;
    inputs.list.push_back(weight.requires_grad_(true));
    inputs.slot.push_back(1);
  }
  if (has_bias(affine)) {
    inputs.list.push_back(randn64(param_shape, seed + 2).requires_grad_(true));
    inputs.slot.push_back(2);
  }
  return inputs;
}

// Restores the thread count a test changed.
class ThreadCount {
 public:
  ThreadCount() : saved_(ember::get_num_threads()) {}
  ~ThreadCount() { ember::set_num_threads(saved_); }

 private:
  int saved_;
};

// Bitwise equality of two tensors of the same shape and dtype.
bool identical(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  std::vector<double> va = a.to_vector<double>();
  std::vector<double> vb = b.to_vector<double>();
  for (size_t k = 0; k < va.size(); ++k) {
    if (va[k] != vb[k] && !(va[k] != va[k] && vb[k] != vb[k])) return false;
  }
  return true;
}

}  // namespace

// ---- statistics ----

TEST_CASE("batch_norm in training gives each channel zero mean and unit variance", "[ops]") {
  Tensor x = randn64({6, 3, 5}, 1) * 3.0 + 2.0;

  Tensor y = ember::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 0.0);

  CHECK_CLOSE(ember::mean(y, {0, 2}), ember::zeros({3}, ember::kFloat64), 0, 1e-12);
  CHECK_CLOSE(ember::var(y, {0, 2}, 0), ember::ones({3}, ember::kFloat64), 1e-12, 0);
}

TEST_CASE("batch_norm updates running statistics with momentum and the unbiased variance",
          "[ops]") {
  Tensor x = randn64({4, 3, 5}, 2);
  Tensor running_mean = randn64({3}, 3);
  Tensor running_var = ember::full({3}, 2.0, ember::kFloat64);
  Tensor mean0 = running_mean.clone();
  Tensor var0 = running_var.clone();

  ember::batch_norm(x, running_mean, running_var, Tensor(), Tensor(), true, 0.25);

  Tensor batch_mean = ember::mean(x, {0, 2});
  Tensor batch_var = ember::var(x, {0, 2}, 1);
  CHECK_CLOSE(running_mean, mean0 * 0.75 + batch_mean * 0.25, 1e-12, 1e-12);
  CHECK_CLOSE(running_var, var0 * 0.75 + batch_var * 0.25, 1e-12, 1e-12);
}

TEST_CASE("batch_norm with momentum nullopt keeps a cumulative average of batch statistics",
          "[ops]") {
  Tensor first = randn64({5, 2, 3}, 4);
  Tensor second = randn64({5, 2, 3}, 5);
  Tensor running_mean = ember::zeros({2}, ember::kFloat64);
  Tensor running_var = ember::ones({2}, ember::kFloat64);
  Tensor batches = ember::scalar_tensor(0, ember::kInt64);

  ember::batch_norm(first, running_mean, running_var, Tensor(), Tensor(), true, std::nullopt,
                    1e-5, batches);
  ember::batch_norm(second, running_mean, running_var, Tensor(), Tensor(), true, std::nullopt,
                    1e-5, batches);

  CHECK(batches.item<int64_t>() == 2);
  Tensor mean_average = (ember::mean(first, {0, 2}) + ember::mean(second, {0, 2})) * 0.5;
  Tensor var_average = (ember::var(first, {0, 2}) + ember::var(second, {0, 2})) * 0.5;
  CHECK_CLOSE(running_mean, mean_average, 1e-12, 1e-12);
  CHECK_CLOSE(running_var, var_average, 1e-12, 1e-12);
}

TEST_CASE("batch_norm counts batches in num_batches_tracked only when it updates statistics",
          "[ops]") {
  Tensor x = randn64({3, 2}, 6);
  Tensor running_mean = ember::zeros({2}, ember::kFloat64);
  Tensor running_var = ember::ones({2}, ember::kFloat64);
  Tensor batches = ember::scalar_tensor(7, ember::kInt64);

  ember::batch_norm(x, running_mean, running_var, Tensor(), Tensor(), true, 0.1, 1e-5, batches);
  ember::batch_norm(x, running_mean, running_var, Tensor(), Tensor(), false, 0.1, 1e-5, batches);
  ember::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5, batches);

  CHECK(batches.item<int64_t>() == 8);
}

TEST_CASE("batch_norm in evaluation normalizes with the running statistics", "[ops]") {
  Tensor x = randn64({2, 3, 2, 2}, 7);
  Tensor running_mean = randn64({3}, 8);
  Tensor running_var = ember::full({3}, 0.5, ember::kFloat64);
  Tensor weight = randn64({3}, 9);
  Tensor bias = randn64({3}, 10);
  Tensor mean0 = running_mean.clone();

  Tensor y = ember::batch_norm(x, running_mean, running_var, weight, bias, false, 0.1, 1e-3);

  Shape column = {1, 3, 1, 1};
  Tensor expected = (x - running_mean.view(column)) / std::sqrt(0.5 + 1e-3) *
                        weight.view(column) + bias.view(column);
  CHECK_CLOSE(y, expected, 1e-12, 1e-12);
  CHECK_CLOSE(running_mean, mean0, 0, 0);
}

TEST_CASE("batch_norm of an empty batch returns an empty tensor and keeps its statistics",
          "[ops]") {
  Tensor x = ember::zeros({0, 3, 4}, ember::kFloat64);
  Tensor running_mean = randn64({3}, 11);
  Tensor running_var = ember::ones({3}, ember::kFloat64);
  Tensor mean0 = running_mean.clone();

  Tensor y = ember::batch_norm(x, running_mean, running_var, Tensor(), Tensor(), true);

  CHECK(y.shape() == Shape{0, 3, 4});
  CHECK_CLOSE(running_mean, mean0, 0, 0);
}

TEST_CASE("normalization of empty inputs gives empty outputs and zero parameter gradients",
          "[ops]") {
  Tensor weight = ember::ones({4}, ember::kFloat64).requires_grad_(true);
  Tensor bias = ember::zeros({4}, ember::kFloat64).requires_grad_(true);
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"batch_norm [0, 4]", [&](const Tensor& x) {
         return ember::batch_norm(x, Tensor(), Tensor(), weight, bias, true);
       }},
      {"group_norm [0, 4]", [&](const Tensor& x) { return ember::group_norm(x, 2, weight, bias); }},
      {"layer_norm [0, 4]", [&](const Tensor& x) {
         return ember::layer_norm(x, {4}, weight, bias);
       }},
      {"instance_norm [0, 4, 3]", [&](const Tensor& x) {
         return ember::instance_norm(x.view({0, 4, 1}).expand({0, 4, 3}), Tensor(), Tensor(),
                                     weight, bias);
       }}};

  for (const auto& [name, op] : ops) {
    INFO(name);
    weight.zero_grad();
    bias.zero_grad();
    Tensor x = ember::zeros({0, 4}, ember::kFloat64).requires_grad_(true);
    Tensor y = op(x);
    y.sum().backward();
    CHECK(y.numel() == 0);
    CHECK_CLOSE(weight.grad(), ember::zeros({4}, ember::kFloat64), 0, 0);
    CHECK_CLOSE(bias.grad(), ember::zeros({4}, ember::kFloat64), 0, 0);
  }
}

TEST_CASE("group_norm normalizes each group of channels of each sample", "[ops]") {
  Tensor x = randn64({2, 6, 4}, 12) * 2.0 - 1.0;

  Tensor y = ember::group_norm(x, 3, Tensor(), Tensor(), 0.0);

  Tensor grouped = y.reshape({2, 3, 8});
  CHECK_CLOSE(ember::mean(grouped, {2}), ember::zeros({2, 3}, ember::kFloat64), 0, 1e-12);
  CHECK_CLOSE(ember::var(grouped, {2}, 0), ember::ones({2, 3}, ember::kFloat64), 1e-12, 0);
}

TEST_CASE("layer_norm normalizes each row over the normalized dims", "[ops]") {
  Tensor x = randn64({3, 2, 5}, 13) + 4.0;
  Tensor weight = randn64({2, 5}, 14);
  Tensor bias = randn64({2, 5}, 15);

  Tensor y = ember::layer_norm(x, {2, 5}, weight, bias, 1e-5);

  Tensor mean = ember::mean(x, {1, 2}, true);
  Tensor var = ember::var(x, {1, 2}, 0, true);
  Tensor expected = (x - mean) / ember::sqrt(var + 1e-5) * weight + bias;
  CHECK_CLOSE(y, expected, 1e-12, 1e-12);
}

TEST_CASE("instance_norm moves running statistics towards the batch-averaged instance "
          "statistics", "[ops]") {
  Tensor x = randn64({3, 2, 6}, 16);
  Tensor running_mean = ember::zeros({2}, ember::kFloat64);
  Tensor running_var = ember::ones({2}, ember::kFloat64);

  Tensor y = ember::instance_norm(x, running_mean, running_var, Tensor(), Tensor(), true, 0.5);

  CHECK_CLOSE(ember::mean(y, {2}), ember::zeros({3, 2}, ember::kFloat64), 0, 1e-12);
  Tensor instance_mean = ember::mean(ember::mean(x, {2}), {0});
  Tensor instance_var = ember::mean(ember::var(x, {2}, 1), {0});
  CHECK_CLOSE(running_mean, instance_mean * 0.5, 1e-12, 1e-12);
  CHECK_CLOSE(running_var, instance_var * 0.5 + 0.5, 1e-12, 1e-12);
}

// ---- numerics ----

TEST_CASE("normalization keeps float32 accuracy on inputs with a large offset", "[ops]") {
  // Values 1e4 + N(0, 1): a naive E[x^2] - E[x]^2 in float32 would lose the
  // variance entirely; the float64 run on the same float32 values is the truth.
  Tensor x32 = (randn64({4, 3, 50}, 17) + 1e4).to(ember::kFloat32);
  Tensor x64 = x32.to(ember::kFloat64);

  auto ops = {
      std::function<Tensor(const Tensor&)>([](const Tensor& x) {
        return ember::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
      }),
      std::function<Tensor(const Tensor&)>([](const Tensor& x) {
        return ember::group_norm(x, 3);
      }),
      std::function<Tensor(const Tensor&)>([](const Tensor& x) {
        return ember::layer_norm(x, {50});
      }),
      std::function<Tensor(const Tensor&)>([](const Tensor& x) {
        return ember::instance_norm(x);
      })};

  for (const auto& op : ops) {
    CHECK_CLOSE(op(x32), op(x64).to(ember::kFloat32), 1e-5, 1e-5);
  }
}

TEST_CASE("normalization results are bitwise identical for 1 and 2 threads", "[ops]") {
  ThreadCount restore;
  ember::Generator generator(18);
  Tensor x = ember::randn({8, 16, 2048}, {}, &generator);
  Tensor weight = ember::randn({16}, {}, &generator);
  Tensor bias = ember::randn({16}, {}, &generator);
  Tensor ln_weight = ember::randn({2048}, {}, &generator);
  Tensor gout = ember::randn({8, 16, 2048}, {}, &generator);
  // [N, C] with rows of one element takes the column path of batch_norm.
  Tensor flat = ember::randn({512, 256}, {}, &generator);
  Tensor flat_weight = ember::randn({256}, {}, &generator);
  Tensor flat_gout = ember::randn({512, 256}, {}, &generator);

  // Output and the three gradients of each op, at the current thread count.
  auto run = [&] {
    TensorList results;
    auto add = [&](const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& op,
                   const Tensor& w, const Tensor& b, const Tensor& input = Tensor(),
                   const Tensor& upstream = Tensor()) {
      Tensor xi = (input.defined() ? input : x).detach().requires_grad_(true);
      Tensor wi = w.detach().requires_grad_(true);
      Tensor bi = b.detach().requires_grad_(true);
      Tensor y = op(xi, wi, bi);
      y.backward(upstream.defined() ? upstream : gout);
      results.insert(results.end(), {y, xi.grad(), wi.grad(), bi.grad()});
    };
    add([](const Tensor& x, const Tensor& w, const Tensor& b) {
      return ember::batch_norm(x, Tensor(), Tensor(), w, b, true);
    }, weight, bias);
    add([](const Tensor& x, const Tensor& w, const Tensor& b) {
      return ember::group_norm(x, 4, w, b);
    }, weight, bias);
    add([](const Tensor& x, const Tensor& w, const Tensor& b) {
      return ember::instance_norm(x, Tensor(), Tensor(), w, b);
    }, weight, bias);
    add([](const Tensor& x, const Tensor& w, const Tensor& b) {
      return ember::layer_norm(x, {2048}, w, b);
    }, ln_weight, ln_weight * 0.5);
    add([](const Tensor& x, const Tensor& w, const Tensor& b) {
      return ember::batch_norm(x, Tensor(), Tensor(), w, b, true);
    }, flat_weight, flat_weight * 0.25, flat, flat_gout);
    return results;
  };

  ember::set_num_threads(1);
  TensorList one = run();
  ember::set_num_threads(2);
  TensorList two = run();

  REQUIRE(one.size() == two.size());
  for (size_t k = 0; k < one.size(); ++k) {
    INFO("result " << k);
    CHECK(identical(one[k], two[k]));
  }
}

TEST_CASE("batch_norm gradients handle an expanded upstream gradient", "[ops]") {
  // sum() sends back a stride-0 gradient; with batch statistics the output
  // sums to C * N * S * bias regardless of x, so x's gradient is zero.
  Tensor x = randn64({4, 2, 3}, 19).requires_grad_(true);
  Tensor bias = randn64({2}, 20).requires_grad_(true);

  ember::batch_norm(x, Tensor(), Tensor(), Tensor(), bias, true).sum().backward();

  CHECK_CLOSE(x.grad(), ember::zeros({4, 2, 3}, ember::kFloat64), 0, 1e-12);
  CHECK_CLOSE(bias.grad(), ember::full({2}, 12.0, ember::kFloat64), 0, 1e-12);
}

TEST_CASE("normalization gives parameter gradients when the input needs none", "[ops]") {
  Tensor x = randn64({3, 4, 5}, 23);
  Tensor gout = randn64({3, 4, 5}, 24);
  Tensor weight = randn64({4}, 25).requires_grad_(true);
  Tensor bias = randn64({4}, 26).requires_grad_(true);
  Tensor x_grad = x.detach().requires_grad_(true);
  Tensor weight_ref = weight.detach().requires_grad_(true);
  Tensor bias_ref = bias.detach().requires_grad_(true);

  ember::group_norm(x, 2, weight, bias).backward(gout);
  ember::group_norm(x_grad, 2, weight_ref, bias_ref).backward(gout);

  CHECK_CLOSE(weight.grad(), weight_ref.grad(), 0, 0);
  CHECK_CLOSE(bias.grad(), bias_ref.grad(), 0, 0);
}

TEST_CASE("normalization refuses a backward after its weight changed in place", "[ops]") {
  Tensor x = randn64({3, 2, 4}, 21).requires_grad_(true);
  Tensor weight = randn64({2}, 22).requires_grad_(true);
  Tensor y = ember::group_norm(x, 1, weight);

  {
    ember::NoGradGuard no_grad;
    weight.mul_(2.0);
  }

  CHECK_THROWS_MATCHES(y.sum().backward(), ember::Error,
                       ErrorMentions({"GroupNormBackward", "modified by an in-place"}));
}

// ---- gradients ----

TEST_CASE("batch_norm passes gradcheck in training and evaluation over affine options",
          "[ops][gradcheck]") {
  const bool training = GENERATE(true, false);
  const Affine affine =
      GENERATE(Affine::None, Affine::WeightOnly, Affine::BiasOnly, Affine::Both);
  const Shape shape = GENERATE(Shape{4, 3}, Shape{3, 2, 5}, Shape{2, 2, 3, 2});
  INFO((training ? "training" : "evaluation") << ", " << affine_name(affine) << ", input "
                                              << ember::format_shape(shape));
  const int64_t channels = shape[1];
  GradInputs inputs = grad_inputs(shape, {channels}, affine, 30);
  Tensor running_mean = randn64({channels}, 31);
  Tensor running_var = ember::full({channels}, 1.5, ember::kFloat64);

  auto function = [&](const TensorList& values) {
    TensorList x = inputs.place(values);
    return ember::batch_norm(x[0], running_mean, running_var, x[1], x[2], training, 0.1, 1e-3);
  };

  CHECK_GRADCHECK(function, inputs.list);
}

TEST_CASE("group_norm passes gradcheck over group counts and affine options",
          "[ops][gradcheck]") {
  const int64_t groups = GENERATE(1, 2, 4);
  const Affine affine = GENERATE(Affine::None, Affine::WeightOnly, Affine::Both);
  INFO(groups << " groups, " << affine_name(affine));
  GradInputs inputs = grad_inputs({2, 4, 3}, {4}, affine, 40);

  auto function = [&](const TensorList& values) {
    TensorList x = inputs.place(values);
    return ember::group_norm(x[0], groups, x[1], x[2]);
  };

  CHECK_GRADCHECK(function, inputs.list);
}

TEST_CASE("layer_norm passes gradcheck over normalized shapes and affine options",
          "[ops][gradcheck]") {
  const Shape normalized = GENERATE(Shape{5}, Shape{3, 5});
  const Affine affine =
      GENERATE(Affine::None, Affine::WeightOnly, Affine::BiasOnly, Affine::Both);
  INFO("normalized " << ember::format_shape(normalized) << ", " << affine_name(affine));
  GradInputs inputs = grad_inputs({4, 3, 5}, normalized, affine, 50);

  auto function = [&](const TensorList& values) {
    TensorList x = inputs.place(values);
    return ember::layer_norm(x[0], normalized, x[1], x[2]);
  };

  CHECK_GRADCHECK(function, inputs.list);
}

TEST_CASE("instance_norm passes gradcheck with input and running statistics",
          "[ops][gradcheck]") {
  const bool use_input_stats = GENERATE(true, false);
  const Affine affine = GENERATE(Affine::None, Affine::Both);
  INFO((use_input_stats ? "input" : "running") << " statistics, " << affine_name(affine));
  GradInputs inputs = grad_inputs({2, 3, 4}, {3}, affine, 60);
  Tensor running_mean = randn64({3}, 61);
  Tensor running_var = ember::full({3}, 0.7, ember::kFloat64);

  auto function = [&](const TensorList& values) {
    TensorList x = inputs.place(values);
    return ember::instance_norm(x[0], running_mean, running_var, x[1], x[2], use_input_stats);
  };

  CHECK_GRADCHECK(function, inputs.list);
}

// ---- errors ----

TEST_CASE("batch_norm raises PyTorch's error for one value per channel in training", "[ops]") {
  Tensor running_mean = ember::zeros({3});
  Tensor running_var = ember::ones({3});

  CHECK_THROWS_MATCHES(
      ember::batch_norm(ember::zeros({1, 3}), running_mean, running_var, Tensor(), Tensor(), true),
      ember::Error,
      ErrorMentions({"Expected more than 1 value per channel when training", "[1, 3]"}));
  CHECK_THROWS_MATCHES(
      ember::batch_norm(ember::zeros({1, 3, 1}), Tensor(), Tensor(), Tensor(), Tensor(), true),
      ember::Error, ErrorMentions({"more than 1 value per channel", "[1, 3, 1]"}));
  Tensor one_sample = ember::zeros({1, 3});
  CHECK_NOTHROW(ember::batch_norm(one_sample, running_mean, running_var));
}

TEST_CASE("batch_norm rejects wrong ranks, sizes, dtypes and missing statistics", "[ops]") {
  Tensor x = ember::zeros({4, 3, 2});
  Tensor three = ember::ones({3});

  CHECK_THROWS_MATCHES(ember::batch_norm(ember::zeros({3}), three, three), ember::Error,
                       ErrorMentions({"batch_norm", "at least 2 dims", "[3]"}));
  CHECK_THROWS_MATCHES(ember::batch_norm(x, ember::zeros({4}), three, Tensor(), Tensor(), true),
                       ember::Error,
                       ErrorMentions({"running_mean should contain 3 elements not 4"}));
  CHECK_THROWS_MATCHES(ember::batch_norm(x, three, three, ember::ones({2})), ember::Error,
                       ErrorMentions({"weight should contain 3 elements not 2"}));
  Tensor bias64 = ember::ones({3}, ember::kFloat64);
  CHECK_THROWS_MATCHES(ember::batch_norm(x, three, three, Tensor(), bias64), ember::Error,
                       ErrorMentions({"bias", "float64", "float32"}));
  CHECK_THROWS_MATCHES(ember::batch_norm(x, Tensor(), Tensor()), ember::Error,
                       ErrorMentions({"batch_norm", "evaluation mode"}));
  CHECK_THROWS_MATCHES(ember::batch_norm(x, three.clone(), three.clone(), Tensor(), Tensor(),
                                         true, std::nullopt),
                       ember::Error, ErrorMentions({"batch_norm", "num_batches_tracked"}));
  CHECK_THROWS_MATCHES(ember::batch_norm(ember::zeros({4, 3}, ember::kInt64), Tensor(), Tensor(),
                                         Tensor(), Tensor(), true),
                       ember::Error, ErrorMentions({"batch_norm", "int64"}));
}

TEST_CASE("group_norm rejects group counts that do not divide the channels", "[ops]") {
  Tensor x = ember::zeros({4, 3, 5});

  CHECK_THROWS_MATCHES(ember::group_norm(x, 2), ember::Error,
                       ErrorMentions({"divisible by num_groups", "[4, 3, 5]", "num_groups=2"}));
  CHECK_THROWS_MATCHES(ember::group_norm(x, 0), ember::Error,
                       ErrorMentions({"group_norm", "num_groups=0"}));
  CHECK_THROWS_MATCHES(ember::group_norm(x, 3, ember::ones({2})), ember::Error,
                       ErrorMentions({"group_norm", "weight should contain 3 elements not 2"}));
}

TEST_CASE("layer_norm rejects shapes that do not end the input or match the weight", "[ops]") {
  Tensor x = ember::zeros({4, 3, 5});

  CHECK_THROWS_MATCHES(ember::layer_norm(x, {4}), ember::Error,
                       ErrorMentions({"normalized_shape=[4]", "[*, 4]", "[4, 3, 5]"}));
  CHECK_THROWS_MATCHES(ember::layer_norm(x, {}), ember::Error,
                       ErrorMentions({"layer_norm", "at least 1-dimensional"}));
  CHECK_THROWS_MATCHES(ember::layer_norm(x, {5}, ember::ones({4})), ember::Error,
                       ErrorMentions({"weight of shape [4]", "normalized_shape = [5]"}));
  Tensor bias64 = ember::ones({3, 5}, ember::kFloat64);
  CHECK_THROWS_MATCHES(ember::layer_norm(x, {3, 5}, Tensor(), bias64), ember::Error,
                       ErrorMentions({"layer_norm", "bias", "float64"}));
}

TEST_CASE("instance_norm rejects single-element instances and missing running statistics",
          "[ops]") {
  CHECK_THROWS_MATCHES(ember::instance_norm(ember::zeros({2, 3, 1})), ember::Error,
                       ErrorMentions({"Expected more than 1 spatial element", "[2, 3, 1]"}));
  CHECK_THROWS_MATCHES(ember::instance_norm(ember::zeros({2, 3, 4}), Tensor(), Tensor(), Tensor(),
                                            Tensor(), false),
                       ember::Error,
                       ErrorMentions({"running_mean and running_var to be defined"}));
}
